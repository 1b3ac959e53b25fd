package crm

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/usher-hub/usher/internal/upstream/s360"
)

// batcher gathers the new contacts of concurrent outbox attempts into
// createCulturalContact calls of up to size contacts: one call of the
// instance's budget creates many contacts. A call goes when it is full or
// when its first contact has waited linger.
type batcher struct {
	up     Upstream
	size   int
	linger time.Duration

	mu      sync.Mutex
	pending []*batchItem
	timer   *time.Timer
}

type batchItem struct {
	contact s360.CulturalContact
	done    chan batchResult
}

type batchResult struct {
	number string
	err    error
}

func newBatcher(up Upstream, size int, linger time.Duration) *batcher {
	if size <= 0 {
		size = DefaultContactBatch
	}
	if linger <= 0 {
		linger = 200 * time.Millisecond
	}
	return &batcher{up: up, size: size, linger: linger}
}

// create creates c in the next call and returns its contact number. If ctx
// ends first the call may still be made: the outcome is then unknown, and
// the job's next attempt resolves it.
func (b *batcher) create(ctx context.Context, c s360.CulturalContact) (string, error) {
	it := &batchItem{contact: c, done: make(chan batchResult, 1)}
	b.mu.Lock()
	b.pending = append(b.pending, it)
	switch {
	case len(b.pending) >= b.size:
		batch := b.take()
		b.mu.Unlock()
		go b.send(batch)
	case len(b.pending) == 1:
		b.timer = time.AfterFunc(b.linger, b.flush)
		b.mu.Unlock()
	default:
		b.mu.Unlock()
	}
	select {
	case r := <-it.done:
		return r.number, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// take removes the pending contacts; b.mu is held.
func (b *batcher) take() []*batchItem {
	batch := b.pending
	b.pending = nil
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	return batch
}

func (b *batcher) flush() {
	b.mu.Lock()
	batch := b.take()
	b.mu.Unlock()
	if len(batch) > 0 {
		b.send(batch)
	}
}

// send makes one call for batch and tells each contact its outcome. The
// call runs for all its contacts, so no single attempt's context cancels
// it; the client's timeout bounds it.
func (b *batcher) send(batch []*batchItem) {
	list := make([]s360.CulturalContact, len(batch))
	for i, it := range batch {
		list[i] = it.contact
	}
	created, err := b.up.CreateCulturalContact(context.Background(), list)
	if kind, _ := s360.KindOf(err); err != nil && kind == s360.Permanent && len(batch) > 1 && !s360.MaybeApplied(err) {
		// S-360 refused the call as a whole, and its methods are
		// transactional: nothing was created. One bad contact must not
		// fail the others, so each goes alone.
		for _, it := range batch {
			b.send([]*batchItem{it})
		}
		return
	}
	for _, it := range batch {
		r := batchResult{err: err}
		if err == nil {
			r.number = created[it.contact.Identifier]
			if r.number == "" {
				r.err = fmt.Errorf("s360 createCulturalContact: the answer maps no contact number to identifier %d", it.contact.Identifier)
			}
		}
		it.done <- r
	}
}
