package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// siteErr reports a failed read of the site area as EUNAVAILABLE, so the
// website answers 503 and the visitor retries; nil and errors that carry
// their own code (not found) stay as they are. (A failed write is
// reported so by the engine's InTx.)
func siteErr(op string, err error) error {
	if err == nil || usher.ErrorCode(err) != usher.EINTERNAL {
		return err
	}
	return &usher.Error{Code: usher.EUNAVAILABLE, Message: "database unavailable", Err: fmt.Errorf("store: %s: %w", op, err)}
}

// siteFirst is the one row of a read by key, or ErrNotFound.
func siteFirst[T any](rows []T, err error) (T, error) {
	var x T
	if err != nil {
		return x, err
	}
	if len(rows) == 0 {
		return x, usher.ErrNotFound
	}
	return rows[0], nil
}

// siteWrite runs one write verb in a transaction of its own and returns
// the rows it changed.
func (s *Store) siteWrite(ctx context.Context, op string, verb func(context.Context, driver.Executor) (int64, error)) (int64, error) {
	var n int64
	err := s.d.InTx(ctx, op, func(ctx context.Context, x driver.Executor) error {
		var err error
		n, err = verb(ctx, x)
		return err
	})
	return n, err
}

// SiteEvents reads one day's sessions from the local copy; see usher.SiteStore.
func (s *Store) SiteEvents(ctx context.Context, institution, day string) ([]usher.EventDocuments, error) {
	rows, err := s.d.SessionsOfDay(ctx, institution, day)
	if err != nil {
		return nil, siteErr("site events", err)
	}
	var out []usher.EventDocuments
	for _, r := range rows {
		e := usher.EventDocuments{Session: usher.Document{Institution: institution, Stream: usher.StreamCentamanTimedTicketType,
			ExternalID: r.ExternalID, Version: r.Version, Hash: r.Hash, Raw: json.RawMessage(r.Body), ReceivedAt: r.ReceivedAt}}
		if r.PriceBody != nil {
			e.Prices = &usher.Document{Institution: institution, Stream: usher.StreamCentamanTimedTickets,
				ExternalID: r.ExternalID, Version: *r.PriceVersion, Hash: *r.PriceHash,
				Raw: json.RawMessage(*r.PriceBody), ReceivedAt: *r.PriceReceivedAt}
		}
		out = append(out, e)
	}
	return out, nil
}

// PointHeads makes each document's stored version current; see usher.SiteStore.
func (s *Store) PointHeads(ctx context.Context, docs []usher.Document) error {
	return s.d.InTx(ctx, "point heads", func(ctx context.Context, x driver.Executor) error {
		return x.PointHeadsAtContent(ctx, docs)
	})
}

// RecordSync stores the state of one stream's copy over its earlier
// state (usher.SyncRecord.Following); see usher.SiteStore. The first
// state is inserted first, so that two replicas' first syncs of a stream
// end with one row; a later one is read under a row lock (PostgreSQL's
// FOR UPDATE, SQLite's single writer), so that no success is lost.
func (s *Store) RecordSync(ctx context.Context, r usher.SyncRecord) error {
	return s.d.InTx(ctx, "record sync", func(ctx context.Context, x driver.Executor) error {
		n, err := x.InsertSyncRecordIfAbsent(ctx, r)
		if err != nil || n == 1 {
			return err
		}
		prev, err := siteFirst(x.SyncRecordForUpdate(ctx, r.Institution, r.Stream))
		if err != nil {
			return err
		}
		return x.UpdateSyncRecord(ctx, r.Following(prev))
	})
}

// SyncRecords lists an institution's sync state; see usher.SiteStore.
func (s *Store) SyncRecords(ctx context.Context, institution string) ([]usher.SyncRecord, error) {
	recs, err := s.d.SyncRecordsOf(ctx, institution)
	return recs, siteErr("sync records", err)
}

// holds decodes stored holds.
func holds(rows []driver.HoldRow, err error) ([]usher.Hold, error) {
	if err != nil {
		return nil, err
	}
	out := make([]usher.Hold, 0, len(rows))
	for _, r := range rows {
		h := r.Hold
		if err := json.Unmarshal([]byte(r.LinesJSON), &h.Lines); err != nil {
			return nil, fmt.Errorf("hold %s lines: %w", h.ID, err)
		}
		out = append(out, h)
	}
	return out, nil
}

// writeHold runs a write verb on h as stored (its lines as JSON); none
// is the error when the verb changes no row.
func (s *Store) writeHold(ctx context.Context, op string, h usher.Hold,
	verb func(driver.Executor, context.Context, driver.HoldRow) (int64, error), none error) error {
	lines, err := json.Marshal(h.Lines)
	if err != nil {
		return err
	}
	n, err := s.siteWrite(ctx, op, func(ctx context.Context, x driver.Executor) (int64, error) {
		return verb(x, ctx, driver.HoldRow{Hold: h, LinesJSON: string(lines)})
	})
	if err == nil && n == 0 {
		return none
	}
	return err
}

// CreateHold stores a new hold; see usher.SiteStore. One hold per
// visitor and session is active: the unique index on active holds makes
// two racing requests end with one hold and one conflict, whatever the
// replica.
func (s *Store) CreateHold(ctx context.Context, h usher.Hold) error {
	return s.writeHold(ctx, "create hold", h, driver.Executor.InsertHoldUnlessActive,
		usher.Errorf(usher.ECONFLICT, "visitor already holds tickets for session %d", h.EventID))
}

// UpdateHold saves a hold's lines, status and times; see usher.SiteStore.
func (s *Store) UpdateHold(ctx context.Context, h usher.Hold) error {
	return s.writeHold(ctx, "update hold", h, driver.Executor.UpdateHoldRow, usher.ErrNotFound)
}

// FindHold returns a hold by id; see usher.SiteStore.
func (s *Store) FindHold(ctx context.Context, institution, id string) (usher.Hold, error) {
	h, err := siteFirst(holds(s.d.HoldByID(ctx, institution, id)))
	return h, siteErr("find hold", err)
}

// ActiveHold returns a visitor's active hold on a session; see usher.SiteStore.
func (s *Store) ActiveHold(ctx context.Context, institution, visitor string, eventID int64) (usher.Hold, error) {
	h, err := siteFirst(holds(s.d.ActiveHoldsOf(ctx, institution, visitor, eventID)))
	return h, siteErr("active hold", err)
}

// HoldsExpiredBy lists active holds past their expiry; see usher.SiteStore.
func (s *Store) HoldsExpiredBy(ctx context.Context, t time.Time, limit int) ([]usher.Hold, error) {
	hs, err := holds(s.d.ActiveHoldsExpiringBy(ctx, t, limit))
	return hs, siteErr("expired holds", err)
}

// ClaimCheckout takes the lease on a checkout; see usher.SiteStore. A new
// checkout is inserted first, so that two requests racing on one id end
// with one row; an existing one is read under a row lock (PostgreSQL's
// FOR UPDATE, SQLite's single writer), so that only one request at a time
// takes it over (usher.Checkout.Takeable) and talks to the upstream.
func (s *Store) ClaimCheckout(ctx context.Context, c usher.Checkout, now time.Time) (usher.Checkout, bool, error) {
	var out usher.Checkout
	claimed := false
	err := s.d.InTx(ctx, "claim checkout", func(ctx context.Context, x driver.Executor) error {
		fresh := c
		fresh.Attempts, fresh.CreatedAt = 0, now
		fresh = fresh.Leased(c.LeaseUntil, now)
		n, err := x.InsertCheckoutIfAbsent(ctx, fresh)
		if err != nil {
			return err
		}
		if n == 1 {
			out, claimed = fresh, true
			return nil
		}
		existing, err := siteFirst(x.CheckoutForUpdate(ctx, c.Institution, c.ID))
		if err != nil {
			return err
		}
		out, claimed = existing, false
		if !existing.Takeable(c.RequestHash, now) {
			return nil
		}
		taken := existing.Leased(c.LeaseUntil, now)
		if err := x.UpdateCheckoutLease(ctx, taken); err != nil {
			return err
		}
		out, claimed = taken, true
		return nil
	})
	if err != nil {
		return out, false, err
	}
	return out, claimed, nil
}

// FinishCheckout saves a checkout's outcome; see usher.SiteStore.
func (s *Store) FinishCheckout(ctx context.Context, c usher.Checkout) error {
	var result *string
	if len(c.Result) > 0 {
		r := string(c.Result)
		result = &r
	}
	n, err := s.siteWrite(ctx, "finish checkout", func(ctx context.Context, x driver.Executor) (int64, error) {
		return x.UpdateCheckoutOutcome(ctx, c, result)
	})
	if err == nil && n == 0 {
		return usher.ErrNotFound
	}
	return err
}

// MarkCheckoutEmailed records the e-tickets as sent; see usher.SiteStore.
func (s *Store) MarkCheckoutEmailed(ctx context.Context, institution, id string, at time.Time) error {
	return s.d.InTx(ctx, "mark checkout emailed", func(ctx context.Context, x driver.Executor) error {
		return x.SetCheckoutEmailedAt(ctx, institution, id, at)
	})
}

// CheckoutsAwaitingEmail lists done checkouts with unsent e-tickets; see
// usher.SiteStore.
func (s *Store) CheckoutsAwaitingEmail(ctx context.Context, limit int) ([]usher.Checkout, error) {
	cs, err := s.d.DoneCheckoutsUnemailed(ctx, limit)
	return cs, siteErr("checkouts awaiting email", err)
}

// FindCheckout returns a checkout; see usher.SiteStore.
func (s *Store) FindCheckout(ctx context.Context, institution, id string) (usher.Checkout, error) {
	c, err := siteFirst(s.d.CheckoutByID(ctx, institution, id))
	return c, siteErr("find checkout", err)
}

// CheckoutsInState lists an institution's checkouts in a state, oldest
// first; see usher.SiteStore.
func (s *Store) CheckoutsInState(ctx context.Context, institution string, state usher.CheckoutState, limit int) ([]usher.Checkout, error) {
	cs, err := s.d.CheckoutsInStateOf(ctx, institution, state, limit)
	return cs, siteErr("checkouts in state", err)
}

// LinkMember creates or replaces an identity's link; see usher.SiteStore.
func (s *Store) LinkMember(ctx context.Context, l usher.MemberLink) error {
	return s.d.InTx(ctx, "link member", func(ctx context.Context, x driver.Executor) error {
		return x.PutMemberLink(ctx, l)
	})
}

// FindMemberLink returns an identity's link; see usher.SiteStore.
func (s *Store) FindMemberLink(ctx context.Context, institution, identity string) (usher.MemberLink, error) {
	l, err := siteFirst(s.d.MemberLinkOf(ctx, institution, identity))
	if err != nil {
		// The identity is the caller's, found or not.
		l.Institution, l.Identity = institution, identity
	}
	return l, siteErr("find member link", err)
}

// LinkedMemberCodes lists linked members; see usher.SiteStore.
func (s *Store) LinkedMemberCodes(ctx context.Context, institution string) ([]int64, error) {
	codes, err := s.d.MemberCodesLinked(ctx, institution)
	return codes, siteErr("linked members", err)
}

// CreateMemberSession stores a session; see usher.SiteStore.
func (s *Store) CreateMemberSession(ctx context.Context, m usher.MemberSession) error {
	return s.d.InTx(ctx, "create member session", func(ctx context.Context, x driver.Executor) error {
		return x.InsertMemberSession(ctx, m)
	})
}

// FindMemberSession returns a live session (usher.MemberSession.Live);
// see usher.SiteStore.
func (s *Store) FindMemberSession(ctx context.Context, tokenHash string, now time.Time) (usher.MemberSession, error) {
	m, err := siteFirst(s.d.MemberSessionByToken(ctx, tokenHash))
	if err == nil && !m.Live(now) {
		m, err = usher.MemberSession{}, usher.ErrNotFound
	}
	m.TokenHash = tokenHash
	return m, siteErr("find member session", err)
}

// EndMemberSession deletes one session; see usher.SiteStore.
func (s *Store) EndMemberSession(ctx context.Context, tokenHash string) error {
	return s.d.InTx(ctx, "end member session", func(ctx context.Context, x driver.Executor) error {
		return x.DeleteMemberSession(ctx, tokenHash)
	})
}

// EndMemberSessions deletes an institution's sessions; see usher.SiteStore.
func (s *Store) EndMemberSessions(ctx context.Context, institution string) (int, error) {
	n, err := s.siteWrite(ctx, "end member sessions", func(ctx context.Context, x driver.Executor) (int64, error) {
		return x.DeleteMemberSessionsOf(ctx, institution)
	})
	return int(n), err
}

// MemberSessionsExist reports whether an institution has a live member
// session; see usher.SiteStore.
func (s *Store) MemberSessionsExist(ctx context.Context, institution string, now time.Time) (bool, error) {
	ok, err := s.d.MemberSessionsExpiringAfter(ctx, institution, now)
	return ok, siteErr("member sessions exist", err)
}
