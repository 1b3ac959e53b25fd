package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/privacy"
)

// RunErasure checks that forgetting a contact erases its personal data in
// every version of it and of its orders, leaves an audit record, and
// touches nothing else.
func RunErasure(t *testing.T, open OpenFunc) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	v1 := contact(t, "myvenue", "42", "Ada", "2023-01-01T00:00:00.000+00:00")
	v2 := contact(t, "myvenue", "42", "Adaline", "2023-02-01T00:00:00.000+00:00")
	other := contact(t, "myvenue", "43", "Grace", "2023-01-01T00:00:00.000+00:00")
	elsewhere := contact(t, "venue-b", "42", "Ada", "2023-01-01T00:00:00.000+00:00")
	hers := build(t, "myvenue", usher.StreamOrders, "900", map[string]any{"orderDetailsData": map[string]any{
		"orderId": 900, "contactNumber": "42", "saleAmount": 40000, "buyerFirstName": "Ada"}}, nil)
	theirs := build(t, "myvenue", usher.StreamOrders, "901", map[string]any{"orderDetailsData": map[string]any{
		"orderId": 901, "contactNumber": "43", "saleAmount": 1000, "buyerFirstName": "Grace"}}, nil)
	mustOutcomes(t, s, []usher.Document{v1, v2, other, elsewhere, hers, theirs},
		usher.OutcomeStored, usher.OutcomeStored, usher.OutcomeStored, usher.OutcomeStored, usher.OutcomeStored, usher.OutcomeStored)

	// A quarantined version of the contact (an invalid e-mail, say) and a
	// quarantined order naming it hold personal data too.
	badContact := []byte(`{"contactNumber":"42","email":"ada@","individualFirstname":"Ada"}`)
	badOrder := []byte(`{"orderDetailsData":{"orderId":"x","contactNumber":"42","buyerFirstName":"Ada"}}`)
	unrelated := []byte(`{"contactNumber":"420","individualFirstname":"Ada"}`)
	if _, err := s.SaveDocumentsAndQuarantine(ctx, nil, []usher.QuarantinedDocument{
		quarantined(t, usher.StreamContacts, "42", badContact),
		quarantined(t, usher.StreamOrders, "", badOrder),
		quarantined(t, usher.StreamContacts, "420", unrelated),
	}); err != nil {
		t.Fatal(err)
	}

	e, err := s.ForgetContact(ctx, usher.Erasure{Institution: "myvenue", ContactNumber: "42", Actor: "dpo", Reason: "request #7"}, privacy.Redact)
	if err != nil {
		t.Fatal(err)
	}
	if e.Rewritten["contact_versions"] != 2 || e.Rewritten["order_versions"] != 1 || e.Rewritten["quarantined"] != 2 {
		t.Fatalf("rewritten = %v, want 2 contact versions, 1 order and 2 quarantined", e.Rewritten)
	}
	q, err := s.FindQuarantined(ctx, usher.QuarantineFilter{Institutions: []string{"myvenue"}, Limit: 10})
	if err != nil || len(q) != 3 {
		t.Fatalf("quarantine: %d rows, %v", len(q), err)
	}
	for _, d := range q {
		holdsAda := strings.Contains(string(d.Raw), "Ada")
		if d.ExternalID == "420" != holdsAda {
			t.Errorf("quarantined %s %q after erasure: %s", d.Stream, d.ExternalID, d.Raw)
		}
	}
	for _, d := range find(t, s, usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamContacts, AllVersions: true}) {
		erased := strings.Contains(string(d.Raw), `"erased"`)
		if d.ExternalID == "42" && (!erased || strings.Contains(string(d.Raw), "Ada")) {
			t.Errorf("contact 42 version %d not erased: %s", d.Version, d.Raw)
		}
		if d.ExternalID == "43" && (erased || !strings.Contains(string(d.Raw), "Grace")) {
			t.Errorf("contact 43 was touched: %s", d.Raw)
		}
	}
	for _, d := range find(t, s, usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamOrders}) {
		var o struct {
			Data map[string]any `json:"orderDetailsData"`
		}
		_ = json.Unmarshal(d.Raw, &o)
		if d.ExternalID == "900" && (o.Data["buyerFirstName"] != nil || o.Data["saleAmount"] == nil) {
			t.Errorf("order 900 not redacted as expected: %s", d.Raw)
		}
		if d.ExternalID == "901" && o.Data["buyerFirstName"] != "Grace" {
			t.Errorf("order 901 was touched: %s", d.Raw)
		}
	}
	if got := find(t, s, usher.DocumentFilter{Institution: "venue-b", Stream: usher.StreamContacts}); !strings.Contains(string(got[0].Raw), "Ada") {
		t.Errorf("another institution's contact 42 was erased: %s", got[0].Raw)
	}
	// A resend of the erased content is recognised, not stored again.
	mustOutcomes(t, s, []usher.Document{v2}, usher.OutcomeDuplicate)

	audit, err := s.Erasures(ctx, "myvenue")
	if err != nil || len(audit) != 1 || audit[0].Actor != "dpo" || audit[0].Rewritten["contact_versions"] != 2 {
		t.Fatalf("audit = %+v, %v", audit, err)
	}
	if _, err := s.ForgetContact(ctx, usher.Erasure{Institution: "myvenue", ContactNumber: "nobody", Actor: "dpo"}, privacy.Redact); usher.ErrorCode(err) != usher.ENOTFOUND {
		t.Fatalf("unknown contact: %v, want not found", err)
	}
}

func quarantined(t *testing.T, stream usher.Stream, id string, raw []byte) usher.QuarantinedDocument {
	t.Helper()
	h, err := usher.HashJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	return usher.QuarantinedDocument{Institution: "myvenue", Stream: stream, DocType: usher.DocTypeOf(stream), ExternalID: id,
		Hash: h, Raw: raw, SchemaVersion: "test", Violations: []usher.Violation{{Path: "$", Message: "test"}}}
}

// RunErasureOfCRMWrites checks that a CRM write to S-360 naming the
// contact is erased once sent, and that an unsent one makes the erasure
// wait rather than be undone by the write.
func RunErasureOfCRMWrites(t *testing.T, open OpenFunc) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	payload := json.RawMessage(`{"contact":{"contactNumber":"42","email":"ada@example.org","individualContact":{"firstName":"Ada"}},"identifier":"crm-1"}`)
	_, err := s.EnqueueJobs(ctx, []usher.NewJob{{Institution: "myvenue", Kind: usher.KindS360SaveContact, OrderKey: "contact:42",
		IdempotencyKey: "w1", Payload: payload, MaxAttempts: 3, RunAt: time.Now().Add(-time.Minute)}})
	if err != nil {
		t.Fatal(err)
	}
	forget := func() (usher.Erasure, error) {
		return s.ForgetContact(ctx, usher.Erasure{Institution: "myvenue", ContactNumber: "42", Actor: "dpo"}, privacy.Redact)
	}
	if _, err := forget(); usher.ErrorCode(err) != usher.ECONFLICT {
		t.Fatalf("erasure with a queued write: %v, want a conflict", err)
	}
	claimed, err := s.ClaimJobs(ctx, usher.ClaimRequest{Owner: "test", Kinds: []string{usher.KindS360SaveContact}, Limit: 1, Now: time.Now(), LeaseUntil: time.Now().Add(time.Minute)})
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	if err := s.FinishJob(ctx, usher.JobFinish{ID: claimed[0].ID, LeaseToken: claimed[0].LeaseToken, State: usher.JobDone, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	e, err := forget()
	if err != nil || e.Rewritten["crm_writes"] != 1 {
		t.Fatalf("erasure after the write was sent: %+v %v", e, err)
	}
	got, err := s.FindJobs(ctx, usher.JobFilter{Institutions: []string{"myvenue"}, Limit: 10})
	if err != nil || len(got) != 1 {
		t.Fatalf("jobs: %v %v", got, err)
	}
	if p := string(got[0].Payload); strings.Contains(p, "Ada") || strings.Contains(p, "ada@") || !strings.Contains(p, `"crm-1"`) {
		t.Fatalf("job payload after erasure: %s", p)
	}
}
