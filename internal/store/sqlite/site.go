package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// The site area's verbs; the statements are in queries/site.sql and the
// rules in internal/store/site.go.

func scanSession(r *sql.Rows, x *driver.SessionRow) error {
	return r.Scan(&x.ExternalID, &x.Version, &x.Hash, &x.Body, (*textTime)(&x.ReceivedAt),
		&x.PriceVersion, &x.PriceHash, &x.PriceBody, textTimePtr{&x.PriceReceivedAt})
}

func scanSyncRecord(r *sql.Rows, x *usher.SyncRecord) error {
	return r.Scan(&x.Institution, (*string)(&x.Stream), (*textTime)(&x.LastAttemptAt), (*textTime)(&x.LastSuccessAt), &x.LastError, &x.Documents)
}

func scanHold(r *sql.Rows, x *driver.HoldRow) error {
	return r.Scan(&x.ID, &x.Institution, &x.Visitor, &x.EventID, &x.EventDate, &x.LinesJSON, (*string)(&x.Status),
		(*textTime)(&x.ExpiresAt), (*textTime)(&x.UpstreamExpiresAt), (*textTime)(&x.CreatedAt), (*textTime)(&x.UpdatedAt))
}

// nullIfZero stores a zero time as NULL.
func nullIfZero(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

func (c conn) SessionsOfDay(ctx context.Context, institution, day string) ([]driver.SessionRow, error) {
	return all(ctx, c.q, "SessionsOfDay", scanSession, institution, day)
}

func (c conn) PointHeadsAtContent(ctx context.Context, docs []usher.Document) error {
	for _, d := range docs {
		if _, err := exec(ctx, c.q, "PointHeadAtContent", d.Institution, string(d.Stream), d.ExternalID, d.Hash); err != nil {
			return err
		}
	}
	return nil
}

func (c conn) SyncRecordForUpdate(ctx context.Context, institution string, stream usher.Stream) ([]usher.SyncRecord, error) {
	return all(ctx, c.q, "SyncRecordForUpdate", scanSyncRecord, institution, string(stream))
}

func (c conn) InsertSyncRecordIfAbsent(ctx context.Context, r usher.SyncRecord) (int64, error) {
	return exec(ctx, c.q, "InsertSyncRecordIfAbsent", r.Institution, string(r.Stream), formatTime(r.LastAttemptAt),
		nullIfZero(r.LastSuccessAt), r.LastError, r.Documents)
}

func (c conn) UpdateSyncRecord(ctx context.Context, r usher.SyncRecord) error {
	_, err := exec(ctx, c.q, "UpdateSyncRecord", r.Institution, string(r.Stream), formatTime(r.LastAttemptAt),
		nullIfZero(r.LastSuccessAt), r.LastError, r.Documents)
	return err
}

func (c conn) SyncRecordsOf(ctx context.Context, institution string) ([]usher.SyncRecord, error) {
	return all(ctx, c.q, "SyncRecordsOf", scanSyncRecord, institution)
}

func (c conn) InsertHoldUnlessActive(ctx context.Context, h driver.HoldRow) (int64, error) {
	return exec(ctx, c.q, "InsertHoldUnlessActive", h.ID, h.Institution, h.Visitor, h.EventID, h.EventDate, h.LinesJSON,
		string(h.Status), formatTime(h.ExpiresAt), formatTime(h.UpstreamExpiresAt), formatTime(h.CreatedAt), formatTime(h.UpdatedAt))
}

func (c conn) UpdateHoldRow(ctx context.Context, h driver.HoldRow) (int64, error) {
	return exec(ctx, c.q, "UpdateHoldRow", h.LinesJSON, string(h.Status), formatTime(h.ExpiresAt),
		formatTime(h.UpstreamExpiresAt), formatTime(h.UpdatedAt), h.Institution, h.ID)
}

func (c conn) HoldByID(ctx context.Context, institution, id string) ([]driver.HoldRow, error) {
	return all(ctx, c.q, "HoldByID", scanHold, institution, id)
}

func (c conn) ActiveHoldsOf(ctx context.Context, institution, visitor string, eventID int64) ([]driver.HoldRow, error) {
	return all(ctx, c.q, "ActiveHoldsOf", scanHold, institution, visitor, eventID)
}

func (c conn) ActiveHoldsExpiringBy(ctx context.Context, t time.Time, limit int) ([]driver.HoldRow, error) {
	return all(ctx, c.q, "ActiveHoldsExpiringBy", scanHold, formatTime(t), limit)
}
