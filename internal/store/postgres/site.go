package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// The site area's verbs; the statements are in queries/site.sql and the
// rules in internal/store/site.go.

func scanSession(r pgx.Row, x *driver.SessionRow) error {
	return r.Scan(&x.ExternalID, &x.Version, &x.Hash, &x.Body, &x.ReceivedAt,
		&x.PriceVersion, &x.PriceHash, &x.PriceBody, &x.PriceReceivedAt)
}

func scanSyncRecord(r pgx.Row, x *usher.SyncRecord) error {
	return r.Scan(&x.Institution, (*string)(&x.Stream), &x.LastAttemptAt, zeroIfNull{&x.LastSuccessAt}, &x.LastError, &x.Documents)
}

func scanHold(r pgx.Row, x *driver.HoldRow) error {
	return r.Scan(&x.ID, &x.Institution, &x.Visitor, &x.EventID, &x.EventDate, &x.LinesJSON, (*string)(&x.Status),
		&x.ExpiresAt, &x.UpstreamExpiresAt, &x.CreatedAt, &x.UpdatedAt)
}

// zeroIfNull scans a nullable timestamptz into a time.Time, zero for NULL.
type zeroIfNull struct{ t *time.Time }

// ScanTimestamptz implements pgtype.TimestamptzScanner.
func (z zeroIfNull) ScanTimestamptz(v pgtype.Timestamptz) error {
	*z.t = v.Time
	return nil
}

// nullIfZero stores a zero time as NULL.
func nullIfZero(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (c conn) SessionsOfDay(ctx context.Context, institution, day string) ([]driver.SessionRow, error) {
	return all(ctx, c.q, "SessionsOfDay", scanSession, institution, day)
}

// PointHeadsAtContent sends one statement per document in one batch.
func (c conn) PointHeadsAtContent(ctx context.Context, docs []usher.Document) error {
	b := &pgx.Batch{}
	for _, d := range docs {
		b.Queue(queries.Get("PointHeadAtContent"), d.Institution, string(d.Stream), d.ExternalID, d.Hash)
	}
	return c.q.(interface {
		SendBatch(context.Context, *pgx.Batch) pgx.BatchResults
	}).SendBatch(ctx, b).Close()
}

func (c conn) SyncRecordForUpdate(ctx context.Context, institution string, stream usher.Stream) ([]usher.SyncRecord, error) {
	return all(ctx, c.q, "SyncRecordForUpdate", scanSyncRecord, institution, string(stream))
}

func (c conn) InsertSyncRecordIfAbsent(ctx context.Context, r usher.SyncRecord) (int64, error) {
	return exec(ctx, c.q, "InsertSyncRecordIfAbsent", r.Institution, string(r.Stream), r.LastAttemptAt,
		nullIfZero(r.LastSuccessAt), r.LastError, r.Documents)
}

func (c conn) UpdateSyncRecord(ctx context.Context, r usher.SyncRecord) error {
	_, err := exec(ctx, c.q, "UpdateSyncRecord", r.Institution, string(r.Stream), r.LastAttemptAt,
		nullIfZero(r.LastSuccessAt), r.LastError, r.Documents)
	return err
}

func (c conn) SyncRecordsOf(ctx context.Context, institution string) ([]usher.SyncRecord, error) {
	return all(ctx, c.q, "SyncRecordsOf", scanSyncRecord, institution)
}

func (c conn) InsertHoldUnlessActive(ctx context.Context, h driver.HoldRow) (int64, error) {
	return exec(ctx, c.q, "InsertHoldUnlessActive", h.ID, h.Institution, h.Visitor, h.EventID, h.EventDate, h.LinesJSON,
		string(h.Status), h.ExpiresAt, h.UpstreamExpiresAt, h.CreatedAt, h.UpdatedAt)
}

func (c conn) UpdateHoldRow(ctx context.Context, h driver.HoldRow) (int64, error) {
	return exec(ctx, c.q, "UpdateHoldRow", h.LinesJSON, string(h.Status), h.ExpiresAt, h.UpstreamExpiresAt,
		h.UpdatedAt, h.Institution, h.ID)
}

func (c conn) HoldByID(ctx context.Context, institution, id string) ([]driver.HoldRow, error) {
	return all(ctx, c.q, "HoldByID", scanHold, institution, id)
}

func (c conn) ActiveHoldsOf(ctx context.Context, institution, visitor string, eventID int64) ([]driver.HoldRow, error) {
	return all(ctx, c.q, "ActiveHoldsOf", scanHold, institution, visitor, eventID)
}

func (c conn) ActiveHoldsExpiringBy(ctx context.Context, t time.Time, limit int) ([]driver.HoldRow, error) {
	return all(ctx, c.q, "ActiveHoldsExpiringBy", scanHold, t, limit)
}
