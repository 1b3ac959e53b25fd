package site_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/site"
	"github.com/usher-hub/usher/internal/site/sitetest"
	"github.com/usher-hub/usher/internal/testdb"
)

const memberPassword = "hunter2-not-for-usher"

// createMemberWithPassword creates a member in the simulator as the
// venue's own systems would, with a password Centaman then echoes in its
// member records, and returns its MemberCode.
func createMemberWithPassword(t *testing.T, e *sitetest.Env, email string) int64 {
	t.Helper()
	var created []map[string]any
	status := e.Centaman("POST", "member_services/Member", []map[string]any{{"FirstName": "Ada", "LastName": "Lovelace",
		"Email": email, "Password": memberPassword, "IsPrimary": true}}, &created)
	if status != http.StatusCreated || len(created) != 1 {
		t.Fatalf("create member in the simulator: %d %v", status, created)
	}
	code, err := created[0]["MemberCode"].(json.Number).Int64()
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// centamanMember is the member record as Centaman serves it now, without
// its Password, which the test requires Centaman to send.
func centamanMember(t *testing.T, e *sitetest.Env, code int64) map[string]any {
	t.Helper()
	var served []map[string]any
	if status := e.Centaman("GET", "member_services/Member/"+strconv.FormatInt(code, 10), nil, &served); status != http.StatusOK || len(served) != 1 {
		t.Fatalf("read member %d: %d %v", code, status, served)
	}
	if served[0]["Password"] != memberPassword {
		t.Fatalf("the simulator does not send the password, so this test would prove nothing: %v", served[0])
	}
	delete(served[0], "Password")
	return served[0]
}

// A member record that carries a Password is copied when linked, and
// again by the sync after it changed in Centaman: each stored version
// lacks the Password, holds everything else Centaman sent, and carries
// the hash of what is stored.
func TestSyncedMemberIsStoredWithoutItsPassword(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			e := sitetest.New(t, sitetest.Options{Engine: engine})
			code := createMemberWithPassword(t, e, "ada@example.org")
			atLink := centamanMember(t, e, code)
			if status := e.JSON("POST", sitetest.Path("members/links"), site.LinkRequest{Identity: "web-ada", Email: "ada@example.org"}, nil); status != http.StatusOK {
				t.Fatalf("link: %d", status)
			}
			if status := e.Centaman("POST", "member_services/Membership?isNew=true", []map[string]any{{"MemberCode": code, "TypeCode": 11,
				"Cost": 95.0, "Tax": 8.64, "Paid": 95.0, "JoinDate": "2026-05-01", "ExpiryDate": "2027-05-01", "PaymentGatewayReference": "pg-ada"}}, nil); status != http.StatusCreated {
				t.Fatalf("membership bought in Centaman: %d", status)
			}
			atSync := centamanMember(t, e, code)
			if res := e.Sync(); res.Members != 1 {
				t.Fatalf("sync copied %d members, want the linked one", res.Members)
			}
			docs, err := e.Store.FindDocuments(context.Background(), usher.DocumentFilter{Institution: sitetest.Institution,
				Stream: usher.StreamCentamanMember, ExternalID: strconv.FormatInt(code, 10), AllVersions: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != 2 {
				t.Fatalf("%d stored versions, want 2 (linked, then synced after the change)", len(docs))
			}
			for i, want := range []map[string]any{atSync, atLink} { // newest first
				d := docs[i]
				if bytes.Contains(d.Raw, []byte("Password")) || bytes.Contains(d.Raw, []byte(memberPassword)) {
					t.Fatalf("stored member holds the password: %s", d.Raw)
				}
				var got map[string]any
				dec := json.NewDecoder(bytes.NewReader(d.Raw))
				dec.UseNumber()
				if err := dec.Decode(&got); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("stored version %d differs from Centaman's record beyond the password:\n got %v\nwant %v", i, got, want)
				}
				if h, err := usher.HashJSON(d.Raw); err != nil || h != d.Hash {
					t.Fatalf("stored hash %s is not the hash %s of the stored content (%v)", d.Hash, h, err)
				}
			}
		})
	}
}

// A member record refused by its schema is logged with its violations,
// and without the password.
func TestRefusedMemberIsLoggedWithoutItsPassword(t *testing.T) {
	logs := &lockedBuffer{}
	e := sitetest.New(t, sitetest.Options{Engine: testdb.Engines[0], Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Validator: refuseMembers{sitetest.Schemas(t)}})
	centamanMember(t, e, createMemberWithPassword(t, e, "ada@example.org"))
	if status := e.JSON("POST", sitetest.Path("members/links"), site.LinkRequest{Identity: "web-ada", Email: "ada@example.org"}, nil); status != http.StatusServiceUnavailable {
		t.Fatalf("link of a refused member: %d, want 503", status)
	}
	out := logs.String()
	if !strings.Contains(out, "centaman document fails its schema") || !strings.Contains(out, "ada@example.org") {
		t.Fatalf("the refused member was not logged:\n%s", out)
	}
	if strings.Contains(out, memberPassword) {
		t.Fatalf("the log holds the member's password:\n%s", out)
	}
}

// refuseMembers refuses every member record.
type refuseMembers struct{ usher.Validator }

func (v refuseMembers) Validate(institution, docType string, raw []byte) []usher.Violation {
	if docType == usher.DocCentamanMember {
		return []usher.Violation{{Path: "$", Message: "refused by the test"}}
	}
	return v.Validator.Validate(institution, docType, raw)
}

// lockedBuffer is a log sink the service's goroutines may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var _ io.Writer = (*lockedBuffer)(nil)
