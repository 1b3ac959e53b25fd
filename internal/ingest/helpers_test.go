package ingest

import (
	"net/http"
	"net/http/httptest"
	"strings"
)

type httpRequest struct{ *http.Request }

// newRequest builds a push request with the given headers; "basic" holds
// user:password for HTTP basic auth.
func newRequest(h map[string]string) *httpRequest {
	r := httptest.NewRequest(http.MethodPost, "/s360/contacts/a", strings.NewReader("[]"))
	for k, v := range h {
		if k == "basic" {
			user, pass, _ := strings.Cut(v, ":")
			r.SetBasicAuth(user, pass)
			continue
		}
		r.Header.Set(k, v)
	}
	return &httpRequest{r}
}
