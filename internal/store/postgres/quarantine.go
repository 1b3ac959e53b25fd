package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
)

// ListQuarantined reads quarantined documents; see driver.QuarantineVerbs.
func (c conn) ListQuarantined(ctx context.Context, afterID int64, institutions []string, stream usher.Stream, released *bool, limit int) ([]usher.QuarantinedDocument, error) {
	return all(ctx, c.q, "ListQuarantined", func(r pgx.Row, d *usher.QuarantinedDocument) error {
		return r.Scan(&d.ID, &d.Institution, &d.Stream, &d.DocType, &d.ExternalID, &d.Hash, &d.Raw, &d.SchemaVersion,
			&d.Violations, &d.ReceivedAt, &d.LastSeenAt, &d.SeenCount, &d.ReplayedAt, &d.ReleasedAt, &d.ReleaseOutcome)
	}, afterID, institutions, string(stream), released, limit)
}

// QuarantineExists reads whether document id is quarantined; see
// driver.QuarantineVerbs.
func (c conn) QuarantineExists(ctx context.Context, id int64) (bool, error) {
	ones, err := all(ctx, c.q, "QuarantineExists", func(r pgx.Row, one *int) error { return r.Scan(one) }, id)
	return len(ones) > 0, err
}

// RecheckQuarantined records a failed replay; see driver.QuarantineVerbs.
func (c conn) RecheckQuarantined(ctx context.Context, id int64, schemaVersion string, violations []usher.Violation, at time.Time) (int64, error) {
	return exec(ctx, c.q, "RecheckQuarantined", schemaVersion, string(usher.ViolationsJSON(violations)), at, id)
}

// ClaimQuarantined marks a document released; see driver.QuarantineVerbs.
func (c conn) ClaimQuarantined(ctx context.Context, id int64, at time.Time) (int64, error) {
	return exec(ctx, c.q, "ClaimQuarantined", at, id)
}

// SetReleaseOutcome records a release's outcome; see driver.QuarantineVerbs.
func (c conn) SetReleaseOutcome(ctx context.Context, id int64, outcome usher.Outcome) error {
	_, err := exec(ctx, c.q, "SetReleaseOutcome", string(outcome), id)
	return err
}
