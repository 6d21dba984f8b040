package billing

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
	"github.com/bursar/bursar/internal/paylink"
	"github.com/bursar/bursar/internal/settings"
)

// The modules an enrollment reaches. Each interface is what billing needs of one module; the app passes the
// module's service (or the catalog cache's reader).

// Offers reads offers (internal/offer, through the catalog cache).
type Offers interface {
	Offer(ctx context.Context, id int64) (offer.Offer, error)
}

// Systems reads payment systems (internal/gateway, through the catalog cache).
type Systems interface {
	Get(ctx context.Context, id int64) (gateway.System, error)
}

// Contacts finds, makes and reads contacts and writes their timeline (internal/crm).
type Contacts interface {
	Contact(ctx context.Context, id int64) (crm.Contact, error)
	ContactsByID(ctx context.Context, ids []int64) (map[int64]crm.Contact, error)
	PayerTx(ctx context.Context, tx pgx.Tx, email string) (crm.Contact, bool, error)
	AddEventTx(ctx context.Context, tx db.DBTX, contactID int64, kind, message string) error
	// AddEventsTx is AddEventTx for many lines in one statement (the batch issue).
	AddEventsTx(ctx context.Context, tx db.DBTX, events []crm.Event) error
	// NameIfEmptyTx names a contact that has no name yet (a learner the payer named).
	NameIfEmptyTx(ctx context.Context, tx pgx.Tx, id int64, name string) (bool, error)
}

// Access grants, pauses and resumes the learner's access (internal/access).
type Access interface {
	GrantTx(ctx context.Context, tx pgx.Tx, n access.NewGrant) (access.Grant, bool, error)
	PauseTx(ctx context.Context, tx db.DBTX, ids []int64, reason string) error
	ResumeTx(ctx context.Context, tx db.DBTX, ids []int64) error
	// EndTx sets the grants' end (a cancelled enrollment: the end of the paid period).
	EndTx(ctx context.Context, tx db.DBTX, ids []int64, end time.Time) error
}

// Links makes and closes the receipts' payment links (internal/paylink), in billing's transaction.
type Links interface {
	CreateTx(ctx context.Context, tx pgx.Tx, in paylink.Input) (paylink.Link, error)
	// CreateManyTx makes many custom amounts' links at once, in the inputs' order (the batch issue).
	CreateManyTx(ctx context.Context, tx pgx.Tx, ins []paylink.Input) ([]paylink.Link, error)
	// CancelTx closes an active link in tx (locking the link's order first, as a paid notification does): a
	// receipt waived or cancelled. A link no longer active is paylink.ErrNotActive.
	CancelTx(ctx context.Context, tx pgx.Tx, id int64, comment string) (paylink.Link, error)
	Expire(ctx context.Context, id int64) (bool, error)
	Get(ctx context.Context, id int64) (paylink.Link, error)
	// URL is link id's page, computed without a read.
	URL(id int64) string
}

// Welcomer issues a learner without a password a single-use sign-in link (internal/account).
type Welcomer interface {
	WelcomeLinkTx(ctx context.Context, tx pgx.Tx, contactID, offerID int64) (string, error)
}

// School reads the school's settings: its time zone, and its details on the receipts (internal/settings).
type School interface {
	GetTx(ctx context.Context, tx db.DBTX) (settings.School, error)
}

// Mailer queues billing e-mails in the caller's transaction (internal/mailer).
type Mailer interface {
	BillingEmailTx(ctx context.Context, tx pgx.Tx, e Email) error
}

// Jobs enqueues River jobs inside a transaction (internal/jobs).
type Jobs interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Deps are the modules billing reaches.
type Deps struct {
	Offers   Offers
	Systems  Systems
	Contacts Contacts
	Access   Access
	Links    Links
	Welcome  Welcomer
	School   School
	Mailer   Mailer
	Jobs     Jobs
	// Events receives the receipt.* and enrollment.* events in the transaction that makes the change (events.go);
	// nil is events.Nop.
	Events events.Emitter
}

// Config is the service's settings.
type Config struct {
	// BaseURL is the public URL (the cabinet's address in e-mails).
	BaseURL string
	// IssueLead is how long before its due date a period's receipt is issued (DefaultIssueLead when 0; never more
	// than the period itself).
	IssueLead time.Duration
	// FirstPaymentWindow is how long a pending enrollment waits for its first receipt to be paid
	// (DefaultFirstPaymentWindow when 0).
	FirstPaymentWindow time.Duration
	// Now is the clock (time.Now when nil): schedules, due dates, grace, reminders and the jobs follow it.
	Now func() time.Time
}

// Defaults.
const (
	DefaultIssueLead          = 7 * 24 * time.Hour
	DefaultFirstPaymentWindow = 3 * 24 * time.Hour
)

// Service runs enrollments and receipts. Every use case below is the one entry point the admin screens, the API,
// the public enrollment form, the cabinet and the jobs call.
type Service struct {
	db    *pgxpool.Pool
	audit *audit.Log
	deps  Deps
	cfg   Config
	// issuing bounds the issuing transactions at once in this process: each holds a connection and reads through
	// the pool too (the link's checks), so at most half the pool's connections may be held by them.
	issuing chan struct{}
}

// NewService returns a Service on pool, or an error naming what is missing.
func NewService(pool *pgxpool.Pool, al *audit.Log, cfg Config, d Deps) (*Service, error) {
	switch {
	case pool == nil:
		return nil, errors.New("billing: a pool is required")
	case al == nil:
		return nil, errors.New("billing: an audit log is required")
	}
	for _, dep := range []struct {
		name string
		v    any
	}{{"Offers", d.Offers}, {"Systems", d.Systems}, {"Contacts", d.Contacts}, {"Access", d.Access},
		{"Links", d.Links}, {"Welcome", d.Welcome}, {"School", d.School}, {"Mailer", d.Mailer}, {"Jobs", d.Jobs}} {
		if dep.v == nil || (reflect.ValueOf(dep.v).Kind() == reflect.Pointer && reflect.ValueOf(dep.v).IsNil()) {
			return nil, fmt.Errorf("billing: Deps.%s is required", dep.name)
		}
	}
	d.Events = events.OrNop(d.Events)
	slots := max(1, min(issueWorkers, int(pool.Config().MaxConns)/2))
	return &Service{db: pool, audit: al, deps: d, cfg: cfg, issuing: make(chan struct{}, slots)}, nil
}
