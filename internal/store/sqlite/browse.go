package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/usher-hub/usher/internal/store/driver"
)

// The document browser's verbs (queries/browse.sql); internal/store
// decides what they read.

func (c conn) BrowseBound(ctx context.Context, r driver.BrowseRange, skip int) (*driver.BrowseKey, error) {
	return driver.First(all(ctx, c.q, r.Query("BrowseBound"), scanBrowseKey, browseArgs(r, skip)...))
}

func (c conn) BrowseList(ctx context.Context, r driver.BrowseRange, m *driver.BrowseMatch, limit int) ([]driver.BrowseRow, error) {
	on, path, typ, text, num := 0, "$", "", "", any(nil)
	if m != nil {
		on, path, typ, text = 1, m.JSONPath, m.Type, m.Text
		if m.Number != nil {
			num = *m.Number
		}
	}
	args := browseArgs(r, on, path, typ, text, num, limit)
	return all(ctx, c.q, r.Query("BrowseList"), scanBrowseRow, args...)
}

// BrowseListIndexed reads through ix: its stream and path written into
// the query as literals (the store checked them).
func (c conn) BrowseListIndexed(ctx context.Context, r driver.BrowseRange, m *driver.BrowseMatch, ix driver.PathIndex, limit int) ([]driver.BrowseRow, error) {
	var value any
	switch m.Type {
	case "text":
		value = m.Text
	case "number":
		value = *m.Number
	case "true":
		value = 1
	case "false":
		value = 0
	}
	q := strings.NewReplacer("/*stream*/", quote(ix.Stream), "/*value*/", pathValue("d.body", ix.JSONPath),
		"/*path*/", quote(ix.JSONPath)).Replace(queries.Get("BrowseListIndexed"))
	return allSQL(ctx, c.q, q, scanBrowseRow, browseArgs(r, value, m.Type, limit)...)
}

func (c conn) BrowseQuarantined(ctx context.Context, r driver.BrowseRange, limit int) ([]driver.BrowseRow, error) {
	return all(ctx, c.q, "BrowseQuarantined", scanBrowseRow, browseArgs(r, limit)...)
}

func (c conn) BrowseVersions(ctx context.Context, institution, stream, externalID string, limit int) ([]driver.BrowseRow, error) {
	return all(ctx, c.q, "BrowseVersions", scanBrowseRow, institution, stream, externalID, limit)
}

func (c conn) BrowseBody(ctx context.Context, institution, stream, externalID string, version int) ([]byte, error) {
	bodies, err := all(ctx, c.q, "BrowseBody", func(r *sql.Rows, b *[]byte) error { return r.Scan(b) }, institution, stream, externalID, version)
	if len(bodies) == 0 {
		return nil, err
	}
	return bodies[0], err
}

// browseArgs are a range's parameters ?1 to ?7, then more.
func browseArgs(r driver.BrowseRange, more ...any) []any {
	return append([]any{r.Institution, r.Stream, r.ExternalID, formatTime(r.From.ReceivedAt), r.From.ID,
		formatTime(r.Before.ReceivedAt), r.Before.ID}, more...)
}

func scanBrowseKey(r *sql.Rows, k *driver.BrowseKey) error {
	return r.Scan((*textTime)(&k.ReceivedAt), &k.ID)
}

func scanBrowseRow(r *sql.Rows, x *driver.BrowseRow) error {
	return r.Scan((*textTime)(&x.Key.ReceivedAt), &x.Key.ID, &x.ExternalID, &x.Version, &x.Current, &x.Hash, &x.Size)
}
