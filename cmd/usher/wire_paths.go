package main

import (
	"context"
	"sync"

	"github.com/usher-hub/usher"
)

// wirePathIndexes keeps the indexes of documents.indexed_paths in the
// background: building one over millions of versions takes minutes, and
// the server serves meanwhile (that path's filter keeps its bounded scan
// until the index is built). It runs with no path configured too, to drop
// the indexes of paths no longer configured. Stopping the server cancels
// a build; the next start drops what it left and builds again.
func wirePathIndexes(ctx context.Context, a *app) {
	x, ok := a.store.(usher.PathIndexer)
	if !ok {
		return
	}
	paths := a.cfg.IndexedPaths()
	log := a.logger.With("worker", "path_indexes")
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := x.IndexPaths(runCtx, paths, log); err != nil && runCtx.Err() == nil {
			log.Error("indexes of document paths", "err", err)
		}
	})
	a.closers = append(a.closers, func() error {
		cancel()
		wg.Wait()
		return nil
	})
}
