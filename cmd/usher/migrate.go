package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to read the migration table
	_ "modernc.org/sqlite"             // the "sqlite" driver, likewise

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/config"
	"github.com/usher-hub/usher/internal/store"
)

// runMigrate applies migrations (opening a store migrates it) and says
// which ones it applied, read from goose's version table before and after.
func runMigrate(ctx context.Context, e env, args []string) error {
	fs, cf := commandFlags("migrate", e)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	cfg, err := cf.load(e)
	if err != nil {
		return err
	}
	before, err := appliedMigrations(ctx, cfg)
	if err != nil {
		return err
	}
	st, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	// The indexes of documents.indexed_paths too, here in the foreground:
	// built before a deploy, a server's start finds them ready.
	if x, ok := st.(usher.PathIndexer); ok {
		if err := x.IndexPaths(ctx, cfg.IndexedPaths(), newLogger(e.stderr, cfg)); err != nil {
			st.Close()
			return err
		}
	}
	st.Close()
	after, err := appliedMigrations(ctx, cfg)
	if err != nil {
		return err
	}
	var applied []string
	for _, v := range after[len(before):] {
		applied = append(applied, fmt.Sprint(v))
	}
	if len(applied) == 0 {
		fmt.Fprintf(e.stdout, "database %s was already up to date (schema version %d); nothing applied\n", describeDatabase(cfg), last(after))
		return nil
	}
	fmt.Fprintf(e.stdout, "database %s: applied %d migration(s): %s; schema version is now %d\n",
		describeDatabase(cfg), len(applied), strings.Join(applied, ", "), last(after))
	return nil
}

// appliedMigrations lists the migration versions recorded in the
// database, oldest first; none for a database that does not exist yet.
func appliedMigrations(ctx context.Context, cfg config.Config) ([]int64, error) {
	driver, dsn := "pgx", cfg.Database
	if store.Engine(cfg.Database) == "sqlite" {
		path := strings.TrimPrefix(strings.TrimPrefix(cfg.Database, "sqlite:"), "//")
		driver, dsn = "sqlite", "file:"+path+"?mode=ro"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, nil
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT version_id FROM goose_db_version WHERE is_applied AND version_id > 0 ORDER BY id`)
	if err != nil {
		// No file, no server or no table yet: nothing applied so far. A
		// server that cannot be reached fails in openDatabase, naming it.
		return nil, nil
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func last(vs []int64) int64 {
	if len(vs) == 0 {
		return 0
	}
	return vs[len(vs)-1]
}

func runConfig(_ context.Context, e env, args []string) error {
	fs, cf := commandFlags("config", e)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	cfg, err := cf.load(e)
	if err != nil {
		return err
	}
	fmt.Fprint(e.stdout, cfg.Redacted().YAML())
	return nil
}
