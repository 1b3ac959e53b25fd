package crm

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/outbox"
	"github.com/usher-hub/usher/internal/upstream/s360"
)

// Upstream is what the writers need of an S-360 instance's API: its
// documented calls only.
type Upstream interface {
	CreateCulturalContact(ctx context.Context, contacts []s360.CulturalContact) (map[int64]string, error)
	SaveIndividualContactData(ctx context.Context, contact json.RawMessage) (s360.SaveResult, error)
	SearchContact(ctx context.Context, crit s360.SearchCriteria) ([]s360.ContactMatch, error)
	GetContactData(ctx context.Context, contactNumber string, details []string) (json.RawMessage, error)
	CreateOrUpdateOrder(ctx context.Context, pos int64, b s360.Booking) (s360.OrderResult, error)
	CloseOrder(ctx context.Context, orderID json.Number) (s360.OrderResult, error)
	FindOrderByReference(ctx context.Context, ref string) (s360.OrderResult, bool, error)
}

// Target is one institution's S-360 API as the writers use it.
type Target struct {
	Upstream Upstream
	// PointOfSalesID is the point of sales orders are created at
	// (createOrUpdateOrder's mandatory pointOfSalesId).
	PointOfSalesID int64
	// ContactBatch is the most new contacts one createCulturalContact call
	// carries. Default DefaultContactBatch.
	ContactBatch int
	// BatchLinger is how long a new contact waits for others to share its
	// call. Default 200 ms.
	BatchLinger time.Duration
}

// DefaultContactBatch is the default number of new contacts per
// createCulturalContact call; see docs/crm.md for the choice.
const DefaultContactBatch = 50

// Writer runs the CRM's writes to S-360: the outbox handler of
// usher.KindS360SaveContact (and of usher.KindS360ImportContact, the same
// handler) and usher.KindS360CreateBooking.
type Writer struct {
	store      usher.CRMStore
	targets    map[string]Target // by institution
	batchers   map[string]*batcher
	echoWindow time.Duration
	now        func() time.Time
	metrics    *metrics.Outbox
}

// NewWriter returns a writer to targets (by institution code). A write
// waits echoWindow for S-360 to push its result back. m counts the
// resolutions of lost answers.
func NewWriter(store usher.CRMStore, targets map[string]Target, echoWindow time.Duration, now func() time.Time, m *metrics.Outbox) *Writer {
	if echoWindow <= 0 {
		echoWindow = 24 * time.Hour
	}
	w := &Writer{store: store, targets: targets, batchers: map[string]*batcher{}, echoWindow: echoWindow, now: now, metrics: m}
	for code, t := range targets {
		w.batchers[code] = newBatcher(t.Upstream, t.ContactBatch, t.BatchLinger)
	}
	return w
}

// SaveContact returns the handler of contact writes.
func (w *Writer) SaveContact() outbox.Handler { return outbox.HandlerFunc(w.saveContact) }

// CreateBooking returns the handler of bookings.
func (w *Writer) CreateBooking() outbox.Handler { return outbox.HandlerFunc(w.createBooking) }

func (w *Writer) target(institution string) (Target, error) {
	if t, ok := w.targets[institution]; ok {
		return t, nil
	}
	return Target{}, outbox.Permanent(fmt.Errorf("institution %s: %w", institution, errNoWriter))
}

// writeResult is what a done S-360 write records: what S-360 assigned,
// and how a lost answer was resolved (empty when none was lost).
type writeResult struct {
	ContactNumber string      `json:"contactNumber,omitempty"`
	OrderID       json.Number `json:"orderId,omitempty"`
	OrderState    string      `json:"orderState,omitempty"`
	Resolved      string      `json:"resolved,omitempty"`
}

// The outcomes of resolving a lost answer.
const (
	resolvedFound        = "found"         // the write had happened: not written again
	resolvedAbsent       = "absent"        // it had not: written again
	resolvedUpdateResent = "update_resent" // an update: sending it again is harmless
)

// outcomeUnknown reports whether an earlier attempt of job may have
// reached S-360 without usher learning the outcome: the first attempt
// always starts clean, and an attempt that did not call (throttled,
// circuit open) is given back by the outbox, so Attempts > 1 means a call
// failed after it may have been applied (lost answer, timeout, crash). A
// job an operator retried from the dead letter starts its attempts afresh,
// and its last one may have been applied too.
func outcomeUnknown(job usher.Job) bool { return job.Attempts > 1 || job.Replayed }

func (w *Writer) resolved(job usher.Job, outcome string) {
	if w.metrics != nil {
		w.metrics.Resolutions.WithLabelValues(job.Institution, job.Kind, outcome).Inc()
	}
}

// saveContact writes the contact, then marks the write so that S-360's
// push of the result is recognised as its echo. A write accepted as a
// conflict is not marked: the merged contact must reach the CRM.
func (w *Writer) saveContact(ctx context.Context, job usher.Job) (json.RawMessage, error) {
	var p contactJob
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("contact job payload: %w", err))
	}
	t, err := w.target(job.Institution)
	if err != nil {
		return nil, err
	}
	var res writeResult
	fields, number, err := contactFields(p.Contact)
	if err != nil {
		return nil, outbox.Permanent(err)
	}
	if number == "" {
		res, err = w.createContact(ctx, t, job, fields)
	} else {
		res, err = w.updateContact(ctx, t, job, p.Contact, number)
	}
	if err != nil {
		return nil, err
	}
	if !p.Conflict {
		now := w.now()
		err := w.store.MarkEcho(ctx, usher.EchoMark{Institution: job.Institution, ContactNumber: res.ContactNumber,
			Sent: p.Contact, BaseVersion: p.BaseVersion, JobID: job.ID, CreatedAt: now, ExpiresAt: now.Add(w.echoWindow)})
		if err != nil {
			return nil, err
		}
	}
	return json.Marshal(res)
}

// updateContact sends an update. Only the fields given change, so an
// update whose answer was lost is sent again as it is.
func (w *Writer) updateContact(ctx context.Context, t Target, job usher.Job, contact json.RawMessage, number string) (writeResult, error) {
	res := writeResult{ContactNumber: number}
	if outcomeUnknown(job) {
		res.Resolved = resolvedUpdateResent
		w.resolved(job, res.Resolved)
	}
	if _, err := t.Upstream.SaveIndividualContactData(ctx, contact); err != nil {
		return res, fromUpstream(err)
	}
	return res, nil
}

// createContact creates the contact through the institution's batch of
// createCulturalContact calls, after finding out, if an earlier attempt's
// answer was lost, whether that attempt had created it. Fields a create
// does not carry (addresses, opt-ins …) follow as an update.
func (w *Writer) createContact(ctx context.Context, t Target, job usher.Job, fields map[string]any) (writeResult, error) {
	nc := newCulturalContact(fields, job.ID)
	var res writeResult
	if outcomeUnknown(job) {
		number, found, err := findCreatedContact(ctx, t.Upstream, nc, job.CreatedAt)
		if err != nil {
			return res, fromUpstream(err)
		}
		res.Resolved = resolvedAbsent
		if found {
			res.Resolved, res.ContactNumber = resolvedFound, number
		}
		w.resolved(job, res.Resolved)
	}
	if res.ContactNumber == "" {
		number, err := w.batchers[job.Institution].create(ctx, nc)
		if err != nil {
			return res, fromUpstream(err)
		}
		res.ContactNumber = number
	}
	if rest := remainingFields(fields, res.ContactNumber); rest != nil {
		if _, err := t.Upstream.SaveIndividualContactData(ctx, rest); err != nil {
			return res, afterWrite(err)
		}
	}
	return res, nil
}

// createBooking opens the order and closes it if it is a sale. The order
// carries the job's reference in externalReference, so that after a lost
// answer the order is looked up by it instead of being created twice.
func (w *Writer) createBooking(ctx context.Context, job usher.Job) (json.RawMessage, error) {
	var p bookingJob
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("booking job payload: %w", err))
	}
	t, err := w.target(job.Institution)
	if err != nil {
		return nil, err
	}
	b := p.Booking
	b.ExternalReference = OrderReference(job)
	var res writeResult
	var order s360.OrderResult
	found := false
	if outcomeUnknown(job) {
		order, found, err = t.Upstream.FindOrderByReference(ctx, b.ExternalReference)
		if err != nil {
			return nil, fromUpstream(err)
		}
		res.Resolved = resolvedAbsent
		if found {
			res.Resolved = resolvedFound
		}
		w.resolved(job, res.Resolved)
	}
	if !found {
		if order, err = t.Upstream.CreateOrUpdateOrder(ctx, t.PointOfSalesID, b); err != nil {
			return nil, fromUpstream(err)
		}
	}
	if b.OrderType == s360.OrderSale && order.OrderState != "CLOSED" {
		closed, err := t.Upstream.CloseOrder(ctx, order.OrderID)
		if err != nil {
			return nil, afterWrite(err)
		}
		if closed.OrderState != "" {
			order.OrderState = closed.OrderState
		}
	}
	res.OrderID, res.OrderState = order.OrderID, order.OrderState
	return json.Marshal(res)
}

// afterWrite classifies a failure that follows a write this attempt made.
// Unlike fromUpstream it never snoozes: a snoozed attempt is given back,
// and the next one would not know the write happened; a counted attempt
// makes the next one resolve first.
func afterWrite(err error) error {
	kind, at := s360.KindOf(err)
	switch kind {
	case s360.Throttled, s360.Unavailable:
		return outbox.RetryNotBefore(at, err)
	case s360.Permanent:
		return outbox.Permanent(err)
	}
	return err
}

// OrderReference is the externalReference usher gives the order of a
// booking job: stable across its attempts, unique across jobs.
func OrderReference(job usher.Job) string { return "usher:" + job.TrackingID }

// fromUpstream tells the outbox what an S-360 failure means: throttled or
// circuit open is "not now" (no attempt used), a refusal is final, the
// rest is retried with backoff, and resolved first (see outcomeUnknown).
func fromUpstream(err error) error {
	kind, at := s360.KindOf(err)
	if s360.MaybeApplied(err) {
		// Counted, never snoozed: the next attempt must know to resolve.
		return outbox.RetryNotBefore(at, err)
	}
	switch kind {
	case s360.Throttled, s360.Unavailable:
		return outbox.Snooze(at, err)
	case s360.Permanent:
		return outbox.Permanent(err)
	}
	return err
}
