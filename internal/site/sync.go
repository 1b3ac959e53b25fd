package site

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/upstream/centaman"
)

// errInvalidDocument means Centaman sent a document that fails its
// schema; it is left out of the copy and never used.
var errInvalidDocument = errors.New("document fails its schema")

// newDocument describes one Centaman document for the copy. Member
// records lose their credential fields (Password, …) here, before they are
// validated, logged or stored: the one documented exception to keeping
// documents as received (docs/website.md). The content hash is that of
// what is stored.
func newDocument(institution string, stream usher.Stream, externalID string, raw json.RawMessage) (usher.Document, error) {
	if stream == usher.StreamCentamanMember {
		stripped, err := withoutCredentials(raw)
		if err != nil {
			return usher.Document{}, fmt.Errorf("%s %s: %w", stream, externalID, err)
		}
		raw = stripped
	}
	h, err := usher.HashJSON(raw)
	if err != nil {
		return usher.Document{}, fmt.Errorf("%s %s: %w", stream, externalID, err)
	}
	return usher.Document{Institution: institution, Stream: stream, ExternalID: externalID, Hash: h, Raw: raw}, nil
}

// saveCopy validates docs, stores the valid ones and makes their content
// current. It returns the valid documents; the invalid ones are logged
// with every violation and counted.
func (s *Service) saveCopy(ctx context.Context, docs []usher.Document) ([]usher.Document, error) {
	valid := make([]usher.Document, 0, len(docs))
	for _, d := range docs {
		if vs := s.validator.Validate(d.Institution, usher.CentamanDocType(d.Stream), d.Raw); len(vs) > 0 {
			s.metrics.InvalidDocument(d.Institution, string(d.Stream))
			s.logger.ErrorContext(ctx, "centaman document fails its schema: left out of the copy",
				"institution", d.Institution, "stream", d.Stream, "id", d.ExternalID, "violations", vs, "document", string(d.Raw))
			continue
		}
		valid = append(valid, d)
	}
	if len(valid) == 0 {
		return nil, nil
	}
	outcomes, err := s.store.SaveDocuments(ctx, valid)
	if err != nil {
		return nil, err
	}
	var seen []usher.Document
	for i, o := range outcomes {
		if o == usher.OutcomeDuplicate {
			seen = append(seen, valid[i])
		}
	}
	if len(seen) > 0 {
		if err := s.store.PointHeads(ctx, seen); err != nil {
			return nil, err
		}
	}
	return valid, nil
}

// SyncResult counts what one sync of an institution copied.
type SyncResult struct {
	Sessions        int
	PriceLists      int
	MembershipTypes int
	Members         int
}

// Sync copies an institution's sessions (SyncDays from today) with their
// price lists, its membership types and its linked members. Each stream's
// outcome is recorded, so readers of the copy can say how old it is.
func (s *Service) Sync(ctx context.Context, institution string) (SyncResult, error) {
	var res SyncResult
	v, err := s.venue(institution)
	if err != nil {
		return res, err
	}
	var errs []error
	res.Sessions, res.PriceLists, err = s.syncSessions(ctx, v)
	errs = append(errs, err)
	res.MembershipTypes, err = s.syncMembershipTypes(ctx, v)
	errs = append(errs, err)
	res.Members, err = s.syncLinkedMembers(ctx, v)
	errs = append(errs, err)
	return res, errors.Join(errs...)
}

// record stores a stream's sync outcome.
func (s *Service) record(ctx context.Context, v *venue, stream usher.Stream, started time.Time, n int, err error) error {
	r := usher.SyncRecord{Institution: v.Code, Stream: stream, LastAttemptAt: started, Documents: n}
	if err == nil {
		r.LastSuccessAt = started
	} else {
		r.LastError = usher.ErrorMessage(err)
	}
	s.metrics.Sync(v.Code, string(stream), err == nil)
	if recErr := s.store.RecordSync(ctx, r); recErr != nil {
		return errors.Join(err, recErr)
	}
	return err
}

func (s *Service) syncSessions(ctx context.Context, v *venue) (sessions, prices int, err error) {
	started := s.now()
	from := started.Format("2006-01-02")
	to := started.AddDate(0, 0, s.opts.SyncDays-1).Format("2006-01-02")
	list, err := v.Client.TimedTicketTypes(ctx, from, to)
	if err = s.upstreamErr(ctx, v, err, "syncing sessions"); err != nil {
		return 0, 0, s.record(ctx, v, usher.StreamCentamanTimedTicketType, started, 0, err)
	}
	docs := make([]usher.Document, 0, len(list))
	for _, t := range list {
		d, err := newDocument(v.Code, usher.StreamCentamanTimedTicketType, strconv.FormatInt(t.TimedTicketTypeID, 10), t.Raw)
		if err != nil {
			return 0, 0, s.record(ctx, v, usher.StreamCentamanTimedTicketType, started, 0, err)
		}
		docs = append(docs, d)
	}
	saved, err := s.saveCopy(ctx, docs)
	if err := s.record(ctx, v, usher.StreamCentamanTimedTicketType, started, len(saved), err); err != nil {
		return 0, 0, err
	}
	prices, err = s.syncPriceLists(ctx, v, list)
	return len(saved), prices, err
}

// syncPriceLists copies the price list of each session. Sessions of one
// booking type usually share prices, but Centaman answers per session, so
// the copy keeps them per session, as sent.
func (s *Service) syncPriceLists(ctx context.Context, v *venue, sessions []centaman.TimedTicketType) (int, error) {
	started := s.now()
	docs := make([]usher.Document, 0, len(sessions))
	for _, t := range sessions {
		d, err := s.fetchPriceList(ctx, v, t.TimedTicketTypeID)
		if err != nil {
			return 0, s.record(ctx, v, usher.StreamCentamanTimedTickets, started, 0, err)
		}
		docs = append(docs, d)
	}
	saved, err := s.saveCopy(ctx, docs)
	return len(saved), s.record(ctx, v, usher.StreamCentamanTimedTickets, started, len(saved), err)
}

func (s *Service) fetchPriceList(ctx context.Context, v *venue, id int64) (usher.Document, error) {
	raw, _, err := v.Client.TimedTickets(ctx, id)
	if err = s.upstreamErr(ctx, v, err, "syncing prices"); err != nil {
		return usher.Document{}, err
	}
	return newDocument(v.Code, usher.StreamCentamanTimedTickets, strconv.FormatInt(id, 10), raw)
}

func (s *Service) syncMembershipTypes(ctx context.Context, v *venue) (int, error) {
	started := s.now()
	types, err := v.Client.MembershipTypes(ctx)
	if err = s.upstreamErr(ctx, v, err, "syncing membership types"); err != nil {
		return 0, s.record(ctx, v, usher.StreamCentamanMembershipType, started, 0, err)
	}
	docs := make([]usher.Document, 0, len(types))
	for _, t := range types {
		d, err := newDocument(v.Code, usher.StreamCentamanMembershipType, strconv.FormatInt(t.MembershipCode, 10), t.Raw)
		if err != nil {
			return 0, s.record(ctx, v, usher.StreamCentamanMembershipType, started, 0, err)
		}
		docs = append(docs, d)
	}
	saved, err := s.saveCopy(ctx, docs)
	return len(saved), s.record(ctx, v, usher.StreamCentamanMembershipType, started, len(saved), err)
}

// syncLinkedMembers re-reads the members linked to a website identity.
// Other members are copied when they link or join.
func (s *Service) syncLinkedMembers(ctx context.Context, v *venue) (int, error) {
	started := s.now()
	codes, err := s.store.LinkedMemberCodes(ctx, v.Code)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, code := range codes {
		members, err := s.refreshMember(ctx, v, code, "syncing members")
		if err != nil && usher.ErrorCode(err) != usher.ENOTFOUND {
			return n, s.record(ctx, v, usher.StreamCentamanMember, started, n, err)
		}
		n += len(members)
	}
	return n, s.record(ctx, v, usher.StreamCentamanMember, started, n, nil)
}

// refreshMember reads a member (with its secondaries) from Centaman and
// re-syncs it into the copy: the fresh read every membership check makes.
func (s *Service) refreshMember(ctx context.Context, v *venue, code int64, action string) ([]centaman.Member, error) {
	members, err := v.Client.Member(ctx, code)
	if err = s.upstreamErr(ctx, v, err, action); err != nil {
		return nil, err
	}
	if err := s.copyMembers(ctx, v, members); err != nil {
		return nil, err
	}
	return members, nil
}

func (s *Service) copyMembers(ctx context.Context, v *venue, members []centaman.Member) error {
	docs := make([]usher.Document, 0, len(members))
	for _, m := range members {
		d, err := newDocument(v.Code, usher.StreamCentamanMember, strconv.FormatInt(m.MemberCode, 10), m.Raw)
		if err != nil {
			return err
		}
		docs = append(docs, d)
	}
	saved, err := s.saveCopy(ctx, docs)
	if err != nil {
		return err
	}
	if len(saved) != len(docs) {
		return &usher.Error{Code: usher.EUNAVAILABLE, Err: errInvalidDocument,
			Message: "Centaman sent a member record usher cannot use (its schema violations are logged); the venue must check it"}
	}
	return nil
}

// refreshSession reads one session's availability from Centaman and
// re-syncs it into the copy.
func (s *Service) refreshSession(ctx context.Context, v *venue, id int64, day, action string) (centaman.TimedTicketType, error) {
	t, err := v.Client.Availability(ctx, id, day)
	if err = s.upstreamErr(ctx, v, err, action); err != nil {
		return t, err
	}
	d, err := newDocument(v.Code, usher.StreamCentamanTimedTicketType, strconv.FormatInt(id, 10), t.Raw)
	if err != nil {
		return t, err
	}
	saved, err := s.saveCopy(ctx, []usher.Document{d})
	if err != nil {
		return t, err
	}
	if len(saved) == 0 {
		return t, &usher.Error{Code: usher.EUNAVAILABLE, Err: errInvalidDocument,
			Message: "Centaman sent a session usher cannot use (its schema violations are logged); the venue must check it"}
	}
	return t, nil
}
