package e2e

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/usher-hub/usher/internal/testdb"
)

// A server started with no API key says, once, how to make one: on its
// output and on the dashboard's login page.
func TestServeWithoutKeySaysHowToSignIn(t *testing.T) {
	t.Parallel()
	p := start(t, []string{"USHER_DATABASE=" + testdb.SQLite(t), "USHER_LISTEN=127.0.0.1:0", "USHER_ADMIN_KEY="}, "serve")
	base := p.listening(t).URL
	p.stdout.waitFor(t, regexp.MustCompile(`No API key is configured.*USHER_ADMIN_KEY`), p.exited)
	res, err := http.Get(base + "/dashboard/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(page), "USHER_ADMIN_KEY") {
		t.Errorf("the login page does not say how to get a key:\n%s", page)
	}
	if n := strings.Count(p.stdout.String(), "No API key is configured"); n != 1 {
		t.Errorf("the hint is printed %d times, want once", n)
	}
	p.StopClean(t)

	with := start(t, []string{"USHER_DATABASE=" + testdb.SQLite(t), "USHER_LISTEN=127.0.0.1:0", "USHER_ADMIN_KEY=admin-key-0123456789abcdef"}, "serve")
	with.listening(t)
	with.StopClean(t)
	if strings.Contains(with.stdout.String(), "No API key") {
		t.Errorf("a server with a key still says there is none")
	}
}
