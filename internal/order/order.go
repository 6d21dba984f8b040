// Package order is orders (one purchase of one offer by one contact), their payments and refunds, and the state
// machine every payment system shares: open → completed | rejected | expired | cancelled, completed → refunded.
package order

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
)

// Status is an order's state.
type Status string

// Order statuses.
const (
	StatusOpen      Status = "open"
	StatusCompleted Status = "completed"
	StatusRejected  Status = "rejected"
	StatusExpired   Status = "expired"
	StatusCancelled Status = "cancelled"
	StatusRefunded  Status = "refunded"
)

// Order is one purchase of one offer by one contact.
type Order struct {
	ID              int64
	Number          string // human-readable, e.g. "B-000123"
	Status          Status
	OfferID         int64
	OfferTitle      string
	ContactID       int64
	PaymentSystemID int64
	Price           money.Money // what the payer owes, possibly in the payment system's fallback currency
	ListPrice       money.Money // the offer's price when ordered
	Language        string      // the offer's page language, for e-mails
	Channel         string      // checkout, admin, api
	CreatedAt       time.Time
	DeadlineAt      *time.Time // manual orders: rejected automatically after this
	DecidedAt       *time.Time
	DecisionNote    string
	Payments        []Payment
}

// Payment is one attempt to pay an order through one payment system.
type Payment struct {
	ID              int64
	OrderID         int64
	PaymentSystemID int64
	Status          string // pending, processing, succeeded, failed, refunded, partially_refunded
	Amount          money.Money
	Fee             int64 // minor units of Amount.Currency
	Net             int64
	PaidOn          time.Time // the date the payer says they paid (manual) or the gateway's
	Comment         string
	GatewayRef      string
	PayerEmail      string
	CreatedAt       time.Time
}

// NewManual is an order paid through the manual merchant: by the student at checkout, or entered by a manager.
type NewManual struct {
	OfferID         int64
	ContactID       int64
	PaymentSystemID int64
	PaidOn          time.Time // not in the future; zero means today
	Comment         string
	Channel         string // checkout, admin, api
}

// EmailKind names an order e-mail.
type EmailKind string

// Order e-mails.
const (
	EmailReceived  EmailKind = "received"
	EmailCompleted EmailKind = "completed"
	EmailRejected  EmailKind = "rejected"
	EmailRefunded  EmailKind = "refunded"
)

// Email is an order e-mail to its contact; the mailer renders it in Order.Language and deduplicates it by
// order id and kind.
type Email struct {
	Kind    EmailKind
	Order   Order
	To      string
	Comment string // the manager's comment on a decision, if any
}

// Mailer sends order e-mails inside the caller's transaction (internal/mailer implements it).
type Mailer interface {
	OrderEmailTx(ctx context.Context, tx pgx.Tx, e Email) error
}

// Rates converts a price into another currency with the school's exchange rates (internal/fx implements it).
type Rates interface {
	ConvertTx(ctx context.Context, tx db.DBTX, m money.Money, to string) (money.Money, error)
}

// Offers reads offers (internal/offer).
type Offers interface {
	Offer(ctx context.Context, id int64) (offer.Offer, error)
}

// Systems reads payment systems (internal/gateway).
type Systems interface {
	Get(ctx context.Context, id int64) (gateway.System, error)
}

// Access grants and revokes products (internal/access).
type Access interface {
	GrantTx(ctx context.Context, tx db.DBTX, n access.NewGrant) (access.Grant, bool, error)
	RevokeTx(ctx context.Context, tx db.DBTX, id int64, reason string) (access.Grant, error)
}

// Timeline writes the contact's internal timeline (internal/crm).
type Timeline interface {
	AddEventTx(ctx context.Context, tx db.DBTX, contactID int64, kind, message string) error
	EmailTx(ctx context.Context, tx db.DBTX, id int64) (string, error)
}

// Jobs enqueues River jobs inside a transaction (internal/jobs).
type Jobs interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Deps are the modules an order's effects reach, each inside the order's transaction.
type Deps struct {
	Offers   Offers
	Systems  Systems
	Access   Access
	Timeline Timeline
	Rates    Rates
	Mailer   Mailer
	Jobs     Jobs
}

// Service runs orders.
type Service struct {
	db    *pgxpool.Pool
	audit *audit.Log
	deps  Deps
}

// NewService returns a Service on pool.
func NewService(pool *pgxpool.Pool, al *audit.Log, d Deps) *Service {
	return &Service{db: pool, audit: al, deps: d}
}

var errTODO = errors.New("order: not implemented yet")

// CreateManual opens an order paid through a manual payment system. A contact's second attempt at the same offer
// while an order is open returns that open order instead of a second one.
func (s *Service) CreateManual(ctx context.Context, n NewManual) (Order, error) { return Order{}, errTODO }

// Get returns order id with its payments.
func (s *Service) Get(ctx context.Context, id int64) (Order, error) { return Order{}, errTODO }

// ForContact lists a contact's orders, newest first.
func (s *Service) ForContact(ctx context.Context, contactID int64) ([]Order, error) { return nil, errTODO }
