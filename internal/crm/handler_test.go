package crm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/crm"
	"github.com/usher-hub/usher/internal/httpapi"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/store"
)

type bundle struct {
	store   *store.Store
	metrics *metrics.Outbox
	srv     *httptest.Server
}

// setup serves the CRM API over a real SQLite store; key "crm" may write
// for myvenue (which has an S-360 API) and nosync (which has none).
func setup(t testing.TB) *bundle {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "usher.db"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	st.RouteDeliveries([]usher.DeliveryRoute{{Institution: "myvenue", Stream: usher.StreamContacts, Destination: "extcrm"}})
	m := metrics.NewOutbox(prometheus.NewRegistry())
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := crm.NewService(st, map[string]int{"myvenue": 5}, m, logger, time.Now, nil)
	mux := http.NewServeMux()
	crm.NewHandler(svc, logger).Mount(mux, httpapi.NewAPIKeys([]usher.APIKey{
		{Name: "crm", Secret: "crm-key", Institutions: []string{"myvenue", "nosync"}},
		{Name: "other", Secret: "other-key", Institutions: []string{"elsewhere"}},
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &bundle{store: st, metrics: m, srv: srv}
}

func (b *bundle) do(t testing.TB, method, path, key, idem string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, b.srv.URL+path, bytes.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	resp, err := b.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

func TestContactRequests(t *testing.T) {
	b := setup(t)
	for _, tc := range []struct {
		name, path, key, body string
		status                int
		want                  string // in the answer
	}{
		{"create", "/api/v1/crm/myvenue/contacts", "crm-key", `{"reference":"crm-1","contact":{"email":"a@b.example","individualContact":{"lastName":"Lee"}}}`, 202, `"tracking_id":"job_`},
		{"update", "/api/v1/crm/myvenue/contacts", "crm-key", `{"contact":{"contactNumber":"3346662","email":"a@b.example"}}`, 202, `"state":"queued"`},
		{"unknown field", "/api/v1/crm/myvenue/contacts", "crm-key", `{"contact":{"email":"a@b.example"},"contakt":1}`, 400, `unknown field`},
		{"not JSON", "/api/v1/crm/myvenue/contacts", "crm-key", `{"contact":`, 400, `"code":"invalid"`},
		{"S-360's fields", "/api/v1/crm/myvenue/contacts", "crm-key", `{"contact":{"contactNumber":"1","lastUpdateDate":"x","email":"a@b.example"}}`, 422, `$.contact.lastUpdateDate`},
		{"bad email", "/api/v1/crm/myvenue/contacts", "crm-key", `{"contact":{"email":"not an email"}}`, 422, `$.contact.email`},
		{"nothing to write", "/api/v1/crm/myvenue/contacts", "crm-key", `{"contact":{"contactNumber":"1"}}`, 422, `holds no field`},
		{"create without a name", "/api/v1/crm/myvenue/contacts", "crm-key", `{"contact":{"cellPhoneNumber":"+41"}}`, 422, `needs an email`},
		{"no key", "/api/v1/crm/myvenue/contacts", "", `{}`, 401, `"code":"unauthorized"`},
		{"another institution's key", "/api/v1/crm/myvenue/contacts", "other-key", `{}`, 404, `"code":"not_found"`},
		{"no S-360 API", "/api/v1/crm/nosync/contacts", "crm-key", `{"contact":{"email":"a@b.example"}}`, 404, `no S-360 API`},
		{"booking", "/api/v1/crm/myvenue/bookings", "crm-key", `{"contactNumber":"3346662","orderType":"OPTION","items":[{"productCode":"PERMCOL","quantity":2}]}`, 202, `"tracking_id"`},
		{"booking type", "/api/v1/crm/myvenue/bookings", "crm-key", `{"contactNumber":"3346662","orderType":"GIFT","items":[{"productCode":"PERMCOL","quantity":2}]}`, 422, `$.orderType`},
		{"booking items", "/api/v1/crm/myvenue/bookings", "crm-key", `{"contactNumber":"3346662","orderType":"SALE","items":[{"quantity":0}]}`, 422, `$.items[0].quantity`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, raw := b.do(t, http.MethodPost, tc.path, tc.key, "", []byte(tc.body))
			if status != tc.status || !strings.Contains(string(raw), tc.want) {
				t.Fatalf("%d %s, want %d with %q", status, raw, tc.status, tc.want)
			}
		})
	}
	t.Run("too large", func(t *testing.T) {
		big := `{"contact":{"email":"a@b.example","note":"` + strings.Repeat("x", crm.MaxRequestBytes) + `"}}`
		if status, raw := b.do(t, http.MethodPost, "/api/v1/crm/myvenue/contacts", "crm-key", "", []byte(big)); status != 413 {
			t.Fatalf("%d %s, want 413", status, raw)
		}
	})
}

func TestIdempotencyKeyAndStatus(t *testing.T) {
	b := setup(t)
	body := []byte(`{"contact":{"contactNumber":"9","email":"a@b.example"}}`)
	_, raw := b.do(t, http.MethodPost, "/api/v1/crm/myvenue/contacts", "crm-key", "k-1", body)
	var first crm.Receipt
	if err := json.Unmarshal(raw, &first); err != nil {
		t.Fatal(err)
	}
	_, raw = b.do(t, http.MethodPost, "/api/v1/crm/myvenue/contacts", "crm-key", "k-1", body)
	var second crm.Receipt
	_ = json.Unmarshal(raw, &second)
	if second.TrackingID != first.TrackingID {
		t.Fatal("a resent request with the same Idempotency-Key must return the first receipt")
	}
	if status, _ := b.do(t, http.MethodPost, "/api/v1/crm/myvenue/contacts", "crm-key", "k-1", []byte(`{"contact":{"contactNumber":"9","email":"c@d.example"}}`)); status != http.StatusConflict {
		t.Fatalf("another body under the same key: %d, want 409", status)
	}
	status, raw := b.do(t, http.MethodGet, first.StatusURL, "crm-key", "", nil)
	var st crm.RequestStatus
	if err := json.Unmarshal(raw, &st); status != 200 || err != nil || st.State != usher.JobQueued || st.Kind != usher.KindS360SaveContact {
		t.Fatalf("GET %s: %d %s", first.StatusURL, status, raw)
	}
	if status, _ := b.do(t, http.MethodGet, "/api/v1/crm/elsewhere/requests/"+first.TrackingID, "other-key", "", nil); status != 404 {
		t.Fatalf("another institution's request: %d, want 404", status)
	}
}

func TestConflictWhenAnS360ChangeIsUndelivered(t *testing.T) {
	b := setup(t)
	raw := json.RawMessage(`{"contactNumber":"42","email":"a@s360.example"}`)
	h, _ := usher.HashJSON(raw)
	if _, err := b.store.SaveDocuments(context.Background(), []usher.Document{{Institution: "myvenue", Stream: usher.StreamContacts,
		ExternalID: "42", Hash: h, Raw: raw}}); err != nil {
		t.Fatal(err)
	}
	_, body := b.do(t, http.MethodPost, "/api/v1/crm/myvenue/contacts", "crm-key", "", []byte(`{"contact":{"contactNumber":"42","email":"a@crm.example"}}`))
	var rc crm.Receipt
	if err := json.Unmarshal(body, &rc); err != nil || !rc.Conflict {
		t.Fatalf("receipt %s: want a conflict, S-360's version 1 is still on its way to the CRM", body)
	}
	var m dto.Metric
	if err := b.metrics.Conflicts.WithLabelValues("myvenue").Write(&m); err != nil {
		t.Fatal(err)
	}
	if got := m.GetCounter().GetValue(); got != 1 {
		t.Fatalf("conflicts counted = %v, want 1", got)
	}
	_, body = b.do(t, http.MethodPost, "/api/v1/crm/myvenue/contacts", "crm-key", "", []byte(`{"contact":{"contactNumber":"7","email":"a@crm.example"},"base_version":0}`))
	if err := json.Unmarshal(body, &rc); err != nil || rc.Conflict {
		t.Fatalf("receipt %s: a contact usher never saw is no conflict", body)
	}
}

// FuzzCRMContacts sends arbitrary bodies to POST .../contacts: every
// answer is 202 or a JSON client error, never a 5xx.
func FuzzCRMContacts(f *testing.F) {
	for _, seed := range []string{
		`{"reference":"crm-1","contact":{"email":"a@b.example","individualContact":{"lastName":"Lee"}}}`,
		`{"contact":{"contactNumber":"3346662","addresses":[{"city":"Bern"}],"authorizations":[]},"base_version":3}`,
		`{"contact":{"individualContact":"Lee"}}`, `{"contact":[]}`, `{"contact":null}`, `[]`, `null`, ``, `{"contact":{"email":7}}`,
		`{"contact":{"contactNumber":12}}`, `{"contact":{"email":"a@b.example"},"base_version":-1}`, "{\"contact\":{\"email\":\"\xff@b\"}}",
		`{"contact":{"individualContact":{"lastName":"NoEmail"}}}`,
	} {
		f.Add([]byte(seed))
	}
	b := setup(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		checkAnswer(t, b, "/api/v1/crm/myvenue/contacts", body)
	})
}

// FuzzCRMBookings does the same for POST .../bookings.
func FuzzCRMBookings(f *testing.F) {
	for _, seed := range []string{
		`{"contactNumber":"3346662","orderType":"OPTION","items":[{"productCode":"PERMCOL","quantity":2}],"reference":"opp-1"}`,
		`{"contactNumber":"3346662","orderType":"SALE","items":[{"productId":10228231108335,"performanceId":1,"quantity":1}]}`,
		`{"contactNumber":"3346662","orderType":"RESERVATION","items":[{"productCode":"PERMCOL","quantity":3}],"reference":"opp-2"}`,
		`{"contactNumber":"3346662","orderType":"REFUND_CLIENT","items":[{"productCode":"PERMCOL","quantity":3}]}`,
		`{"contactNumber":"","orderType":"SALE","items":[]}`, `{"items":[{"productId":"x"}]}`, `{}`, `7`,
	} {
		f.Add([]byte(seed))
	}
	b := setup(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		checkAnswer(t, b, "/api/v1/crm/myvenue/bookings", body)
	})
}

func checkAnswer(t *testing.T, b *bundle, path string, body []byte) {
	status, raw := b.do(t, http.MethodPost, path, "crm-key", "", body)
	switch status {
	case http.StatusAccepted:
		var rc crm.Receipt
		if err := json.Unmarshal(raw, &rc); err != nil || rc.TrackingID == "" {
			t.Fatalf("202 with body %s", raw)
		}
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge:
		var e httpapi.ErrorBody
		if err := json.Unmarshal(raw, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("%d with body %s: want a JSON error", status, raw)
		}
	default:
		t.Fatalf("status %d for body %q: %s", status, body, raw)
	}
}

// FuzzCRMRequestStatus asks for arbitrary tracking ids: 200 for the one
// that exists, a JSON 404 for anything else.
func FuzzCRMRequestStatus(f *testing.F) {
	b := setup(f)
	_, raw := b.do(f, http.MethodPost, "/api/v1/crm/myvenue/contacts", "crm-key", "", []byte(`{"contact":{"contactNumber":"1","email":"a@b.example"}}`))
	var rc crm.Receipt
	if err := json.Unmarshal(raw, &rc); err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{rc.TrackingID, "job_", "", "..", "job_%00", strings.Repeat("9", 300)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		status, raw := b.do(t, http.MethodGet, "/api/v1/crm/myvenue/requests/"+url.PathEscape(id), "crm-key", "", nil)
		switch {
		case id == rc.TrackingID && status == http.StatusOK:
		case id != rc.TrackingID && (status == http.StatusNotFound || status == http.StatusMovedPermanently):
			// 301: the mux cleans paths such as "..".
		default:
			t.Fatalf("id %q: %d %s", id, status, raw)
		}
	})
}
