package order

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order/orderq"
)

// Applying an exception to another order: a payment that arrived for the wrong order, or for one already closed,
// completes another open order of the same contact that costs exactly what was paid — through completeTx, the one
// completion workflow. The payment is recorded once, on the order it completes: the attempt its reference names is
// moved there when the exception's order has it, so Transactions count it once.

// ErrNotApplicable is returned when applying an exception to another order whose kind or state does not allow it
// (no money, no order or no contact to match, a refund under way).
var ErrNotApplicable = check.Conflict("The payment exception cannot be applied to another order.")

// EventExceptionApplied is the timeline kind of a payment applied to another order than the one it arrived for.
const EventExceptionApplied = "payment.exception_applied"

// maxApplyCandidates bounds the orders ApplyCandidates lists.
const maxApplyCandidates = 20

// Application is an admin's decision to apply an exception's payment to another order.
type Application struct {
	OrderID int64  // the open order the payment completes
	Note    string // why (required): it resolves the exception and goes to both orders' timelines
}

// CanApply reports whether x's money may complete another order: x is open and not being refunded, reports a
// positive amount for an order of a known contact, and is a payment Bursar did not apply (another amount or
// currency, a late payment, a payment through a system its order never used).
func (x ExceptionItem) CanApply() bool {
	if !x.Open() || x.RefundStatus != "" || x.OrderID == 0 || x.ContactID == 0 || x.Amount.Amount <= 0 ||
		x.Amount.Currency == "" {
		return false
	}
	switch x.Kind {
	case ExAmountMismatch, ExCurrencyMismatch, ExLatePayment, ExForeignSystem:
		return true
	}
	return false
}

// notApplicable explains why x's money cannot complete another order.
func notApplicable(x ExceptionItem) error {
	switch {
	case x.RefundStatus != "":
		return refundStateError(x.Exception)
	case x.OrderID == 0:
		return check.Conflictf(ErrNotApplicable, "Payment exception %d names no order, so no contact whose other "+
			"orders it could pay: refund it or resolve it.", x.ID)
	case x.ContactID == 0:
		return check.Conflictf(ErrNotApplicable, "Order %s has no contact yet, so no other orders to apply payment "+
			"exception %d to.", x.OrderNumber, x.ID)
	case x.Kind == ExOutsideRefund || x.Kind == ExRefundUnconfirmed:
		return check.Conflictf(ErrNotApplicable, "Payment exception %d is about a refund: there is no payment to apply.",
			x.ID)
	case x.Kind == ExNoEmail:
		return check.Conflictf(ErrNotApplicable, "Payment exception %d completed its order already: move the access "+
			"on the contact card.", x.ID)
	}
	return check.Conflictf(ErrNotApplicable, "Payment exception %d reports no amount to apply.", x.ID)
}

// applyTarget is what applying needs, read before the transaction.
type applyTarget struct {
	x      ExceptionItem
	sys    gateway.System // the exception's payment system: it took the money
	target Order
	offer  offer.Offer // the target's
}

// ApplyCandidates lists the orders exception id's payment could complete instead of its own: open orders of the
// same contact costing exactly the amount and currency paid, sold through the exception's payment system in its
// mode (payableThrough), newest first, at most 20. An exception that cannot be applied (CanApply) has none.
func (s *Service) ApplyCandidates(ctx context.Context, id int64) ([]Order, error) {
	x, err := s.Exception(ctx, id)
	if err != nil {
		return nil, err
	}
	if !x.CanApply() {
		return []Order{}, nil
	}
	sys, err := s.deps.Systems.Get(ctx, x.PaymentSystemID)
	if err != nil {
		return nil, fmt.Errorf("payment system of payment exception %d: %w", id, err)
	}
	rows, err := orderq.New(s.db).OrdersApplyCandidates(ctx, orderq.OrdersApplyCandidatesParams{
		ContactID: &x.ContactID, Amount: x.Amount.Amount, Currency: x.Amount.Currency, ExceptID: x.OrderID,
		Lim: maxApplyCandidates})
	if err != nil {
		return nil, fmt.Errorf("orders payment exception %d could pay: %w", id, err)
	}
	out := make([]Order, 0, len(rows))
	for _, r := range rows {
		o := fromRow(r)
		of, err := s.deps.Offers.Offer(ctx, o.OfferID)
		if err != nil {
			return nil, fmt.Errorf("offer of order %s: %w", o.Number, err)
		}
		why, err := s.payableThrough(ctx, o, of, sys)
		if err != nil {
			return nil, err
		}
		if why == "" {
			out = append(out, o)
		}
	}
	return out, nil
}

// payableThrough says why order o (of offer of) cannot be paid with money sys took, "" when it can: o was opened
// through sys, or its offer is sold through sys and o's own payment system is in sys's mode (test money never pays
// a live order, nor the reverse).
func (s *Service) payableThrough(ctx context.Context, o Order, of offer.Offer, sys gateway.System) (string, error) {
	if o.PaymentSystemID == sys.ID {
		return "", nil
	}
	if !slices.Contains(of.PaymentSystemIDs, sys.ID) {
		return fmt.Sprintf("is not sold through %s, which took this payment", sys.Name), nil
	}
	own, err := s.deps.Systems.Get(ctx, o.PaymentSystemID)
	if err != nil {
		return "", fmt.Errorf("payment system of order %s: %w", o.Number, err)
	}
	if own.Mode != sys.Mode {
		return fmt.Sprintf("was opened through %s in %s mode; this payment was made in %s mode", own.Name, own.Mode,
			sys.Mode), nil
	}
	return "", nil
}

// checkApply reads and checks what applying exception id to a.OrderID needs: bad input and a target that does not
// fit are field errors on order_id (422); an exception that cannot be applied, or a target no longer open, is a
// conflict (409).
func (s *Service) checkApply(ctx context.Context, id int64, a Application) (applyTarget, string, error) {
	note, err := checkNote(a.Note)
	e, _ := check.AsErrors(err)
	if e == nil {
		e = check.Errors{}
	}
	if a.OrderID <= 0 {
		e.Add("order_id", "is required: the open order the payment completes")
	}
	if err := e.Err(); err != nil {
		return applyTarget{}, "", err
	}
	x, err := s.Exception(ctx, id)
	if err != nil {
		return applyTarget{}, "", err
	}
	if !x.Open() {
		return applyTarget{}, "", resolvedError(x.Exception)
	}
	if !x.CanApply() {
		return applyTarget{}, "", notApplicable(x)
	}
	t := applyTarget{x: x}
	t.target, err = getOrder(ctx, s.db, a.OrderID)
	if errors.Is(err, check.ErrNotFound) {
		return t, "", check.Field("order_id", fmt.Sprintf("names no order (%d)", a.OrderID))
	}
	if err != nil {
		return t, "", err
	}
	o := t.target
	switch {
	case o.ID == x.OrderID:
		return t, "", check.Field("order_id", fmt.Sprintf("is order %s, the one the payment arrived for: accept or "+
			"reinstate instead", o.Number))
	case o.ContactID != x.ContactID:
		return t, "", check.Field("order_id", fmt.Sprintf("order %s belongs to another contact than order %s", o.Number,
			x.OrderNumber))
	case o.Status != StatusOpen:
		// A conflict, not bad input: a second click finds the order it chose completed by the first.
		return t, "", stateError(o, ErrNotOpen)
	case o.Price.Currency != x.Amount.Currency:
		return t, "", check.Field("order_id", fmt.Sprintf("order %s costs %s; the payment is in %s", o.Number, o.Price,
			x.Amount.Currency))
	case o.Price.Amount != x.Amount.Amount:
		return t, "", check.Field("order_id", fmt.Sprintf("order %s costs %s; the payment is %s", o.Number, o.Price,
			x.Amount))
	}
	if t.sys, err = s.deps.Systems.Get(ctx, x.PaymentSystemID); err != nil {
		return t, "", fmt.Errorf("payment system of payment exception %d: %w", id, err)
	}
	if t.offer, err = s.deps.Offers.Offer(ctx, o.OfferID); err != nil {
		return t, "", fmt.Errorf("offer of order %s: %w", o.Number, err)
	}
	why, err := s.payableThrough(ctx, o, t.offer, t.sys)
	if err != nil {
		return t, "", err
	}
	if why != "" {
		return t, "", check.Field("order_id", "order "+o.Number+" "+why)
	}
	return t, note, nil
}

// ApplyException completes another open order with the money exception id reports, in one transaction with the
// exception resolved: the target (a.OrderID) must be open, of the same contact as the exception's order, cost
// exactly the amount and currency paid, and be payable through the exception's payment system (payableThrough).
// The payment becomes the target's — the exception's order's attempt under the same reference is moved there, or
// a payment is recorded — and the target completes through completeTx: its products granted, the confirmation
// e-mailed, both orders' timelines and the audit log written.
//
// Bad input and a target that does not fit are field errors on order_id; an exception resolved already, being
// refunded, or of a kind without money to apply (CanApply) is a conflict; a target not open (decided meanwhile) is
// ErrNotOpen, one being decided right now ErrBusy. Each leaves everything as it was. It returns the exception resolved and the order completed.
func (s *Service) ApplyException(ctx context.Context, id int64, a Application) (Exception, Order, error) {
	t, note, err := s.checkApply(ctx, id, a)
	if err != nil {
		return Exception{}, Order{}, err
	}
	x, sys := t.x, t.sys
	var (
		out       Exception
		completed Order
	)
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		resolution := fmt.Sprintf("Applied %s through %s to order %s (it arrived for order %s): %s", x.Amount,
			sys.Name, t.target.Number, x.OrderNumber, note)
		if out, err = resolveIdleTx(ctx, tx, id, resolution); err != nil {
			return err
		}
		o, err := lockedOrder(ctx, tx, t.target.ID)
		if err != nil {
			return err
		}
		if o.Status != StatusOpen {
			return stateError(o, ErrNotOpen)
		}
		if o.ContactID != x.ContactID || o.Price != x.Amount {
			return check.Conflictf(nil, "Order %s changed meanwhile; reload and choose again.", o.Number)
		}
		ps, err := movedPayment(ctx, tx, x.Exception, sys, &o)
		if err != nil {
			return err
		}
		o, err = s.completeTx(ctx, tx, completion{order: o, offer: t.offer, sys: sys, price: x.Amount,
			note: truncate(note, MaxComment), pay: ps,
			event: fmt.Sprintf("Order %s completed: %s payment %s of %s, which arrived for order %s, applied from "+
				"payment exception %d — %s", o.Number, sys.Name, x.GatewayRef, x.Amount, x.OrderNumber, x.ID, note),
			action: "order.complete", details: map[string]any{"number": o.Number, "payment_system_id": sys.ID,
				"gateway_ref": x.GatewayRef, "exception_id": x.ID, "applied_from_order_id": x.OrderID,
				"amount": x.Amount.Amount, "currency": x.Amount.Currency}})
		if err != nil {
			return err
		}
		completed = o
		src, err := getOrder(ctx, tx, x.OrderID)
		if err != nil {
			return err
		}
		if err := s.eventsTx(ctx, tx, src, EventExceptionApplied, fmt.Sprintf("%s payment %s of %s (payment "+
			"exception %d) applied to order %s — %s", sys.Name, x.GatewayRef, x.Amount, x.ID, o.Number, note)); err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, "payment_exception.apply", "payment_exception", id, map[string]any{
			"kind": x.Kind, "order_id": x.OrderID, "number": x.OrderNumber, "applied_to_order_id": o.ID,
			"applied_to_number": o.Number, "payment_system_id": sys.ID, "gateway_ref": x.GatewayRef,
			"amount": x.Amount.Amount, "currency": x.Amount.Currency, "note": note})
	})
	if err != nil {
		return Exception{}, Order{}, err
	}
	return out, completed, nil
}

// movedPayment is the payment of exception x's money on order o (locked): the attempt of x's order that x's
// reference names is moved to o (the reference stays unique, and the money is recorded once), else o's own
// attempt or a new payment (acceptedPayment). An attempt settled already is a conflict.
func movedPayment(ctx context.Context, tx pgx.Tx, x Exception, sys gateway.System, o *Order) (paySuccess, error) {
	if x.GatewayRef != "" && x.OrderID != o.ID {
		src, err := getOrder(ctx, tx, x.OrderID)
		if err != nil {
			return paySuccess{}, err
		}
		if p, found := paymentByRef(src, sys.ID, x.GatewayRef); found {
			if settled(p.Status) {
				return paySuccess{}, check.Conflictf(nil, "Payment %s of order %s is recorded already (payment %d): "+
					"resolve the exception instead.", x.GatewayRef, src.Number, p.ID)
			}
			n, err := orderq.New(tx).PaymentMove(ctx, orderq.PaymentMoveParams{ID: p.ID, FromOrderID: src.ID,
				ToOrderID: o.ID})
			if err != nil {
				return paySuccess{}, fmt.Errorf("move payment %d to order %s: %w", p.ID, o.Number, err)
			}
			if n != 1 {
				return paySuccess{}, check.Conflictf(nil, "Payment %d changed meanwhile; reload to see what changed.", p.ID)
			}
			p.OrderID = o.ID
			o.Payments = append(o.Payments, p)
			return paySuccess{attempt: p, found: true, from: openAttempt, amount: x.Amount, paidOn: today(),
				comment:    fmt.Sprintf("applied from payment exception %d (arrived for order %s)", x.ID, src.Number),
				setComment: true, ref: x.GatewayRef}, nil
		}
	}
	return acceptedPayment(*o, sys, x, true)
}

// resolveIdleTx resolves exception id with note inside tx when it is open and no refund of it is under way, or
// explains why it cannot.
func resolveIdleTx(ctx context.Context, tx pgx.Tx, id int64, note string) (Exception, error) {
	q := orderq.New(tx)
	r, err := q.ExceptionResolveIdle(ctx, orderq.ExceptionResolveIdleParams{ID: id,
		Resolution: truncate(note, MaxComment), ResolvedBy: audit.ActorFrom(ctx).Label})
	if errors.Is(err, pgx.ErrNoRows) {
		cur, err := q.ExceptionGet(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return Exception{}, exceptionNotFound(id)
		}
		if err != nil {
			return Exception{}, fmt.Errorf("read payment exception %d: %w", id, err)
		}
		x := exceptionFromRow(cur)
		if !x.Open() {
			return Exception{}, resolvedError(x)
		}
		if err := refundStateError(x); err != nil {
			return Exception{}, err
		}
		return Exception{}, check.Conflictf(nil, "Payment exception %d changed meanwhile; reload to see it.", id)
	}
	if err != nil {
		return Exception{}, fmt.Errorf("resolve payment exception %d: %w", id, err)
	}
	return exceptionFromRow(r), nil
}
