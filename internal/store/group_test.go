package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestGroupedWritesTogetherWhatArrivesTogether holds the first write
// until nine more are queued: they go in one second group, and each
// caller gets its own outcome.
func TestGroupedWritesTogetherWhatArrivesTogether(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var groups [][]int
	g := &grouped[int]{most: 100, write: func(ctx context.Context, items []int) ([]error, error) {
		if items[0] == 0 {
			<-release
		}
		mu.Lock()
		groups = append(groups, items)
		mu.Unlock()
		errs := make([]error, len(items))
		for i, it := range items {
			if it%2 == 1 {
				errs[i] = fmt.Errorf("odd %d", it)
			}
		}
		return errs, nil
	}}
	results := make([]error, 10)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); results[0] = g.do(context.Background(), 0) }()
	for !queued(g, 0) {
	}
	for i := 1; i < 10; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); results[i] = g.do(context.Background(), i) }()
	}
	for !queued(g, 9) {
	}
	close(release)
	wg.Wait()
	if len(groups) != 2 || len(groups[0]) != 1 || len(groups[1]) != 9 {
		t.Fatalf("groups = %v, want [0] then the nine queued behind it", groups)
	}
	for i, err := range results {
		if (err != nil) != (i%2 == 1) {
			t.Errorf("write %d: %v", i, err)
		}
	}
}

// queued reports whether n calls wait behind the group being written.
func queued[T any](g *grouped[T], n int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.writing && len(g.queue) == n
}

func TestGroupedFailureReachesEveryCallerOfTheGroup(t *testing.T) {
	boom := errors.New("database gone")
	g := &grouped[int]{most: 2, write: func(ctx context.Context, items []int) ([]error, error) { return nil, boom }}
	for i := range 3 {
		if err := g.do(context.Background(), i); !errors.Is(err, boom) {
			t.Fatalf("write %d: %v, want the group's failure", i, err)
		}
	}
}
