package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestSimCentamanCommand(t *testing.T) {
	getenv := func(k string) string {
		if k == "CENTAMAN_PASSWORD" {
			return "pw"
		}
		return ""
	}
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"usher", "sim", "centaman", "--listen", "0.0.0.0:0"}, getenv, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("non-loopback listen: %v, want refused", err)
	}
	err = run(context.Background(), []string{"usher", "sim", "centaman"}, func(string) string { return "" }, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "CENTAMAN_PASSWORD") {
		t.Fatalf("no password: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // start, print the address, then shut down at once
	if err := run(ctx, []string{"usher", "sim", "centaman", "--listen", "127.0.0.1:0"}, getenv, &out, &errs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "/CENTAMAN.API") || !strings.Contains(out.String(), "_sim/outage") {
		t.Fatalf("output %q lacks the API and control URLs", out.String())
	}
	if err := run(ctx, []string{"usher", "sim", "s999"}, getenv, &out, &errs); err == nil {
		t.Fatal("unknown simulator accepted")
	}
}
