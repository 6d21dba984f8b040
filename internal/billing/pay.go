package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/billing/billingq"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
)

func (c *Completions) core() core { return core{audit: c.audit, cfg: c.cfg, deps: c.deps} }

// OrderCompletedTx runs inside the transaction completing o, after the payment links' (the link o paid is marked
// paid already, o and the link locked): when o paid a receipt's link (o's offer is the link's), the receipt records
// the payment: paid in full (the enrollment activated, resumed or completed, the payer e-mailed the receipt) or in
// part (a River job makes a link for the rest). Only orders of payment links run a statement here. A payment in
// another currency than the receipt's, or for a receipt no longer open, is left for a manager (a line on the
// enrollment's timeline says so).
func (c *Completions) OrderCompletedTx(ctx context.Context, tx pgx.Tx, o order.Order) error {
	if o.Channel != order.ChannelLink {
		return nil
	}
	ctx, evs := withBatch(ctx)
	if err := c.orderCompletedTx(ctx, tx, o); err != nil {
		return err
	}
	return evs.EmitTx(ctx, c.deps.Events, tx)
}

// orderCompletedTx is OrderCompletedTx with ctx carrying its batch of events.
func (c *Completions) orderCompletedTx(ctx context.Context, tx pgx.Tx, o order.Order) error {
	cr := c.core()
	row, err := billingq.New(tx).ReceiptByPayOffer(ctx, &o.OfferID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // not a receipt's link
	}
	if err != nil {
		return fmt.Errorf("receipt of order %s: %w", o.Number, err)
	}
	r := receiptFrom(row)
	if !r.Status.Open() || o.Price.Currency != r.Amount.Currency {
		e, err := getEnrollment(ctx, tx, r.EnrollmentID)
		if err != nil {
			return err
		}
		msg := fmt.Sprintf("Order %s paid %s for receipt %s, which is %s: left for a manager", o.Number, o.Price,
			r.Number, r.Status)
		if r.Status.Open() {
			msg = fmt.Sprintf("Order %s paid %s for receipt %s in %s: left for a manager", o.Number, o.Price,
				r.Number, r.Amount.Currency)
		}
		return cr.eventTx(ctx, tx, e, r.ID, "receipt.payment_unmatched", msg, "receipt.payment_unmatched",
			map[string]any{"order_id": o.ID})
	}
	paidOn := cr.now()
	for _, p := range o.Payments {
		if p.Status == "succeeded" && !p.PaidOn.IsZero() {
			paidOn = p.PaidOn
		}
	}
	r, full, err := cr.payTx(ctx, tx, r, o.Price.Amount, o.ID, MethodOrder, "order "+o.Number, paidOn)
	if err != nil || full || !r.Status.Open() {
		return err
	}
	if _, err := cr.deps.Jobs.InsertTx(ctx, tx, RelinkArgs{ReceiptID: r.ID}, nil); err != nil {
		return fmt.Errorf("relink receipt %s: %w", r.Number, err)
	}
	return nil
}

// payTx records amount paid against locked open receipt r (by order orderID, 0 for cash): the payment row, the
// receipt partially paid or paid, and, paid in full, what follows for its enrollment. full says it was paid in full.
// An order recorded already changes nothing.
func (c core) payTx(ctx context.Context, tx pgx.Tx, r Receipt, amount, orderID int64, method, note string,
	paidOn time.Time) (Receipt, bool, error) {
	now := c.now()
	var oid *int64
	if orderID != 0 {
		oid = &orderID
	}
	if _, err := billingq.New(tx).PaymentInsert(ctx, billingq.PaymentInsertParams{ReceiptID: r.ID, OrderID: oid,
		Method: method, Amount: amount, Currency: r.Amount.Currency, PaidOn: paidOn, Note: note,
		RecordedBy: audit.ActorFrom(ctx).Label, Now: now}); errors.Is(err, pgx.ErrNoRows) {
		return r, false, nil // this order was recorded already
	} else if err != nil {
		return Receipt{}, false, fmt.Errorf("record payment of receipt %s: %w", r.Number, err)
	}
	r.Paid += amount
	full := r.Paid >= r.Amount.Amount
	switch {
	case full:
		r.Status, r.PaidAt = ReceiptPaid, &now
	case r.Status != ReceiptOverdue:
		r.Status = ReceiptPartiallyPaid
	}
	r, err := c.saveReceipt(ctx, tx, r)
	if err != nil {
		return Receipt{}, false, err
	}
	e, err := lockEnrollment(ctx, tx, r.EnrollmentID)
	if err != nil {
		return Receipt{}, false, err
	}
	paid := money.Money{Amount: amount, Currency: r.Amount.Currency}.String()
	kind, msg := EventPartPaid, fmt.Sprintf("Receipt %s partially paid: %s (%s), %s left", r.Number, paid, note, r.Due())
	if full {
		kind, msg = EventReceiptPaid, fmt.Sprintf("Receipt %s paid: %s (%s)", r.Number, paid, note)
	}
	if err := c.eventTx(ctx, tx, e, r.ID, kind, msg, "receipt.pay", map[string]any{"amount": amount,
		"method": method, "order_id": orderID, "paid": r.Paid}); err != nil {
		return Receipt{}, false, err
	}
	if !full {
		return r, false, nil
	}
	return r, true, c.paidTx(ctx, tx, e, r)
}

// paidTx follows receipt r paid in full for locked enrollment e: a pending enrollment activated (access granted to
// the learner, the welcome e-mailed), paid_through moved on, a suspended one resumed when no other receipt is past
// its grace, an installment unlocking its product, the last period completing it, and the receipt e-mailed.
func (c core) paidTx(ctx context.Context, tx pgx.Tx, e Enrollment, r Receipt) error {
	return c.paidMailTx(ctx, tx, e, r, true)
}

// paidMailTx is paidTx; mail false leaves out the receipt's e-mail (a receipt waived).
func (c core) paidMailTx(ctx context.Context, tx pgx.Tx, e Enrollment, r Receipt, mail bool) error {
	now := c.now()
	if e.PaidThrough == nil || r.PeriodEnd.After(*e.PaidThrough) {
		e.PaidThrough = &r.PeriodEnd
	}
	switch e.Status {
	case EnrollmentPending:
		e.Status, e.ActivatedAt, e.ExpiresAt = EnrollmentActive, &now, nil
		if err := c.grantTx(ctx, tx, e, r.Period); err != nil {
			return err
		}
		if err := c.eventTx(ctx, tx, e, r.ID, EventActivated, fmt.Sprintf("Enrollment active: receipt %s paid",
			r.Number), "enrollment.activate", nil); err != nil {
			return err
		}
		url, err := c.deps.Welcome.WelcomeLinkTx(ctx, tx, e.LearnerID, e.OfferID)
		if err != nil {
			return err
		}
		if err := c.mailTx(ctx, tx, EmailWelcome, e.LearnerID, e, Receipt{}, fmt.Sprintf("enrollment:%d:welcome", e.ID),
			func(m *Email) { m.SignInURL = url }); err != nil {
			return err
		}
	case EnrollmentSuspended:
		n, err := billingq.New(tx).ReceiptsPastGrace(ctx, billingq.ReceiptsPastGraceParams{EnrollmentID: e.ID,
			ExceptID: r.ID, Now: now})
		if err != nil {
			return fmt.Errorf("receipts past grace: %w", err)
		}
		if n == 0 {
			if e, err = c.resumeTx(ctx, tx, e, fmt.Sprintf("Enrollment resumed: receipt %s paid", r.Number)); err != nil {
				return err
			}
		}
		if e.UnlockByPart && r.Period > 0 {
			if err := c.grantTx(ctx, tx, e, r.Period); err != nil {
				return err
			}
		}
	default:
		if e.UnlockByPart && r.Period > 0 && e.Status == EnrollmentActive {
			if err := c.grantTx(ctx, tx, e, r.Period); err != nil {
				return err
			}
		}
	}
	if e.Schedule.Bounded() && r.Period >= e.Schedule.Periods-1 && e.Status == EnrollmentActive {
		e.Status, e.EndedAt, e.EndReason, e.NextIssueAt = EnrollmentCompleted, &now, "completed", nil
		if err := c.eventTx(ctx, tx, e, r.ID, EventCompleted, "Enrollment completed: the last receipt is paid",
			"enrollment.complete", nil); err != nil {
			return err
		}
	}
	e, err := c.saveEnrollment(ctx, tx, e)
	if err != nil || !mail {
		return err
	}
	doc, err := c.documentTx(ctx, tx, r)
	if err != nil {
		return err
	}
	doc.Enrollment = e
	return c.mailTx(ctx, tx, EmailPaid, e.PayerID, e, r, fmt.Sprintf("receipt:%d:paid", r.ID),
		func(m *Email) { m.Document = &doc })
}

// resumeTx makes suspended enrollment e active again, its access resumed, the payer e-mailed.
func (c core) resumeTx(ctx context.Context, tx pgx.Tx, e Enrollment, msg string) (Enrollment, error) {
	ids, err := grantIDs(ctx, tx, e.ID)
	if err != nil {
		return Enrollment{}, err
	}
	if err := c.deps.Access.ResumeTx(ctx, tx, ids); err != nil {
		return Enrollment{}, err
	}
	e.Status, e.SuspendedAt = EnrollmentActive, nil
	if err := c.eventTx(ctx, tx, e, 0, EventResumed, msg, "enrollment.resume", nil); err != nil {
		return Enrollment{}, err
	}
	stamp := c.now().Unix()
	return e, c.mailTx(ctx, tx, EmailResumed, e.PayerID, e, Receipt{}, fmt.Sprintf("enrollment:%d:resumed:%d", e.ID,
		stamp), nil)
}

// grantTx grants enrollment e's learner what paying part unlocks: every product of the offer, or, installments
// unlocking by part, product part (the last part unlocks the rest). The grants are recorded as the enrollment's.
func (c core) grantTx(ctx context.Context, tx pgx.Tx, e Enrollment, part int) error {
	of, err := c.deps.Offers.Offer(ctx, e.OfferID)
	if err != nil {
		return err
	}
	products := of.ProductIDs
	if e.Kind == KindInstallments && e.UnlockByPart {
		switch {
		case part >= len(products):
			products = nil
		case part >= e.Schedule.Periods-1:
			products = products[part:]
		default:
			products = products[part : part+1]
		}
	}
	for _, pid := range products {
		g, _, err := c.deps.Access.GrantTx(ctx, tx, access.NewGrant{ContactID: e.LearnerID, ProductID: pid,
			Source: access.SourceEnrollment, SourceRef: fmt.Sprintf("enrollment:%d", e.ID)})
		if err != nil {
			return err
		}
		if err := billingq.New(tx).GrantAdd(ctx, billingq.GrantAddParams{EnrollmentID: e.ID, GrantID: g.ID,
			Part: int32(part)}); err != nil {
			return fmt.Errorf("record grant of enrollment %d: %w", e.ID, err)
		}
	}
	return nil
}
