package order

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/order/orderq"
)

// EventCancelled is the timeline kind of an order cancelled with what opened it (a payment link).
const EventCancelled = "order.cancelled"

// LockTx locks order id inside tx until it commits, the way a webhook or a manager's decision would wait for it, but
// without holding back a new payment attempt for it; it returns the order as it is under the lock, with its
// payments. A payment link's cancel locks its order first (then the link), in the order a paid notification takes
// them (the order, then the link in Deps.Completions), so the two are serialized and never deadlock.
func (s *Service) LockTx(ctx context.Context, tx pgx.Tx, id int64) (Order, error) {
	r, err := orderq.New(tx).OrderLockShared(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Order{}, NotFoundError(id)
	}
	if err != nil {
		return Order{}, fmt.Errorf("lock order %d: %w", id, err)
	}
	o := fromRow(r)
	return o, attachPayments(ctx, tx, []*Order{&o})
}

// Awaited reports whether o is open with money on its way: a manual order (the payer says they paid; a manager
// has yet to confirm it) or a payment the gateway reports as processing. Such an order is not cancelled by a
// payment link's expiry.
func (o Order) Awaited() bool {
	if o.Status != StatusOpen {
		return false
	}
	if o.DeadlineAt != nil {
		return true
	}
	for _, p := range o.Payments {
		if p.Status == PaymentProcessing {
			return true
		}
	}
	return false
}

// CancelOpenTx cancels order id inside tx when it is still open (call LockTx first): its pending attempts fail, the
// order's and the contact's timelines and the audit say why. No e-mail: whoever cancelled what opened the order
// tells the payer. It reports whether the order was open; a payment that still arrives for it becomes a
// late_payment exception (Ingest).
func (s *Service) CancelOpenTx(ctx context.Context, tx pgx.Tx, id int64, reason string) (bool, error) {
	reason = truncate(reason, MaxComment)
	r, err := orderq.New(tx).OrderCancel(ctx, orderq.OrderCancelParams{ID: id,
		DecidedBy: audit.ActorFrom(ctx).Label, DecisionNote: reason})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cancel order %d: %w", id, err)
	}
	o := fromRow(r)
	if err := attachPayments(ctx, tx, []*Order{&o}); err != nil {
		return false, err
	}
	q := orderq.New(tx)
	evs := &events.Batch{}
	for _, p := range o.Payments {
		if p.Status != PaymentPending && p.Status != PaymentProcessing {
			continue
		}
		if _, err := q.PaymentSetStatus(ctx, orderq.PaymentSetStatusParams{ID: p.ID, Status: PaymentFailed,
			FromStatus: p.Status}); err != nil {
			return false, fmt.Errorf("payment %d failed: %w", p.ID, err)
		}
		evs.Add(events.Event{Type: events.PaymentFailed, ID: p.ID})
	}
	msg := fmt.Sprintf("Order %s cancelled: %s", o.Number, reason)
	if err := s.eventsTx(ctx, tx, o, EventCancelled, msg); err != nil {
		return false, err
	}
	if err := s.audit.RecordTx(ctx, tx, "order.cancel", "order", o.ID, map[string]any{"number": o.Number,
		"reason": reason}); err != nil {
		return false, err
	}
	return true, evs.EmitTx(ctx, s.deps.Events, tx)
}
