// Package s360api is a stand-in for S-360's public REST APIs, for tests
// and demos: the Contact API (getContactData, searchContacts,
// saveIndividualContactData) and the orders API (createOrder), with the
// behaviour a client has to cope with:
//
//   - HS256 JWT bearer tokens checked like S-360 (subject = institution,
//     30 s life), 401 otherwise;
//   - the per-instance rate limit (180 calls a minute by default, any
//     window length for tests), answered 429 (or 509) with Retry-After,
//     counted over a sliding window so that bursts are caught;
//   - S-360's answer format: requestId, statusCode, statusDetail;
//   - Idempotency-Key honoured: a replayed write answers what the first
//     did and changes nothing;
//   - faults on demand: down (503), failures, and writes applied whose
//     answer is lost (500 after the change), to prove retries are safe;
//   - S-360's contact webhook: changed contacts pushed, in payloads of up
//     to 50, to an institution's push URL (usher's ingest).
//
// The simulator keeps everything in memory and counts what it saw, so a
// test can check that every change arrived exactly once.
package s360api

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Institution is one simulated S-360 instance.
type Institution struct {
	Code string
	// Secret is the operator password that signs API tokens.
	Secret string
	// PushURL receives the contact webhook's payloads; empty disables it.
	PushURL string
	// PushHeader and PushKey authenticate pushes (S-360's API_KEY mode);
	// empty means no authentication.
	PushHeader string
	PushKey    string
}

// Config configures a simulator.
type Config struct {
	Institutions []Institution
	// RateLimit calls are allowed per RateWindow per institution. Default
	// 180 a minute, S-360's documented budget.
	RateLimit  int
	RateWindow time.Duration
	// ThrottleStatus is 429 (default) or 509, the status S-360 used first.
	ThrottleStatus int
	// Now is the simulator's clock. Default time.Now.
	Now func() time.Time
}

// maxBody bounds a request body; S-360 calls are small.
const maxBody = 1 << 20

// Sim is the simulated S-360 API. It is an http.Handler.
type Sim struct {
	cfg    Config
	mu     sync.Mutex
	insts  map[string]*instance
	faults faults
	nextID int64
}

// New returns a simulator for cfg.
func New(cfg Config) *Sim {
	if cfg.RateLimit <= 0 {
		cfg.RateLimit = 180
	}
	if cfg.RateWindow <= 0 {
		cfg.RateWindow = time.Minute
	}
	if cfg.ThrottleStatus == 0 {
		cfg.ThrottleStatus = http.StatusTooManyRequests
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Sim{cfg: cfg, insts: map[string]*instance{}, nextID: 1}
	for _, inst := range cfg.Institutions {
		s.insts[inst.Code] = newInstance(inst)
	}
	return s
}

// faults are the failures the simulator was asked to produce.
type faults struct {
	down bool
	// failNext answers the next calls with failStatus without doing anything.
	failNext   int
	failStatus int
	// loseNext applies the next writes but answers 500: the answer is lost.
	loseNext int
	// hold, when set, delays the answers of applied writes until closed.
	hold chan struct{}
}

// SetDown makes every call fail with 503 (true) or work again (false).
func (s *Sim) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.down = down
}

// FailNext makes the next n calls fail with status, changing nothing.
func (s *Sim) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failNext, s.faults.failStatus = n, status
}

// LoseNextAnswers makes the next n writes happen but answer 500, as when
// the connection drops after S-360 committed: only an idempotency key
// keeps the client's retry from writing twice.
func (s *Sim) LoseNextAnswers(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.loseNext = n
}

// route is one REST-RPC method the simulator serves.
type route struct {
	module, service, method string
	write                   bool
	handle                  func(s *Sim, inst *instance, body []byte) (int, map[string]any)
}

var routes = []route{
	{"tnco", "contactInformationPublicService", "getContactData", false, (*Sim).getContactData},
	{"tnco", "contactInformationPublicService", "searchContacts", false, (*Sim).searchContacts},
	{"tnco", "contactInformationPublicService", "saveIndividualContactData", true, (*Sim).saveContact},
	{"tnseb", "externalOrderService", "createOrder", true, (*Sim).createOrder},
}

// reply is an answer prepared under the simulator's lock and written
// after it is released.
type reply struct {
	status     int
	retryAfter string
	body       map[string]any
	// hold, when set, delays the answer of an applied write until closed.
	hold <-chan struct{}
}

// ServeHTTP answers POST /<module>/backend-apis/<service>/<version>/<method>.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok := findRoute(r.URL.Path)
	if r.Method != http.MethodPost || !ok {
		s.write(w, reply{status: http.StatusNotFound, body: failure("not_found", "no such method: use POST /<module>/backend-apis/<service>/<version>/<method>")})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.write(w, reply{status: http.StatusRequestEntityTooLarge, body: failure("invalid_request", "body too large or unreadable")})
		return
	}
	rep := s.serve(r, rt, body)
	if rep.hold != nil {
		select {
		case <-rep.hold:
		case <-r.Context().Done():
		}
	}
	s.write(w, rep)
}

func (s *Sim) serve(r *http.Request, rt route, body []byte) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	inst, err := s.authenticate(r.Header.Get("Authorization"), now)
	if err != nil {
		return reply{status: http.StatusUnauthorized, body: failure("unauthorized", err.Error())}
	}
	if s.faults.down {
		inst.stats.Refused++
		return reply{status: http.StatusServiceUnavailable, body: failure("unavailable", "S-360 is down for maintenance")}
	}
	if wait, ok := inst.admit(now, s.cfg.RateLimit, s.cfg.RateWindow); !ok {
		inst.stats.Throttled++
		return reply{status: s.cfg.ThrottleStatus, retryAfter: strconv.Itoa(int((wait + time.Second - 1) / time.Second)),
			body: failure("too_many_requests", "API rate limit exceeded for this instance")}
	}
	inst.stats.count(rt.method, now)
	if s.faults.failNext > 0 {
		s.faults.failNext--
		inst.stats.Refused++
		return reply{status: s.faults.failStatus, body: failure("internal_error", "simulated failure")}
	}
	return s.serveMethod(r, inst, rt, body)
}

func (s *Sim) serveMethod(r *http.Request, inst *instance, rt route, body []byte) reply {
	key := r.Header.Get("Idempotency-Key")
	if rt.write && key != "" {
		if prev, ok := inst.replies[key]; ok {
			inst.stats.Replays++
			return reply{status: http.StatusOK, body: maps.Clone(prev)}
		}
	}
	if !json.Valid(body) {
		return reply{status: http.StatusBadRequest, body: failure("invalid_request", "body is not JSON")}
	}
	status, out := rt.handle(s, inst, body)
	if status != http.StatusOK || !rt.write {
		return reply{status: status, body: out}
	}
	inst.stats.Applied++
	if key != "" {
		inst.replies[key] = maps.Clone(out)
		inst.stats.Keys[key]++
	}
	if s.faults.loseNext > 0 {
		s.faults.loseNext--
		return reply{status: http.StatusInternalServerError, body: failure("internal_error", "simulated lost answer")}
	}
	return reply{status: status, body: out, hold: s.faults.hold}
}

// HoldAnswers makes writes happen but their answers wait until release is
// called, as when S-360 committed and the client dies before hearing it.
func (s *Sim) HoldAnswers() (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gate := make(chan struct{})
	s.faults.hold = gate
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.faults.hold = nil
			s.mu.Unlock()
			close(gate)
		})
	}
}

func findRoute(path string) (route, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) != 5 || parts[1] != "backend-apis" || !strings.HasPrefix(parts[3], "v") {
		return route{}, false
	}
	for _, rt := range routes {
		if rt.module == parts[0] && rt.service == parts[2] && rt.method == parts[4] {
			return rt, true
		}
	}
	return route{}, false
}

// write sends rep with S-360's status fields and a request id.
func (s *Sim) write(w http.ResponseWriter, rep reply) {
	s.mu.Lock()
	rep.body["requestId"] = s.nextID
	s.nextID++
	s.mu.Unlock()
	if _, ok := rep.body["statusCode"]; !ok {
		rep.body["statusCode"] = "success"
		rep.body["statusDetail"] = ""
	}
	if rep.retryAfter != "" {
		w.Header().Set("Retry-After", rep.retryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	_ = json.NewEncoder(w).Encode(rep.body)
}

func failure(code, detail string) map[string]any {
	return map[string]any{"statusCode": code, "statusDetail": detail}
}
