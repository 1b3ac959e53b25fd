package httpapi

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// routePattern finds route registrations such as mux.Handle("GET /x", …);
// prefixedPattern those that join a constant prefix, such as
// mux.HandleFunc("GET "+p+"events", …), resolved through constPattern.
var (
	routePattern    = regexp.MustCompile(`(?:Handle|HandleFunc)\("([A-Z]+) (/[^"]*)"`)
	prefixedPattern = regexp.MustCompile(`(?:Handle|HandleFunc)\("([A-Z]+) "\+(\w+)\+"([^"]*)"`)
	constPattern    = regexp.MustCompile(`const (\w+) = "(/[^"]*)"`)
)

// undocumented are routes that serve files, not an API.
var undocumented = map[string]bool{
	"/dashboard/static/":                      true,
	"/storefront/{institution}/assets/{file}": true,
	"/storefront/{institution}":               true, // redirect to the trailing slash
}

// TestOpenAPIDescribesEveryRoute keeps docs/openapi.yaml true: every route
// registered in the code must be described there with its method.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	raw, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	found := 0
	for _, root := range []string{"../../internal", "../../cmd"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() && path == filepath.Join(root, "sim") {
				return filepath.SkipDir // stand-ins of the upstreams and a CRM: their routes, not usher's
			}
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			check := func(method, route string) {
				route = strings.TrimSuffix(route, "{$}")
				if undocumented[route] {
					return
				}
				found++
				ops, ok := spec.Paths[route]
				if !ok {
					t.Errorf("%s registers %s %s, which docs/openapi.yaml does not describe", path, method, route)
					return
				}
				if _, ok := ops[strings.ToLower(method)]; !ok {
					t.Errorf("%s registers %s %s; docs/openapi.yaml describes the path but not the method", path, method, route)
				}
			}
			for _, m := range routePattern.FindAllStringSubmatch(string(src), -1) {
				check(m[1], m[2])
			}
			consts := map[string]string{}
			for _, m := range constPattern.FindAllStringSubmatch(string(src), -1) {
				consts[m[1]] = m[2]
			}
			for _, m := range prefixedPattern.FindAllStringSubmatch(string(src), -1) {
				prefix, ok := consts[m[2]]
				if !ok {
					t.Errorf("%s registers %s %s+%q with a prefix this test cannot resolve: declare it as a const in the same file", path, m[1], m[2], m[3])
					continue
				}
				check(m[1], prefix+m[3])
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if found < 40 {
		t.Fatalf("found only %d routes: the scan is broken", found)
	}
}
