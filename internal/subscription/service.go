package subscription

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
)

// The modules a subscription reaches. Each interface is what this module needs of one module; the app passes the
// module's service (or the catalog cache's reader).

// Offers reads offers (internal/offer, through the catalog cache).
type Offers interface {
	Offer(ctx context.Context, id int64) (offer.Offer, error)
}

// Systems reads payment systems (internal/gateway, through the catalog cache).
type Systems interface {
	Get(ctx context.Context, id int64) (gateway.System, error)
}

// Gateways reaches the gateways' subscription side (gateway.Caller). No call is made inside a transaction: the
// intent is written first, the gateway called, its answer recorded; the gateway's own notification settles a
// crash in between.
type Gateways interface {
	BeginSubscription(ctx context.Context, sys gateway.System, c gateway.SubscriptionCheckout) (gateway.Redirect, error)
	ChangeSubscription(ctx context.Context, sys gateway.System, ch gateway.SubscriptionChange) (gateway.SubscriptionState, error)
	SubscriptionStatus(ctx context.Context, sys gateway.System, ref string) (gateway.SubscriptionState, error)
	ManageURL(ctx context.Context, sys gateway.System, ref gateway.SubscriptionRef, returnURL string) (string, error)
	// The saved-card side (gateway.SavedCards: Bursar owns the schedule): the first payment on the gateway's page
	// saving the card, a charge of the saved card, and asking about a charge whose answer was lost.
	BeginSaving(ctx context.Context, sys gateway.System, c gateway.CardCheckout) (gateway.Redirect, error)
	ChargeCard(ctx context.Context, sys gateway.System, c gateway.CardCharge) (gateway.Event, error)
	Status(ctx context.Context, sys gateway.System, ref string) (gateway.Event, error)
}

// Contacts reads contacts and writes their timeline (internal/crm).
type Contacts interface {
	Contact(ctx context.Context, id int64) (crm.Contact, error)
	ContactsByID(ctx context.Context, ids []int64) (map[int64]crm.Contact, error)
	AddEventTx(ctx context.Context, tx db.DBTX, contactID int64, kind, message string) error
	EmailTx(ctx context.Context, tx db.DBTX, id int64) (string, error)
}

// Access ends the access a subscription paid for (internal/access): a cancelled or ended subscription's grants end
// at its paid period's end.
type Access interface {
	EndTx(ctx context.Context, tx db.DBTX, ids []int64, end time.Time) error
	GetTx(ctx context.Context, tx db.DBTX, id int64) (access.Grant, error)
}

// Mailer queues the subscription e-mails in the caller's transaction (internal/mailer): past due with the
// gateway's update link; cancelled.
type Mailer interface {
	SubscriptionEmailTx(ctx context.Context, tx pgx.Tx, e Email) error
}

// Email kinds.
const (
	EmailPastDue   = "subscription_past_due"
	EmailCancelled = "subscription_cancelled"
)

// Email is a subscription e-mail to queue.
type Email struct {
	Kind           string
	To             string
	Language       string
	SubscriptionID int64
	Number         string
	OfferTitle     string
	Amount         string // formatted in Language
	UpdateURL      string // EmailPastDue: where to fix the card
	AccessUntil    *time.Time
	CabinetURL     string
	// Key is what makes the e-mail once besides its kind and subscription: the failed charge's reference of a past
	// due e-mail ("" for the cancelled one: once per subscription).
	Key string
}

// Jobs enqueues River jobs inside a transaction (internal/jobs).
type Jobs interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Deps are the modules a subscription reaches.
type Deps struct {
	Offers   Offers
	Systems  Systems
	Gateways Gateways
	Contacts Contacts
	Access   Access
	Mailer   Mailer
	Jobs     Jobs
	// Events receives the subscription.* events in the transaction that makes the change; nil is events.Nop.
	Events events.Emitter
}

// Config is the service's settings.
type Config struct {
	// BaseURL is the public URL: the webhook address given to the gateway (/webhooks/{id}), the cabinet's in e-mails.
	BaseURL string
	// PendingFor is how long a pending subscription waits for its gateway's confirmation before it is dropped
	// (DefaultPendingFor when 0).
	PendingFor time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// DefaultPendingFor is Config.PendingFor's default.
const DefaultPendingFor = 24 * time.Hour

// Service runs subscriptions. Every use case is the one entry point the public checkout, the cabinet, the admin,
// the API, the gateways' notifications (through order.Ingest) and the jobs call.
type Service struct {
	db    *pgxpool.Pool
	audit *audit.Log
	deps  Deps
	cfg   Config
}

var _ order.Subscriptions = (*Service)(nil)

// NewService returns a Service on pool, or an error naming what is missing.
func NewService(pool *pgxpool.Pool, al *audit.Log, cfg Config, d Deps) (*Service, error) {
	switch {
	case pool == nil:
		return nil, errors.New("subscription: a pool is required")
	case al == nil:
		return nil, errors.New("subscription: an audit log is required")
	}
	for _, dep := range []struct {
		name string
		v    any
	}{{"Offers", d.Offers}, {"Systems", d.Systems}, {"Gateways", d.Gateways}, {"Contacts", d.Contacts},
		{"Access", d.Access}, {"Mailer", d.Mailer}, {"Jobs", d.Jobs}} {
		if dep.v == nil || (reflect.ValueOf(dep.v).Kind() == reflect.Pointer && reflect.ValueOf(dep.v).IsNil()) {
			return nil, fmt.Errorf("subscription: Deps.%s is required", dep.name)
		}
	}
	d.Events = events.OrNop(d.Events)
	if cfg.PendingFor <= 0 {
		cfg.PendingFor = DefaultPendingFor
	}
	return &Service{db: pool, audit: al, deps: d, cfg: cfg}, nil
}

func (s *Service) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}
