package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

var _ usher.PathIndexer = (*Store)(nil)

// pathIndexVersion is part of every index name: a change to the index's
// definition in an engine changes it, and the next start drops the old
// indexes and builds the new ones.
const pathIndexVersion = "1"

// pathIndexes are the indexes on document paths the listing may read:
// configured, and valid in the database.
type pathIndexes struct {
	mu    sync.RWMutex
	ready map[string]driver.PathIndex // by pathKey
	want  map[string]driver.PathIndex // configured, by index name
}

func pathKey(stream usher.Stream, path string) string { return string(stream) + "\x00" + path }

// pathIndexFor returns the index that serves a path filter on stream.
func (s *Store) pathIndexFor(stream usher.Stream, path string) (driver.PathIndex, bool) {
	s.paths.mu.RLock()
	defer s.paths.mu.RUnlock()
	ix, ok := s.paths.ready[pathKey(stream, path)]
	return ix, ok
}

func (s *Store) setPathIndexReady(key string, ix *driver.PathIndex) {
	s.paths.mu.Lock()
	defer s.paths.mu.Unlock()
	if s.paths.ready == nil {
		s.paths.ready = map[string]driver.PathIndex{}
	}
	if ix == nil {
		delete(s.paths.ready, key)
		return
	}
	s.paths.ready[key] = *ix
}

// PathIndex returns the index usher keeps for path in stream, its name
// usher_path_ and a hash of both, or an EINVALID error naming what is
// wrong with them.
func PathIndex(p usher.IndexedPath) (driver.PathIndex, error) {
	if err := p.Validate(); err != nil {
		return driver.PathIndex{}, err
	}
	keys, err := usher.ParseDocumentPath(p.Path)
	if err != nil {
		return driver.PathIndex{}, err
	}
	h := sha256.Sum256([]byte(pathIndexVersion + "\x00" + string(p.Stream) + "\x00" + p.Path))
	return driver.PathIndex{Name: driver.PathIndexPrefix + hex.EncodeToString(h[:8]), Stream: string(p.Stream),
		JSONPath: p.Path, Keys: keys}, nil
}

// IndexPaths makes the indexes on document paths those of paths: it
// drops usher's indexes no longer configured, and builds the missing
// ones, one at a time, each serving the listing as soon as it is built
// (those already built serve it at once). It runs as long as the builds:
// minutes for millions of versions, so a server runs it in the
// background. An index that fails is logged and skipped (its filter
// keeps the bounded scan); the errors are returned together.
func (s *Store) IndexPaths(ctx context.Context, paths []usher.IndexedPath, log *slog.Logger) error {
	want := map[string]driver.PathIndex{}
	var order []string
	for _, p := range paths {
		ix, err := PathIndex(p)
		if err != nil {
			return err
		}
		if _, dup := want[ix.Name]; !dup {
			order = append(order, ix.Name)
		}
		want[ix.Name] = ix
	}
	have, err := s.d.PathIndexes(ctx)
	if err != nil {
		return fmt.Errorf("store: list path indexes: %w", err)
	}
	s.paths.mu.Lock()
	s.paths.ready, s.paths.want = map[string]driver.PathIndex{}, want
	s.paths.mu.Unlock()
	valid := map[string]bool{}
	var errs []error
	for _, h := range have {
		ix, ok := want[h.Name]
		switch {
		case ok && h.Valid:
			valid[h.Name] = true
			s.setPathIndexReady(pathKey(usher.Stream(ix.Stream), ix.JSONPath), &ix)
		case !ok:
			if err := s.d.DropPathIndex(ctx, h.Name); err != nil {
				errs = append(errs, fmt.Errorf("store: drop index %s: %w", h.Name, err))
				continue
			}
			log.Info("dropped the index of a document path no longer configured", "index", h.Name)
		}
	}
	for _, name := range order {
		if valid[name] {
			continue
		}
		ix := want[name]
		log.Info("building the index of a document path", "index", ix.Name, "stream", ix.Stream, "path", ix.JSONPath)
		start := time.Now()
		if err := s.d.EnsurePathIndex(ctx, ix); err != nil {
			log.Error("index of a document path not built: its filter scans at most 10,000 versions a request",
				"index", ix.Name, "stream", ix.Stream, "path", ix.JSONPath, "err", err)
			errs = append(errs, fmt.Errorf("store: build index %s: %w", ix.Name, err))
			continue
		}
		log.Info("built the index of a document path", "index", ix.Name, "stream", ix.Stream, "path", ix.JSONPath,
			"took", time.Since(start).Round(time.Millisecond))
		s.setPathIndexReady(pathKey(usher.Stream(ix.Stream), ix.JSONPath), &ix)
	}
	return errors.Join(errs...)
}

// RecheckPathIndexes makes the indexes the listing reads those that the
// last IndexPaths configured and that are valid in the database now.
// Another replica on the database may have dropped one (its list was
// shorter) or built one; without a recheck a dropped index's filter would
// no longer be bounded by the scan. Call it after IndexPaths has returned.
func (s *Store) RecheckPathIndexes(ctx context.Context) error {
	s.paths.mu.RLock()
	want := s.paths.want
	s.paths.mu.RUnlock()
	have, err := s.d.PathIndexes(ctx)
	if err != nil {
		return fmt.Errorf("store: list path indexes: %w", err)
	}
	ready := map[string]driver.PathIndex{}
	for _, h := range have {
		if ix, ok := want[h.Name]; ok && h.Valid {
			ready[pathKey(usher.Stream(ix.Stream), ix.JSONPath)] = ix
		}
	}
	s.paths.mu.Lock()
	s.paths.ready = ready
	s.paths.mu.Unlock()
	return nil
}
