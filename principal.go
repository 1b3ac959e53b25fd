package usher

import "slices"

// APIKey is a credential for usher's own API (/api/v1), scoped to some
// institutions. A key for institution A never reads or writes B's data.
type APIKey struct {
	Name   string
	Secret string
	// Institutions the key may act on; "*" means all.
	Institutions []string
}

// Principal is who made an API request.
type Principal struct {
	Name         string
	Institutions []string
}

// Allows reports whether p may act on institution code.
func (p Principal) Allows(code string) bool {
	return slices.Contains(p.Institutions, "*") || slices.Contains(p.Institutions, code)
}

// AllowsAll reports whether p may act on every institution.
func (p Principal) AllowsAll() bool { return slices.Contains(p.Institutions, "*") }
