package order

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order/orderq"
)

// Replaying a stored gateway notification: one that failed to apply (a bug, a database fault) is kept as failed
// with the event as its provider read it, and applied again — by the gateway's next delivery, or by a manager's
// ReplayEvent once the cause is fixed — through applyTx, the webhook's own apply path. Replaying a notification
// that applied changes nothing and says so.

// ResultApplyFailed is the result of a stored notification whose applying failed: it waits for a replay.
const ResultApplyFailed = "apply_failed"

// Replay is what ReplayEvent did.
type Replay struct {
	Event GatewayEvent // the stored notification as it is now
	// AlreadyApplied: the notification had applied already (its Result says how); nothing changed.
	AlreadyApplied bool
	Outcome        Outcome // what applying it did (AlreadyApplied false)
}

// reading is a notification as its provider read it (gateway.Event without the reply), kept with a notification
// that failed to apply: a replay needs neither the gateway's signature headers nor the gateway.
type reading struct {
	ID             string `json:"id"`
	Type           string `json:"type"`
	Kind           string `json:"kind"`
	OrderID        int64  `json:"order_id,omitempty"`
	Ref            string `json:"ref,omitempty"`
	AltRef         string `json:"alt_ref,omitempty"`
	Amount         int64  `json:"amount"`
	Currency       string `json:"currency,omitempty"`
	RefundedAmount int64  `json:"refunded_amount,omitempty"`
	RefundRef      string `json:"refund_ref,omitempty"`
	PayerEmail     string `json:"payer_email,omitempty"`
}

func readingOf(ev gateway.Event) reading {
	return reading{ID: ev.ID, Type: ev.Type, Kind: string(ev.Kind), OrderID: ev.OrderID, Ref: ev.Ref, AltRef: ev.AltRef,
		Amount: ev.Amount.Amount, Currency: ev.Amount.Currency, RefundedAmount: ev.RefundedAmount,
		RefundRef: ev.RefundRef, PayerEmail: ev.PayerEmail}
}

func (r reading) event() gateway.Event {
	return gateway.Event{ID: r.ID, Type: r.Type, Kind: gateway.EventKind(r.Kind), OrderID: r.OrderID, Ref: r.Ref,
		AltRef: r.AltRef, Amount: money.New(r.Amount, r.Currency), RefundedAmount: r.RefundedAmount,
		RefundRef: r.RefundRef, PayerEmail: r.PayerEmail}
}

func gatewayEventOf(r orderq.GatewayEvent) GatewayEvent {
	return GatewayEvent{ID: r.ID, PaymentSystemID: r.PaymentSystemID, EventID: r.EventID, Type: r.Type,
		Kind: gateway.EventKind(r.Kind), Result: r.Result, Body: r.Body, ReceivedAt: r.ReceivedAt,
		ProcessedAt: r.ProcessedAt, Failures: int(r.Failures), FailedAt: r.FailedAt}
}

// Failed reports whether e has not applied: it failed, and ReplayEvent may apply it.
func (e GatewayEvent) Failed() bool { return e.Result == ResultApplyFailed }

// applyFailed stores notification row (as ev was read) as failed with cause, or counts one more failure of a row
// stored as failed; it returns cause, joined with the error of storing it if that failed too. It runs whatever
// happened to the caller's context: the gateway delivers again, but a manager must see it meanwhile.
func (s *Service) applyFailed(ctx context.Context, row *eventRow, ev gateway.Event, orderID int64, cause error) error {
	raw, err := json.Marshal(readingOf(ev))
	if err != nil {
		return errors.Join(cause, fmt.Errorf("encode event %s: %w", ev.ID, err))
	}
	p := orderq.GatewayEventFailedParams{PaymentSystemID: row.p.PaymentSystemID, EventID: row.p.EventID,
		Type: row.p.Type, Kind: row.p.Kind, Body: row.p.Body, ApplyError: truncate(cause.Error(), MaxComment),
		Event: raw}
	if orderID > 0 {
		p.OrderID = &orderID
	}
	if err := orderq.New(s.db).GatewayEventFailed(context.WithoutCancel(ctx), p); err != nil {
		return errors.Join(cause, fmt.Errorf("store event %s as failed: %w", ev.ID, err))
	}
	return cause
}

// claimFailedTx claims the row of r's notification stored as failed, for tx to apply it; errDuplicate when it is
// not failed (stored and applied before, or applied meanwhile by the transaction that held it).
func (r *eventRow) claimFailedTx(ctx context.Context, tx pgx.Tx) (int64, error) {
	id, err := orderq.New(tx).GatewayEventClaimFailed(ctx, orderq.GatewayEventClaimFailedParams{
		PaymentSystemID: r.p.PaymentSystemID, EventID: r.p.EventID})
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, errDuplicate
	}
	if err != nil {
		return 0, fmt.Errorf("claim failed event %s: %w", r.p.EventID, err)
	}
	return id, nil
}

// ReplayEvent applies again stored notification eventID of order orderID through applyTx, the webhook's apply
// path, under the row's lock, in one transaction with its result recorded and the audit entry:
//
//   - a notification that applied already (any result but ResultApplyFailed) changes nothing: AlreadyApplied, and
//     the audit log notes the replay;
//   - one that failed to apply is applied as the gateway's delivery would have been (its timeline line names the
//     manager), its result recorded. Failing again, it stays failed with one more failure and the error returned.
//
// Two replays at once (or a replay and the gateway's delivery) apply it once: the second finds it applied. A
// notification of another order, or none, is check.ErrNotFound.
func (s *Service) ReplayEvent(ctx context.Context, orderID, eventID int64) (Replay, error) {
	q := orderq.New(s.db)
	r, err := q.GatewayEventGet(ctx, eventID)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && (r.OrderID == nil || *r.OrderID != orderID)) {
		return Replay{}, fmt.Errorf("gateway event %d of order %d: %w", eventID, orderID, check.ErrNotFound)
	}
	if err != nil {
		return Replay{}, fmt.Errorf("read gateway event %d: %w", eventID, err)
	}
	if r.Result != ResultApplyFailed {
		return s.replayedAlready(ctx, eventID)
	}
	if len(r.Event) == 0 {
		return Replay{}, check.Conflictf(nil, "Gateway event %s was stored without the event as it was read: it "+
			"cannot be replayed; have the gateway send it again.", r.EventID)
	}
	var rd reading
	if err := json.Unmarshal(r.Event, &rd); err != nil {
		return Replay{}, fmt.Errorf("read gateway event %d as stored: %w", eventID, err)
	}
	ev := rd.event()
	sys, err := s.deps.Systems.Get(ctx, r.PaymentSystemID)
	if err != nil {
		return Replay{}, fmt.Errorf("payment system of gateway event %d: %w", eventID, err)
	}
	pre, err := s.prepare(ctx, sys, ev)
	if err != nil {
		return Replay{}, s.replayFailed(ctx, eventID, err)
	}
	var out Replay
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		cur, err := orderq.New(tx).GatewayEventLock(ctx, eventID)
		if err != nil {
			return fmt.Errorf("lock gateway event %d: %w", eventID, err)
		}
		if cur.Result != ResultApplyFailed {
			// Applied meanwhile: by the gateway's delivery, or another replay.
			out = Replay{Event: gatewayEventOf(cur), AlreadyApplied: true}
			return s.replayAuditTx(ctx, tx, out)
		}
		if out.Outcome, err = s.applyTx(ctx, tx, pre, ev, &eventRow{id: eventID}); err != nil {
			return err
		}
		if err := markProcessed(ctx, tx, eventID, out.Outcome); err != nil {
			return err
		}
		if cur, err = orderq.New(tx).GatewayEventGet(ctx, eventID); err != nil {
			return fmt.Errorf("read gateway event %d: %w", eventID, err)
		}
		out.Event = gatewayEventOf(cur)
		return s.replayAuditTx(ctx, tx, out)
	})
	if err != nil {
		return Replay{}, s.replayFailed(ctx, eventID, err)
	}
	return out, nil
}

// replayedAlready is the replay of stored notification id that had applied: nothing changes but the audit log.
func (s *Service) replayedAlready(ctx context.Context, id int64) (Replay, error) {
	var out Replay
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		r, err := orderq.New(tx).GatewayEventGet(ctx, id)
		if err != nil {
			return fmt.Errorf("read gateway event %d: %w", id, err)
		}
		out = Replay{Event: gatewayEventOf(r), AlreadyApplied: true}
		return s.replayAuditTx(ctx, tx, out)
	})
	return out, err
}

// replayAuditTx records replay r in the audit log.
func (s *Service) replayAuditTx(ctx context.Context, tx pgx.Tx, r Replay) error {
	result := r.Outcome.Result
	if r.AlreadyApplied {
		result = r.Event.Result
	}
	return s.audit.RecordTx(ctx, tx, "gateway_event.replay", "gateway_event", r.Event.ID, map[string]any{
		"payment_system_id": r.Event.PaymentSystemID, "event_id": r.Event.EventID, "type": r.Event.Type,
		"already_applied": r.AlreadyApplied, "result": result, "exception_id": r.Outcome.ExceptionID})
}

// replayFailed counts one more failure of stored notification id (a replay that did not apply it) and returns
// cause, joined with the error of counting it if that failed too.
func (s *Service) replayFailed(ctx context.Context, id int64, cause error) error {
	if err := orderq.New(s.db).GatewayEventFailedAgain(context.WithoutCancel(ctx), orderq.GatewayEventFailedAgainParams{
		ID: id, ApplyError: truncate(cause.Error(), MaxComment)}); err != nil {
		return errors.Join(cause, fmt.Errorf("count the failure of gateway event %d: %w", id, err))
	}
	return cause
}
