package e2e

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/usher-hub/usher/internal/testdb"
)

const (
	throttleAdminKey = "throttle-admin-key-0123456789"
	throttlePushPass = "throttle-push-password-0123"
)

// clientFrom returns a client whose connections leave from the loopback
// address local (127.0.0.2 is a loopback address too on Linux), so one
// test can be two clients at two addresses.
func clientFrom(t *testing.T, local string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	return &http.Client{
		Transport:     &http.Transport{DialContext: d.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// throttledServer runs usher with an admin key and a push password,
// and returns its URL.
func throttledServer(t *testing.T) string {
	t.Helper()
	cfg := writeConfigYAML(t, `institutions: [{code: myvenue, auth: {mode: basic, username: s360, secret: `+throttlePushPass+`}}]`)
	return serveEnv(t, []string{"USHER_ADMIN_KEY=" + throttleAdminKey}, "--config", cfg, "--database", testdb.SQLite(t)).URL
}

type door struct {
	name string
	try  func(c *http.Client, base, secret string) *http.Response
	good string
}

var doors = []door{
	{"API key", func(c *http.Client, base, secret string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/quarantine", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		return do(c, req)
	}, throttleAdminKey},
	{"dashboard login", func(c *http.Client, base, secret string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, base+"/dashboard/login", strings.NewReader(url.Values{"key": {secret}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return do(c, req)
	}, throttleAdminKey},
	{"push password", func(c *http.Client, base, secret string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, base+"/s360/ticketchecks/myvenue", strings.NewReader(`[]`))
		req.SetBasicAuth("s360", secret)
		req.Header.Set("Content-Type", "application/json")
		return do(c, req)
	}, throttlePushPass},
}

func do(c *http.Client, req *http.Request) *http.Response {
	res, err := c.Do(req)
	if err != nil {
		panic(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// TestFailedAuthenticationIsThrottled: at each door (API key, dashboard
// login, push), wrong secrets from one address soon get 429 with a
// Retry-After, and are refused before being checked, while the right
// secret from another address still works.
func TestFailedAuthenticationIsThrottled(t *testing.T) {
	t.Parallel()
	for _, d := range doors {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			srv := throttledServer(t)
			guesser, venue := clientFrom(t, "127.0.0.1"), clientFrom(t, "127.0.0.2")
			var res *http.Response
			n := 0
			for n = 1; n <= 50; n++ {
				res = d.try(guesser, srv, "wrong-guess-"+strconv.Itoa(n)+"-0123456789")
				if res.StatusCode != http.StatusUnauthorized {
					break
				}
			}
			if res.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("guess %d: status %d, want 429 after a few 401s", n, res.StatusCode)
			}
			if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 {
				t.Fatalf("429 with Retry-After %q, want whole seconds", res.Header.Get("Retry-After"))
			}
			t.Logf("%s: 429 at guess %d", d.name, n)
			if res := d.try(guesser, srv, d.good); res.StatusCode != http.StatusTooManyRequests {
				t.Errorf("the right secret from the blocked address: %d, want 429 (not even checked)", res.StatusCode)
			}
			if res := d.try(venue, srv, d.good); res.StatusCode >= 400 {
				t.Errorf("the right secret from another address: %d, want success", res.StatusCode)
			}
		})
	}
}

// TestThrottleIsSharedAcrossDoors: wrong API keys from an address block
// its push attempts too, so a guesser cannot spread over the doors.
func TestThrottleIsSharedAcrossDoors(t *testing.T) {
	t.Parallel()
	srv := throttledServer(t)
	guesser := clientFrom(t, "127.0.0.1")
	for n := range 20 {
		doors[0].try(guesser, srv, "wrong-guess-"+strconv.Itoa(n)+"-0123456789")
	}
	if res := doors[2].try(guesser, srv, "wrong-push-password-0123"); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a push from an address blocked for API key guessing: %d, want 429", res.StatusCode)
	}
}
