package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/usher-hub/usher"
)

func TestRunReportsTheBackfill(t *testing.T) {
	var out, log bytes.Buffer
	args := []string{"-engine", "sqlite", "-checks", "400", "-orders", "100", "-per", "10", "-sample", "100", "-dir", t.TempDir()}
	if err := run(context.Background(), args, os.Getenv, &out, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if !strings.Contains(out.String(), "| sqlite | 500 |") {
		t.Fatalf("output lacks the backfill row:\n%s", out.String())
	}
}

func TestScheduleKeepsTheProportion(t *testing.T) {
	next := schedule(2_000_000, 500_000)
	n := map[usher.Stream]int{}
	for i := range 1000 {
		n[next(i)]++
	}
	if n[usher.StreamOrders] != 200 || n[usher.StreamTicketChecks] != 800 {
		t.Fatalf("1000 payloads scheduled as %v, want 800 checks and 200 orders", n)
	}
	if only := schedule(10, 0); only(0) != usher.StreamTicketChecks {
		t.Fatal("without orders, a payload was scheduled as orders")
	}
}
