// Package server is every HTTP route of Bursar: public pages, the admin screens, the JSON API and webhooks. It is the
// one place that turns domain errors into responses.
package server

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/app"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/catalogcache"
	"github.com/bursar/bursar/internal/config"
	"github.com/bursar/bursar/internal/idempotency"
	"github.com/bursar/bursar/internal/staff"
)

// Deps are what the server needs: the domain services come built (app.New).
type Deps struct {
	Config config.Config
	Log    *slog.Logger
	Pool   *pgxpool.Pool
	// SessionCleanup is how often expired sessions are deleted; 0 disables the sweeper (tests).
	SessionCleanup time.Duration
	// Services are the built domain services the handlers call.
	Services app.Services
	// Now is the clock of sessions' idle timeout; nil is time.Now.
	Now func() time.Time
}

// Server holds the domain services and the session manager.
type Server struct {
	cfg      config.Config
	log      *slog.Logger
	pool     *pgxpool.Pool
	sessions *scs.SessionManager
	audit    *audit.Log
	staff    *staff.Service
	idem     *idempotency.Store
	pages    *catalogcache.Cache
	now      func() time.Time
	services
}

// New routes to the built services; it builds none.
func New(d Deps) (*Server, error) {
	if d.Services.Orders == nil || d.Services.Catalog == nil {
		return nil, errors.New("server: Deps.Services are not built (app.New)")
	}
	sm := scs.New()
	sm.Store = pgxstore.NewWithCleanupInterval(d.Pool, d.SessionCleanup)
	sm.Lifetime = sessionLifetime
	// No scs IdleTimeout: with one, scs writes the session on every request. idleSessions enforces it instead,
	// writing a session at most once per sessionTouchEvery.
	sm.Cookie.Name = "bursar_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = d.Config.SecureCookies()
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Server{
		cfg:      d.Config,
		log:      d.Log,
		pool:     d.Pool,
		sessions: sm,
		audit:    d.Services.Audit,
		staff:    d.Services.Staff,
		idem:     d.Services.Idempotency,
		pages:    d.Services.Catalog,
		now:      d.Now,
		services: newServices(d.Services),
	}, nil
}
