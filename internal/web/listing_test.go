package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestNoDirectoryListing: the static files are served, their directory
// is not listed (it was: issue 16), signed in or not.
func TestNoDirectoryListing(t *testing.T) {
	e := newEnv(t, "sqlite")
	c := e.browser(t)
	for _, path := range []string{"/dashboard/static/", "/dashboard/static", "/dashboard/static/.", "/dashboard/static/%2e/"} {
		res := e.get(t, c, path)
		if res.status == http.StatusOK || strings.Contains(res.body, "app.css") {
			t.Errorf("GET %s: %d, lists the directory:\n%s", path, res.status, res.body)
		}
	}
	if res := e.get(t, c, "/dashboard/static/app.css"); res.status != http.StatusOK {
		t.Errorf("the stylesheet itself: %d", res.status)
	}
}
