package gateway

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"

	"github.com/bursar/bursar/internal/money"
)

// CardCharger is implemented by the providers of gateways that save the payer's card at a first payment on their
// own page and charge it later when Bursar asks, with no payer present (the SavedCards capability: WayForPay's
// recToken through CHARGE, Fondy's rectoken through /api/recurring). Bursar owns the schedule of such
// subscriptions (internal/subscription's charge job): every charge is Bursar's, named by a reference Bursar makes
// (NewChargeRef) and writes down before the call. Like Provider, it never writes to the database.
//
// Verify and Status of such a provider report a notification or status of a reference ChargeRefSubscription
// recognizes as an EventCharge (Charge.Ref and PaymentRef the reference, SubscriptionID from it, Paid for an
// approved payment, false for a declined or expired one, CardToken the saved card when the gateway sends it,
// PeriodStart and PeriodEnd zero: Bursar knows the period), an EventPending (Ref set) while the gateway is still
// processing it, and refunds of it as EventRefunded as for any payment.
type CardCharger interface {
	// BeginSaving sends the payer to the gateway's page to pay c and have the card saved for the next charges
	// (WayForPay's Purchase form; Fondy's checkout with required_rectoken=Y). The gateway's order reference is
	// c.Ref; Redirect.Ref is c.Ref too.
	BeginSaving(ctx context.Context, acct Account, c CardCheckout) (Redirect, error)
	// ChargeCard charges saved card c.Token with c.Amount under reference c.Ref and reports the gateway's answer as
	// Verify would report its notification: EventCharge (paid or declined) or EventPending. Its ID is "" (the
	// caller names it). A charge the gateway did not answer is an error wrapping ErrUnavailable: whether it was
	// made is asked later with Status(c.Ref).
	ChargeCard(ctx context.Context, acct Account, c CardCharge) (Event, error)
}

// CardCheckout is a subscription charge the payer pays on the gateway's page, saving the card.
type CardCheckout struct {
	Ref            string // NewChargeRef: the gateway's order reference
	SubscriptionID int64
	Number         string // S-000123
	Amount         money.Money
	Title          string
	Email          string
	Language       string
	SuccessURL     string
	CancelURL      string
	NotifyURL      string
}

// CardCharge is a charge of a saved card.
type CardCharge struct {
	Ref            string // NewChargeRef: the gateway's order reference
	SubscriptionID int64
	Token          string // the saved card (SubscriptionCharge.CardToken of an earlier charge)
	Amount         money.Money
	Title          string
	Email          string
	NotifyURL      string
}

// chargeRefPrefix starts every reference NewChargeRef makes; orders' references start with a digit.
const chargeRefPrefix = "S"

// NewChargeRef is a new reference for one charge of subscription id: "S<id>-<8 random letters and digits>".
func NewChargeRef(subscriptionID int64) string {
	return fmt.Sprintf("%s%d-%s", chargeRefPrefix, subscriptionID, rand.Text()[:8])
}

// ChargeRefSubscription is the subscription id of a reference NewChargeRef made; 0 for any other reference.
func ChargeRefSubscription(ref string) int64 {
	rest, ok := strings.CutPrefix(ref, chargeRefPrefix)
	if !ok {
		return 0
	}
	head, tail, ok := strings.Cut(rest, "-")
	if !ok || tail == "" || head == "" || len(head) > 18 || head[0] == '0' {
		return 0
	}
	for _, c := range head {
		if c < '0' || c > '9' {
			return 0
		}
	}
	id, err := strconv.ParseInt(head, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

// CardCharger returns the saved-card side of type t's provider (guarded like Provider): false when its gateway
// does not charge saved cards for Bursar.
func (r *Registry) CardCharger(t string) (CardCharger, bool) {
	p, ok := r.providers[t]
	if !ok {
		return nil, false
	}
	g, ok := p.(guarded)
	if !ok {
		return nil, false
	}
	if _, ok := g.p.(CardCharger); !ok {
		return nil, false
	}
	return guardedCards{g}, true
}

// guardedCards is a CardCharger whose errors are redacted and whose answers are checked.
type guardedCards struct{ g guarded }

func (c guardedCards) BeginSaving(ctx context.Context, acct Account, co CardCheckout) (Redirect, error) {
	red, err := c.g.p.(CardCharger).BeginSaving(ctx, acct, co)
	return red, redactError(err, acct)
}

func (c guardedCards) ChargeCard(ctx context.Context, acct Account, ch CardCharge) (Event, error) {
	ev, err := c.g.p.(CardCharger).ChargeCard(ctx, acct, ch)
	if err != nil {
		return Event{}, redactError(err, acct)
	}
	if err := ev.Validate(); err != nil {
		return Event{}, fmt.Errorf("%s: charge %.40q: %w", c.g.p.Type(), ch.Ref, err)
	}
	return ev, nil
}

// cardCharger is sys's CardCharger and account; a type whose gateway does not charge saved cards is ErrUnsupported.
func (c Caller) cardCharger(ctx context.Context, sys System) (CardCharger, Account, error) {
	p, ok := c.Registry.CardCharger(sys.Type)
	if !ok {
		return nil, Account{}, fmt.Errorf("saved cards through payment systems of type %s: %w", sys.Type, ErrUnsupported)
	}
	acct, err := c.Account(ctx, sys)
	if err != nil {
		return nil, Account{}, err
	}
	return p, acct, nil
}

// BeginSaving sends the payer to sys's page to pay a subscription charge and save the card.
func (c Caller) BeginSaving(ctx context.Context, sys System, co CardCheckout) (Redirect, error) {
	p, acct, err := c.cardCharger(ctx, sys)
	if err != nil {
		return Redirect{}, err
	}
	return p.BeginSaving(ctx, acct, co)
}

// ChargeCard charges a saved card through sys.
func (c Caller) ChargeCard(ctx context.Context, sys System, ch CardCharge) (Event, error) {
	p, acct, err := c.cardCharger(ctx, sys)
	if err != nil {
		return Event{}, err
	}
	return p.ChargeCard(ctx, acct, ch)
}
