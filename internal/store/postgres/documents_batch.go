package postgres

import (
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// saveChecksSQL inserts all of a payload's ticket checks in one statement.
// One statement per check cost PostgreSQL's backend a parse-bind-execute
// cycle and an executor start per document, most of the difference with
// COPY (docs/performance.md). Checks are immutable and never go to a CRM,
// so all a caller needs back is which ones were new: RETURNING lists the
// inserted keys, and every other check was a duplicate. WITH ORDINALITY
// and ORDER BY keep the payload's order, so of two checks with the same id
// in one payload the first is stored, as it was one statement at a time
// (ON CONFLICT DO NOTHING skips rows that conflict within the statement).
// The inserted checks are queued for the analytics projector as one
// entry per institution.
var saveChecksSQL = queries.Get("SaveChecks") // queries/documents.sql

// Optimistic statements. A payload is almost never stored already (only a
// retry after a lost answer is), yet ON CONFLICT makes every row a
// speculative insertion: the arbiter index is probed before the row is
// inserted and again as it is. Measured with psql (the backend's CPU,
// 100,000 rows, six rounds alternated): a ticket check's insert cost 20 %
// more with ON CONFLICT DO NOTHING, a 1.4 kB order's 8 %. So the group
// saver first sends these, which fail the whole batch with a unique
// violation if any document is stored already; the batch is then sent
// again with saveChecksSQL and saveVersionsSQL (groupSaver.storeTogether).
var (
	saveChecksNewSQL   = queries.Get("SaveChecksNew")
	queueNewChecksSQL  = queries.Get("QueueNewChecks")
	saveVersionsNewSQL = withoutClause(saveVersionsSQL, versionsConflictClause)
)

// versionsConflictClause is what makes saveVersionsSQL skip a version
// whose content is stored already.
const versionsConflictClause = "ON CONFLICT (institution, stream, external_id, content_hash) DO NOTHING"

// withoutClause returns sql without clause, which it must hold: one
// statement in queries/documents.sql, not two copies that could drift.
func withoutClause(sql, clause string) string {
	out := strings.Replace(sql, clause, "", 1)
	if out == sql {
		panic("postgres: SaveVersions no longer holds " + clause)
	}
	return out
}

// checkColumns holds a payload's ticket checks column by column, the
// shape unnest takes.
type checkColumns struct {
	institution, barcode, flow, result, reason, hash, body []string
	id, movement, ticket                                   []int64
	access, received                                       []time.Time
	seen                                                   map[checkKey]bool
	repeats                                                bool // a check id appears twice
}

func (c *checkColumns) add(d usher.Document, received time.Time) {
	k := d.Check
	key := checkKey{d.Institution, k.TicketCheckID}
	if c.seen == nil {
		c.seen = make(map[checkKey]bool)
	}
	c.repeats = c.repeats || c.seen[key]
	c.seen[key] = true
	c.institution = append(c.institution, d.Institution)
	c.id = append(c.id, k.TicketCheckID)
	c.movement = append(c.movement, k.MovementID)
	c.ticket = append(c.ticket, k.TicketID)
	c.barcode = append(c.barcode, k.Barcode)
	c.access = append(c.access, k.AccessTime)
	c.flow = append(c.flow, k.CheckFlow)
	c.result = append(c.result, k.Result)
	c.reason = append(c.reason, k.FailureReason)
	c.hash = append(c.hash, d.Hash)
	c.body = append(c.body, string(d.Raw))
	c.received = append(c.received, received)
}

// checkKey identifies a stored ticket check.
type checkKey struct {
	institution string
	id          int64
}

// saveVersionsSQL stores new versions of contacts and orders (and the
// other versioned streams) unless the same content is already stored,
// numbers them, and moves each head forward in upstream time only (a late
// old version is kept in history and not delivered to a CRM). A payload's
// contacts and orders go in one statement, for the same reason as
// saveChecksSQL: one statement each cost three times a check on the
// backend. The duplicate check is the ON CONFLICT arbiter (the
// content-hash unique index); a new id, the common case and every one of
// a first synchronisation, is recognised by the head's primary key, and
// only a known id looks up its highest version. Both lookups are written
// so that a database without statistics cannot plan them wrongly: pgx
// caches the statement, and PostgreSQL its generic plan from the sixth
// execution on, made while the tables are still small.
//
//   - The head is probed by a scalar subquery, not EXISTS, which the
//     planner may run as one hashed scan of every head.
//   - The highest version is found between row comparisons on the whole
//     (institution, stream, external_id, version) key, not by equalities.
//     With equalities, the planner cannot tell that external_id is
//     selective, and took the documents_received index, reading every
//     version of the stream for each document: a payload of 50 updates
//     took ten times as long after 400 of them. It estimates a row
//     comparison from its first column, as a wide range, which only this
//     index, in the ORDER BY's order, reads cheaply to its first row.
//
// Every row of one statement sees the tables as they were before it, and
// a statement may upsert a head only once, so it is only correct when no
// external id appears twice: queueDocuments then sends the payload's
// contacts and orders one statement each, so that each sees the one
// before. RETURNING lists the versions inserted, with the one each made
// current (0 if none); every other document was a duplicate.
//
// The projector applies every queued contact at each call, so a payload's
// contacts are one queue entry per institution; orders stay one entry per
// version, because ProjectAnalytics' orderLimit counts order versions.
// Other streams (the site's copies) are not queued.
var saveVersionsSQL = queries.Get("SaveVersions") // queries/documents.sql

// versionColumns holds a payload's contacts and orders (every document
// but its checks) column by column, the shape unnest takes, and whether
// an external id repeats.
type versionColumns struct {
	institution, stream, id, hash, body []string
	upstream                            []*time.Time
	received                            []time.Time
	seen                                map[versionKey]bool
	repeats                             bool
}

func (c *versionColumns) add(d usher.Document, received time.Time) {
	key := versionKey{d.Institution, string(d.Stream), d.ExternalID}
	if c.seen == nil {
		c.seen = make(map[versionKey]bool)
	}
	c.repeats = c.repeats || c.seen[key]
	c.seen[key] = true
	c.institution = append(c.institution, d.Institution)
	c.stream = append(c.stream, string(d.Stream))
	c.id = append(c.id, d.ExternalID)
	c.hash = append(c.hash, d.Hash)
	c.body = append(c.body, string(d.Raw))
	c.upstream = append(c.upstream, d.UpstreamUpdatedAt)
	c.received = append(c.received, received)
}

// versionKey identifies a contact's or order's versions.
type versionKey struct {
	institution, stream, externalID string
}

// batchPlan says which statements queueDocuments queued, in order.
type batchPlan struct {
	checks    bool // saveChecksSQL for the ticket checks
	newChecks bool // saveChecksNewSQL and queueNewChecksSQL instead: every check is new
	versions  bool // one saveVersionsSQL for the other documents, else one each
}

// queueDocuments queues the statements storing docs, document i received
// at received[i]: the ticket checks, if any, in one statement first, then
// the contacts and orders, in one statement unless an external id repeats
// (then one saveVersionsSQL per document, in order, so that each sees the
// one before). Optimistic, it queues the statements that fail if any
// document is stored already (saveChecksNewSQL, saveVersionsNewSQL).
func queueDocuments(b *pgx.Batch, docs []usher.Document, received []time.Time, optimistic bool) (batchPlan, error) {
	var checks checkColumns
	var versions versionColumns
	for i, d := range docs {
		if d.Stream != usher.StreamTicketChecks {
			versions.add(d, received[i])
			continue
		}
		if d.Check == nil {
			return batchPlan{}, fmt.Errorf("document %d (%s %s): %w", i, d.Stream, d.ExternalID,
				usher.Errorf(usher.EINVALID, "ticket check without extracted fields"))
		}
		checks.add(d, received[i])
	}
	var plan batchPlan
	switch {
	case len(checks.id) == 0:
	case optimistic && !checks.repeats:
		b.Queue(saveChecksNewSQL, checks.institution, checks.id, checks.movement, checks.ticket, checks.barcode,
			checks.access, checks.flow, checks.result, checks.reason, checks.hash, checks.body, checks.received)
		b.Queue(queueNewChecksSQL, checks.institution, checks.id)
		plan.newChecks = true
	default:
		b.Queue(saveChecksSQL, checks.institution, checks.id, checks.movement, checks.ticket, checks.barcode,
			checks.access, checks.flow, checks.result, checks.reason, checks.hash, checks.body, checks.received)
		plan.checks = true
	}
	switch {
	case len(versions.id) == 0:
	case versions.repeats:
		for i := range versions.id {
			versions.queue(b, i, i+1, optimistic)
		}
	default:
		versions.queue(b, 0, len(versions.id), optimistic)
		plan.versions = true
	}
	return plan, nil
}

// receivedAll says that all n documents of a payload were received at t.
func receivedAll(t time.Time, n int) []time.Time {
	received := make([]time.Time, n)
	for i := range received {
		received[i] = t
	}
	return received
}

// queue queues saveVersionsSQL (optimistic: saveVersionsNewSQL) for
// documents [from, to) of c.
func (c *versionColumns) queue(b *pgx.Batch, from, to int, optimistic bool) {
	sql := saveVersionsSQL
	if optimistic {
		sql = saveVersionsNewSQL
	}
	b.Queue(sql, c.institution[from:to], c.stream[from:to], c.id[from:to], c.hash[from:to], c.body[from:to],
		c.upstream[from:to], c.received[from:to])
}

// readOutcomes reads the results of queueDocuments into outcomes and
// returns the contacts and orders that became current, in the payload's
// order, for CRM routing.
func readOutcomes(results pgx.BatchResults, docs []usher.Document, plan batchPlan, outcomes []usher.Outcome) ([]driver.StoredVersion, error) {
	var inserted map[checkKey]bool
	var err error
	if plan.checks {
		if inserted, err = readInsertedChecks(results); err != nil {
			return nil, fmt.Errorf("ticket checks: %w", err)
		}
	}
	if plan.newChecks {
		for range 2 { // saveChecksNewSQL, queueNewChecksSQL
			if _, err := results.Exec(); err != nil {
				return nil, fmt.Errorf("ticket checks: %w", err)
			}
		}
	}
	var stored map[versionKey]int
	if plan.versions {
		if stored, err = readStoredVersions(results); err != nil {
			return nil, fmt.Errorf("contacts and orders: %w", err)
		}
	}
	var current []driver.StoredVersion
	for i, d := range docs {
		var head int
		switch {
		case d.Stream == usher.StreamTicketChecks && plan.newChecks:
			outcomes[i] = usher.OutcomeStored
		case d.Stream == usher.StreamTicketChecks:
			outcomes[i] = checkOutcome(inserted, d)
		case plan.versions:
			outcomes[i], head = versionOutcome(stored, d)
		default:
			one, err := readStoredVersions(results)
			if err != nil {
				return nil, fmt.Errorf("document %d (%s %s): %w", i, d.Stream, d.ExternalID, err)
			}
			outcomes[i], head = versionOutcome(one, d)
		}
		if head > 0 {
			current = append(current, driver.StoredVersion{Doc: d, Version: head})
		}
	}
	return current, nil
}

// checkOutcome is check d's outcome: the first check with a key inserted
// it; any later one in the same payload is a duplicate of it.
func checkOutcome(inserted map[checkKey]bool, d usher.Document) usher.Outcome {
	key := checkKey{d.Institution, d.Check.TicketCheckID}
	if !inserted[key] {
		return usher.OutcomeDuplicate
	}
	delete(inserted, key)
	return usher.OutcomeStored
}

func readInsertedChecks(results pgx.BatchResults) (map[checkKey]bool, error) {
	return readMap(results, func(r pgx.Rows, k *checkKey, inserted *bool) error {
		*inserted = true
		return r.Scan(&k.institution, &k.id)
	})
}

// readStoredVersions reads saveVersionsSQL's inserted versions: for each,
// the version it made current (0 if none).
func readStoredVersions(results pgx.BatchResults) (map[versionKey]int, error) {
	return readMap(results, func(r pgx.Rows, k *versionKey, head *int) error {
		return r.Scan(&k.institution, &k.stream, &k.externalID, head)
	})
}

// readMap reads the next result of a batch into a map, row by row.
func readMap[K comparable, V any](results pgx.BatchResults, scan func(pgx.Rows, *K, *V) error) (map[K]V, error) {
	rows, err := results.Query()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[K]V)
	for rows.Next() {
		var k K
		var v V
		if err := scan(rows, &k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// versionOutcome is d's outcome in saveVersionsSQL and the version it made
// current (0 if none). Its id is the only one of the payload, so whatever
// the statement inserted for it was d.
func versionOutcome(stored map[versionKey]int, d usher.Document) (usher.Outcome, int) {
	head, ok := stored[versionKey{d.Institution, string(d.Stream), d.ExternalID}]
	if !ok {
		return usher.OutcomeDuplicate, 0
	}
	return usher.OutcomeStored, head
}
