package s360api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/sim/s360"
	"github.com/usher-hub/usher/internal/sim/s360api"
)

// venueAt is the push simulator's venue as the API stand-in sees it, at a
// fixed venue time (cmd/usher's sharedVenue reads the feed's clock).
type venueAt struct {
	v  *s360.Venue
	at time.Time
}

func (va venueAt) Contact(n string) (json.RawMessage, bool) { return va.v.ContactAt(n, va.at) }
func (va venueAt) ContactsByEmail(e string) []json.RawMessage {
	return va.v.ContactsByEmailAt(e, va.at)
}
func (va venueAt) ChangeContact(n string, change func(map[string]any)) (json.RawMessage, bool) {
	return va.v.ChangeContactAt(n, va.at, change)
}
func (va venueAt) ContactChanged(n string, c json.RawMessage) {
	va.v.AddExternal(usher.StreamContacts, n, va.at, c)
}
func (va venueAt) OrderFinalised(id string, o json.RawMessage) {
	va.v.AddExternal(usher.StreamOrders, id, va.at, o)
}

// FuzzSimAPIOverAVenue sends arbitrary bodies to every method of a
// stand-in sharing a venue, most naming one of the venue's contacts: the
// stand-in answers in S-360's format and never fails, and whatever was
// written, the venue still pushes JSON documents.
func FuzzSimAPIOverAVenue(f *testing.F) {
	start := time.Date(2023, 2, 6, 0, 0, 0, 0, time.UTC)
	venue := s360.NewVenue(s360.VenueConfig{Seed: 1, Start: start, Scale: 0.2})
	at := start.Add(30 * time.Hour)
	var number, email string
	for _, e := range venue.Until(at) {
		var c struct{ ContactNumber, Email, Type string }
		if e.Stream == usher.StreamContacts && json.Unmarshal(e.Raw, &c) == nil && c.Type == "INDIVIDUAL" {
			number, email = c.ContactNumber, c.Email
			break
		}
	}
	if number == "" {
		f.Fatal("the venue generated no person")
	}
	for _, seed := range []struct{ method, body string }{
		{"getContactData", `{"contactNumber":"N","details":["GENERAL"]}`},
		{"searchContact", `{"email":"E"}`},
		{"saveIndividualContactData", `{"contactData":{"contactNumber":"N","cellPhoneNumber":"+41 79 000 00 00"}}`},
		{"saveIndividualContactData", `{"contactData":{"contactNumber":"N","individualContact":{"firstName":7},"addresses":null,"email":{"x":[1,2.5e300]}}}`},
		{"saveIndividualContactData", `{"contactData":{"contactNumber":"N","contactId":1,"lastUpdateDate":"x","individualContact":"flat"}}`},
		{"createOrUpdateOrder", `{"pointOfSalesId":1,"orderType":"OPTION","purchasersInfo":[{"contactReference":"N"}],"simpleProductOperations":[{"productCode":"P","quantity":1}]}`},
		{"closeOrder", `{"orderId":10000800001}`},
	} {
		f.Add(seed.method, []byte(strings.NewReplacer(`"N"`, `"`+number+`"`, `"E"`, `"`+email+`"`).Replace(seed.body)))
	}
	_, srv, clk := newSimWith(f, s360api.Config{RateLimit: 1 << 30, Venue: venueAt{v: venue, at: at}})
	f.Fuzz(func(t *testing.T, method string, body []byte) {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/tnco/backend-apis/contactInformationPublicService/v2_21/"+url.PathEscape(method), bytes.NewReader(body))
		if err != nil {
			return // a method name that makes no URL
		}
		switch method {
		case "createOrUpdateOrder":
			req.URL.Path = "/tnseb/backend-apis/externalOrderFacade/v1_33/" + method
		case "closeOrder":
			req.URL.Path = "/tnseb/backend-apis/externalOrderService/v1_33/" + method
		}
		req.Header.Set("Authorization", "Bearer "+token(clk.Now(), "pw"))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out["statusCode"] == nil || resp.StatusCode >= 500 {
			t.Fatalf("%s %q: %d %v", method, body, resp.StatusCode, out)
		}
		for _, e := range venue.Until(at) {
			if !json.Valid(e.Raw) {
				t.Fatalf("after %s %q the venue pushes %s %s as %q", method, body, e.Stream, e.ExternalID, e.Raw)
			}
		}
	})
}
