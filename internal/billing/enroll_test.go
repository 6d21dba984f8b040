package billing_test

import (
	"errors"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
)

var madrid, _ = time.LoadLocation("Europe/Madrid")

// TestEnrollIssuesFirstReceipt: an enrollment is pending with its first receipt (the fee added), numbered, with a
// link for the amount, readable by id, number, payer and learner.
func TestEnrollIssuesFirstReceipt(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Date(2027, 3, 10, 10, 0, 0, 0, madrid))
	of := f.newOffer("tuition", 4900, "EUR", 0, 1, nil)
	en := f.enroll(of)
	e, r := en.Enrollment, en.Receipt
	if e.Status != billing.EnrollmentPending || e.NextPeriod != 1 || e.NextIssueAt == nil || e.ExpiresAt == nil {
		t.Fatalf("enrollment = %+v", e)
	}
	if want := time.Date(2027, 4, 3, 0, 0, 0, 0, madrid); !e.NextIssueAt.Equal(want) {
		t.Fatalf("next issue at %v; want %v (7 days before 10 April)", e.NextIssueAt, want)
	}
	if r.Number != "R-2027-000001" || r.Amount != money.New(4900, "EUR") || r.PayURL == "" || r.LinkID == 0 {
		t.Fatalf("receipt = %+v", r)
	}
	l, err := f.links.Get(f.ctx, r.LinkID)
	if err != nil || l.Price != money.New(4900, "EUR") || !l.ExpiresAt.Equal(*e.ExpiresAt) {
		t.Fatalf("link = %+v, %v", l, err)
	}
	if got, err := f.bill.ReceiptByNumber(f.ctx, "R-2027-000001"); err != nil || got.ID != r.ID || got.PayURL == "" {
		t.Fatalf("ReceiptByNumber = %+v, %v", got, err)
	}
	if got, err := f.bill.ForPayer(f.ctx, f.payer.ID); err != nil || len(got) != 1 {
		t.Fatalf("ForPayer = %v, %v", got, err)
	}
	if got, err := f.bill.ForLearner(f.ctx, f.payer.ID); err != nil || len(got) != 1 {
		t.Fatalf("ForLearner = %v, %v", got, err)
	}
	if got, err := f.bill.ForPayerEnrollments(f.ctx, f.payer.ID); err != nil || len(got) != 1 {
		t.Fatalf("ForPayerEnrollments = %v, %v", got, err)
	}
	if p, err := f.bill.Enrollments(f.ctx, billing.Filter{Status: billing.EnrollmentPending}); err != nil ||
		len(p.Enrollments) != 1 {
		t.Fatalf("Enrollments = %+v, %v", p, err)
	}
	if ev, err := f.bill.Events(f.ctx, e.ID); err != nil || len(ev) != 2 || ev[0].Kind != billing.EventEnrolled ||
		ev[1].Kind != billing.EventIssued {
		t.Fatalf("Events = %+v, %v", ev, err)
	}
	// Paying it activates the enrollment and grants the learner access.
	if _, err := f.pay(r); err != nil {
		t.Fatal(err)
	}
	if e := f.enrollment(e.ID); e.Status != billing.EnrollmentActive || e.PaidThrough == nil {
		t.Fatalf("after paying: %+v", e)
	}
	if g, err := f.grants.Active(f.ctx, f.payer.ID); err != nil || len(g) != 1 || g[0].Source != "enrollment" {
		t.Fatalf("grants = %+v, %v", g, err)
	}
	if pays, err := f.bill.Payments(f.ctx, r.ID); err != nil || len(pays) != 1 || pays[0].Method != billing.MethodOrder {
		t.Fatalf("payments = %+v, %v", pays, err)
	}
	if f.mails.count(billing.EmailPaid) != 1 || f.mails.count(billing.EmailWelcome) != 1 {
		t.Fatalf("mails = %+v", f.mails.sent)
	}
	doc, err := f.bill.Document(f.ctx, r.ID)
	if err != nil || doc.Payer.ID != f.payer.ID || len(doc.Payments) != 1 {
		t.Fatalf("Document = %+v, %v", doc, err)
	}
}

// TestEnrollLearner: a payer enrolls someone else, found or made by e-mail and named; the learner gets the access.
func TestEnrollLearner(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Date(2027, 3, 10, 10, 0, 0, 0, madrid))
	of := f.newOffer("tuition", 4900, "EUR", 0, 1, nil)
	en, err := f.bill.Enroll(f.ctx, billing.EnrollInput{OfferID: of.ID, PayerID: f.payer.ID,
		Learner: &billing.LearnerInput{Email: "Kid@Example.com", Name: "Kid"}, PaymentSystemID: f.cards.ID})
	if err != nil {
		t.Fatal(err)
	}
	if en.Enrollment.LearnerID == f.payer.ID {
		t.Fatal("learner is the payer")
	}
	kid, err := f.contacts.Contact(f.ctx, en.Enrollment.LearnerID)
	if err != nil || kid.Email != "kid@example.com" || kid.Name != "Kid" {
		t.Fatalf("learner = %+v, %v", kid, err)
	}
	if _, err := f.pay(en.Receipt); err != nil {
		t.Fatal(err)
	}
	if g, _ := f.grants.Active(f.ctx, kid.ID); len(g) != 1 {
		t.Fatalf("learner's grants = %+v", g)
	}
	if g, _ := f.grants.Active(f.ctx, f.payer.ID); len(g) != 0 {
		t.Fatalf("payer's grants = %+v", g)
	}
}

// TestEnrollBadInput: required registration fields, a bad learner e-mail, a payment system the offer does not list,
// an offer not sold by enrollment: field errors, and nothing written.
func TestEnrollBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Date(2027, 3, 10, 10, 0, 0, 0, madrid))
	of := f.newOffer("tuition", 4900, "EUR", 0, 1, nil,
		offer.RegistrationField{Key: "level", Label: "Level", Type: "text", Required: true},
		offer.RegistrationField{Key: "phone", Label: "Phone", Type: "phone"})
	oneTime := f.newOffer(offer.OneTime, 4900, "EUR", 0, 1, nil)
	count := func() int {
		return f.count(`SELECT (SELECT count(*) FROM enrollments) + (SELECT count(*) FROM receipts) +
			(SELECT count(*) FROM payment_links) + (SELECT count(*) FROM receipt_numbers) +
			(SELECT count(*) FROM contacts)`)
	}
	before := count()
	tests := []struct {
		name  string
		in    billing.EnrollInput
		field string
	}{
		{"MissingField", billing.EnrollInput{OfferID: of.ID, PayerID: f.payer.ID, Answers: map[string]string{"level": "  "}}, "answers.level"},
		{"BadLearner", billing.EnrollInput{OfferID: of.ID, PayerID: f.payer.ID, Answers: map[string]string{"level": "A1"},
			Learner: &billing.LearnerInput{Email: "not-an-email"}}, "learner.email"},
		{"System", billing.EnrollInput{OfferID: of.ID, PayerID: f.payer.ID, Answers: map[string]string{"level": "A1"},
			PaymentSystemID: 999}, "payment_system_id"},
		{"OneTime", billing.EnrollInput{OfferID: oneTime.ID, PayerID: f.payer.ID}, "offer_id"},
		{"NoOffer", billing.EnrollInput{OfferID: 12345, PayerID: f.payer.ID}, "offer_id"},
		{"NoPayer", billing.EnrollInput{OfferID: of.ID, Answers: map[string]string{"level": "A1"}}, "payer_id"},
	}
	for _, tt := range tests {
		_, err := f.bill.Enroll(f.ctx, tt.in)
		e, ok := check.AsErrors(err)
		if !ok || e[tt.field] == "" {
			t.Errorf("%s: Enroll = %v; want a field error on %s", tt.name, err, tt.field)
		}
	}
	if after := count(); after != before {
		t.Fatalf("rows %d → %d: bad input wrote something", before, after)
	}
	if _, err := f.bill.Enroll(f.ctx, billing.EnrollInput{OfferID: of.ID, PayerID: f.payer.ID,
		Answers: map[string]string{"level": "A1"}}); err != nil {
		t.Fatal(err)
	}
}

// TestInstallmentsSplit: 100.00 EUR in 3 are receipts of 33.34, 33.33 and 33.33; JPY and KWD the same way in their
// minor units, end to end through issuing.
func TestInstallmentsSplit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Date(2027, 1, 15, 10, 0, 0, 0, madrid))
	cases := []struct {
		total money.Money
		want  []int64
	}{
		{money.New(10000, "EUR"), []int64{3334, 3333, 3333}},
		{money.New(10000, "JPY"), []int64{3334, 3333, 3333}},
		{money.New(100001, "KWD"), []int64{33335, 33333, 33333}},
	}
	var ids []int64
	for _, c := range cases {
		of := f.newOffer(offer.Installments, c.total.Amount, c.total.Currency, 3, 3, nil)
		en := f.enroll(of)
		if _, err := f.pay(en.Receipt); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, en.Enrollment.ID)
	}
	for range 4 { // four months: parts 2 and 3 are issued, then nothing more
		f.clock.Add(31 * 24 * time.Hour)
		if _, err := f.bill.IssueDue(f.ctx); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cases {
		rs := f.receipts(ids[i])
		if len(rs) != 3 {
			t.Fatalf("%s: %d receipts", c.total, len(rs))
		}
		var sum int64
		for k, r := range rs {
			if r.Amount != money.New(c.want[k], c.total.Currency) {
				t.Errorf("%s part %d = %s; want %d", c.total, k, r.Amount, c.want[k])
			}
			sum += r.Amount.Amount
		}
		if sum != c.total.Amount {
			t.Errorf("%s: parts add up to %d", c.total, sum)
		}
		if e := f.enrollment(ids[i]); e.NextIssueAt != nil {
			t.Errorf("%s: next issue at %v after the last part", c.total, e.NextIssueAt)
		}
		for _, r := range rs[1:] {
			if _, err := f.pay(r); err != nil {
				t.Fatal(err)
			}
		}
		if e := f.enrollment(ids[i]); e.Status != billing.EnrollmentCompleted {
			t.Errorf("%s: %s after the last part paid; want completed", c.total, e.Status)
		}
	}
	var _ = errors.Is
}
