package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Secrets of the server the OpenAPI test runs; each is 16 characters or
// more, as the configuration requires.
const (
	pushPassword     = "push-password-of-16+chars"
	adminKey         = "admin-key-of-at-least-16-chars"
	centamanPassword = "centaman-password-16+"
)

// pathValues are the values the test puts in each documented path
// parameter. A parameter missing here fails the test: add it.
var pathValues = map[string]string{
	"institution": "myvenue",
	"stream":      "ticketchecks",
	"report":      "sales",
	"hold":        "hold_that_does_not_exist",
	"id":          "job_that_does_not_exist",
	"code":        "1234567890.svg",
	"route":       "events",
	"checkout":    "checkout_that_does_not_exist",
	"event":       "event_that_does_not_exist",
	"message":     "1",
	"ticket":      "1",
	"external_id": "1",
	"version":     "1",
}

// TestOpenAPIMatchesTheServer calls every operation docs/openapi.yaml
// documents on a running usher (with a Centaman simulator behind its
// website layer) and validates each answer with kin-openapi: its status
// must be documented and its JSON body must match the schema.
func TestOpenAPIMatchesTheServer(t *testing.T) {
	ctx := context.Background()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(filepath.Join(repoRoot, "docs", "openapi.yaml"))
	if err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("docs/openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	base := startDocumentedServer(t)
	push(t, base) // so reports and quarantine have something to say

	paths := doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	statuses := map[string]int{}
	for _, path := range paths {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			name := method + " " + path
			t.Run(name, func(t *testing.T) {
				req := documentedRequest(t, base, path, method, item, op)
				resp, err := noRedirects.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				statuses[name] = resp.StatusCode
				validateAnswer(t, doc, req, path, method, item, op, resp, body)
			})
		}
	}
	// A documented route that answers only errors is not exercised: the
	// routes a configured server must serve are expected to succeed.
	for _, name := range []string{"GET /healthz", "GET /readyz", "GET /metrics", "POST /s360/{stream}/{institution}",
		"GET /api/v1/outbox", "GET /api/v1/quarantine", "GET /api/v1/analytics/{institution}/{report}",
		"GET /api/v1/analytics/{institution}/health", "GET /api/v1/site/{institution}/events",
		"GET /api/v1/site/{institution}/status", "GET /dashboard/login"} {
		if code, ok := statuses[name]; !ok || code/100 != 2 {
			t.Errorf("%s answered %d, want 2xx", name, code)
		}
	}
	t.Logf("answers: %v", statuses)
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// startDocumentedServer runs a Centaman simulator and usher configured
// with an institution that has every face: push auth, an API key, the
// website layer and the storefront.
func startDocumentedServer(t *testing.T) string {
	t.Helper()
	sim := exec.Command(usherBin, "sim", "centaman", "--listen", "127.0.0.1:0", "--days", "3", "--latency", "0s")
	sim.Env = append(os.Environ(), "CENTAMAN_PASSWORD="+centamanPassword)
	centaman := startProcess(t, sim, regexp.MustCompile(`Centaman simulator at (http://\S+)`))
	dir := t.TempDir()
	config := fmt.Sprintf(`database: sqlite:%s/usher.db
institutions:
  - code: myvenue
    auth: {mode: basic, username: s360, secret: %s}
    centaman:
      url: %s
      username: usher
      password: %s
api_keys:
  - name: admin
    secret: %s
    institutions: ["*"]
site:
  storefront: true
`, dir, pushPassword, centaman.URL, centamanPassword, adminKey)
	path := filepath.Join(dir, "usher.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(usherBin, "serve", "--config", path, "--listen", "127.0.0.1:0")
	cmd.Env = os.Environ()
	return startServer(t, cmd).URL
}

func push(t *testing.T, base string) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(repoRoot, "testdata/s360/ticketchecks.json"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", base+"/s360/ticketchecks/myvenue", bytes.NewReader(body))
	req.SetBasicAuth("s360", pushPassword)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("push: %s", resp.Status)
	}
}

// documentedRequest builds a request from what the document says: path
// values from pathValues, required query parameters from their example,
// default or first enum value, the body from the documented example, and
// the credentials its security names.
func documentedRequest(t *testing.T, base, path, method string, item *openapi3.PathItem, op *openapi3.Operation) *http.Request {
	t.Helper()
	target := path
	query := url.Values{}
	for _, p := range append(item.Parameters, op.Parameters...) {
		param := p.Value
		switch param.In {
		case "path":
			v, ok := pathValues[param.Name]
			if !ok {
				t.Fatalf("no test value for path parameter %q: add it to pathValues", param.Name)
			}
			target = strings.ReplaceAll(target, "{"+param.Name+"}", v)
		case "query":
			if param.Required {
				query.Set(param.Name, exampleValue(param))
			}
		}
	}
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	body, contentType := documentedBody(t, path, method, op)
	req, err := http.NewRequest(method, base+target, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if strings.HasPrefix(path, "/storefront/") {
		// The storefront's API takes same-origin requests only.
		req.Header.Set("Origin", base)
	}
	security := op.Security
	if security == nil {
		security = &openapi3.SecurityRequirements{}
	}
	// The first alternative is the one the test server is configured with.
	for _, req0 := range (*security)[:min(1, len(*security))] {
		for scheme := range req0 {
			switch scheme {
			case "pushBasic":
				req.SetBasicAuth("s360", pushPassword)
			case "apiKey":
				req.Header.Set("Authorization", "Bearer "+adminKey)
			}
		}
	}
	return req
}

func exampleValue(p *openapi3.Parameter) string {
	if p.Example != nil {
		return fmt.Sprint(p.Example)
	}
	if s := p.Schema; s != nil && s.Value != nil {
		if s.Value.Format == "date" {
			return time.Now().Format(time.DateOnly)
		}
		if s.Value.Default != nil {
			return fmt.Sprint(s.Value.Default)
		}
		if len(s.Value.Enum) > 0 {
			return fmt.Sprint(s.Value.Enum[0])
		}
	}
	return "x"
}

// documentedBody is the request body the document gives as an example,
// a sign-in form for the dashboard, or an empty JSON object.
func documentedBody(t *testing.T, path, method string, op *openapi3.Operation) (io.Reader, string) {
	t.Helper()
	if path == "/dashboard/login" && method == "POST" {
		return strings.NewReader(url.Values{"key": {adminKey}}.Encode()), "application/x-www-form-urlencoded"
	}
	if path == "/s360/{stream}/{institution}" {
		body, err := os.ReadFile(filepath.Join(repoRoot, "testdata/s360/ticketchecks.json"))
		if err != nil {
			t.Fatal(err)
		}
		return bytes.NewReader(body), "application/json"
	}
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil, ""
	}
	for ct, media := range op.RequestBody.Value.Content {
		var example any
		switch {
		case media.Example != nil:
			example = media.Example
		case media.Schema != nil && media.Schema.Value != nil && media.Schema.Value.Example != nil:
			example = media.Schema.Value.Example
		default:
			example = map[string]any{}
		}
		data, _ := json.Marshal(example)
		return bytes.NewReader(data), ct
	}
	return nil, ""
}

// validateAnswer checks the response against the operation: the status
// must be documented; a JSON body must match its schema. Bodies of other
// media types (HTML, SVG, Prometheus text) are checked for their type.
func validateAnswer(t *testing.T, doc *openapi3.T, req *http.Request, path, method string, item *openapi3.PathItem, op *openapi3.Operation, resp *http.Response, body []byte) {
	t.Helper()
	route := &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}
	params := map[string]string{}
	for name, v := range pathValues {
		params[name] = v
	}
	ct := resp.Header.Get("Content-Type")
	// JSON bodies are validated; others (HTML, SVG, Prometheus text) are
	// not, unless the document promises JSON for this status: then a
	// plain-text answer is drift too.
	promisesJSON := false
	if r := op.Responses.Status(resp.StatusCode); r != nil && r.Value != nil {
		promisesJSON = r.Value.Content.Get("application/json") != nil
	}
	if promisesJSON && !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s answered %d as %q; the document promises JSON:\n%.300s", method, req.URL.Path, resp.StatusCode, ct, body)
		return
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: !strings.HasPrefix(ct, "application/json")}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		t.Errorf("%s %s answered %d (%s) against the document:\n%v\nbody: %.600s", method, req.URL.Path, resp.StatusCode, ct, err, body)
	}
}
