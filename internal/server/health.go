package server

import (
	"context"
	"time"

	"github.com/bursar/bursar/internal/db"
	"net/http"
)

// healthz says the process is up.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says the database answers and the schema is current.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	reason := ""
	if err := s.pool.Ping(ctx); err != nil {
		s.log.Warn("not ready: database", "err", err)
		reason = "database unreachable"
	} else if err := db.SchemaCurrent(ctx, s.pool); err != nil {
		s.log.Warn("not ready: schema", "err", err)
		reason = "schema not current: run bursar migrate up"
	}
	if reason != "" {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": reason})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
