package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/analytics"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/testdb"
)

// BenchmarkReports times every report case on each engine, through usher
// (…/usher) and in plain SQL on the raw tables (…/raw). Before timing, it
// checks that both sides return the same figures.
//
//	USHER_BENCH_CHECKS=10000000 USHER_BENCH_ORDERS=1000000 \
//	  go test ./bench/analytics -run '^$' -bench . -benchtime 5x -timeout 3h
func BenchmarkReports(b *testing.B) {
	size := sizeFromEnv(b)
	b.Run("postgres", func(b *testing.B) {
		base := os.Getenv("TEST_DATABASE_URL")
		if base == "" {
			if testdb.Required() {
				b.Fatal("TEST_DATABASE_URL is not set")
			}
			b.Skip("TEST_DATABASE_URL not set")
		}
		st, err := openPostgres(context.Background(), base, size, b.Logf)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		runCases(b, store.New(st, time.Now), size, func(ctx context.Context, c benchCase, args []any) (int64, error) {
			return pgRaw(ctx, st.Pool(), c, args)
		}, postgresArgs)
	})
	b.Run("sqlite", func(b *testing.B) {
		st, err := openSQLite(context.Background(), benchDir(b), size, b.Logf)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		_, read := st.DB()
		runCases(b, store.New(st, time.Now), size, func(ctx context.Context, c benchCase, args []any) (int64, error) {
			return liteRaw(ctx, read, c, args)
		}, sqliteArgs)
	})
}

type rawFunc func(ctx context.Context, c benchCase, args []any) (int64, error)

func runCases(b *testing.B, st usher.AnalyticsStore, size Size, raw rawFunc, argsOf func(from, to, today time.Time) []any) {
	ctx := context.Background()
	lastDay := FirstDay.AddDate(0, 0, size.Days-1)
	svc := analytics.NewService(st, func() time.Time { return lastDay.Add(18 * time.Hour) }, time.UTC)
	for _, c := range benchCases {
		from, to := rangeOf(c, size)
		q := usher.ReportQuery{Institution: Institution, From: from, To: to, Interval: c.interval, By: c.by}
		args := argsOf(from, to, lastDay)
		res, err := svc.Run(ctx, c.report, q)
		if err != nil {
			b.Fatalf("%s: usher: %v", c.name, err)
		}
		want, err := raw(ctx, c, args)
		if err != nil {
			b.Fatalf("%s: raw: %v", c.name, err)
		}
		if got := sum(res); got != want {
			b.Fatalf("%s: usher totals %d, raw SQL %d: not the same question", c.name, got, want)
		}
		b.Run(c.name+"/usher", func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.Run(ctx, c.report, q); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/raw", func(b *testing.B) {
			for b.Loop() {
				if _, err := raw(ctx, c, args); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func postgresArgs(from, to, today time.Time) []any {
	return []any{Institution, from, to, today}
}

func sqliteArgs(from, to, today time.Time) []any {
	return []any{Institution, from.Format(time.DateOnly), to.Format(time.DateOnly), today.Format(time.DateOnly)}
}

// argsFor returns the arguments of query: (institution, from, to), or
// (institution, today) for the occupancy queries.
func argsFor(query string, args []any) []any {
	if query == pgOccupancy || query == liteOccupancy {
		return []any{args[0], args[3]}
	}
	return args[:3]
}

func pgRaw(ctx context.Context, pool *pgxpool.Pool, c benchCase, args []any) (int64, error) {
	var total int64
	for i, q := range c.postgres {
		rows, err := pool.Query(ctx, q, argsFor(q, args)...)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				rows.Close()
				return 0, err
			}
			if i == 0 {
				total += checksum(c, vals)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
	}
	return total, nil
}

func liteRaw(ctx context.Context, db *sql.DB, c benchCase, args []any) (int64, error) {
	var total int64
	for i, q := range c.sqlite {
		rows, err := db.QueryContext(ctx, q, argsFor(q, args)...)
		if err != nil {
			return 0, err
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for j := range vals {
				ptrs[j] = &vals[j]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return 0, err
			}
			if i == 0 {
				total += checksum(c, vals)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
	}
	return total, nil
}

// checksum reads a case's checksum figure from one raw row: one column, or
// (-1) the three check columns of the breakdown.
func checksum(c benchCase, vals []any) int64 {
	if c.checksum < 0 {
		return toInt(vals[3]) + toInt(vals[4]) + toInt(vals[5])
	}
	return toInt(vals[c.checksum])
}

func toInt(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int32:
		return int64(n)
	case nil:
		return 0
	}
	i, _ := strconv.ParseInt(fmt.Sprint(v), 10, 64)
	return i
}

func sizeFromEnv(b *testing.B) Size {
	size := Size{Checks: envInt(b, "USHER_BENCH_CHECKS", 100_000), Orders: envInt(b, "USHER_BENCH_ORDERS", 10_000), Days: 730}
	size.Contacts = size.Orders / 5
	return size
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive whole number", name, v)
	}
	return n
}

func benchDir(b *testing.B) string {
	dir := os.Getenv("USHER_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "usher-bench")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	return dir
}
