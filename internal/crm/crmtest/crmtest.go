// Package crmtest is a CRM on loopback for tests of usher's CRM
// deliveries: it verifies every delivery's Standard Webhooks signature
// and bearer token, counts deliveries by webhook-id, records each
// document's versions in arrival order, and can be told to fail or to
// hold deliveries in flight. cmd/usher's in-process tests and e2e's
// process tests share it.
package crmtest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/usher-hub/usher/internal/crm"
)

// CRM is the test CRM; it is stopped when the test ends.
type CRM struct {
	// URL is the CRM's base URL.
	URL    string
	t      *testing.T
	signer crm.Signer
	token  string

	mu      sync.Mutex
	status  int                 // answer; 200 unless told otherwise
	byID    map[string]int      // webhook-id → times received
	order   map[string][]int    // "stream/id" → versions, in arrival order
	bodies  map[string][]string // "stream/id" → delivered documents
	badSigs int
	// Once gateAt deliveries arrived, further ones wait for gate to close:
	// they are in flight, received but not answered.
	gateAt int
	gate   chan struct{}
}

// New starts a CRM accepting deliveries signed with signingSecret (a
// whsec_ secret) and carrying Authorization: Bearer token.
func New(t *testing.T, signingSecret, token string) *CRM {
	t.Helper()
	signer, err := crm.NewSigner(signingSecret)
	if err != nil {
		t.Fatal(err)
	}
	c := &CRM{t: t, signer: signer, token: token, status: http.StatusOK, byID: map[string]int{}, order: map[string][]int{},
		bodies: map[string][]string{}}
	srv := httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(srv.Close)
	c.URL = srv.URL
	return c
}

func (c *CRM) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	gated, gate := c.gateAt > 0 && len(c.byID) >= c.gateAt, c.gate
	c.mu.Unlock()
	if gated {
		<-gate
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.signer.Verify(r.Header, body, time.Now(), 5*time.Minute); err != nil || r.Header.Get("Authorization") != "Bearer "+c.token {
		c.badSigs++
		http.Error(w, "bad signature or credentials", http.StatusUnauthorized)
		return
	}
	if c.status != http.StatusOK {
		w.WriteHeader(c.status)
		return
	}
	id := r.Header.Get(crm.HeaderID)
	c.byID[id]++
	if c.byID[id] == 1 {
		var version int
		fmt.Sscan(r.Header.Get("Usher-Document-Version"), &version)
		doc := r.Header.Get("Usher-Stream") + "/" + r.Header.Get("Usher-Document-Id")
		c.order[doc] = append(c.order[doc], version)
		c.bodies[doc] = append(c.bodies[doc], string(body))
	}
}

// HoldAfter makes deliveries after the first n wait until release.
func (c *CRM) HoldAfter(n int) (release func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gateAt, c.gate = n, make(chan struct{})
	var once sync.Once
	gate := c.gate
	release = func() { once.Do(func() { close(gate) }) }
	c.t.Cleanup(release)
	return release
}

// SetStatus makes the CRM answer every delivery with status.
func (c *CRM) SetStatus(s int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status = s
}

// Counts returns the distinct deliveries, the duplicates and the
// deliveries with a bad signature.
func (c *CRM) Counts() (distinct, duplicates, bad int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.byID {
		distinct++
		duplicates += n - 1
	}
	return distinct, duplicates, c.badSigs
}

// Versions returns the versions of doc ("stream/id") in arrival order.
func (c *CRM) Versions(doc string) []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.order[doc]...)
}

// LastBody returns the latest body delivered for doc, or "".
func (c *CRM) LastBody(doc string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.bodies[doc]
	if len(b) == 0 {
		return ""
	}
	return b[len(b)-1]
}

// FirstBodies returns the first body delivered for each document.
func (c *CRM) FirstBodies() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]string, len(c.bodies))
	for doc, b := range c.bodies {
		out[doc] = b[0]
	}
	return out
}
