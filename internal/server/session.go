package server

import (
	"net/http"
	"time"
)

const (
	// sessionLifetime is how long a session lasts at most, however active.
	sessionLifetime = 12 * time.Hour
	// sessionIdle ends a session not used for this long.
	sessionIdle = 2 * time.Hour
	// sessionTouchEvery is how often an active session's last use is written: the idle timeout is exact to this.
	sessionTouchEvery = 5 * time.Minute
	// sessionSeen holds the session's last use written (Unix seconds).
	sessionSeen = "seen"
)

// idleSessions ends sessions idle for longer than sessionIdle, and records a session's use at most once per
// sessionTouchEvery: scs's own IdleTimeout would write the session to PostgreSQL on every request, a write
// transaction for each page a signed-in person opens. A session that holds nothing is neither read nor written.
// It runs after scs's LoadAndSave.
func (s *Server) idleSessions(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		seen := s.sessions.GetInt64(ctx, sessionSeen)
		// A session without a recorded use is empty (nothing to keep) or from before idleSessions: record it.
		if seen != 0 || len(s.sessions.Keys(ctx)) > 0 {
			now := s.now()
			switch idle := now.Sub(time.Unix(seen, 0)); {
			case seen != 0 && idle > sessionIdle:
				// Idle too long: start over with an empty session on a new token (the old row is deleted).
				if err := s.sessions.Destroy(ctx); err != nil {
					s.serverError(w, r, err)
					return
				}
			case idle > sessionTouchEvery:
				s.sessions.Put(ctx, sessionSeen, now.Unix())
			}
		}
		next.ServeHTTP(w, r)
	})
}
