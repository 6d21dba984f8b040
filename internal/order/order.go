// Package order is orders (one purchase of one offer by one contact), their payments and refunds, and the state
// machine every payment system shares: open → completed | rejected | expired | cancelled, completed → refunded.
package order

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
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/settings"
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
	DecidedBy       string // who decided (or refunded) last, as the actor was labelled then
	DecisionNote    string
	UpdatedAt       time.Time
	Payments        []Payment
}

// Payment is one attempt to pay an order through one payment system.
type Payment struct {
	ID              int64
	OrderID         int64
	PaymentSystemID int64
	Mode            string // the payment system's mode (test or live) when the payment was made
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
	Channel         string // checkout, admin, api, link
	Claim           Claim  // optional
}

// EmailKind names an order e-mail.
type EmailKind string

// Order e-mails.
const (
	EmailReceived  EmailKind = "received"
	EmailCompleted EmailKind = "completed"
	EmailRejected  EmailKind = "rejected"
	EmailRefunded  EmailKind = "refunded"
	// EmailWelcome is the completed e-mail of an order paid without signing in: it carries a single-use sign-in
	// link (Email.SignInURL) instead of the plain cabinet link.
	EmailWelcome EmailKind = "welcome"
)

// Email is an order e-mail to its contact; the mailer renders it in Order.Language and deduplicates it by
// order id and kind.
type Email struct {
	Kind    EmailKind
	Order   Order
	To      string
	Comment string // the manager's comment on a decision, if any
	// SignInURL is the single-use sign-in link of EmailWelcome.
	SignInURL string
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
	// GrantBatchTx adds access.granted to evs, which completeTx emits with the order's events.
	GrantBatchTx(ctx context.Context, tx db.DBTX, n access.NewGrant, evs *events.Batch) (access.Grant, bool, error)
	RevokeTx(ctx context.Context, tx pgx.Tx, id int64, reason string) (access.Grant, error)
}

// Timeline writes the contact's internal timeline (internal/crm).
type Timeline interface {
	AddEventTx(ctx context.Context, tx db.DBTX, contactID int64, kind, message string) error
	// AddEventEmailTx is AddEventTx returning the contact's e-mail (one statement for a line and the address).
	AddEventEmailTx(ctx context.Context, tx db.DBTX, contactID int64, kind, message string) (string, error)
	EmailTx(ctx context.Context, tx db.DBTX, id int64) (string, error)
}

// Payers finds or makes the contact of a payment made without signing in (internal/crm).
type Payers interface {
	PayerTx(ctx context.Context, tx pgx.Tx, email string) (crm.Contact, bool, error)
	PlaceholderTx(ctx context.Context, tx pgx.Tx, domain, note string) (crm.Contact, error)
}

// Welcomer issues the single-use sign-in link e-mailed after paying without signing in (internal/account): the
// first use asks a new contact for a password and the registration fields of offerID.
type Welcomer interface {
	WelcomeLinkTx(ctx context.Context, tx pgx.Tx, contactID, offerID int64) (string, error)
}

// School reads the school's settings inside a transaction (internal/settings): the placeholder e-mail domain.
type School interface {
	GetTx(ctx context.Context, tx db.DBTX) (settings.School, error)
}

// Completions is told of every order that completes, inside the completing transaction (completeTx), after the
// order's own effects: internal/paylink marks the link that opened the order paid, and voids the contact's other
// active links for the same offer (paid another way). An error rolls the completion back.
type Completions interface {
	OrderCompletedTx(ctx context.Context, tx pgx.Tx, o Order) error
}

// Jobs enqueues River jobs inside a transaction (internal/jobs).
type Jobs interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Deps are the modules an order's effects reach, each inside the order's transaction. Offers and Systems are read
// before a transaction, by every path; the app gives the catalog cache's readers (catalogcache.Offers, .Systems),
// cleared in every process when a change commits, so a checkout or a notification reads no catalog row.
type Deps struct {
	Offers   Offers
	Systems  Systems
	Access   Access
	Timeline Timeline
	Rates    Rates
	Mailer   Mailer
	Jobs     Jobs
	// Payers, Welcome and School serve orders paid without signing in; without them such orders cannot complete.
	Payers  Payers
	Welcome Welcomer
	School  School
	// Gateways reaches the payment systems' gateways: it starts payments (StartGateway), verifies notifications
	// (TakeNotification), makes refunds (RefundOrder, RefundException, SettleRefunds) and asks what became of a
	// payment (Recheck). The app gives gateway.Caller: the providers with the systems' opened credentials.
	Gateways Gateways
	// Completions follows completed orders (payment links).
	Completions Completions
	// Subscriptions applies subscription notifications (internal/subscription); nil opens an unknown_subscription
	// exception for each.
	Subscriptions Subscriptions
	// Events receives the order's events (order.*, payment.*, refund.created) in the transaction that makes the
	// change; nil is events.Nop.
	Events events.Emitter
}

// validate names the first dependency d lacks: every one is required, so that a service
// wired without (say) a mailer fails at start instead of silently sending nothing.
func (d Deps) validate() error {
	for _, dep := range []struct {
		name string
		v    any
	}{{"Offers", d.Offers}, {"Systems", d.Systems}, {"Access", d.Access}, {"Timeline", d.Timeline},
		{"Rates", d.Rates}, {"Mailer", d.Mailer}, {"Jobs", d.Jobs}, {"Payers", d.Payers}, {"Welcome", d.Welcome},
		{"School", d.School}, {"Gateways", d.Gateways}, {"Completions", d.Completions}} {
		if isNil(dep.v) {
			return fmt.Errorf("order: Deps.%s is required", dep.name)
		}
	}
	return nil
}

// isNil reports whether v is nil or an interface holding a nil pointer.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// Service runs orders.
type Service struct {
	db    *pgxpool.Pool
	audit *audit.Log
	deps  Deps
}

// NewService returns a Service on pool, or an error naming the first dependency missing from d (pool and al
// included).
func NewService(pool *pgxpool.Pool, al *audit.Log, d Deps) (*Service, error) {
	switch {
	case pool == nil:
		return nil, errors.New("order: a pool is required")
	case al == nil:
		return nil, errors.New("order: an audit log is required")
	}
	if err := d.validate(); err != nil {
		return nil, err
	}
	d.Events = events.OrNop(d.Events)
	return &Service{db: pool, audit: al, deps: d}, nil
}

// Statuses lists every order status, in the order filters show them.
var Statuses = []Status{StatusOpen, StatusCompleted, StatusRejected, StatusExpired, StatusCancelled, StatusRefunded}

// Payment statuses.
const (
	PaymentPending           = "pending"
	PaymentProcessing        = "processing"
	PaymentSucceeded         = "succeeded"
	PaymentFailed            = "failed"
	PaymentRefunded          = "refunded"
	PaymentPartiallyRefunded = "partially_refunded"
)

// PaymentStatuses lists every payment status.
var PaymentStatuses = []string{PaymentPending, PaymentProcessing, PaymentSucceeded, PaymentFailed, PaymentRefunded,
	PaymentPartiallyRefunded}

// Channels an order comes from.
const (
	ChannelCheckout = "checkout"
	ChannelAdmin    = "admin"
	ChannelAPI      = "api"
	// ChannelLink is an order opened by paying a payment link (internal/paylink): the link's contact pays the
	// link's offer, which must be on sale as at checkout.
	ChannelLink = "link"
)

// sellsPublished reports whether orders from channel need a published offer: the payer's own channels do, while a
// manager (admin, API) may book money taken for an offer in any status.
func sellsPublished(channel string) bool { return channel == ChannelCheckout || channel == ChannelLink }

// Claim runs last in the transaction that opens (or reuses) an order for NewGateway and NewManual, with the order:
// the caller ties it to what started it (internal/paylink marks the link's order; the checkout claims its form's
// double-submit token, idempotency.ClaimFormTx, so the token is claimed exactly when the order commits). An error
// rolls the whole opening back, so nothing is half-made when the claim is refused (the link was cancelled meanwhile,
// the form was submitted before).
type Claim func(ctx context.Context, tx pgx.Tx, o Order) error

// Limits on input.
const (
	MaxComment = 1000
	MaxList    = 500
)

// Timeline event kinds this package writes to the contact's timeline and to the order's own.
const (
	EventCreated   = "order.created"
	EventCompleted = "order.completed"
	EventRejected  = "order.rejected"
	EventRefunded  = "order.refunded"
	EventExpired   = "order.expired" // the deadline rejected the order
)

// ErrNotOpen is returned when deciding an order someone (or the deadline) has decided already.
var ErrNotOpen = check.Conflict("The order is not open any more.")

// ErrNotCompleted is returned when refunding an order that is not completed.
var ErrNotCompleted = check.Conflict("The order is not completed.")

// stateError explains why o cannot change, for people: "Order B-000012 was already rejected by ann@example.com
// at …". want is the kind (ErrNotOpen, ErrNotCompleted).
func stateError(o Order, want error) error {
	switch {
	case o.Status == StatusOpen:
		return check.Conflictf(want, "Order %s is still open, only a completed order can be refunded.", o.Number)
	case o.DecidedAt != nil && o.DecidedBy != "":
		return &check.StateError{Message: fmt.Sprintf("Order %s was already %s by %s at %s.", o.Number, o.Status,
			o.DecidedBy, o.UpdatedAt.UTC().Format("2006-01-02 15:04 UTC")), Who: o.DecidedBy, When: o.UpdatedAt, Err: want}
	}
	return check.Conflictf(want, "Order %s is already %s.", o.Number, o.Status)
}

// ErrBusy is returned when another manager (or the deadline) is deciding the same order at this moment.
var ErrBusy = check.Conflict("The order is being decided by someone else right now; reload to see the result.")

// NotFoundError is the error for an unknown order.
func NotFoundError(what any) error { return fmt.Errorf("order %v: %w", what, check.ErrNotFound) }

// Adjustment is what a manager may correct when approving a manual payment; nil fields keep what the payer said.
type Adjustment struct {
	Amount   *int64 // minor units of the (possibly new) currency; > 0
	Currency *string
	PaidOn   *time.Time // not in the future
	Comment  *string
}

// Refund is money returned on a payment.
type Refund struct {
	ID        int64
	PaymentID int64
	Amount    money.Money
	Comment   string
	Actor     string
	CreatedAt time.Time
}

// Event is a line of the order's own timeline.
type Event struct {
	ID        int64
	Kind      string
	Message   string
	Actor     string
	CreatedAt time.Time
}

// Grant is an access grant an order created or extended.
type Grant struct {
	GrantID   int64
	ProductID int64
	Created   bool // false: the order extended a grant the contact had already
}

// Detail is an order with everything its page shows.
type Detail struct {
	Order
	Refunds []Refund
	Events  []Event
	Grants  []Grant
}

// Filter narrows List. Zero values do not filter.
type Filter struct {
	Status          Status
	OfferID         int64
	PaymentSystemID int64
	ContactID       int64
	From, To        time.Time // created_at in [From, To)
	BeforeID        int64     // keyset cursor: orders after it (smaller id; with a range, smaller (created_at, id))
	Limit           int       // default 50, at most MaxList
}

// Page is one page of orders, newest first; NextBeforeID is 0 on the last page.
type Page struct {
	Orders       []Order
	NextBeforeID int64
}

// PaymentFilter narrows Payments.
type PaymentFilter struct {
	Status          string
	PaymentSystemID int64
	ContactID       int64
	From, To        time.Time
	BeforeID        int64
	Limit           int
}

// PaymentRow is a payment in the Payments list, with its order's number, contact and status.
type PaymentRow struct {
	Payment
	OrderNumber string
	OrderStatus Status
	ContactID   int64
	OfferTitle  string
}

// PaymentPage is one page of payments, newest first.
type PaymentPage struct {
	Payments     []PaymentRow
	NextBeforeID int64
}

// AllCompletions is the completions of several modules, told in turn (payment links, then receipts): the first
// error rolls the completion back.
type AllCompletions []Completions

// OrderCompletedTx tells each of a, in order.
func (a AllCompletions) OrderCompletedTx(ctx context.Context, tx pgx.Tx, o Order) error {
	for _, c := range a {
		if err := c.OrderCompletedTx(ctx, tx, o); err != nil {
			return err
		}
	}
	return nil
}
