package s360

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"sync"

	"github.com/usher-hub/usher"
)

// item is one queued document.
type item struct {
	id  string
	raw json.RawMessage
}

// payload is one POST: at most bs items, kept byte for byte so that a
// retry sends exactly the same payload again.
type payload struct {
	items     []item
	body      []byte
	tries     int
	duplicate bool // a deliberate second delivery (fault injection)
}

// StreamStats counts what one stream's queue did since the start.
type StreamStats struct {
	Queued      int `json:"queued"`       // documents put in the queue
	Skipped     int `json:"skipped"`      // documents older than the cutoff, never queued
	Accepted    int `json:"accepted"`     // documents in payloads answered 200
	GivenUp     int `json:"given_up"`     // documents abandoned after the last try
	Pending     int `json:"pending"`      // documents still to deliver
	Posts       int `json:"posts"`        // POSTs made, retries and duplicates included
	FailedPosts int `json:"failed_posts"` // POSTs not answered 200 (or not at all)
	Duplicates  int `json:"duplicates"`   // payloads delivered twice on purpose
	// Superseded counts contact versions replaced in the queue by a newer
	// one before their run: a contact push carries the contact as it is
	// at the run (getContactData's output), not every version.
	Superseded int `json:"superseded"`
}

// queue is S-360's queue for one stream: new documents, and payloads that
// failed and go out again at the next run.
type queue struct {
	stream usher.Stream
	url    string

	mu    sync.Mutex
	fresh []item
	retry []*payload
	stats StreamStats
	// latestOnly keeps one queued item per id, the newest (contacts).
	latestOnly bool
	// waiting maps a queued id to its position in fresh plus taken.
	waiting map[string]int
	taken   int
}

func (q *queue) add(e Event) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.latestOnly {
		if pos, ok := q.waiting[e.ExternalID]; ok {
			q.fresh[pos-q.taken].raw = e.Raw
			q.stats.Superseded++
			return
		}
		if q.waiting == nil {
			q.waiting = map[string]int{}
		}
		q.waiting[e.ExternalID] = q.taken + len(q.fresh)
	}
	q.fresh = append(q.fresh, item{id: e.ExternalID, raw: e.Raw})
	q.stats.Queued++
	q.stats.Pending++
}

func (q *queue) skip() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stats.Skipped++
}

// take removes this run's payloads: the failed payloads first, as they
// were, then new documents in buckets of at most bucket, up to batch
// documents in all. With reorder, the new documents and the payloads are
// shuffled, so later versions and checks may arrive first.
func (q *queue) take(batch, bucket int, reorder bool, rng *lockedRand) []*payload {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []*payload
	budget := batch
	for len(q.retry) > 0 && budget > 0 {
		p := q.retry[0]
		if len(p.items) > budget && len(out) > 0 {
			break
		}
		out = append(out, p)
		budget -= len(p.items)
		q.retry = q.retry[1:]
	}
	n := min(max(budget, 0), len(q.fresh))
	items := append([]item(nil), q.fresh[:n]...)
	q.fresh = q.fresh[n:]
	q.taken += n
	for _, it := range items {
		delete(q.waiting, it.id)
	}
	if reorder {
		rng.shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	}
	for len(items) > 0 {
		k := min(bucket, len(items))
		out = append(out, newPayload(items[:k]))
		items = items[k:]
	}
	if reorder {
		rng.shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	}
	return out
}

// newPayload encodes items as the JSON array S-360 posts, each item's
// bytes unchanged.
func newPayload(items []item) *payload {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(it.raw)
	}
	b.WriteByte(']')
	return &payload{items: items, body: b.Bytes()}
}

// settle records a POST's outcome. A failed payload goes back to the
// queue for the next run until maxTries, then is given up and returned so
// the caller can log it. A payload accepted may be queued again, as a
// duplicate, with probability dup.
func (q *queue) settle(p *payload, accepted bool, maxTries int, dup bool) (givenUp bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	p.tries++
	q.stats.Posts++
	if accepted {
		if !p.duplicate {
			q.stats.Accepted += len(p.items)
			q.stats.Pending -= len(p.items)
		}
		if dup && !p.duplicate {
			q.stats.Duplicates++
			q.retry = append(q.retry, &payload{items: p.items, body: p.body, duplicate: true})
		}
		return false
	}
	q.stats.FailedPosts++
	switch {
	case p.duplicate:
		return false // a deliberate extra delivery: nothing is lost without it
	case p.tries >= maxTries:
		q.stats.GivenUp += len(p.items)
		q.stats.Pending -= len(p.items)
		return true
	default:
		q.retry = append(q.retry, p)
		return false
	}
}

func (q *queue) empty() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.fresh) == 0 && len(q.retry) == 0
}

func (q *queue) snapshot() StreamStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.stats
}

// lockedRand is a seeded source shared by goroutines.
type lockedRand struct {
	mu  sync.Mutex
	rng *rand.Rand
}

func newLockedRand(seed uint64) *lockedRand {
	return &lockedRand{rng: rand.New(rand.NewPCG(seed, seed^0xfa017))}
}

func (r *lockedRand) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rng.Float64() < p
}

func (r *lockedRand) shuffle(n int, swap func(i, j int)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rng.Shuffle(n, swap)
}

// requeue puts back a payload a cancelled run did not send, untried.
func (q *queue) requeue(p *payload) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.retry = append(q.retry, p)
}
