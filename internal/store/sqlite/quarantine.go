package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/usher-hub/usher"
)

// ListQuarantined reads quarantined documents; see driver.QuarantineVerbs.
func (c conn) ListQuarantined(ctx context.Context, afterID int64, institutions []string, stream usher.Stream, released *bool, limit int) ([]usher.QuarantinedDocument, error) {
	var list any
	if institutions != nil {
		b, err := json.Marshal(institutions)
		if err != nil {
			return nil, err
		}
		list = string(b)
	}
	return all(ctx, c.q, "ListQuarantined", scanQuarantined, afterID, list, string(stream), released, limit)
}

func scanQuarantined(r *sql.Rows, d *usher.QuarantinedDocument) error {
	var violations string
	err := r.Scan(&d.ID, &d.Institution, &d.Stream, &d.DocType, &d.ExternalID, &d.Hash, &d.Raw, &d.SchemaVersion, &violations,
		(*textTime)(&d.ReceivedAt), (*textTime)(&d.LastSeenAt), &d.SeenCount, textTimePtr{&d.ReplayedAt}, textTimePtr{&d.ReleasedAt}, &d.ReleaseOutcome)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(violations), &d.Violations)
}

// QuarantineExists reads whether document id is quarantined; see
// driver.QuarantineVerbs.
func (c conn) QuarantineExists(ctx context.Context, id int64) (bool, error) {
	ones, err := all(ctx, c.q, "QuarantineExists", func(r *sql.Rows, one *int) error { return r.Scan(one) }, id)
	return len(ones) > 0, err
}

// RecheckQuarantined records a failed replay; see driver.QuarantineVerbs.
func (c conn) RecheckQuarantined(ctx context.Context, id int64, schemaVersion string, violations []usher.Violation, at time.Time) (int64, error) {
	return exec(ctx, c.q, "RecheckQuarantined", schemaVersion, string(usher.ViolationsJSON(violations)), formatTime(at), id)
}

// ClaimQuarantined marks a document released; see driver.QuarantineVerbs.
func (c conn) ClaimQuarantined(ctx context.Context, id int64, at time.Time) (int64, error) {
	return exec(ctx, c.q, "ClaimQuarantined", formatTime(at), id)
}

// SetReleaseOutcome records a release's outcome; see driver.QuarantineVerbs.
func (c conn) SetReleaseOutcome(ctx context.Context, id int64, outcome usher.Outcome) error {
	_, err := exec(ctx, c.q, "SetReleaseOutcome", string(outcome), id)
	return err
}
