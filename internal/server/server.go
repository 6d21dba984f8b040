// Package server is every HTTP route of Bursar: public pages, the admin screens, the JSON API and webhooks. It is the
// one place that turns domain errors into responses.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/catalogcache"
	"github.com/bursar/bursar/internal/config"
	"github.com/bursar/bursar/internal/idempotency"
	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/internal/staff"
)

// Deps are what the server needs; New builds the domain services from them.
type Deps struct {
	Config config.Config
	Log    *slog.Logger
	Pool   *pgxpool.Pool
	// SessionCleanup is how often expired sessions are deleted; 0 disables the sweeper (tests).
	SessionCleanup time.Duration
	// Jobs enqueues durable jobs in the caller's transaction; nil means an insert-only River client (the jobs are
	// then worked by whichever process runs the workers).
	Jobs notify.Inserter
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
	stop     context.CancelFunc
	done     chan struct{}
	services
}

// New wires the services.
func New(d Deps) (*Server, error) {
	sm := scs.New()
	sm.Store = pgxstore.NewWithCleanupInterval(d.Pool, d.SessionCleanup)
	sm.Lifetime = 12 * time.Hour
	sm.IdleTimeout = 2 * time.Hour
	sm.Cookie.Name = "bursar_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = d.Config.SecureCookies()
	al := audit.New(d.Pool)
	s := &Server{
		cfg:      d.Config,
		log:      d.Log,
		pool:     d.Pool,
		sessions: sm,
		audit:    al,
		staff:    staff.NewService(d.Pool, al),
		idem:     idempotency.New(d.Pool),
		pages:    catalogcache.New(),
	}
	svc, err := newServices(d, al, s.pages)
	if err != nil {
		return nil, err
	}
	s.services = *svc
	return s, nil
}

// Start runs the server's background work until Close: the listener that keeps cached public pages fresh.
func (s *Server) Start(ctx context.Context) {
	ctx, s.stop = context.WithCancel(context.WithoutCancel(ctx))
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		s.pages.Run(ctx, s.pool, s.log)
	}()
}

// Close stops what Start started and waits for it.
func (s *Server) Close() {
	if s.stop != nil {
		s.stop()
		<-s.done
	}
}
