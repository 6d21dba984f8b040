package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
)

// Provider is one gateway type's protocol: starting a payment, reading its notifications, refunding and asking
// about a payment. Providers live in subpackages (gateway/stripe, …) and register with a Registry by type. A
// provider never writes to the database: the caller stores and applies what it returns.
type Provider interface {
	// Type is the payment system type the provider serves ("stripe").
	Type() string
	// Begin starts paying an order through acct: the payer is sent to the returned redirect.
	Begin(ctx context.Context, acct Account, c Checkout) (Redirect, error)
	// Verify authenticates an inbound notification and parses it. An unauthentic one is ErrSignature (or wraps
	// it) and nothing about it may be trusted; an authentic one of a type Bursar does not act on is an Event with
	// Kind EventIgnored.
	Verify(ctx context.Context, acct Account, in Inbound) (Event, error)
	// Refund returns amount (minor units of the payment's currency) of the payment ref through the gateway.
	Refund(ctx context.Context, acct Account, r RefundRequest) (RefundResult, error)
	// Status asks the gateway about the payment ref (a re-check of a payment still pending) and reports it as an
	// Event (its ID is empty: it is not a notification).
	Status(ctx context.Context, acct Account, ref string) (Event, error)
}

// Account is what a provider needs of one payment system: its settings, its opened credentials and where to call.
type Account struct {
	System      System
	Credentials map[string]string
	// APIURL overrides the gateway's API base (BURSAR_<TYPE>_API_URL); "" means the gateway's own.
	APIURL string
}

// Checkout is an order to pay.
type Checkout struct {
	OrderID     int64
	OrderNumber string
	Amount      money.Money
	Title       string // what the payer buys, shown by the gateway
	Email       string // the payer's e-mail when known ("" for paying without authorization)
	Language    string
	SuccessURL  string // where the gateway sends the payer back after paying
	CancelURL   string // … after giving up
	NotifyURL   string // where the gateway posts notifications (/webhooks/{payment_system_id})
}

// Redirect sends the payer to the gateway: a URL to follow, or a form to post (Redsys, WayForPay).
type Redirect struct {
	URL  string
	Form *Form
	// Ref is the gateway's reference of the payment attempt (a Stripe Checkout Session id), stored on the payment.
	Ref string
}

// Form is an auto-submitting HTML form.
type Form struct {
	Action string
	Fields [][2]string // name, value in order
}

// Inbound is a notification as it arrived; providers read headers case-insensitively through Header.
type Inbound struct {
	Header func(name string) string
	Body   []byte
	// Received is when it arrived, for signature timestamp checks.
	Received time.Time
}

// EventKind is what a notification means for Bursar.
type EventKind string

// Event kinds.
const (
	EventPaid     EventKind = "paid"     // the payment succeeded: the order may complete
	EventPending  EventKind = "pending"  // the payer finished, the money has not arrived yet (delayed methods)
	EventFailed   EventKind = "failed"   // the attempt failed or was declined
	EventExpired  EventKind = "expired"  // the attempt expired unpaid
	EventRefunded EventKind = "refunded" // money was returned (RefundedAmount says how much in all)
	EventIgnored  EventKind = "ignored"  // authentic, but nothing for Bursar to do
	EventDispute  EventKind = "dispute"  // a dispute (chargeback) of a payment was opened, changed or closed: Dispute
	// EventSubscription reports a subscription's state (Subscription): started, renewed, past due, paused,
	// cancelled, ended; or only the gateway's references of a subscription Bursar started (Status "").
	EventSubscription EventKind = "subscription"
	// EventCharge reports one charge of a subscription, paid or failed (Charge).
	EventCharge EventKind = "charge"
)

// Event is a verified notification (or a status re-check), normalized.
type Event struct {
	ID      string // the gateway's event id: (payment system, ID) deduplicates deliveries
	Type    string // the gateway's own event type, as sent
	Kind    EventKind
	OrderID int64  // Bursar's order id as the gateway echoes it (0 when absent)
	Ref     string // the gateway's payment reference (a session id)
	// AltRef is a second reference of the same payment that later notifications may name instead of Ref (Stripe:
	// the Checkout Session's PaymentIntent id, which charge.refunded carries as its Ref). Store it with the payment
	// when an event brings it; "" when the gateway has none or has not made it yet.
	AltRef string
	Amount money.Money
	// RefundedAmount is the total refunded so far, for EventRefunded; or, when RefundRef is set, this refund alone.
	RefundedAmount int64
	// RefundRef names the one refund an EventRefunded reports, for gateways whose notifications carry no running
	// total (Redsys): the same id Refund returned as RefundResult.ID for a refund Bursar made.
	RefundRef  string
	PayerEmail string
	// Dispute is the dispute an EventDispute reports (Ref and AltRef name the disputed payment, Amount the money
	// disputed); nil for every other kind.
	Dispute *Dispute
	// Subscription is the state an EventSubscription reports; Charge the charge an EventCharge reports; nil for
	// every other kind.
	Subscription *SubscriptionState
	Charge       *SubscriptionCharge
	// Reply is what the gateway expects in the response body (WayForPay's signed accept); nil means an empty 200.
	Reply            []byte
	ReplyContentType string
}

// RefundRequest is a refund to make through the gateway.
type RefundRequest struct {
	Ref    string // the payment's gateway reference
	Amount money.Money
	Reason string
	// IdempotencyKey names this one refund: asking again with it, through a gateway with IdempotentRefunds, makes
	// the refund once. "" lets the provider derive a key of its own.
	IdempotencyKey string
}

// RefundResult is the gateway's answer to a refund.
type RefundResult struct {
	ID     string // the gateway's refund id
	Status string // as the gateway says (succeeded, pending)
}

// Errors of providers.
var (
	// ErrSignature says a notification is not authentic (bad, missing, stale or future signature).
	ErrSignature = errors.New("gateway: notification signature invalid")
	// ErrUnavailable says the gateway could not be reached or answered with a server error: retry later.
	ErrUnavailable = errors.New("gateway: unavailable")
	// ErrUnsupported says the provider cannot do this (a refund through a gateway without a refund API).
	ErrUnsupported = errors.New("gateway: not supported by this payment system")
)

// Registry finds the provider of a payment system type. The providers it returns are guarded: every answer of
// Verify and Status passes Event.Validate (an invalid one is an error wrapping ErrInvalidEvent), a notification
// body that is not valid text is refused the same way, and every error's text is redacted (Redact, with the
// account's credentials) so that no caller logs or shows a key a gateway echoed.
type Registry struct {
	providers map[string]Provider
}

// NewRegistry returns a registry of ps.
func NewRegistry(ps ...Provider) *Registry {
	r := &Registry{providers: map[string]Provider{}}
	for _, p := range ps {
		r.providers[p.Type()] = guarded{p}
	}
	return r
}

// Provider returns the provider of type t.
func (r *Registry) Provider(t string) (Provider, bool) {
	p, ok := r.providers[t]
	return p, ok
}

// guarded is a Provider behind the checks every provider's answers pass, in one place.
type guarded struct{ p Provider }

func (g guarded) Type() string { return g.p.Type() }

func (g guarded) Begin(ctx context.Context, acct Account, c Checkout) (Redirect, error) {
	red, err := g.p.Begin(ctx, acct, c)
	return red, redactError(err, acct)
}

func (g guarded) Verify(ctx context.Context, acct Account, in Inbound) (Event, error) {
	ev, err := g.p.Verify(ctx, acct, in)
	if err != nil {
		return Event{}, redactError(err, acct)
	}
	// The body is stored verbatim as text next to the event.
	if !check.Clean(string(in.Body)) {
		return Event{}, fmt.Errorf("%s: notification body %s: %w", g.p.Type(), check.MsgNotText, ErrInvalidEvent)
	}
	if err := ev.Validate(); err != nil {
		return Event{}, fmt.Errorf("%s: event: %w", g.p.Type(), err)
	}
	return ev, nil
}

func (g guarded) Refund(ctx context.Context, acct Account, r RefundRequest) (RefundResult, error) {
	res, err := g.p.Refund(ctx, acct, r)
	return res, redactError(err, acct)
}

func (g guarded) Status(ctx context.Context, acct Account, ref string) (Event, error) {
	ev, err := g.p.Status(ctx, acct, ref)
	if err != nil {
		return Event{}, redactError(err, acct)
	}
	if err := ev.Validate(); err != nil {
		return Event{}, fmt.Errorf("%s: status of %.40q: %w", g.p.Type(), ref, err)
	}
	return ev, nil
}
