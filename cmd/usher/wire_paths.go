package main

import (
	"context"
	"sync"
	"time"

	"github.com/usher-hub/usher"
)

// pathRecheckEvery is how often a server reads which indexes of document
// paths are valid: one catalog query; a filter reads through an index
// another replica dropped for at most this long.
const pathRecheckEvery = time.Minute

// wirePathIndexes keeps the indexes of documents.indexed_paths in the
// background: building one over millions of versions takes minutes, and
// the server serves meanwhile (that path's filter keeps its bounded scan
// until the index is built). It runs with no path configured too, to drop
// the indexes of paths no longer configured. Stopping the server cancels
// a build; the next start drops what it left and builds again. Then,
// every pathRecheckEvery, it reads which indexes are valid: another
// replica may have dropped one this one reads through, or built one.
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
		tick := time.NewTicker(pathRecheckEvery)
		defer tick.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-tick.C:
				if err := x.RecheckPathIndexes(runCtx); err != nil && runCtx.Err() == nil {
					log.Warn("recheck of the indexes of document paths", "err", err)
				}
			}
		}
	})
	a.closers = append(a.closers, func() error {
		cancel()
		wg.Wait()
		return nil
	})
}
