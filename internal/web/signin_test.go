package web

import (
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A login that ends at once (a zero TTL) is refused at start, naming the
// setting, rather than signing nobody in without a word.
func TestZeroTTLIsRefused(t *testing.T) {
	_, err := New(Options{TTL: 0, Secret: NewSecret(), Now: time.Now})
	if err == nil || !strings.Contains(err.Error(), "session_ttl") {
		t.Fatalf("New with TTL 0: %v, want an error naming dashboard.session_ttl", err)
	}
}

// A browser whose session has ended is told so on the login page, instead
// of being sent back to an empty form.
func TestEndedSessionIsExplained(t *testing.T) {
	e := newEnv(t, "sqlite")
	c := e.browser(t)
	e.login(t, c, venueKey)
	e.clock.advance(2 * time.Hour)
	res := e.get(t, c, "/dashboard/")
	if res.status != http.StatusSeeOther {
		t.Fatalf("expired session: %d, want a redirect", res.status)
	}
	page := e.get(t, c, res.header.Get("Location"))
	if !strings.Contains(page.body, "session has ended") {
		t.Errorf("login page after an expired session says nothing:\n%s", page.body)
	}
	fresh := e.get(t, e.browser(t), "/dashboard/")
	if loc := fresh.header.Get("Location"); loc != "/dashboard/login" {
		t.Errorf("a browser without a session is sent to %q, want the plain login page", loc)
	}
}

// The sign-in hint (how to get a first key) shows on the login page.
func TestSignInHintShows(t *testing.T) {
	e := newEnv(t, "sqlite", func(o *Options) { o.SignInHint = "set USHER_ADMIN_KEY and restart" })
	if page := e.get(t, e.browser(t), "/dashboard/login"); !strings.Contains(page.body, "set USHER_ADMIN_KEY and restart") {
		t.Errorf("login page lacks the hint:\n%s", page.body)
	}
}

type fixedMailbox []SentMail

func (m fixedMailbox) Sent() []SentMail { return m }

// The e-mails page lists caught e-tickets with their barcodes drawn, for
// a key of every institution only.
func TestMailPage(t *testing.T) {
	box := fixedMailbox{{To: "ann@example.org", Subject: "Your tickets", Text: "Dear Ann", Barcodes: []string{"4000000001", "4000000002"}}}
	e := newEnv(t, "sqlite", func(o *Options) { o.Mailbox = box })
	admin := e.browser(t)
	e.login(t, admin, adminKey)
	page := e.get(t, admin, "/dashboard/mail")
	if page.status != http.StatusOK || !strings.Contains(page.body, "ann@example.org") || !strings.Contains(page.body, "4000000002") ||
		!strings.Contains(page.body, `src="/dashboard/mail/1/barcode/2"`) {
		t.Fatalf("mail page: %d\n%s", page.status, page.body)
	}
	img := e.get(t, admin, "/dashboard/mail/1/barcode/2")
	if _, err := png.Decode(strings.NewReader(img.body)); err != nil || img.status != http.StatusOK {
		t.Errorf("barcode image: %d %v", img.status, err)
	}
	for _, path := range []string{"/dashboard/mail/2/barcode/1", "/dashboard/mail/1/barcode/3", "/dashboard/mail/x/barcode/1", "/dashboard/mail/0/barcode/0"} {
		if res := e.get(t, admin, path); res.status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, res.status)
		}
	}
	venue := e.browser(t)
	e.login(t, venue, venueKey)
	if res := e.get(t, venue, "/dashboard/mail"); res.status != http.StatusNotFound || strings.Contains(res.body, "ann@example.org") {
		t.Errorf("a one-venue key reads the e-mails: %d", res.status)
	}
	if res := e.get(t, venue, "/dashboard/mail/1/barcode/1"); res.status != http.StatusNotFound {
		t.Errorf("a one-venue key reads a barcode: %d", res.status)
	}
}

// The default range starts on the first day with data, not 30 days back;
// a range the user chose is kept as chosen.
func TestDefaultRangeFitsTheData(t *testing.T) {
	e := newEnv(t, "sqlite")
	c := e.browser(t)
	e.login(t, c, venueKey)
	if page := e.get(t, c, "/dashboard/"); !strings.Contains(page.body, `name="from" value="2023-02-09"`) {
		t.Errorf("default range does not fit the data (first day 2023-02-09):\n%s", page.body)
	}
	if page := e.get(t, c, "/dashboard/?from=2023-01-01&to=2023-02-14"); !strings.Contains(page.body, `name="from" value="2023-01-01"`) {
		t.Errorf("a chosen range was changed")
	}
}
