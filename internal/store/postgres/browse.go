package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher/internal/store/driver"
)

// The document browser's verbs (queries/browse.sql); internal/store
// decides what they read.

func (c conn) BrowseBound(ctx context.Context, r driver.BrowseRange, skip int) (*driver.BrowseKey, error) {
	return driver.First(all(ctx, c.q, r.Query("BrowseBound"), scanBrowseKey, browseArgs(r, skip)...))
}

func (c conn) BrowseList(ctx context.Context, r driver.BrowseRange, m *driver.BrowseMatch, limit int) ([]driver.BrowseRow, error) {
	on, keys, value := false, []string{}, "null"
	if m != nil {
		on, keys, value = true, m.Keys, m.Value
	}
	args := browseArgs(r, on, keys, value, limit)
	return all(ctx, c.q, r.Query("BrowseList"), scanBrowseRow, args...)
}

// BrowseListIndexed reads through ix: its stream and path hash written
// into the query as literals (the store checked them).
func (c conn) BrowseListIndexed(ctx context.Context, r driver.BrowseRange, m *driver.BrowseMatch, ix driver.PathIndex, limit int) ([]driver.BrowseRow, error) {
	q := strings.NewReplacer("/*stream*/", quote(ix.Stream), "/*hash*/", pathHash("d.body", ix),
		"/*path*/", pathKeys(ix)).Replace(queries.Get("BrowseListIndexed"))
	return allSQL(ctx, c.q, q, scanBrowseRow, browseArgs(r, m.Value, limit)...)
}

func (c conn) BrowseQuarantined(ctx context.Context, r driver.BrowseRange, limit int) ([]driver.BrowseRow, error) {
	return all(ctx, c.q, "BrowseQuarantined", scanBrowseRow, browseArgs(r, limit)...)
}

func (c conn) BrowseVersions(ctx context.Context, institution, stream, externalID string, limit int) ([]driver.BrowseRow, error) {
	return all(ctx, c.q, "BrowseVersions", scanBrowseRow, institution, stream, externalID, limit)
}

func (c conn) BrowseBody(ctx context.Context, institution, stream, externalID string, version int) ([]byte, error) {
	bodies, err := all(ctx, c.q, "BrowseBody", func(r pgx.Row, b *[]byte) error { return r.Scan(b) }, institution, stream, externalID, version)
	if len(bodies) == 0 {
		return nil, err
	}
	return bodies[0], err
}

// browseArgs are a range's parameters $1 to $7, then more.
func browseArgs(r driver.BrowseRange, more ...any) []any {
	return append([]any{r.Institution, r.Stream, r.ExternalID, r.From.ReceivedAt, r.From.ID, r.Before.ReceivedAt, r.Before.ID}, more...)
}

func scanBrowseKey(r pgx.Row, k *driver.BrowseKey) error { return r.Scan(&k.ReceivedAt, &k.ID) }

func scanBrowseRow(r pgx.Row, x *driver.BrowseRow) error {
	return r.Scan(&x.Key.ReceivedAt, &x.Key.ID, &x.ExternalID, &x.Version, &x.Current, &x.Hash, &x.Size)
}
