package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/usher-hub/usher"
)

// insertVersionsSQL stores new versions of a payload's contacts and orders
// (and the site's copies), one row per element of ?1, numbering each after
// its id's highest version. ?1 holds [institution, stream, external id,
// content hash, upstream time, body offset, body length] per document; ?2
// is every body, end to end, as a BLOB, so that a body is cut out by its
// byte offset and kept byte for byte. A retried version meets the
// content-hash index and returns nothing.
const insertVersionsSQL = `
	INSERT INTO documents (institution, stream, external_id, version, content_hash, body, upstream_updated_at, received_at)
	SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2,
		coalesce((SELECT max(v.version) FROM documents v
			WHERE v.institution = j.value ->> 0 AND v.stream = j.value ->> 1 AND v.external_id = j.value ->> 2), 0) + 1,
		j.value ->> 3, CAST(substr(?2, j.value ->> 5, j.value ->> 6) AS TEXT), j.value ->> 4, ?3
	FROM json_each(?1) j
	WHERE true
	ON CONFLICT (institution, stream, external_id, content_hash) DO NOTHING
	RETURNING id, institution, stream, external_id, version, upstream_updated_at`

// moveHeadsSQL makes the versions of ?1 ([document id, institution,
// stream, external id, version, upstream time] each) current where they
// are newer in upstream time than the head, and returns the ones it made
// current.
const moveHeadsSQL = `
	INSERT INTO document_heads (institution, stream, external_id, document_id, version, upstream_updated_at)
	SELECT j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 0, j.value ->> 4, j.value ->> 5
	FROM json_each(?1) j
	WHERE true` + headMovesForward + `
	RETURNING institution, stream, external_id`

// headMovesForward is the conflict clause of an insert into
// document_heads: a version becomes current only if it is not older in
// upstream time than the head, so a late retry of an old version is kept
// in history without becoming current (and is not delivered: the CRM
// must not go back to it).
const headMovesForward = `
	ON CONFLICT (institution, stream, external_id) DO UPDATE SET
		document_id = excluded.document_id,
		version = excluded.version,
		upstream_updated_at = excluded.upstream_updated_at
	WHERE excluded.upstream_updated_at IS NULL
		OR document_heads.upstream_updated_at IS NULL
		OR excluded.upstream_updated_at >= document_heads.upstream_updated_at`

// versionKey identifies a document's versions.
type versionKey struct {
	institution, stream, external string
}

func keyOf(d usher.Document) versionKey {
	return versionKey{d.Institution, string(d.Stream), d.ExternalID}
}

// setWise says whether the payload's contacts and orders can be stored by
// two statements for all of them instead of two each, which spares SQLite
// a statement journal and the driver a round of calls per document
// (docs/performance.md). Not when an id repeats: a statement sees the
// table as it was before it, and the repeat must see the version before.
func setWise(docs []usher.Document) bool {
	seen := make(map[versionKey]bool)
	for _, d := range docs {
		if d.Stream == usher.StreamTicketChecks {
			continue
		}
		if seen[keyOf(d)] {
			return false
		}
		seen[keyOf(d)] = true
	}
	return true
}

// insertedVersion is one row insertVersionsSQL inserted.
type insertedVersion struct {
	id      int64
	key     versionKey
	version int64
	up      *string
}

// saveVersions stores the payload's documents other than ticket checks,
// none of whose ids repeats (setWise), and fills their outcomes. The new
// contact and order versions are added to stored, and those that became
// current go to their CRM routes, in the payload's order.
func (s *Store) saveVersions(ctx context.Context, tx *stmtTx, docs []usher.Document, now time.Time, outcomes []usher.Outcome, stored *analyticsQueue) error {
	var rows [][]any
	var bodies []byte
	for _, d := range docs {
		if d.Stream == usher.StreamTicketChecks {
			continue
		}
		rows = append(rows, []any{d.Institution, d.Stream, d.ExternalID, d.Hash, formatTimePtr(d.UpstreamUpdatedAt), len(bodies) + 1, len(d.Raw)})
		bodies = append(bodies, d.Raw...)
	}
	if len(rows) == 0 {
		return nil
	}
	inserted, err := insertVersions(ctx, tx, rows, bodies, formatTime(now))
	if err != nil {
		return fmt.Errorf("versions: %w", err)
	}
	current, err := moveHeads(ctx, tx, inserted)
	if err != nil {
		return fmt.Errorf("heads: %w", err)
	}
	for i, d := range docs {
		if d.Stream == usher.StreamTicketChecks {
			continue
		}
		v, ok := inserted[keyOf(d)]
		if !ok {
			outcomes[i] = usher.OutcomeDuplicate
			continue
		}
		outcomes[i] = usher.OutcomeStored
		if d.Stream == usher.StreamContacts || d.Stream == usher.StreamOrders {
			stored.add(d.Institution, string(d.Stream), v.id)
		}
		if current[v.key] {
			if err := s.routeStored(ctx, tx.tx, d, int(v.version), now); err != nil {
				return fmt.Errorf("document %d (%s %s): crm deliveries: %w", i, d.Stream, d.ExternalID, err)
			}
		}
	}
	return nil
}

func insertVersions(ctx context.Context, tx *stmtTx, rows [][]any, bodies []byte, received string) (map[versionKey]insertedVersion, error) {
	list, err := json.Marshal(rows)
	if err != nil {
		return nil, err
	}
	res, err := tx.QueryContext(ctx, insertVersionsSQL, string(list), bodies, received)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	inserted := make(map[versionKey]insertedVersion, len(rows))
	for res.Next() {
		var v insertedVersion
		if err := res.Scan(&v.id, &v.key.institution, &v.key.stream, &v.key.external, &v.version, &v.up); err != nil {
			return nil, err
		}
		inserted[v.key] = v
	}
	return inserted, res.Err()
}

// moveHeads offers the inserted versions as heads and returns the ones
// that became current.
func moveHeads(ctx context.Context, tx *stmtTx, inserted map[versionKey]insertedVersion) (map[versionKey]bool, error) {
	current := make(map[versionKey]bool, len(inserted))
	if len(inserted) == 0 {
		return current, nil
	}
	heads := make([][]any, 0, len(inserted))
	for _, v := range inserted {
		heads = append(heads, []any{v.id, v.key.institution, v.key.stream, v.key.external, v.version, v.up})
	}
	list, err := json.Marshal(heads)
	if err != nil {
		return nil, err
	}
	res, err := tx.QueryContext(ctx, moveHeadsSQL, string(list))
	if err != nil {
		return nil, err
	}
	defer res.Close()
	for res.Next() {
		var k versionKey
		if err := res.Scan(&k.institution, &k.stream, &k.external); err != nil {
			return nil, err
		}
		current[k] = true
	}
	return current, res.Err()
}
