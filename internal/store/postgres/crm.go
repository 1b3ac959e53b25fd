package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// DocumentVersion reads one stored version; see driver.CRMVerbs.
func (c conn) DocumentVersion(ctx context.Context, institution string, stream usher.Stream, externalID string, version int) ([]driver.DocumentVersion, error) {
	return all(ctx, c.q, "DocumentVersion", func(r pgx.Row, v *driver.DocumentVersion) error {
		var body string
		err := r.Scan(&v.Doc.Hash, &body, &v.Doc.UpstreamUpdatedAt, &v.Doc.ReceivedAt, &v.Head)
		v.Doc.Raw = []byte(body)
		return err
	}, institution, string(stream), externalID, version)
}

// ContactSyncState reads a contact's head and pending deliveries; see
// driver.CRMVerbs.
func (c conn) ContactSyncState(ctx context.Context, institution, contactNumber string, orderKeys []string) (usher.ContactSyncState, error) {
	var st usher.ContactSyncState
	err := c.q.QueryRow(ctx, queries.Get("ContactSyncState"), institution, string(usher.StreamContacts), contactNumber, orderKeys).
		Scan(&st.HeadVersion, &st.PendingDeliveries)
	return st, err
}

// MarkedContacts reads contacts with pending echo marks; see driver.CRMVerbs.
func (c conn) MarkedContacts(ctx context.Context, contacts []string, now time.Time) ([]driver.ContactKey, error) {
	return all(ctx, c.q, "MarkedContacts", func(r pgx.Row, k *driver.ContactKey) error { return r.Scan(&k.Institution, &k.ContactNumber) }, contacts, now)
}

// PendingEchoMarks reads and locks a contact's pending marks; see
// driver.CRMVerbs.
func (c conn) PendingEchoMarks(ctx context.Context, institution, contactNumber string, now time.Time) ([]driver.PendingEchoMark, error) {
	return all(ctx, c.q, "PendingEchoMarks", func(r pgx.Row, m *driver.PendingEchoMark) error {
		var sent string
		err := r.Scan(&m.ID, &m.BaseVersion, &sent)
		m.Sent = []byte(sent)
		return err
	}, institution, contactNumber, now)
}

// CountSuppressedEchoes counts suppressed marks; see driver.CRMVerbs.
func (c conn) CountSuppressedEchoes(ctx context.Context, institution, contactNumber string, after, before int) (int, error) {
	var n int
	err := c.q.QueryRow(ctx, queries.Get("CountSuppressedEchoes"), institution, contactNumber, after, before).Scan(&n)
	return n, err
}

// SuppressEcho marks an echo suppressed; see driver.CRMVerbs.
func (c conn) SuppressEcho(ctx context.Context, id int64, version int) error {
	_, err := exec(ctx, c.q, "SuppressEcho", version, id)
	return err
}

// ConflictEchoes marks pending marks conflicts; see driver.CRMVerbs.
func (c conn) ConflictEchoes(ctx context.Context, institution, contactNumber string, now time.Time) error {
	_, err := exec(ctx, c.q, "ConflictEchoes", institution, contactNumber, now)
	return err
}

// EnqueueDeliveries queues delivery jobs in one batch; see driver.CRMVerbs.
func (c conn) EnqueueDeliveries(ctx context.Context, jobs []usher.NewJob, now time.Time) error {
	batch := &pgx.Batch{}
	for _, j := range jobs {
		batch.Queue(queries.Get("EnqueueDelivery"), usher.NewTrackingID(), j.Institution, j.Kind, j.OrderKey, j.IdempotencyKey,
			string(j.Payload), j.MaxAttempts, now)
	}
	return c.q.(batchSender).SendBatch(ctx, batch).Close()
}

// InsertEchoMark stores an echo mark; see driver.CRMVerbs.
func (c conn) InsertEchoMark(ctx context.Context, m usher.EchoMark) error {
	_, err := exec(ctx, c.q, "InsertEchoMark", m.Institution, m.ContactNumber, string(m.Sent), m.BaseVersion, m.JobID, m.CreatedAt, m.ExpiresAt)
	return err
}

// CountEchoes counts echo marks; see driver.CRMVerbs.
func (c conn) CountEchoes(ctx context.Context) ([]usher.EchoCount, error) {
	return all(ctx, c.q, "CountEchoes", func(r pgx.Row, e *usher.EchoCount) error { return r.Scan(&e.Institution, &e.Outcome, &e.Count) })
}

// DeleteEchoMarks deletes expired marks; see driver.CRMVerbs.
func (c conn) DeleteEchoMarks(ctx context.Context, cutoff time.Time) (int64, error) {
	return exec(ctx, c.q, "DeleteEchoMarks", cutoff)
}
