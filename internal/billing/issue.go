package billing

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/billing/billingq"
	"github.com/bursar/bursar/internal/paylink"
)

// errIssued stops an issuing transaction whose receipt exists already (a second guard behind the enrollment's lock):
// rolled back, it gives its receipt number back.
var errIssued = errors.New("billing: the period's receipt was issued already")

// amountOf is period k's amount, the enrollment fee added to period 0.
func (e Enrollment) amountOf(k int) (int64, error) {
	a := e.Price.Amount
	if e.Kind == KindInstallments {
		parts, err := Split(e.Price, e.Schedule.Periods)
		if err != nil {
			return 0, err
		}
		if k >= len(parts) {
			return 0, fmt.Errorf("billing: enrollment %d has no part %d", e.ID, k)
		}
		a = parts[k].Amount
	}
	if k == 0 {
		a += e.Fee
	}
	return a, nil
}

// issueAt is when period k's receipt is issued: IssueLead before its due date, never more than a period ahead; nil
// when a bounded schedule has no period k.
func (c core) issueAt(s Schedule, k int) *time.Time {
	if s.Bounded() && k >= s.Periods {
		return nil
	}
	due := s.Due(k)
	lead := c.lead()
	if k > 0 {
		if p := due.Sub(s.Due(k - 1)); p < lead {
			lead = p
		}
	}
	t := due.Add(-lead)
	return &t
}

// describePeriod is period k of e as people read it.
func describePeriod(e Enrollment, k int) string {
	loc := e.Schedule.Location
	if e.Kind == KindInstallments {
		return fmt.Sprintf("part %d of %d", k+1, e.Schedule.Periods)
	}
	return fmt.Sprintf("%s – %s", e.Schedule.Due(k).In(loc).Format("2006-01-02"),
		e.Schedule.Due(k+1).In(loc).AddDate(0, 0, -1).Format("2006-01-02"))
}

// issueTx issues period k's receipt of e in tx: its number (gapless per year of issue in the school's time zone),
// its payment link (expiring at linkExpiry), the timelines and audit, and, when mail, the e-mail to the payer.
func (s *Service) issueTx(ctx context.Context, tx pgx.Tx, e Enrollment, k int, linkExpiry time.Time,
	mail bool) (Receipt, error) {
	c := s.core()
	now := c.now()
	loc := e.Schedule.Location
	amount, err := e.amountOf(k)
	if err != nil {
		return Receipt{}, err
	}
	due := e.Schedule.Due(k)
	year := now.In(loc).Year()
	q := billingq.New(tx)
	seq, err := q.ReceiptNumberNext(ctx, int32(year))
	if err != nil {
		return Receipt{}, fmt.Errorf("receipt number: %w", err)
	}
	var fee int64
	if k == 0 {
		fee = e.Fee
	}
	row, err := q.ReceiptInsert(ctx, billingq.ReceiptInsertParams{EnrollmentID: e.ID, Period: int32(k),
		Year: int32(year), Seq: seq, Number: ReceiptNumber(year, seq), PayerID: e.PayerID, LearnerID: e.LearnerID,
		OfferID: e.OfferID, Title: e.Title, Amount: amount, Fee: fee, Currency: e.Price.Currency, PeriodStart: due,
		PeriodEnd: e.Schedule.Due(k + 1), DueAt: due, GraceUntil: dayAfter(due, e.GraceDays, loc), Now: now})
	if errors.Is(err, pgx.ErrNoRows) {
		return Receipt{}, errIssued
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("insert receipt: %w", err)
	}
	r := receiptFrom(row)
	if r, err = s.linkTx(ctx, tx, e, r, linkExpiry); err != nil {
		return Receipt{}, err
	}
	msg := fmt.Sprintf("Receipt %s issued: %s, %s, due %s", r.Number, r.Amount, describePeriod(e, k),
		due.In(loc).Format("2006-01-02"))
	if err := c.eventTx(ctx, tx, e, r.ID, EventIssued, msg, "receipt.issue", map[string]any{
		"number": r.Number, "period": k, "amount": r.Amount.Amount, "currency": r.Amount.Currency,
		"link_id": r.LinkID}); err != nil {
		return Receipt{}, err
	}
	if mail {
		if err := c.mailTx(ctx, tx, EmailIssued, e.PayerID, e, r, fmt.Sprintf("receipt:%d:issued", r.ID), nil); err != nil {
			return Receipt{}, err
		}
	}
	return r, nil
}

// linkTx makes r's payment link for what is due on it, expiring at expiry, and records it on r.
func (s *Service) linkTx(ctx context.Context, tx pgx.Tx, e Enrollment, r Receipt, expiry time.Time) (Receipt, error) {
	c := s.core()
	l, err := c.deps.Links.CreateTx(ctx, tx, paylink.Input{ContactID: e.PayerID, Amount: r.Due().Amount,
		Currency: r.Amount.Currency, Description: fmt.Sprintf("Receipt %s — %s, %s", r.Number, e.Title,
			describePeriod(e, r.Period)), PaymentSystemIDs: e.PaymentSystemIDs, Language: e.Language,
		ExpiresAt: expiry})
	if err != nil {
		return Receipt{}, fmt.Errorf("payment link of receipt %s: %w", r.Number, err)
	}
	row, err := billingq.New(tx).ReceiptSetLink(ctx, billingq.ReceiptSetLinkParams{ID: r.ID, LinkID: &l.ID,
		PayOfferID: &l.OfferID, Now: c.now()})
	if err != nil {
		return Receipt{}, fmt.Errorf("link receipt %s: %w", r.Number, err)
	}
	out := receiptFrom(row)
	out.PayURL = l.URL
	return out, nil
}

// linkExpiry is when a later receipt's link expires: as late as a link may.
func (c core) linkExpiry() time.Time { return c.now().Add(paylink.MaxExpiry - time.Minute) }

// issueBatch is how many due enrollments IssueDue reads at a time, and issueWorkers how many it issues at once.
const (
	issueBatch   = 1000
	issueWorkers = 4
)

// IssueDue issues every receipt whose time has come (River's periodic billing.issue, in every process): exactly
// one per enrollment and period whatever the number of processes or retries; it returns how many it issued.
//
// Each enrollment is issued in its own transaction that locks it (FOR UPDATE SKIP LOCKED: another process working
// it is passed over) and checks again that it is due; the receipt's UNIQUE (enrollment_id, period) is a second
// guard. An enrollment several periods behind gets each period's receipt, oldest first.
func (s *Service) IssueDue(ctx context.Context) (int, error) {
	ctx = system(ctx)
	now := s.core().now()
	var (
		mu    sync.Mutex
		total int
		first error
	)
	after := int64(0)
	for {
		ids, err := billingq.New(s.db).EnrollmentsDue(ctx, billingq.EnrollmentsDueParams{Now: now, AfterID: after,
			Lim: issueBatch})
		if err != nil {
			return total, fmt.Errorf("enrollments due: %w", err)
		}
		work := make(chan int64)
		var wg sync.WaitGroup
		for range issueWorkers {
			wg.Go(func() {
				for id := range work {
					n, err := s.issueDue(ctx, id, now)
					mu.Lock()
					total += n
					if err != nil && first == nil {
						first = err
					}
					mu.Unlock()
				}
			})
		}
		for _, id := range ids {
			work <- id
		}
		close(work)
		wg.Wait()
		if first != nil {
			return total, first
		}
		if len(ids) < issueBatch {
			return total, nil
		}
		after = ids[len(ids)-1]
	}
}

// issueDue issues enrollment id's receipts due at now, one transaction each; it returns how many.
func (s *Service) issueDue(ctx context.Context, id int64, now time.Time) (int, error) {
	n := 0
	for {
		more := false
		err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
			row, err := billingq.New(tx).EnrollmentLockDue(ctx, billingq.EnrollmentLockDueParams{ID: id, Now: now})
			if errors.Is(err, pgx.ErrNoRows) {
				return nil // another process has it, or it is not due any more
			}
			if err != nil {
				return fmt.Errorf("lock enrollment %d: %w", id, err)
			}
			e, err := s.issueNextTx(ctx, tx, enrollmentFrom(row))
			if err != nil {
				return err
			}
			n++
			more = e.NextIssueAt != nil && !e.NextIssueAt.After(now)
			return nil
		})
		if errors.Is(err, errIssued) {
			return n, nil
		}
		if err != nil || !more {
			return n, err
		}
	}
}

// issueNextTx issues locked enrollment e's next period and moves its schedule on.
func (s *Service) issueNextTx(ctx context.Context, tx pgx.Tx, e Enrollment) (Enrollment, error) {
	c := s.core()
	k := e.NextPeriod
	if e.Schedule.Bounded() && k >= e.Schedule.Periods {
		e.NextIssueAt = nil
		return c.saveEnrollment(ctx, tx, e)
	}
	if _, err := s.issueTx(ctx, tx, e, k, c.linkExpiry(), true); err != nil {
		return Enrollment{}, err
	}
	e.NextPeriod = k + 1
	e.NextIssueAt = c.issueAt(e.Schedule, k+1)
	return c.saveEnrollment(ctx, tx, e)
}

// IssueNext issues enrollment id's next receipt now, ahead of its schedule (a manager's "issue the next receipt
// now"); an enrollment with nothing more to issue, or not active or suspended, is ErrEnrollmentState.
func (s *Service) IssueNext(ctx context.Context, id int64) (Receipt, error) {
	var out Receipt
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		e, err := lockEnrollment(ctx, tx, id)
		if err != nil {
			return err
		}
		if (e.Status != EnrollmentActive && e.Status != EnrollmentSuspended) || e.NextIssueAt == nil {
			return ErrEnrollmentState
		}
		k := e.NextPeriod
		if _, err := s.issueNextTx(ctx, tx, e); err != nil {
			return err
		}
		row, err := billingq.New(tx).ReceiptsOfEnrollment(ctx, id)
		if err != nil {
			return err
		}
		for _, r := range row {
			if int(r.Period) == k {
				out = receiptFrom(r)
			}
		}
		return nil
	})
	if errors.Is(err, errIssued) {
		return Receipt{}, ErrEnrollmentState
	}
	if err != nil {
		return Receipt{}, err
	}
	return s.withURL(ctx, out), nil
}
