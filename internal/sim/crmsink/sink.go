// Package crmsink is a stand-in CRM for usher demo: a loopback HTTP
// receiver of usher's CRM deliveries that checks each one as a CRM should
// (bearer token, Standard Webhooks signature within its time tolerance)
// and lists what it received on a page, so a visitor of the demo sees
// the CRM side of the product. It keeps the latest deliveries in memory.
package crmsink

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/usher-hub/usher/internal/crm"
)

// DeliveryPath is the path deliveries are posted to; usher's
// crm_destinations[].url is the sink's base URL followed by it.
const DeliveryPath = "/crm/{stream}/{institution}"

// ListPath answers the deliveries kept, as JSON, for scripts; the page
// at / shows them to people. The sink is a stand-in's own server, not
// part of usher's API (docs/simulator.md describes it).
const ListPath = "/deliveries"

// Tolerance is how far a delivery's timestamp may be from the sink's
// clock, as Standard Webhooks recommends (against replays).
const Tolerance = 5 * time.Minute

// maxBody bounds a delivery: one document in a JSON array.
const maxBody = 1 << 20

// Options configure a sink.
type Options struct {
	// SigningSecret verifies the webhook-signature (usher's
	// signing_secret); Token is the bearer token usher must send.
	SigningSecret string
	Token         string
	// Keep is how many deliveries are kept; default 200.
	Keep int
	Now  func() time.Time
}

// Delivery is one delivery received, authentic or not.
type Delivery struct {
	At          time.Time `json:"at"`
	Institution string    `json:"institution"`
	Stream      string    `json:"stream"`
	DocumentID  string    `json:"document_id"`
	Version     string    `json:"version"`
	// Verified is true when the token and the signature were good; a
	// refused delivery says why in Problem.
	Verified bool   `json:"verified"`
	Problem  string `json:"problem,omitempty"`
	// Summary is the document's top-level plain fields, for the page.
	Summary string `json:"summary"`
}

// Sink is the receiver; it is an http.Handler.
type Sink struct {
	opts   Options
	signer crm.Signer
	mux    *http.ServeMux

	mu       sync.Mutex
	received []Delivery
}

// New returns a sink checking deliveries with o's secret and token.
func New(o Options) (*Sink, error) {
	signer, err := crm.NewSigner(o.SigningSecret)
	if err != nil {
		return nil, fmt.Errorf("crm sink: signing secret: %w", err)
	}
	if o.Token == "" {
		return nil, errors.New("crm sink: a bearer token is required")
	}
	if o.Keep <= 0 {
		o.Keep = 200
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Sink{opts: o, signer: signer, mux: http.NewServeMux()}
	s.mux.HandleFunc("POST "+DeliveryPath, s.receive)
	s.mux.HandleFunc("GET /{$}", s.page)
	s.mux.HandleFunc("GET "+ListPath, s.list)
	return s, nil
}

func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.mux.ServeHTTP(w, r)
}

// Received returns the deliveries kept, oldest first.
func (s *Sink) Received() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.received...)
}

// receive checks one delivery and records it: 204 when authentic, 401
// (token or signature) or 400 (not a JSON array) otherwise, as a CRM
// would answer, so usher retries what was refused.
func (s *Sink) receive(w http.ResponseWriter, r *http.Request) {
	d := Delivery{At: s.opts.Now(), Institution: r.PathValue("institution"), Stream: r.PathValue("stream"),
		DocumentID: r.Header.Get("Usher-Document-Id"), Version: r.Header.Get("Usher-Document-Version")}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	status := http.StatusNoContent
	switch {
	case err != nil || len(body) > maxBody:
		status, d.Problem = http.StatusRequestEntityTooLarge, "body unreadable or over 1 MiB"
	case !s.tokenOK(r.Header.Get("Authorization")):
		status, d.Problem = http.StatusUnauthorized, "wrong or missing bearer token"
	default:
		if err := s.signer.Verify(r.Header, body, s.opts.Now(), Tolerance); err != nil {
			status, d.Problem = http.StatusUnauthorized, err.Error()
		} else if d.Summary, err = summarize(body); err != nil {
			status, d.Problem = http.StatusBadRequest, err.Error()
		}
	}
	d.Verified = status == http.StatusNoContent
	s.record(d)
	if status != http.StatusNoContent {
		http.Error(w, d.Problem, status)
		return
	}
	w.WriteHeader(status)
}

func (s *Sink) tokenOK(header string) bool {
	got, ok := strings.CutPrefix(header, "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.Token)) == 1
}

func (s *Sink) record(d Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received = append(s.received, d)
	if over := len(s.received) - s.opts.Keep; over > 0 {
		s.received = append([]Delivery(nil), s.received[over:]...)
	}
}

// summarize lists the plain top-level fields of the delivered document
// (S-360's format: a JSON array holding it), sorted, at most eight.
func summarize(body []byte) (string, error) {
	var docs []map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // ids stay as sent, not 1.0228e+13
	if err := dec.Decode(&docs); err != nil || len(docs) != 1 || dec.More() {
		return "", errors.New("the body is not a JSON array holding one document")
	}
	doc := docs[0]
	// An S-360 order holds its fields in orderDetailsData.
	if inner, ok := doc["orderDetailsData"].(map[string]any); ok {
		doc = inner
	}
	var parts []string
	for k, v := range doc {
		switch v.(type) {
		case string, json.Number, bool:
			parts = append(parts, fmt.Sprintf("%s=%v", k, v))
		}
	}
	sort.Strings(parts)
	if len(parts) > 8 {
		parts = append(parts[:8], "…")
	}
	return strings.Join(parts, " "), nil
}

func (s *Sink) list(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s.Received())
}

func (s *Sink) page(w http.ResponseWriter, r *http.Request) {
	got := s.Received()
	newestFirst := make([]Delivery, len(got))
	for i, d := range got {
		newestFirst[len(got)-1-i] = d
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := pageTemplate.Execute(w, newestFirst); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CRM receiver · usher demo</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top;white-space:nowrap}
td.fields{white-space:normal;overflow-wrap:anywhere}
.bad{color:#a00}.ok{color:#070}code{font-size:.85em}</style></head>
<body><h1>CRM receiver</h1>
<p>A stand-in CRM: it receives usher's signed deliveries of contacts, orders and website bookings,
checks the bearer token and the Standard Webhooks signature, and lists them, newest first.</p>
{{if not .}}<p id="empty">Nothing received yet.</p>{{else}}
<table id="deliveries"><thead><tr><th>Received</th><th>Institution</th><th>Stream</th><th>Document</th><th>Version</th><th>Signature</th><th>Fields</th></tr></thead><tbody>
{{range .}}<tr class="delivery"><td>{{.At.Format "2006-01-02 15:04:05"}}</td><td>{{.Institution}}</td><td class="stream">{{.Stream}}</td>
<td class="document">{{.DocumentID}}</td><td>{{.Version}}</td>
<td>{{if .Verified}}<span class="ok">verified</span>{{else}}<span class="bad">refused: {{.Problem}}</span>{{end}}</td>
<td class="fields"><code>{{.Summary}}</code></td></tr>
{{end}}</tbody></table>{{end}}
</body></html>
`))
