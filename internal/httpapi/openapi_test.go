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

// routePattern finds route registrations such as mux.Handle("GET /x", …).
var routePattern = regexp.MustCompile(`(?:Handle|HandleFunc)\("([A-Z]+) (/[^"]*)"`)

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
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range routePattern.FindAllStringSubmatch(string(src), -1) {
				method, route := strings.ToLower(m[1]), strings.TrimSuffix(m[2], "{$}")
				if undocumented[route] {
					continue
				}
				found++
				ops, ok := spec.Paths[route]
				if !ok {
					t.Errorf("%s registers %s %s, which docs/openapi.yaml does not describe", path, m[1], route)
					continue
				}
				if _, ok := ops[method]; !ok {
					t.Errorf("%s registers %s %s; docs/openapi.yaml describes the path but not the method", path, m[1], route)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if found < 10 {
		t.Fatalf("found only %d routes: the scan is broken", found)
	}
}
