package order

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/order/orderq"
)

// Refund states of a payment exception (RefundStatus): none, asked of the gateway and not recorded yet, or left
// for a human because the gateway's answer was lost and it cannot be asked again.
const (
	ExceptionRefundPending     = "pending"
	ExceptionRefundUnconfirmed = "unconfirmed"
)

// recordFaultKey carries, in tests only, a fault injected into the transaction that records a gateway's answer
// (see recordFault).
type recordFaultKey struct{}

// recordFault is the fault a test put in ctx for the recording step named step (nil in production: nothing puts
// one there). It runs inside the recording transaction, so a fault rolls the recording back as a crash would.
func recordFault(ctx context.Context, step string) error {
	if f, ok := ctx.Value(recordFaultKey{}).(func(string) error); ok {
		return f(step)
	}
	return nil
}

// RefundException returns the money exception id reports through its payment system's gateway (Deps.Gateway)
// and resolves the exception with a note naming the gateway's refund id. No transaction is open while the gateway is asked:
//
//  1. Under the exception's lock (NOWAIT), the exception must be open and not being refunded; the intent is
//     recorded (refund_status pending, with the idempotency key the gateway is asked with) and committed, so a
//     second click, another admin or another process is told at once that it is being refunded.
//  2. The gateway is asked, without the caller's cancellation.
//  3. A second transaction records the answer: the exception resolved, the order's timeline and the audit log
//     (refundAnswered). When the gateway does not make the refund the intent is cleared, the exception stays
//     open, and the error is a *RefundFailedError.
//
// An intent left pending by a crash between 2 and 3 is settled by the periodic re-check (SettleRefunds).
//
// Only exceptions for which CanRefund holds can be refunded (ErrNotRefundable otherwise): Bursar did not apply
// their money, so no payment or order changes; the order's timeline says what was returned.
func (s *Service) RefundException(ctx context.Context, id int64, note string) (Exception, gateway.RefundResult, error) {
	return s.refundException(ctx, id, note, s.deps.Gateways)
}

// refundException is RefundException through via.
func (s *Service) refundException(ctx context.Context, id int64, note string, via Refunder) (Exception, gateway.RefundResult, error) {
	note, err := checkNote(note)
	if err != nil {
		return Exception{}, gateway.RefundResult{}, err
	}
	x, err := s.Exception(ctx, id)
	if err != nil {
		return Exception{}, gateway.RefundResult{}, err
	}
	if !x.Open() {
		return Exception{}, gateway.RefundResult{}, resolvedError(x.Exception)
	}
	if err := refundStateError(x.Exception); err != nil {
		return Exception{}, gateway.RefundResult{}, err
	}
	sys, err := s.deps.Systems.Get(ctx, x.PaymentSystemID)
	if err != nil {
		return Exception{}, gateway.RefundResult{}, fmt.Errorf("payment system of payment exception %d: %w", id, err)
	}
	if !x.CanRefund(sys) {
		return Exception{}, gateway.RefundResult{}, check.Conflictf(ErrNotRefundable, "Payment exception %d, %s through %s, %s.",
			id, x.Kind, sys.Name, notRefundableWhy(x.Exception, sys))
	}
	// The key names this one refund: a later attempt after a failure is another refund with another key.
	key := fmt.Sprintf("bursar-exception-%d-%s", id, rand.Text())
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		q := orderq.New(tx)
		r, err := q.ExceptionLock(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return exceptionNotFound(id)
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "55P03" {
			return check.Conflictf(nil, "Payment exception %d is being refunded by someone else right now; reload to see the result.",
				id)
		}
		if err != nil {
			return fmt.Errorf("lock payment exception %d: %w", id, err)
		}
		cur := exceptionFromRow(r)
		if !cur.Open() {
			return resolvedError(cur)
		}
		if err := refundStateError(cur); err != nil {
			return err
		}
		if _, err := q.ExceptionRefundIntent(ctx, orderq.ExceptionRefundIntentParams{ID: id, RefundKey: key,
			RefundNote: note, RefundActor: audit.ActorFrom(ctx).Label}); err != nil {
			return fmt.Errorf("payment exception %d refund intent: %w", id, err)
		}
		return s.audit.RecordTx(ctx, tx, "payment_exception.refund_request", "payment_exception", id, map[string]any{
			"kind": x.Kind, "order_id": x.OrderID, "payment_system_id": sys.ID, "gateway_ref": x.GatewayRef,
			"amount": x.Amount.Amount, "currency": x.Amount.Currency, "idempotency_key": key, "note": note})
	})
	if err != nil {
		return Exception{}, gateway.RefundResult{}, err
	}
	// From here on the refund must be recorded whatever happens to the caller.
	ctx = context.WithoutCancel(ctx)
	res, gerr := via.Refund(ctx, sys, gateway.RefundRequest{Ref: x.GatewayRef, Amount: x.Amount, Reason: note,
		IdempotencyKey: key})
	out, err := s.refundAnswered(ctx, x.Exception, sys, key, note, res, gerr)
	if err != nil {
		return Exception{}, gateway.RefundResult{}, err
	}
	return out, res, nil
}

// refundStateError is the conflict of refunding x while a refund of it is pending or unconfirmed (nil otherwise).
func refundStateError(x Exception) error {
	switch x.RefundStatus {
	case ExceptionRefundPending:
		return check.Conflictf(nil, "Payment exception %d is being refunded right now; reload to see the result.", x.ID)
	case ExceptionRefundUnconfirmed:
		return check.Conflictf(nil, "A refund of payment exception %d was asked and its answer was lost: check the "+
			"payment system's dashboard, then resolve the exception.", x.ID)
	}
	return nil
}

// refundAnswered records the gateway's answer (res, or gerr) to the refund of exception x asked with key: made, the
// exception is resolved with note, the order's timeline and the audit log say so; not made, the intent is cleared,
// the exception stays open and the error is a *RefundFailedError. A refund no longer pending under key (settled by
// someone else) is a conflict.
func (s *Service) refundAnswered(ctx context.Context, x Exception, sys gateway.System, key, note string, res gateway.RefundResult, gerr error) (Exception, error) {
	id := x.ID
	if gerr == nil && (res.Status == "failed" || res.Status == "canceled") {
		gerr = fmt.Errorf("%s answered refund %s with status %s", sys.Name, res.ID, res.Status)
	}
	if gerr != nil {
		fail := &RefundFailedError{System: sys.Name, Amount: x.Amount, Err: gerr}
		err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
			if err := recordFault(ctx, "exception_refund_failed"); err != nil {
				return err
			}
			n, err := orderq.New(tx).ExceptionRefundClear(ctx, orderq.ExceptionRefundClearParams{ID: id, RefundKey: key})
			if err != nil {
				return fmt.Errorf("payment exception %d refund failed: %w", id, err)
			}
			if n != 1 {
				return check.Conflictf(nil, "The refund of payment exception %d is no longer pending; reload to see the result.", id)
			}
			return s.audit.RecordTx(ctx, tx, "payment_exception.refund_fail", "payment_exception", id, map[string]any{
				"payment_system_id": sys.ID, "gateway_ref": x.GatewayRef, "amount": x.Amount.Amount,
				"currency": x.Amount.Currency, "idempotency_key": key,
				"unavailable": errors.Is(gerr, gateway.ErrUnavailable), "error": truncate(gerr.Error(), MaxComment)})
		})
		if err != nil {
			return Exception{}, errors.Join(fail, err)
		}
		return Exception{}, fail
	}
	var out Exception
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if err := recordFault(ctx, "exception_refund_made"); err != nil {
			return err
		}
		q := orderq.New(tx)
		r, err := q.ExceptionRefundDone(ctx, orderq.ExceptionRefundDoneParams{ID: id, RefundKey: key,
			Amount: x.Amount.Amount})
		if errors.Is(err, pgx.ErrNoRows) {
			return check.Conflictf(nil, "The refund of payment exception %d is no longer pending; reload to see the result.", id)
		}
		if err != nil {
			return fmt.Errorf("payment exception %d refunded: %w", id, err)
		}
		resolution := fmt.Sprintf("Refunded %s through %s (refund %s): %s", x.Amount, sys.Name, res.ID, note)
		if out = exceptionFromRow(r); out.Open() {
			if out, err = resolveTx(ctx, tx, id, resolution); err != nil {
				return err
			}
		}
		if x.OrderID > 0 {
			o, err := getOrder(ctx, tx, x.OrderID)
			if err != nil {
				return err
			}
			msg := fmt.Sprintf("%s payment %s of %s (payment exception %d) returned through %s (refund %s) — %s",
				sys.Name, x.GatewayRef, x.Amount, id, sys.Name, res.ID, note)
			if err := s.eventsTx(ctx, tx, o, EventExceptionRefunded, msg); err != nil {
				return err
			}
		}
		return s.audit.RecordTx(ctx, tx, "payment_exception.refund", "payment_exception", id, map[string]any{
			"kind": x.Kind, "order_id": x.OrderID, "payment_system_id": sys.ID, "gateway_ref": x.GatewayRef,
			"gateway_refund_id": res.ID, "gateway_status": res.Status, "amount": x.Amount.Amount,
			"currency": x.Amount.Currency, "idempotency_key": key, "note": note})
	})
	if err != nil {
		return Exception{}, fmt.Errorf("record the refund of payment exception %d that %s made (the re-check "+
			"settles it): %w", id, sys.Name, err)
	}
	return out, nil
}

// exceptionRefundLost hands exception x's pending refund (asked with key at asked) to a human: the gateway's answer
// was lost and it cannot be asked again. The exception stays open, its note says what to check, and refunding it
// again through Bursar is refused.
func (s *Service) exceptionRefundLost(ctx context.Context, x Exception, sys gateway.System, key, why string, asked time.Time) error {
	addendum := fmt.Sprintf(" — A refund of %s through %s was asked at %s and its answer was lost (%s): check %s's "+
		"dashboard; if it was made, resolve this exception saying so; if not, refund it there and resolve.", x.Amount,
		sys.Name, asked.UTC().Format("2006-01-02 15:04 UTC"), why, sys.Name)
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		n, err := orderq.New(tx).ExceptionRefundUnconfirmed(ctx, orderq.ExceptionRefundUnconfirmedParams{ID: x.ID,
			RefundKey: key, Addendum: addendum})
		if err != nil {
			return fmt.Errorf("payment exception %d refund unconfirmed: %w", x.ID, err)
		}
		if n != 1 {
			return nil // settled meanwhile
		}
		return s.audit.RecordTx(ctx, tx, "payment_exception.refund_unconfirmed", "payment_exception", x.ID,
			map[string]any{"payment_system_id": sys.ID, "gateway_ref": x.GatewayRef, "amount": x.Amount.Amount,
				"currency": x.Amount.Currency, "idempotency_key": key, "why": why})
	})
}
