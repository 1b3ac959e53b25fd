// Package s360api is a stand-in for S-360's public REST APIs, for tests
// and demos, built from S-360's public documentation and refusing to be
// kinder than it: a client that passes against it relies on nothing S-360
// does not promise. By default:
//
//   - only documented methods exist: contactInformationPublicService's
//     createCulturalContact, saveIndividualContactData, searchContact and
//     getContactData; externalOrderFacade.createOrUpdateOrder; and
//     externalOrderService's closeOrder and getExternalReference (the two
//     whose parameters usher assumes, see docs/upstreams.md). Anything
//     else answers 404, counted in Stats.NotFound;
//   - HS256 JWT bearer tokens checked like S-360 (subject = institution,
//     30 s life), 401 otherwise;
//   - the rate limit (180 calls a minute per instance by default), over
//     it HTTP 509 with no Retry-After, as documented;
//   - a business error is HTTP 200 whose statusCode is not "success";
//   - no idempotency header is honoured;
//   - faults on demand: down (503), failures, and writes applied whose
//     answer is lost (the connection dropped after the write), at random
//     (Config.LostRatio) or for the next n writes.
//
// Helpful behaviours S-360 does not document are switches, all off:
// HonourIdempotencyKey, SendRetryAfter, ReturnIdentifier.
//
// Over a Venue (Config.Venue: the push simulator's venue), the venue's
// own contacts are the API's too, as S-360 has one contact base:
// getContactData, searchContact, saveIndividualContactData and bookings
// know them, and what is written is pushed back by the venue.
//
// The simulator keeps everything in memory and counts what it saw, so a
// test can check that every change arrived exactly once.
package s360api

import (
	"encoding/json"
	"io"
	"maps"
	"math/rand/v2"
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
	// PerEndpoint applies RateLimit to each service on its own (the older
	// published rule, 60 a minute per endpoint) instead of to the instance.
	PerEndpoint bool
	// ThrottleStatus is 509 (default, S-360's current code) or 429 (the
	// code S-360 announced it will move to).
	ThrottleStatus int
	// LostRatio is the share of applied writes whose answer is lost: the
	// write happens, then the connection is closed unanswered.
	LostRatio float64
	// Seed makes the LostRatio draws reproducible.
	Seed uint64
	// HonourIdempotencyKey replays the first answer to a write repeated
	// with the same Idempotency-Key header. S-360 documents no such
	// header: off by default.
	HonourIdempotencyKey bool
	// SendRetryAfter adds a Retry-After header to throttled answers.
	// S-360 documents none: off by default.
	SendRetryAfter bool
	// ReturnIdentifier makes searchContact return the identifier a contact
	// was created with. Not documented: off by default.
	ReturnIdentifier bool
	// Venue, when set, receives every contact and closed order written
	// through the API, so the push simulator sharing it pushes them, and
	// lends the API its own contacts to read, search, change and book for.
	Venue Venue
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
	rng    *rand.Rand
	// requests counts every request received, whatever its fate.
	requests      int
	notFoundPaths []string
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
		cfg.ThrottleStatus = 509
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Sim{cfg: cfg, insts: map[string]*instance{}, nextID: 1, rng: rand.New(rand.NewPCG(cfg.Seed, 0x5360a91))}
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

// LoseNextAnswers makes the next n writes happen but their answers lost:
// the connection is closed unanswered after S-360 committed.
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

// routes are the documented methods; nothing else exists.
var routes = []route{
	{"tnco", "contactInformationPublicService", "createCulturalContact", true, (*Sim).createCulturalContact},
	{"tnco", "contactInformationPublicService", "saveIndividualContactData", true, (*Sim).saveContact},
	{"tnco", "contactInformationPublicService", "searchContact", false, (*Sim).searchContact},
	{"tnco", "contactInformationPublicService", "getContactData", false, (*Sim).getContactData},
	{"tnseb", "externalOrderFacade", "createOrUpdateOrder", true, (*Sim).createOrUpdateOrder},
	{"tnseb", "externalOrderService", "closeOrder", true, (*Sim).closeOrder},
	{"tnseb", "externalOrderService", "getExternalReference", false, (*Sim).getExternalReference},
}

// reply is an answer prepared under the simulator's lock and written
// after it is released.
type reply struct {
	status     int
	retryAfter string
	body       map[string]any
	// hold, when set, delays the answer of an applied write until closed.
	hold <-chan struct{}
	// lost closes the connection unanswered: the write was applied.
	lost bool
}

// ServeHTTP answers POST /<module>/backend-apis/<service>/<version>/<method>.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()
	rt, ok := findRoute(r.URL.Path)
	if r.Method != http.MethodPost || !ok {
		s.notFound(r.URL.Path)
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
	if rep.lost {
		dropConnection(w)
		return
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
	budget := ""
	if s.cfg.PerEndpoint {
		budget = rt.service
	}
	if wait, ok := inst.admit(budget, now, s.cfg.RateLimit, s.cfg.RateWindow); !ok {
		inst.stats.Throttled++
		rep := reply{status: s.cfg.ThrottleStatus, body: failure("too_many_requests", "API rate limit exceeded for this instance")}
		if s.cfg.SendRetryAfter {
			rep.retryAfter = strconv.Itoa(int((wait + time.Second - 1) / time.Second))
		}
		return rep
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
	key := ""
	if s.cfg.HonourIdempotencyKey {
		key = r.Header.Get("Idempotency-Key")
	}
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
	if status != http.StatusOK || !rt.write || out["statusCode"] != nil {
		return reply{status: status, body: out}
	}
	inst.stats.Applied++
	if key != "" {
		inst.replies[key] = maps.Clone(out)
		inst.stats.Keys[key]++
	}
	if s.faults.loseNext > 0 || (s.cfg.LostRatio > 0 && s.rng.Float64() < s.cfg.LostRatio) {
		s.faults.loseNext = max(s.faults.loseNext-1, 0)
		inst.stats.Lost++
		return reply{lost: true}
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

// notFound counts a call to a method S-360 does not have.
func (s *Sim) notFound(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notFoundPaths = append(s.notFoundPaths, path)
}

// NotFound returns the paths called that are no documented method.
func (s *Sim) NotFound() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.notFoundPaths...)
}

// Requests returns how many requests reached the simulator, whatever
// their fate: compared with the calls a client made, it shows whether
// anything was sent twice behind the client's back.
func (s *Sim) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// dropConnection closes the connection without an answer, as when the
// network fails after S-360 committed a write.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// business is a business error: HTTP 200, statusCode not success.
func business(code, detail string) (int, map[string]any) {
	return http.StatusOK, failure(code, detail)
}
