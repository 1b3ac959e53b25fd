package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
)

func TestSessionRoundTripAndTampering(t *testing.T) {
	now := time.Date(2023, 2, 9, 12, 0, 0, 0, time.UTC)
	s, err := newSessions(strings.Repeat("s", 32), time.Hour, false, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.issue(rec, usher.Principal{Name: "manager", Institutions: []string{"myvenue"}})
	value := rec.Result().Cookies()[0].Value
	p, err := s.decode(value)
	if err != nil || p.Name != "manager" || !p.Allows("myvenue") || p.Allows("othervenue") {
		t.Fatalf("decoded %+v, %v", p, err)
	}
	payload, sig, _ := strings.Cut(value, ".")
	forged := strings.Replace(payload, "e", "f", 1) + "." + sig
	if _, err := s.decode(forged); err == nil {
		t.Error("a changed payload was accepted")
	}
	other, _ := newSessions(strings.Repeat("t", 32), time.Hour, false, func() time.Time { return now })
	if _, err := other.decode(value); err == nil {
		t.Error("a cookie signed with another secret was accepted")
	}
	now = now.Add(time.Hour)
	if _, err := s.decode(value); err == nil {
		t.Error("an expired session was accepted")
	}
}

func TestRandomSecretWhenNoneIsConfigured(t *testing.T) {
	a, _ := newSessions("", time.Hour, false, time.Now)
	b, _ := newSessions("", time.Hour, false, time.Now)
	if len(a.secret) != 32 || string(a.secret) == string(b.secret) {
		t.Error("want a fresh 32-byte random secret per server")
	}
}

// FuzzSessionCookie feeds arbitrary cookie values to the decoder: it never
// panics and accepts nothing it did not sign.
func FuzzSessionCookie(f *testing.F) {
	s, _ := newSessions(strings.Repeat("s", 32), time.Hour, false, time.Now)
	rec := httptest.NewRecorder()
	s.issue(rec, usher.Principal{Name: "manager", Institutions: []string{"*"}})
	valid := rec.Result().Cookies()[0].Value
	for _, seed := range []string{valid, "", ".", "a.b", valid + "x", "eyJuIjoiYSJ9.", strings.Repeat(".", 100)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		p, err := s.decode(value)
		if err == nil && value != valid {
			t.Fatalf("accepted unsigned value %q as %+v", value, p)
		}
	})
}
