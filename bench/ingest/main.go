// Command ingest measures usher's push path against the physical limit of
// its database: concurrent senders post 50-document payloads of ticket
// checks, contacts and orders to an in-process usher server, and the same
// documents are bulk-loaded raw into a fresh database of the same shape
// (pgx COPY on PostgreSQL, one transaction on SQLite). With -growth it
// measures again with 10x, 100x… more history already stored.
//
//	go run ./bench/ingest -engine sqlite,postgres -senders 1,4,16
//	go run ./bench/ingest -engine postgres -senders 16 -growth 1,10,100
//	go run ./bench/ingest -engine sqlite -senders 16 -cpuprofile cpu.out -memprofile mem.out
//	go run ./bench/ingest -engine postgres -streams ticketchecks
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
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/bench/load"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	engines       []string
	senders       []int
	growth        []int
	growthSenders int
	history       int
	payloads, per int
	postgres, dir string
	seed          uint64
	cpuProfile    string
	memProfile    string
	// mix replaces load.Mix when set: the streams of the payloads, in turn.
	mix []usher.Stream
	// indexed sets load.IndexedPaths.
	indexed []usher.IndexedPath
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	engines := fs.String("engine", "sqlite,postgres", "engines to measure, comma-separated")
	senders := fs.String("senders", "1,4,16", "numbers of concurrent senders, comma-separated")
	growth := fs.String("growth", "", "history to preload before measuring again, in multiples of one run's documents (e.g. 1,10,100); empty skips")
	fs.IntVar(&o.growthSenders, "growth-senders", 16, "senders for the growth measurements")
	fs.IntVar(&o.history, "history", 1, "history preloaded before each measurement against the raw limit, in multiples of one run's documents (0: a new database)")
	fs.IntVar(&o.payloads, "payloads", 400, "payloads per measurement")
	fs.IntVar(&o.per, "per", 50, "documents per payload (S-360 sends at most 50)")
	fs.StringVar(&o.postgres, "postgres", getenv("TEST_DATABASE_URL"), "PostgreSQL URL allowed to create databases; env TEST_DATABASE_URL")
	fs.StringVar(&o.dir, "dir", "", "directory for SQLite files (default: the system's temporary directory)")
	fs.Uint64Var(&o.seed, "seed", 1, "generator seed")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run here (server samples carry the label side=server)")
	fs.StringVar(&o.memProfile, "memprofile", "", "write an allocation profile of the whole run here")
	indexed := fs.String("indexed-path", "", "stream:path whose index the server keeps (documents.indexed_paths), to measure what one costs; empty: none")
	mix := fs.String("streams", "", "streams of the payloads in turn, comma-separated (e.g. ticketchecks, as issue 21's outside measurement); empty: the S-360 mix")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.engines = strings.Split(*engines, ",")
	var err error
	if o.senders, err = ints(*senders); err != nil {
		return o, fmt.Errorf("-senders: %w", err)
	}
	if o.growth, err = ints(*growth); err != nil {
		return o, fmt.Errorf("-growth: %w", err)
	}
	for _, f := range strings.Split(*mix, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if !slices.Contains(usher.Streams, usher.Stream(f)) {
			return o, fmt.Errorf("-streams: %q is not one of %v", f, usher.Streams)
		}
		o.mix = append(o.mix, usher.Stream(f))
	}
	if *indexed != "" {
		stream, path, _ := strings.Cut(*indexed, ":")
		p := usher.IndexedPath{Stream: usher.Stream(stream), Path: path}
		if err := p.Validate(); err != nil {
			return o, fmt.Errorf("-indexed-path: %w", err)
		}
		o.indexed = []usher.IndexedPath{p}
	}
	if o.payloads < 1 || o.per < 1 || o.per > 50 {
		return o, errors.New("-payloads must be positive and -per between 1 and 50")
	}
	return o, nil
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive whole number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if len(o.mix) > 0 {
		defer func(mix []usher.Stream) { load.Mix = mix }(load.Mix)
		load.Mix = o.mix
	}
	if len(o.indexed) > 0 {
		defer func(paths []usher.IndexedPath) { load.IndexedPaths = paths }(load.IndexedPaths)
		load.IndexedPaths = o.indexed
	}
	b := &bench{o: o, out: stdout, log: stderr}
	if err := b.run(ctx); err != nil {
		return err
	}
	if o.memProfile != "" {
		return writeAllocs(o.memProfile)
	}
	return nil
}

func writeAllocs(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	runtime.GC()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}
