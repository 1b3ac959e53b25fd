package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/testdb"
)

func openTest(t *testing.T, engine string) *Store {
	t.Helper()
	s, err := Open(context.Background(), testdb.DSN(t, engine), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestBrowseScanIsBounded lowers the scan bound to 3 versions: a filter
// that matches one version in four comes back in short pages, some empty,
// each with a cursor but the last, and together they hold every match once.
func TestBrowseScanIsBounded(t *testing.T) {
	defer func(n int) { browseMaxScan = n }(browseMaxScan)
	browseMaxScan = 3
	ctx := context.Background()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			s := openTest(t, engine)
			for i := range 12 {
				raw := fmt.Sprintf(`{"contactNumber":"%d","tier":%q}`, i, map[bool]string{true: "gold", false: "basic"}[i%4 == 0])
				h, err := usher.HashJSON([]byte(raw))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.SaveDocuments(ctx, []usher.Document{{Institution: "v", Stream: usher.StreamContacts,
					ExternalID: fmt.Sprint(i), Hash: h, Raw: []byte(raw)}}); err != nil {
					t.Fatal(err)
				}
			}
			f := usher.BrowseFilter{Institution: "v", Stream: usher.StreamContacts, Path: "$.tier", Equals: "gold", Limit: 10}
			var found []string
			pages, empty := 0, 0
			for {
				p, err := s.ListDocuments(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if len(p.Documents) == 0 {
					empty++
				}
				for _, d := range p.Documents {
					found = append(found, d.ExternalID)
				}
				if p.NextCursor == "" || pages > 10 {
					break
				}
				f.Cursor = p.NextCursor
			}
			// Versions 11 to 0, newest first, 3 a page: 11-9 (none), 8-6,
			// 5-3, 2-0, and a last page that finds the range at its end.
			if fmt.Sprint(found) != "[8 4 0]" || pages != 5 || empty != 2 {
				t.Errorf("found %v in %d pages (%d empty), want [8 4 0] in 5 pages of 3 versions each, 2 empty", found, pages, empty)
			}
		})
	}
}
