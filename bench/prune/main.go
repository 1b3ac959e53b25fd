// Command prune measures what retention's pruning costs pushes: the p99
// acknowledgement time of concurrent senders while the pruner removes
// superseded versions, against the same pushes without pruning, before
// and after (issue 19: within 20 % at 16 senders while pruning one
// million superseded versions, both engines).
//
// Each engine gets a new database holding -versions superseded contact
// versions (-per versions per contact, the last one current) received 60
// days ago, written straight by SQL. An in-process usher server (the real
// push path and projector, bench/load) is then measured three times with
// -senders closed-loop senders: -payloads payloads without pruning; then
// as many as are acknowledged while the pruner removes every superseded
// version (a 30-day rule, batches of -batch rows, spaced while pushes are
// busy so that they take -share of the time, as `usher serve` does
// (retention.Pacer, pruning.busy_share)); then as long again without
// pruning. Senders are closed-loop: each sends its next payload once the
// last is acknowledged. On SQLite the WAL file's largest size is sampled
// throughout. With -alternate the pushes after the run before go on in
// windows, the pruner running in every other one (alternate.go), and the
// windows with pruning are compared with those without: both see the
// database as it grows.
//
//	go run ./bench/prune -engine sqlite,postgres -versions 1000000
//	go run ./bench/prune -engine sqlite -versions 1000000 -alternate 30s
//	go run ./bench/prune -engine sqlite -versions 200000 -baseline 20s -batch 100
//
// See docs/performance.md and docs/operations.md#retention.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/bench/load"
	"github.com/usher-hub/usher/internal/config"
	"github.com/usher-hub/usher/internal/retention"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/store/driver"
	"github.com/usher-hub/usher/internal/store/sqlite"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "prune:", err)
		os.Exit(1)
	}
}

type options struct {
	engines       []string
	versions, per int
	senders, size int
	baseline      time.Duration
	after         time.Duration
	maxPayloads   int
	batch         int
	share         int
	minWait       time.Duration
	maxWait       time.Duration
	maxPrune      time.Duration
	catchUpAfter  bool
	alternate     time.Duration
	postgres, dir string
	seed          uint64
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("prune", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	engines := fs.String("engine", "sqlite,postgres", "engines to measure, comma-separated")
	fs.IntVar(&o.versions, "versions", 1_000_000, "superseded versions to prune")
	fs.IntVar(&o.per, "per", 10, "versions per contact (the last one current)")
	fs.IntVar(&o.senders, "senders", 16, "concurrent senders")
	fs.DurationVar(&o.baseline, "baseline", 30*time.Second, "length of the run without pruning before it")
	fs.DurationVar(&o.after, "after", 0, "length of the run without pruning after it (0: as long as the pruning took)")
	fs.IntVar(&o.maxPayloads, "max-payloads", 100_000, "most payloads sent while pruning (the run stops when pruning ends)")
	fs.IntVar(&o.size, "size", 50, "documents per payload")
	fs.IntVar(&o.batch, "batch", 100, "rows one pruning transaction examines (pruning.batch_size; its default)")
	fs.IntVar(&o.share, "share", 0, "percent of the time batches may take while pushes are busy (pruning.busy_share; 0: the engine's default)")
	fs.DurationVar(&o.minWait, "min-wait", 5*time.Millisecond, "shortest wait between two batches while pushes are busy")
	fs.DurationVar(&o.maxWait, "max-wait", time.Second, "longest wait between two batches while pushes are busy")
	fs.DurationVar(&o.maxPrune, "max-prune", 0, "stop pruning after this long and report what went (0: prune everything)")
	fs.DurationVar(&o.alternate, "alternate", 0, "push in windows this long, pruning in every other one, and compare the windows' p99s (0: before, while and after)")
	fs.BoolVar(&o.catchUpAfter, "catch-up-after", true, "let the projector catch up before the run after pruning (minutes after a long one: it waits while pushes are busy)")
	fs.StringVar(&o.postgres, "postgres", getenv("TEST_DATABASE_URL"), "PostgreSQL URL allowed to create databases; env TEST_DATABASE_URL")
	fs.StringVar(&o.dir, "dir", "", "directory for SQLite files")
	fs.Uint64Var(&o.seed, "seed", 1, "generator seed")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.engines = strings.Split(*engines, ",")
	if o.versions < 1 || o.per < 2 || o.senders < 1 || o.baseline <= 0 || o.size < 1 || o.size > 50 || o.share < 0 || o.share > 100 {
		return o, errors.New("-versions, -senders and -baseline must be positive, -per at least 2, -size 1 to 50, -share 0 to 100")
	}
	return o, nil
}

// measurement is one engine's three runs.
type measurement struct {
	engine              string
	before, during, aft load.Result
	pruned              int64
	pruneTook           time.Duration
	batches             int64
	// batchP50 and batchMax are the times one batch held the database
	// (usher.PruneResult.Held): SQLite's writer, a PostgreSQL connection.
	batchP50, batchMax time.Duration
	share              float64
	// walPeak is the SQLite WAL file's largest size seen while pruning,
	// and over the whole measurement.
	walPeakPruning, walPeak int64
	// off holds the pushes of the windows without pruning (-alternate),
	// windows counts those with.
	off     load.Result
	windows int
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Machine: %s\n", load.Machine())
	fmt.Fprintf(stdout, "Run: %d superseded versions (%d per contact), %d senders, payloads of %d documents, batches of %d, busy share %d %% (0: the engine's), waits %s to %s while pushes are busy, %s before\n\n",
		o.versions, o.per, o.senders, o.size, o.batch, o.share, o.minWait, o.maxWait, o.baseline)
	var ms []measurement
	for _, engine := range o.engines {
		dbs, err := load.NewDatabases(engine, o.postgres, o.dir)
		if err != nil {
			return err
		}
		m, err := measure(ctx, o, dbs, engine, stderr)
		err = errors.Join(err, dbs.Close(context.WithoutCancel(ctx)))
		if err != nil {
			return fmt.Errorf("%s: %w", engine, err)
		}
		ms = append(ms, m)
	}
	fmt.Fprintln(stdout, "| engine | busy share | superseded versions | pruned | pruning took | rows/s | payloads before / during / after | p99 before ms | p99 while pruning ms | p99 after ms | while pruning / mean of before and after | batch held p50 / max ms | WAL peak pruning / all MiB |")
	fmt.Fprintln(stdout, "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
	for _, m := range ms {
		p := func(r load.Result) float64 { return load.Millis(load.Percentile(r.Latencies, 99)) }
		base := (p(m.before) + p(m.aft)) / 2
		fmt.Fprintf(stdout, "| %s | %.0f %% | %d | %d | %s | %.0f | %d / %d / %d | %.1f | %.1f | %.1f | %+.0f%% | %.1f / %.1f | %.0f / %.0f |\n", m.engine, 100*m.share, o.versions, m.pruned,
			m.pruneTook.Round(time.Second), float64(m.pruned)/m.pruneTook.Seconds(), m.before.Payloads, m.during.Payloads, m.aft.Payloads,
			p(m.before), p(m.during), p(m.aft), 100*(p(m.during)/base-1), load.Millis(m.batchP50), load.Millis(m.batchMax),
			float64(m.walPeakPruning)/(1<<20), float64(m.walPeak)/(1<<20))
	}
	if o.alternate > 0 {
		printAlternate(stdout, o, ms)
	}
	fmt.Fprintf(stdout, "\nLoad average at the end: %s\n", load.LoadAverage())
	return nil
}

func measure(ctx context.Context, o options, dbs *load.Databases, engine string, log io.Writer) (measurement, error) {
	logf := func(format string, args ...any) {
		fmt.Fprintf(log, "%s %s: "+format+"\n", append([]any{time.Now().Format("15:04:05"), engine}, args...)...)
	}
	m := measurement{engine: engine}
	dsn, err := dbs.New(ctx)
	if err != nil {
		return m, err
	}
	logf("storing %d superseded versions", o.versions)
	start := time.Now()
	if err := seed(ctx, dsn, o.versions, o.per); err != nil {
		return m, fmt.Errorf("seed: %w", err)
	}
	logf("stored in %s", time.Since(start).Round(time.Second))
	srv, err := load.StartServer(ctx, dsn)
	if err != nil {
		return m, err
	}
	defer srv.Close()
	wal := watchWAL(ctx, dsn)
	defer wal.stop()
	gen := load.NewGenerator(o.seed)
	// push sends for d, then lets the projector catch up (not after the
	// last run unless -catch-up-after).
	push := func(what string, d time.Duration) (load.Result, error) {
		logf("%s: pushing for %s", what, d)
		sendCtx, stop := context.WithTimeout(ctx, d)
		defer stop()
		r, err := load.SendFrom(sendCtx, srv.Target(), o.senders, payloads(sendCtx, gen, o.size, o.maxPayloads))
		if sendCtx.Err() != nil && ctx.Err() == nil {
			err = nil // the run's end, not a failure
		}
		logf("%s: %d payloads, p99 %.1f ms", what, r.Payloads, load.Millis(load.Percentile(r.Latencies, 99)))
		if err == nil && (what != "after" || o.catchUpAfter) {
			err = srv.CatchUp(ctx)
		}
		return r, err
	}
	if _, err := push("warm-up", time.Second); err != nil {
		return m, err
	}
	if m.before, err = push("before", o.baseline); err != nil {
		return m, err
	}

	// Pushes while the pruner runs, until it ends.
	logf("pruning while pushing")
	rule := usher.RetentionRule{Institution: load.Institution.Code, Stream: usher.StreamContacts, Kind: usher.RetainSuperseded, Keep: 30 * 24 * time.Hour}
	cfg := config.Default()
	cfg.Database, cfg.Pruning.BusyShare = dsn, o.share
	m.share = cfg.PruneBusyShare()
	pacer := &retention.Pacer{Share: m.share, MinWait: o.minWait, MaxWait: o.maxWait, Busy: srv.Busy}
	g := newGate(o.alternate == 0)
	var pruned, batches atomic.Int64
	var batchTimes []time.Duration
	wal.reset()
	pruneDone := make(chan error, 1)
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	pruneCtx, stopPruning := context.WithCancel(ctx)
	defer stopPruning()
	if o.maxPrune > 0 {
		pruneCtx, stopPruning = context.WithTimeout(ctx, o.maxPrune)
		defer stopPruning()
	}
	go func() {
		start := time.Now()
		_, err := retention.Run(pruneCtx, srv.Store.(usher.Pruner), []usher.RetentionRule{rule}, retention.Options{
			BatchSize: o.batch, Actor: "bench/prune",
			Between: func(ctx context.Context, held, took time.Duration) error {
				batchTimes = append(batchTimes, held)
				if err := pacer.Wait(ctx, held, took); err != nil {
					return err
				}
				return g.wait(ctx)
			},
			Progress: func(_ usher.RetentionRule, b usher.PruneResult) {
				if n := pruned.Add(int64(b.Pruned)); n/100_000 != (n-int64(b.Pruned))/100_000 {
					logf("pruned %d rows in %s, WAL peak %d MiB", n, time.Since(start).Round(time.Second), wal.peak()>>20)
				}
				batches.Add(1)
			},
		})
		m.pruneTook = time.Since(start)
		m.batchP50, m.batchMax = load.Percentile(batchTimes, 50), load.Percentile(batchTimes, 100)
		stopSending()
		if pruneCtx.Err() != nil && ctx.Err() == nil {
			err = nil // -max-prune: what went is reported
		}
		pruneDone <- err
	}()
	if o.alternate > 0 {
		err = m.alternate(ctx, sendCtx, o, srv.Target(), gen, g)
	} else {
		m.during, err = load.SendFrom(sendCtx, srv.Target(), o.senders, payloads(sendCtx, gen, o.size, o.maxPayloads))
	}
	if err != nil && sendCtx.Err() == nil {
		return m, err
	}
	if err := <-pruneDone; err != nil {
		return m, fmt.Errorf("pruning: %w", err)
	}
	m.pruned, m.batches = pruned.Load(), batches.Load()
	m.walPeakPruning = wal.peak()
	logf("pruned %d rows in %d batches in %s; %d payloads acknowledged meanwhile, p99 %.1f ms", m.pruned, m.batches, m.pruneTook.Round(time.Millisecond),
		m.during.Payloads, load.Millis(load.Percentile(m.during.Latencies, 99)))
	if m.pruned != int64(o.versions) && o.maxPrune == 0 {
		return m, fmt.Errorf("pruned %d rows of %d superseded versions", m.pruned, o.versions)
	}
	if o.alternate > 0 {
		m.aft = m.off
		logf("windows without pruning: %d payloads, p99 %.1f ms", m.off.Payloads, load.Millis(load.Percentile(m.off.Latencies, 99)))
		m.walPeak = max(m.walPeakPruning, wal.overall())
		return m, nil
	}
	if o.catchUpAfter {
		if err := srv.CatchUp(ctx); err != nil {
			return m, err
		}
	}
	after := o.after
	if after <= 0 {
		after = m.pruneTook
	}
	m.aft, err = push("after", after)
	m.walPeak = max(m.walPeakPruning, wal.peak(), wal.overall())
	return m, err
}

// payloads yields at most max payloads of the stream mix until ctx ends.
func payloads(ctx context.Context, gen *load.Generator, size, max int) <-chan load.Payload {
	next := make(chan load.Payload)
	go func() {
		defer close(next)
		for i := 0; i < max; i++ {
			select {
			case next <- gen.Payload(load.Mix[i%len(load.Mix)], size):
			case <-ctx.Done():
				return
			}
		}
	}()
	return next
}

// seed stores versions superseded contact versions, per versions of each
// contact with the last one current, received 60 days ago one millisecond
// apart (rows received at one time are read whole by each batch on
// PostgreSQL), by SQL in chunks.
func seed(ctx context.Context, dsn string, versions, per int) error {
	st, err := store.Open(ctx, dsn, time.Now)
	if err != nil {
		return err
	}
	defer st.Close()
	contacts := (versions + per - 2) / (per - 1)
	rows := contacts * per
	received := time.Now().Add(-60 * 24 * time.Hour).UTC()
	pad := strings.Repeat("x", 600)
	const chunk = 100_000
	d := st.Driver()
	for from := 0; from < rows; from += chunk {
		to := min(from+chunk, rows) - 1
		if err := execEngine(ctx, d, seedSQL, from, to, per, pad, received, institution()); err != nil {
			return err
		}
	}
	// Contacts of which fewer versions are wanted: drop the surplus
	// oldest versions so exactly versions are superseded.
	if surplus := contacts*(per-1) - versions; surplus > 0 {
		if err := execEngine(ctx, d, trimSQL, surplus, institution()); err != nil {
			return err
		}
	}
	if err := execEngine(ctx, d, headsSeedSQL, per, institution()); err != nil {
		return err
	}
	if pg, ok := d.(interface{ Pool() *pgxpool.Pool }); ok {
		_, err := pg.Pool().Exec(ctx, "VACUUM ANALYZE")
		return err
	}
	return nil
}

func institution() string { return load.Institution.Code }

// The seed's statements, in each engine's dialect.
var (
	seedSQL = map[string]string{
		"sqlite": `WITH RECURSIVE g(n) AS (SELECT ?1 UNION ALL SELECT n + 1 FROM g WHERE n < ?2)
INSERT INTO documents (institution, stream, external_id, version, content_hash, body, upstream_updated_at, received_at)
SELECT ?6, 'contacts', 'old-' || (n / ?3), (n % ?3) + 1, printf('%064x', n),
       json_object('contactNumber', 'old-' || (n / ?3), 'version', n % ?3, 'pad', ?4), ?5,
       strftime('%Y-%m-%dT%H:%M:%f', julianday(?5) + n / 86400000.0) || '000Z'
FROM g`,
		"postgres": `INSERT INTO documents (institution, stream, external_id, version, content_hash, body, upstream_updated_at, received_at)
SELECT $6, 'contacts', 'old-' || (n / $3), (n % $3) + 1, md5(n::text),
       jsonb_build_object('contactNumber', 'old-' || (n / $3), 'version', n % $3, 'pad', $4::text), $5,
       $5::timestamptz + n * interval '1 millisecond'
FROM generate_series($1::bigint, $2::bigint) AS n`,
	}
	trimSQL = map[string]string{
		"sqlite":   `DELETE FROM documents WHERE id IN (SELECT id FROM documents WHERE institution = ?2 AND version = 1 ORDER BY id LIMIT ?1)`,
		"postgres": `DELETE FROM documents WHERE id IN (SELECT id FROM documents WHERE institution = $2 AND version = 1 ORDER BY id LIMIT $1)`,
	}
	headsSeedSQL = map[string]string{
		"sqlite": `INSERT INTO document_heads (institution, stream, external_id, document_id, version, upstream_updated_at)
SELECT institution, stream, external_id, id, version, upstream_updated_at FROM documents WHERE institution = ?2 AND version = ?1`,
		"postgres": `INSERT INTO document_heads (institution, stream, external_id, document_id, version, upstream_updated_at)
SELECT institution, stream, external_id, id, version, upstream_updated_at FROM documents WHERE institution = $2 AND version = $1`,
	}
)

// execEngine runs the statement of d's engine with args; times go in
// each engine's own form.
func execEngine(ctx context.Context, d driver.Driver, stmt map[string]string, args ...any) error {
	switch db := d.(type) {
	case interface{ DB() (write, read *sql.DB) }:
		for i, a := range args {
			if t, ok := a.(time.Time); ok {
				args[i] = t.Format(sqlite.TimeFormat)
			}
		}
		write, _ := db.DB()
		_, err := write.ExecContext(ctx, stmt["sqlite"], args...)
		return err
	case interface{ Pool() *pgxpool.Pool }:
		_, err := db.Pool().Exec(ctx, stmt["postgres"], args...)
		return err
	}
	return fmt.Errorf("unknown engine %T", d)
}
