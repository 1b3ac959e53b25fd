package crm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/metrics"
	"github.com/usher-hub/usher/internal/outbox"
)

// Destination is one CRM endpoint of one institution.
type Destination struct {
	Institution string
	Name        string
	// URL may hold {institution} and {stream}.
	URL string
	// Auth is how usher authenticates: mode none, basic, apikey or bearer.
	Auth   usher.PushAuth
	Signer Signer
	// Format is "s360" (a JSON array holding the document, as S-360's own
	// webhook posts it) or "envelope" ({type, timestamp, data}).
	Format  string
	Timeout time.Duration
}

func (d Destination) url(stream usher.Stream) string {
	return strings.NewReplacer("{institution}", d.Institution, "{stream}", string(stream)).Replace(d.URL)
}

// Deliverer runs delivery jobs: it posts a stored document version to a
// CRM destination. It is the outbox handler of usher.KindCRMDelivery.
type Deliverer struct {
	store   usher.CRMStore
	dests   map[[2]string]Destination // (institution, name)
	http    *http.Client
	now     func() time.Time
	metrics *metrics.Outbox
	logger  *slog.Logger
}

// NewDeliverer returns a deliverer to dests. hc must not follow
// redirects (a 3xx is a failed delivery, per Standard Webhooks); use
// NewHTTPClient.
func NewDeliverer(store usher.CRMStore, dests []Destination, hc *http.Client, now func() time.Time, m *metrics.Outbox, logger *slog.Logger) *Deliverer {
	byName := make(map[[2]string]Destination, len(dests))
	for _, d := range dests {
		byName[[2]string{d.Institution, d.Name}] = d
	}
	return &Deliverer{store: store, dests: byName, http: hc, now: now, metrics: m, logger: logger}
}

// NewHTTPClient returns the client deliveries and S-360 calls use: no
// redirects followed, per-call timeouts set by the caller, and enough idle
// connections per host for a worker pool, instead of the default two,
// which would open and close a connection for most calls.
func NewHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	return &http.Client{
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// deliveryResult is what a done delivery job records.
type deliveryResult struct {
	Status     int    `json:"status,omitempty"`
	Superseded string `json:"superseded,omitempty"`
}

// Handle delivers one job. A replayed job (retried from the dead letter)
// whose document has a newer current version is skipped: the CRM must not
// go back to an old version it may already have replaced.
func (d *Deliverer) Handle(ctx context.Context, job usher.Job) (json.RawMessage, error) {
	var p usher.DeliveryPayload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("delivery payload: %w", err))
	}
	dest, ok := d.dests[[2]string{job.Institution, p.Destination}]
	if !ok {
		return nil, outbox.Permanent(fmt.Errorf("no CRM destination %q for institution %s in the configuration", p.Destination, job.Institution))
	}
	doc, head, err := d.store.DocumentVersion(ctx, job.Institution, p.Stream, p.ExternalID, p.Version)
	if usher.ErrorCode(err) == usher.ENOTFOUND {
		return nil, outbox.Permanent(err)
	}
	if err != nil {
		return nil, err
	}
	if job.Replayed && head > p.Version {
		return json.Marshal(deliveryResult{Superseded: fmt.Sprintf("version %d is current", head)})
	}
	body, err := render(dest.Format, doc, d.now())
	if err != nil {
		return nil, outbox.Permanent(err)
	}
	status, err := d.post(ctx, dest, job, doc, body)
	d.metrics.Deliveries.WithLabelValues(job.Institution, dest.Name, strconv.Itoa(status)).Inc()
	if err != nil {
		return nil, err
	}
	if p.Conflict {
		d.logger.Warn("crm: conflict: S-360 changed a contact while the CRM's write to it was on its way; delivered the merged contact, the CRM's fields having won",
			"institution", job.Institution, "destination", dest.Name, "contact", p.ExternalID, "version", p.Version)
	}
	return json.Marshal(deliveryResult{Status: status})
}

// render builds the body of a delivery.
func render(format string, doc usher.Document, now time.Time) ([]byte, error) {
	if format == "envelope" {
		kind := "contact.updated"
		if doc.Stream == usher.StreamOrders || doc.Stream == usher.StreamCentamanBooking {
			kind = "order.updated"
		}
		return json.Marshal(map[string]any{"type": kind, "timestamp": now.UTC().Format(time.RFC3339), "data": doc.Raw})
	}
	var buf bytes.Buffer
	buf.WriteByte('[')
	buf.Write(doc.Raw)
	buf.WriteByte(']')
	return buf.Bytes(), nil
}

func (d *Deliverer) post(ctx context.Context, dest Destination, job usher.Job, doc usher.Document, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, dest.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dest.url(doc.Stream), bytes.NewReader(body))
	if err != nil {
		return 0, outbox.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "usher")
	dest.Signer.SetHeaders(req.Header, job.IdempotencyKey, d.now(), body)
	req.Header.Set("Usher-Institution", job.Institution)
	req.Header.Set("Usher-Stream", string(doc.Stream))
	req.Header.Set("Usher-Document-Id", doc.ExternalID)
	req.Header.Set("Usher-Document-Version", strconv.Itoa(doc.Version))
	req.Header.Set("Usher-Content-Hash", doc.Hash)
	setAuth(req, dest.Auth)
	resp, err := d.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("deliver to %s: %w", dest.Name, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, deliveryError(dest.Name, resp, d.now())
}

// deliveryError classifies a CRM's answer, per Standard Webhooks: 2xx is
// delivered; 410 Gone means the endpoint is gone, do not retry; a
// Retry-After (429, 503) is honoured; anything else is retried.
func deliveryError(name string, resp *http.Response, now time.Time) error {
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		return nil
	case resp.StatusCode == http.StatusGone:
		return outbox.Permanent(fmt.Errorf("%s answered 410 Gone: the endpoint is disabled", name))
	}
	err := fmt.Errorf("%s answered HTTP %d", name, resp.StatusCode)
	if secs, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && secs > 0 {
		return outbox.RetryNotBefore(now.Add(time.Duration(secs)*time.Second), err)
	}
	return err
}

func setAuth(req *http.Request, a usher.PushAuth) {
	switch a.Mode {
	case usher.AuthBasic:
		req.SetBasicAuth(a.Username, a.Secret)
	case usher.AuthAPIKey:
		req.Header.Set(a.Header, a.Secret)
	case "bearer":
		req.Header.Set("Authorization", "Bearer "+a.Secret)
	}
}

// errNoWriter is returned for an institution with no S-360 API configured.
var errNoWriter = errors.New("no s360_api configured for this institution")
