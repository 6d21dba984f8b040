package order

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order/orderq"
)

// Refund statuses: a refund through a gateway is pending while the gateway is asked, then succeeded or failed.
// Refunds recorded without a gateway (the manual merchant's, and those the gateway reported) are succeeded.
const (
	RefundPending   = "pending"
	RefundSucceeded = "succeeded"
	RefundFailed    = "failed"
)

// Timeline kinds of refunds through a gateway.
const (
	EventRefundMade   = "payment.refunded"      // the gateway returned (part of) a payment
	EventRefundFailed = "payment.refund_failed" // the gateway did not make a refund: nothing changed
)

// ErrRefundInFlight is returned when the money asked for is being refunded by another request right now.
var ErrRefundInFlight = check.Conflict("A refund of this payment is being made right now; reload to see the result.")

// ErrNothingToRefund is returned when a payment has been refunded in full already.
var ErrNothingToRefund = check.Conflict("Nothing is left to refund.")

// GatewayRefund is a refund to make through the gateway that took a payment of an order.
type GatewayRefund struct {
	// PaymentID is the payment to refund; 0 means the order's only gateway payment that can still be refunded.
	PaymentID int64
	// Amount is in minor units of the payment's currency; 0 means all that is still refundable (a full refund).
	Amount int64
	// Reason is sent to the gateway with the refund and written to the refund record (≤ MaxComment).
	Reason string
}

// RefundRecord is a refund with its progress through the gateway.
type RefundRecord struct {
	Refund
	Status     string // pending, succeeded, failed
	GatewayRef string // the gateway's refund id ("" until it succeeded, and for refunds made without a gateway)
	Failure    string // why the gateway did not make it (failed refunds), for the server's log and the audit
}

// Refundable is a settled gateway payment of an order and what of it may still be refunded.
type Refundable struct {
	Payment Payment
	System  gateway.System
	// Left is the payment's amount less what has been refunded or is being refunded.
	Left money.Money
}

// RefundFailedError says the gateway did not make a refund. The refund is recorded as failed and nothing else
// changed: the payment, the order and the access are as they were.
type RefundFailedError struct {
	System string      // the payment system's name
	Amount money.Money // what was asked
	Err    error       // the provider's error
}

// Error implements error.
func (e *RefundFailedError) Error() string {
	return fmt.Sprintf("refund of %s through %s failed: %v", e.Amount, e.System, e.Err)
}

// Unwrap returns the provider's error: it wraps gateway.ErrUnavailable when the gateway could not be reached, and
// gateway.ErrUnsupported when it has no refund API.
func (e *RefundFailedError) Unwrap() error { return e.Err }

// Reason says in a few words why the refund failed, for people: nothing internal is in it.
func (e *RefundFailedError) Reason() string {
	switch {
	case errors.Is(e.Err, gateway.ErrUnavailable):
		return e.System + " could not be reached"
	case errors.Is(e.Err, gateway.ErrUnsupported):
		return e.System + " cannot refund through its API: refund in its dashboard, Bursar records it when " +
			e.System + " reports it"
	}
	return e.System + " refused the refund"
}

// refundRecordFromRow is a refund row as a RefundRecord.
func refundRecordFromRow(r orderq.Refund) RefundRecord {
	return RefundRecord{Refund: Refund{ID: r.ID, PaymentID: r.PaymentID, Amount: money.New(r.Amount, r.Currency),
		Comment: r.Comment, Actor: r.Actor, CreatedAt: r.CreatedAt}, Status: r.Status, GatewayRef: r.GatewayRef,
		Failure: r.Failure}
}

// RefundsOf lists order id's refunds, oldest first, with their status: failed and pending refunds included.
func (s *Service) RefundsOf(ctx context.Context, id int64) ([]RefundRecord, error) {
	rows, err := orderq.New(s.db).RefundsOfOrder(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("refunds of order %d: %w", id, err)
	}
	out := make([]RefundRecord, 0, len(rows))
	for _, r := range rows {
		out = append(out, refundRecordFromRow(r))
	}
	return out, nil
}

// Refundable lists order id's settled payments taken by a gateway (not the manual merchant) with what is left to
// refund of each, in payment order. An order that is not completed has nothing refundable through a gateway.
func (s *Service) Refundable(ctx context.Context, id int64) ([]Refundable, error) {
	o, err := getOrder(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if o.Status != StatusCompleted {
		return []Refundable{}, nil
	}
	return s.refundable(ctx, o)
}

// refundable is Refundable for o, read through the pool.
func (s *Service) refundable(ctx context.Context, o Order) ([]Refundable, error) {
	out := []Refundable{}
	q := orderq.New(s.db)
	for _, p := range o.Payments {
		if !settled(p.Status) || p.GatewayRef == "" {
			continue
		}
		sys, err := s.deps.Systems.Get(ctx, p.PaymentSystemID)
		if err != nil {
			return nil, fmt.Errorf("payment system of payment %d: %w", p.ID, err)
		}
		if sys.Type == gateway.TypeManual {
			continue
		}
		held, err := q.RefundHeldSum(ctx, p.ID)
		if err != nil {
			return nil, fmt.Errorf("refunds of payment %d: %w", p.ID, err)
		}
		out = append(out, Refundable{Payment: p, System: sys,
			Left: money.New(max(p.Amount.Amount-held.Held, 0), p.Amount.Currency)})
	}
	return out, nil
}

// refundTarget picks the payment req names among o's gateway payments, or o's only one with money left.
func refundTarget(o Order, rs []Refundable, req GatewayRefund) (Refundable, error) {
	if req.PaymentID != 0 {
		for _, r := range rs {
			if r.Payment.ID == req.PaymentID {
				return r, nil
			}
		}
		for _, p := range o.Payments {
			if p.ID == req.PaymentID {
				return Refundable{}, check.Field("payment_id", "is not a settled payment taken by a gateway")
			}
		}
		return Refundable{}, check.Field("payment_id", "is not a payment of this order")
	}
	var left []Refundable
	for _, r := range rs {
		if r.Left.Amount > 0 {
			left = append(left, r)
		}
	}
	switch {
	case len(left) == 1:
		return left[0], nil
	case len(left) > 1:
		return Refundable{}, check.Field("payment_id", "this order has several payments to refund: choose one")
	case len(rs) > 0:
		return rs[len(rs)-1], nil // refunded in full, or being refunded: the transaction says which
	}
	return Refundable{}, check.Conflictf(nil, "Order %s has no payment taken by a gateway to refund.", o.Number)
}

// refundGateway returns money of a completed order through the gateway that took it: all of a payment or part of
// it, any number of times until the payment is refunded in full. Money is never refunded twice nor lost:
//
//  1. Under the order's lock, the order must be completed and the amount at most what is left of the payment
//     once the refunds made and those being made are counted; the refund is written as pending and committed, so
//     a second request (another manager, a double submit, another process) counts it at once.
//  2. The gateway is asked (via), without the caller's cancellation: a person closing the page must not leave a
//     refund the gateway made unrecorded.
//  3. In a second transaction the refund becomes succeeded with the gateway's refund id, the payment refunded or
//     partially_refunded, and when all of the order's money has been returned the order becomes refunded with
//     Refund's effects (the grants it created revoked, timelines, e-mail, audit). If the gateway did not make it,
//     the refund becomes failed, nothing else changes, and the error is a *RefundFailedError.
//
// The gateway is asked with the idempotency key refundKey. A refund left pending by a crash between 2 and 3 is
// settled by the periodic re-check (SettleRefunds), which asks again with that key or hands it to a human.
//
// The gateway's own notification of the refund (Stripe's charge.refunded), arriving before or after step 3, finds
// the refund counted and is "refund_known". Orders paid through the manual merchant are refunded with Refund.
func (s *Service) refundGateway(ctx context.Context, orderID int64, req GatewayRefund, via Refunder) (RefundRecord, error) {
	req.Reason = strings.TrimSpace(req.Reason)
	e := check.Errors{}
	e.Text("reason", req.Reason, false, MaxComment)
	if req.Amount < 0 {
		e.Add("amount", "must be greater than zero")
	}
	if req.Amount > money.MaxAmount {
		e.Add("amount", "is too large")
	}
	if req.PaymentID < 0 {
		e.Add("payment_id", "is not a payment of this order")
	}
	if err := e.Err(); err != nil {
		return RefundRecord{}, err
	}
	// Payment systems are read before the transaction, which then uses one connection only.
	cur, err := getOrder(ctx, s.db, orderID)
	if err != nil {
		return RefundRecord{}, err
	}
	if cur.Status != StatusCompleted {
		return RefundRecord{}, stateError(cur, ErrNotCompleted)
	}
	rs, err := s.refundable(ctx, cur)
	if err != nil {
		return RefundRecord{}, err
	}
	target, err := refundTarget(cur, rs, req)
	if err != nil {
		return RefundRecord{}, err
	}
	sys := target.System
	var (
		pending orderq.Refund
		pay     Payment
	)
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		o, err := lockedOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if o.Status != StatusCompleted {
			return stateError(o, ErrNotCompleted)
		}
		p, ok := paymentByID(o, target.Payment.ID)
		if !ok || !settled(p.Status) {
			return check.Conflictf(nil, "Payment %d is no longer settled; reload to see what changed.", target.Payment.ID)
		}
		q := orderq.New(tx)
		held, err := q.RefundHeldSum(ctx, p.ID)
		if err != nil {
			return fmt.Errorf("refunds of payment %d: %w", p.ID, err)
		}
		left := p.Amount.Amount - held.Held
		amount := req.Amount
		if amount == 0 {
			amount = left
		}
		switch {
		case left <= 0 && held.InFlight > 0, amount > left && held.InFlight > 0:
			return check.Conflictf(ErrRefundInFlight, "%s of payment %d is being refunded right now; reload to see the result.",
				money.New(held.InFlight, p.Amount.Currency), p.ID)
		case left <= 0:
			return check.Conflictf(ErrNothingToRefund, "Payment %d of order %s was refunded in full already.", p.ID, o.Number)
		case amount > left:
			return check.Field("amount", fmt.Sprintf("must be at most %s, what is left to refund of this payment",
				money.New(left, p.Amount.Currency)))
		}
		actor := audit.ActorFrom(ctx).Label
		pending, err = q.RefundInsertPending(ctx, orderq.RefundInsertPendingParams{PaymentID: p.ID, Amount: amount,
			Currency: p.Amount.Currency, Comment: req.Reason, Actor: actor})
		if err != nil {
			return fmt.Errorf("refund payment %d: %w", p.ID, err)
		}
		pay = p
		return s.audit.RecordTx(ctx, tx, "payment.refund_request", "order", o.ID, map[string]any{
			"number": o.Number, "payment_id": p.ID, "refund_id": pending.ID, "payment_system_id": sys.ID,
			"amount": amount, "currency": p.Amount.Currency, "reason": req.Reason})
	})
	if err != nil {
		return RefundRecord{}, err
	}
	// From here on the refund must be recorded whatever happens to the caller.
	ctx = context.WithoutCancel(ctx)
	amount := money.New(pending.Amount, pending.Currency)
	res, gerr := via.Refund(ctx, sys, gateway.RefundRequest{Ref: pay.GatewayRef, Amount: amount, Reason: req.Reason,
		IdempotencyKey: refundKey(pay, pending)})
	if gerr == nil && (res.Status == "failed" || res.Status == "canceled") {
		gerr = fmt.Errorf("%s answered refund %s with status %s", sys.Name, res.ID, res.Status)
	}
	if gerr != nil {
		fail := &RefundFailedError{System: sys.Name, Amount: amount, Err: gerr}
		if err := s.refundFailed(ctx, orderID, pending, fail); err != nil {
			return RefundRecord{}, errors.Join(fail, err)
		}
		return RefundRecord{}, fail
	}
	return s.refundMade(ctx, orderID, sys, pay, pending, res)
}

// refundKey is the idempotency key refund rf of payment p is asked of the gateway with, the first time and again by
// the re-check: the payment's reference makes it unique across installations sharing a gateway account.
func refundKey(p Payment, rf orderq.Refund) string {
	return fmt.Sprintf("bursar-refund-%s-%d", p.GatewayRef, rf.ID)
}

// paymentByID is o's payment id.
func paymentByID(o Order, id int64) (Payment, bool) {
	for _, p := range o.Payments {
		if p.ID == id {
			return p, true
		}
	}
	return Payment{}, false
}

// refundMade records what the gateway made of the pending refund rf of payment p: the refund succeeded, the payment
// (partially) refunded, and the order refunded with its access revoked once all of its money is back.
func (s *Service) refundMade(ctx context.Context, orderID int64, sys gateway.System, p Payment, rf orderq.Refund, res gateway.RefundResult) (RefundRecord, error) {
	policy, err := s.refundPolicy(ctx, orderID)
	if err != nil {
		return RefundRecord{}, err
	}
	var out RefundRecord
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if err := recordFault(ctx, "refund_made"); err != nil {
			return err
		}
		q := orderq.New(tx)
		r, err := q.OrderLockWait(ctx, orderID)
		if err != nil {
			return fmt.Errorf("lock order %d: %w", orderID, err)
		}
		o := fromRow(r)
		if err := attachPayments(ctx, tx, []*Order{&o}); err != nil {
			return err
		}
		n, err := q.RefundSucceed(ctx, orderq.RefundSucceedParams{ID: rf.ID, GatewayRef: res.ID})
		if err != nil {
			return fmt.Errorf("refund %d succeeded: %w", rf.ID, err)
		}
		if n != 1 {
			return check.Conflictf(nil, "Refund %d is no longer pending; reload to see the result.", rf.ID)
		}
		done, err := q.RefundSucceededSum(ctx, p.ID)
		if err != nil {
			return fmt.Errorf("refunds of payment %d: %w", p.ID, err)
		}
		status := PaymentPartiallyRefunded
		if done >= p.Amount.Amount {
			status = PaymentRefunded
		}
		for _, from := range []string{PaymentSucceeded, PaymentPartiallyRefunded} {
			if _, err := q.PaymentSetStatus(ctx, orderq.PaymentSetStatusParams{ID: p.ID, Status: status,
				FromStatus: from}); err != nil {
				return fmt.Errorf("payment %d %s: %w", p.ID, status, err)
			}
		}
		for i := range o.Payments {
			if o.Payments[i].ID == p.ID && settled(o.Payments[i].Status) {
				o.Payments[i].Status = status
			}
		}
		amount := money.New(rf.Amount, rf.Currency)
		msg := fmt.Sprintf("Refund of %s of payment %d returned through %s (%s)", amount, p.ID, sys.Name, res.ID)
		if rf.Comment != "" {
			msg += ": " + rf.Comment
		}
		if err := s.eventsTx(ctx, tx, o, EventRefundMade, msg); err != nil {
			return err
		}
		if err := s.audit.RecordTx(ctx, tx, "payment.refund", "order", o.ID, map[string]any{"number": o.Number,
			"payment_id": p.ID, "refund_id": rf.ID, "gateway_refund_id": res.ID, "gateway_status": res.Status,
			"amount": rf.Amount, "currency": rf.Currency, "payment_status": status}); err != nil {
			return err
		}
		rf.Status, rf.GatewayRef = RefundSucceeded, res.ID
		out = refundRecordFromRow(rf)
		if o.Status != StatusCompleted || !allRefunded(o) {
			return nil
		}
		note := fmt.Sprintf("refunded through %s (%s)", sys.Name, res.ID)
		if rf.Comment != "" {
			note += ": " + rf.Comment
		}
		_, err = s.refundedTx(ctx, tx, o.ID, refundal{note: truncate(note, MaxComment), access: policy})
		return err
	})
	return out, err
}

// allRefunded reports whether every settled payment of o is refunded in full (and o has one).
func allRefunded(o Order) bool {
	n := 0
	for _, p := range o.Payments {
		if !settled(p.Status) {
			continue
		}
		if p.Status != PaymentRefunded {
			return false
		}
		n++
	}
	return n > 0
}

// refundFailed records that the gateway did not make the pending refund rf: the refund failed, the timeline and the
// audit log say why; the payment and the order are untouched.
func (s *Service) refundFailed(ctx context.Context, orderID int64, rf orderq.Refund, fail *RefundFailedError) error {
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if err := recordFault(ctx, "refund_failed"); err != nil {
			return err
		}
		q := orderq.New(tx)
		n, err := q.RefundFail(ctx, orderq.RefundFailParams{ID: rf.ID, Failure: truncate(fail.Err.Error(), MaxComment)})
		if err != nil {
			return fmt.Errorf("refund %d failed: %w", rf.ID, err)
		}
		if n != 1 {
			return check.Conflictf(nil, "Refund %d is no longer pending; reload to see the result.", rf.ID)
		}
		o, err := getOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		msg := fmt.Sprintf("Refund of %s of payment %d not made: %s; nothing changed", fail.Amount, rf.PaymentID,
			fail.Reason())
		if err := s.eventsTx(ctx, tx, o, EventRefundFailed, msg); err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, "payment.refund_fail", "order", o.ID, map[string]any{"number": o.Number,
			"payment_id": rf.PaymentID, "refund_id": rf.ID, "amount": rf.Amount, "currency": rf.Currency,
			"unavailable": errors.Is(fail.Err, gateway.ErrUnavailable), "error": truncate(fail.Err.Error(), MaxComment)})
	})
}

// RefundInput is a refund of an order, as the admin and the API ask for it.
type RefundInput struct {
	// PaymentID is the gateway payment to refund; 0 means the order's only one that can still be refunded.
	// Orders paid through the manual merchant ignore it.
	PaymentID int64
	// Amount is in minor units of the payment's currency; 0 means all that is left. An order paid through the
	// manual merchant is refunded in full: any other amount than its price is refused.
	Amount int64
	// Reason is the refund's comment: sent to the gateway and written to the refund record and the timeline.
	Reason string
}

// RefundOrder refunds order id, deciding how inside: an order with a payment taken by a gateway is refunded
// through that gateway (Deps.Gateway; see refundGateway for how money is never refunded twice nor lost), any other
// is recorded as refunded in full (Refund). The order is returned as it is afterwards, with the gateway's refund
// record (zero for a refund made without a gateway). The admin and the API both call it.
func (s *Service) RefundOrder(ctx context.Context, id int64, in RefundInput) (Order, RefundRecord, error) {
	rs, err := s.Refundable(ctx, id)
	if err != nil {
		return Order{}, RefundRecord{}, err
	}
	if len(rs) == 0 {
		if in.Amount != 0 {
			o, err := s.Get(ctx, id)
			if err != nil {
				return Order{}, RefundRecord{}, err
			}
			if in.Amount != o.Price.Amount {
				return Order{}, RefundRecord{}, check.Field("amount",
					"an order paid through a manual payment system is refunded in full: leave amount out")
			}
		}
		o, err := s.Refund(ctx, id, in.Reason)
		return o, RefundRecord{}, err
	}
	rec, err := s.refundGateway(ctx, id, GatewayRefund(in), s.deps.Gateways)
	if err != nil {
		return Order{}, rec, err
	}
	o, err := s.Get(ctx, id)
	return o, rec, err
}
