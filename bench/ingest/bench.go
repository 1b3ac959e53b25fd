package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"time"

	"github.com/usher-hub/usher/bench/load"
)

// bench runs the measurements of one invocation and prints their tables.
type bench struct {
	o   options
	out io.Writer
	log io.Writer
}

// measurement is one ingest run, with the raw limit of the same documents
// when it was taken.
type measurement struct {
	engine  string
	stored  int // documents already stored before the run
	result  load.Result
	cost    load.Cost
	raw     load.Cost // zero when not measured
	rawDocs int
	// equivalent is the same documents' bulk load into the equivalent
	// tables of a bare database (load.EquivalentLimit), measured with raw.
	equivalent load.Cost
	// peakRSS is the benchmark process's peak resident size from the
	// start of the push to the projector's catch-up (VmHWM), and baseRSS
	// its resident size at the start; zero where /proc cannot say.
	peakRSS, baseRSS int64
	// peakHeap and baseHeap are the Go heap in use (sampled every 100 ms)
	// at its highest during the push and catch-up, and at the start.
	peakHeap, baseHeap uint64
	// catchUp is how long the analytics projector still worked after the
	// last acknowledgement, and withProjections the run's cost including
	// that work.
	catchUp         time.Duration
	withProjections load.Cost
}

func (b *bench) run(ctx context.Context) error {
	fmt.Fprintf(b.out, "Machine: %s\n", load.Machine())
	fmt.Fprintf(b.out, "Run: %d payloads of %d documents per measurement, stream mix %v\n\n", b.o.payloads, b.o.per, load.Mix)
	var vsRaw, growth []measurement
	for _, engine := range b.o.engines {
		dbs, err := load.NewDatabases(engine, b.o.postgres, b.o.dir)
		if err != nil {
			return err
		}
		ms, gs, err := b.engine(ctx, dbs, engine)
		err = errors.Join(err, dbs.Close(context.WithoutCancel(ctx)))
		if err != nil {
			return fmt.Errorf("%s: %w", engine, err)
		}
		vsRaw, growth = append(vsRaw, ms...), append(growth, gs...)
	}
	printVsRaw(b.out, vsRaw)
	if len(growth) > 0 {
		printGrowth(b.out, growth)
	}
	fmt.Fprintf(b.out, "\nLoad average at the end: %s\n", load.LoadAverage())
	return nil
}

// engine measures one engine: each sender count against the raw limit,
// then each growth step.
func (b *bench) engine(ctx context.Context, dbs *load.Databases, engine string) (vsRaw, growth []measurement, err error) {
	gen := load.NewGenerator(b.o.seed)
	for _, senders := range b.o.senders {
		m, err := b.againstRaw(ctx, dbs, engine, gen, senders)
		if err != nil {
			return nil, nil, err
		}
		vsRaw = append(vsRaw, m)
	}
	runDocs := b.o.payloads * b.o.per
	for _, k := range b.o.growth {
		m, err := b.withHistory(ctx, dbs, engine, gen, k*runDocs)
		if err != nil {
			return nil, nil, err
		}
		growth = append(growth, m)
	}
	return vsRaw, growth, nil
}

func (b *bench) againstRaw(ctx context.Context, dbs *load.Databases, engine string, gen *load.Generator, senders int) (measurement, error) {
	payloads := gen.Payloads(b.o.payloads, b.o.per)
	docs, err := load.Documents(load.Institution.Code, payloads)
	if err != nil {
		return measurement{}, err
	}
	rawDSN, err := dbs.New(ctx)
	if err != nil {
		return measurement{}, err
	}
	b.logf("%s, %d senders: raw limit of %d documents", engine, senders, len(docs))
	raw, err := load.RawLimit(ctx, rawDSN, docs)
	if err != nil {
		return measurement{}, err
	}
	eqDSN, err := dbs.New(ctx)
	if err != nil {
		return measurement{}, err
	}
	b.logf("%s, %d senders: equivalent-table limit of %d documents", engine, senders, len(docs))
	equivalent, err := load.EquivalentLimit(ctx, eqDSN, docs)
	if err != nil {
		return measurement{}, err
	}
	dsn, err := dbs.New(ctx)
	if err != nil {
		return measurement{}, err
	}
	history := b.o.history * b.o.payloads * b.o.per
	if err := b.preload(ctx, dsn, engine, gen, history); err != nil {
		return measurement{}, err
	}
	m, err := b.ingestInto(ctx, dsn, engine, gen, senders, payloads, history)
	m.raw, m.rawDocs, m.equivalent = raw, len(docs), equivalent
	return m, err
}

// preload stores history documents before a measurement: usher is
// measured as a database in service (with history and planner
// statistics), not as a database created a second ago.
func (b *bench) preload(ctx context.Context, dsn, engine string, gen *load.Generator, history int) error {
	if history == 0 {
		return nil
	}
	b.logf("%s: preloading %d documents of history", engine, history)
	start := time.Now()
	if err := load.Preload(ctx, dsn, gen, history, b.o.per); err != nil {
		return err
	}
	b.logf("%s: preloaded in %s", engine, time.Since(start).Round(time.Second))
	return nil
}

func (b *bench) withHistory(ctx context.Context, dbs *load.Databases, engine string, gen *load.Generator, history int) (measurement, error) {
	dsn, err := dbs.New(ctx)
	if err != nil {
		return measurement{}, err
	}
	if err := b.preload(ctx, dsn, engine, gen, history); err != nil {
		return measurement{}, err
	}
	return b.ingestInto(ctx, dsn, engine, gen, b.o.growthSenders, gen.Payloads(b.o.payloads, b.o.per), history)
}

// ingestInto pushes payloads through a usher server on dsn and checks that
// every acknowledged document is stored: a fast run that lost documents
// would prove nothing.
func (b *bench) ingestInto(ctx context.Context, dsn, engine string, gen *load.Generator, senders int, payloads []load.Payload, stored int) (measurement, error) {
	srv, err := load.StartServer(ctx, dsn)
	if err != nil {
		return measurement{}, err
	}
	defer srv.Close()
	// Two payloads a sender first, not measured: a server in service has
	// its connections open and its statements prepared, which a server
	// started a millisecond ago does only for its first payloads (on
	// PostgreSQL they were most of the p99 of a 1,000-payload run).
	warm, err := load.Send(ctx, srv.Target(), senders, gen.Payloads(2*senders, b.o.per))
	if err != nil {
		return measurement{}, fmt.Errorf("warm-up: %w", err)
	}
	stored += warm.Docs
	// And, like a server in service, it has applied what it had queued
	// for the reports (here the warm-up) and refreshed the statistics of
	// tables a preload filled (autovacuum's work there): started a moment
	// ago, its projector did both during the first payloads, which then
	// made most of the p99.
	if err := srv.CatchUp(ctx); err != nil {
		return measurement{}, fmt.Errorf("warm-up: analytics projector: %w", err)
	}
	b.logf("%s, %d senders: pushing %d payloads over %d stored documents", engine, senders, len(payloads), stored)
	runtime.GC()
	var baseRSS int64
	if load.ResetPeakRSS() {
		_, baseRSS = load.PeakRSS()
	}
	stopHeap := load.HeapPeak(100 * time.Millisecond)
	cpu := load.CPUUsed(ctx, srv.Store)
	res, err := load.Send(ctx, srv.Target(), senders, payloads)
	if err != nil {
		stopHeap()
		return measurement{}, err
	}
	cost := load.CPUSince(ctx, srv.Store, cpu)
	cost.Wall = res.Elapsed
	n, err := load.CountRows(ctx, srv.Store)
	if err != nil {
		return measurement{}, err
	}
	if want := int64(stored + res.Docs); n != want {
		return measurement{}, fmt.Errorf("%d rows stored after acknowledging %d documents over %d: documents lost or duplicated", n, res.Docs, stored)
	}
	m := measurement{engine: engine, stored: stored, result: res, cost: cost}
	m.catchUp, m.withProjections, err = b.catchUp(ctx, srv, cpu)
	m.peakHeap, m.baseHeap = stopHeap()
	if baseRSS > 0 {
		m.peakRSS, _ = load.PeakRSS()
		m.baseRSS = baseRSS
	}
	return m, err
}

// catchUp waits for the analytics projector to apply the run, checks
// that it counted every stored check once, and returns how long it took
// after the last acknowledgement and the run's whole cost since cpu.
func (b *bench) catchUp(ctx context.Context, srv *load.Server, cpu load.Cost) (time.Duration, load.Cost, error) {
	start := time.Now()
	if err := srv.CatchUp(ctx); err != nil {
		return 0, load.Cost{}, fmt.Errorf("analytics projector: %w", err)
	}
	took := time.Since(start)
	cost := load.CPUSince(ctx, srv.Store, cpu)
	projected, err := load.CountProjectedChecks(ctx, srv.Store)
	if err != nil {
		return 0, load.Cost{}, err
	}
	checks, err := load.CountChecks(ctx, srv.Store)
	if err != nil {
		return 0, load.Cost{}, err
	}
	if projected != checks {
		return 0, load.Cost{}, fmt.Errorf("the attendance rollup counts %d checks of %d stored", projected, checks)
	}
	return took, cost, nil
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func printVsRaw(w io.Writer, ms []measurement) {
	fmt.Fprintln(w, "| engine | senders | documents | usher docs/s | raw limit docs/s | usher / raw | p50 ack ms | p99 ack ms |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, m := range ms {
		r := m.result
		rawRate := float64(m.rawDocs) / m.raw.Wall.Seconds()
		fmt.Fprintf(w, "| %s | %d | %d | %.0f | %.0f | %.0f%% | %.1f | %.1f |\n", m.engine, r.Senders, r.Docs,
			r.DocsPerSecond(), rawRate, 100*r.DocsPerSecond()/rawRate,
			load.Millis(load.Percentile(r.Latencies, 50)), load.Millis(load.Percentile(r.Latencies, 99)))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "CPU per 1000 documents (ms): this process (server, client and, for SQLite, the database) and PostgreSQL's backends.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| engine | senders | usher process | usher backends | raw process | raw backends | usher CPU / raw CPU |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for _, m := range ms {
		usher, raw := perThousand(m.cost, m.result.Docs), perThousand(m.raw, m.rawDocs)
		fmt.Fprintf(w, "| %s | %d | %.0f | %.0f | %.0f | %.0f | %.1fx |\n", m.engine, m.result.Senders,
			usher[0], usher[1], raw[0], raw[1], (usher[0]+usher[1])/(raw[0]+raw[1]))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "The analytics projector runs in the server throughout (its CPU is in the figures above); after the last acknowledgement it still needed:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| engine | senders | projector catch-up after the last ack | CPU per 1000 docs with the catch-up (ms) | that / raw CPU |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	for _, m := range ms {
		all, raw := perThousand(m.withProjections, m.result.Docs), perThousand(m.raw, m.rawDocs)
		fmt.Fprintf(w, "| %s | %d | %s | %.0f | %.1fx |\n", m.engine, m.result.Senders, m.catchUp.Round(time.Millisecond),
			all[0]+all[1], (all[0]+all[1])/(raw[0]+raw[1]))
	}
	printEquivalent(w, ms)
	printByStream(w, ms)
}

// printEquivalent sets usher against both baselines: the raw limit above
// (usher's own tables in a database migrated by usher) and the
// equivalent tables of a bare database (load.EquivalentLimit), with the
// CPU per 1000 documents of each and the process's peak memory.
func printEquivalent(w io.Writer, ms []measurement) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Against both baselines: the raw limit above (usher's tables, migrated by usher) and the equivalent tables (same columns and indexes, content hash included, in a bare database). CPU in ms per 1000 documents, process and PostgreSQL backends together. Peak memory, from the push to the projector's catch-up: VmHWM of this process (server, senders and the run's payloads; SQLite's page cache too), with its resident size at the push's start; and the Go heap in use (runtime.MemStats.HeapInuse sampled every 100 ms) at its peak, with its size at the start.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| engine | senders | usher docs/s | equivalent docs/s | usher / raw | usher / equivalent | usher CPU | raw CPU | equivalent CPU | usher / equivalent CPU | peak RSS MB (at start) | peak Go heap MB (at start) |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, m := range ms {
		r := m.result
		rawRate := float64(m.rawDocs) / m.raw.Wall.Seconds()
		eqRate := float64(m.rawDocs) / m.equivalent.Wall.Seconds()
		u, raw, eq := perThousand(m.cost, r.Docs), perThousand(m.raw, m.rawDocs), perThousand(m.equivalent, m.rawDocs)
		mem := "n/a"
		if m.peakRSS > 0 {
			mem = fmt.Sprintf("%.0f (%.0f)", float64(m.peakRSS)/(1<<20), float64(m.baseRSS)/(1<<20))
		}
		fmt.Fprintf(w, "| %s | %d | %.0f | %.0f | %.0f%% | %.0f%% | %.0f | %.0f | %.0f | %.1fx | %s | %.0f (%.0f) |\n", m.engine, r.Senders,
			r.DocsPerSecond(), eqRate, 100*r.DocsPerSecond()/rawRate, 100*r.DocsPerSecond()/eqRate,
			u[0]+u[1], raw[0]+raw[1], eq[0]+eq[1], (u[0]+u[1])/(eq[0]+eq[1]), mem,
			float64(m.peakHeap)/(1<<20), float64(m.baseHeap)/(1<<20))
	}
}

// printByStream gives the acknowledgement times by stream, which tell
// whose payloads make the tail.
func printByStream(w io.Writer, ms []measurement) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Acknowledgement times by stream (ms):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| engine | senders | stream | payloads | p50 | p90 | p99 |")
	fmt.Fprintln(w, "|---|---:|---|---:|---:|---:|---:|")
	for _, m := range ms {
		for _, stream := range slices.Sorted(maps.Keys(m.result.ByStream)) {
			ds := m.result.ByStream[stream]
			fmt.Fprintf(w, "| %s | %d | %s | %d | %.1f | %.1f | %.1f |\n", m.engine, m.result.Senders, stream, len(ds),
				load.Millis(load.Percentile(ds, 50)), load.Millis(load.Percentile(ds, 90)), load.Millis(load.Percentile(ds, 99)))
		}
	}
}

// perThousand returns the process and backend CPU milliseconds per 1000 documents.
func perThousand(c load.Cost, docs int) [2]float64 {
	k := float64(docs) / 1000
	return [2]float64{float64(c.Process.Milliseconds()) / k, float64(c.Backend.Milliseconds()) / k}
}

func printGrowth(w io.Writer, ms []measurement) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Growth: the same run over more stored history. CPU per 1000 documents depends little on what else the machine runs, so it shows cost against history better than the rate does.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| engine | stored before | senders | usher docs/s | rate vs first step | p50 ack ms | p99 ack ms | CPU ms per 1000 docs | CPU vs first step |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	firstRate, firstCPU := map[string]float64{}, map[string]float64{}
	for _, m := range ms {
		r := m.result
		c := perThousand(m.cost, r.Docs)
		cpu := c[0] + c[1]
		if _, ok := firstRate[m.engine]; !ok {
			firstRate[m.engine], firstCPU[m.engine] = r.DocsPerSecond(), cpu
		}
		fmt.Fprintf(w, "| %s | %d | %d | %.0f | %.0f%% | %.1f | %.1f | %.0f | %.0f%% |\n", m.engine, m.stored, r.Senders,
			r.DocsPerSecond(), 100*r.DocsPerSecond()/firstRate[m.engine],
			load.Millis(load.Percentile(r.Latencies, 50)), load.Millis(load.Percentile(r.Latencies, 99)),
			cpu, 100*cpu/firstCPU[m.engine])
	}
}
