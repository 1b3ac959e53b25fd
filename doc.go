// Package usher holds the domain of the usher integration hub: the
// institutions a venue runs, the document streams an upstream ticketing
// system pushes, the documents themselves and the interfaces the adapters
// under internal/ implement. It imports no other package of the project.
//
// A venue's ticketing system (S-360, Centaman) stays the single source of
// truth; usher keeps read-only copies of its documents exactly as received,
// with relational columns derived from them, and moves changes between the
// upstream, the venue's CRM, its website and its analytics.
package usher
