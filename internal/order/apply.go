package order

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order/orderq"
)

// Outcome is what applying a gateway notification did; Result is also written to the stored notification.
type Outcome struct {
	Result      string // one of the Result… words, "exception:<kind>" for an exception
	OrderID     int64  // 0 when no order matched
	ExceptionID int64  // the exception opened, if any
	// Duplicate is true when the same notification (system, event id) was stored before: nothing was done.
	Duplicate bool
	// lineWritten: the notification's line (gatewayLine) is on the order's timeline already, written with the
	// outcome's own lines in one statement.
	lineWritten bool
}

// Results of applying a notification.
const (
	ResultCompleted     = "completed"          // the order completed
	ResultAlreadyPaid   = "already_paid"       // this payment had completed the order already
	ResultProcessing    = "processing"         // the payment is on its way (delayed methods)
	ResultFailed        = "attempt_failed"     // the attempt failed; the order stays open
	ResultExpired       = "attempt_expired"    // the attempt expired; the order stays open
	ResultRefunded      = "refunded"           // fully refunded (a completed order becomes refunded)
	ResultPartRefunded  = "partially_refunded" // part of the payment returned
	ResultRefundKnown   = "refund_known"       // Bursar had recorded this refund already
	ResultIgnored       = "ignored"            // authentic, nothing for Bursar to do
	ResultNoOrder       = "no_order"           // nothing to apply it to, and no money involved
	ResultDuplicate     = "duplicate"          // delivered before
	resultExceptionPref = "exception:"
)

// prepared is what applying a notification reads outside its transaction: the payment system, the order the
// notification names and that order's offer. The transaction re-reads the order under its lock.
type prepared struct {
	sys   gateway.System
	order Order // ID 0 when no order matches
	offer offer.Offer
	// orderSystem is the payment system the order was opened with (a notification of sys settles the order only if
	// it has an attempt through sys; the exception otherwise names both systems). Read only for money events.
	orderSystem gateway.System
}

// Ingest stores the verified notification ev of payment system sys (body verbatim) and applies it, in one
// transaction: a notification stored before (same system and event id) is a duplicate and does nothing, and two
// processes receiving the same notification at once are serialized by its unique key, so exactly one applies it.
// Everything read from other modules is read before the transaction, which then uses one connection only.
//
// The notification is stored at the end, with what applying it did (one insert, no update), unless an exception
// needs its row first (eventRow): a delivery stored before finds its key taken there and rolls back whatever it
// applied. Two deliveries at once wait for each other at the order's lock or at the key.
//
// A notification that fails to apply is stored as failed (applyFailed, replay.go) and the error returned: the
// gateway's next delivery, or a manager's ReplayEvent, claims that row and applies it.
func (s *Service) Ingest(ctx context.Context, sys gateway.System, ev gateway.Event, body []byte) (Outcome, error) {
	if ev.ID == "" {
		return Outcome{}, check.Field("event_id", "is required")
	}
	row := &eventRow{p: orderq.GatewayEventInsertParams{PaymentSystemID: sys.ID, EventID: ev.ID, Type: ev.Type,
		Kind: string(ev.Kind), Body: storableText(body)}}
	pre, err := s.prepare(ctx, sys, ev)
	if err != nil {
		return Outcome{}, s.applyFailed(ctx, row, ev, pre.order.ID, err)
	}
	var out Outcome
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if out, err = s.applyTx(ctx, tx, pre, ev, row); err != nil {
			return err
		}
		return row.doneTx(ctx, tx, out)
	})
	if err != nil && !errors.Is(err, errDuplicate) {
		// A delivery stored before is a duplicate, whatever applying it again to what changed since said.
		if _, gerr := orderq.New(s.db).GatewayEventID(ctx, orderq.GatewayEventIDParams{PaymentSystemID: sys.ID,
			EventID: ev.ID}); gerr == nil {
			err = errDuplicate
		}
	}
	if errors.Is(err, errDuplicate) {
		return Outcome{Result: ResultDuplicate, Duplicate: true}, nil
	}
	if err != nil {
		return Outcome{}, s.applyFailed(ctx, row, ev, pre.order.ID, err)
	}
	return out, nil
}

// errDuplicate is eventRow's: the notification was stored before (by a delivery that committed first).
var errDuplicate = errors.New("order: notification stored before")

// eventRow is the stored row of the notification Ingest applies: inserted when its id is first needed (idTx: an
// exception names it), else at the end with its result (doneTx), in the applying transaction either way.
type eventRow struct {
	p      orderq.GatewayEventInsertParams
	id     int64 // 0 until inserted
	stored bool  // id is a row stored before (storedRow), 0 for none: nothing to insert
}

// storedRow is the eventRow of notification row id, stored before (0: none).
func storedRow(id int64) *eventRow { return &eventRow{id: id, stored: true} }

// idTx is the row's id, inserting the row (not processed yet) the first time; errDuplicate when stored before.
func (r *eventRow) idTx(ctx context.Context, tx pgx.Tx) (int64, error) {
	if r.id != 0 || r.stored {
		return r.id, nil
	}
	id, err := orderq.New(tx).GatewayEventInsert(ctx, r.p)
	if errors.Is(err, pgx.ErrNoRows) {
		if id, err = r.claimFailedTx(ctx, tx); err != nil {
			return 0, err
		}
	}
	if err != nil {
		return 0, fmt.Errorf("store event %s: %w", r.p.EventID, err)
	}
	r.id = id
	return id, nil
}

// doneTx records what applying the notification did: the row inserted as processed, or marked processed when
// idTx inserted it; errDuplicate when stored before.
func (r *eventRow) doneTx(ctx context.Context, tx pgx.Tx, out Outcome) error {
	if r.id != 0 {
		return markProcessed(ctx, tx, r.id, out)
	}
	p := orderq.GatewayEventInsertDoneParams{PaymentSystemID: r.p.PaymentSystemID, EventID: r.p.EventID,
		Type: r.p.Type, Kind: r.p.Kind, Body: r.p.Body, Result: out.Result}
	if out.OrderID > 0 {
		p.OrderID = &out.OrderID
	}
	_, err := orderq.New(tx).GatewayEventInsertDone(ctx, p)
	if errors.Is(err, pgx.ErrNoRows) {
		if r.id, err = r.claimFailedTx(ctx, tx); err != nil {
			return err
		}
		return markProcessed(ctx, tx, r.id, out)
	}
	if err != nil {
		return fmt.Errorf("store event %s: %w", r.p.EventID, err)
	}
	return nil
}

func markProcessed(ctx context.Context, tx pgx.Tx, rowID int64, out Outcome) error {
	p := orderq.GatewayEventProcessedParams{ID: rowID, Result: out.Result}
	if out.OrderID > 0 {
		p.OrderID = &out.OrderID
	}
	if err := orderq.New(tx).GatewayEventProcessed(ctx, p); err != nil {
		return fmt.Errorf("mark event %d processed: %w", rowID, err)
	}
	return nil
}

// storableText is body as PostgreSQL text can hold it: gateways send UTF-8 JSON or form data, so this changes
// nothing for them; a stray invalid byte or NUL would otherwise refuse the whole notification.
func storableText(body []byte) string {
	return strings.ReplaceAll(strings.ToValidUTF8(string(body), "\uFFFD"), "\x00", "\uFFFD")
}

// prepare finds the order ev names (its echoed order id, else the payment its reference names) and its offer.
func (s *Service) prepare(ctx context.Context, sys gateway.System, ev gateway.Event) (prepared, error) {
	pre := prepared{sys: sys}
	if ev.Kind == gateway.EventIgnored || ev.Kind == gateway.EventSubscription || ev.Kind == gateway.EventCharge {
		return pre, nil
	}
	o, err := s.findOrder(ctx, sys.ID, ev)
	if err != nil || o.ID == 0 {
		return pre, err
	}
	pre.order = o
	if o.PaymentSystemID == sys.ID {
		pre.orderSystem = sys
	} else if ev.Kind == gateway.EventPaid || ev.Kind == gateway.EventRefunded {
		if pre.orderSystem, err = s.deps.Systems.Get(ctx, o.PaymentSystemID); err != nil {
			return pre, fmt.Errorf("payment system of order %s: %w", o.Number, err)
		}
	}
	if ev.Kind == gateway.EventPaid || ev.Kind == gateway.EventRefunded || ev.Kind == gateway.EventDispute {
		// The offer decides what a paid order grants, and what a refund or a dispute does to that access.
		if pre.offer, err = s.deps.Offers.Offer(ctx, o.OfferID); err != nil {
			return pre, fmt.Errorf("offer of order %s: %w", o.Number, err)
		}
	}
	return pre, nil
}

// findOrder is the order ev names, without its payments (applyTx reads them under the order's lock); an Order
// with ID 0 when none does.
func (s *Service) findOrder(ctx context.Context, systemID int64, ev gateway.Event) (Order, error) {
	if ev.OrderID > 0 {
		r, err := orderq.New(s.db).OrderGet(ctx, ev.OrderID)
		if err == nil {
			return fromRow(r), nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return Order{}, fmt.Errorf("read order %d: %w", ev.OrderID, err)
		}
	}
	for _, ref := range []string{ev.Ref, ev.AltRef} {
		if ref == "" {
			continue
		}
		p, err := orderq.New(s.db).PaymentByRef(ctx, orderq.PaymentByRefParams{PaymentSystemID: systemID, Ref: ref})
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return Order{}, fmt.Errorf("payment by reference %q: %w", ref, err)
		}
		r, err := orderq.New(s.db).OrderGet(ctx, p.OrderID)
		if err != nil {
			return Order{}, fmt.Errorf("read order %d: %w", p.OrderID, err)
		}
		return fromRow(r), nil
	}
	return Order{}, nil
}

// applyTx applies ev to the prepared order, under the order's row lock.
func (s *Service) applyTx(ctx context.Context, tx pgx.Tx, pre prepared, ev gateway.Event, row *eventRow) (Outcome, error) {
	if ev.Kind == gateway.EventIgnored {
		return Outcome{Result: ResultIgnored}, nil
	}
	if ev.Kind == gateway.EventDispute {
		return s.disputeTx(ctx, tx, pre, ev, row)
	}
	if ev.Kind == gateway.EventSubscription || ev.Kind == gateway.EventCharge {
		return s.subscriptionTx(ctx, tx, pre.sys, ev, row)
	}
	if pre.order.ID == 0 {
		if ev.Kind != gateway.EventPaid && ev.Kind != gateway.EventRefunded {
			return Outcome{Result: ResultNoOrder}, nil
		}
		if ev.Kind == gateway.EventRefunded {
			if known, err := refundedFromInbox(ctx, tx, pre.sys.ID, ev); err != nil || known {
				return Outcome{Result: ResultRefundKnown}, err
			}
		}
		return s.exceptionOutcome(ctx, tx, ExUnknownOrder, Order{}, pre.sys, ev, row,
			fmt.Sprintf("%s event %s (%s) names no order Bursar knows (order id %d)", pre.sys.Name, ev.ID,
				ev.Type, ev.OrderID))
	}
	r, err := orderq.New(tx).OrderLockWait(ctx, pre.order.ID)
	if err != nil {
		return Outcome{}, fmt.Errorf("lock order %d: %w", pre.order.ID, err)
	}
	o := fromRow(r)
	if err := attachPayments(ctx, tx, []*Order{&o}); err != nil {
		return Outcome{}, err
	}
	var out Outcome
	if !attemptedThrough(o, pre.sys) {
		// Only what this payment system started is settled by it: a notification naming an order never paid
		// through it (in its mode) changes nothing on the order, whoever signed it.
		if out, err = s.foreignSystemTx(ctx, tx, pre, o, ev, row); err != nil {
			return out, err
		}
		out.OrderID = o.ID
		return out, s.gatewayLineTx(ctx, tx, o, pre.sys, ev, out)
	}
	switch ev.Kind {
	case gateway.EventPaid:
		out, err = s.paidTx(ctx, tx, pre, o, ev, row)
	case gateway.EventPending:
		out, err = s.attemptTx(ctx, tx, pre.sys, o, ev, PaymentProcessing)
	case gateway.EventFailed, gateway.EventExpired:
		out, err = s.attemptTx(ctx, tx, pre.sys, o, ev, PaymentFailed)
	case gateway.EventRefunded:
		out, err = s.gatewayRefundTx(ctx, tx, pre, o, ev, row)
	default:
		out = Outcome{Result: ResultIgnored}
	}
	if err != nil {
		return out, err
	}
	out.OrderID = o.ID
	return out, s.gatewayLineTx(ctx, tx, o, pre.sys, ev, out)
}

// gatewayLineTx writes the notification and what it did to the order's own timeline, with the raw event id, unless
// the outcome's own lines had it written already (out.lineWritten).
func (s *Service) gatewayLineTx(ctx context.Context, tx pgx.Tx, o Order, sys gateway.System, ev gateway.Event, out Outcome) error {
	if out.lineWritten {
		return nil
	}
	if err := orderq.New(tx).OrderEventAdd(ctx, orderq.OrderEventAddParams{OrderID: o.ID, Kind: EventGateway,
		Message: gatewayLine(sys, ev, out.Result), Actor: audit.ActorFrom(ctx).Label}); err != nil {
		return fmt.Errorf("order event: %w", err)
	}
	return nil
}

// gatewayLine is the order's timeline line of notification ev and its result.
func gatewayLine(sys gateway.System, ev gateway.Event, result string) string {
	msg := fmt.Sprintf("%s event %s (%s", sys.Name, ev.ID, ev.Type)
	if ev.Ref != "" {
		msg += ", " + ev.Ref
	}
	if ev.Amount.Currency != "" {
		msg += ", " + ev.Amount.String()
	}
	return msg + "): " + result
}

// exceptionOutcome opens an exception of kind for ev and reports it; the contact's timeline hears of it when
// there is an order.
func (s *Service) exceptionOutcome(ctx context.Context, tx pgx.Tx, kind ExceptionKind, o Order, sys gateway.System,
	ev gateway.Event, row *eventRow, note string) (Outcome, error) {
	amount := ev.Amount
	rowID, err := row.idTx(ctx, tx)
	if err != nil {
		return Outcome{}, err
	}
	x, err := exceptionTx(ctx, tx, kind, o.ID, sys.ID, rowID, ev.Ref, ev.AltRef, amount, note)
	if err != nil {
		return Outcome{}, err
	}
	if o.ID > 0 && o.ContactID > 0 {
		if err := s.deps.Timeline.AddEventTx(ctx, tx, o.ContactID, "payment.exception", note); err != nil {
			return Outcome{}, fmt.Errorf("contact timeline: %w", err)
		}
	}
	return Outcome{Result: resultExceptionPref + string(kind), ExceptionID: x.ID, OrderID: o.ID},
		s.audit.RecordTx(ctx, tx, "payment_exception.open", "payment_exception", x.ID, map[string]any{
			"kind": kind, "order_id": o.ID, "payment_system_id": sys.ID, "event_id": ev.ID, "gateway_ref": ev.Ref,
			"amount": amount.Amount, "currency": amount.Currency})
}

// ResultForeignSystem is the result of a notification naming an order never paid through its payment system in
// its mode, when no money is involved (a pending or failed attempt): nothing is changed.
const ResultForeignSystem = "foreign_system"

// attemptedThrough reports whether o has a payment (an attempt, or money recorded) through sys in sys's current
// mode: the only orders a notification of sys may settle.
func attemptedThrough(o Order, sys gateway.System) bool {
	for _, p := range o.Payments {
		if p.PaymentSystemID == sys.ID && p.Mode == sys.Mode {
			return true
		}
	}
	return false
}

// foreignSystemTx answers a notification of sys that names order o, which was never paid through sys in its mode:
// money (paid, refunded) opens a foreign_system exception naming both systems; anything else is only recorded.
func (s *Service) foreignSystemTx(ctx context.Context, tx pgx.Tx, pre prepared, o Order, ev gateway.Event,
	row *eventRow) (Outcome, error) {
	sys := pre.sys
	if ev.Kind != gateway.EventPaid && ev.Kind != gateway.EventRefunded {
		return Outcome{Result: ResultForeignSystem}, nil
	}
	opened := fmt.Sprintf("payment system %d", o.PaymentSystemID)
	if pre.orderSystem.ID != 0 {
		opened = fmt.Sprintf("%s (%s mode)", pre.orderSystem.Name, pre.orderSystem.Mode)
	}
	return s.exceptionOutcome(ctx, tx, ExForeignSystem, o, sys, ev, row, fmt.Sprintf(
		"%s (%s mode) event %s (%s, %s) names order %s, opened through %s, which has no payment attempt through "+
			"%s in %s mode: not applied", sys.Name, sys.Mode, ev.ID, ev.Type, ev.Amount, o.Number, opened, sys.Name,
		sys.Mode))
}

// paymentByRef is o's payment through payment system systemID that ref names, if any.
func paymentByRef(o Order, systemID int64, ref string) (Payment, bool) {
	if ref == "" {
		return Payment{}, false
	}
	for i := len(o.Payments) - 1; i >= 0; i-- {
		if o.Payments[i].GatewayRef == ref && o.Payments[i].PaymentSystemID == systemID {
			return o.Payments[i], true
		}
	}
	return Payment{}, false
}

// attemptTx moves the attempt ev names to status (processing, or failed): the order itself stays open, so the
// payer can try again — an expired or failed Stripe session, even the order's only one, never closes the order.
func (s *Service) attemptTx(ctx context.Context, tx pgx.Tx, sys gateway.System, o Order, ev gateway.Event, status string) (Outcome, error) {
	result := ResultProcessing
	switch {
	case status == PaymentFailed && ev.Kind == gateway.EventExpired:
		result = ResultExpired
	case status == PaymentFailed:
		result = ResultFailed
	}
	p, ok := paymentByRef(o, sys.ID, ev.Ref)
	if !ok {
		return Outcome{Result: result}, nil
	}
	q := orderq.New(tx)
	var err error
	if status == PaymentProcessing {
		_, err = q.PaymentSetStatus(ctx, orderq.PaymentSetStatusParams{ID: p.ID, Status: PaymentProcessing,
			FromStatus: PaymentPending})
	} else {
		_, err = q.PaymentFailAttempt(ctx, orderq.PaymentFailAttemptParams{ID: p.ID,
			Comment: truncate(fmt.Sprintf("%s: %s", sys.Name, ev.Type), MaxComment)})
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("payment %d %s: %w", p.ID, status, err)
	}
	if ev.AltRef != "" {
		if err := q.PaymentSetAltRef(ctx, orderq.PaymentSetAltRefParams{ID: p.ID, GatewayAltRef: ev.AltRef}); err != nil {
			return Outcome{}, fmt.Errorf("payment %d second reference: %w", p.ID, err)
		}
	}
	if status == PaymentFailed {
		if err := s.deps.Events.EmitTx(ctx, tx, events.Event{Type: events.PaymentFailed, ID: p.ID}); err != nil {
			return Outcome{}, err
		}
	}
	return Outcome{Result: result}, nil
}
