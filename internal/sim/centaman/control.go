package centaman

import (
	"net/http"
	"strconv"
)

// ControlPath is where Control listens, beside the API.
const ControlPath = "/_sim/"

// Control returns the simulator's own control endpoints, which are not
// part of Centaman and stay up during an outage:
//
//	POST /_sim/outage?mode=drop|error|none  switch an outage on or off
//	POST /_sim/drop?op=OP&n=N               apply the next N requests of op
//	                                        (such as "TimedTicketTransaction POST")
//	                                        and drop their answers
//	GET  /_sim/health                       {"outage": mode}
func (s *Sim) Control() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+ControlPath+"outage", func(w http.ResponseWriter, r *http.Request) {
		mode := Outage(r.URL.Query().Get("mode"))
		if mode == "none" {
			mode = OutageNone
		}
		if mode != OutageNone && mode != OutageDrop && mode != OutageError {
			writeMessage(w, http.StatusBadRequest, "mode must be drop, error or none.")
			return
		}
		s.SetOutage(mode)
		writeJSON(w, http.StatusOK, map[string]string{"outage": string(mode)})
	})
	mux.HandleFunc("POST "+ControlPath+"drop", func(w http.ResponseWriter, r *http.Request) {
		op := r.URL.Query().Get("op")
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if op == "" || err != nil || n < 0 {
			writeMessage(w, http.StatusBadRequest, "op must name an operation such as \"TimedTicketTransaction POST\" and n a count.")
			return
		}
		s.DropAnswers(op, n)
		writeJSON(w, http.StatusOK, map[string]any{"op": op, "drop": n})
	})
	mux.HandleFunc("GET "+ControlPath+"health", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		mode := s.outage
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]string{"outage": string(mode)})
	})
	return mux
}

// Server returns the API and the control endpoints on one handler.
func (s *Sim) Server() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(ControlPath, s.Control())
	mux.Handle("/", s.Handler())
	return mux
}
