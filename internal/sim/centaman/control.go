package centaman

import (
	"net/http"
)

// ControlPath is where Control listens, beside the API.
const ControlPath = "/_sim/"

// Control returns the simulator's own control endpoints, which are not
// part of Centaman and stay up during an outage:
//
//	POST /_sim/outage?mode=drop|error|none  switch an outage on or off
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
