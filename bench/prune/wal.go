package main

import (
	"context"
	"os"
	"strings"
	"sync"
	"time"
)

// walWatch samples the size of a SQLite database's WAL file: how far it
// grows under the pushes and the pruning (docs/operations.md, the
// checkpointer). On PostgreSQL it sees nothing.
type walWatch struct {
	mu       sync.Mutex
	max, all int64
	stop     context.CancelFunc
	done     chan struct{}
}

func watchWAL(ctx context.Context, dsn string) *walWatch {
	ctx, stop := context.WithCancel(ctx)
	w := &walWatch{stop: stop, done: make(chan struct{})}
	path, ok := strings.CutPrefix(dsn, "sqlite:")
	if !ok {
		close(w.done)
		return w
	}
	go func() {
		defer close(w.done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if st, err := os.Stat(path + "-wal"); err == nil {
				w.mu.Lock()
				w.max, w.all = max(w.max, st.Size()), max(w.all, st.Size())
				w.mu.Unlock()
			}
		}
	}()
	return w
}

// peak is the largest size since the last reset; overall since the start.
func (w *walWatch) peak() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.max
}

func (w *walWatch) overall() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all
}

func (w *walWatch) reset() {
	w.mu.Lock()
	w.max = 0
	w.mu.Unlock()
}
