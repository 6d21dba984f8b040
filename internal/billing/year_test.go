package billing_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/offer"
)

// TestThirteenMonths: a monthly tuition due on the 31st in Madrid for 13 periods, the clock moved a day at a time
// through 13 months with two "processes" issuing and reminding at once at every step: exactly 13 receipts, numbered
// without gaps within each year, each issued e-mail once; every receipt but one paid through its link; the one left
// unpaid past its grace suspends the enrollment and pauses the grant (no access), and paying it resumes the same
// grant. The last period paid completes the enrollment.
func TestThirteenMonths(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 31, 10, 0, 0, 0, madrid)
	f := newFixture(t, start)
	of := f.newOffer(offer.Tuition, 4900, "EUR", 0, 1, func(in *offer.Input) {
		in.BillingDay, in.BillingPeriods, in.GraceDays, in.RemindDays = 31, 13, 7, 3
	})
	en := f.enroll(of)
	id := en.Enrollment.ID
	if _, err := f.pay(en.Receipt); err != nil {
		t.Fatal(err)
	}
	grants, err := f.grants.Active(f.ctx, f.payer.ID)
	if err != nil || len(grants) != 1 {
		t.Fatalf("grants = %+v, %v", grants, err)
	}
	grantID := grants[0].ID
	const late = 4 // the receipt left unpaid past its grace
	suspended, resumed := false, false
	paid := map[int]bool{0: true}
	for day := 1; day <= 380; day++ {
		f.clock.Add(24 * time.Hour)
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 2 {
			wg.Go(func() {
				if _, err := f.bill.IssueDue(f.ctx); err != nil {
					errs <- fmt.Errorf("IssueDue: %w", err)
				}
				if _, err := f.bill.Remind(f.ctx); err != nil {
					errs <- fmt.Errorf("Remind: %w", err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("day %d: %v", day, err)
		}
		now := f.clock.Now()
		e := f.enrollment(id)
		if e.Status == billing.EnrollmentSuspended && !suspended {
			suspended = true
			r := f.receipts(id)[late]
			if now.Before(r.GraceUntil) || r.Status != billing.ReceiptOverdue {
				t.Fatalf("suspended at %v; receipt %s %s grace until %v", now, r.Number, r.Status, r.GraceUntil)
			}
			if g, _ := f.grants.Active(f.ctx, f.payer.ID); len(g) != 0 {
				t.Fatalf("access while suspended: %+v", g)
			}
			g, err := f.grants.Get(f.ctx, grantID)
			if err != nil || g.PausedAt == nil || g.ActiveAt(now) {
				t.Fatalf("grant while suspended = %+v, %v", g, err)
			}
			if _, err := f.pay(r); err != nil {
				t.Fatal(err)
			}
			paid[late] = true
			if e := f.enrollment(id); e.Status != billing.EnrollmentActive {
				t.Fatalf("after paying the late receipt: %s", e.Status)
			}
			g2, err := f.grants.Active(f.ctx, f.payer.ID)
			if err != nil || len(g2) != 1 || g2[0].ID != grantID {
				t.Fatalf("grants after resuming = %+v, %v; want grant %d", g2, err, grantID)
			}
			resumed = true
		}
		for _, r := range f.receipts(id) {
			if paid[r.Period] || r.Period == late {
				continue
			}
			if now.Sub(r.IssuedAt) >= 2*24*time.Hour {
				if _, err := f.pay(r); err != nil {
					t.Fatalf("pay %s: %v", r.Number, err)
				}
				paid[r.Period] = true
			}
		}
	}
	if !suspended || !resumed {
		t.Fatalf("suspended %v, resumed %v", suspended, resumed)
	}
	rs := f.receipts(id)
	if len(rs) != 13 {
		t.Fatalf("%d receipts; want 13", len(rs))
	}
	seq := map[int]int{}
	for k, r := range rs {
		if r.Period != k || r.Status != billing.ReceiptPaid {
			t.Errorf("receipt %d: period %d, %s", k, r.Period, r.Status)
		}
		year := r.IssuedAt.In(madrid).Year()
		seq[year]++
		if want := billing.ReceiptNumber(year, int64(seq[year])); r.Number != want {
			t.Errorf("receipt %d numbered %s; want %s", k, r.Number, want)
		}
		if d := r.DueAt.In(madrid); d.Hour() != 0 || d.Day() != min(31, daysIn(d.Year(), d.Month())) {
			t.Errorf("receipt %d due %v", k, d)
		}
	}
	if seq[2026] != 1 || seq[2027] != 12 {
		t.Errorf("receipts per year = %v", seq)
	}
	issued := f.mails.keys(billing.EmailIssued)
	if len(issued) != 12 {
		t.Errorf("%d issued e-mails; want 12 (the first receipt is paid on the page)", len(issued))
	}
	for k, n := range issued {
		if n != 1 {
			t.Errorf("%s sent %d times", k, n)
		}
	}
	for _, kind := range []billing.EmailKind{billing.EmailDueSoon, billing.EmailDueToday, billing.EmailOverdue,
		billing.EmailSuspended, billing.EmailResumed} {
		if n := f.mails.count(kind); n != 1 {
			t.Errorf("%s sent %d times; want once (the late receipt)", kind, n)
		}
	}
	if n := f.mails.count(billing.EmailPaid); n != 13 {
		t.Errorf("%d paid e-mails; want 13", n)
	}
	if e := f.enrollment(id); e.Status != billing.EnrollmentCompleted || e.NextIssueAt != nil {
		t.Fatalf("enrollment at the end = %s, next issue %v", e.Status, e.NextIssueAt)
	}
}

func daysIn(y int, m time.Month) int { return time.Date(y, m+1, 0, 12, 0, 0, 0, time.UTC).Day() }
