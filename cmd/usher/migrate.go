package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/usher-hub/usher/internal/store"
)

// runMigrate applies migrations; opening a store migrates it.
func runMigrate(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var cf configFlags
	cf.register(fs, e)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := cf.load(e)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.Database, time.Now)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(e.stdout, "database %s is up to date\n", describeDatabase(cfg))
	return nil
}

func runConfig(_ context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("config", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var cf configFlags
	cf.register(fs, e)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := cf.load(e)
	if err != nil {
		return err
	}
	fmt.Fprint(e.stdout, cfg.Redacted().YAML())
	return nil
}
