package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/billing/billingq"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/paylink"
)

// notOpen is the ErrNotOpen conflict saying what receipt r became.
func notOpen(r Receipt) error {
	se := check.Conflictf(ErrNotOpen, "Receipt %s is %s already; nothing was changed.", r.Number,
		stringsReplace(string(r.Status)))
	se.Who = r.DecidedBy
	if r.DecidedAt != nil {
		se.When = *r.DecidedAt
	} else if r.PaidAt != nil {
		se.When = *r.PaidAt
	}
	return se
}

func stringsReplace(s string) string {
	out := []byte(s)
	for i, b := range out {
		if b == '_' {
			out[i] = ' '
		}
	}
	return string(out)
}

// attempts bounds how often a change that cancels a link starts again when a payment of that link opened another
// order meanwhile (paylink.ErrClosing).
const attempts = 5

// withLinkClosed runs f in a transaction after cancelling receipt id's active link in it (locking the link's order,
// then the link, as a completing payment does, before the receipt): a link no longer active is left as it is (its
// payment, if any, has reached the receipt or becomes a payment exception). f gets the receipt locked.
func (s *Service) withLinkClosed(ctx context.Context, id int64, comment string,
	f func(ctx context.Context, tx pgx.Tx, r Receipt) error) error {
	for range attempts {
		err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
			row, err := billingq.New(tx).ReceiptGet(ctx, id)
			if err != nil {
				return notFound("receipt", id, err)
			}
			r := receiptFrom(row)
			if !r.Status.Open() {
				return notOpen(r)
			}
			if r.LinkID != 0 {
				if _, err := s.deps.Links.CancelTx(ctx, tx, r.LinkID, comment); err != nil &&
					!errors.Is(err, paylink.ErrNotActive) {
					return err
				}
			}
			if r, err = lockReceipt(ctx, tx, id); err != nil {
				return err
			}
			if !r.Status.Open() {
				return notOpen(r)
			}
			return f(ctx, tx, r)
		})
		if !errors.Is(err, paylink.ErrClosing) {
			return err
		}
	}
	return paylink.ErrClosing
}

// RecordPayment records cash (or money received another way) against receipt id by the manager in ctx: partially
// paid, or paid in full (the enrollment activated or resumed as paying by link would). More than is due is a field
// error. The receipt's link is cancelled; what is left gets a new one.
func (s *Service) RecordPayment(ctx context.Context, id int64, p CashPayment) (Receipt, error) {
	c := s.core()
	e := check.Errors(money.Check(p.Amount.Amount, p.Amount.Currency, false))
	if err := e.Err(); err != nil {
		return Receipt{}, err
	}
	cur, err := s.Receipt(ctx, id)
	if err != nil {
		return Receipt{}, err
	}
	switch {
	case !cur.Status.Open():
		return Receipt{}, notOpen(cur) // a second click, or paid meanwhile: a conflict, not an amount error
	case p.Amount.Currency != cur.Amount.Currency:
		e.Add("currency", "must be the receipt's currency, "+cur.Amount.Currency)
	case p.Amount.Amount > cur.Due().Amount:
		e.Add("amount", fmt.Sprintf("is more than what is due, %s", cur.Due()))
	}
	if !p.PaidOn.IsZero() && p.PaidOn.After(c.now()) {
		e.Add("paid_on", "must not be in the future")
	}
	if err := e.Err(); err != nil {
		return Receipt{}, err
	}
	var out Receipt
	err = s.withLinkClosed(ctx, id, "paid another way", func(ctx context.Context, tx pgx.Tx, r Receipt) error {
		if p.Amount.Amount > r.Due().Amount {
			return check.Field("amount", fmt.Sprintf("is more than what is due, %s", r.Due()))
		}
		paidOn := p.PaidOn
		if paidOn.IsZero() {
			paidOn = c.now()
		}
		r, full, err := c.payTx(ctx, tx, r, p.Amount.Amount, 0, MethodCash, p.Note, paidOn)
		if err != nil {
			return err
		}
		if !full {
			e, err := getEnrollment(ctx, tx, r.EnrollmentID)
			if err != nil {
				return err
			}
			if r, err = s.linkTx(ctx, tx, e, r, c.linkExpiry()); err != nil {
				return err
			}
		}
		out = r
		return nil
	})
	return out, err
}

// Relink gives partially paid receipt id a new link for what is left, and e-mails it to the payer (the
// billing.relink job after a part paid through the link). A receipt no longer open, or whose link is still active,
// is left as it is.
func (s *Service) Relink(ctx context.Context, id int64) (Receipt, error) {
	ctx = system(ctx)
	c := s.core()
	var out Receipt
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		r, err := lockReceipt(ctx, tx, id)
		if err != nil {
			return err
		}
		out = r
		if !r.Status.Open() {
			return nil
		}
		if r.LinkID != 0 {
			l, err := s.deps.Links.Get(ctx, r.LinkID)
			if err != nil {
				return err
			}
			if l.Status == paylink.StatusActive && !l.Expired(c.now()) {
				return nil
			}
		}
		e, err := getEnrollment(ctx, tx, r.EnrollmentID)
		if err != nil {
			return err
		}
		if out, err = s.linkTx(ctx, tx, e, r, c.linkExpiry()); err != nil {
			return err
		}
		return c.mailTx(ctx, tx, EmailIssued, e.PayerID, e, out, fmt.Sprintf("receipt:%d:issued:%d", r.ID,
			*nonZero(out.LinkID)), nil)
	})
	return out, err
}

func nonZero(v int64) *int64 { return &v }

// Waive forgives what is left of receipt id: its link is cancelled (a payment still arriving becomes a payment
// exception); a receipt paid meanwhile is ErrNotOpen. The enrollment goes on as if it was paid (a pending one is
// activated, a suspension it caused lifted), without the receipt's e-mail.
func (s *Service) Waive(ctx context.Context, id int64, reason string) (Receipt, error) {
	if err := checkReason(reason); err != nil {
		return Receipt{}, err
	}
	c := s.core()
	var out Receipt
	err := s.withLinkClosed(ctx, id, "receipt waived", func(ctx context.Context, tx pgx.Tx, r Receipt) error {
		now := c.now()
		r.Status, r.DecidedAt, r.DecidedBy, r.Note = ReceiptWaived, &now, audit.ActorFrom(ctx).Label, reason
		r, err := c.saveReceipt(ctx, tx, r)
		if err != nil {
			return err
		}
		e, err := lockEnrollment(ctx, tx, r.EnrollmentID)
		if err != nil {
			return err
		}
		if err := c.eventTx(ctx, tx, e, r.ID, EventWaived, fmt.Sprintf("Receipt %s waived (%s left): %s", r.Number,
			r.Due(), reason), "receipt.waive", map[string]any{"reason": reason, "due": r.Due().Amount}); err != nil {
			return err
		}
		out = r
		return c.settledTx(ctx, tx, e, r, false)
	})
	return out, err
}

// ExtendGrace moves receipt id's grace to until (later than now and than its current grace); a suspension it
// caused is lifted when no other receipt is past its grace.
func (s *Service) ExtendGrace(ctx context.Context, id int64, until time.Time) (Receipt, error) {
	c := s.core()
	var out Receipt
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		r, err := lockReceipt(ctx, tx, id)
		if err != nil {
			return err
		}
		if !r.Status.Open() {
			return notOpen(r)
		}
		if !until.After(c.now()) || !until.After(r.GraceUntil) {
			return check.Field("until", "must be later than now and than the current grace")
		}
		old := r.GraceUntil
		r.GraceUntil = until
		if r, err = c.saveReceipt(ctx, tx, r); err != nil {
			return err
		}
		e, err := lockEnrollment(ctx, tx, r.EnrollmentID)
		if err != nil {
			return err
		}
		if err := c.eventTx(ctx, tx, e, r.ID, EventGraceExtended, fmt.Sprintf("Receipt %s: grace extended to %s",
			r.Number, until.UTC().Format("2006-01-02 15:04 UTC")), "receipt.extend_grace",
			map[string]any{"from": old, "to": until}); err != nil {
			return err
		}
		out = r
		if e.Status != EnrollmentSuspended {
			return nil
		}
		n, err := billingq.New(tx).ReceiptsPastGrace(ctx, billingq.ReceiptsPastGraceParams{EnrollmentID: e.ID,
			Now: c.now()})
		if err != nil || n > 0 {
			return err
		}
		if e, err = c.resumeTx(ctx, tx, e, fmt.Sprintf("Enrollment resumed: grace of receipt %s extended", r.Number)); err != nil {
			return err
		}
		_, err = c.saveEnrollment(ctx, tx, e)
		return err
	})
	return out, err
}

// settledTx follows receipt r settled for locked enrollment e (paid in full, or waived): see paidTx.
func (c core) settledTx(ctx context.Context, tx pgx.Tx, e Enrollment, r Receipt, mail bool) error {
	return c.paidMailTx(ctx, tx, e, r, mail)
}

// Pause pauses active enrollment id (no receipts issued, access paused); Resume takes it up again from the next
// period due after now: the periods that fell due while it was paused are not billed.
func (s *Service) Pause(ctx context.Context, id int64, reason string) (Enrollment, error) {
	if err := checkReason(reason); err != nil {
		return Enrollment{}, err
	}
	c := s.core()
	var out Enrollment
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		e, err := lockEnrollment(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.Status != EnrollmentActive {
			return ErrEnrollmentState
		}
		now := c.now()
		ids, err := grantIDs(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := c.deps.Access.PauseTx(ctx, tx, ids, "enrollment paused: "+reason); err != nil {
			return err
		}
		e.Status, e.PausedAt, e.NextIssueAt = EnrollmentPaused, &now, nil
		if err := c.eventTx(ctx, tx, e, 0, EventPaused, "Enrollment paused: "+reason, "enrollment.pause",
			map[string]any{"reason": reason}); err != nil {
			return err
		}
		out, err = c.saveEnrollment(ctx, tx, e)
		return err
	})
	return out, err
}

// Resume takes paused enrollment id up again from the next period due after now (see Pause).
func (s *Service) Resume(ctx context.Context, id int64) (Enrollment, error) {
	c := s.core()
	var out Enrollment
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		e, err := lockEnrollment(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.Status != EnrollmentPaused {
			return ErrEnrollmentState
		}
		ids, err := grantIDs(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := c.deps.Access.ResumeTx(ctx, tx, ids); err != nil {
			return err
		}
		// The next period due after now, never one already issued.
		k := max(e.Schedule.PeriodsDueBy(c.now()), e.NextPeriod)
		e.Status, e.PausedAt, e.NextPeriod, e.NextIssueAt = EnrollmentActive, nil, k, c.issueAt(e.Schedule, k)
		if err := c.eventTx(ctx, tx, e, 0, EventUnpaused, fmt.Sprintf("Enrollment resumed from period %d", k+1),
			"enrollment.unpause", map[string]any{"next_period": k}); err != nil {
			return err
		}
		out, err = c.saveEnrollment(ctx, tx, e)
		return err
	})
	return out, err
}

// Cancel ends enrollment id (pending, active, suspended or paused): no further receipts, its open receipts
// cancelled with their links, access until the end of the last paid period (none for a pending one, dropped).
func (s *Service) Cancel(ctx context.Context, id int64, reason string) (Enrollment, error) {
	if err := checkReason(reason); err != nil {
		return Enrollment{}, err
	}
	c := s.core()
	var out Enrollment
	for range attempts {
		err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
			rows, err := billingq.New(tx).ReceiptsOfEnrollment(ctx, id)
			if err != nil {
				return err
			}
			for _, row := range rows {
				r := receiptFrom(row)
				if r.Status.Open() && r.LinkID != 0 {
					if _, err := s.deps.Links.CancelTx(ctx, tx, r.LinkID, "enrollment cancelled"); err != nil &&
						!errors.Is(err, paylink.ErrNotActive) {
						return err
					}
				}
			}
			now := c.now()
			for _, row := range rows {
				r, err := lockReceipt(ctx, tx, row.ID)
				if err != nil {
					return err
				}
				if !r.Status.Open() {
					continue
				}
				r.Status, r.DecidedAt, r.DecidedBy, r.Note = ReceiptCancelled, &now, audit.ActorFrom(ctx).Label, reason
				if _, err := c.saveReceipt(ctx, tx, r); err != nil {
					return err
				}
			}
			e, err := lockEnrollment(ctx, tx, id)
			if err != nil {
				return err
			}
			switch e.Status {
			case EnrollmentPending:
				e.Status = EnrollmentDropped
			case EnrollmentActive, EnrollmentSuspended, EnrollmentPaused:
				e.Status = EnrollmentCancelled
				ids, err := grantIDs(ctx, tx, id)
				if err != nil {
					return err
				}
				end := now
				if e.PaidThrough != nil && e.PaidThrough.After(now) {
					end = *e.PaidThrough
				}
				if err := c.deps.Access.EndTx(ctx, tx, ids, end); err != nil {
					return err
				}
			default:
				return ErrEnrollmentState
			}
			e.EndedAt, e.EndReason, e.NextIssueAt, e.ExpiresAt = &now, reason, nil, nil
			kind := EventCancelled
			if e.Status == EnrollmentDropped {
				kind = EventDropped
			}
			if err := c.eventTx(ctx, tx, e, 0, kind, "Enrollment cancelled: "+reason, "enrollment.cancel",
				map[string]any{"reason": reason}); err != nil {
				return err
			}
			out, err = c.saveEnrollment(ctx, tx, e)
			return err
		})
		if !errors.Is(err, paylink.ErrClosing) {
			return out, err
		}
	}
	return Enrollment{}, paylink.ErrClosing
}

// ExpirePending drops enrollment id if it is still pending past its expiry: its first receipt's link is expired
// first (so a payment still arriving is a payment exception), then the receipt cancelled. It reports false when it
// should be tried again later: the expiry is ahead, or the link's order has a payment on its way.
func (s *Service) ExpirePending(ctx context.Context, id int64) (bool, error) {
	ctx = system(ctx)
	c := s.core()
	e, err := s.Get(ctx, id)
	if err != nil {
		return false, err
	}
	if e.Status != EnrollmentPending {
		return true, nil
	}
	if e.ExpiresAt != nil && e.ExpiresAt.After(c.now()) {
		return false, nil
	}
	rows, err := billingq.New(s.db).ReceiptsOfEnrollment(ctx, id)
	if err != nil {
		return false, err
	}
	var first Receipt
	if len(rows) > 0 {
		first = receiptFrom(rows[0])
	}
	if first.LinkID != 0 && first.Status.Open() {
		if _, err := s.deps.Links.Expire(ctx, first.LinkID); err != nil {
			return false, err
		}
		l, err := s.deps.Links.Get(ctx, first.LinkID)
		if err != nil {
			return false, err
		}
		if l.Status == paylink.StatusActive || l.Status == paylink.StatusPaid {
			return false, nil // a payment on its way (or done): its outcome decides
		}
	}
	done := false
	err = s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		now := c.now()
		if first.ID != 0 {
			r, err := lockReceipt(ctx, tx, first.ID)
			if err != nil {
				return err
			}
			if r.Status.Open() {
				r.Status, r.DecidedAt, r.DecidedBy, r.Note = ReceiptCancelled, &now, "system", "not paid in time"
				if _, err := c.saveReceipt(ctx, tx, r); err != nil {
					return err
				}
			}
		}
		e, err := lockEnrollment(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.Status != EnrollmentPending {
			done = true
			return nil
		}
		e.Status, e.EndedAt, e.EndReason, e.NextIssueAt, e.ExpiresAt = EnrollmentDropped, &now,
			"the first receipt was not paid in time", nil, nil
		if err := c.eventTx(ctx, tx, e, first.ID, EventDropped, "Enrollment dropped: the first receipt was not paid in time",
			"enrollment.drop", nil); err != nil {
			return err
		}
		_, err = c.saveEnrollment(ctx, tx, e)
		done = err == nil
		return err
	})
	return done, err
}

// MaxReason bounds the reason a manager gives to waive a receipt or to pause or cancel an enrollment.
const MaxReason = 1000

// checkReason refuses a reason longer than MaxReason characters (the admin's inputs cap it; the API does not).
func checkReason(reason string) error {
	e := check.Errors{}
	e.Text("reason", reason, false, MaxReason)
	return e.Err()
}
