package order

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
)

// Accepting an exception: an admin takes the money a gateway reported. Another amount or currency for an open
// order completes it (completeTx, the one completion workflow, at the reported price); a late payment for a final
// order is recorded as an extra payment.

// ErrNotAcceptable is returned when accepting an exception whose kind has no money to take (an outside refund, a
// payment without an order, a missing e-mail) or whose order is in a state the kind does not allow.
var ErrNotAcceptable = check.Conflict("The payment exception cannot be accepted.")

// Acceptance is an admin's decision to take the money an exception reports.
type Acceptance struct {
	// Note says why (required); it resolves the exception and goes to the order's timeline, never to the payer.
	Note string
	// PayerEmail names the payer of an order paid without signing in that has no contact yet (the gateway's event
	// usually shows it). Empty: access goes to a placeholder contact and a no_email exception is opened, as when
	// the gateway reports no e-mail.
	PayerEmail string
}

// AcceptException takes the money exception id reports, in one transaction with the exception resolved:
//
//   - amount_mismatch, currency_mismatch, the order still open: the payment is recorded as the gateway reported it
//     (its amount and currency; fee and net computed as for any payment through the system), the order completes
//     at that price, its products are granted, the confirmation e-mail is queued and the timelines written — the
//     effects of a verified payment;
//   - late_payment, the order final: the money is recorded as an extra succeeded payment on the order; nothing is
//     granted again.
//
// Other kinds, and orders in another state, are ErrNotAcceptable; an exception resolved already (by another admin)
// is a conflict, and nothing changes.
func (s *Service) AcceptException(ctx context.Context, id int64, a Acceptance) (Exception, error) {
	note, err := checkNote(a.Note)
	e, _ := check.AsErrors(err)
	if e == nil {
		e = check.Errors{}
	}
	email := check.NormalizeEmail(a.PayerEmail)
	e.Email("payer_email", email, false)
	if err := e.Err(); err != nil {
		return Exception{}, err
	}
	// Read what the action needs from other modules first: inside the transaction only tx is used.
	x, err := s.Exception(ctx, id)
	if err != nil {
		return Exception{}, err
	}
	if !x.Open() {
		return Exception{}, resolvedError(x.Exception)
	}
	if !x.CanAccept() {
		return Exception{}, notAcceptable(x)
	}
	cur, err := getOrder(ctx, s.db, x.OrderID)
	if err != nil {
		return Exception{}, err
	}
	of, err := s.deps.Offers.Offer(ctx, cur.OfferID)
	if err != nil {
		return Exception{}, fmt.Errorf("offer of order %s: %w", cur.Number, err)
	}
	sys, err := s.deps.Systems.Get(ctx, x.PaymentSystemID)
	if err != nil {
		return Exception{}, fmt.Errorf("payment system of payment exception %d: %w", id, err)
	}
	var out Exception
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		resolution := fmt.Sprintf("Accepted %s through %s for order %s: %s", x.Amount, sys.Name, cur.Number, note)
		if out, err = resolveTx(ctx, tx, id, resolution); err != nil {
			return err
		}
		o, err := lockedOrder(ctx, tx, x.OrderID)
		if err != nil {
			return err
		}
		if x.Kind == ExLatePayment {
			err = s.acceptLateTx(ctx, tx, o, sys, out, note)
		} else {
			err = s.acceptCompleteTx(ctx, tx, o, of, sys, out, note, email)
		}
		if err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, "payment_exception.accept", "payment_exception", id, map[string]any{
			"kind": x.Kind, "order_id": o.ID, "number": o.Number, "payment_system_id": sys.ID,
			"gateway_ref": x.GatewayRef, "amount": x.Amount.Amount, "currency": x.Amount.Currency, "note": note})
	})
	if err != nil {
		return Exception{}, err
	}
	return out, nil
}

// notAcceptable explains why x's money cannot be taken.
func notAcceptable(x ExceptionItem) error {
	switch {
	case x.Kind == ExForeignSystem:
		return check.Conflictf(ErrNotAcceptable, "Payment exception %d came through a payment system order %s was "+
			"never paid through: refund it or resolve it.", x.ID, x.OrderNumber)
	case x.Kind == ExUnknownOrder || x.OrderID == 0:
		return check.Conflictf(ErrNotAcceptable, "Payment exception %d names no order to apply the money to: refund "+
			"it or resolve it.", x.ID)
	case x.Kind == ExOutsideRefund:
		return check.Conflictf(ErrNotAcceptable, "Payment exception %d is a refund made in the gateway: there is no "+
			"money to accept.", x.ID)
	case x.Kind == ExNoEmail:
		return check.Conflictf(ErrNotAcceptable, "Payment exception %d completed its order already: move the access "+
			"on the contact card.", x.ID)
	case x.Amount.Amount <= 0:
		return check.Conflictf(ErrNotAcceptable, "Payment exception %d reports no amount to accept.", x.ID)
	case x.Kind == ExLatePayment:
		return check.Conflictf(ErrNotAcceptable, "Order %s is %s: a late payment is accepted only on a final order.",
			x.OrderNumber, x.OrderStatus)
	}
	return check.Conflictf(ErrNotAcceptable, "Order %s is already %s: only an open order can be completed by accepting.",
		x.OrderNumber, x.OrderStatus)
}

// acceptCompleteTx completes open order o (locked) with the money exception x reported: paidTx's effects at the
// reported price.
func (s *Service) acceptCompleteTx(ctx context.Context, tx pgx.Tx, o Order, of offer.Offer, sys gateway.System,
	x Exception, note, email string) error {
	if o.Status != StatusOpen {
		return stateError(o, ErrNotOpen)
	}
	ev := gateway.Event{Type: "exception.accept", Kind: gateway.EventPaid, OrderID: o.ID, Ref: x.GatewayRef,
		Amount: x.Amount, PayerEmail: email}
	var payer payerOf
	if o.ContactID == 0 {
		var err error
		if payer, err = s.payerTx(ctx, tx, o, sys, ev); err != nil {
			return err
		}
		o.ContactID = payer.contact.ID
	}
	ps, err := acceptedPayment(o, sys, x, true)
	if err != nil {
		return err
	}
	// The admin's note is internal: the payer's e-mail carries none.
	o, err = s.completeTx(ctx, tx, completion{order: o, offer: of, sys: sys, price: x.Amount,
		note: truncate(note, MaxComment), pay: ps,
		event: fmt.Sprintf("Order %s completed: %s payment %s of %s accepted from payment exception %d — %s",
			o.Number, sys.Name, x.GatewayRef, x.Amount, x.ID, note),
		payer: payer, action: "order.complete", details: map[string]any{"number": o.Number,
			"payment_system_id": sys.ID, "gateway_ref": x.GatewayRef, "exception_id": x.ID, "amount": x.Amount.Amount,
			"currency": x.Amount.Currency, "guest": payer.contact.ID != 0}})
	if err != nil {
		return err
	}
	if !payer.contact.Placeholder {
		return nil
	}
	_, err = s.exceptionOutcome(ctx, tx, ExNoEmail, o, sys, ev, storedRow(x.GatewayEventID), fmt.Sprintf(
		"%s payment %s of %s, accepted from payment exception %d, completed order %s without the payer's e-mail: "+
			"access went to the placeholder contact %s; find the payer in %s and move the access to them", sys.Name,
		x.GatewayRef, x.Amount, x.ID, o.Number, payer.contact.Email, sys.Name))
	return err
}

// acceptLateTx records the money exception x reported for final order o (locked) as an extra payment: the order,
// its access and its e-mails stay as they are.
func (s *Service) acceptLateTx(ctx context.Context, tx pgx.Tx, o Order, sys gateway.System, x Exception, note string) error {
	if o.Status == StatusOpen {
		return check.Conflictf(ErrNotAcceptable, "Order %s is open: a late payment is accepted only on a final order.",
			o.Number)
	}
	ps, err := acceptedPayment(o, sys, x, false)
	if err != nil {
		return err
	}
	evs := &events.Batch{}
	if err := s.succeedPaymentTx(ctx, tx, &o, sys, ps, evs); err != nil {
		return err
	}
	msg := fmt.Sprintf("%s payment %s of %s, late for %s order %s, recorded from payment exception %d — %s",
		sys.Name, x.GatewayRef, x.Amount, o.Status, o.Number, x.ID, note)
	if err := s.eventsTx(ctx, tx, o, EventExceptionAccepted, msg); err != nil {
		return err
	}
	return evs.EmitTx(ctx, s.deps.Events, tx)
}

// acceptedPayment is how the money exception x reported becomes a succeeded payment of o through sys: the attempt
// its reference names (or, when completing, o's latest attempt through sys without a reference) becomes succeeded
// with the reported amount, else a new payment is recorded. A payment already settled under that reference is a
// conflict: the money is on the order already.
func acceptedPayment(o Order, sys gateway.System, x Exception, completing bool) (paySuccess, error) {
	p, found := paymentByRef(o, sys.ID, x.GatewayRef)
	if found && settled(p.Status) {
		return paySuccess{}, check.Conflictf(nil, "Payment %s of order %s is recorded already (payment %d): resolve "+
			"the exception instead.", x.GatewayRef, o.Number, p.ID)
	}
	if !found && completing {
		p, found = unreferencedAttempt(o, sys.ID)
	}
	return paySuccess{attempt: p, found: found, from: openAttempt, amount: x.Amount, paidOn: today(),
		comment: fmt.Sprintf("accepted from payment exception %d", x.ID), setComment: true, ref: x.GatewayRef}, nil
}
