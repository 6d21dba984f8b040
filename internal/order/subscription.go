package order

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order/orderq"
)

// ChannelSubscription is an order recording one charge of a subscription the gateway made (internal/subscription):
// opened and completed at once, in the transaction applying the charge's notification.
const ChannelSubscription = "subscription"

// Exception kinds of subscriptions.
const (
	// ExSubscriptionCharge: a subscription's charge in another currency or amount than its plan; nothing recorded.
	ExSubscriptionCharge ExceptionKind = "subscription_charge"
	// ExUnknownSubscription: a subscription notification names no subscription Bursar knows of this payment system.
	ExUnknownSubscription ExceptionKind = "unknown_subscription"
)

// Results of subscription notifications (the subscription module's Outcome.Result).
const (
	ResultCharged             = "charged"              // a charge recorded: an order completed
	ResultChargeKnown         = "charge_known"         // this charge was recorded before (another delivery)
	ResultChargeFailed        = "charge_failed"        // a charge failed: the subscription is past due
	ResultSubscriptionUpdated = "subscription_updated" // the subscription's state changed
	ResultSubscriptionStale   = "subscription_stale"   // an older state than the one recorded: nothing changed
)

// Subscriptions applies subscription notifications (gateway.EventSubscription, gateway.EventCharge) inside Ingest's
// transaction: internal/subscription. The desk completes charges and opens exceptions in that same transaction.
type Subscriptions interface {
	ApplyTx(ctx context.Context, tx pgx.Tx, desk *ChargeDesk, sys gateway.System, ev gateway.Event) (Outcome, error)
}

// ChargeDesk is what a subscription notification may do to orders inside the transaction Ingest applies it in:
// record a charge (ChargeTx) or open an exception naming the stored notification (ExceptionTx).
type ChargeDesk struct {
	s   *Service
	tx  pgx.Tx
	sys gateway.System
	ev  gateway.Event
	row *eventRow
}

// Charge is one paid charge of a subscription: an order of the subscription's offer, opened and completed at once
// with its payment (fee and net for the payment system), its products granted until AccessUntil (extended, never
// shortened), the completed e-mail sent and order.completed, payment.succeeded and access.granted emitted — the one
// completion workflow every order goes through.
type Charge struct {
	ContactID  int64
	Offer      offer.Offer // the subscription's offer: its products are granted
	Amount     money.Money
	Ref        string // the charge's gateway reference (in_…, the PayPal sale id): the payment's gateway_ref
	AltRef     string // the payment's second reference (Stripe's PaymentIntent) that refunds and disputes name
	PayerEmail string
	PaidOn     time.Time
	// AccessUntil is when the access the charge pays for ends; zero for a charge of a period already over (a late
	// notification): the money is recorded, no access is granted.
	AccessUntil time.Time
	Language    string
	// Note says which subscription and period the charge pays ("Subscription S-000001, period 3 Jan – 3 Feb 2027"):
	// the order's decision note and the completed e-mail's comment.
	Note string
}

// ChargeTx records c as a completed order (ChannelSubscription) through the desk's payment system.
func (d *ChargeDesk) ChargeTx(ctx context.Context, c Charge) (Order, error) {
	s, tx, sys := d.s, d.tx, d.sys
	lang := c.Language
	if lang == "" {
		lang = c.Offer.Language
	}
	contactID := c.ContactID
	r, err := orderq.New(tx).OrderInsertOpen(ctx, orderq.OrderInsertOpenParams{OfferID: c.Offer.ID,
		OfferTitle: c.Offer.Title, ContactID: &contactID, PaymentSystemID: sys.ID, Amount: c.Amount.Amount,
		Currency: c.Amount.Currency, ListAmount: c.Offer.Price().Amount, ListCurrency: c.Offer.Price().Currency,
		Language: lang, Channel: ChannelSubscription})
	if err != nil {
		return Order{}, fmt.Errorf("open the order of charge %s: %w", c.Ref, noOpenOrder(err, c))
	}
	o := fromRow(r)
	until := c.AccessUntil
	return s.completeTx(ctx, tx, completion{order: o, offer: c.Offer, sys: sys, price: c.Amount,
		note:    truncate(c.Note, MaxComment),
		until:   &until,
		noGrant: until.IsZero(),
		pay: paySuccess{amount: c.Amount, paidOn: dateOf(c.PaidOn), ref: c.Ref, altRef: c.AltRef,
			payerEmail: c.PayerEmail, comment: truncate(c.Note, MaxComment)},
		event: fmt.Sprintf("Order %s completed: %s charge %s of %s (event %s)", o.Number, sys.Name, c.Ref,
			c.Amount, d.ev.ID),
		line: gatewayLine(sys, d.ev, ResultCharged),
		mail: c.Note, action: "order.complete", details: map[string]any{"number": o.Number,
			"payment_system_id": sys.ID, "gateway_ref": c.Ref, "event_id": d.ev.ID, "amount": c.Amount.Amount,
			"currency": c.Amount.Currency, "subscription": true}})
}

// noOpenOrder words the one way opening a charge's order fails by design: the contact has an open order for the
// offer already (no row comes back).
func noOpenOrder(err error, c Charge) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("contact %d has an open order for offer %d", c.ContactID, c.Offer.ID)
	}
	return err
}

// ExceptionTx opens an exception of kind for the notification being applied (orderID 0 for none) and returns the
// outcome saying so, for ApplyTx to return.
func (d *ChargeDesk) ExceptionTx(ctx context.Context, kind ExceptionKind, orderID int64, note string) (Outcome, error) {
	var o Order
	if orderID > 0 {
		var err error
		if o, err = getOrder(ctx, d.tx, orderID); err != nil {
			return Outcome{}, err
		}
	}
	return d.s.exceptionOutcome(ctx, d.tx, kind, o, d.sys, d.ev, d.row, note)
}

// subscriptionTx applies a subscription notification through Deps.Subscriptions; without one, the notification
// names nothing Bursar knows.
func (s *Service) subscriptionTx(ctx context.Context, tx pgx.Tx, sys gateway.System, ev gateway.Event, row *eventRow) (Outcome, error) {
	desk := &ChargeDesk{s: s, tx: tx, sys: sys, ev: ev, row: row}
	if s.deps.Subscriptions == nil {
		return desk.ExceptionTx(ctx, ExUnknownSubscription, 0, fmt.Sprintf(
			"%s event %s (%s) is about a subscription, and this Bursar keeps none", sys.Name, ev.ID, ev.Type))
	}
	return s.deps.Subscriptions.ApplyTx(ctx, tx, desk, sys, ev)
}
