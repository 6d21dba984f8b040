package gateway

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
)

// Subscriber is implemented by the providers of gateways that charge a saved card on schedule (the Recurring
// capability: Stripe, PayPal). The gateway owns the schedule; Bursar starts a subscription, asks for changes and
// reads back the state its notifications (EventSubscription, EventCharge) report. Like Provider, it never writes to
// the database.
type Subscriber interface {
	// BeginSubscription starts subscribing: the payer is sent to the returned redirect (Stripe Checkout in
	// subscription mode, PayPal's approval page); Redirect.Ref is the checkout's reference (cs_…, the PayPal
	// subscription id) stored on the pending subscription.
	BeginSubscription(ctx context.Context, acct Account, c SubscriptionCheckout) (Redirect, error)
	// ChangeSubscription asks the gateway for a change and returns the subscription's state as the gateway answers
	// it (At: when the answer came). An action the gateway cannot do is ErrUnsupported.
	ChangeSubscription(ctx context.Context, acct Account, ch SubscriptionChange) (SubscriptionState, error)
	// SubscriptionStatus asks the gateway for subscription ref's state (a re-check).
	SubscriptionStatus(ctx context.Context, acct Account, ref string) (SubscriptionState, error)
	// ManageURL is a page of the gateway's where the payer changes the card of subscription s (a Stripe billing
	// portal session returning to returnURL; PayPal's own autopay page). ErrUnavailable when the gateway cannot make
	// one now.
	ManageURL(ctx context.Context, acct Account, s SubscriptionRef, returnURL string) (string, error)
}

// Subscription intervals: the unit of a plan's period (every IntervalCount units).
const (
	IntervalDay   = "day"
	IntervalWeek  = "week"
	IntervalMonth = "month"
	IntervalYear  = "year"
)

// Plan is what a subscription charges: Amount every Count Intervals, after TrialDays free days, MaxCharges times
// (0: until cancelled).
type Plan struct {
	Amount     money.Money
	Interval   string // IntervalDay, IntervalWeek, IntervalMonth or IntervalYear
	Count      int    // ≥ 1
	TrialDays  int
	MaxCharges int
	Title      string // the offer's title, shown by the gateway
}

// SubscriptionCheckout is a subscription to start.
type SubscriptionCheckout struct {
	SubscriptionID int64  // Bursar's id: the gateway echoes it (client_reference_id, metadata.subscription_id, custom_id)
	Number         string // S-000123
	Plan           Plan
	Email          string
	Language       string
	SuccessURL     string
	CancelURL      string
	NotifyURL      string
}

// SubscriptionRef names a subscription at its gateway.
type SubscriptionRef struct {
	Ref         string // sub_…, I-…
	CustomerRef string // cus_… (Stripe), "" elsewhere
}

// Actions of ChangeSubscription.
const (
	ActionCancelNow         = "cancel_now"           // end it now: no more charges, access until the paid period's end
	ActionCancelAtPeriodEnd = "cancel_at_period_end" // no charge after the current period
	ActionUndoCancel        = "undo_cancel"          // take back cancel_at_period_end
	ActionPause             = "pause"                // stop charging until resumed
	ActionResume            = "resume"
	ActionChangePlan        = "change_plan" // a new price (Plan), the difference prorated now where the gateway can
)

// SubscriptionChange is a change to ask of the gateway.
type SubscriptionChange struct {
	SubscriptionRef
	SubscriptionID int64
	Action         string
	Plan           Plan // ActionChangePlan only
}

// Subscription statuses as Bursar words them (providers map their gateway's words to these).
const (
	SubTrialing  = "trialing"
	SubActive    = "active"
	SubPastDue   = "past_due"
	SubPaused    = "paused"
	SubCancelled = "cancelled" // cancelled by someone; no more charges
	SubEnded     = "ended"     // ran its course (the fixed number of charges made, or expired)
)

// SubStatuses lists the statuses a gateway may report.
var SubStatuses = []string{SubTrialing, SubActive, SubPastDue, SubPaused, SubCancelled, SubEnded}

// SubscriptionState is a subscription's state as its gateway reported it at At (the notification's own time, or
// the gateway object's update time): the subscription module keeps the latest state by At, never by arrival.
type SubscriptionState struct {
	SubscriptionRef
	// SubscriptionID is Bursar's subscription id the gateway echoes (0 when absent: the ref names it).
	SubscriptionID int64
	// CheckoutRef is the checkout that made it (a completed Checkout Session's id), "" when not known.
	CheckoutRef string
	// Status is one of SubStatuses; "" when the notification only links the gateway's references to the
	// subscription (Stripe's checkout.session.completed in subscription mode) and says nothing of its state.
	Status             string
	CurrentPeriodStart time.Time // zero when unknown
	CurrentPeriodEnd   time.Time
	TrialEnd           time.Time
	CancelAtPeriodEnd  bool
	CancelledAt        time.Time // zero when not cancelled
	EndedAt            time.Time
	// Amount is one period's price as the gateway has it now (zero when not told).
	Amount money.Money
	At     time.Time
}

// SubscriptionCharge is one charge of a subscription (a Stripe invoice, a PayPal sale), paid or failed.
type SubscriptionCharge struct {
	Ref             string // in_… (Stripe invoice), the PayPal sale id: one charge, however often notified
	SubscriptionRef string // sub_…, I-…
	SubscriptionID  int64  // Bursar's id when the gateway echoes it, else 0
	// PaymentRef is the payment's reference later notifications (charge.refunded, disputes) name: Stripe's
	// PaymentIntent id, PayPal's sale id.
	PaymentRef  string
	Amount      money.Money
	PeriodStart time.Time
	PeriodEnd   time.Time // the paid period's end: access lasts until then plus the offer's grace
	Paid        bool      // false: the charge failed (the subscription is past due)
	// Proration marks a charge of a plan change's prorated difference (Stripe's billing_reason
	// subscription_update): its amount is not the plan's, and it does not extend the paid period.
	Proration bool
	// UpdateURL is where the payer fixes a failed charge (Stripe's hosted invoice page); "" when none.
	UpdateURL  string
	PayerEmail string
	// CardToken is the saved card a SavedCards gateway returned with the charge (WayForPay's recToken, Fondy's
	// rectoken): Bursar charges it next time (CardCharger.ChargeCard). "" when none came.
	CardToken string
	At        time.Time
}

// validate checks a state an EventSubscription carries.
func (s *SubscriptionState) validate() error {
	if s == nil {
		return fmt.Errorf("%w: subscription event without its subscription", ErrInvalidEvent)
	}
	if s.Status != "" && !slices.Contains(SubStatuses, s.Status) {
		return fmt.Errorf("%w: subscription status %.20q", ErrInvalidEvent, s.Status)
	}
	for _, t := range []string{s.Ref, s.CustomerRef, s.CheckoutRef} {
		if !check.Clean(t) {
			return fmt.Errorf("%w: subscription reference %s", ErrInvalidEvent, check.MsgNotText)
		}
	}
	if s.Ref == "" && s.SubscriptionID <= 0 {
		return fmt.Errorf("%w: subscription event names no subscription", ErrInvalidEvent)
	}
	return validAmount(s.Amount)
}

// validate checks a charge an EventCharge carries.
func (c *SubscriptionCharge) validate() error {
	if c == nil {
		return fmt.Errorf("%w: charge event without its charge", ErrInvalidEvent)
	}
	for _, t := range []string{c.Ref, c.SubscriptionRef, c.PaymentRef, c.UpdateURL, c.PayerEmail, c.CardToken} {
		if !check.Clean(t) {
			return fmt.Errorf("%w: charge reference %s", ErrInvalidEvent, check.MsgNotText)
		}
	}
	if c.Ref == "" {
		return fmt.Errorf("%w: charge without its reference", ErrInvalidEvent)
	}
	if c.SubscriptionRef == "" && c.SubscriptionID <= 0 {
		return fmt.Errorf("%w: charge names no subscription", ErrInvalidEvent)
	}
	return validAmount(c.Amount)
}

func validAmount(m money.Money) error {
	if m.Currency != "" && !money.Known(m.Currency) {
		return fmt.Errorf("%w: currency is not an ISO 4217 code", ErrInvalidEvent)
	}
	if m.Amount < 0 {
		return fmt.Errorf("%w: negative amount", ErrInvalidEvent)
	}
	return nil
}

// Subscriber returns the subscription side of type t's provider (guarded like Provider): false when its gateway
// cannot charge on schedule.
func (r *Registry) Subscriber(t string) (Subscriber, bool) {
	p, ok := r.providers[t]
	if !ok {
		return nil, false
	}
	g, ok := p.(guarded)
	if !ok {
		return nil, false
	}
	if _, ok := g.p.(Subscriber); !ok {
		return nil, false
	}
	return guardedSub{g}, true
}

// guardedSub is a Subscriber whose errors are redacted and whose states are checked.
type guardedSub struct{ g guarded }

func (s guardedSub) BeginSubscription(ctx context.Context, acct Account, c SubscriptionCheckout) (Redirect, error) {
	red, err := s.g.p.(Subscriber).BeginSubscription(ctx, acct, c)
	return red, redactError(err, acct)
}

func (s guardedSub) ChangeSubscription(ctx context.Context, acct Account, ch SubscriptionChange) (SubscriptionState, error) {
	st, err := s.g.p.(Subscriber).ChangeSubscription(ctx, acct, ch)
	if err != nil {
		return SubscriptionState{}, redactError(err, acct)
	}
	return st, st.validate()
}

func (s guardedSub) SubscriptionStatus(ctx context.Context, acct Account, ref string) (SubscriptionState, error) {
	st, err := s.g.p.(Subscriber).SubscriptionStatus(ctx, acct, ref)
	if err != nil {
		return SubscriptionState{}, redactError(err, acct)
	}
	return st, st.validate()
}

func (s guardedSub) ManageURL(ctx context.Context, acct Account, ref SubscriptionRef, returnURL string) (string, error) {
	u, err := s.g.p.(Subscriber).ManageURL(ctx, acct, ref, returnURL)
	return u, redactError(err, acct)
}

// subscriber is sys's Subscriber and account; a type whose gateway cannot charge on schedule is ErrUnsupported.
func (c Caller) subscriber(ctx context.Context, sys System) (Subscriber, Account, error) {
	p, ok := c.Registry.Subscriber(sys.Type)
	if !ok {
		return nil, Account{}, fmt.Errorf("subscriptions through payment systems of type %s: %w", sys.Type, ErrUnsupported)
	}
	acct, err := c.Account(ctx, sys)
	if err != nil {
		return nil, Account{}, err
	}
	return p, acct, nil
}

// BeginSubscription starts a subscription at sys's gateway.
func (c Caller) BeginSubscription(ctx context.Context, sys System, co SubscriptionCheckout) (Redirect, error) {
	p, acct, err := c.subscriber(ctx, sys)
	if err != nil {
		return Redirect{}, err
	}
	return p.BeginSubscription(ctx, acct, co)
}

// ChangeSubscription asks sys's gateway for a change of a subscription.
func (c Caller) ChangeSubscription(ctx context.Context, sys System, ch SubscriptionChange) (SubscriptionState, error) {
	p, acct, err := c.subscriber(ctx, sys)
	if err != nil {
		return SubscriptionState{}, err
	}
	return p.ChangeSubscription(ctx, acct, ch)
}

// SubscriptionStatus asks sys's gateway for a subscription's state.
func (c Caller) SubscriptionStatus(ctx context.Context, sys System, ref string) (SubscriptionState, error) {
	p, acct, err := c.subscriber(ctx, sys)
	if err != nil {
		return SubscriptionState{}, err
	}
	return p.SubscriptionStatus(ctx, acct, ref)
}

// ManageURL asks sys's gateway for the page where the payer changes a subscription's card.
func (c Caller) ManageURL(ctx context.Context, sys System, ref SubscriptionRef, returnURL string) (string, error) {
	p, acct, err := c.subscriber(ctx, sys)
	if err != nil {
		return "", err
	}
	return p.ManageURL(ctx, acct, ref, returnURL)
}
