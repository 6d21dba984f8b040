package order

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
)

// Reinstating: a payment that arrived late for an order no longer open — refunded, expired or rejected by its
// deadline, cancelled — completes that order again, through completeTx (the one completion workflow, from the
// order's final status): the payment recorded once, the products granted again, the confirmation e-mailed, the
// timelines and the audit log written.

// ErrNotReinstatable is returned when reinstating an exception that is not a late payment for a final order that
// completes again (see CanReinstate).
var ErrNotReinstatable = check.Conflict("The order cannot be reinstated by this payment exception.")

// reinstatable lists the final statuses a late payment may complete an order from: every one but completed.
var reinstatable = []Status{StatusRefunded, StatusExpired, StatusRejected, StatusCancelled}

// CanReinstate reports whether x's money may complete its order again: x is an open late payment, not being
// refunded, with a positive amount, for an order of a known contact that is refunded, expired, rejected or
// cancelled. (The amount must also be the order's price; ReinstateException checks it against the order.)
func (x ExceptionItem) CanReinstate() bool {
	return x.Open() && x.RefundStatus == "" && x.Kind == ExLatePayment && x.OrderID > 0 && x.ContactID > 0 &&
		x.Amount.Amount > 0 && x.Amount.Currency != "" && slices.Contains(reinstatable, x.OrderStatus)
}

// notReinstatable explains why x's money cannot complete its order again.
func notReinstatable(x ExceptionItem) error {
	switch {
	case x.RefundStatus != "":
		return refundStateError(x.Exception)
	case x.Kind != ExLatePayment:
		return check.Conflictf(ErrNotReinstatable, "Payment exception %d is not a late payment for a closed order: "+
			"only such a payment reinstates its order.", x.ID)
	case x.OrderID == 0 || x.ContactID == 0:
		return check.Conflictf(ErrNotReinstatable, "Payment exception %d names no order with a contact to reinstate.",
			x.ID)
	case !slices.Contains(reinstatable, x.OrderStatus):
		return check.Conflictf(ErrNotReinstatable, "Order %s is %s: only a refunded, expired, rejected or cancelled "+
			"order is reinstated.", x.OrderNumber, x.OrderStatus)
	}
	return check.Conflictf(ErrNotReinstatable, "Payment exception %d reports no amount to reinstate with.", x.ID)
}

// ReinstateException completes exception id's order again with the late payment it reports, in one transaction
// with the exception resolved: the order (refunded, expired, rejected or cancelled, and still in that status under
// its lock) completes through completeTx from that status at its price, which the payment must match in amount and
// currency (else a conflict: accept it as an extra payment, apply it to another order, or refund it). The payment
// is recorded once (the attempt its reference names, or a new one), the products are granted again, the
// confirmation is e-mailed, and the timelines and the audit log say it was reinstated. A second click, another
// admin or a refund under way is a conflict and changes nothing.
func (s *Service) ReinstateException(ctx context.Context, id int64, note string) (Exception, error) {
	note, err := checkNote(note)
	if err != nil {
		return Exception{}, err
	}
	x, err := s.Exception(ctx, id)
	if err != nil {
		return Exception{}, err
	}
	if !x.Open() {
		return Exception{}, resolvedError(x.Exception)
	}
	if !x.CanReinstate() {
		return Exception{}, notReinstatable(x)
	}
	cur, err := getOrder(ctx, s.db, x.OrderID)
	if err != nil {
		return Exception{}, err
	}
	if cur.Price != x.Amount {
		return Exception{}, check.Conflictf(ErrNotReinstatable, "Order %s costs %s; payment exception %d reports %s: "+
			"accept it as an extra payment, apply it to another order, or refund it.", cur.Number, cur.Price, id, x.Amount)
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
		resolution := fmt.Sprintf("Reinstated %s order %s with %s through %s: %s", cur.Status, cur.Number, x.Amount,
			sys.Name, note)
		if out, err = resolveIdleTx(ctx, tx, id, resolution); err != nil {
			return err
		}
		o, err := lockedOrder(ctx, tx, x.OrderID)
		if err != nil {
			return err
		}
		if o.Status != cur.Status || o.Price != x.Amount {
			return stateError(o, ErrNotReinstatable)
		}
		ps, err := acceptedPayment(o, sys, x.Exception, true)
		if err != nil {
			return err
		}
		ps.comment = fmt.Sprintf("reinstated the order from payment exception %d", x.ID)
		from := o.Status
		o, err = s.completeTx(ctx, tx, completion{order: o, from: from, offer: of, sys: sys, price: x.Amount,
			note: truncate(note, MaxComment), pay: ps,
			event: fmt.Sprintf("Order %s reinstated (it was %s): %s payment %s of %s from payment exception %d — %s",
				o.Number, from, sys.Name, x.GatewayRef, x.Amount, x.ID, note),
			action: "order.reinstate", details: map[string]any{"number": o.Number, "from_status": from,
				"payment_system_id": sys.ID, "gateway_ref": x.GatewayRef, "exception_id": x.ID,
				"amount": x.Amount.Amount, "currency": x.Amount.Currency}})
		if err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, "payment_exception.reinstate", "payment_exception", id, map[string]any{
			"kind": x.Kind, "order_id": o.ID, "number": o.Number, "from_status": from, "payment_system_id": sys.ID,
			"gateway_ref": x.GatewayRef, "amount": x.Amount.Amount, "currency": x.Amount.Currency, "note": note})
	})
	if err != nil {
		return Exception{}, err
	}
	return out, nil
}
