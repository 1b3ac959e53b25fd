package schema

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/usher-hub/usher"
)

// Schema is one compiled schema file.
type Schema struct {
	// Type is the document type it checks, such as s360.contact.
	Type string
	// Declared is the version the file declares.
	Declared string
	// Source is "built-in" or the override file's path.
	Source string
	// Digest is the start of the SHA-256 of the file, so an edited file is
	// told apart from the one before even if its version was not bumped.
	Digest string
	root   *rule
}

// file is a schema file's top level.
type file struct {
	Type        string    `yaml:"type"`
	Version     yaml.Node `yaml:"version"`
	Description string    `yaml:"description"`
	Document    yaml.Node `yaml:"document"`
}

// Parse compiles a schema file; source names it in errors and versions.
func Parse(source string, data []byte) (*Schema, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("schema %s: %w", source, err)
	}
	if f.Type == "" {
		return nil, fmt.Errorf("schema %s: missing type (the document type, such as s360.contact)", source)
	}
	if f.Version.Kind != yaml.ScalarNode || f.Version.Value == "" {
		return nil, fmt.Errorf("schema %s: missing version (bump it on every change)", source)
	}
	// A document is an object (a mapping of its fields) or, like
	// Centaman's price lists, a top-level list (a one-item sequence).
	if f.Document.Kind != yaml.MappingNode && f.Document.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("schema %s: document must be a mapping of the document's fields, or a one-item list for a document that is a list", source)
	}
	root, err := compileNode(&f.Document, "$")
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", source, err)
	}
	sum := sha256.Sum256(data)
	return &Schema{Type: f.Type, Declared: f.Version.Value, Source: source, Digest: hex.EncodeToString(sum[:4]), root: root}, nil
}

// ArrayKeys names, for each list whose elements' schema marks a field
// key, the field, by the list's path with every position written [*]:
// {"$.orderDetailsData.operationDatas": "operationId"}. Diffs of two
// versions match such elements by their key (docdiff.Keys).
func (s *Schema) ArrayKeys() map[string]string {
	keys := map[string]string{}
	s.root.arrayKeys("$", keys)
	return keys
}

// Version identifies the schema in quarantine records and reports, such
// as "1 (built-in, sha256:3f2a9c1b)".
func (s *Schema) Version() string {
	return fmt.Sprintf("%s (%s, sha256:%s)", s.Declared, s.Source, s.Digest)
}

// Check validates raw and returns its violations (nil when valid) and the
// paths of the fields the schema does not name.
func (s *Schema) Check(raw []byte) (violations []usher.Violation, unknown []string) {
	res := check(s.root, raw)
	return res.violations, res.unknown
}

// CheckDecoded is Check for a document the caller has already decoded
// into v, as encoding/json decodes with UseNumber.
func (s *Schema) CheckDecoded(raw []byte, v any) (violations []usher.Violation, unknown []string) {
	res := checkDecoded(s.root, raw, v)
	return res.violations, res.unknown
}
