package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	fx "github.com/usher-hub/usher/internal/analytics/analyticstest"
)

func TestLoginSetsAHardenedSessionCookie(t *testing.T) {
	e := newEnv(t, "sqlite")
	c := e.browser(t)
	if res := e.get(t, c, "/dashboard/"); res.status != http.StatusSeeOther || res.header.Get("Location") != "/dashboard/login" {
		t.Fatalf("before login: %d %q, want a redirect to the login page", res.status, res.header.Get("Location"))
	}
	res := e.post(t, c, "/dashboard/login", url.Values{"key": {venueKey}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("login: %d %s", res.status, res.body)
	}
	cookie := res.header.Get("Set-Cookie")
	for _, attr := range []string{sessionCookie + "=", "HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=3600"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("session cookie %q lacks %s", cookie, attr)
		}
	}
	if strings.Contains(cookie, venueKey) || strings.Contains(cookie, "Secure") {
		t.Errorf("cookie %q carries the key, or Secure over plain HTTP", cookie)
	}
	if page := e.get(t, c, "/dashboard/"); page.status != http.StatusOK || !strings.Contains(page.body, "Sign out") {
		t.Fatalf("after login: %d", page.status)
	}
	if again := e.get(t, c, "/dashboard/login"); again.status != http.StatusSeeOther {
		t.Errorf("login page when signed in: %d, want a redirect to the overview", again.status)
	}
}

func TestSecureCookieOverTLS(t *testing.T) {
	e := newEnv(t, "sqlite")
	req := httpTestRequest(t, http.MethodPost, "https://usher.example/dashboard/login", url.Values{"key": {venueKey}})
	w := serve(e.h, req)
	if c := w.Header().Get("Set-Cookie"); w.Code != http.StatusSeeOther || !strings.Contains(c, "Secure") {
		t.Fatalf("login over TLS: %d, cookie %q, want Secure", w.Code, c)
	}
}

func TestLoginRefusesBadKeys(t *testing.T) {
	e := newEnv(t, "sqlite")
	for name, form := range map[string]url.Values{
		"unknown key": {"key": {"not-a-key"}},
		"empty key":   {"key": {""}},
		"no field":    {},
		"key prefix":  {"key": {venueKey[:10]}},
	} {
		c := e.browser(t)
		res := e.post(t, c, "/dashboard/login", form)
		if res.status != http.StatusUnauthorized || res.header.Get("Set-Cookie") != "" || !strings.Contains(res.body, "Unknown API key") {
			t.Errorf("%s: %d, cookie %q", name, res.status, res.header.Get("Set-Cookie"))
		}
	}
	huge := e.post(t, e.browser(t), "/dashboard/login", url.Values{"key": {strings.Repeat("k", maxLoginBytes)}})
	if huge.status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized form: %d, want 413", huge.status)
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	e := newEnv(t, "sqlite")
	c := e.browser(t)
	e.login(t, c, venueKey)
	res := e.post(t, c, "/dashboard/logout", nil)
	if res.status != http.StatusSeeOther || !strings.Contains(res.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: %d, cookie %q", res.status, res.header.Get("Set-Cookie"))
	}
	if page := e.get(t, c, "/dashboard/"); page.status != http.StatusSeeOther {
		t.Errorf("after logout: %d, want a redirect to the login page", page.status)
	}
}

func TestSessionsExpireAndCannotBeForged(t *testing.T) {
	e := newEnv(t, "sqlite")
	c := e.browser(t)
	e.login(t, c, venueKey)
	u := mustURL(t, e.srv.URL)
	cookie := c.Jar.Cookies(u)[0]
	payload, _, _ := strings.Cut(cookie.Value, ".")
	for name, value := range map[string]string{
		"no signature":     payload,
		"wrong signature":  payload + ".AAAA",
		"other payload":    "eyJuIjoieCIsImkiOlsiKiJdLCJlIjo5OTk5OTk5OTk5fQ." + strings.SplitN(cookie.Value, ".", 2)[1],
		"garbage":          "%%%",
		"signed elsewhere": (&sessions{secret: []byte("another secret, not the server's"), ttl: time.Hour, now: e.clock.now}).issue(principal("*"), false).Value,
	} {
		forged := e.browser(t)
		forged.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: value}})
		if res := e.get(t, forged, "/dashboard/"); res.status != http.StatusSeeOther {
			t.Errorf("%s: %d, want a redirect to the login page", name, res.status)
		}
	}
	e.clock.advance(59 * time.Minute)
	if res := e.get(t, c, "/dashboard/"); res.status != http.StatusOK {
		t.Fatalf("within the TTL: %d", res.status)
	}
	e.clock.advance(time.Minute)
	if res := e.get(t, c, "/dashboard/"); res.status != http.StatusSeeOther {
		t.Errorf("after the TTL: %d, want a redirect to the login page", res.status)
	}
}

func TestKeyScope(t *testing.T) {
	e := newEnv(t, "sqlite")
	c := e.browser(t)
	e.login(t, c, venueKey)
	page := e.get(t, c, "/dashboard/")
	if !strings.Contains(page.body, "<option selected>"+fx.Institution+"</option>") || strings.Contains(page.body, other) {
		t.Errorf("the picker of a %s key must list only %s", fx.Institution, fx.Institution)
	}
	for _, path := range []string{
		"/dashboard/?institution=" + other,
		"/dashboard/health?institution=" + other,
		"/dashboard/export/" + other + "/sales?format=csv",
		"/dashboard/?institution=nosuchvenue",
	} {
		if res := e.get(t, c, path); res.status != http.StatusNotFound || strings.Contains(res.body, "SECRET-OF-OTHER") {
			t.Errorf("%s: %d, want 404", path, res.status)
		}
	}
	health := e.get(t, c, "/dashboard/health")
	if health.status != http.StatusOK || strings.Contains(health.body, "SECRET-OF-OTHER") || !strings.Contains(health.body, "10000000099") {
		t.Errorf("health page of a %s key: %d, shows another institution's quarantine or not its own", fx.Institution, health.status)
	}
	admin := e.browser(t)
	e.login(t, admin, adminKey)
	if res := e.get(t, admin, "/dashboard/health?institution="+other); res.status != http.StatusOK || !strings.Contains(res.body, "SECRET-OF-OTHER") {
		t.Errorf("an all-institution key must read %s: %d", other, res.status)
	}
}

func TestCrossOriginPostsAreRefused(t *testing.T) {
	e := newEnv(t, "sqlite")
	c := e.browser(t)
	e.login(t, c, venueKey)
	for _, path := range []string{"/dashboard/login", "/dashboard/logout"} {
		req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(url.Values{"key": {venueKey}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		res := do(t, c, req)
		if res.status != http.StatusForbidden || res.header.Get("Set-Cookie") != "" {
			t.Errorf("cross-origin POST %s: %d, cookie %q; want 403 and no cookie change", path, res.status, res.header.Get("Set-Cookie"))
		}
	}
	if res := e.get(t, c, "/dashboard/"); res.status != http.StatusOK {
		t.Errorf("the refused logout logged the user out: %d", res.status)
	}
}

func TestSecurityHeadersAndNoInlineCode(t *testing.T) {
	e := newEnv(t, "sqlite")
	c := e.browser(t)
	login := e.get(t, c, "/dashboard/login")
	e.login(t, c, venueKey)
	for name, res := range map[string]response{
		"login": login, "overview": e.get(t, c, "/dashboard/?from=2023-02-09&to=2023-02-14"),
		"health": e.get(t, c, "/dashboard/health"), "error": e.get(t, c, "/dashboard/?from=nope"),
	} {
		if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q", name, csp)
		}
		if res.header.Get("X-Frame-Options") != "DENY" || res.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: framing or sniffing headers missing", name)
		}
		for _, inline := range []string{"<script", "<style", " style=", " onclick=", " onload=", "javascript:"} {
			if strings.Contains(strings.ToLower(res.body), inline) {
				t.Errorf("%s page holds inline code %q, which the CSP would block", name, inline)
			}
		}
	}
	css := e.get(t, c, "/dashboard/static/app.css")
	if css.status != http.StatusOK || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %q", css.status, css.header.Get("Content-Type"))
	}
}
