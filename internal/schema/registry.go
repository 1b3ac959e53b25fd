package schema

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/usher-hub/usher"
)

//go:embed schemas/*.yaml
var builtinFS embed.FS

// Registry holds the schemas in force: the built-in ones, overridden by
// files of a configured directory, for every institution or for one. It
// implements usher.Validator and is safe for concurrent use.
type Registry struct {
	builtin map[string]*Schema
	shared  map[string]*Schema            // DIR/TYPE.yaml
	byInst  map[string]map[string]*Schema // DIR/INSTITUTION/TYPE.yaml
	drift   *DriftReporter
}

var _ usher.Validator = (*Registry)(nil)

// Load compiles the built-in schemas and, when dir is not empty, the
// override files in it. drift receives unknown fields; nil ignores them.
func Load(dir string, drift *DriftReporter) (*Registry, error) {
	r := &Registry{shared: map[string]*Schema{}, byInst: map[string]map[string]*Schema{}, drift: drift}
	var err error
	if r.builtin, err = loadFiles(builtinFS, "schemas", "built-in"); err != nil {
		return nil, err
	}
	if dir == "" {
		return r, nil
	}
	if err := r.loadOverrides(dir); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Registry) loadOverrides(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("schema_dir (USHER_SCHEMA_DIR): %w", err)
	}
	fsys := os.DirFS(dir)
	if r.shared, err = loadFiles(fsys, ".", "schema_dir"); err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		schemas, err := loadFiles(fsys, e.Name(), "schema_dir/"+e.Name())
		if err != nil {
			return err
		}
		r.byInst[e.Name()] = schemas
	}
	return nil
}

// loadFiles compiles every TYPE.yaml file directly in folder of fsys.
func loadFiles(fsys fs.FS, folder, source string) (map[string]*Schema, error) {
	entries, err := fs.ReadDir(fsys, folder)
	if err != nil {
		return nil, fmt.Errorf("schemas %s: %w", source, err)
	}
	out := map[string]*Schema{}
	for _, e := range entries {
		ext := path.Ext(e.Name())
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		data, err := fs.ReadFile(fsys, path.Join(folder, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("schemas %s: %w", source, err)
		}
		s, err := Parse(filepath.ToSlash(path.Join(source, e.Name())), data)
		if err != nil {
			return nil, err
		}
		if want := strings.TrimSuffix(e.Name(), ext); s.Type != want {
			return nil, fmt.Errorf("schema %s: declares type %q but its file is named for %q", s.Source, s.Type, want)
		}
		out[s.Type] = s
	}
	return out, nil
}

// Lookup returns the schema in force for docType at institution: the
// institution's override, else the directory-wide one, else the built-in.
func (r *Registry) Lookup(institution, docType string) (*Schema, bool) {
	if s, ok := r.byInst[institution][docType]; ok {
		return s, true
	}
	if s, ok := r.shared[docType]; ok {
		return s, true
	}
	s, ok := r.builtin[docType]
	return s, ok
}

// ArrayKeys returns the keyed lists (Schema.ArrayKeys) of the schema in
// force for institution's docType; none when there is no such schema.
func (r *Registry) ArrayKeys(institution, docType string) map[string]string {
	if s, ok := r.Lookup(institution, docType); ok {
		return s.ArrayKeys()
	}
	return nil
}

// Validate checks raw against the schema in force; see usher.Validator.
// Unknown fields are not violations; they go to the drift reporter.
func (r *Registry) Validate(institution, docType string, raw []byte) []usher.Violation {
	s, ok := r.Lookup(institution, docType)
	if !ok {
		return []usher.Violation{{Path: "$", Message: fmt.Sprintf("no schema for document type %q", docType)}}
	}
	violations, unknown := s.Check(raw)
	r.drift.Report(institution, s, unknown)
	return violations
}

// ValidateDecoded is Validate for a document ingest has already decoded
// into v (as encoding/json decodes with UseNumber): a push then parses
// each document once instead of once to validate and once to store.
func (r *Registry) ValidateDecoded(institution, docType string, raw []byte, v any) []usher.Violation {
	s, ok := r.Lookup(institution, docType)
	if !ok {
		return []usher.Violation{{Path: "$", Message: fmt.Sprintf("no schema for document type %q", docType)}}
	}
	violations, unknown := s.CheckDecoded(raw, v)
	r.drift.Report(institution, s, unknown)
	return violations
}

// SchemaVersion returns the version of the schema in force for docType at
// institution, or "none" when there is none.
func (r *Registry) SchemaVersion(institution, docType string) string {
	if s, ok := r.Lookup(institution, docType); ok {
		return s.Version()
	}
	return "none"
}

// Types lists the built-in document types.
func (r *Registry) Types() []string {
	types := make([]string, 0, len(r.builtin))
	for t := range r.builtin {
		types = append(types, t)
	}
	sort.Strings(types)
	return types
}
