package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// openWriter returns a migrated store's writer pool and a group writer on
// it whose loop is not running, so a test can hand it a group directly.
func openWriter(t *testing.T) (*sql.DB, *groupWriter) {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "g.db"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.write.Exec(`CREATE TABLE g (name TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	return s.write, &groupWriter{db: s.write}
}

func insert(names ...string) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		for _, n := range names {
			if _, err := tx.ExecContext(ctx, `INSERT INTO g (name) VALUES (?)`, n); err != nil {
				return err
			}
		}
		return nil
	}
}

func job(fn func(context.Context, *sql.Tx) error) *writeJob {
	return &writeJob{ctx: context.Background(), fn: fn, result: make(chan error, 1)}
}

func names(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM g ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func TestGroupCommitRollsBackAFailedWriteAlone(t *testing.T) {
	db, w := openWriter(t)
	// The second write fails half-way (its second row is a duplicate of
	// its first): it must leave nothing, and the others must commit.
	group := []*writeJob{job(insert("a1", "a2")), job(insert("b1", "b1")), job(insert("c1"))}
	w.commit(group)
	if err := <-group[0].result; err != nil {
		t.Fatalf("first write: %v", err)
	}
	if err := <-group[1].result; err == nil {
		t.Fatal("the failing write was reported committed")
	}
	if err := <-group[2].result; err != nil {
		t.Fatalf("third write: %v", err)
	}
	if got := names(t, db); len(got) != 3 || got[0] != "a1" || got[1] != "a2" || got[2] != "c1" {
		t.Fatalf("stored %v, want [a1 a2 c1]", got)
	}
}

func TestGroupCommitFailsTheWholeGroupWhenTheTransactionIsLost(t *testing.T) {
	db, w := openWriter(t)
	// A write that ends the transaction stands for SQLite rolling it back
	// on an I/O error: then no write of the group may be reported durable,
	// not even the one that ran before it.
	lose := func(_ context.Context, tx *sql.Tx) error {
		_, err := tx.Exec(`ROLLBACK`)
		if err == nil {
			err = errors.New("transaction rolled back under the writer")
		}
		return err
	}
	group := []*writeJob{job(insert("a1")), job(lose), job(insert("c1"))}
	w.commit(group)
	for i, j := range group {
		if err := <-j.result; err == nil {
			t.Errorf("write %d reported committed after the transaction was lost", i)
		}
	}
	if got := names(t, db); len(got) != 0 {
		t.Fatalf("stored %v after a lost transaction, want nothing", got)
	}
}

func TestGroupWriterAnswersEveryConcurrentWrite(t *testing.T) {
	db, _ := openWriter(t)
	w := newGroupWriter(db, nil)
	defer w.stop()
	const writers = 40
	errs := make(chan error, writers)
	for i := range writers {
		go func() {
			name := string(rune('A'+i%26)) + string(rune('a'+i/26))
			errs <- w.do(context.Background(), insert(name))
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := names(t, db); len(got) != writers {
		t.Fatalf("stored %d rows, want %d", len(got), writers)
	}
	w.stop()
	if err := w.do(context.Background(), insert("late")); !errors.Is(err, errClosed) {
		t.Fatalf("write after stop: %v, want errClosed", err)
	}
}

func TestGroupWriterIgnoresAWriterThatGivesUp(t *testing.T) {
	db, _ := openWriter(t)
	w := newGroupWriter(db, nil)
	defer w.stop()
	// A client that disconnects while its payload is in a group must not
	// interrupt its statements: SQLite would roll back the whole
	// transaction, the other payloads of the group with it. Once the
	// writer has the job, the answer says what happened to it.
	ctx, cancel := context.WithCancel(context.Background())
	err := w.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		cancel()
		return insert("given up")(ctx, tx)
	})
	if err != nil {
		t.Fatalf("a write whose request gave up after the writer took it: %v", err)
	}
	if got := names(t, db); len(got) != 1 || got[0] != "given up" {
		t.Fatalf("stored %v, want [given up]", got)
	}
}
