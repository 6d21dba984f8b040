package billing

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/billing/billingq"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/paylink"
)

// ManyMailer is a Mailer that also queues many billing e-mails at once (internal/mailer): the batch issue uses it
// when the Mailer has it, and BillingEmailTx one by one otherwise.
type ManyMailer interface {
	BillingEmailsTx(ctx context.Context, tx pgx.Tx, es []Email) error
}

// issueManyTx issues, in tx, the next receipt of each due enrollment among ids, set-based: one statement per kind
// of row. It locks the enrollments still due (FOR UPDATE SKIP LOCKED: another process's are passed over), computes
// each receipt in Go, makes the links in one batch (paylink.CreateManyTx, reads outside tx first), reads the payers,
// then takes the numbers (one statement for the batch's years, the numbers' row locks taken last, after every pool
// read), inserts the receipts, moves the enrollments on, writes their timelines, the payers' and learners' lines,
// the audit entries and the e-mails. A receipt issued already (the second guard) is errIssued: the caller rolls
// back, giving the numbers back. It returns how many it issued and the enrollments due again after it (several
// periods behind).
func (s *Service) issueManyTx(ctx context.Context, tx pgx.Tx, ids []int64, now time.Time) (int, []int64, error) {
	c := s.core()
	q := billingq.New(tx)
	rows, err := q.EnrollmentsLockDue(ctx, billingq.EnrollmentsLockDueParams{Ids: ids, Now: now})
	if err != nil {
		return 0, nil, fmt.Errorf("lock enrollments: %w", err)
	}
	type item struct {
		e      Enrollment
		k      int
		amount int64
		year   int
	}
	items := make([]item, 0, len(rows))
	for _, row := range rows {
		e := enrollmentFrom(row)
		if e.Schedule.Bounded() && e.NextPeriod >= e.Schedule.Periods {
			e.NextIssueAt = nil
			if _, err := c.saveEnrollment(ctx, tx, e); err != nil {
				return 0, nil, err
			}
			continue
		}
		a, err := e.amountOf(e.NextPeriod)
		if err != nil {
			return 0, nil, err
		}
		items = append(items, item{e: e, k: e.NextPeriod, amount: a, year: now.In(e.Schedule.Location).Year()})
	}
	if len(items) == 0 {
		return 0, nil, nil
	}
	n := len(items)
	payerIDs := make([]int64, n)
	ins := make([]paylink.Input, n)
	expiry := c.linkExpiry()
	for i, it := range items {
		e := it.e
		payerIDs[i] = e.PayerID
		ins[i] = paylink.Input{ContactID: e.PayerID, Amount: it.amount, Currency: e.Price.Currency,
			Description:      fmt.Sprintf("Receipt — %s, %s", e.Title, describePeriod(e, it.k)),
			PaymentSystemIDs: e.PaymentSystemIDs, Language: e.Language, ExpiresAt: expiry}
	}
	// The enrollments move on to their next period (they are locked: no other transaction issues them meanwhile).
	adv := billingq.EnrollmentsAdvanceParams{Now: now}
	var again []int64
	for _, it := range items {
		e, k := it.e, it.k
		nextAt := c.issueAt(e.Schedule, k+1)
		adv.Ids = append(adv.Ids, e.ID)
		adv.NextPeriods = append(adv.NextPeriods, int32(k+1))
		if nextAt != nil {
			adv.NextIssueAts, adv.Ends = append(adv.NextIssueAts, *nextAt), append(adv.Ends, false)
			if !nextAt.After(now) {
				again = append(again, e.ID)
			}
		} else {
			adv.NextIssueAts, adv.Ends = append(adv.NextIssueAts, now), append(adv.Ends, true)
		}
	}
	if err := q.EnrollmentsAdvance(ctx, adv); err != nil {
		return 0, nil, fmt.Errorf("move %d enrollments on: %w", n, err)
	}
	payers, err := c.deps.Contacts.ContactsByID(ctx, payerIDs)
	if err != nil {
		return 0, nil, fmt.Errorf("payers: %w", err)
	}
	links, err := c.deps.Links.CreateManyTx(ctx, tx, ins)
	if err != nil {
		return 0, nil, fmt.Errorf("payment links of %d receipts: %w", n, err)
	}

	// The numbers, last: from here to the commit every issuing transaction waits for their rows.
	counts := map[int]int64{}
	for _, it := range items {
		counts[it.year]++
	}
	years := make([]int, 0, len(counts))
	for y := range counts {
		years = append(years, y)
	}
	slices.Sort(years)
	np := billingq.ReceiptNumbersTakeParams{}
	for _, y := range years {
		np.Years, np.Counts = append(np.Years, int32(y)), append(np.Counts, counts[y])
	}
	taken, err := q.ReceiptNumbersTake(ctx, np)
	if err != nil {
		return 0, nil, fmt.Errorf("receipt numbers: %w", err)
	}
	next := map[int]int64{} // the year's next number to give
	for _, t := range taken {
		next[int(t.Year)] = t.Last - counts[int(t.Year)] + 1
	}
	rp := billingq.ReceiptsInsertManyParams{Now: now}
	for i, it := range items {
		e, k, l := it.e, it.k, links[i]
		seq := next[it.year]
		next[it.year]++
		var fee int64
		if k == 0 {
			fee = e.Fee
		}
		due := e.Schedule.Due(k)
		rp.EnrollmentIds = append(rp.EnrollmentIds, e.ID)
		rp.Periods = append(rp.Periods, int32(k))
		rp.Years = append(rp.Years, int32(it.year))
		rp.Seqs = append(rp.Seqs, seq)
		rp.Numbers = append(rp.Numbers, ReceiptNumber(it.year, seq))
		rp.PayerIds = append(rp.PayerIds, e.PayerID)
		rp.LearnerIds = append(rp.LearnerIds, e.LearnerID)
		rp.OfferIds = append(rp.OfferIds, e.OfferID)
		rp.Titles = append(rp.Titles, e.Title)
		rp.Amounts = append(rp.Amounts, it.amount)
		rp.Fees = append(rp.Fees, fee)
		rp.Currencies = append(rp.Currencies, e.Price.Currency)
		rp.PeriodStarts = append(rp.PeriodStarts, due)
		rp.PeriodEnds = append(rp.PeriodEnds, e.Schedule.Due(k+1))
		rp.DueAts = append(rp.DueAts, due)
		rp.GraceUntils = append(rp.GraceUntils, dayAfter(due, e.GraceDays, e.Schedule.Location))
		rp.LinkIds = append(rp.LinkIds, l.ID)
		rp.PayOfferIds = append(rp.PayOfferIds, l.OfferID)
	}
	inserted, err := q.ReceiptsInsertMany(ctx, rp)
	if err != nil {
		return 0, nil, fmt.Errorf("insert %d receipts: %w", n, err)
	}
	if len(inserted) != n {
		return 0, nil, errIssued
	}
	at := make(map[int64]int, n)
	for i, it := range items {
		at[it.e.ID] = i
	}
	receipts := make([]Receipt, n)
	for _, row := range inserted {
		i, ok := at[row.EnrollmentID]
		if !ok {
			return 0, nil, fmt.Errorf("insert receipts: enrollment %d returned was not given", row.EnrollmentID)
		}
		receipts[i] = receiptFrom(row)
		receipts[i].PayURL = links[i].URL
	}

	ev := billingq.EventsInsertManyParams{Actor: audit.ActorFrom(ctx).Label, Now: now}
	lines := make([]crm.Event, 0, 2*n)
	entries := make([]audit.Entry, 0, n)
	mails := make([]Email, 0, n)
	for i, it := range items {
		e, k, r := it.e, it.k, receipts[i]
		loc := e.Schedule.Location
		msg := fmt.Sprintf("Receipt %s issued: %s, %s, due %s", r.Number, r.Amount, describePeriod(e, k),
			e.Schedule.Due(k).In(loc).Format("2006-01-02"))
		ev.EnrollmentIds = append(ev.EnrollmentIds, e.ID)
		ev.ReceiptIds = append(ev.ReceiptIds, r.ID)
		ev.Kinds = append(ev.Kinds, EventIssued)
		ev.Messages = append(ev.Messages, msg)
		lines = append(lines, crm.Event{ContactID: e.PayerID, Kind: EventIssued, Message: msg})
		if e.LearnerID != e.PayerID {
			lines = append(lines, crm.Event{ContactID: e.LearnerID, Kind: EventIssued, Message: msg})
		}
		entries = append(entries, audit.Entry{Action: "receipt.issue", Entity: "receipt",
			EntityID: strconv.FormatInt(r.ID, 10), Details: map[string]any{"number": r.Number, "period": k,
				"amount": r.Amount.Amount, "currency": r.Amount.Currency, "link_id": r.LinkID, "enrollment_id": e.ID}})
		payer, ok := payers[e.PayerID]
		if !ok {
			return 0, nil, fmt.Errorf("payer %d of enrollment %d: not found", e.PayerID, e.ID)
		}
		mails = append(mails, Email{Kind: EmailIssued, To: payer.Email, Language: e.Language, Enrollment: e,
			Receipt: r, DedupKey: fmt.Sprintf("receipt:%d:issued", r.ID)})
	}
	if err := q.EventsInsertMany(ctx, ev); err != nil {
		return 0, nil, fmt.Errorf("%d enrollments' timelines: %w", n, err)
	}
	if err := c.deps.Contacts.AddEventsTx(ctx, tx, lines); err != nil {
		return 0, nil, err
	}
	if err := c.audit.RecordManyTx(ctx, tx, entries); err != nil {
		return 0, nil, err
	}
	for _, r := range receipts { // receipt.issued of the whole batch, emitted with one EmitTx by inTx
		if err := emit(ctx, EventIssued, r.EnrollmentID, r.ID); err != nil {
			return 0, nil, err
		}
	}
	if mm, ok := c.deps.Mailer.(ManyMailer); ok {
		if err := mm.BillingEmailsTx(ctx, tx, mails); err != nil {
			return 0, nil, err
		}
	} else {
		for _, m := range mails {
			if err := c.deps.Mailer.BillingEmailTx(ctx, tx, m); err != nil {
				return 0, nil, err
			}
		}
	}
	return n, again, nil
}
