package order

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order/orderq"
)

// lockedOrder reads order id inside tx and locks it, so a decision sees the state it is about to change. It does
// not wait for a lock someone else holds: that manager is deciding the order right now, and waiting would only
// hold a pooled connection to learn that they won (ErrBusy says so at once).
func lockedOrder(ctx context.Context, tx pgx.Tx, id int64) (Order, error) {
	// A savepoint keeps tx usable when the lock is refused; the row lock itself stays with tx.
	sp, err := tx.Begin(ctx)
	if err != nil {
		return Order{}, fmt.Errorf("savepoint: %w", err)
	}
	_, err = sp.Exec(ctx, "SELECT 1 FROM orders WHERE id = $1 FOR UPDATE NOWAIT", id)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "55P03" {
		_ = sp.Rollback(ctx)
		return Order{}, check.Conflictf(ErrBusy, "This order is being decided by someone else right now; reload to see the result.")
	}
	if err != nil {
		_ = sp.Rollback(ctx)
		return Order{}, fmt.Errorf("lock order %d: %w", id, err)
	}
	if err := sp.Commit(ctx); err != nil {
		return Order{}, fmt.Errorf("release savepoint: %w", err)
	}
	return getOrder(ctx, tx, id)
}

// conflictTx explains why order id could not change, reading its state as it is now.
func conflictTx(ctx context.Context, tx pgx.Tx, id int64, want error) error {
	o, err := getOrder(ctx, tx, id)
	if err != nil {
		return err
	}
	return stateError(o, want)
}

// approval is an Adjustment applied to an order: what the payment becomes.
type approval struct {
	price   money.Money
	paidOn  time.Time
	comment string // the payment's comment: the payer's, or the manager's correction
	note    string // the manager's own words on the decision ("" when they wrote none)
}

// apply checks adj against o's pending payment p and names every bad field.
func (adj Adjustment) apply(o Order, p Payment) (approval, error) {
	a := approval{price: o.Price, paidOn: p.PaidOn, comment: p.Comment}
	e := check.Errors{}
	if adj.Currency != nil {
		a.price.Currency = strings.ToUpper(strings.TrimSpace(*adj.Currency))
		if a.price.Currency != o.Price.Currency && adj.Amount == nil {
			e.Add("amount", "give the amount in the new currency")
		}
	}
	if adj.Amount != nil {
		a.price.Amount = *adj.Amount
	}
	for k, m := range money.Check(a.price.Amount, a.price.Currency, false) {
		e.Add(k, m)
	}
	if adj.PaidOn != nil {
		a.paidOn = dateOf(*adj.PaidOn)
		checkPaidOn(e, a.paidOn)
	}
	if adj.Comment != nil {
		a.comment = strings.TrimSpace(*adj.Comment)
		a.note = a.comment
		e.Text("comment", a.comment, false, MaxComment)
	}
	return a, e.Err()
}

// pendingPayment is o's latest pending payment; ok is false when it has none (then approval records one).
func pendingPayment(o Order) (Payment, bool) {
	for i := len(o.Payments) - 1; i >= 0; i-- {
		if o.Payments[i].Status == PaymentPending {
			return o.Payments[i], true
		}
	}
	return Payment{PaidOn: today()}, false
}

// Approve confirms a manual payment, with the manager's corrections: the order becomes completed, its payment
// succeeded (fee and net recomputed), the contact gets every product of the offer for its access days, and the
// timelines, e-mail and audit log are written — all or nothing. Deciding an order decided already (by another
// manager, or the deadline) is ErrNotOpen and changes nothing.
func (s *Service) Approve(ctx context.Context, id int64, adj Adjustment) (Order, error) {
	// Read what the decision needs from other modules first: inside the transaction only tx is used, so a decision
	// never waits for a second pooled connection while holding one.
	cur, err := getOrder(ctx, s.db, id)
	if err != nil {
		return Order{}, err
	}
	of, err := s.deps.Offers.Offer(ctx, cur.OfferID)
	if err != nil {
		return Order{}, fmt.Errorf("offer of order %s: %w", cur.Number, err)
	}
	sys, err := s.deps.Systems.Get(ctx, cur.PaymentSystemID)
	if err != nil {
		return Order{}, fmt.Errorf("payment system of order %s: %w", cur.Number, err)
	}
	var out Order
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		o, err := lockedOrder(ctx, tx, id)
		if err != nil {
			return err
		}
		if o.Status != StatusOpen {
			return stateError(o, ErrNotOpen)
		}
		p, hasPending := pendingPayment(o)
		a, err := adj.apply(o, p)
		if err != nil {
			return err
		}
		actor := audit.ActorFrom(ctx).Label
		r, err := orderq.New(tx).OrderComplete(ctx, orderq.OrderCompleteParams{ID: id, Amount: a.price.Amount,
			Currency: a.price.Currency, DecidedBy: actor, DecisionNote: a.note})
		if errors.Is(err, pgx.ErrNoRows) {
			return conflictTx(ctx, tx, id, ErrNotOpen)
		}
		if err != nil {
			return fmt.Errorf("complete order %d: %w", id, err)
		}
		o = withPayments(fromRow(r), o.Payments)
		if err := s.paySucceededTx(ctx, tx, &o, sys, p, hasPending, a); err != nil {
			return err
		}
		if err := s.grantTx(ctx, tx, o, of); err != nil {
			return err
		}
		msg := fmt.Sprintf("Order %s completed: payment of %s confirmed", o.Number, o.Price)
		if a.note != "" {
			msg += " — " + a.note
		}
		if err := s.eventsTx(ctx, tx, o, EventCompleted, msg); err != nil {
			return err
		}
		if err := s.notifyTx(ctx, tx, EmailCompleted, o, a.note); err != nil {
			return err
		}
		out = o
		return s.audit.RecordTx(ctx, tx, "order.approve", "order", id, map[string]any{"number": o.Number,
			"amount": o.Price.Amount, "currency": o.Price.Currency, "paid_on": a.paidOn.Format(time.DateOnly),
			"comment": a.comment})
	})
	return out, err
}

func withPayments(o Order, ps []Payment) Order {
	o.Payments = ps
	return o
}

// notifyTx e-mails o's contact at their current address.
func (s *Service) notifyTx(ctx context.Context, tx pgx.Tx, kind EmailKind, o Order, comment string) error {
	to, err := s.deps.Timeline.EmailTx(ctx, tx, o.ContactID)
	if err != nil {
		return fmt.Errorf("e-mail of contact %d: %w", o.ContactID, err)
	}
	return s.mailTx(ctx, tx, kind, o, to, comment)
}

// paySucceededTx marks the pending payment succeeded with the approved amount, or records a succeeded payment when
// the order had none pending.
func (s *Service) paySucceededTx(ctx context.Context, tx pgx.Tx, o *Order, sys gateway.System, p Payment, hasPending bool, a approval) error {
	fee, net := s.feeTx(ctx, tx, a.price, sys)
	q := orderq.New(tx)
	if !hasPending {
		r, err := q.PaymentInsert(ctx, orderq.PaymentInsertParams{OrderID: o.ID, PaymentSystemID: o.PaymentSystemID, Mode: sys.Mode,
			Status: PaymentSucceeded, Amount: a.price.Amount, Currency: a.price.Currency, Fee: fee, Net: net,
			PaidOn: a.paidOn, Comment: a.comment})
		if err != nil {
			return fmt.Errorf("insert payment: %w", err)
		}
		o.Payments = append(o.Payments, paymentFromRow(r))
		return nil
	}
	n, err := q.PaymentSucceed(ctx, orderq.PaymentSucceedParams{ID: p.ID, Amount: a.price.Amount,
		Currency: a.price.Currency, Fee: fee, Net: net, PaidOn: a.paidOn, Comment: a.comment})
	if err != nil {
		return fmt.Errorf("payment %d succeeded: %w", p.ID, err)
	}
	if n != 1 {
		return check.Conflictf(nil, "Payment %d is no longer pending; reload to see what changed.", p.ID)
	}
	for i := range o.Payments {
		if o.Payments[i].ID == p.ID {
			o.Payments[i].Status, o.Payments[i].Amount = PaymentSucceeded, a.price
			o.Payments[i].Fee, o.Payments[i].Net, o.Payments[i].PaidOn, o.Payments[i].Comment = fee, net, a.paidOn, a.comment
		}
	}
	return nil
}

// grantTx gives o's contact every product of o's offer for the offer's access days and remembers the grants.
func (s *Service) grantTx(ctx context.Context, tx pgx.Tx, o Order, of offer.Offer) error {
	q := orderq.New(tx)
	for _, pid := range of.ProductIDs {
		g, created, err := s.deps.Access.GrantTx(ctx, tx, access.NewGrant{ContactID: o.ContactID, ProductID: pid,
			Source: access.SourceOrder, SourceRef: o.Number, Days: of.AccessDays})
		if err != nil {
			return fmt.Errorf("grant product %d for order %s: %w", pid, o.Number, err)
		}
		if err := q.OrderGrantAdd(ctx, orderq.OrderGrantAddParams{OrderID: o.ID, GrantID: g.ID, ProductID: pid,
			Created: created}); err != nil {
			return fmt.Errorf("remember grant %d: %w", g.ID, err)
		}
	}
	return nil
}

// Reject declines a manual payment: the order becomes rejected, its pending payment failed, and the contact is
// told. Rejecting an order decided already is ErrNotOpen and changes nothing.
func (s *Service) Reject(ctx context.Context, id int64, comment string) (Order, error) {
	comment = strings.TrimSpace(comment)
	e := check.Errors{}
	e.Text("comment", comment, false, MaxComment)
	if err := e.Err(); err != nil {
		return Order{}, err
	}
	var out Order
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := lockedOrder(ctx, tx, id); err != nil {
			return err
		}
		r, err := orderq.New(tx).OrderReject(ctx, orderq.OrderRejectParams{ID: id,
			DecidedBy: audit.ActorFrom(ctx).Label, DecisionNote: comment})
		if err != nil {
			return decideErr(ctx, tx, id, err, ErrNotOpen)
		}
		o, err := s.rejectedTx(ctx, tx, fromRow(r), EventRejected, comment)
		out = o
		if err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, "order.reject", "order", id, map[string]any{"number": o.Number, "comment": comment})
	})
	return out, err
}

// decideErr maps a failed conditional update: no row means the order is unknown or in another state.
func decideErr(ctx context.Context, tx pgx.Tx, id int64, err, want error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return conflictTx(ctx, tx, id, want)
	}
	return fmt.Errorf("update order %d: %w", id, err)
}

// rejectedTx writes what follows a rejection (by a manager or the deadline): the pending payments fail, the
// timelines and the e-mail.
func (s *Service) rejectedTx(ctx context.Context, tx pgx.Tx, o Order, kind, reason string) (Order, error) {
	if err := attachPayments(ctx, tx, []*Order{&o}); err != nil {
		return o, err
	}
	q := orderq.New(tx)
	for i, p := range o.Payments {
		if p.Status != PaymentPending {
			continue
		}
		if _, err := q.PaymentSetStatus(ctx, orderq.PaymentSetStatusParams{ID: p.ID, Status: PaymentFailed,
			FromStatus: PaymentPending}); err != nil {
			return o, fmt.Errorf("payment %d failed: %w", p.ID, err)
		}
		o.Payments[i].Status = PaymentFailed
	}
	msg := fmt.Sprintf("Order %s rejected", o.Number)
	if reason != "" {
		msg += ": " + reason
	}
	if err := s.eventsTx(ctx, tx, o, kind, msg); err != nil {
		return o, err
	}
	return o, s.notifyTx(ctx, tx, EmailRejected, o, reason)
}

// Refund returns a completed order's money (recorded; the manual merchant moves no money itself): the order
// becomes refunded, its payment refunded with a refund record, the access grants it created are revoked, and the
// contact is told. Grants the order only extended (the contact had the product already) are kept, and the order's
// timeline says so. Refunding an order that is not completed is ErrNotCompleted and changes nothing.
func (s *Service) Refund(ctx context.Context, id int64, comment string) (Order, error) {
	comment = strings.TrimSpace(comment)
	e := check.Errors{}
	e.Text("comment", comment, false, MaxComment)
	if err := e.Err(); err != nil {
		return Order{}, err
	}
	var out Order
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := lockedOrder(ctx, tx, id); err != nil {
			return err
		}
		actor := audit.ActorFrom(ctx).Label
		r, err := orderq.New(tx).OrderRefund(ctx, orderq.OrderRefundParams{ID: id, DecidedBy: actor, DecisionNote: comment})
		if err != nil {
			return decideErr(ctx, tx, id, err, ErrNotCompleted)
		}
		o := fromRow(r)
		if err := attachPayments(ctx, tx, []*Order{&o}); err != nil {
			return err
		}
		if err := refundPaymentsTx(ctx, tx, &o, comment, actor); err != nil {
			return err
		}
		kept, err := s.revokeTx(ctx, tx, o, comment)
		if err != nil {
			return err
		}
		msg := fmt.Sprintf("Order %s refunded (%s)", o.Number, o.Price)
		if comment != "" {
			msg += ": " + comment
		}
		if kept > 0 {
			msg += fmt.Sprintf("; %d extended grant(s) kept, revoke them on the contact card if needed", kept)
		}
		if err := s.eventsTx(ctx, tx, o, EventRefunded, msg); err != nil {
			return err
		}
		if err := s.notifyTx(ctx, tx, EmailRefunded, o, comment); err != nil {
			return err
		}
		out = o
		return s.audit.RecordTx(ctx, tx, "order.refund", "order", id, map[string]any{"number": o.Number, "comment": comment})
	})
	return out, err
}

// refundPaymentsTx marks o's succeeded payments refunded and records a refund of each in full.
func refundPaymentsTx(ctx context.Context, tx pgx.Tx, o *Order, comment, actor string) error {
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
		if _, err := q.RefundInsert(ctx, orderq.RefundInsertParams{PaymentID: p.ID, Amount: p.Amount.Amount,
			Currency: p.Amount.Currency, Comment: comment, Actor: actor}); err != nil {
			return fmt.Errorf("refund payment %d: %w", p.ID, err)
		}
	}
	return nil
}

// revokeTx revokes the grants o created; it returns how many grants o only extended (kept).
func (s *Service) revokeTx(ctx context.Context, tx pgx.Tx, o Order, comment string) (kept int, err error) {
	grants, err := orderq.New(tx).OrderGrants(ctx, o.ID)
	if err != nil {
		return 0, fmt.Errorf("grants of order %s: %w", o.Number, err)
	}
	reason := "order " + o.Number + " refunded"
	if comment != "" {
		reason += ": " + comment
	}
	reason = truncate(reason, access.MaxReason)
	for _, g := range grants {
		if !g.Created {
			kept++
			continue
		}
		if _, err := s.deps.Access.RevokeTx(ctx, tx, g.GrantID, reason); err != nil && !errors.Is(err, access.ErrRevoked) &&
			!errors.Is(err, check.ErrNotFound) {
			return kept, fmt.Errorf("revoke grant %d: %w", g.GrantID, err)
		}
	}
	return kept, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
