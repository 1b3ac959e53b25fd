package main

import (
	"context"
	"fmt"
)

// runMigrate applies migrations; opening a store migrates it.
func runMigrate(ctx context.Context, e env, args []string) error {
	fs, cf := commandFlags("migrate", e)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, st, err := cf.openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(e.stdout, "database %s is up to date\n", describeDatabase(cfg))
	return nil
}

func runConfig(_ context.Context, e env, args []string) error {
	fs, cf := commandFlags("config", e)
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
