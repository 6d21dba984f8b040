package order

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order/orderq"
)

// Disputes and chargebacks (Stripe charge.dispute.*, PayPal CUSTOMER.DISPUTE.*). A dispute's first notification
// opens one payment exception of kind dispute for the order whose payment it names — a payment of the same payment
// system only: a notification settles only what its own payment system started — and applies the offer's dispute
// access policy (revoke at once, keep, or ask a manager: access_exception.go). Its later notifications, which may
// arrive in any order and more than once, update that exception (status, evidence deadline, outcome) when they
// report a later state than the one recorded: a later stage (open, under review, closed), or the same stage at a
// later time. An older one changes nothing (ResultDisputeStale). A dispute naming no payment Bursar knows opens an
// unknown_order exception that its later notifications update the same way.
//
// The policy is applied once, when the dispute is first seen, unless it is first seen closed in the school's
// favour (won, withdrawn: nothing to decide). A dispute that closes lost changes no access by itself: what the
// offer's policy (or the manager) decided at its opening stands, and the outcome is recorded on the exception and
// the order's timeline for a manager to act on (revoke on the contact card; refund what is left).

// Exception kinds of disputes and of refunds asking for an access decision.
const (
	ExDispute ExceptionKind = "dispute" // a dispute (chargeback) of a payment: its deadline, outcome and access
	// ExRefundAccess: an order was refunded and its offer asks a manager whether its access goes (revoke, keep).
	ExRefundAccess ExceptionKind = "refund_access"
)

// Results of dispute notifications.
const (
	ResultDisputeUpdated = "dispute_updated" // a later state of a dispute seen before was recorded
	ResultDisputeStale   = "dispute_stale"   // an earlier (or the same) state than the one recorded: nothing changed
)

// Timeline kinds of disputes.
const (
	EventDisputeOpened  = "payment.dispute_opened"
	EventDisputeUpdated = "payment.dispute_updated"
	EventDisputeClosed  = "payment.dispute_closed"
)

// ExceptionDispute is the dispute an exception follows, as last recorded; zero for exceptions of no dispute.
type ExceptionDispute struct {
	Ref    string // the gateway's dispute id; "" for exceptions of no dispute
	Status string // the gateway's status word
	Reason string
	// Stage is 1 open, 2 under review, 3 closed (gateway.Dispute.Stage).
	Stage       int
	At          *time.Time // when the dispute was in the state recorded
	EvidenceDue *time.Time // when the school's evidence is due; nil when the gateway named no deadline
	Outcome     string     // gateway.DisputeWon, …; "" while open
}

func disputeFromRow(r orderq.PaymentException) ExceptionDispute {
	return ExceptionDispute{Ref: r.DisputeRef, Status: r.DisputeStatus, Reason: r.DisputeReason,
		Stage: int(r.DisputeStage), At: r.DisputeAt, EvidenceDue: r.EvidenceDueAt, Outcome: r.Outcome}
}

// later reports whether d is a later state of the dispute than the one recorded in x.
func later(d *gateway.Dispute, x ExceptionDispute) bool {
	if d.Stage() != x.Stage {
		return d.Stage() > x.Stage
	}
	return x.At == nil || !d.At.Before(*x.At)
}

// disputeAccess is the access decision the offer's dispute policy makes for a dispute first seen as d.
func disputeAccess(policy string, d *gateway.Dispute) string {
	if d.Outcome == gateway.DisputeWon || d.Outcome == gateway.DisputeWithdrawn {
		return ""
	}
	switch policy {
	case offer.AccessRevoke:
		return AccessRevoked
	case offer.AccessKeep:
		return AccessKept
	}
	return AccessAsk
}

// disputeTx applies dispute notification ev (applyTx sends every EventDispute here).
func (s *Service) disputeTx(ctx context.Context, tx pgx.Tx, pre prepared, ev gateway.Event, row *eventRow) (Outcome, error) {
	if pre.order.ID == 0 {
		return s.disputeExceptionTx(ctx, tx, pre, Order{}, ev, row)
	}
	r, err := orderq.New(tx).OrderLockWait(ctx, pre.order.ID)
	if err != nil {
		return Outcome{}, fmt.Errorf("lock order %d: %w", pre.order.ID, err)
	}
	o := fromRow(r)
	p, err := disputedPayment(ctx, tx, pre.sys, ev)
	if err != nil {
		return Outcome{}, err
	}
	if p.OrderID != o.ID || p.Mode != pre.sys.Mode {
		// Only a payment this payment system took (in its mode) is disputed through it: nothing is changed.
		out := Outcome{Result: ResultForeignSystem, OrderID: o.ID}
		return out, s.gatewayLineTx(ctx, tx, o, pre.sys, ev, out)
	}
	out, err := s.disputeExceptionTx(ctx, tx, pre, o, ev, row)
	if err != nil {
		return out, err
	}
	out.OrderID = o.ID
	return out, nil
}

// disputedPayment is the payment of sys that ev's references name; a payment with OrderID 0 when none does.
func disputedPayment(ctx context.Context, tx pgx.Tx, sys gateway.System, ev gateway.Event) (Payment, error) {
	for _, ref := range []string{ev.Ref, ev.AltRef} {
		if ref == "" {
			continue
		}
		r, err := orderq.New(tx).PaymentByRef(ctx, orderq.PaymentByRefParams{PaymentSystemID: sys.ID, Ref: ref})
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return Payment{}, fmt.Errorf("payment by reference %q: %w", ref, err)
		}
		return paymentFromRow(r), nil
	}
	return Payment{}, nil
}

// disputeExceptionTx opens the exception of ev's dispute (of kind dispute for order o, unknown_order when o is
// zero), or records a later state of it.
func (s *Service) disputeExceptionTx(ctx context.Context, tx pgx.Tx, pre prepared, o Order, ev gateway.Event,
	row *eventRow) (Outcome, error) {
	d, q := ev.Dispute, orderq.New(tx)
	kind, access := ExUnknownOrder, ""
	if o.ID > 0 {
		kind, access = ExDispute, disputeAccess(pre.offer.DisputeAccess, d)
	}
	rowID, err := row.idTx(ctx, tx)
	if err != nil {
		return Outcome{}, err
	}
	note := disputeNote(pre.sys, o, ev)
	p := orderq.ExceptionDisputeInsertParams{Kind: string(kind), PaymentSystemID: pre.sys.ID, GatewayEventID: &rowID,
		GatewayRef: ev.Ref, GatewayAltRef: ev.AltRef, Amount: ev.Amount.Amount, Currency: ev.Amount.Currency,
		Note: truncate(note, MaxComment), DisputeRef: d.ID, DisputeStatus: d.Status, DisputeReason: d.Reason,
		DisputeStage: int16(d.Stage()), DisputeAt: &d.At, EvidenceDueAt: timeOrNil(d.EvidenceDue),
		Outcome: d.Outcome, Access: access}
	if o.ID > 0 {
		p.OrderID = &o.ID
	}
	x, err := q.ExceptionDisputeInsert(ctx, p)
	if errors.Is(err, pgx.ErrNoRows) {
		return s.disputeUpdateTx(ctx, tx, pre.sys, o, ev)
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("open dispute exception %s: %w", d.ID, err)
	}
	out := Outcome{Result: resultExceptionPref + string(kind), ExceptionID: x.ID}
	if o.ID > 0 {
		msg := note + "; " + accessWords(access)
		if access == AccessRevoked {
			kept, err := s.revokeGrantsTx(ctx, tx, o, fmt.Sprintf("order %s disputed (%s)", o.Number, d.ID))
			if err != nil {
				return Outcome{}, err
			}
			msg += keptWords(kept)
		}
		if err := s.linesTx(ctx, tx, o, orderLines{kind: EventDisputeOpened, msg: msg,
			line: gatewayLine(pre.sys, ev, out.Result)}); err != nil {
			return Outcome{}, err
		}
		out.lineWritten = true
	}
	return out, s.audit.RecordTx(ctx, tx, "payment_exception.open", "payment_exception", x.ID, map[string]any{
		"kind": kind, "order_id": o.ID, "payment_system_id": pre.sys.ID, "event_id": ev.ID, "gateway_ref": ev.Ref,
		"dispute_id": d.ID, "dispute_status": d.Status, "outcome": d.Outcome, "access": access,
		"amount": ev.Amount.Amount, "currency": ev.Amount.Currency})
}

// disputeUpdateTx records ev's state of a dispute seen before, when it is later than the one recorded.
func (s *Service) disputeUpdateTx(ctx context.Context, tx pgx.Tx, sys gateway.System, o Order, ev gateway.Event) (Outcome, error) {
	d, q := ev.Dispute, orderq.New(tx)
	r, err := q.ExceptionDisputeLock(ctx, orderq.ExceptionDisputeLockParams{PaymentSystemID: sys.ID, DisputeRef: d.ID})
	if err != nil {
		return Outcome{}, fmt.Errorf("dispute exception %s: %w", d.ID, err)
	}
	cur := exceptionFromRow(r)
	if !later(d, cur.Dispute) {
		return Outcome{Result: ResultDisputeStale}, nil
	}
	x, err := q.ExceptionDisputeUpdate(ctx, orderq.ExceptionDisputeUpdateParams{ID: cur.ID, DisputeStatus: d.Status,
		DisputeReason: d.Reason, DisputeStage: int16(d.Stage()), DisputeAt: &d.At,
		EvidenceDueAt: timeOrNil(d.EvidenceDue), Outcome: d.Outcome, Amount: ev.Amount.Amount,
		Currency: ev.Amount.Currency})
	if err != nil {
		return Outcome{}, fmt.Errorf("update dispute exception %d: %w", cur.ID, err)
	}
	out := Outcome{Result: ResultDisputeUpdated} // no exception opened: ExceptionID stays 0
	if o.ID > 0 && cur.OrderID == o.ID {
		kind, msg := EventDisputeUpdated, fmt.Sprintf("Dispute %s through %s: %s", d.ID, sys.Name, d.Status)
		if d.Outcome != "" && cur.Dispute.Outcome == "" {
			kind, msg = EventDisputeClosed, fmt.Sprintf("Dispute %s through %s closed: %s (%s)", d.ID, sys.Name,
				d.Outcome, d.Status)
		}
		if !d.EvidenceDue.IsZero() && d.Outcome == "" {
			msg += "; evidence due " + d.EvidenceDue.UTC().Format("2006-01-02 15:04 UTC")
		}
		if err := s.linesTx(ctx, tx, o, orderLines{kind: kind, msg: msg, line: gatewayLine(sys, ev, out.Result)}); err != nil {
			return Outcome{}, err
		}
		out.lineWritten = true
	}
	return out, s.audit.RecordTx(ctx, tx, "payment_exception.dispute_update", "payment_exception", x.ID,
		map[string]any{"event_id": ev.ID, "dispute_id": d.ID, "dispute_status": d.Status, "outcome": d.Outcome,
			"previous_status": cur.Dispute.Status})
}

// disputeNote is the exception's note (and the order's timeline line) of a dispute first seen as ev.
func disputeNote(sys gateway.System, o Order, ev gateway.Event) string {
	d := ev.Dispute
	msg := fmt.Sprintf("Dispute %s of %s through %s", d.ID, disputedWhat(ev.Amount), sys.Name)
	if o.ID > 0 {
		msg += " for order " + o.Number
	} else {
		msg += fmt.Sprintf(" names a payment Bursar does not know (%s)", ev.Ref)
	}
	msg += ": " + d.Status
	if d.Reason != "" {
		msg += ", reason " + d.Reason
	}
	if d.Outcome != "" {
		msg += ", closed " + d.Outcome
	} else if !d.EvidenceDue.IsZero() {
		msg += ", evidence due " + d.EvidenceDue.UTC().Format("2006-01-02 15:04 UTC")
	}
	return msg
}

func disputedWhat(m money.Money) string {
	if m.Currency == "" {
		return "a payment"
	}
	return m.String()
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
