package store

import (
	"context"
	"sync"
	"time"
)

// grouped writes the single-row writes that concurrent callers make at
// the same moment in one transaction: group commit above the driver. An
// import answers fifty contacts with one S-360 call, so fifty workers
// finish their jobs at once; one commit for the fifty instead of fifty
// keeps PostgreSQL's fsyncs from becoming the import's limit. A write
// arriving alone still goes alone, at once, and a caller waits for the
// commit of its own write, as before.
type grouped[T any] struct {
	// write writes items in one transaction and returns each item's
	// outcome, or one error for all of them.
	write func(ctx context.Context, items []T) ([]error, error)
	// most bounds a group, so a transaction stays short.
	most int

	mu      sync.Mutex
	queue   []groupCall[T]
	writing bool
}

type groupCall[T any] struct {
	item T
	done chan error
}

// groupTimeout bounds one group's transaction: the callers' own contexts
// are not the group's, since a group serves several callers.
const groupTimeout = 30 * time.Second

// do writes item with whatever else is queued and returns its outcome.
// A caller whose ctx ends first gets ctx's error; its write may still
// commit, as a write whose caller gave up always could.
func (g *grouped[T]) do(ctx context.Context, item T) error {
	c := groupCall[T]{item: item, done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	if !g.writing {
		g.writing = true
		go g.drain()
	}
	g.mu.Unlock()
	select {
	case err := <-c.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain writes the queue group by group until it is empty.
func (g *grouped[T]) drain() {
	for {
		g.mu.Lock()
		n := min(len(g.queue), g.most)
		if n == 0 {
			g.writing = false
			g.mu.Unlock()
			return
		}
		group := g.queue[:n:n]
		g.queue = g.queue[n:]
		g.mu.Unlock()
		g.writeGroup(group)
	}
}

func (g *grouped[T]) writeGroup(group []groupCall[T]) {
	items := make([]T, len(group))
	for i, c := range group {
		items[i] = c.item
	}
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	errs, err := g.write(ctx, items)
	for i, c := range group {
		if err != nil {
			c.done <- err
		} else {
			c.done <- errs[i]
		}
	}
}
