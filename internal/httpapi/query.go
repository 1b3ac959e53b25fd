package httpapi

import (
	"net/http"
	"net/url"

	"github.com/usher-hub/usher"
)

// Query parses the request's query string strictly. r.URL.Query() drops a
// parameter it cannot parse (one holding ';', say) without a word, so a
// filter the client meant would be ignored and a list answer everything;
// a malformed query string is an EINVALID error instead (400).
func Query(r *http.Request) (url.Values, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, usher.Errorf(usher.EINVALID, "malformed query string: %v", err)
	}
	return v, nil
}
