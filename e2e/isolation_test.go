package e2e

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/usher-hub/usher/client"
	"github.com/usher-hub/usher/internal/testdb"
)

// isolationConfig configures two institutions with every feature on (push,
// CRM destinations, S-360 API, Centaman), and a key scoped to each. The
// upstream and CRM addresses are closed loopback ports: no call is needed.
const isolationConfig = `
institutions:
  - code: venue-a
    auth: {mode: none}
    crm_destinations: [{name: crm, url: "http://127.0.0.1:9/a", signing_secret: whsec_YWFhYWFhYWFhYWFhYWFhYQ==}]
    s360_api: {base_url: "http://127.0.0.1:9", operator: A_CRM, partner: usher, secret: s360-a}
    centaman: {url: "http://127.0.0.1:9/CENTAMAN.API", username: web, password: pw-a}
  - code: venue-b
    auth: {mode: none}
    crm_destinations: [{name: crm, url: "http://127.0.0.1:9/b", signing_secret: whsec_YmJiYmJiYmJiYmJiYmJiYg==}]
    s360_api: {base_url: "http://127.0.0.1:9", operator: B_CRM, partner: usher, secret: s360-b}
    centaman: {url: "http://127.0.0.1:9/CENTAMAN.API", username: web, password: pw-b}
api_keys:
  - {name: key-a, secret: key-of-venue-a-0123456789, institutions: [venue-a]}
  - {name: key-b, secret: key-of-venue-b-0123456789, institutions: [venue-b]}
outbox: {workers: -1}
`

// TestNoKeyCrossesInstitutions is the security promise of issue 8: a key
// for institution A never reads or writes B's data, through any route the
// API documents. It walks every path of docs/openapi.yaml that names an
// institution, on both engines, and asks for B's data with A's key.
func TestNoKeyCrossesInstitutions(t *testing.T) {
	t.Parallel()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			srv := isolationServer(t, engine)
			ctx, keyA, keyB := context.Background(), client.New(srv, "key-of-venue-a-0123456789"), client.New(srv, "key-of-venue-b-0123456789")
			seedVenueB(t, srv)
			checked := 0
			for _, route := range institutionRoutes(t) {
				path := fillPath(route.path, "venue-b")
				status, body := call(t, srv, route.method, path, "key-of-venue-a-0123456789", nil)
				checked++
				if status != http.StatusNotFound && status != http.StatusUnauthorized && status != http.StatusForbidden {
					t.Errorf("%s %s with venue-a's key: %d %s, want 404", route.method, path, status, clip(body))
				}
				if strings.Contains(body, "venue-b\"") && status != http.StatusNotFound {
					t.Errorf("%s %s leaks venue-b's data: %s", route.method, path, clip(body))
				}
			}
			if checked < 15 {
				t.Fatalf("only %d routes checked: the walk over docs/openapi.yaml is broken", checked)
			}
			// Listings without an institution in the path show only the
			// key's institutions, and refuse another by name.
			q, err := keyA.Quarantine(ctx, client.QuarantineQuery{})
			if err != nil || slices.ContainsFunc(q.Items, func(it client.QuarantineItem) bool { return it.Institution != "venue-a" }) {
				t.Errorf("the quarantine with venue-a's key: %+v %v", q, err)
			}
			ob, err := keyA.Outbox(ctx, "")
			if err != nil || slices.ContainsFunc(ob.Institutions, func(i client.InstitutionOutbox) bool { return i.Institution != "venue-a" }) {
				t.Errorf("the outbox with venue-a's key: %+v %v", ob, err)
			}
			if _, err := keyA.Quarantine(ctx, client.QuarantineQuery{Institution: "venue-b"}); client.StatusOf(err) != http.StatusNotFound {
				t.Errorf("venue-b's quarantine with venue-a's key: %v, want 404", err)
			}
			if _, err := keyA.Outbox(ctx, "venue-b"); client.StatusOf(err) != http.StatusNotFound {
				t.Errorf("venue-b's outbox with venue-a's key: %v, want 404", err)
			}
			// The control: B's own key reaches B's data, so the 404s above
			// are the scope at work, not a broken route.
			if q, err := keyB.Quarantine(ctx, client.QuarantineQuery{}); err != nil || len(q.Items) == 0 || q.Items[0].Institution != "venue-b" {
				t.Fatalf("venue-b's own key: %+v %v", q, err)
			}
			if _, err := keyB.Report(ctx, "venue-b", client.ReportSales, client.ReportQuery{}); err != nil {
				t.Fatalf("venue-b's own key on its sales: %v", err)
			}
			dashboardIsolation(t, srv)
		})
	}
}

// isolationServer runs usher with isolationConfig on engine and returns
// its URL.
func isolationServer(t *testing.T, engine string) string {
	t.Helper()
	return serve(t, "--config", writeConfigYAML(t, isolationConfig), "--database", testdb.DSN(t, engine)).URL
}

// seedVenueB gives B data worth stealing: contacts (and so CRM delivery
// jobs), checks, and a quarantined document.
func seedVenueB(t *testing.T, base string) {
	t.Helper()
	for stream, body := range map[string]string{
		"contacts":     `[{"contactNumber":"77","lastUpdateDate":"2023-02-09T10:12:01.118+00:00","email":"b@venue-b.example"}]`,
		"ticketchecks": `[{"ticket_check_id":1,"movement_id":2,"ticket_id":3,"barcode":"4","access_time":"2023-02-09 18:25:10","check_flow":"IN","result":"OK","failure_reason":"NO_FAIL"},{"barcode":"bad"}]`,
	} {
		if status, resp := call(t, base, "POST", "/s360/"+stream+"/venue-b", "", strings.NewReader(body)); status != http.StatusOK {
			t.Fatalf("seed %s: %d %s", stream, status, resp)
		}
	}
}

type route struct{ method, path string }

// institutionRoutes lists every documented operation whose path names an
// institution, except the push receivers (they use the upstream's
// credentials, tested in internal/ingest), the public storefront and the
// dashboard's session routes.
func institutionRoutes(t *testing.T) []route {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	var out []route
	for path, ops := range spec.Paths {
		// Dashboard routes take a session, not a key: dashboardIsolation.
		if !strings.Contains(path, "{institution}") || strings.HasPrefix(path, "/s360/") ||
			strings.HasPrefix(path, "/storefront/") || strings.HasPrefix(path, "/dashboard/") {
			continue
		}
		for method := range ops {
			switch method {
			case "get", "post", "put", "patch", "delete":
				out = append(out, route{strings.ToUpper(method), path})
			}
		}
	}
	return out
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

func fillPath(path, institution string) string {
	return pathParam.ReplaceAllStringFunc(path, func(p string) string {
		switch p {
		case "{institution}":
			return institution
		case "{report}":
			return "sales"
		}
		return "1"
	})
}

// dashboardIsolation signs in to the dashboard with A's key and asks for
// B's pages and exports.
func dashboardIsolation(t *testing.T, base string) {
	t.Helper()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm(base+"/dashboard/login", url.Values{"key": {"key-of-venue-a-0123456789"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(resp.Cookies()) != 1 {
		t.Fatalf("dashboard login with venue-a's key: %d, no session", resp.StatusCode)
	}
	session := resp.Cookies()[0]
	for _, path := range []string{"/dashboard/?institution=venue-b", "/dashboard/health?institution=venue-b", "/dashboard/export/venue-b/sales"} {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.AddCookie(session)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || strings.Contains(string(body), "b@venue-b") {
			t.Errorf("dashboard %s with venue-a's session: %d", path, resp.StatusCode)
		}
	}
}

func call(t *testing.T, base, method, path, key string, body io.Reader) (int, string) {
	t.Helper()
	if body == nil && method != "GET" {
		body = strings.NewReader(`{}`)
	}
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
