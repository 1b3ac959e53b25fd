package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progressEvery is how often a long command reports on a non-terminal
// (a log file, a CI job): one line, not one per item.
const progressEvery = 10 * time.Second

// progress reports a long command's advance: a bar with count, rate and
// time left on a terminal; elsewhere a one-line summary every
// progressEvery and one at the end.
type progress interface {
	Add(n int)
	// Finish prints the last state; the command then prints its result.
	Finish()
}

// newProgress returns the reporter that suits w. total is the number of
// items expected (documents, steps); unit names them.
func newProgress(w io.Writer, what, unit string, total int) progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &barProgress{bar: progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString(unit),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionFullWidth(),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)}
	}
	return &lineProgress{w: w, what: what, unit: unit, total: total, start: time.Now(), last: time.Now(), now: time.Now}
}

type barProgress struct{ bar *progressbar.ProgressBar }

func (b *barProgress) Add(n int) { _ = b.bar.Add(n) }
func (b *barProgress) Finish()   { _ = b.bar.Finish() }

// lineProgress writes "what: 1200/5000 documents (24%), 310 documents/s,
// about 12s left" lines.
type lineProgress struct {
	mu          sync.Mutex
	w           io.Writer
	what, unit  string
	total, done int
	start, last time.Time
	now         func() time.Time
}

func (l *lineProgress) Add(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done += n
	if now := l.now(); now.Sub(l.last) >= progressEvery {
		l.last = now
		fmt.Fprintln(l.w, l.line(now))
	}
}

func (l *lineProgress) Finish() {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintln(l.w, l.line(l.now()))
}

func (l *lineProgress) line(now time.Time) string {
	elapsed := now.Sub(l.start)
	s := fmt.Sprintf("%s: %d/%d %s", l.what, l.done, l.total, l.unit)
	if l.total > 0 {
		s += fmt.Sprintf(" (%d%%)", l.done*100/l.total)
	}
	if secs := elapsed.Seconds(); secs > 0 && l.done > 0 {
		rate := float64(l.done) / secs
		s += fmt.Sprintf(", %.0f %s/s", rate, l.unit)
		if left := l.total - l.done; left > 0 {
			s += fmt.Sprintf(", about %s left", time.Duration(float64(left)/rate*float64(time.Second)).Round(time.Second))
		}
	}
	return s + fmt.Sprintf(", %s elapsed", elapsed.Round(time.Millisecond))
}
