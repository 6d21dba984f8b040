package order

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
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
		msg := fmt.Sprintf("Order %s completed: payment of %s confirmed", o.Number, a.price)
		if a.note != "" {
			msg += " — " + a.note
		}
		o, err = s.completeTx(ctx, tx, completion{order: o, offer: of, sys: sys, price: a.price, note: a.note,
			pay: paySuccess{attempt: p, found: hasPending, from: []string{PaymentPending}, amount: a.price,
				paidOn: a.paidOn, comment: a.comment, setComment: true},
			event: msg, mail: a.note, action: "order.approve", details: map[string]any{"number": o.Number,
				"amount": a.price.Amount, "currency": a.price.Currency, "paid_on": a.paidOn.Format(time.DateOnly),
				"comment": a.comment}})
		if err != nil {
			return err
		}
		out = o
		return nil
	})
	return out, err
}

func withPayments(o Order, ps []Payment) Order {
	o.Payments = ps
	return o
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
		out, err = s.rejectedTx(ctx, tx, fromRow(r), rejection{event: EventRejected, reason: comment,
			action: "order.reject", details: map[string]any{"comment": comment}})
		return err
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
	policy, err := s.refundPolicy(ctx, id)
	if err != nil {
		return Order{}, err
	}
	var out Order
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := lockedOrder(ctx, tx, id); err != nil {
			return err
		}
		o, err := s.refundedTx(ctx, tx, id, refundal{note: comment, mail: comment, payments: true, access: policy})
		if err != nil {
			return err
		}
		out = o
		return nil
	})
	return out, err
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
