package order

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order/orderq"
)

// EventRefundUnconfirmed is the timeline kind of a refund the re-check handed to a human: its answer was lost and
// the gateway cannot be asked again.
const EventRefundUnconfirmed = "payment.refund_unconfirmed"

// RefundSettlement is what one run of SettleRefunds did.
type RefundSettlement struct {
	Asked       int // refunds asked of the gateway again, with their first idempotency key
	Recorded    int // answers recorded: the refund made, or not made
	Unavailable int // the gateway could not be reached: asked again at the next interval
	HandedOver  int // refunds handed to a human: the gateway cannot be asked again
}

// SettleRefunds settles refunds left pending longer than cfg.After — the gateway was asked and its answer never
// recorded (a crash, a failed commit) — both an order's (RefundOrder) and a payment exception's (RefundException),
// at most cfg.Batch of each, each claimed at most once per cfg.Every across processes (FOR UPDATE SKIP LOCKED):
//
//   - through a gateway with gateway.IdempotentRefunds (Stripe), asked less than gateway.IdempotencyWindow ago: the
//     gateway is asked again with the same idempotency key, so it answers with the refund it made (or makes it
//     once), and the answer is recorded exactly as the first one would have been;
//   - otherwise (Bursar cannot ask without risking a second refund): handed to a human. An order's refund opens an
//     exception of kind refund_unconfirmed and stays pending (its money stays counted, never refunded twice); an
//     exception's refund is marked unconfirmed and its note says what to check.
//
// The gateway is asked outside any transaction. Errors are the database's; a gateway's are counted.
func (s *Service) SettleRefunds(ctx context.Context, cfg RecheckConfig) (RefundSettlement, error) {
	return s.settleRefunds(ctx, s.deps.Gateways, cfg)
}

// settleRefunds is SettleRefunds asking via.
func (s *Service) settleRefunds(ctx context.Context, via Refunder, cfg RecheckConfig) (RefundSettlement, error) {
	cfg = cfg.WithDefaults()
	var sum RefundSettlement
	now := time.Now()
	rows, err := orderq.New(s.db).RefundsClaimPending(ctx, orderq.RefundsClaimPendingParams{
		CreatedBefore: now.Add(-cfg.After), CheckedBefore: now.Add(-cfg.Every), Lim: int32(cfg.Batch)})
	if err != nil {
		return sum, fmt.Errorf("claim pending refunds: %w", err)
	}
	for _, rf := range rows {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if err := s.settleRefund(ctx, via, rf, now, &sum); err != nil {
			return sum, err
		}
	}
	xs, err := orderq.New(s.db).ExceptionsClaimRefundPending(ctx, orderq.ExceptionsClaimRefundPendingParams{
		RequestedBefore: now.Add(-cfg.After), CheckedBefore: now.Add(-cfg.Every), Lim: int32(cfg.Batch)})
	if err != nil {
		return sum, fmt.Errorf("claim pending exception refunds: %w", err)
	}
	for _, r := range xs {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if err := s.settleExceptionRefund(ctx, via, r, now, &sum); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// askAgain says whether a refund asked at asked through sys may be asked again with its idempotency key, and if not
// why, for the human it is handed to.
func askAgain(sys gateway.System, asked, now time.Time) (bool, string) {
	switch {
	case !sys.Can(gateway.IdempotentRefunds):
		return false, sys.Name + " takes no idempotency key: asking again could refund twice"
	case now.Sub(asked) >= gateway.IdempotencyWindow:
		return false, sys.Name + " keeps idempotency keys for " + gateway.IdempotencyWindow.String() +
			" only: asking again now could refund twice"
	}
	return true, ""
}

// settleRefund settles order refund rf (claimed, pending).
func (s *Service) settleRefund(ctx context.Context, via Refunder, rf orderq.Refund, now time.Time, sum *RefundSettlement) error {
	pr, err := orderq.New(s.db).PaymentGet(ctx, rf.PaymentID)
	if err != nil {
		return fmt.Errorf("payment %d of refund %d: %w", rf.PaymentID, rf.ID, err)
	}
	o, err := getOrder(ctx, s.db, pr.OrderID)
	if err != nil {
		return err
	}
	p, ok := paymentByID(o, pr.ID)
	if !ok {
		return fmt.Errorf("payment %d of refund %d is not on order %d", pr.ID, rf.ID, o.ID)
	}
	sys, err := s.deps.Systems.Get(ctx, p.PaymentSystemID)
	if err != nil {
		return fmt.Errorf("payment system of refund %d: %w", rf.ID, err)
	}
	if ok, why := askAgain(sys, rf.CreatedAt, now); !ok {
		sum.HandedOver++
		return s.refundHandOver(ctx, o, sys, p, pr.GatewayAltRef, rf, why)
	}
	amount := money.New(rf.Amount, rf.Currency)
	res, gerr := via.Refund(ctx, sys, gateway.RefundRequest{Ref: p.GatewayRef, Amount: amount, Reason: rf.Comment,
		IdempotencyKey: refundKey(p, rf)})
	sum.Asked++
	if errors.Is(gerr, gateway.ErrUnavailable) {
		sum.Unavailable++
		return nil
	}
	if gerr == nil && (res.Status == "failed" || res.Status == "canceled") {
		gerr = fmt.Errorf("%s answered refund %s with status %s", sys.Name, res.ID, res.Status)
	}
	if gerr != nil {
		// With the same key the gateway answers as it did the first time: it did not make the refund.
		err = s.refundFailed(ctx, o.ID, rf, &RefundFailedError{System: sys.Name, Amount: amount, Err: gerr})
	} else {
		_, err = s.refundMade(ctx, o.ID, sys, p, rf, res)
	}
	if err != nil {
		return fmt.Errorf("record the answer to pending refund %d: %w", rf.ID, err)
	}
	sum.Recorded++
	return nil
}

// refundHandOver hands pending refund rf of payment p of order o to a human: an exception of kind
// ExRefundUnconfirmed says what to check; the refund stays pending, so its money is never refunded twice.
func (s *Service) refundHandOver(ctx context.Context, o Order, sys gateway.System, p Payment, altRef string, rf orderq.Refund, why string) error {
	amount := money.New(rf.Amount, rf.Currency)
	note := fmt.Sprintf("Refund %d of %s of payment %d (order %s) was asked of %s at %s and its answer was lost "+
		"(%s): check %s's dashboard. The refund stays pending and its money counted as being refunded.", rf.ID,
		amount, p.ID, o.Number, sys.Name, rf.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), why, sys.Name)
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		q := orderq.New(tx)
		n, err := q.RefundHandOver(ctx, rf.ID)
		if err != nil {
			return fmt.Errorf("hand refund %d over: %w", rf.ID, err)
		}
		if n != 1 {
			return nil // settled meanwhile
		}
		orderID := o.ID
		x, err := q.ExceptionInsert(ctx, orderq.ExceptionInsertParams{Kind: string(ExRefundUnconfirmed),
			OrderID: &orderID, PaymentSystemID: sys.ID, GatewayRef: p.GatewayRef, GatewayAltRef: altRef,
			Amount: rf.Amount, Currency: rf.Currency, Note: note})
		if err != nil {
			return fmt.Errorf("exception for refund %d: %w", rf.ID, err)
		}
		if err := s.eventsTx(ctx, tx, o, EventRefundUnconfirmed, note); err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, "payment.refund_unconfirmed", "order", o.ID, map[string]any{
			"number": o.Number, "payment_id": p.ID, "refund_id": rf.ID, "exception_id": x.ID, "amount": rf.Amount,
			"currency": rf.Currency, "why": why})
	})
}

// settleExceptionRefund settles exception r's pending refund (claimed).
func (s *Service) settleExceptionRefund(ctx context.Context, via Refunder, r orderq.PaymentException, now time.Time, sum *RefundSettlement) error {
	x := exceptionFromRow(r)
	sys, err := s.deps.Systems.Get(ctx, x.PaymentSystemID)
	if err != nil {
		return fmt.Errorf("payment system of payment exception %d: %w", x.ID, err)
	}
	asked := now
	if r.RefundRequestedAt != nil {
		asked = *r.RefundRequestedAt
	}
	if ok, why := askAgain(sys, asked, now); !ok {
		sum.HandedOver++
		return s.exceptionRefundLost(ctx, x, sys, r.RefundKey, why, asked)
	}
	res, gerr := via.Refund(ctx, sys, gateway.RefundRequest{Ref: x.GatewayRef, Amount: x.Amount, Reason: r.RefundNote,
		IdempotencyKey: r.RefundKey})
	sum.Asked++
	if errors.Is(gerr, gateway.ErrUnavailable) {
		sum.Unavailable++
		return nil
	}
	_, err = s.refundAnswered(ctx, x, sys, r.RefundKey, r.RefundNote, res, gerr)
	// A *RefundFailedError alone is the failure recorded; anything else is the recording's own error.
	var fail *RefundFailedError
	if err != nil && (!errors.As(err, &fail) || err != error(fail)) {
		return fmt.Errorf("record the answer to the refund of payment exception %d: %w", x.ID, err)
	}
	sum.Recorded++
	return nil
}
