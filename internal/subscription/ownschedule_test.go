package subscription_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/wayforpay"
	"github.com/bursar/bursar/internal/gateway/wayforpay/wayforpayfake"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/subscription"
)

// A subscription Bursar charges on its own schedule, through WayForPay's saved card, end to end against the
// WayForPay fake: the first payment on WayForPay's page saves the card and makes the subscription active; the
// charge job charges the saved card when the period ends (and an answer lost on the way is asked about, never
// charged twice); a declined card makes it past due with one e-mail, is tried again after 1, 3 and 5 days, and
// the subscription is cancelled when the last try is declined, its access ending at the paid period's end.
func TestOwnScheduleThroughWayForPay(t *testing.T) {
	f := newFixture(t)
	fake := wayforpayfake.New(wayforpayfake.Account, wayforpayfake.Secret)
	t.Cleanup(fake.Close)
	fake.SetNow(f.clock.Now)
	f.gw.cards = gateway.Caller{Registry: gateway.NewRegistry(wayforpay.New(wayforpay.Options{Now: f.clock.Now})),
		Systems: f.systems, APIURLs: map[string]string{gateway.TypeWayForPay: fake.URL}}
	wfp, err := f.systems.Create(f.ctx, gateway.Input{Type: gateway.TypeWayForPay, Name: "Card UA",
		Mode: gateway.ModeTest, Enabled: true, Settings: map[string]any{"merchant_account": wayforpayfake.Account,
			"merchant_domain": wayforpayfake.Domain}, Credentials: map[string]string{"secret_key": wayforpayfake.Secret}})
	if err != nil {
		t.Fatal(err)
	}
	uah := func(n int64) money.Money { return money.New(n, "UAH") }
	of := f.newOffer("Card club", func(in *offer.Input) {
		in.Amount, in.Currency, in.PaymentSystemIDs = 25000, "UAH", []int64{wfp.ID}
	})

	// A free trial is refused through a gateway whose first payment saves the card.
	in := offer.NewInput()
	in.Title, in.Amount, in.Currency, in.Status, in.Kind = "Trial club", 25000, "UAH", offer.StatusDraft, offer.Recurring
	in.Interval, in.IntervalCount, in.TrialDays, in.PaymentSystemIDs = offer.IntervalMonth, 1, 7, []int64{wfp.ID}
	if _, err := f.offers.Create(f.ctx, in); err == nil || !strings.Contains(err.Error(), "free trial") {
		t.Fatalf("a trial through WayForPay: %v", err)
	}

	st, err := f.subs.Start(f.ctx, subscription.Start{OfferID: of.ID, SystemID: wfp.ID, ContactID: f.payer.ID,
		SuccessURL: "https://school.test/ok", CancelURL: "https://school.test/no"})
	if err != nil {
		t.Fatal(err)
	}
	sub, ref := st.Subscription, st.Redirect.Ref
	if st.Redirect.Form == nil || gateway.ChargeRefSubscription(ref) != sub.ID || sub.CheckoutRef != ref {
		t.Fatalf("started %+v", st)
	}
	// The first payment's notification, with the card WayForPay saved.
	token := fake.Token()
	take := func(n wayforpayfake.Note) order.Outcome {
		t.Helper()
		_, ev, err := f.gw.cards.Verify(f.ctx, wfp.ID, gateway.Inbound{Body: wayforpayfake.Notification(
			wayforpayfake.Secret, wayforpayfake.Account, n), Received: f.clock.Now(), Header: func(string) string { return "" }})
		if err != nil {
			t.Fatal(err)
		}
		return f.ingest(wfp, ev)
	}
	if out := take(wayforpayfake.Note{Ref: ref, Amount: uah(25000), Email: f.payer.Email, RecToken: token}); out.Result != order.ResultCharged {
		t.Fatalf("first payment: %+v", out)
	}
	if out := take(wayforpayfake.Note{Ref: ref, Amount: uah(25000), Email: f.payer.Email, RecToken: token}); !out.Duplicate {
		t.Fatalf("the first payment's repeat: %+v", out)
	}
	sub = f.get(sub.ID)
	p1 := start.AddDate(0, 1, 0)
	if sub.Status != subscription.StatusActive || !sub.CardSaved || sub.GatewayRef != ref || sub.Charges != 1 ||
		sub.NextChargeAt == nil || !sub.NextChargeAt.Equal(p1) {
		t.Fatalf("after the first payment %+v", sub)
	}

	// Nothing is due before the period's end.
	if sum, err := f.subs.ChargeDue(f.ctx, f.orders); err != nil || sum != (subscription.ChargeSummary{}) {
		t.Fatalf("before the period's end: %+v %v", sum, err)
	}
	// The period ends; the answer of the charge is lost: it is asked about, not charged again.
	f.clock.Set(p1.Add(time.Minute))
	fake.LoseNext()
	if sum, err := f.subs.ChargeDue(f.ctx, f.orders); err != nil || sum.Unavailable != 1 || sum.Charged != 0 {
		t.Fatalf("lost answer: %+v %v", sum, err)
	}
	if sum, err := f.subs.ChargeDue(f.ctx, f.orders); err != nil || sum != (subscription.ChargeSummary{}) {
		t.Fatalf("while the answer is awaited: %+v %v", sum, err)
	}
	f.clock.Set(p1.Add(subscription.AskAfter + 2*time.Minute))
	if sum, err := f.subs.ChargeDue(f.ctx, f.orders); err != nil || sum.Asked != 1 || sum.Charged != 1 {
		t.Fatalf("asked about: %+v %v", sum, err)
	}
	if n := len(fake.Charges()); n != 1 {
		t.Fatalf("WayForPay charged %d times for one period", n)
	}
	sub = f.get(sub.ID)
	p2 := start.AddDate(0, 2, 0)
	if sub.Charges != 2 || sub.PaidThrough == nil || !sub.PaidThrough.Equal(p2) || !sub.NextChargeAt.Equal(p2) {
		t.Fatalf("after the second charge %+v", sub)
	}
	if c := fake.Charges()[0]; c.Token != token || c.Amount != uah(25000) {
		t.Fatalf("charge %+v", c)
	}

	// The card is declined: past due, one e-mail, tries after 1, 3 and 5 days, then cancelled.
	fake.Decline(token)
	at := p2.Add(time.Minute)
	for i, wait := range append([]time.Duration{0}, subscription.RetryDelays...) {
		at = at.Add(wait)
		f.clock.Set(at)
		sum, err := f.subs.ChargeDue(f.ctx, f.orders)
		if err != nil || sum.Declined != 1 {
			t.Fatalf("try %d: %+v %v", i+1, sum, err)
		}
		sub = f.get(sub.ID)
		if sub.Status != subscription.StatusPastDue || sub.Retries != i+1 ||
			!strings.HasSuffix(sub.UpdateURL, "/account/subscriptions") {
			t.Fatalf("after try %d: %+v", i+1, sub)
		}
		if i == 0 {
			// The payer pays the charge due on WayForPay's page, and that card is declined too: a payment the payer
			// tried counts no retry and sends no e-mail; another payer cannot start it.
			if _, err := f.subs.PayNow(f.ctx, sub.ID, f.payer.ID+1000, "", ""); err == nil {
				t.Fatal("another payer's Pay now started")
			}
			red, err := f.subs.PayNow(f.ctx, sub.ID, f.payer.ID, "https://school.test/ok", "https://school.test/no")
			if err != nil || red.Form == nil || gateway.ChargeRefSubscription(red.Ref) != sub.ID {
				t.Fatalf("Pay now: %+v %v", red, err)
			}
			if out := take(wayforpayfake.Note{Ref: red.Ref, Amount: uah(25000), Status: wayforpayfake.StatusDeclined,
				Email: f.payer.Email}); out.Result != order.ResultChargeFailed {
				t.Fatalf("declined on the page: %+v", out)
			}
			if got := f.get(sub.ID); got.Retries != 1 || got.Status != subscription.StatusPastDue {
				t.Fatalf("after a payment declined on the page: %+v", got)
			}
		}
	}
	if n := f.count(`SELECT count(*) FROM outbound_emails WHERE dedup_key LIKE 'subscription:%:subscription_past_due:%'`); n != 1 {
		t.Errorf("past-due e-mails: %d, want one for the period", n)
	}
	if sum, err := f.subs.ChargeDue(f.ctx, f.orders); err != nil || sum.Ended != 1 {
		t.Fatalf("after the last try: %+v %v", sum, err)
	}
	sub = f.get(sub.ID)
	if sub.Status != subscription.StatusCancelled || sub.NextChargeAt != nil {
		t.Fatalf("not cancelled: %+v", sub)
	}
	if end := f.accessEnd(f.payer.ID); end == nil || !end.Equal(p2) {
		t.Fatalf("access ends %v, want the paid period's end %v", end, p2)
	}
	if n := len(fake.Charges()); n != 5 {
		t.Fatalf("WayForPay was asked %d charges, want 1 paid and 4 declined", n)
	}
}
