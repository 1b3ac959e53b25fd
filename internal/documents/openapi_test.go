package documents

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// TestAnswersMatchOpenAPI validates the API's answers, successes and
// errors, against docs/openapi.yaml. The e2e OpenAPI test reaches these
// routes with the ticketchecks stream only (400s); this one stores orders.
func TestAnswersMatchOpenAPI(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	h := newAPI(t)
	const base = "/api/v1/documents/myvenue/orders"
	for _, c := range []struct {
		path, target string
		params       map[string]string
		status       int
	}{
		{"/api/v1/documents/{institution}/{stream}", base + "?path=$.orderDetailsData.orderState&equals=PAID&limit=1", nil, 200},
		{"/api/v1/documents/{institution}/{stream}", base + "?valid=quarantined", nil, 200},
		{"/api/v1/documents/{institution}/{stream}", base + "?path=$..x&equals=1", nil, 400},
		{"/api/v1/documents/{institution}/{stream}", "/api/v1/documents/elsewhere/orders", map[string]string{"institution": "elsewhere"}, 404},
		{"/api/v1/documents/{institution}/{stream}/{external_id}", base + "/42", nil, 200},
		{"/api/v1/documents/{institution}/{stream}/{external_id}", base + "/43", map[string]string{"external_id": "43"}, 404},
		{"/api/v1/documents/{institution}/{stream}/{external_id}/versions/{version}", base + "/42/versions/2", map[string]string{"version": "2"}, 200},
		{"/api/v1/documents/{institution}/{stream}/{external_id}/versions/{version}", base + "/42/versions/9", map[string]string{"version": "9"}, 404},
		{"/api/v1/documents/{institution}/{stream}/{external_id}/diff", base + "/42/diff?from=1&to=3", nil, 200},
		{"/api/v1/documents/{institution}/{stream}/{external_id}/diff", base + "/42/diff?from=2&to=2", nil, 200},
		{"/api/v1/documents/{institution}/{stream}/{external_id}/diff", base + "/42/diff?from=x&to=2", nil, 400},
	} {
		w := get(h, venueKey, c.target)
		if w.Code != c.status {
			t.Errorf("GET %s: %d, want %d: %s", c.target, w.Code, c.status, w.Body)
			continue
		}
		item := doc.Paths.Value(c.path)
		op := item.Get
		params := map[string]string{"institution": "myvenue", "stream": "orders", "external_id": "42", "version": "1"}
		for k, v := range c.params {
			params[k] = v
		}
		req, _ := http.NewRequest(http.MethodGet, "http://usher"+c.target, nil)
		route := &routers.Route{Spec: doc, Path: c.path, PathItem: item, Method: http.MethodGet, Operation: op}
		ct := w.Header().Get("Content-Type")
		opts := &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: !strings.HasPrefix(ct, "application/json")}
		input := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
			Status:                 w.Code, Header: w.Header(), Body: io.NopCloser(bytes.NewReader(w.Body.Bytes())), Options: opts,
		}
		if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
			t.Errorf("GET %s answered %d against docs/openapi.yaml: %v\n%s", c.target, w.Code, err, w.Body)
		}
	}
}
