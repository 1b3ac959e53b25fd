package crm

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/outbox"
	"github.com/usher-hub/usher/internal/upstream/s360"
)

// Upstream is what the writers need of an S-360 instance's API.
type Upstream interface {
	SaveIndividualContactData(ctx context.Context, contact json.RawMessage, identifier, idem string) (s360.SaveResult, error)
	CreateOrder(ctx context.Context, b s360.Booking, idem string) (s360.OrderResult, error)
}

// Writer runs the CRM's writes to S-360: the outbox handler of
// usher.KindS360SaveContact and usher.KindS360CreateBooking.
type Writer struct {
	store      usher.CRMStore
	upstreams  map[string]Upstream // by institution
	echoWindow time.Duration
	now        func() time.Time
}

// NewWriter returns a writer to upstreams (by institution code). A write
// waits echoWindow for S-360 to push its result back.
func NewWriter(store usher.CRMStore, upstreams map[string]Upstream, echoWindow time.Duration, now func() time.Time) *Writer {
	if echoWindow <= 0 {
		echoWindow = 24 * time.Hour
	}
	return &Writer{store: store, upstreams: upstreams, echoWindow: echoWindow, now: now}
}

// SaveContact returns the handler of contact writes.
func (w *Writer) SaveContact() outbox.Handler { return outbox.HandlerFunc(w.saveContact) }

// CreateBooking returns the handler of bookings.
func (w *Writer) CreateBooking() outbox.Handler { return outbox.HandlerFunc(w.createBooking) }

func (w *Writer) upstream(institution string) (Upstream, error) {
	if u, ok := w.upstreams[institution]; ok {
		return u, nil
	}
	return nil, outbox.Permanent(fmt.Errorf("institution %s: %w", institution, errNoWriter))
}

// saveContact writes the contact, then marks the write so that S-360's
// push of the result is recognised as its echo. A write accepted as a
// conflict is not marked: the merged contact must reach the CRM. If
// marking fails the job is retried; S-360 replays the write (same key).
func (w *Writer) saveContact(ctx context.Context, job usher.Job) (json.RawMessage, error) {
	var p contactJob
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("contact job payload: %w", err))
	}
	up, err := w.upstream(job.Institution)
	if err != nil {
		return nil, err
	}
	res, err := up.SaveIndividualContactData(ctx, p.Contact, p.Identifier, upstreamKey(job.Institution, job.Kind, job.IdempotencyKey))
	if err != nil {
		return nil, fromUpstream(err)
	}
	if !p.Conflict && res.ContactNumber != "" {
		now := w.now()
		err := w.store.MarkEcho(ctx, usher.EchoMark{Institution: job.Institution, ContactNumber: res.ContactNumber,
			Sent: p.Contact, BaseVersion: p.BaseVersion, JobID: job.ID, CreatedAt: now, ExpiresAt: now.Add(w.echoWindow)})
		if err != nil {
			return nil, err
		}
	}
	return json.Marshal(map[string]string{"contactNumber": res.ContactNumber})
}

func (w *Writer) createBooking(ctx context.Context, job usher.Job) (json.RawMessage, error) {
	var p bookingJob
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("booking job payload: %w", err))
	}
	up, err := w.upstream(job.Institution)
	if err != nil {
		return nil, err
	}
	res, err := up.CreateOrder(ctx, p.Booking, upstreamKey(job.Institution, job.Kind, job.IdempotencyKey))
	if err != nil {
		return nil, fromUpstream(err)
	}
	return json.Marshal(res)
}

// fromUpstream tells the outbox what an S-360 failure means: throttled or
// circuit open is "not now" (no attempt used), a refusal is final, the
// rest is retried with backoff.
func fromUpstream(err error) error {
	kind, at := s360.KindOf(err)
	switch kind {
	case s360.Throttled, s360.Unavailable:
		return outbox.Snooze(at, err)
	case s360.Permanent:
		return outbox.Permanent(err)
	}
	return err
}
