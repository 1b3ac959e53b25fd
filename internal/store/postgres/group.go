package postgres

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/usher-hub/usher"
)

// groupMaxDocuments bounds the documents one group stores: four full
// S-360 payloads. Groups of two stored a little less, groups of eight no
// more and with a longer tail (docs/performance.md).
const groupMaxDocuments = 200

// tolerantGroups is how many groups are stored with the ON CONFLICT
// statements after an optimistic one found a document stored already:
// retries come in bursts (an upstream resending what it sent while usher
// was slow), and each optimistic try that fails costs the group's work.
const tolerantGroups = 100

// errStoreClosed answers a save that arrives after Close.
var errStoreClosed = errors.New("store closed")

// pendingSave is one caller's payload, waiting for a group.
type pendingSave struct {
	ctx      context.Context
	docs     []usher.Document
	received time.Time
	outcomes []usher.Outcome
	done     chan error // buffered: the caller may have left
}

// groupSaver stores the payloads that wait for a connection together:
// one batch, one implicit transaction and one commit for all of them, and
// their ticket checks, and their contacts and orders, in one statement
// each. A payload cost PostgreSQL's backend about as much in statement
// and commit overhead as in rows (docs/performance.md); under load that
// overhead is now paid once per group. One worker per pooled connection
// takes a payload and whatever else is waiting, up to groupMaxDocuments;
// a payload that finds a worker idle goes alone, at once, as before.
//
// A group is all or nothing, like a payload: if the database refuses one
// of its statements, every payload of the group is stored again alone, so
// that only the payload at fault fails.
type groupSaver struct {
	pool   *pgxpool.Pool
	saves  chan *pendingSave
	ctx    context.Context // ends at close
	cancel context.CancelFunc
	closed chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
	// tolerant counts down the groups still to store with ON CONFLICT
	// (tolerantGroups).
	tolerant atomic.Int32
}

func newGroupSaver(pool *pgxpool.Pool, workers int) *groupSaver {
	ctx, cancel := context.WithCancel(context.Background())
	g := &groupSaver{pool: pool, saves: make(chan *pendingSave), ctx: ctx, cancel: cancel, closed: make(chan struct{})}
	g.wg.Add(workers)
	for range workers {
		go g.work()
	}
	return g
}

// close stops the workers once their groups are stored; closing again
// does nothing.
func (g *groupSaver) close() {
	g.once.Do(func() {
		close(g.closed)
		g.wg.Wait()
		g.cancel()
	})
}

// save stores docs, received at received, with whatever payloads wait
// with them, and fills outcomes. A caller that leaves gets its context's
// error; its payload, if a worker already took it, is stored all the same
// (like a payload committed whose answer was lost: its retry is a
// duplicate).
func (g *groupSaver) save(ctx context.Context, docs []usher.Document, received time.Time, outcomes []usher.Outcome) error {
	p := &pendingSave{ctx: ctx, docs: docs, received: received, outcomes: outcomes, done: make(chan error, 1)}
	select {
	case g.saves <- p:
	case <-ctx.Done():
		return unavailable("save documents", ctx.Err())
	case <-g.closed:
		return unavailable("save documents", errStoreClosed)
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return unavailable("save documents", ctx.Err())
	}
}

func (g *groupSaver) work() {
	defer g.wg.Done()
	for {
		select {
		case p := <-g.saves:
			g.store(g.gather(p))
		case <-g.closed:
			return
		}
	}
}

// gather returns first and the payloads waiting behind it, up to
// groupMaxDocuments.
func (g *groupSaver) gather(first *pendingSave) []*pendingSave {
	group := []*pendingSave{first}
	n := len(first.docs)
	for {
		select {
		case p := <-g.saves:
			group = append(group, p)
			n += len(p.docs)
			if n >= groupMaxDocuments {
				return group
			}
		default:
			return group
		}
	}
}

// store stores group and answers each of its payloads.
func (g *groupSaver) store(group []*pendingSave) {
	live := make([]*pendingSave, 0, len(group))
	for _, p := range group {
		if err := p.ctx.Err(); err != nil {
			p.done <- unavailable("save documents", err)
			continue
		}
		live = append(live, p)
	}
	if len(live) == 0 {
		return
	}
	err := g.storeTogether(live)
	if err == nil || len(live) == 1 || !refusedByDatabase(err) {
		for _, p := range live {
			p.done <- err
		}
		return
	}
	for _, p := range live {
		p.done <- g.storeTogether([]*pendingSave{p})
	}
}

// storeTogether stores the payloads of group in one batch, committed at its
// end, and fills their outcomes.
func (g *groupSaver) storeTogether(group []*pendingSave) error {
	var docs []usher.Document
	var received []time.Time
	for _, p := range group {
		docs = append(docs, p.docs...)
		for range p.docs {
			received = append(received, p.received)
		}
	}
	outcomes := make([]usher.Outcome, len(docs))
	optimistic := g.tolerant.Load() <= 0
	if !optimistic {
		g.tolerant.Add(-1)
	}
	err := withRetries("save documents", func() error {
		err := sendDocuments(g.ctx, g.pool, docs, received, outcomes, optimistic)
		if optimistic && uniqueViolation(err) {
			// A document of the group is stored already (or two groups
			// raced for a document's next version): again, tolerating it.
			optimistic = false
			g.tolerant.Store(tolerantGroups)
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, p := range group {
		outcomes = outcomes[copy(p.outcomes, outcomes):]
	}
	return nil
}

// uniqueViolation says err is PostgreSQL refusing a row a unique index
// holds already.
func uniqueViolation(err error) bool { return sqlState(err) == uniqueViolationCode }

// refusedByDatabase says err is the database refusing a statement (or a
// document refused before any was sent), which may be one payload's fault,
// rather than the database or the connection failing.
func refusedByDatabase(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) || usher.ErrorCode(err) == usher.EINVALID
}
