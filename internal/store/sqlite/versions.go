package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

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

// insertedVersion is one row InsertVersions inserted.
type insertedVersion struct {
	id      int64
	key     versionKey
	version int64
	up      *string
}

// saveVersions stores docs other than ticket checks, none of whose ids
// repeats (setWise), and fills their outcomes (outcomes[i] is docs[i]'s).
// The new contact and order versions are added to stored, and those that
// became current to current, in the payload's order.
func saveVersions(ctx context.Context, tx *stmtTx, docs []usher.Document, received string, outcomes []usher.Outcome, current *[]driver.StoredVersion, stored *analyticsQueue) error {
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
	inserted, err := insertVersions(ctx, tx, rows, bodies, received)
	if err != nil {
		return fmt.Errorf("versions: %w", err)
	}
	heads, err := moveHeads(ctx, tx, inserted)
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
		if heads[v.key] {
			*current = append(*current, driver.StoredVersion{Doc: d, Version: int(v.version)})
		}
	}
	return nil
}

func insertVersions(ctx context.Context, tx *stmtTx, rows [][]any, bodies []byte, received string) (map[versionKey]insertedVersion, error) {
	list, err := json.Marshal(rows)
	if err != nil {
		return nil, err
	}
	res, err := tx.QueryContext(ctx, queries.Get("InsertVersions"), string(list), bodies, received)
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
	res, err := tx.QueryContext(ctx, queries.Get("MoveHeads"), string(list))
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
