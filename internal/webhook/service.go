package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/secret"
	"github.com/bursar/bursar/internal/webhook/webhookq"
)

var _ events.Emitter = (*Service)(nil)

// Config is the service's settings.
type Config struct {
	// SecretKey seals the endpoints' secrets (config.Config.SecretKey, 32 bytes).
	SecretKey []byte
	// AllowPrivate lets endpoints use plain http and reach loopback, private, link-local and metadata addresses
	// (BURSAR_WEBHOOK_ALLOW_PRIVATE): tests and development only.
	AllowPrivate bool
	// Timeout bounds one try (DefaultTimeout when 0); tests shorten it.
	Timeout time.Duration
	// Now is the clock (time.Now when nil): events' times, retries, rotation overlaps and the 3-day limits follow
	// it, so tests move it instead of sleeping.
	Now func() time.Time
	// Refresh is how often the cache of subscribed types is re-read even without a notification (5 minutes when 0).
	Refresh time.Duration
	// Log receives the listener's and the deliveries' warnings (discarded when nil).
	Log *slog.Logger
}

// Owners reads the school owners' e-mail addresses in the caller's transaction (internal/staff).
type Owners interface {
	OwnerEmailsTx(ctx context.Context, tx db.DBTX) ([]string, error)
}

// Disabled is the e-mail to the owners about an endpoint Bursar disabled.
type Disabled struct {
	Endpoint Endpoint // as disabled, with its reason and FailingSince
	To       []string
	At       time.Time
}

// Mailer queues the owners' e-mail in the caller's transaction, in the school's language (internal/mailer).
type Mailer interface {
	WebhookDisabledTx(ctx context.Context, tx pgx.Tx, d Disabled) error
}

// Deps are the modules the webhooks reach.
type Deps struct {
	// Render renders an event's object as the API returns it, in the emitting transaction.
	Render events.Render
	Owners Owners
	Mailer Mailer
}

func (d Deps) validate() error {
	for _, dep := range []struct {
		name string
		v    any
	}{{"Render", d.Render}, {"Owners", d.Owners}, {"Mailer", d.Mailer}} {
		if dep.v == nil || (reflect.ValueOf(dep.v).Kind() == reflect.Pointer && reflect.ValueOf(dep.v).IsNil()) ||
			(reflect.ValueOf(dep.v).Kind() == reflect.Func && reflect.ValueOf(dep.v).IsNil()) {
			return fmt.Errorf("webhook: Deps.%s is required", dep.name)
		}
	}
	return nil
}

// Service is the use cases on endpoints and deliveries, the events.Emitter modules call, and (Worker) the delivery.
type Service struct {
	db    *pgxpool.Pool
	audit *audit.Log
	box   *secret.Box
	deps  Deps
	cfg   Config
	now   func() time.Time
	subs  *subscriptions
	// listening is whether Run's listener is connected (refresh only refreshes a live cache).
	listenMu  sync.Mutex
	listening bool
	client    *http.Client
	log       *slog.Logger
}

// NewService returns the webhooks on pool, or an error naming what is missing. Run keeps its cache of subscribed
// types fresh; without it, EmitTx reads the subscriptions in the caller's transaction each time.
func NewService(pool *pgxpool.Pool, al *audit.Log, cfg Config, d Deps) (*Service, error) {
	switch {
	case pool == nil:
		return nil, errors.New("webhook: a pool is required")
	case al == nil:
		return nil, errors.New("webhook: an audit log is required")
	}
	if err := d.validate(); err != nil {
		return nil, err
	}
	box, err := secret.New(cfg.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = 5 * time.Minute
	}
	s := &Service{db: pool, audit: al, box: box, deps: d, cfg: cfg, now: cfg.Now, subs: newSubscriptions(), log: cfg.Log}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.client = newClient(cfg.Timeout, cfg.AllowPrivate)
	return s, nil
}

// clock is the current time, to the microsecond PostgreSQL keeps.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// endpoint is a row as an Endpoint.
func endpoint(r webhookq.WebhookEndpoint) Endpoint {
	e := Endpoint{ID: r.ID, URL: r.Url, Description: r.Description, Enabled: r.Enabled, DisabledReason: r.DisabledReason,
		SecretPrefix: r.SecretPrefix, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Types: make([]events.Type, 0, len(r.Types))}
	for _, t := range r.Types {
		e.Types = append(e.Types, events.Type(t))
	}
	if r.FailingSince != nil {
		e.FailingSince = *r.FailingSince
	}
	if r.PreviousUntil != nil {
		e.PreviousSecretUntil = *r.PreviousUntil
	}
	return e
}

// notFound maps pgx.ErrNoRows to ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
