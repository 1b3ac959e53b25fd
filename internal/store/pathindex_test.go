package store

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/testdb"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// saveTiers stores 12 contacts, one in four gold, one version each.
func saveTiers(t *testing.T, s *Store) {
	t.Helper()
	for i := range 12 {
		raw := fmt.Sprintf(`{"contactNumber":"%d","tier":%q}`, i, map[bool]string{true: "gold", false: "basic"}[i%4 == 0])
		h, err := usher.HashJSON([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveDocuments(context.Background(), []usher.Document{{Institution: "v", Stream: usher.StreamContacts,
			ExternalID: fmt.Sprint(i), Hash: h, Raw: []byte(raw)}}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestIndexedPathAnswersFullPages: where the bounded scan (lowered to 3
// versions) answers short and empty pages, an indexed path answers full
// pages, the same documents in the same order.
func TestIndexedPathAnswersFullPages(t *testing.T) {
	defer func(n int) { browseMaxScan = n }(browseMaxScan)
	browseMaxScan = 3
	ctx := context.Background()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			s := openTest(t, engine)
			saveTiers(t, s)
			walk := func() (pages []string) {
				f := usher.BrowseFilter{Institution: "v", Stream: usher.StreamContacts, Path: "$.tier", Equals: "gold", Limit: 2}
				for range 10 {
					p, err := s.ListDocuments(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					var ids []string
					for _, d := range p.Documents {
						ids = append(ids, d.ExternalID)
					}
					pages = append(pages, fmt.Sprint(ids))
					if p.NextCursor == "" {
						break
					}
					f.Cursor = p.NextCursor
				}
				return pages
			}
			if got := fmt.Sprint(walk()); got != "[[] [8] [4] [0] []]" {
				t.Fatalf("scanned pages %s, want the bounded scan's short pages", got)
			}
			if err := s.IndexPaths(ctx, []usher.IndexedPath{{Stream: usher.StreamContacts, Path: "$.tier"}}, quiet); err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(walk()); got != "[[8 4] [0]]" {
				t.Errorf("indexed pages %s, want [[8 4] [0]]: full pages", got)
			}
		})
	}
}

// TestInvalidPathIndexIsRebuilt: an index left invalid by an interrupted
// CREATE INDEX CONCURRENTLY is not read, and IndexPaths drops and builds
// it again.
func TestInvalidPathIndexIsRebuilt(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, "postgres")
	saveTiers(t, s)
	ix, err := PathIndex(usher.IndexedPath{Stream: usher.StreamContacts, Path: "$.tier"})
	if err != nil {
		t.Fatal(err)
	}
	pool := s.Driver().(interface{ Pool() *pgxpool.Pool }).Pool()
	// A build that fails midway (division by zero) leaves its index
	// behind, invalid, as a stop during a build would.
	if _, err := pool.Exec(ctx, "CREATE INDEX CONCURRENTLY "+ix.Name+" ON documents ((1 / (id - id)))"); err == nil {
		t.Fatal("the failing build succeeded")
	}
	states, err := s.d.PathIndexes(ctx)
	if err != nil || len(states) != 1 || states[0].Name != ix.Name || states[0].Valid {
		t.Fatalf("indexes %+v (%v), want %s invalid", states, err, ix.Name)
	}
	if err := s.IndexPaths(ctx, []usher.IndexedPath{{Stream: usher.StreamContacts, Path: "$.tier"}}, quiet); err != nil {
		t.Fatal(err)
	}
	states, err = s.d.PathIndexes(ctx)
	if err != nil || len(states) != 1 || !states[0].Valid {
		t.Fatalf("indexes %+v (%v), want %s valid", states, err, ix.Name)
	}
	var def string
	if err := pool.QueryRow(ctx, "SELECT pg_get_indexdef($1::regclass)", ix.Name).Scan(&def); err != nil {
		t.Fatal(err)
	}
	if want := "jsonb_hash_extended((body #> '{tier}'::text[])"; !strings.Contains(def, want) {
		t.Errorf("rebuilt index %s, want one on %s", def, want)
	}
	if _, ok := s.pathIndexFor(usher.StreamContacts, "$.tier"); !ok {
		t.Error("the rebuilt index does not serve the listing")
	}
}

// TestRecheckFollowsAnotherReplica: a replica reads through an index only
// while the database holds it valid; another replica's drop and build are
// seen at the next recheck.
func TestRecheckFollowsAnotherReplica(t *testing.T) {
	ctx := context.Background()
	tier := []usher.IndexedPath{{Stream: usher.StreamContacts, Path: "$.tier"}}
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			dsn := testdb.DSN(t, engine)
			open := func() *Store {
				s, err := Open(ctx, dsn, time.Now)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
			a, b := open(), open()
			saveTiers(t, a)
			indexed := func(s *Store) bool { _, ok := s.pathIndexFor(usher.StreamContacts, "$.tier"); return ok }
			recheck := func(s *Store) {
				if err := s.RecheckPathIndexes(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if err := a.IndexPaths(ctx, tier, quiet); err != nil {
				t.Fatal(err)
			}
			recheck(a)
			if !indexed(a) {
				t.Fatal("the replica that built the index does not read through it")
			}
			if err := b.IndexPaths(ctx, nil, quiet); err != nil { // b's list is shorter: it drops the index
				t.Fatal(err)
			}
			if recheck(a); indexed(a) {
				t.Fatal("after another replica dropped the index, the recheck still reads through it")
			}
			list := usher.BrowseFilter{Institution: "v", Stream: usher.StreamContacts, Path: "$.tier", Equals: "gold"}
			if p, err := a.ListDocuments(ctx, list); err != nil || len(p.Documents) != 3 {
				t.Fatalf("listing without the index: %d documents, %v; want 3", len(p.Documents), err)
			}
			if err := b.IndexPaths(ctx, tier, quiet); err != nil {
				t.Fatal(err)
			}
			if recheck(a); !indexed(a) {
				t.Fatal("after another replica built the index, the recheck does not read through it")
			}
			if p, err := a.ListDocuments(ctx, list); err != nil || len(p.Documents) != 3 {
				t.Fatalf("listing through the index: %d documents, %v; want 3", len(p.Documents), err)
			}
			if err := a.IndexPaths(ctx, nil, quiet); err != nil { // a no longer lists it
				t.Fatal(err)
			}
			if recheck(a); indexed(a) {
				t.Fatal("an index no longer configured is read after a recheck")
			}
		})
	}
}
