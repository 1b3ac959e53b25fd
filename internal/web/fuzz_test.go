package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// FuzzLogin posts arbitrary bodies to the login form: only a configured
// key may ever get a session, and nothing but 303, 400, 401, 413 or 429
// (the address throttled after repeated wrong keys, when even a valid key
// is not checked) comes back.
func FuzzLogin(f *testing.F) {
	for _, seed := range []string{
		"key=" + venueKey, "key=" + url.QueryEscape(adminKey) + "&key=x", "key=", "", "key=%zz",
		"key=" + venueKey + "%00", "a=b&key=" + otherKey, strings.Repeat("key=x&", 1000), "key=%E2%82%AC", ";;;",
	} {
		f.Add(seed)
	}
	e := newEnv(f, "sqlite")
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/dashboard/login", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := serve(e.h, req)
		form, err := url.ParseQuery(body)
		key := form.Get("key")
		valid := err == nil && len(body) <= maxLoginBytes && (key == venueKey || key == otherKey || key == adminKey)
		gotCookie := strings.Contains(w.Header().Get("Set-Cookie"), sessionCookie+"=")
		throttled := w.Code == http.StatusTooManyRequests
		if (!throttled && valid != (w.Code == http.StatusSeeOther)) || (valid && !throttled) != gotCookie {
			t.Fatalf("body %q: status %d, cookie %v; valid key %v", body, w.Code, gotCookie, valid)
		}
		switch w.Code {
		case http.StatusSeeOther, http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		default:
			t.Fatalf("body %q: status %d", body, w.Code)
		}
		if strings.Contains(w.Body.String(), venueKey) {
			t.Fatalf("the page echoes the key")
		}
	})
}

// FuzzPageQuery sends arbitrary query strings to the overview, the health
// page and the export of a signed-in myvenue key: never a server error,
// never another institution's data.
func FuzzPageQuery(f *testing.F) {
	for _, seed := range []string{
		"", "institution=myvenue&from=2023-02-09&to=2023-02-14&interval=week", "institution=othervenue",
		"from=2023-02-14&to=2023-02-09", "from=0001-01-01&to=9999-12-31", "interval=hour", "interval=month&from=1900-01-01",
		"%zz", "institution=myvenue&institution=othervenue", "from=2023-02-09;to=x", "by=product&format=csv",
		"table=reasons&by=gate&format=csv", "format=json", "institution=%3Cscript%3E",
	} {
		f.Add(seed)
	}
	e := newEnv(f, "sqlite")
	cookie := e.h.sessions.issue(principal("myvenue"), false)
	f.Fuzz(func(t *testing.T, query string) {
		for _, path := range []string{"/dashboard/", "/dashboard/health", "/dashboard/export/myvenue/gates"} {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.URL.Path, req.URL.RawQuery = path, query
			req.AddCookie(cookie)
			w := serve(e.h, req)
			switch w.Code {
			case http.StatusOK, http.StatusBadRequest, http.StatusNotFound:
			default:
				t.Fatalf("%s?%s: status %d: %s", path, query, w.Code, w.Body)
			}
			// An error may quote the code asked for; a page never shows its data.
			if w.Code == http.StatusOK && strings.Contains(w.Body.String(), other) {
				t.Fatalf("%s?%s shows %s to a myvenue key", path, query, other)
			}
			if !strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'self'") {
				t.Fatalf("%s?%s: no CSP", path, query)
			}
			if strings.Contains(strings.ToLower(w.Body.String()), "<script") {
				t.Fatalf("%s?%s: a script tag reached the page", path, query)
			}
		}
	})
}

// FuzzMailPath asks for arbitrary message and ticket numbers of the
// e-mails page's barcodes: a PNG for one that exists, 404 otherwise,
// never a server error.
func FuzzMailPath(f *testing.F) {
	for _, seed := range [][2]string{{"1", "1"}, {"1", "2"}, {"0", "1"}, {"-1", "1"}, {"2", "1"}, {"99999999999999999999", "1"}, {"1", "x"}, {"%00", "1"}} {
		f.Add(seed[0], seed[1])
	}
	e := newEnv(f, "sqlite", func(o *Options) {
		o.Mailbox = fixedMailbox{{To: "ann@example.org", Barcodes: []string{"4000000001", "4000000002"}}}
	})
	cookie := e.h.sessions.issue(principal("*"), false)
	f.Fuzz(func(t *testing.T, msg, ticket string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL.Path = "/dashboard/mail/" + msg + "/barcode/" + ticket
		req.AddCookie(cookie)
		w := serve(e.h, req)
		m, err1 := strconv.Atoi(msg)
		n, err2 := strconv.Atoi(ticket)
		valid := err1 == nil && err2 == nil && m == 1 && (n == 1 || n == 2) && !strings.ContainsAny(msg+ticket, "/?#%")
		// The mux answers a path that is not clean with a redirect to its
		// clean form, which is then checked like any other.
		redirect := w.Code == http.StatusMovedPermanently || w.Code == http.StatusTemporaryRedirect
		if valid != (w.Code == http.StatusOK) || (w.Code != http.StatusOK && w.Code != http.StatusNotFound && w.Code != http.StatusBadRequest && !redirect) {
			t.Fatalf("%s/%s: status %d", msg, ticket, w.Code)
		}
	})
}
