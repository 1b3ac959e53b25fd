package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/bench/load"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/store/sqlite"
)

// TestDiskFullRollsBackWholePayloads makes SQLite report a full disk
// (SQLITE_FULL, through max_page_count on the writer's connection) while
// concurrent payloads are written, most of them committed together.
// SQLite answers SQLITE_FULL by rolling back the whole transaction, so the
// group it hits fails whole: each payload is stored whole or not at all,
// refusals are EUNAVAILABLE (503, retry later) and say why, and once there
// is room again every refused payload is stored when resent.
func TestDiskFullRollsBackWholePayloads(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "full.db"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	gen := load.NewGenerator(23)
	payloads := make([][]usher.Document, 16)
	for i := range payloads {
		if payloads[i], err = load.Documents(load.Institution.Code, gen.Payloads(1, 50)); err != nil {
			t.Fatal(err)
		}
	}
	write, _ := s.DB()
	var pages int
	if err := write.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	// Room for a few payloads, not for all: the writer pool has one
	// connection, so the limit holds for every write.
	setMaxPages(t, s, pages+60)

	errs := make([]error, len(payloads))
	var wg sync.WaitGroup
	for i, docs := range payloads {
		wg.Go(func() { _, errs[i] = s.SaveDocuments(ctx, docs) })
	}
	wg.Wait()
	var stored, refused [][]usher.Document
	for i, err := range errs {
		if err == nil {
			stored = append(stored, payloads[i])
			continue
		}
		refused = append(refused, payloads[i])
		if usher.ErrorCode(err) != usher.EUNAVAILABLE || !strings.Contains(err.Error(), "full") {
			t.Fatalf("payload %d refused with %v; want EUNAVAILABLE saying the disk is full", i, err)
		}
	}
	if len(refused) == 0 {
		t.Fatal("no payload was refused: the database never filled")
	}
	checkRows(t, s, stored)

	setMaxPages(t, s, 1<<30)
	for _, docs := range refused {
		if _, err := s.SaveDocuments(ctx, docs); err != nil {
			t.Fatalf("resending once there is room: %v", err)
		}
	}
	checkRows(t, s, payloads)
	t.Logf("%d payloads stored, %d refused whole and stored on resend", len(stored), len(refused))
}

func setMaxPages(t *testing.T, s *sqlite.Store, n int) {
	t.Helper()
	write, _ := s.DB()
	if _, err := write.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", n)); err != nil {
		t.Fatal(err)
	}
}

// checkRows fails t unless s holds exactly the documents of payloads.
func checkRows(t *testing.T, s *sqlite.Store, payloads [][]usher.Document) {
	t.Helper()
	want := 0
	for _, p := range payloads {
		want += len(p)
	}
	n, err := load.CountRows(context.Background(), store.New(s, time.Now))
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(want) {
		t.Fatalf("%d rows stored, want %d: a payload was stored in part", n, want)
	}
}
