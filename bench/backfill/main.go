// Command backfill times usher's first-time synchronisation: S-360 pushes
// a venue's history, by default 2,000,000 ticket checks and 500,000
// orders in payloads of 50, into a new usher database, from several
// senders at once. It first measures the engine's raw limit on a sample
// of the same documents, and reports the backfill's rate as a ratio to it.
//
//	go run ./bench/backfill -engine postgres
//	go run ./bench/backfill -engine sqlite -checks 200000 -orders 50000
//
// See docs/performance.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/bench/load"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "backfill:", err)
		os.Exit(1)
	}
}

type options struct {
	engine                      string
	checks, orders, per, sample int
	senders                     int
	postgres, dir               string
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("backfill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.engine, "engine", "postgres", "sqlite or postgres")
	fs.IntVar(&o.checks, "checks", 2_000_000, "ticket checks to synchronise")
	fs.IntVar(&o.orders, "orders", 500_000, "orders to synchronise")
	fs.IntVar(&o.per, "per", 50, "documents per payload (S-360 sends at most 50)")
	fs.IntVar(&o.senders, "senders", 4, "concurrent senders")
	fs.IntVar(&o.sample, "sample", 100_000, "documents in the raw-limit sample")
	fs.StringVar(&o.postgres, "postgres", getenv("TEST_DATABASE_URL"), "PostgreSQL URL allowed to create databases; env TEST_DATABASE_URL")
	fs.StringVar(&o.dir, "dir", "", "directory for SQLite files (default: the system's temporary directory)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.per < 1 || o.per > 50 || o.senders < 1 || o.checks < 0 || o.orders < 0 || o.checks+o.orders == 0 {
		return o, errors.New("need -per in 1..50, -senders ≥ 1 and some -checks or -orders")
	}
	return o, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	dbs, err := load.NewDatabases(o.engine, o.postgres, o.dir)
	if err != nil {
		return err
	}
	defer dbs.Close(context.WithoutCancel(ctx))
	fmt.Fprintf(stdout, "Machine: %s\n", load.Machine())
	raw, err := rawRate(ctx, dbs, o)
	if err != nil {
		return err
	}
	res, catchUp, err := backfill(ctx, dbs, o, stderr)
	if err != nil {
		return err
	}
	rate := res.DocsPerSecond()
	fmt.Fprintf(stdout, "Backfill on %s: %d ticket checks and %d orders in %d payloads of %d from %d senders\n",
		o.engine, o.checks, o.orders, res.Payloads, o.per, o.senders)
	fmt.Fprintf(stdout, "| engine | documents | time | usher docs/s | raw limit docs/s (sample of %d) | usher / raw | p50 ack ms | p99 ack ms |\n", o.sample)
	fmt.Fprintln(stdout, "|---|---:|---:|---:|---:|---:|---:|---:|")
	fmt.Fprintf(stdout, "| %s | %d | %s | %.0f | %.0f | %.0f%% | %.1f | %.1f |\n", o.engine, res.Docs, res.Elapsed.Round(time.Second),
		rate, raw, 100*rate/raw, load.Millis(load.Percentile(res.Latencies, 50)), load.Millis(load.Percentile(res.Latencies, 99)))
	fmt.Fprintf(stdout, "The analytics projector ran throughout and needed %s after the last acknowledgement to apply everything.\n",
		catchUp.Round(time.Millisecond))
	fmt.Fprintf(stdout, "Load average at the end: %s\n", load.LoadAverage())
	return nil
}

// schedule yields the stream of the i-th payload: checks and orders
// interleaved in proportion, so both streams progress together as S-360's
// two export jobs would.
func schedule(checks, orders int) func(i int) usher.Stream {
	return func(i int) usher.Stream {
		if orders > 0 && (checks == 0 || i%(checks/orders+1) == 0) {
			return usher.StreamOrders
		}
		return usher.StreamTicketChecks
	}
}

func rawRate(ctx context.Context, dbs *load.Databases, o options) (float64, error) {
	dsn, err := dbs.New(ctx)
	if err != nil {
		return 0, err
	}
	gen := load.NewGenerator(99)
	next := schedule(o.checks, o.orders)
	var payloads []load.Payload
	for i := 0; i < o.sample/o.per; i++ {
		payloads = append(payloads, gen.Payload(next(i), o.per))
	}
	docs, err := load.Documents(load.Institution.Code, payloads)
	if err != nil {
		return 0, err
	}
	cost, err := load.RawLimit(ctx, dsn, docs)
	if err != nil {
		return 0, err
	}
	return float64(len(docs)) / cost.Wall.Seconds(), nil
}

// backfill pushes every payload into a new database, checks that exactly
// the acknowledged documents are stored, and returns how long the
// analytics projector still worked after the last acknowledgement.
func backfill(ctx context.Context, dbs *load.Databases, o options, log io.Writer) (load.Result, time.Duration, error) {
	dsn, err := dbs.New(ctx)
	if err != nil {
		return load.Result{}, 0, err
	}
	srv, err := load.StartServer(ctx, dsn)
	if err != nil {
		return load.Result{}, 0, err
	}
	defer srv.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	total := (o.checks + o.orders) / o.per
	next := make(chan load.Payload, o.senders)
	go produce(ctx, o, total, next, log)
	res, err := load.SendFrom(ctx, srv.Target(), o.senders, next)
	if err != nil {
		return res, 0, err
	}
	n, err := load.CountRows(ctx, srv.Store)
	if err != nil {
		return res, 0, err
	}
	if n != int64(res.Docs) {
		return res, 0, fmt.Errorf("%d rows stored after acknowledging %d documents", n, res.Docs)
	}
	start := time.Now()
	if err := srv.CatchUp(ctx); err != nil {
		return res, 0, fmt.Errorf("analytics projector: %w", err)
	}
	return res, time.Since(start), nil
}

// produce generates the payloads as they are needed, so memory stays flat
// however long the history, and logs progress every tenth.
func produce(ctx context.Context, o options, total int, next chan<- load.Payload, log io.Writer) {
	defer close(next)
	gen := load.NewGenerator(1)
	stream := schedule(o.checks, o.orders)
	start := time.Now()
	for i := range total {
		select {
		case next <- gen.Payload(stream(i), o.per):
		case <-ctx.Done():
			return
		}
		if tenth := max(total/10, 1); i > 0 && i%tenth == 0 {
			el := time.Since(start)
			fmt.Fprintf(log, "%s %d%%: %d documents in %s, %.0f docs/s\n", time.Now().Format("15:04:05"),
				100*i/total, i*o.per, el.Round(time.Second), float64(i*o.per)/el.Seconds())
		}
	}
}
