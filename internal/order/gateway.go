package order

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order/orderq"
)

// NewGateway is an order paid through a gateway (Stripe, …): the payer is sent to the gateway, and only the
// gateway's verified notification completes the order.
type NewGateway struct {
	OfferID         int64
	ContactID       int64
	PaymentSystemID int64
	Channel         string // checkout, admin, api, link
	Claim           Claim  // optional
	// Guest is a visitor paying without signing in (F2): ContactID is 0, and the gateway's verified payment names
	// the contact (found or created by the payer's e-mail). Only for offers that allow it, through payment systems
	// whose type returns the payer's e-mail, from the checkout.
	Guest bool
	// Started, when set, queues on b what is to be written once the gateway began the payment (the form token's
	// result: idempotency.QueueFinishForm): StartGateway sends it with the gateway's reference, in one round trip
	// and one implicit transaction.
	Started func(b *pgx.Batch, red gateway.Redirect)
}

// Attempt is an order with the payment attempt just opened for it.
type Attempt struct {
	Order   Order
	Payment Payment
	Created bool // false: the contact's open order for the offer was reused
}

// Timeline kinds of gateway payments.
const (
	EventAttempt   = "payment.attempt"   // a payment through a gateway started
	EventAbandoned = "payment.abandoned" // the gateway could not start it
	EventGateway   = "gateway.event"     // a gateway notification and what it did
)

// ErrRefTaken is returned by AttachRef when the gateway reference already names another payment.
var ErrRefTaken = check.Conflict("The gateway reference already names another payment.")

func (n NewGateway) validate() check.Errors {
	e := check.Errors{}
	if n.OfferID <= 0 {
		e.Add("offer_id", "is required")
	}
	switch {
	case n.Guest && n.ContactID != 0:
		e.Add("contact_id", "must be empty when paying without signing in")
	case n.Guest && n.Channel != ChannelCheckout:
		e.Add("channel", "paying without signing in is only for the checkout")
	case !n.Guest && n.ContactID <= 0:
		e.Add("contact_id", "is required")
	}
	if n.PaymentSystemID <= 0 {
		e.Add("payment_system_id", "is required")
	}
	switch n.Channel {
	case ChannelCheckout, ChannelAdmin, ChannelAPI, ChannelLink:
	default:
		e.Add("channel", "must be checkout, admin, api or link")
	}
	return e
}

// OpenGateway opens (or reuses: one open order per contact and offer) an order for n and adds a new pending payment
// attempt through n's payment system, which must be a gateway (not manual), enabled, listed by the offer and able
// to take the order's currency. Gateway orders have no confirmation deadline: they stay open until a payment
// arrives or someone cancels them. No e-mail is sent yet: the payer is on their way to the gateway.
func (s *Service) OpenGateway(ctx context.Context, n NewGateway) (Attempt, error) {
	e := n.validate()
	of, sys, err := s.gatewayTarget(ctx, n, e)
	if err != nil {
		return Attempt{}, err
	}
	var out Attempt
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		to, err := s.contactEmailTx(ctx, tx, n.ContactID)
		if err != nil {
			return err
		}
		o, created, err := s.openForGatewayTx(ctx, tx, n, of, sys)
		if err != nil {
			return err
		}
		if o.Price.Currency != sys.TransactionCurrency(o.Price.Currency) {
			return check.Field("payment_system_id", fmt.Sprintf("does not accept %s", o.Price.Currency))
		}
		fee, net := s.feeTx(ctx, tx, o.Price, sys)
		p, err := orderq.New(tx).PaymentInsert(ctx, orderq.PaymentInsertParams{OrderID: o.ID,
			PaymentSystemID: sys.ID, Mode: sys.Mode, Status: PaymentPending, Amount: o.Price.Amount, Currency: o.Price.Currency,
			Fee: fee, Net: net, PaidOn: today(), PayerEmail: to})
		if err != nil {
			return fmt.Errorf("insert payment attempt: %w", err)
		}
		pay := paymentFromRow(p)
		o.Payments = append(o.Payments, pay)
		out = Attempt{Order: o, Payment: pay, Created: created}
		msg := fmt.Sprintf("Payment attempt %d through %s for %s started", pay.ID, sys.Name, o.Price)
		if err := s.eventsTx(ctx, tx, o, EventAttempt, msg); err != nil {
			return err
		}
		if err := s.audit.RecordTx(ctx, tx, "payment.attempt", "order", o.ID, map[string]any{"number": o.Number,
			"payment_id": pay.ID, "payment_system_id": sys.ID, "amount": o.Price.Amount, "currency": o.Price.Currency}); err != nil {
			return err
		}
		if created { // order.created once the order has its first attempt
			if err := s.deps.Events.EmitTx(ctx, tx, events.Event{Type: events.OrderCreated, ID: o.ID}); err != nil {
				return err
			}
		}
		return claimed(ctx, tx, n.Claim, o, nil)
	})
	return out, err
}

// openForGatewayTx returns the contact's open order for the offer, or opens one (with its timeline and audit).
func (s *Service) openForGatewayTx(ctx context.Context, tx pgx.Tx, n NewGateway, of offer.Offer, sys gateway.System) (Order, bool, error) {
	if n.ContactID > 0 {
		if o, ok, err := openOrder(ctx, tx, n.ContactID, n.OfferID); err != nil || ok {
			return o, false, err
		}
	}
	price, err := s.gatewayPriceTx(ctx, tx, of.Price(), sys)
	if err != nil {
		return Order{}, false, err
	}
	r, err := orderq.New(tx).OrderInsertOpen(ctx, orderq.OrderInsertOpenParams{OfferID: of.ID,
		OfferTitle: of.Title, ContactID: contactRef(n.ContactID), PaymentSystemID: sys.ID, Amount: price.Amount,
		Currency: price.Currency, ListAmount: of.Amount, ListCurrency: of.Currency, Language: of.Language,
		Channel: n.Channel})
	if errors.Is(err, pgx.ErrNoRows) {
		o, _, err := openOrder(ctx, tx, n.ContactID, n.OfferID)
		return o, false, err
	}
	if err != nil {
		return Order{}, false, fmt.Errorf("insert order: %w", err)
	}
	o := fromRow(r)
	o.Payments = []Payment{}
	msg := fmt.Sprintf("Order %s opened for %s (%s) through %s", o.Number, o.OfferTitle, o.Price, sys.Name)
	if err := s.eventsTx(ctx, tx, o, EventCreated, msg); err != nil {
		return o, false, err
	}
	return o, true, s.audit.RecordTx(ctx, tx, "order.create", "order", o.ID, map[string]any{"number": o.Number,
		"offer_id": o.OfferID, "contact_id": o.ContactID, "payment_system_id": sys.ID, "amount": o.Price.Amount,
		"currency": o.Price.Currency, "channel": n.Channel})
}

// gatewayTarget loads and checks the offer and payment system of n.
func (s *Service) gatewayTarget(ctx context.Context, n NewGateway, e check.Errors) (offer.Offer, gateway.System, error) {
	var (
		of  offer.Offer
		sys gateway.System
		err error
	)
	if _, bad := e["offer_id"]; !bad {
		of, err = s.deps.Offers.Offer(ctx, n.OfferID)
		switch {
		case errors.Is(err, check.ErrNotFound):
			e.Add("offer_id", "no offer has this id")
		case err != nil:
			return of, sys, err
		case offer.Enrolled(of.Kind):
			e.Add("offer_id", offer.EnrolledMessage)
		case offer.Subscribed(of.Kind):
			e.Add("offer_id", offer.SubscribedMessage)
		case !offer.Sold(of.Kind):
			e.Add("offer_id", offer.NotSoldMessage)
		case sellsPublished(n.Channel) && of.Status != offer.StatusPublished:
			e.Add("offer_id", "is not on sale")
		case n.Channel == ChannelCheckout && of.Unlisted:
			e.Add("offer_id", "is sold only by payment link")
		}
	}
	if _, bad := e["payment_system_id"]; !bad {
		sys, err = s.deps.Systems.Get(ctx, n.PaymentSystemID)
		switch {
		case errors.Is(err, check.ErrNotFound):
			e.Add("payment_system_id", "no payment system has this id")
		case err != nil:
			return of, sys, err
		case sys.Type == gateway.TypeManual:
			e.Add("payment_system_id", "is a manual payment system")
		case !sys.Enabled:
			e.Add("payment_system_id", "is disabled")
		case of.ID != 0 && !slices.Contains(of.PaymentSystemIDs, sys.ID):
			e.Add("payment_system_id", "is not one of this offer's payment systems")
		case n.Guest && !sys.Can(gateway.PayWithoutAuthorization):
			e.Add("payment_system_id", "does not report the payer's e-mail, so it cannot take payments without signing in")
		}
	}
	if n.Guest && of.ID != 0 && !of.GuestCheckout {
		if _, bad := e["offer_id"]; !bad {
			e.Add("offer_id", "does not allow paying without signing in")
		}
	}
	return of, sys, e.Err()
}

// gatewayPriceTx is what a payer owes for list through the gateway sys: list, or list converted into sys's
// fallback currency when sys does not take list's.
func (s *Service) gatewayPriceTx(ctx context.Context, tx db.DBTX, list money.Money, sys gateway.System) (money.Money, error) {
	cur := sys.TransactionCurrency(list.Currency)
	switch cur {
	case "":
		return money.Money{}, check.Field("payment_system_id", fmt.Sprintf(
			"does not accept %s and has no fallback currency", list.Currency))
	case list.Currency:
		return list, nil
	}
	return s.convertTx(ctx, tx, list, cur)
}

// AttachRef stores the gateway's reference of payment attempt paymentID (a Stripe Checkout Session id), so its
// notifications find it. The attempt must still be pending and have no reference yet.
func (s *Service) AttachRef(ctx context.Context, paymentID int64, ref string) error {
	if ref == "" {
		return check.Field("gateway_ref", "is required")
	}
	n, err := orderq.New(s.db).PaymentAttachRef(ctx, orderq.PaymentAttachRefParams{ID: paymentID, GatewayRef: ref})
	return attachErr(paymentID, ref, n, err)
}

// attachErr is AttachRef's answer from PaymentAttachRef's.
func attachErr(paymentID int64, ref string, n int64, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("payment %d: %q: %w", paymentID, ref, ErrRefTaken)
	}
	if err != nil {
		return fmt.Errorf("attach reference to payment %d: %w", paymentID, err)
	}
	if n != 1 {
		return check.Conflictf(nil, "Payment %d is not a pending attempt without a reference.", paymentID)
	}
	return nil
}

// AbandonAttempt fails payment attempt paymentID when the gateway could not start it (it timed out, answered with
// an error): no half-made payment stays pending. The order stays open for another attempt.
func (s *Service) AbandonAttempt(ctx context.Context, paymentID int64, reason string) error {
	reason = truncate(reason, MaxComment)
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		q := orderq.New(tx)
		n, err := q.PaymentFailAttempt(ctx, orderq.PaymentFailAttemptParams{ID: paymentID, Comment: reason})
		if err != nil {
			return fmt.Errorf("fail payment %d: %w", paymentID, err)
		}
		if n != 1 {
			return nil // decided already (a notification arrived): nothing to abandon
		}
		p, err := q.PaymentGet(ctx, paymentID)
		if err != nil {
			return fmt.Errorf("read payment %d: %w", paymentID, err)
		}
		o, err := getOrder(ctx, tx, p.OrderID)
		if err != nil {
			return err
		}
		msg := fmt.Sprintf("Payment attempt %d abandoned: %s", paymentID, reason)
		if err := s.eventsTx(ctx, tx, o, EventAbandoned, msg); err != nil {
			return err
		}
		if err := s.audit.RecordTx(ctx, tx, "payment.abandon", "order", o.ID, map[string]any{"number": o.Number,
			"payment_id": paymentID, "reason": reason}); err != nil {
			return err
		}
		return s.deps.Events.EmitTx(ctx, tx, events.Event{Type: events.PaymentFailed, ID: paymentID})
	})
}
