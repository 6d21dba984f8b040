package billing

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/billing/billingq"
	"github.com/bursar/bursar/internal/crm"
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

// issueTx issues period k's receipt of e in tx: its payment link (expiring at linkExpiry), its number (gapless per
// year of issue in the school's time zone), the timelines and audit, and, when mail, the e-mail to the payer.
//
// The number's row lock is held from taking it to the commit, so every issuing transaction waits for it: it is
// taken last, after every read outside tx (the link's checks, the payer's address), so that a transaction holding
// it never waits for a connection of the pool other issuing transactions hold.
func (s *Service) issueTx(ctx context.Context, tx pgx.Tx, e Enrollment, k int, linkExpiry time.Time,
	mail bool) (Receipt, error) {
	p, err := s.prepareTx(ctx, tx, e, k, linkExpiry, mail)
	if err != nil {
		return Receipt{}, err
	}
	return s.finishTx(ctx, tx, p)
}

// prepared is a receipt about to be issued one by one (Enroll, IssueNext, catching up): its link made, its number
// not taken yet.
type prepared struct {
	e      Enrollment
	k      int
	amount int64
	mail   bool
	payer  crm.Contact
	link   paylink.Link
}

// prepareTx is issueTx's first half: the reads outside tx and the receipt's link.
func (s *Service) prepareTx(ctx context.Context, tx pgx.Tx, e Enrollment, k int, linkExpiry time.Time,
	mail bool) (prepared, error) {
	c := s.core()
	p := prepared{e: e, k: k, mail: mail}
	var err error
	if p.amount, err = e.amountOf(k); err != nil {
		return prepared{}, err
	}
	if mail {
		if p.payer, err = c.deps.Contacts.Contact(ctx, e.PayerID); err != nil {
			return prepared{}, err
		}
	}
	p.link, err = c.deps.Links.CreateTx(ctx, tx, paylink.Input{ContactID: e.PayerID, Amount: p.amount,
		Currency: e.Price.Currency, Description: fmt.Sprintf("Receipt — %s, %s", e.Title, describePeriod(e, k)),
		PaymentSystemIDs: e.PaymentSystemIDs, Language: e.Language, ExpiresAt: linkExpiry})
	if err != nil {
		return prepared{}, fmt.Errorf("payment link of enrollment %d period %d: %w", e.ID, k, err)
	}
	return p, nil
}

// finishTx is issueTx's second half: the number, the receipt, its timelines, audit and e-mail.
func (s *Service) finishTx(ctx context.Context, tx pgx.Tx, p prepared) (Receipt, error) {
	c := s.core()
	e, k, l := p.e, p.k, p.link
	now := c.now()
	loc := e.Schedule.Location
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
		OfferID: e.OfferID, Title: e.Title, Amount: p.amount, Fee: fee, Currency: e.Price.Currency, PeriodStart: due,
		PeriodEnd: e.Schedule.Due(k + 1), DueAt: due, GraceUntil: dayAfter(due, e.GraceDays, loc),
		LinkID: &l.ID, PayOfferID: &l.OfferID, Now: now})
	if errors.Is(err, pgx.ErrNoRows) {
		return Receipt{}, errIssued
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("insert receipt: %w", err)
	}
	r := receiptFrom(row)
	r.PayURL = l.URL
	msg := fmt.Sprintf("Receipt %s issued: %s, %s, due %s", r.Number, r.Amount, describePeriod(e, k),
		due.In(loc).Format("2006-01-02"))
	if err := c.eventTx(ctx, tx, e, r.ID, EventIssued, msg, "receipt.issue", map[string]any{
		"number": r.Number, "period": k, "amount": r.Amount.Amount, "currency": r.Amount.Currency,
		"link_id": r.LinkID}); err != nil {
		return Receipt{}, err
	}
	if p.mail {
		return r, c.deps.Mailer.BillingEmailTx(ctx, tx, Email{Kind: EmailIssued, To: p.payer.Email,
			Language: e.Language, Enrollment: e, Receipt: r, DedupKey: fmt.Sprintf("receipt:%d:issued", r.ID)})
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

// issueBatch is how many due enrollments IssueDue reads at a time, issueChunk how many one transaction issues
// (set-based, issueManyTx), and issueWorkers how many transactions it runs at once (at most half the pool's
// connections: each reads through the pool too).
const (
	issueBatch   = 1000
	issueChunk   = 500
	issueWorkers = 4
)

// IssueDue issues every receipt whose time has come (River's periodic billing.issue, in every process): exactly
// one per enrollment and period whatever the number of processes or retries; it returns how many it issued.
//
// The due enrollments are issued issueChunk per transaction, one statement per kind of row (issueManyTx): the
// transaction locks them (FOR UPDATE SKIP LOCKED: those another process works are passed over) and checks again
// that they are due; the receipt's UNIQUE (enrollment_id, period) is a second guard (the chunk is then rolled back,
// its numbers given back, and its enrollments issued one by one). An enrollment several periods behind gets each
// period's receipt, oldest first.
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
		got := len(ids)
		work := make(chan []int64)
		var wg sync.WaitGroup
		for range cap(s.issuing) {
			wg.Go(func() {
				for chunk := range work {
					n, err := s.issueChunk(ctx, chunk, now)
					mu.Lock()
					total += n
					if err != nil && first == nil {
						first = err
					}
					mu.Unlock()
				}
			})
		}
		for len(ids) > 0 {
			n := min(issueChunk, len(ids))
			work <- ids[:n]
			after, ids = ids[n-1], ids[n:]
		}
		close(work)
		wg.Wait()
		if first != nil {
			return total, first
		}
		if got < issueBatch {
			return total, nil
		}
	}
}

// issueChunk issues the receipts due of enrollments ids in one transaction, set-based (issueManyTx): one commit
// serves the chunk. When a receipt turns out issued already (the second guard), the chunk is rolled back (its
// numbers given back) and its enrollments issued one by one; an enrollment still due after its receipt (several
// periods behind) is caught up one by one too.
func (s *Service) issueChunk(ctx context.Context, ids []int64, now time.Time) (int, error) {
	var (
		issued int
		again  []int64
	)
	s.issuing <- struct{}{}
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		issued, again, err = s.issueManyTx(ctx, tx, ids, now)
		return err
	})
	<-s.issuing
	if errors.Is(err, errIssued) {
		issued, again = 0, ids
	} else if err != nil {
		return 0, err
	}
	for _, id := range again {
		n, err := s.issueDue(ctx, id, now)
		issued += n
		if err != nil {
			return issued, err
		}
	}
	return issued, nil
}

// issueDue issues enrollment id's receipts due at now, one transaction each; it returns how many.
func (s *Service) issueDue(ctx context.Context, id int64, now time.Time) (int, error) {
	n := 0
	for {
		more := false
		s.issuing <- struct{}{}
		err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
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
		<-s.issuing
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
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
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
	return s.withURL(out), nil
}
