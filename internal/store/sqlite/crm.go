package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// DocumentVersion reads one stored version; see driver.CRMVerbs.
func (c conn) DocumentVersion(ctx context.Context, institution string, stream usher.Stream, externalID string, version int) ([]driver.DocumentVersion, error) {
	return all(ctx, c.q, "DocumentVersion", func(r *sql.Rows, v *driver.DocumentVersion) error {
		var upstream sql.NullString
		err := r.Scan(&v.Doc.Hash, (*textJSON)(&v.Doc.Raw), &upstream, (*textTime)(&v.Doc.ReceivedAt), &v.Head)
		v.Doc.UpstreamUpdatedAt = nullTime(upstream)
		return err
	}, institution, stream, externalID, version)
}

// ContactSyncState reads a contact's head and pending deliveries; see
// driver.CRMVerbs.
func (c conn) ContactSyncState(ctx context.Context, institution, contactNumber string, orderKeys []string) (usher.ContactSyncState, error) {
	var st usher.ContactSyncState
	keys, err := json.Marshal(orderKeys)
	if err == nil {
		err = c.q.QueryRowContext(ctx, queries.Get("ContactSyncState"), institution, usher.StreamContacts, contactNumber, string(keys)).
			Scan(&st.HeadVersion, &st.PendingDeliveries)
	}
	return st, err
}

// MarkedContacts reads contacts with pending echo marks; see driver.CRMVerbs.
func (c conn) MarkedContacts(ctx context.Context, contacts []string, now time.Time) ([]driver.ContactKey, error) {
	list, err := json.Marshal(contacts)
	if err != nil {
		return nil, err
	}
	return all(ctx, c.q, "MarkedContacts", func(r *sql.Rows, k *driver.ContactKey) error { return r.Scan(&k.Institution, &k.ContactNumber) },
		string(list), formatTime(now))
}

// PendingEchoMarks reads a contact's pending marks; see driver.CRMVerbs.
// The writer is SQLite's only one: nothing else changes them meanwhile.
func (c conn) PendingEchoMarks(ctx context.Context, institution, contactNumber string, now time.Time) ([]driver.PendingEchoMark, error) {
	return all(ctx, c.q, "PendingEchoMarks", func(r *sql.Rows, m *driver.PendingEchoMark) error {
		return r.Scan(&m.ID, &m.BaseVersion, (*textJSON)(&m.Sent))
	},
		institution, contactNumber, formatTime(now))
}

// CountSuppressedEchoes counts suppressed marks; see driver.CRMVerbs.
func (c conn) CountSuppressedEchoes(ctx context.Context, institution, contactNumber string, after, before int) (int, error) {
	var n int
	err := c.q.QueryRowContext(ctx, queries.Get("CountSuppressedEchoes"), institution, contactNumber, after, before).Scan(&n)
	return n, err
}

// SuppressEcho marks an echo suppressed; see driver.CRMVerbs.
func (c conn) SuppressEcho(ctx context.Context, id int64, version int) error {
	_, err := exec(ctx, c.q, "SuppressEcho", version, id)
	return err
}

// ConflictEchoes marks pending marks conflicts; see driver.CRMVerbs.
func (c conn) ConflictEchoes(ctx context.Context, institution, contactNumber string, now time.Time) error {
	_, err := exec(ctx, c.q, "ConflictEchoes", institution, contactNumber, formatTime(now))
	return err
}

// EnqueueDeliveries queues delivery jobs; see driver.CRMVerbs.
func (c conn) EnqueueDeliveries(ctx context.Context, jobs []usher.NewJob, now time.Time) error {
	at := formatTime(now)
	for _, j := range jobs {
		if _, err := exec(ctx, c.q, "EnqueueDelivery", usher.NewTrackingID(), j.Institution, j.Kind, j.OrderKey, j.IdempotencyKey,
			string(j.Payload), j.MaxAttempts, at); err != nil {
			return err
		}
	}
	return nil
}

// InsertEchoMark stores an echo mark; see driver.CRMVerbs.
func (c conn) InsertEchoMark(ctx context.Context, m usher.EchoMark) error {
	_, err := exec(ctx, c.q, "InsertEchoMark", m.Institution, m.ContactNumber, string(m.Sent), m.BaseVersion, m.JobID,
		formatTime(m.CreatedAt), formatTime(m.ExpiresAt))
	return err
}

// CountEchoes counts echo marks; see driver.CRMVerbs.
func (c conn) CountEchoes(ctx context.Context) ([]usher.EchoCount, error) {
	return all(ctx, c.q, "CountEchoes", func(r *sql.Rows, e *usher.EchoCount) error { return r.Scan(&e.Institution, &e.Outcome, &e.Count) })
}

// DeleteEchoMarks deletes expired marks; see driver.CRMVerbs.
func (c conn) DeleteEchoMarks(ctx context.Context, cutoff time.Time) (int64, error) {
	return exec(ctx, c.q, "DeleteEchoMarks", formatTime(cutoff))
}
