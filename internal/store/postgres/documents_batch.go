package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
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
const saveChecksSQL = `
WITH ins AS (
	INSERT INTO ticket_checks
		(institution, ticket_check_id, movement_id, ticket_id, barcode, access_time, check_flow, result, failure_reason, content_hash, body, received_at)
	SELECT c.institution, c.id, c.movement, c.ticket, c.barcode, c.access, c.flow, c.result, c.reason, c.hash, c.body::jsonb, $12::timestamptz
	FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::timestamp[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
		WITH ORDINALITY AS c(institution, id, movement, ticket, barcode, access, flow, result, reason, hash, body, ord)
	ORDER BY c.ord
	ON CONFLICT (institution, ticket_check_id) DO NOTHING
	RETURNING institution, ticket_check_id
), queued AS (
	INSERT INTO analytics_pending (institution, kind, ids)
	SELECT institution, 'checks', array_agg(ticket_check_id) FROM ins GROUP BY institution
)
SELECT institution, ticket_check_id FROM ins`

// checkColumns holds a payload's ticket checks column by column, the
// shape unnest takes.
type checkColumns struct {
	institution, barcode, flow, result, reason, hash, body []string
	id, movement, ticket                                   []int64
	access                                                 []time.Time
}

func (c *checkColumns) add(d usher.Document) {
	k := d.Check
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
}

// checkKey identifies a stored ticket check.
type checkKey struct {
	institution string
	id          int64
}

// queueDocuments queues the statements storing docs: the ticket checks,
// if any, in one statement first, then one saveVersionedSQL per contact or
// order in the payload's order (CRM routing needs each one's version).
// It reports whether a checks statement was queued.
func queueDocuments(b *pgx.Batch, docs []usher.Document, received time.Time) (bool, error) {
	var checks checkColumns
	for i, d := range docs {
		if d.Stream != usher.StreamTicketChecks {
			continue
		}
		if d.Check == nil {
			return false, fmt.Errorf("document %d (%s %s): %w", i, d.Stream, d.ExternalID,
				usher.Errorf(usher.EINVALID, "ticket check without extracted fields"))
		}
		checks.add(d)
	}
	if len(checks.id) > 0 {
		b.Queue(saveChecksSQL, checks.institution, checks.id, checks.movement, checks.ticket, checks.barcode,
			checks.access, checks.flow, checks.result, checks.reason, checks.hash, checks.body, received)
	}
	for _, d := range docs {
		if d.Stream != usher.StreamTicketChecks {
			b.Queue(saveVersionedSQL, d.Institution, string(d.Stream), d.ExternalID, d.Hash, string(d.Raw), d.UpstreamUpdatedAt, received)
		}
	}
	return len(checks.id) > 0, nil
}

// readOutcomes reads the results of queueDocuments into outcomes and
// returns the contacts and orders that became current, for CRM routing.
func readOutcomes(results pgx.BatchResults, docs []usher.Document, hasChecks bool, outcomes []usher.Outcome) ([]storedVersion, error) {
	var inserted map[checkKey]bool
	if hasChecks {
		var err error
		if inserted, err = readInsertedChecks(results); err != nil {
			return nil, fmt.Errorf("ticket checks: %w", err)
		}
	}
	var current []storedVersion
	for i, d := range docs {
		if d.Stream == usher.StreamTicketChecks {
			// The first check with a key inserted it; any later one in the
			// same payload is a duplicate of it.
			key := checkKey{d.Institution, d.Check.TicketCheckID}
			outcomes[i] = usher.OutcomeDuplicate
			if inserted[key] {
				outcomes[i] = usher.OutcomeStored
				delete(inserted, key)
			}
			continue
		}
		o, head, err := readVersioned(results)
		if err != nil {
			return nil, fmt.Errorf("document %d (%s %s): %w", i, d.Stream, d.ExternalID, err)
		}
		outcomes[i] = o
		if head > 0 {
			current = append(current, storedVersion{doc: d, version: head})
		}
	}
	return current, nil
}

func readInsertedChecks(results pgx.BatchResults) (map[checkKey]bool, error) {
	rows, err := results.Query()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	inserted := make(map[checkKey]bool)
	for rows.Next() {
		var k checkKey
		if err := rows.Scan(&k.institution, &k.id); err != nil {
			return nil, err
		}
		inserted[k] = true
	}
	return inserted, rows.Err()
}

// readVersioned reads one saveVersionedSQL's outcome and the version it
// made current (0 if none).
func readVersioned(results pgx.BatchResults) (usher.Outcome, int, error) {
	var inserted, head int
	if err := results.QueryRow().Scan(&inserted, &head); err != nil {
		return "", 0, err
	}
	if inserted == 0 {
		return usher.OutcomeDuplicate, 0, nil
	}
	return usher.OutcomeStored, head, nil
}
