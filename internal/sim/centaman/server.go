package centaman

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// BasePath is where the simulator serves the API, as a hosted Centaman
// does (https://host/CENTAMAN.API/…).
const BasePath = "/CENTAMAN.API"

// maxBody bounds a request body; the simulator is reachable on loopback
// only, but a bound keeps a broken client from exhausting memory.
const maxBody = 1 << 20

// Outage is how the simulator misbehaves on demand.
type Outage string

// The outage modes.
const (
	// OutageNone answers normally.
	OutageNone Outage = ""
	// OutageDrop closes every connection without an answer, like a host
	// that went away.
	OutageDrop Outage = "drop"
	// OutageError answers 503 with an HTML page, like IIS in front of a
	// stopped application pool.
	OutageError Outage = "error"
)

// SetOutage switches an outage on (or off with OutageNone).
func (s *Sim) SetOutage(o Outage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outage = o
}

// Stall makes answers of operation op (such as "TimedTicketTransaction
// POST") wait, after their change is committed, until release is called:
// the client sees a timeout although the change happened.
func (s *Sim) Stall(op string) (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.stalls[op] = ch
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.stalls[op] == ch {
			delete(s.stalls, op)
			close(ch)
		}
	}
}

// Handler returns the simulator's HTTP API.
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	route := func(method, path string, h http.HandlerFunc) {
		op := path[strings.LastIndex(path, "/")+1:] + " " + method
		if strings.HasSuffix(path, "}") {
			parts := strings.Split(path, "/")
			op = parts[len(parts)-2] + " " + method
		}
		mux.Handle(method+" "+BasePath+"/"+path, s.authenticated(op, h))
	}
	mux.HandleFunc("GET "+BasePath+"/member_services/Diagnostics", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"Status": "OK", "Time": s.now().Format(time.RFC3339)})
	})
	route("GET", "ticket_services/TimedTicket", s.getTimedTicket)
	route("POST", "ticket_services/TimedTicket", s.createContact)
	route("GET", "ticket_services/TimedTicketType", s.getTimedTicketType)
	route("POST", "ticket_services/TimedTicketType", s.holdOrRelease)
	route("POST", "ticket_services/TimedTicketTransaction", s.createTransaction)
	route("GET", "ticket_services/TimedTicketExtra", s.getExtras)
	route("GET", "ticket_services/Ticket", s.getGeneralTickets)
	route("POST", "ticket_services/Ticket", s.sellGeneral)
	route("POST", "member_services/Authentication", s.authenticate)
	route("GET", "member_services/Member", s.membersByEmail)
	route("GET", "member_services/Member/{code}", s.getMember)
	route("POST", "member_services/Member", s.createMembers)
	route("GET", "member_services/MembershipType", s.listMembershipTypes)
	route("POST", "member_services/Membership", s.createMemberships)
	route("PUT", "member_services/Membership/{linkfield}", s.updateMembership)
	if s.opts.UndocumentedLookups {
		route("GET", "ticket_services/TimedTicketTransaction", s.findTransactions)
	}
	mux.HandleFunc("/", s.notDocumented)
	return s.faults(mux)
}

// notDocumented answers what Centaman does not document as ASP.NET
// answers an unknown route, and counts it: usher must never depend on it.
func (s *Sim) notDocumented(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.undocumented = append(s.undocumented, r.Method+" "+r.URL.Path)
	s.mu.Unlock()
	writeMessage(w, http.StatusNotFound, "No HTTP resource was found that matches the request URI '"+r.URL.Path+"'.")
}

// DropAnswers makes the next n requests of operation op (such as
// "TimedTicketTransaction POST") apply their change and then close the
// connection without an answer: the client cannot tell whether the change
// happened, as after a network failure.
func (s *Sim) DropAnswers(op string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drops[op] = n
}

// answer writes a change's answer, after any stall, or drops it when a
// DropAnswers fault is armed for the operation.
func (s *Sim) answer(w http.ResponseWriter, r *http.Request, status int, v any) {
	s.waitIfStalled(r)
	op, _ := r.Context().Value(opKey{}).(string)
	s.mu.Lock()
	drop := s.drops[op] > 0
	if drop {
		s.drops[op]--
	}
	s.mu.Unlock()
	if drop {
		dropConnection(w)
		return
	}
	writeJSON(w, status, v)
}

// faults applies outages and latency before anything else.
func (s *Sim) faults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		outage := s.outage
		s.mu.Unlock()
		switch outage {
		case OutageDrop:
			dropConnection(w)
			return
		case OutageError:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "<html><body><h1>Service Unavailable</h1></body></html>")
			return
		}
		if s.opts.Latency > 0 {
			t := time.NewTimer(s.opts.Latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

// authenticated checks Basic credentials in constant time, counts the
// call and bounds the body.
func (s *Sim) authenticated(op string, h http.HandlerFunc) http.Handler {
	wantUser := sha256.Sum256([]byte(s.opts.Username))
	wantPass := sha256.Sum256([]byte(s.opts.Password))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		gotUser, gotPass := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
		userOK := subtle.ConstantTimeCompare(gotUser[:], wantUser[:]) == 1
		passOK := subtle.ConstantTimeCompare(gotPass[:], wantPass[:]) == 1
		if !ok || !userOK || !passOK {
			writeMessage(w, http.StatusUnauthorized, "Authorization has been denied for this request.")
			return
		}
		s.mu.Lock()
		s.calls[op]++
		s.mu.Unlock()
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		h(w, r.WithContext(context.WithValue(r.Context(), opKey{}, op)))
	})
}

type opKey struct{}

// waitIfStalled blocks an answer of a stalled operation until it is
// released or the client gives up.
func (s *Sim) waitIfStalled(r *http.Request) {
	op, _ := r.Context().Value(opKey{}).(string)
	s.mu.Lock()
	ch := s.stalls[op]
	s.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case <-ch:
	case <-r.Context().Done():
	}
}

// decodeBody reads a JSON body into v, answering 400 like ASP.NET when it
// cannot.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeMessage(w, http.StatusRequestEntityTooLarge, "The request is too large.")
			return false
		}
		writeMessage(w, http.StatusBadRequest, "The request is invalid.")
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeMessage answers in ASP.NET Web API's error form.
func writeMessage(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"Message": msg})
}
