package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/billing/billingq"
)

// Reminder stages (receipts.reminded).
const (
	stageDueSoon  = 1 // remind_days before the due date
	stageDueToday = 2 // on the due date
	stageOverdue  = 3 // the day after: the receipt becomes overdue
)

// stageAt is the latest reminder stage due for a receipt due at due, at now (0: none yet).
func stageAt(due time.Time, remindDays int, loc *time.Location, now time.Time) int {
	switch {
	case !now.Before(dayAfter(due, 1, loc)):
		return stageOverdue
	case !now.Before(due):
		return stageDueToday
	case !now.Before(dayAfter(due, -remindDays, loc)):
		return stageDueSoon
	}
	return 0
}

// Remind sends the reminders due (before, on and after the due date), marks receipts overdue, and suspends the
// enrollments with a receipt unpaid past its grace (River's periodic billing.remind); it returns how many changes
// it made. Each stage is sent once (a conditional update of the receipt's stage), and a stage whose time passed
// while a later one applies (a receipt issued late) is skipped, not sent late.
func (s *Service) Remind(ctx context.Context) (int, error) {
	ctx = system(ctx)
	now := s.core().now()
	n := 0
	after := int64(0)
	for {
		rows, err := billingq.New(s.db).ReceiptsToRemind(ctx, billingq.ReceiptsToRemindParams{Now: now,
			AfterID: after, Lim: 500})
		if err != nil {
			return n, fmt.Errorf("receipts to remind: %w", err)
		}
		for _, row := range rows {
			ok, err := s.remindOne(ctx, row.ID, now)
			if err != nil {
				return n, err
			}
			if ok {
				n++
			}
			after = row.ID
		}
		if len(rows) < 500 {
			break
		}
	}
	ids, err := billingq.New(s.db).EnrollmentsToSuspend(ctx, now)
	if err != nil {
		return n, fmt.Errorf("enrollments to suspend: %w", err)
	}
	for _, id := range ids {
		ok, err := s.suspend(ctx, id, now)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// remindOne moves receipt id to its reminder stage due at now and e-mails the payer, once.
func (s *Service) remindOne(ctx context.Context, id int64, now time.Time) (bool, error) {
	c := s.core()
	done := false
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		row, err := billingq.New(tx).ReceiptGet(ctx, id)
		if err != nil {
			return err
		}
		r := receiptFrom(row)
		e, err := getEnrollment(ctx, tx, r.EnrollmentID)
		if err != nil {
			return err
		}
		if e.Status != EnrollmentActive && e.Status != EnrollmentSuspended {
			return nil // a pending enrollment's first receipt is paid on the page, or dropped
		}
		stage := stageAt(r.DueAt, e.RemindDays, e.Schedule.Location, now)
		if stage <= r.Reminded {
			return nil
		}
		row, err = billingq.New(tx).ReceiptRemind(ctx, billingq.ReceiptRemindParams{ID: id, Stage: int32(stage), Now: now})
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // another process sent it, or the receipt was settled
		}
		if err != nil {
			return fmt.Errorf("remind receipt %d: %w", id, err)
		}
		r = s.withURL(receiptFrom(row))
		kind, ev, msg := EmailDueSoon, EventReminded, fmt.Sprintf("Receipt %s: reminder sent, due %s", r.Number,
			r.DueAt.In(e.Schedule.Location).Format("2006-01-02"))
		switch stage {
		case stageDueToday:
			kind, msg = EmailDueToday, fmt.Sprintf("Receipt %s: due today, reminder sent", r.Number)
		case stageOverdue:
			kind, ev, msg = EmailOverdue, EventOverdue, fmt.Sprintf("Receipt %s overdue (%s due); access pauses after %s",
				r.Number, r.Due(), r.GraceUntil.In(e.Schedule.Location).Format("2006-01-02"))
		}
		if err := c.eventTx(ctx, tx, e, r.ID, ev, msg, "receipt.remind", map[string]any{"stage": stage}); err != nil {
			return err
		}
		done = true
		return c.mailTx(ctx, tx, kind, e.PayerID, e, r, fmt.Sprintf("receipt:%d:remind:%d", r.ID, stage), nil)
	})
	return done, err
}

// suspend suspends active enrollment id when one of its receipts is open past its grace: its access paused, the
// payer (and the learner, when another) e-mailed.
func (s *Service) suspend(ctx context.Context, id int64, now time.Time) (bool, error) {
	c := s.core()
	done := false
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		e, err := lockEnrollment(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.Status != EnrollmentActive {
			return nil
		}
		rows, err := billingq.New(tx).ReceiptsOfEnrollment(ctx, id)
		if err != nil {
			return err
		}
		var late Receipt
		for _, row := range rows {
			if r := receiptFrom(row); r.Status.Open() && !r.GraceUntil.After(now) {
				late = r
				break
			}
		}
		if late.ID == 0 {
			return nil
		}
		ids, err := grantIDs(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := c.deps.Access.PauseTx(ctx, tx, ids, "overdue receipt "+late.Number); err != nil {
			return err
		}
		e.Status, e.SuspendedAt = EnrollmentSuspended, &now
		if err := c.eventTx(ctx, tx, e, late.ID, EventSuspended, fmt.Sprintf("Enrollment suspended: receipt %s unpaid past its grace",
			late.Number), "enrollment.suspend", map[string]any{"receipt": late.Number}); err != nil {
			return err
		}
		if e, err = c.saveEnrollment(ctx, tx, e); err != nil {
			return err
		}
		late = s.withURL(late)
		dedup := fmt.Sprintf("enrollment:%d:suspended:%d", e.ID, now.Unix())
		if err := c.mailTx(ctx, tx, EmailSuspended, e.PayerID, e, late, dedup, nil); err != nil {
			return err
		}
		if e.LearnerID != e.PayerID {
			if err := c.mailTx(ctx, tx, EmailSuspended, e.LearnerID, e, late, dedup+":learner", nil); err != nil {
				return err
			}
		}
		done = true
		return nil
	})
	return done, err
}
