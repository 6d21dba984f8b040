package order

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order/orderq"
)

// The effects of an order's decision, each written once. The exported methods own the transaction and say what
// happened (Approve, Ingest's paid notification, AcceptException; Refund, a gateway's refund, RefundOrder;
// Reject, the deadline); these helpers do the work inside it:
//
//   - completeTx: an open order completes — the conditional update, the payment succeeded, the grants, both
//     timelines, the completed e-mail or a visitor's welcome link, the audit entry, then Deps.Completions (payment
//     links paid or voided);
//   - refundedTx: a completed order becomes refunded — the grants it created revoked, timelines, e-mail, audit;
//   - rejectedTx: an open order was rejected — its pending payments fail, timelines, e-mail, audit.

// completion describes one completion of an open order: who completes it, with what money.
type completion struct {
	order   Order          // locked and open (or from); ContactID set (a visitor's payer made by the caller)
	from    Status         // the status the order completes from: "" for open; refunded, rejected… to reinstate it
	offer   offer.Offer    // its products are granted for its access days
	until   *time.Time     // or until this moment (a subscription's charge: the paid period's end plus grace)
	noGrant bool           // no access at all (a subscription's charge for a period already over)
	sys     gateway.System // the payment system that took the money: the fee, the payment's mode, the order's system
	price   money.Money    // the order's price once completed
	note    string         // the decision note the order keeps
	pay     paySuccess     // the payment that becomes succeeded
	event   string         // the order.completed line on the order's and the contact's timelines
	line    string         // a notification's line for the order's timeline after event ("" for none)
	mail    string         // the completed e-mail's comment ("" for none)
	payer   payerOf        // a visitor's new contact: the welcome link goes instead of the completed e-mail
	action  string         // the audit action (order.approve, order.complete)
	details map[string]any // the audit details
}

// paySuccess is the payment a completion (or an accepted late payment) marks succeeded: attempt when found, else a
// new payment is recorded.
type paySuccess struct {
	attempt    Payment
	found      bool
	from       []string // the statuses the attempt may still be in; another one is a conflict
	amount     money.Money
	paidOn     time.Time
	comment    string
	setComment bool   // replace the attempt's comment with comment (a new payment always gets it)
	ref        string // the gateway reference; "" keeps the attempt's
	altRef     string // the gateway's second reference; set only when the payment has none
	payerEmail string // "" keeps the attempt's
}

// openAttempt is what a gateway's payment (or an accepted one) may find its attempt in.
var openAttempt = []string{PaymentPending, PaymentProcessing, PaymentFailed}

// completeTx completes c.order: it becomes completed at c.price through c.sys, from open or from c.from (a
// reinstated order; an order decided meanwhile is the ErrNotOpen conflict), its payment succeeded with fee and net,
// its offer granted, the timelines, the e-mail (or the welcome link) and the audit entry written. It returns the
// order as completed.
func (s *Service) completeTx(ctx context.Context, tx pgx.Tx, c completion) (Order, error) {
	o, from := c.order, c.from
	if from == "" {
		from = StatusOpen
	}
	r, err := orderq.New(tx).OrderComplete(ctx, orderq.OrderCompleteParams{ID: o.ID, Amount: c.price.Amount,
		Currency: c.price.Currency, PaymentSystemID: c.sys.ID, DecidedBy: audit.ActorFrom(ctx).Label,
		DecisionNote: c.note, FromStatus: string(from)})
	if errors.Is(err, pgx.ErrNoRows) {
		return o, conflictTx(ctx, tx, o.ID, ErrNotOpen) // cannot happen under the lock; never guess
	}
	if err != nil {
		return o, fmt.Errorf("complete order %d: %w", o.ID, err)
	}
	o = withPayments(fromRow(r), o.Payments)
	// order.completed, payment.succeeded and access.granted go out in one EmitTx once everything is written.
	evs := &events.Batch{}
	evs.Add(events.Event{Type: events.OrderCompleted, ID: o.ID})
	if err := s.succeedPaymentTx(ctx, tx, &o, c.sys, c.pay, evs); err != nil {
		return o, err
	}
	var grants []orderGrant
	if !c.noGrant {
		if grants, err = s.grantTx(ctx, tx, o, c.offer, c.until, evs); err != nil {
			return o, err
		}
	}
	// The order's lines and the grants it remembers in one statement; the contact's line with their e-mail in one.
	var to string
	if err := s.linesTx(ctx, tx, o, orderLines{kind: EventCompleted, msg: c.event, line: c.line, grants: grants,
		email: &to}); err != nil {
		return o, err
	}
	if c.payer.contact.ID == 0 {
		if err := s.mailTx(ctx, tx, EmailCompleted, o, to, c.mail); err != nil {
			return o, err
		}
	} else if err := s.welcomeTx(ctx, tx, o, c.payer); err != nil {
		return o, err
	}
	if err := s.audit.RecordTx(ctx, tx, c.action, "order", o.ID, c.details); err != nil {
		return o, err
	}
	if err := s.deps.Completions.OrderCompletedTx(ctx, tx, o); err != nil {
		return o, err
	}
	return o, evs.EmitTx(ctx, s.deps.Events, tx)
}

// succeedPaymentTx marks ps's attempt of o succeeded (fee and net computed for sys), or records a succeeded payment
// through sys when there is none; o.Payments follows. payment.succeeded is added to evs.
func (s *Service) succeedPaymentTx(ctx context.Context, tx pgx.Tx, o *Order, sys gateway.System, ps paySuccess, evs *events.Batch) error {
	fee, net := s.feeTx(ctx, tx, ps.amount, sys)
	q := orderq.New(tx)
	if !ps.found {
		r, err := q.PaymentInsert(ctx, orderq.PaymentInsertParams{OrderID: o.ID, PaymentSystemID: sys.ID, Mode: sys.Mode,
			Status: PaymentSucceeded, Amount: ps.amount.Amount, Currency: ps.amount.Currency, Fee: fee, Net: net,
			PaidOn: ps.paidOn, Comment: ps.comment, GatewayRef: ps.ref, PayerEmail: ps.payerEmail})
		if err != nil {
			return fmt.Errorf("insert payment %s: %w", ps.ref, err)
		}
		p := paymentFromRow(r)
		o.Payments = append(o.Payments, p)
		evs.Add(events.Event{Type: events.PaymentSucceeded, ID: p.ID})
		if ps.altRef == "" {
			return nil
		}
		if err := q.PaymentSetAltRef(ctx, orderq.PaymentSetAltRefParams{ID: p.ID, GatewayAltRef: ps.altRef}); err != nil {
			return fmt.Errorf("payment %d second reference: %w", p.ID, err)
		}
		return nil
	}
	p := ps.attempt
	n, err := q.PaymentSucceed(ctx, orderq.PaymentSucceedParams{ID: p.ID, FromStatuses: ps.from,
		Amount: ps.amount.Amount, Currency: ps.amount.Currency, Fee: fee, Net: net, PaidOn: ps.paidOn,
		SetComment: ps.setComment, Comment: ps.comment, GatewayRef: ps.ref, PayerEmail: ps.payerEmail,
		GatewayAltRef: ps.altRef})
	if err != nil {
		return fmt.Errorf("payment %d succeeded: %w", p.ID, err)
	}
	if n != 1 {
		if slices.Equal(ps.from, []string{PaymentPending}) {
			return check.Conflictf(nil, "Payment %d is no longer pending; reload to see what changed.", p.ID)
		}
		return check.Conflictf(nil, "Payment %d is no longer an open attempt; reload to see what changed.", p.ID)
	}
	evs.Add(events.Event{Type: events.PaymentSucceeded, ID: p.ID})
	for i := range o.Payments {
		m := &o.Payments[i]
		if m.ID != p.ID {
			continue
		}
		m.Status, m.Amount, m.Fee, m.Net, m.PaidOn = PaymentSucceeded, ps.amount, fee, net, ps.paidOn
		if ps.setComment {
			m.Comment = ps.comment
		}
		if ps.ref != "" {
			m.GatewayRef = ps.ref
		}
		if ps.payerEmail != "" {
			m.PayerEmail = ps.payerEmail
		}
	}
	return nil
}

// grantTx gives o's contact every product of o's offer for the offer's access days, or until until when set; it
// returns the grants for the order to remember (order_grants, written by linesTx). access.granted is added to evs.
func (s *Service) grantTx(ctx context.Context, tx pgx.Tx, o Order, of offer.Offer, until *time.Time, evs *events.Batch) ([]orderGrant, error) {
	grants := make([]orderGrant, 0, len(of.ProductIDs))
	for _, pid := range of.ProductIDs {
		n := access.NewGrant{ContactID: o.ContactID, ProductID: pid, Source: access.SourceOrder, SourceRef: o.Number,
			Days: of.AccessDays}
		if until != nil {
			n.Days, n.EndsAt = 0, until
		}
		g, created, err := s.deps.Access.GrantBatchTx(ctx, tx, n, evs)
		if err != nil {
			return nil, fmt.Errorf("grant product %d for order %s: %w", pid, o.Number, err)
		}
		grants = append(grants, orderGrant{id: g.ID, product: pid, created: created})
	}
	return grants, nil
}

// orderGrant is a grant an order made (created) or extended, for order_grants.
type orderGrant struct {
	id, product int64
	created     bool
}

// notifyTx e-mails o's contact at their current address.
func (s *Service) notifyTx(ctx context.Context, tx pgx.Tx, kind EmailKind, o Order, comment string) error {
	to, err := s.deps.Timeline.EmailTx(ctx, tx, o.ContactID)
	if err != nil {
		return fmt.Errorf("e-mail of contact %d: %w", o.ContactID, err)
	}
	return s.mailTx(ctx, tx, kind, o, to, comment)
}

// refundal describes a completed order becoming refunded.
type refundal struct {
	note string // the decision note: on the timelines, in the audit entry and in the revoked grants' reason
	mail string // the refunded e-mail's comment ("" for none: a gateway's note is internal)
	// payments refunds the order's succeeded payments in full with refund records (the manual Refund); a gateway's
	// refunds were recorded by the caller.
	payments bool
	// access is the offer's refund access policy (offer.AccessRevoke, …; "" revokes): refundAccessTx.
	access string
}

// refundedTx makes completed order id refunded (another state is the ErrNotCompleted conflict): with rf.payments
// its payments are refunded, the grants it created are revoked (those it only extended are kept, and the timeline
// says so), and the timelines, the e-mail and the audit entry are written. It returns the order as refunded.
func (s *Service) refundedTx(ctx context.Context, tx pgx.Tx, id int64, rf refundal) (Order, error) {
	actor := audit.ActorFrom(ctx).Label
	r, err := orderq.New(tx).OrderRefund(ctx, orderq.OrderRefundParams{ID: id, DecidedBy: actor, DecisionNote: rf.note})
	if err != nil {
		return Order{}, decideErr(ctx, tx, id, err, ErrNotCompleted)
	}
	o := fromRow(r)
	if err := attachPayments(ctx, tx, []*Order{&o}); err != nil {
		return o, err
	}
	evs := &events.Batch{}
	if rf.payments {
		if err := refundPaymentsTx(ctx, tx, &o, rf.note, actor, evs); err != nil {
			return o, err
		}
	}
	accessDone, err := s.refundAccessTx(ctx, tx, o, rf.access, rf.note)
	if err != nil {
		return o, err
	}
	msg := fmt.Sprintf("Order %s refunded (%s)", o.Number, o.Price)
	if rf.note != "" {
		msg += ": " + rf.note
	}
	msg += accessDone
	if err := s.eventsTx(ctx, tx, o, EventRefunded, msg); err != nil {
		return o, err
	}
	if err := s.notifyTx(ctx, tx, EmailRefunded, o, rf.mail); err != nil {
		return o, err
	}
	if err := s.audit.RecordTx(ctx, tx, "order.refund", "order", o.ID, map[string]any{"number": o.Number,
		"comment": rf.note}); err != nil {
		return o, err
	}
	evs.Add(events.Event{Type: events.OrderRefunded, ID: o.ID})
	return o, evs.EmitTx(ctx, s.deps.Events, tx)
}

// refundPaymentsTx marks o's succeeded payments refunded and records a refund of each in full (refund.created
// added to evs).
func refundPaymentsTx(ctx context.Context, tx pgx.Tx, o *Order, comment, actor string, evs *events.Batch) error {
	q := orderq.New(tx)
	for i, p := range o.Payments {
		if p.Status != PaymentSucceeded {
			continue
		}
		if _, err := q.PaymentSetStatus(ctx, orderq.PaymentSetStatusParams{ID: p.ID, Status: PaymentRefunded,
			FromStatus: PaymentSucceeded}); err != nil {
			return fmt.Errorf("payment %d refunded: %w", p.ID, err)
		}
		o.Payments[i].Status = PaymentRefunded
		if p.Amount.Amount == 0 {
			continue
		}
		rf, err := q.RefundInsert(ctx, orderq.RefundInsertParams{PaymentID: p.ID, Amount: p.Amount.Amount,
			Currency: p.Amount.Currency, Comment: comment, Actor: actor})
		if err != nil {
			return fmt.Errorf("refund payment %d: %w", p.ID, err)
		}
		evs.Add(events.Event{Type: events.RefundCreated, ID: rf.ID})
	}
	return nil
}

// revokeTx revokes the grants o created because it was refunded; it returns how many grants o only extended (kept).
func (s *Service) revokeTx(ctx context.Context, tx pgx.Tx, o Order, comment string) (kept int, err error) {
	reason := "order " + o.Number + " refunded"
	if comment != "" {
		reason += ": " + comment
	}
	return s.revokeGrantsTx(ctx, tx, o, reason)
}

// rejection describes an open order that was rejected (its conditional update made by the caller: a manager's
// OrderReject, the deadline's OrderExpireDue).
type rejection struct {
	event   string         // the timeline kind: EventRejected, EventExpired
	reason  string         // on the timelines and in the e-mail ("" for none)
	action  string         // the audit action (order.reject, order.expire)
	details map[string]any // the audit details besides the order's number
}

// rejectedTx writes what follows a rejection of o: the pending payments fail, the timelines, the e-mail and the
// audit entry. It returns o with its payments.
func (s *Service) rejectedTx(ctx context.Context, tx pgx.Tx, o Order, rj rejection) (Order, error) {
	if err := attachPayments(ctx, tx, []*Order{&o}); err != nil {
		return o, err
	}
	q := orderq.New(tx)
	evs := &events.Batch{}
	for i, p := range o.Payments {
		if p.Status != PaymentPending {
			continue
		}
		if _, err := q.PaymentSetStatus(ctx, orderq.PaymentSetStatusParams{ID: p.ID, Status: PaymentFailed,
			FromStatus: PaymentPending}); err != nil {
			return o, fmt.Errorf("payment %d failed: %w", p.ID, err)
		}
		o.Payments[i].Status = PaymentFailed
		evs.Add(events.Event{Type: events.PaymentFailed, ID: p.ID})
	}
	msg := fmt.Sprintf("Order %s rejected", o.Number)
	if rj.reason != "" {
		msg += ": " + rj.reason
	}
	if err := s.eventsTx(ctx, tx, o, rj.event, msg); err != nil {
		return o, err
	}
	if err := s.notifyTx(ctx, tx, EmailRejected, o, rj.reason); err != nil {
		return o, err
	}
	details := map[string]any{"number": o.Number}
	for k, v := range rj.details {
		details[k] = v
	}
	if err := s.audit.RecordTx(ctx, tx, rj.action, "order", o.ID, details); err != nil {
		return o, err
	}
	t := events.OrderRejected
	if rj.event == EventExpired {
		t = events.OrderExpired
	}
	evs.Add(events.Event{Type: t, ID: o.ID})
	return o, evs.EmitTx(ctx, s.deps.Events, tx)
}
