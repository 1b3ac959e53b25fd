package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
)

// Off a terminal, progress is one line per progressEvery, whatever the
// number of items, with count, share, rate and time left.
func TestLineProgressPrintsPeriodically(t *testing.T) {
	var out strings.Builder
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newProgress(&out, "replay", "documents", 5000).(*lineProgress)
	p.start, p.last, p.now = clock, clock, func() time.Time { return clock }
	for i := range 5000 {
		if i == 1000 {
			clock = clock.Add(progressEvery)
		}
		p.Add(1)
	}
	if got := strings.Count(out.String(), "\n"); got != 1 {
		t.Fatalf("%d lines for 5000 items in one period, want 1:\n%s", got, out.String())
	}
	if want := "replay: 1001/5000 documents (20%), 100 documents/s, about 40s left"; !strings.Contains(out.String(), want) {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
	p.Finish()
	if !strings.Contains(out.String(), "replay: 5000/5000 documents (100%)") {
		t.Fatalf("no final line:\n%s", out.String())
	}
}

// An application error reads as its message, never its code.
func TestErrorTextHidesCodes(t *testing.T) {
	base := usher.Errorf(usher.ENOTFOUND, "no contact 42 of myvenue")
	for _, err := range []error{base, fmt.Errorf("contacts forget: %w", base), &usher.Error{Code: usher.EUNAVAILABLE, Message: "database unavailable", Err: errors.New("disk I/O error")}} {
		got := errorText(err)
		if strings.Contains(got, "not_found") || strings.HasPrefix(got, "unavailable:") {
			t.Errorf("errorText(%v) = %q shows a code", err, got)
		}
	}
	if got := errorText(fmt.Errorf("contacts forget: %w", base)); got != "contacts forget: no contact 42 of myvenue" {
		t.Errorf("wrapped: %q", got)
	}
}
