package crm

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/upstream/s360"
)

// Store is what the CRM face needs of the storage engine.
type Store interface {
	usher.OutboxStore
	usher.CRMStore
}

// Service accepts CRM writes into the outbox.
type Service struct {
	store Store
	// attempts is each institution's max attempts for S-360 writes; an
	// institution without an S-360 API is absent.
	attempts map[string]int
	metrics  *metrics.Outbox
	logger   *slog.Logger
	now      func() time.Time
	// wake tells the local outbox runner work arrived.
	wake func()
}

// NewService returns a service writing for the institutions of attempts
// (code → max attempts of a write). wake may be nil.
func NewService(store Store, attempts map[string]int, m *metrics.Outbox, logger *slog.Logger, now func() time.Time, wake func()) *Service {
	if wake == nil {
		wake = func() {}
	}
	return &Service{store: store, attempts: attempts, metrics: m, logger: logger, now: now, wake: wake}
}

// Receipt is the 202 answer to a CRM write.
type Receipt struct {
	TrackingID string         `json:"tracking_id"`
	State      usher.JobState `json:"state"`
	// Conflict says S-360 changed the contact too; see the package doc.
	Conflict  bool   `json:"conflict"`
	StatusURL string `json:"status_url"`
}

// SubmitContact validates a contact write and enqueues it. idem, the
// request's Idempotency-Key, makes a resent request return the first
// one's receipt; without it every request is a new write.
func (s *Service) SubmitContact(ctx context.Context, institution, idem string, body []byte) (Receipt, error) {
	attempts, ok := s.attempts[institution]
	if !ok {
		return Receipt{}, usher.Errorf(usher.ENOTFOUND, "institution %q has no S-360 API configured for CRM writes", institution)
	}
	req, _, number, err := parseContact(body)
	if err != nil {
		return Receipt{}, err
	}
	if idem == "" {
		idem = usher.NewTrackingID()
	}
	job := contactJob{Contact: req.Contact, Identifier: req.Reference}
	key := "s360:contact:new:" + idem
	switch {
	case number != "":
		key = "s360:contact:" + number
		st, err := s.store.ContactSyncState(ctx, institution, number)
		if err != nil {
			return Receipt{}, err
		}
		job.BaseVersion = st.HeadVersion
		job.Conflict = st.PendingDeliveries > 0 || (req.BaseVersion != nil && *req.BaseVersion < st.HeadVersion)
		if job.Conflict {
			s.metrics.Conflicts.WithLabelValues(institution).Inc()
			s.logger.Warn("crm: conflict: the CRM wrote a contact S-360 also changed; the CRM's fields win and the merged contact goes back to the CRM",
				"institution", institution, "contact", number, "usher_version", st.HeadVersion,
				"crm_base_version", req.BaseVersion, "deliveries_pending", st.PendingDeliveries)
		}
	case req.Reference != "":
		key = "s360:contact:ref:" + req.Reference
	}
	payload, _ := json.Marshal(job)
	return s.enqueue(ctx, usher.NewJob{Institution: institution, Kind: usher.KindS360SaveContact, OrderKey: key,
		IdempotencyKey: idem, Payload: payload, MaxAttempts: attempts, RunAt: s.now()}, job.Conflict)
}

// SubmitBooking validates a booking and enqueues it.
func (s *Service) SubmitBooking(ctx context.Context, institution, idem string, body []byte) (Receipt, error) {
	attempts, ok := s.attempts[institution]
	if !ok {
		return Receipt{}, usher.Errorf(usher.ENOTFOUND, "institution %q has no S-360 API configured for CRM writes", institution)
	}
	req, err := parseBooking(body)
	if err != nil {
		return Receipt{}, err
	}
	if idem == "" {
		idem = usher.NewTrackingID()
	}
	// The order's externalReference is set by the writer from the job
	// (see OrderReference); the CRM's reference stays in the job.
	b := s360.Booking{ContactNumber: req.ContactNumber, OrderType: req.OrderType, Operations: req.Items}
	payload, _ := json.Marshal(bookingJob{Booking: b, Reference: req.Reference})
	return s.enqueue(ctx, usher.NewJob{Institution: institution, Kind: usher.KindS360CreateBooking,
		OrderKey: "s360:booking:" + idem, IdempotencyKey: idem, Payload: payload, MaxAttempts: attempts, RunAt: s.now()}, false)
}

func (s *Service) enqueue(ctx context.Context, nj usher.NewJob, conflict bool) (Receipt, error) {
	jobs, err := s.store.EnqueueJobs(ctx, []usher.NewJob{nj})
	if err != nil {
		return Receipt{}, err
	}
	j := jobs[0]
	if !sameRequest(j.Payload, nj.Payload) {
		return Receipt{}, usher.Errorf(usher.ECONFLICT, "Idempotency-Key %q was already used for a different request", nj.IdempotencyKey)
	}
	s.wake()
	return Receipt{TrackingID: j.TrackingID, State: j.State, Conflict: conflict,
		StatusURL: "/api/v1/crm/" + j.Institution + "/requests/" + j.TrackingID}, nil
}

// RequestStatus is the answer of GET /api/v1/crm/{institution}/requests/{id}.
type RequestStatus struct {
	TrackingID string          `json:"tracking_id"`
	Kind       string          `json:"kind"`
	State      usher.JobState  `json:"state"`
	Attempts   int             `json:"attempts"`
	LastError  string          `json:"last_error,omitempty"`
	Result     json.RawMessage `json:"result,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
}

// Request returns the status of a CRM write.
func (s *Service) Request(ctx context.Context, institution, trackingID string) (RequestStatus, error) {
	j, err := s.store.JobByTrackingID(ctx, institution, trackingID)
	if err != nil {
		return RequestStatus{}, err
	}
	if j.Kind != usher.KindS360SaveContact && j.Kind != usher.KindS360CreateBooking {
		return RequestStatus{}, usher.Errorf(usher.ENOTFOUND, "no request %q", trackingID)
	}
	return RequestStatus{TrackingID: j.TrackingID, Kind: j.Kind, State: j.State, Attempts: j.Attempts,
		LastError: j.LastError, Result: j.Result, CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt}, nil
}

// sameRequest reports whether two job payloads carry the same request,
// leaving out what usher derived when it accepted them.
func sameRequest(a, b json.RawMessage) bool {
	var ma, mb map[string]json.RawMessage
	if json.Unmarshal(a, &ma) != nil || json.Unmarshal(b, &mb) != nil {
		return false
	}
	for _, k := range []string{"base_version", "conflict"} {
		delete(ma, k)
		delete(mb, k)
	}
	ha, errA := usher.HashJSON(mustJSON(ma))
	hb, errB := usher.HashJSON(mustJSON(mb))
	return errA == nil && errB == nil && ha == hb
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
