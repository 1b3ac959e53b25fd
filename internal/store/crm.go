package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

var _ usher.CRMStore = (*Store)(nil)

// RouteDeliveries sets the CRM delivery routes; see usher.CRMStore.
func (s *Store) RouteDeliveries(routes []usher.DeliveryRoute) { s.routes.Set(routes) }

// routesAny says whether any of docs may go to a CRM.
func (s *Store) routesAny(docs []usher.Document) bool {
	for _, d := range docs {
		if len(s.routes.For(d.Institution, d.Stream)) > 0 {
			return true
		}
	}
	return false
}

// routeStored enqueues the CRM deliveries of versions that just became
// current, inside the transaction that stored them, except echoes of
// writes usher made for the CRM. Contacts with no pending echo mark (the
// usual case) cost one query for the lot.
func (s *Store) routeStored(ctx context.Context, x driver.Executor, stored []driver.StoredVersion, now time.Time) error {
	var routed []driver.StoredVersion
	var contacts []string
	for _, sv := range stored {
		if len(s.routes.For(sv.Doc.Institution, sv.Doc.Stream)) == 0 {
			continue
		}
		routed = append(routed, sv)
		if sv.Doc.Stream == usher.StreamContacts {
			contacts = append(contacts, sv.Doc.ExternalID)
		}
	}
	if len(routed) == 0 {
		return nil
	}
	marked := make(map[driver.ContactKey]bool)
	if len(contacts) > 0 {
		keys, err := x.MarkedContacts(ctx, contacts, now)
		if err != nil {
			return err
		}
		for _, k := range keys {
			marked[k] = true
		}
	}
	var jobs []usher.NewJob
	for _, sv := range routed {
		conflict := false
		if sv.Doc.Stream == usher.StreamContacts && marked[driver.ContactKey{Institution: sv.Doc.Institution, ContactNumber: sv.Doc.ExternalID}] {
			var echo bool
			var err error
			echo, conflict, err = checkEcho(ctx, x, sv.Doc, sv.Version, now)
			if err != nil {
				return err
			}
			if echo {
				continue
			}
		}
		for _, r := range s.routes.For(sv.Doc.Institution, sv.Doc.Stream) {
			jobs = append(jobs, usher.NewDelivery(r, sv.Doc, sv.Version, conflict))
		}
	}
	if len(jobs) == 0 {
		return nil
	}
	return x.EnqueueDeliveries(ctx, jobs, now)
}

// checkEcho settles the pending echo marks of a contact against a new
// version. A mark matches when nothing but echoes of usher's own writes
// was stored since the version the write built on, and the new version
// changes only what the write sent (usher.IsEcho): the first match is
// suppressed. If none matches, S-360 changed the contact on its own while
// usher wrote it, and every pending mark becomes a conflict so that the
// merged result reaches the CRM.
// It reports whether the version is an echo, and whether it is a conflict.
func checkEcho(ctx context.Context, x driver.Executor, d usher.Document, version int, now time.Time) (echo, conflict bool, err error) {
	marks, err := x.PendingEchoMarks(ctx, d.Institution, d.ExternalID, now)
	if err != nil || len(marks) == 0 {
		return false, false, err
	}
	var prev json.RawMessage
	if version > 1 {
		rows, err := x.DocumentVersion(ctx, d.Institution, d.Stream, d.ExternalID, version-1)
		if err == nil && len(rows) == 0 {
			err = fmt.Errorf("version %d not stored", version-1)
		}
		if err != nil {
			return false, false, fmt.Errorf("previous version: %w", err)
		}
		prev = rows[0].Doc.Raw
	}
	for _, m := range marks {
		if m.BaseVersion > version-1 {
			continue
		}
		echoes, err := x.CountSuppressedEchoes(ctx, d.Institution, d.ExternalID, m.BaseVersion, version)
		if err != nil {
			return false, false, err
		}
		if echoes != version-1-m.BaseVersion || !usher.IsEcho(prev, d.Raw, m.Sent) {
			continue
		}
		return true, false, x.SuppressEcho(ctx, m.ID, version)
	}
	return false, true, x.ConflictEchoes(ctx, d.Institution, d.ExternalID, now)
}

// DocumentVersion returns one stored version; see usher.CRMStore.
func (s *Store) DocumentVersion(ctx context.Context, institution string, stream usher.Stream, externalID string, version int) (usher.Document, int, error) {
	d := usher.Document{Institution: institution, Stream: stream, ExternalID: externalID, Version: version}
	rows, err := s.d.DocumentVersion(ctx, institution, stream, externalID, version)
	if err != nil {
		return d, 0, unavailable("document version", err)
	}
	if len(rows) == 0 {
		return d, 0, usher.Errorf(usher.ENOTFOUND, "no version %d of %s %s", version, stream, externalID)
	}
	v := rows[0]
	d.Hash, d.Raw, d.UpstreamUpdatedAt, d.ReceivedAt = v.Doc.Hash, v.Doc.Raw, v.Doc.UpstreamUpdatedAt, v.Doc.ReceivedAt
	return d, v.Head, nil
}

// ContactSyncState returns what usher holds of a contact; see
// usher.CRMStore. Its pending deliveries are those of every destination
// its institution's contacts are routed to.
func (s *Store) ContactSyncState(ctx context.Context, institution, contactNumber string) (usher.ContactSyncState, error) {
	keys := []string{}
	for _, dest := range s.routes.Destinations(institution, usher.StreamContacts) {
		keys = append(keys, usher.DeliveryOrderKey(dest, usher.StreamContacts, contactNumber))
	}
	st, err := s.d.ContactSyncState(ctx, institution, contactNumber, keys)
	if err != nil {
		return usher.ContactSyncState{}, unavailable("contact sync state", err)
	}
	return st, nil
}

// MarkEcho records a write made for the CRM; see usher.CRMStore. Marking
// the same job twice (its retry after a crash) keeps the first mark.
func (s *Store) MarkEcho(ctx context.Context, m usher.EchoMark) error {
	return s.marks.do(ctx, m)
}

// markEchoes records ms, one statement each, in one transaction.
func (s *Store) markEchoes(ctx context.Context, ms []usher.EchoMark) ([]error, error) {
	write := s.d.InTx
	if len(ms) == 1 {
		write = s.oneStatement
	}
	err := write(ctx, "mark echo", func(ctx context.Context, x driver.Executor) error {
		for _, m := range ms {
			if err := x.InsertEchoMark(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	return make([]error, len(ms)), err
}

// CountEchoes counts echo marks; see usher.CRMStore.
func (s *Store) CountEchoes(ctx context.Context) ([]usher.EchoCount, error) {
	return read[[]usher.EchoCount]("count echoes")(s.d.CountEchoes(ctx))
}

// PruneEchoes deletes expired marks; see usher.CRMStore.
func (s *Store) PruneEchoes(ctx context.Context, cutoff time.Time) (int, error) {
	var n int64
	err := s.d.InTx(ctx, "prune echoes", func(ctx context.Context, x driver.Executor) error {
		var err error
		n, err = x.DeleteEchoMarks(ctx, cutoff)
		return err
	})
	return int(n), err
}
