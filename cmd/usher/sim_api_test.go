package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-hub/usher/internal/upstream/s360"
)

// TestSimS360ServesTheAPI checks the --api-listen wiring: without a secret
// it refuses to start; with one, S-360's API answers on the address and
// turns away an unsigned call in S-360's own error format.
func TestSimS360ServesTheAPI(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	noEnv := func(string) string { return "" }
	if _, _, err := startS360API(context.Background(), "127.0.0.1:0", "myvenue", noEnv, logger, nil); err == nil || !strings.Contains(err.Error(), s360APISecretEnv) {
		t.Fatalf("without a secret: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base, stop, err := startS360API(context.Background(), addr, "myvenue", func(string) string { return "operator-secret-16+chars" }, logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if base != "http://"+addr {
		t.Fatalf("the stand-in says it serves %s, want http://%s", base, addr)
	}
	resp, err := http.Post(base+"/tnco/backend-apis/contactInformationPublicService/v2_21/getContactData",
		"application/json", strings.NewReader(`{"contactNumber":"1"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "statusCode") {
		t.Fatalf("unsigned call: %d %s, want 401 in S-360's error format", resp.StatusCode, body)
	}
}

// TestSimS360APIWritesComeBackInThePush: with --api-listen the API
// stand-in and the push simulator share one venue, so a contact created
// and a sale closed through the API are in the next contact and order
// pushes: the echo loop of CRM sync runs end to end.
func TestSimS360APIWritesComeBackInThePush(t *testing.T) {
	var mu sync.Mutex
	pushed := map[string]string{} // stream/id → body
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var docs []map[string]any
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		_ = dec.Decode(&docs)
		stream := strings.Split(strings.Trim(r.URL.Path, "/"), "/")[1]
		mu.Lock()
		defer mu.Unlock()
		for _, d := range docs {
			id := fmt.Sprint(d["contactNumber"])
			if od, ok := d["orderDetailsData"].(map[string]any); ok {
				id = fmt.Sprint(od["orderId"])
			}
			raw, _ := json.Marshal(d)
			pushed[stream+"/"+id] = string(raw)
		}
	}))
	t.Cleanup(recv.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	o := s360Defaults()
	o.target, o.apiListen, o.scale = recv.URL, addr, 0.01
	o.from, o.until = time.Now().Format("2006-01-02"), time.Now().Format(time.RFC3339)
	secret := "operator-secret-of-16+"
	s360Sims, err := startS360Sims(context.Background(), &o, func(string) string { return secret }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s360Sims.stop()
	sim := s360Sims.sim
	api := func(path string, body any) map[string]any {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+s360.SignToken(s360.NewClaims("MYVENUE", "MYVENUE_CRM", "usher", time.Now()), secret))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		dec := json.NewDecoder(resp.Body)
		dec.UseNumber()
		_ = dec.Decode(&out)
		if out["statusCode"] != "success" {
			t.Fatalf("%s: %v", path, out)
		}
		return out
	}
	created := api("/tnco/backend-apis/contactInformationPublicService/v2_21/createCulturalContact",
		map[string]any{"contactDataList": []map[string]any{{"email": "echo@example.org", "firstName": "Echo", "lastName": "Loop", "identifier": 1}}})
	number := created["identifierContactMap"].(map[string]any)["1"].(string)
	api("/tnco/backend-apis/contactInformationPublicService/v2_21/saveIndividualContactData",
		map[string]any{"contactData": map[string]any{"contactNumber": number, "cellPhoneNumber": "+41 79 123 45 67"}})
	order := api("/tnseb/backend-apis/externalOrderFacade/v1_33/createOrUpdateOrder", map[string]any{"pointOfSalesId": 1, "orderType": "SALE",
		"purchasersInfo": []map[string]any{{"contactReference": number}}, "simpleProductOperations": []map[string]any{{"productCode": "P", "quantity": 1}}})
	orderID := fmt.Sprint(order["orderUpdateData"].(map[string]any)["orderId"])
	api("/tnseb/backend-apis/externalOrderService/v1_33/closeOrder", map[string]any{"orderId": json.Number(orderID)})
	sim.RunOnce(context.Background())
	mu.Lock()
	defer mu.Unlock()
	if c := pushed["contacts/"+number]; !strings.Contains(c, "echo@example.org") || !strings.Contains(c, "+41 79 123 45 67") {
		t.Fatalf("contact %s pushed as %q, want it as it is now, after the update", number, c)
	}
	if o := pushed["orders/"+orderID]; !strings.Contains(o, `"CLOSED"`) {
		t.Fatalf("order %s pushed as %q, want the closed sale", orderID, o)
	}
}

// TestSimS360APIKnowsTheVenuesContacts: S-360 has one contact base, so a
// contact the venue pushed is found by getContactData and searchContact
// (its e-mail in other case, and its names), can be changed and booked for
// through the API, and an unknown number is still contact_not_found.
func TestSimS360APIKnowsTheVenuesContacts(t *testing.T) {
	var mu sync.Mutex
	var pushed []map[string]any
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var docs []map[string]any
		_ = json.NewDecoder(r.Body).Decode(&docs)
		if strings.Contains(r.URL.Path, "/contacts/") {
			mu.Lock()
			pushed = append(pushed, docs...)
			mu.Unlock()
		}
	}))
	t.Cleanup(recv.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	o := s360Defaults()
	o.target, o.apiListen, o.scale = recv.URL, addr, 0.05
	o.from, o.until = time.Now().AddDate(0, 0, -1).Format("2006-01-02"), time.Now().Format(time.RFC3339)
	secret := "operator-secret-of-16+"
	stand, err := startS360Sims(context.Background(), &o, func(string) string { return secret }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer stand.stop()
	stand.sim.RunOnce(context.Background())
	var venueContact map[string]any
	mu.Lock()
	for _, c := range pushed {
		if c["type"] == "INDIVIDUAL" {
			venueContact = c
			break
		}
	}
	mu.Unlock()
	if venueContact == nil {
		t.Fatal("the venue pushed no person")
	}
	number, email := venueContact["contactNumber"].(string), venueContact["email"].(string)
	first := venueContact["individualContact"].(map[string]any)["firstName"].(string)
	call := func(path string, body any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+s360.SignToken(s360.NewClaims("MYVENUE", "MYVENUE_CRM", "usher", time.Now()), secret))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	const contacts = "/tnco/backend-apis/contactInformationPublicService/v2_21/"
	if got := call(contacts+"getContactData", map[string]any{"contactNumber": number}); got["statusCode"] != "success" || got["email"] != email {
		t.Fatalf("getContactData of venue contact %s: %v", number, got)
	}
	found := call(contacts+"searchContact", map[string]any{"email": strings.ToUpper(email), "firstName": first})
	if list, _ := found["contacts"].([]any); len(list) == 0 || list[0].(map[string]any)["contactNumber"] != number {
		t.Fatalf("searchContact by %s's e-mail and first name: %v", number, found)
	}
	if got := call(contacts+"searchContact", map[string]any{"email": email, "firstName": first + "-not"}); len(got["contacts"].([]any)) != 0 {
		t.Fatalf("searchContact with another first name found %v", got)
	}
	saved := call(contacts+"saveIndividualContactData", map[string]any{"contactData": map[string]any{"contactNumber": number, "cellPhoneNumber": "+41 79 000 11 22"}})
	if list, _ := saved["culturalContactData"].([]any); len(list) != 1 || list[0].(map[string]any)["cellPhoneNumber"] != "+41 79 000 11 22" || list[0].(map[string]any)["email"] != email {
		t.Fatalf("saveIndividualContactData of venue contact %s: %v", number, saved)
	}
	if got := call(contacts+"getContactData", map[string]any{"contactNumber": number}); got["cellPhoneNumber"] != "+41 79 000 11 22" {
		t.Fatalf("getContactData after the change: %v", got)
	}
	order := call("/tnseb/backend-apis/externalOrderFacade/v1_33/createOrUpdateOrder", map[string]any{"pointOfSalesId": 1, "orderType": "RESERVATION",
		"purchasersInfo": []map[string]any{{"contactReference": number}}, "simpleProductOperations": []map[string]any{{"productCode": "P", "quantity": 1}}})
	if order["statusCode"] != "success" {
		t.Fatalf("booking for venue contact %s: %v", number, order)
	}
	if got := call(contacts+"getContactData", map[string]any{"contactNumber": "999999999"}); got["statusCode"] != "contact_not_found" {
		t.Fatalf("getContactData of an unknown number: %v", got)
	}
}
