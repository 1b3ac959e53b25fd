package sqlite

import (
	"fmt"
	"os"
	"sync"
)

// syncer makes committed transactions durable behind the writer's back
// (pipelined sync, see groupWriter): it fsyncs the WAL and then answers
// the writes committed before that fsync began. Groups that commit while
// an fsync is in progress share the next one.
//
// An fsync that fails leaves the store failed: on Linux the pages it could
// not write may be dropped from the cache and a later fsync succeed
// without them, so no later commit could be called durable. Every write
// from then on fails (503 to a push, which S-360 retries) until usher is
// restarted and SQLite recovers the WAL as the disk has it.
type syncer struct {
	sync    func() error
	mu      sync.Mutex
	pending []*writeJob
	wake    chan struct{} // a send means pending is not empty
	err     error         // the failed fsync, for good
	quit    chan struct{}
	done    chan struct{}
}

func startSyncer(sync func() error) *syncer {
	s := &syncer{sync: sync, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go s.loop()
	return s
}

// add hands over writes whose transaction has committed.
func (s *syncer) add(jobs []*writeJob) {
	if len(jobs) == 0 {
		return
	}
	s.mu.Lock()
	s.pending = append(s.pending, jobs...)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// failed returns the error of a failed fsync, if one has failed. It is
// nil-safe: a writer without a syncer never fails this way.
func (s *syncer) failed() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// stop answers what was handed over and stops. The writer calls it once it
// has stopped committing.
func (s *syncer) stop() {
	close(s.quit)
	<-s.done
}

func (s *syncer) loop() {
	defer close(s.done)
	for {
		select {
		case <-s.wake:
			s.syncPending()
		case <-s.quit:
			s.syncPending()
			return
		}
	}
}

// syncPending fsyncs once for every write handed over so far.
func (s *syncer) syncPending() {
	s.mu.Lock()
	jobs, failed := s.pending, s.err
	s.pending = nil
	s.mu.Unlock()
	if len(jobs) == 0 {
		return
	}
	if failed == nil {
		if err := s.sync(); err != nil {
			failed = fmt.Errorf("wal fsync failed; no later write is durable until usher restarts: %w", err)
			s.mu.Lock()
			s.err = failed
			s.mu.Unlock()
		}
	}
	answer(jobs, failed)
}

// syncFile returns a sync func for the file at path. It opens the file at
// each call rather than keeping it open, so that it always syncs the file
// SQLite writes now.
func syncFile(path string) func() error {
	return func() error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
}
