package order

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order/orderq"
)

// settled reports whether a payment in status means money that arrived.
func settled(status string) bool {
	return status == PaymentSucceeded || status == PaymentRefunded || status == PaymentPartiallyRefunded
}

// paidTx applies a verified payment to o (locked): a payment already applied is a duplicate; a final order, or an
// amount or currency other than the order's, opens an exception and changes nothing else; else the order
// completes with the manual Approve's effects (grants, timelines, e-mail, audit).
func (s *Service) paidTx(ctx context.Context, tx pgx.Tx, pre prepared, o Order, ev gateway.Event, row *eventRow) (Outcome, error) {
	sys := pre.sys
	p, hasRef := paymentByRef(o, sys.ID, ev.Ref)
	if hasRef && settled(p.Status) {
		return Outcome{Result: ResultAlreadyPaid}, nil
	}
	if o.Status != StatusOpen {
		return s.exceptionOutcome(ctx, tx, ExLatePayment, o, sys, ev, row, fmt.Sprintf(
			"%s payment %s of %s arrived for order %s, which is already %s", sys.Name, ev.Ref, ev.Amount, o.Number, o.Status))
	}
	if ev.Amount.Currency != o.Price.Currency {
		return s.exceptionOutcome(ctx, tx, ExCurrencyMismatch, o, sys, ev, row, fmt.Sprintf(
			"%s payment %s of %s for order %s, which costs %s: the order stays open", sys.Name, ev.Ref, ev.Amount,
			o.Number, o.Price))
	}
	if ev.Amount.Amount != o.Price.Amount {
		return s.exceptionOutcome(ctx, tx, ExAmountMismatch, o, sys, ev, row, fmt.Sprintf(
			"%s payment %s of %s for order %s, which costs %s: the order stays open", sys.Name, ev.Ref, ev.Amount,
			o.Number, o.Price))
	}
	var payer payerOf
	if o.ContactID == 0 {
		var err error
		if payer, err = s.payerTx(ctx, tx, o, sys, ev); err != nil {
			return Outcome{}, err
		}
		o.ContactID = payer.contact.ID
	}
	if !hasRef {
		p, hasRef = unreferencedAttempt(o, sys.ID)
	}
	// The notification's line goes with the order.completed one, in one statement, when "completed" is all it did
	// (a placeholder payer adds an exception to the result, and applyTx writes the line).
	var line string
	if !payer.contact.Placeholder {
		line = gatewayLine(sys, ev, ResultCompleted)
	}
	o, err := s.completeTx(ctx, tx, completion{order: o, offer: pre.offer, sys: sys, price: o.Price, line: line,
		note: truncate(fmt.Sprintf("paid through %s (%s)", sys.Name, ev.Ref), MaxComment),
		pay: paySuccess{attempt: p, found: hasRef, from: openAttempt, amount: ev.Amount, paidOn: today(),
			ref: ev.Ref, altRef: ev.AltRef, payerEmail: ev.PayerEmail},
		event: fmt.Sprintf("Order %s completed: %s payment %s of %s (event %s)", o.Number, sys.Name, ev.Ref,
			ev.Amount, ev.ID),
		payer: payer, action: "order.complete", details: map[string]any{"number": o.Number,
			"payment_system_id": sys.ID, "gateway_ref": ev.Ref, "event_id": ev.ID, "amount": ev.Amount.Amount,
			"currency": ev.Amount.Currency, "guest": payer.contact.ID != 0}})
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{Result: ResultCompleted, lineWritten: line != ""}
	if !payer.contact.Placeholder {
		return out, nil
	}
	// Access went to a placeholder contact: a human must find the payer in the gateway and move it to them.
	x, err := s.exceptionOutcome(ctx, tx, ExNoEmail, o, sys, ev, row, fmt.Sprintf(
		"%s payment %s of %s completed order %s without the payer's e-mail: access went to the placeholder contact %s; "+
			"find the payer in %s and move the access to them", sys.Name, ev.Ref, ev.Amount, o.Number,
		payer.contact.Email, sys.Name))
	x.Result = out.Result + "+" + x.Result
	return x, err
}

// unreferencedAttempt is o's latest open attempt through systemID that has no gateway reference yet.
func unreferencedAttempt(o Order, systemID int64) (Payment, bool) {
	for i := len(o.Payments) - 1; i >= 0; i-- {
		p := o.Payments[i]
		if p.PaymentSystemID == systemID && p.GatewayRef == "" &&
			(p.Status == PaymentPending || p.Status == PaymentProcessing) {
			return p, true
		}
	}
	return Payment{}, false
}

// gatewayRefundTx records money the gateway returned. ev.RefundedAmount is the payment's refunded total: what Bursar has
// recorded already (refunds succeeded, and those RefundOrder is making) is subtracted, and the rest is a refund
// Bursar did not start (made in the gateway's dashboard), recorded and opened as an outside_refund exception. A full
// refund of a completed order makes it refunded and revokes the access it granted (Refund's effects); a partial one
// only marks the payment.
func (s *Service) gatewayRefundTx(ctx context.Context, tx pgx.Tx, pre prepared, o Order, ev gateway.Event, row *eventRow) (Outcome, error) {
	sys := pre.sys
	q := orderq.New(tx)
	p, ok, err := refundedPayment(ctx, tx, o, sys.ID, ev)
	if err == nil && !ok {
		var known bool
		if known, err = refundedFromInbox(ctx, tx, sys.ID, ev); err == nil && known {
			return Outcome{Result: ResultRefundKnown}, nil
		}
	}
	if err != nil || !ok {
		if err == nil {
			return s.exceptionOutcome(ctx, tx, ExOutsideRefund, o, sys, ev, row, fmt.Sprintf(
				"%s refunded %s of %s for order %s, which has no payment through it", sys.Name, ev.Ref, ev.Amount, o.Number))
		}
		return Outcome{}, err
	}
	// A refund Bursar made through the gateway (RefundOrder) is counted from the moment it was asked for: its
	// notification may arrive before the gateway's answer has been recorded.
	held, err := q.RefundHeldSum(ctx, p.ID)
	if err != nil {
		return Outcome{}, fmt.Errorf("refunds of payment %d: %w", p.ID, err)
	}
	total := ev.RefundedAmount
	if ev.RefundRef != "" {
		// The gateway reports this one refund, not the running total: it is Bursar's own (recorded, or still being
		// asked for) or one more made in the gateway's dashboard.
		known, err := q.RefundKnown(ctx, orderq.RefundKnownParams{PaymentID: p.ID, GatewayRef: ev.RefundRef,
			Amount: ev.RefundedAmount})
		if err != nil {
			return Outcome{}, fmt.Errorf("refunds of payment %d: %w", p.ID, err)
		}
		if known {
			return Outcome{Result: ResultRefundKnown}, nil
		}
		total = held.Held + ev.RefundedAmount
	}
	add := total - held.Held
	if add <= 0 {
		return Outcome{Result: ResultRefundKnown}, nil
	}
	actor := audit.ActorFrom(ctx).Label
	note := fmt.Sprintf("refunded in %s (event %s)", sys.Name, ev.ID)
	if _, err := q.RefundInsert(ctx, orderq.RefundInsertParams{PaymentID: p.ID, Amount: add,
		Currency: p.Amount.Currency, Comment: note, Actor: actor, GatewayRef: ev.RefundRef}); err != nil {
		return Outcome{}, fmt.Errorf("refund payment %d: %w", p.ID, err)
	}
	full := total >= p.Amount.Amount
	status, result := PaymentPartiallyRefunded, ResultPartRefunded
	if full {
		status, result = PaymentRefunded, ResultRefunded
	}
	for _, from := range []string{PaymentSucceeded, PaymentPartiallyRefunded} {
		if _, err := q.PaymentSetStatus(ctx, orderq.PaymentSetStatusParams{ID: p.ID, Status: status,
			FromStatus: from}); err != nil {
			return Outcome{}, fmt.Errorf("payment %d %s: %w", p.ID, status, err)
		}
	}
	if full && o.Status == StatusCompleted {
		if _, err := s.refundedTx(ctx, tx, o.ID, refundal{note: note, access: pre.offer.RefundAccess}); err != nil {
			return Outcome{}, err
		}
	}
	x, err := s.exceptionOutcome(ctx, tx, ExOutsideRefund, o, sys, ev, row, fmt.Sprintf(
		"%s %s of payment %s of order %s was refunded outside Bursar (%s)", sys.Name, money.New(add, p.Amount.Currency),
		p.GatewayRef, o.Number, result))
	x.Result = result + "+" + x.Result
	return x, err
}

// refundedPayment is the payment of o that ev's reference names (its session or PaymentIntent), else o's only
// settled payment through systemID.
func refundedPayment(ctx context.Context, tx pgx.Tx, o Order, systemID int64, ev gateway.Event) (Payment, bool, error) {
	for _, ref := range []string{ev.Ref, ev.AltRef} {
		if ref == "" {
			continue
		}
		r, err := orderq.New(tx).PaymentByRef(ctx, orderq.PaymentByRefParams{PaymentSystemID: systemID, Ref: ref})
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return Payment{}, false, fmt.Errorf("payment by reference %q: %w", ref, err)
		}
		if r.OrderID == o.ID {
			return paymentFromRow(r), true, nil
		}
	}
	var found []Payment
	for _, p := range o.Payments {
		if p.PaymentSystemID == systemID && settled(p.Status) {
			found = append(found, p)
		}
	}
	if len(found) == 1 {
		return found[0], true, nil
	}
	return Payment{}, false, nil
}
