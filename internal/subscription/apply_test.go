package subscription_test

import (
	"encoding/csv"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/subscription"
)

// The first invoice.paid arrives before the checkout's link event: the charge finds the pending subscription by
// the id the gateway echoes, records the order, makes it active and takes its reference; the link event then
// changes nothing, and a repeat of the charge is known.
func TestChargeBeforeLink(t *testing.T) {
	f := newFixture(t)
	of := f.newOffer("Spanish monthly", nil)
	st := f.start(of, f.payer)
	sub := st.Subscription
	if sub.Status != subscription.StatusPending || st.Redirect.Ref == "" || sub.CheckoutRef != st.Redirect.Ref {
		t.Fatalf("started %+v", st)
	}
	f.gw.mu.Lock()
	b := f.gw.begins[0]
	f.gw.mu.Unlock()
	if b.NotifyURL != "https://school.test/webhooks/"+itoa(f.cards.ID) || b.Plan.Amount != eur(1900) ||
		b.Plan.Interval != gateway.IntervalMonth || b.Plan.Count != 1 || b.Email != f.payer.Email ||
		b.SubscriptionID != sub.ID || b.SuccessURL != "https://school.test/ok" {
		t.Fatalf("checkout %+v", b)
	}
	f.rec.Emitted(t)
	out := f.ingest(f.cards, paid(f.evID(), sub, "sub_1", 0, eur(1900)))
	if out.Result != order.ResultCharged || out.OrderID == 0 {
		t.Fatalf("charge: %+v", out)
	}
	got := f.get(sub.ID)
	pe := start.AddDate(0, 1, 0)
	if got.Status != subscription.StatusActive || got.GatewayRef != "sub_1" || got.Charges != 1 ||
		got.PaidThrough == nil || !got.PaidThrough.Equal(pe) || got.CurrentPeriodEnd == nil ||
		!got.CurrentPeriodEnd.Equal(pe) {
		t.Fatalf("after the charge: %+v", got)
	}
	o, err := f.orders.Get(f.ctx, out.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != order.StatusCompleted || o.Channel != order.ChannelSubscription || o.Price != eur(1900) ||
		len(o.Payments) != 1 || o.Payments[0].GatewayRef != "in_"+itoa(sub.ID)+"_0" {
		t.Fatalf("order %+v", o)
	}
	if end := f.accessEnd(f.payer.ID); end == nil || !end.Equal(pe.AddDate(0, 0, of.GraceDays)) {
		t.Fatalf("access ends %v, want %v", end, pe.AddDate(0, 0, of.GraceDays))
	}
	evs := f.rec.Events(t)
	if !hasEvent(evs, events.SubscriptionCreated, sub.ID) || !hasEvent(evs, events.OrderCompleted, out.OrderID) {
		t.Fatalf("events %+v", evs)
	}
	if out := f.ingest(f.cards, f.linkEvent(got, "sub_1")); out.Result != order.ResultSubscriptionUpdated {
		t.Fatalf("link after: %+v", out)
	}
	if again := f.get(sub.ID); again.CustomerRef != "cus_sub_1" || again.Status != subscription.StatusActive {
		t.Fatalf("after the link: %+v", again)
	}
	// The same invoice in another notification (invoice.payment_succeeded): known, nothing more.
	if out := f.ingest(f.cards, paid(f.evID(), sub, "sub_1", 0, eur(1900))); out.Result != order.ResultChargeKnown {
		t.Fatalf("repeat: %+v", out)
	}
	// The same notification again: a duplicate.
	ev := paid(f.evID(), sub, "sub_1", 1, eur(1900))
	f.ingest(f.cards, ev)
	if out := f.ingest(f.cards, ev); !out.Duplicate {
		t.Fatalf("duplicate: %+v", out)
	}
	if n := f.count(`SELECT count(*) FROM subscription_charges WHERE subscription_id = $1`, sub.ID); n != 2 {
		t.Fatalf("%d charges", n)
	}
	if n := f.count(`SELECT count(*) FROM orders WHERE channel = 'subscription' AND status = 'completed'`); n != 2 {
		t.Fatalf("%d orders", n)
	}
	if n := f.count(`SELECT count(*) FROM outbound_emails WHERE dedup_key LIKE 'order:%:completed'`); n != 2 {
		t.Fatalf("%d completed e-mails", n)
	}
}

// The link event first, then states out of order: an older state is stale, one at the same instant applies only
// when it ranks at least as late; a terminal status is never left.
func TestStateByTime(t *testing.T) {
	f := newFixture(t)
	of := f.newOffer("Spanish monthly", nil)
	sub := f.start(of, f.payer).Subscription
	if out := f.ingest(f.cards, f.linkEvent(sub, "sub_9")); out.Result != order.ResultSubscriptionUpdated {
		t.Fatalf("link: %+v", out)
	}
	if got := f.get(sub.ID); got.GatewayRef != "sub_9" || got.Status != subscription.StatusPending {
		t.Fatalf("linked: %+v", got)
	}
	t1 := start.Add(time.Hour)
	pe := start.AddDate(0, 1, 0)
	f.rec.Emitted(t)
	out := f.ingest(f.cards, f.state(sub, "sub_9", gateway.SubActive, t1, func(s *gateway.SubscriptionState) {
		s.CurrentPeriodStart, s.CurrentPeriodEnd = start, pe
	}))
	if out.Result != order.ResultSubscriptionUpdated {
		t.Fatalf("active: %+v", out)
	}
	if !hasEvent(f.rec.Events(t), events.SubscriptionCreated, sub.ID) {
		t.Fatal("no subscription.created")
	}
	// Older: stale.
	if out := f.ingest(f.cards, f.state(sub, "sub_9", gateway.SubPastDue, t1.Add(-time.Minute), nil)); out.Result != order.ResultSubscriptionStale {
		t.Fatalf("older: %+v", out)
	}
	// Same instant, earlier rank: stale; same instant, later rank: applies.
	if out := f.ingest(f.cards, f.state(sub, "sub_9", gateway.SubTrialing, t1, nil)); out.Result != order.ResultSubscriptionStale {
		t.Fatalf("same instant, earlier: %+v", out)
	}
	f.rec.Emitted(t)
	if out := f.ingest(f.cards, f.state(sub, "sub_9", gateway.SubPastDue, t1, nil)); out.Result != order.ResultSubscriptionUpdated {
		t.Fatalf("same instant, later: %+v", out)
	}
	if got := f.get(sub.ID); got.Status != subscription.StatusPastDue || got.CurrentPeriodEnd == nil || !got.CurrentPeriodEnd.Equal(pe) {
		t.Fatalf("past due: %+v", got)
	}
	if !hasEvent(f.rec.Events(t), events.SubscriptionPastDue, sub.ID) {
		t.Fatal("no subscription.past_due")
	}
	// Cancel at the period's end, then deleted; a late "active" never revives it.
	t2 := t1.Add(24 * time.Hour)
	f.ingest(f.cards, f.state(sub, "sub_9", gateway.SubActive, t2, func(s *gateway.SubscriptionState) {
		s.CancelAtPeriodEnd = true
	}))
	if got := f.get(sub.ID); !got.CancelAtPeriodEnd || got.NextCharge() != nil {
		t.Fatalf("cancelling: %+v", got)
	}
	f.ingest(f.cards, f.state(sub, "sub_9", gateway.SubCancelled, pe, nil))
	if out := f.ingest(f.cards, f.state(sub, "sub_9", gateway.SubActive, pe.Add(time.Hour), nil)); out.Result != order.ResultSubscriptionStale {
		t.Fatalf("revived: %+v", out)
	}
	got := f.get(sub.ID)
	if got.Status != subscription.StatusCancelled || got.CancelledAt == nil || got.EndedAt == nil {
		t.Fatalf("cancelled: %+v", got)
	}
	d, err := f.subs.Detail(f.ctx, sub.ID)
	if err != nil || len(d.Events) < 5 {
		t.Fatalf("detail %+v %v", d, err)
	}
}

// A charge unlike the plan opens an exception and records nothing; a proration is recorded without extending the
// period; notifications naming no subscription of their payment system open exceptions and settle nothing.
func TestChargeExceptions(t *testing.T) {
	f := newFixture(t)
	of := f.newOffer("Spanish monthly", nil)
	sub := f.start(of, f.payer).Subscription
	f.ingest(f.cards, paid(f.evID(), sub, "sub_2", 0, eur(1900)))
	for name, amount := range map[string]gateway.Event{
		"currency": paid(f.evID(), sub, "sub_2", 1, money1900USD()),
		"amount":   paid(f.evID(), sub, "sub_2", 1, eur(2500)),
	} {
		out := f.ingest(f.cards, amount)
		if out.Result != "exception:"+string(order.ExSubscriptionCharge) || out.ExceptionID == 0 {
			t.Fatalf("%s: %+v", name, out)
		}
	}
	if n := f.count(`SELECT count(*) FROM subscription_charges`); n != 1 {
		t.Fatalf("%d charges", n)
	}
	if n := f.count(`SELECT count(*) FROM orders`); n != 1 {
		t.Fatalf("%d orders", n)
	}
	pro := paid(f.evID(), sub, "sub_2", 0, eur(700))
	pro.Charge.Ref, pro.Charge.Proration = "in_proration", true
	if out := f.ingest(f.cards, pro); out.Result != order.ResultCharged || out.OrderID == 0 {
		t.Fatalf("proration: %+v", out)
	}
	got := f.get(sub.ID)
	if got.Charges != 1 || !got.PaidThrough.Equal(start.AddDate(0, 1, 0)) {
		t.Fatalf("after the proration: %+v", got)
	}
	// Unknown: a reference and an id of nothing.
	unknown := paid(f.evID(), sub, "sub_nobody", 0, eur(1900))
	unknown.Charge.SubscriptionID = 0
	if out := f.ingest(f.cards, unknown); out.Result != "exception:"+string(order.ExUnknownSubscription) {
		t.Fatalf("unknown: %+v", out)
	}
	if out := f.ingest(f.cards, f.state(subscription.Subscription{ID: 999999}, "sub_x", gateway.SubActive, start, nil)); out.Result != "exception:"+string(order.ExUnknownSubscription) {
		t.Fatalf("unknown state: %+v", out)
	}
	// Another payment system naming our subscription's id: settles nothing.
	foreign := paid(f.evID(), sub, "sub_foreign", 1, eur(1900))
	if out := f.ingest(f.other, foreign); out.Result != "exception:"+string(order.ExUnknownSubscription) {
		t.Fatalf("foreign charge: %+v", out)
	}
	if out := f.ingest(f.other, f.state(sub, "sub_foreign", gateway.SubCancelled, start.AddDate(1, 0, 0), nil)); out.Result != "exception:"+string(order.ExUnknownSubscription) {
		t.Fatalf("foreign state: %+v", out)
	}
	after := f.get(sub.ID)
	if after.Status != subscription.StatusActive || after.Charges != 1 || after.GatewayRef != "sub_2" {
		t.Fatalf("foreign changed it: %+v", after)
	}
	if n := f.count(`SELECT count(*) FROM payment_exceptions`); n != 6 {
		t.Fatalf("%d exceptions", n)
	}
}

// A failed charge makes the subscription past due and e-mails the update link once, however often it is notified;
// the next paid charge makes it active again.
func TestPastDue(t *testing.T) {
	f := newFixture(t)
	of := f.newOffer("Spanish monthly", nil)
	sub := f.start(of, f.payer).Subscription
	f.ingest(f.cards, paid(f.evID(), sub, "sub_3", 0, eur(1900)))
	failed := func() gateway.Event {
		ev := paid(f.evID(), sub, "sub_3", 1, eur(1900))
		ev.Type, ev.Charge.Paid, ev.Charge.UpdateURL = "invoice.payment_failed", false, "https://invoice.stripe.test/i/1"
		return ev
	}
	f.rec.Emitted(t)
	if out := f.ingest(f.cards, failed()); out.Result != order.ResultChargeFailed {
		t.Fatalf("failed: %+v", out)
	}
	if !hasEvent(f.rec.Events(t), events.SubscriptionPastDue, sub.ID) {
		t.Fatal("no subscription.past_due")
	}
	if out := f.ingest(f.cards, failed()); out.Result != order.ResultChargeKnown {
		t.Fatalf("failed again: %+v", out)
	}
	got := f.get(sub.ID)
	if got.Status != subscription.StatusPastDue || got.UpdateURL != "https://invoice.stripe.test/i/1" {
		t.Fatalf("past due: %+v", got)
	}
	if n := f.count(`SELECT count(*) FROM outbound_emails WHERE dedup_key LIKE 'subscription:%:subscription_past_due:%'`); n != 1 {
		t.Fatalf("%d past-due e-mails", n)
	}
	var text string
	if err := f.pool.QueryRow(f.ctx, `SELECT text_body FROM outbound_emails WHERE dedup_key LIKE 'subscription:%'`).Scan(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "https://invoice.stripe.test/i/1") {
		t.Fatalf("e-mail without the link: %s", text)
	}
	// The retry succeeds later.
	retry := paid(f.evID(), sub, "sub_3", 1, eur(1900))
	retry.Charge.At = retry.Charge.At.Add(72 * time.Hour)
	f.ingest(f.cards, retry)
	if got := f.get(sub.ID); got.Status != subscription.StatusActive {
		t.Fatalf("after the retry: %+v", got)
	}
}

// Cancelled: access ends at the paid period's end, the payer is told once; subscription.deleted before the last
// invoice.paid: that charge is recorded and gives access to its period's end.
func TestCancelEndsAccess(t *testing.T) {
	f := newFixture(t)
	of := f.newOffer("Spanish monthly", nil)
	sub := f.start(of, f.payer).Subscription
	f.ingest(f.cards, paid(f.evID(), sub, "sub_4", 0, eur(1900)))
	f.ingest(f.cards, paid(f.evID(), sub, "sub_4", 1, eur(1900)))
	p2 := start.AddDate(0, 2, 0)
	if end := f.accessEnd(f.payer.ID); !end.Equal(p2.AddDate(0, 0, of.GraceDays)) {
		t.Fatalf("access %v", end)
	}
	f.rec.Emitted(t)
	f.ingest(f.cards, f.state(sub, "sub_4", gateway.SubCancelled, start.AddDate(0, 1, 10), nil))
	if end := f.accessEnd(f.payer.ID); !end.Equal(p2) {
		t.Fatalf("access after the cancel %v, want %v", end, p2)
	}
	if !hasEvent(f.rec.Events(t), events.SubscriptionCancelled, sub.ID) {
		t.Fatal("no subscription.cancelled")
	}
	f.ingest(f.cards, f.state(sub, "sub_4", gateway.SubEnded, start.AddDate(0, 1, 11), nil))
	if n := f.count(`SELECT count(*) FROM outbound_emails WHERE dedup_key LIKE 'subscription:%:subscription_cancelled'`); n != 1 {
		t.Fatalf("%d cancelled e-mails", n)
	}
	// The deleted subscription's last invoice arrives after: recorded, access to its period's end (no grace).
	f.ingest(f.cards, paid(f.evID(), sub, "sub_4", 2, eur(1900)))
	p3 := start.AddDate(0, 3, 0)
	if end := f.accessEnd(f.payer.ID); !end.Equal(p3) {
		t.Fatalf("access after the late charge %v, want %v", end, p3)
	}
	if got := f.get(sub.ID); got.Status != subscription.StatusEnded || got.Charges != 3 || !got.PaidThrough.Equal(p3) {
		t.Fatalf("ended: %+v", got)
	}
}

// Act: ownership, the payer's actions, the answer applied by the notification's rule, unsupported actions; the
// manage page for the owner only.
func TestAct(t *testing.T) {
	f := newFixture(t)
	of := f.newOffer("Spanish monthly", nil)
	sub := f.start(of, f.payer).Subscription
	f.ingest(f.cards, paid(f.evID(), sub, "sub_5", 0, eur(1900)))
	f.ingest(f.cards, f.linkEvent(sub, "sub_5"))
	stranger := f.newContact("stranger@example.com")
	f.gw.answer = func(ch gateway.SubscriptionChange) gateway.SubscriptionState {
		return gateway.SubscriptionState{SubscriptionRef: ch.SubscriptionRef, Status: gateway.SubActive,
			CancelAtPeriodEnd: ch.Action == gateway.ActionCancelAtPeriodEnd, At: f.clock.Now()}
	}
	if _, err := f.subs.Act(f.ctx, sub.ID, subscription.Action{Kind: gateway.ActionCancelAtPeriodEnd,
		ContactID: stranger.ID}); !errors.Is(err, check.ErrNotFound) {
		t.Fatalf("stranger: %v", err)
	}
	if _, err := f.subs.Act(f.ctx, sub.ID, subscription.Action{Kind: gateway.ActionCancelNow,
		ContactID: f.payer.ID}); !isField(err, "action") {
		t.Fatalf("payer cancelling now: %v", err)
	}
	if len(f.gw.changes) != 0 {
		t.Fatal("the gateway was asked")
	}
	f.clock.Set(start.Add(48 * time.Hour))
	got, err := f.subs.Act(f.ctx, sub.ID, subscription.Action{Kind: gateway.ActionCancelAtPeriodEnd,
		ContactID: f.payer.ID, Note: "moving"})
	if err != nil || !got.CancelAtPeriodEnd || got.Status != subscription.StatusActive {
		t.Fatalf("cancel at the period's end: %+v %v", got, err)
	}
	if ch := f.gw.changes[0]; ch.Ref != "sub_5" || ch.CustomerRef != "cus_sub_5" || ch.SubscriptionID != sub.ID {
		t.Fatalf("asked %+v", ch)
	}
	// The notification of the same change that follows changes nothing more.
	f.rec.Emitted(t)
	f.ingest(f.cards, f.state(sub, "sub_5", gateway.SubActive, f.clock.Now(), func(s *gateway.SubscriptionState) {
		s.CancelAtPeriodEnd = true
	}))
	if evs := f.rec.Events(t); len(evs) != 0 {
		t.Fatalf("the echo emitted %+v", evs)
	}
	f.gw.changeErr = gateway.ErrUnsupported
	if _, err := f.subs.Act(f.ctx, sub.ID, subscription.Action{Kind: gateway.ActionPause}); !errors.Is(err, gateway.ErrUnsupported) ||
		!strings.Contains(err.Error(), "cannot pause") {
		t.Fatalf("unsupported: %v", err)
	}
	f.gw.changeErr = nil
	// The intent was written before the gateway was asked, and its refusal after.
	d, err := f.subs.Detail(f.ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := d.Events[len(d.Events)-2:]; last[0].Kind != subscription.EventAsked || !strings.Contains(last[0].Message, "pause") ||
		last[1].Kind != subscription.EventAnswered {
		t.Fatalf("timeline %+v", last)
	}
	// Plan change: another currency refused; a good one moves the subscription to the new offer.
	usd := f.newOffer("Spanish USD", func(in *offer.Input) { in.Currency = "USD" })
	if _, err := f.subs.Act(f.ctx, sub.ID, subscription.Action{Kind: gateway.ActionChangePlan, OfferID: usd.ID}); !isField(err, "offer_id") {
		t.Fatalf("plan in USD: %v", err)
	}
	plus := f.newOffer("Spanish plus", func(in *offer.Input) { in.Amount = 2900 })
	f.gw.answer = func(ch gateway.SubscriptionChange) gateway.SubscriptionState {
		return gateway.SubscriptionState{SubscriptionRef: ch.SubscriptionRef, Status: gateway.SubActive,
			Amount: ch.Plan.Amount, At: f.clock.Now().Add(time.Second)}
	}
	got, err = f.subs.Act(f.ctx, sub.ID, subscription.Action{Kind: gateway.ActionChangePlan, OfferID: plus.ID})
	if err != nil || got.OfferID != plus.ID || got.Price != eur(2900) {
		t.Fatalf("plan change: %+v %v", got, err)
	}
	// ManageURL: the owner only.
	if _, err := f.subs.ManageURL(f.ctx, sub.ID, stranger.ID, "https://school.test/account"); !errors.Is(err, check.ErrNotFound) {
		t.Fatalf("stranger's manage page: %v", err)
	}
	u, err := f.subs.ManageURL(f.ctx, sub.ID, f.payer.ID, "https://school.test/account")
	if err != nil || u != "https://billing.test/portal/cus_sub_5" {
		t.Fatalf("manage %q %v", u, err)
	}
	f.gw.manageErr = gateway.ErrUnavailable
	if _, err := f.subs.ManageURL(f.ctx, sub.ID, f.payer.ID, ""); !errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("portal down: %v", err)
	}
	// Cancelled: not live any more.
	f.ingest(f.cards, f.state(sub, "sub_5", gateway.SubCancelled, f.clock.Now().Add(time.Hour), nil))
	if _, err := f.subs.Act(f.ctx, sub.ID, subscription.Action{Kind: gateway.ActionResume}); !errors.Is(err, subscription.ErrNotLive) {
		t.Fatalf("cancelled: %v", err)
	}
}

func hasEvent(evs []events.Event, typ events.Type, id int64) bool {
	for _, e := range evs {
		if e.Type == typ && e.ID == id {
			return true
		}
	}
	return false
}

func isField(err error, field string) bool {
	e, ok := check.AsErrors(err)
	return ok && e[field] != ""
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func money1900USD() money.Money { return money.New(1900, "USD") }

// A checkout that never went through: its failed first charge leaves the subscription pending (no e-mail), and
// the gateway ending it sends no cancelled e-mail.
func TestPendingNeverPaid(t *testing.T) {
	f := newFixture(t)
	of := f.newOffer("Spanish monthly", nil)
	sub := f.start(of, f.payer).Subscription
	failed := paid(f.evID(), sub, "sub_8", 0, eur(1900))
	failed.Type, failed.Charge.Paid = "invoice.payment_failed", false
	if out := f.ingest(f.cards, failed); out.Result != order.ResultChargeFailed {
		t.Fatalf("failed: %+v", out)
	}
	if got := f.get(sub.ID); got.Status != subscription.StatusPending {
		t.Fatalf("after the failed first charge: %+v", got)
	}
	f.ingest(f.cards, f.state(sub, "sub_8", gateway.SubEnded, start.Add(24*time.Hour), nil))
	if got := f.get(sub.ID); got.Status != subscription.StatusEnded {
		t.Fatalf("ended: %+v", got)
	}
	if n := f.count(`SELECT count(*) FROM outbound_emails`); n != 0 {
		t.Fatalf("%d e-mails to a payer who never subscribed", n)
	}
	// Ended: a new subscription to the offer may start.
	if _, err := f.subs.Start(f.ctx, subscription.Start{OfferID: of.ID, SystemID: f.cards.ID, ContactID: f.payer.ID}); err != nil {
		t.Fatal(err)
	}
}

// PayPal's sales carry no period: each pays one interval from the later of the paid period's end and the sale. A
// zero charge of a plan with a trial (the trial's opening) is recorded without an order: no access during a trial.
func TestChargeWithoutPeriodAndTrial(t *testing.T) {
	f := newFixture(t)
	of := f.newOffer("Spanish weekly", func(in *offer.Input) {
		in.Interval, in.IntervalCount, in.TrialDays = offer.IntervalWeek, 2, 7
	})
	sub := f.start(of, f.payer).Subscription
	trial := paid(f.evID(), sub, "I-TRIAL", 0, eur(0))
	trial.Charge.Ref = "trial-0"
	if out := f.ingest(f.cards, trial); out.Result != order.ResultCharged || out.OrderID != 0 {
		t.Fatalf("trial: %+v", out)
	}
	if got := f.get(sub.ID); got.Status != subscription.StatusTrialing || got.Charges != 0 || got.PaidThrough != nil {
		t.Fatalf("trialing: %+v", got)
	}
	if end := f.accessEnd(f.payer.ID); end != nil {
		t.Fatalf("access during the trial until %v", end)
	}
	sale := func(ref string, at time.Time) gateway.Event {
		return gateway.Event{ID: f.evID(), Type: "PAYMENT.SALE.COMPLETED", Kind: gateway.EventCharge,
			Charge: &gateway.SubscriptionCharge{Ref: ref, SubscriptionRef: "I-TRIAL", PaymentRef: ref, Amount: eur(1900),
				Paid: true, At: at}}
	}
	first := start.AddDate(0, 0, 7)
	f.ingest(f.cards, sale("SALE-1", first))
	want := first.AddDate(0, 0, 14)
	if got := f.get(sub.ID); got.Status != subscription.StatusActive || got.Charges != 1 || !got.PaidThrough.Equal(want) {
		t.Fatalf("after the first sale: %+v", got)
	}
	// The next sale a little early: from the paid period's end, not from the sale.
	f.ingest(f.cards, sale("SALE-2", want.Add(-time.Hour)))
	want = want.AddDate(0, 0, 14)
	if got := f.get(sub.ID); got.Charges != 2 || !got.PaidThrough.Equal(want) {
		t.Fatalf("after the second sale: %+v", got)
	}
	if end := f.accessEnd(f.payer.ID); end == nil || !end.Equal(want.AddDate(0, 0, of.GraceDays)) {
		t.Fatalf("access until %v", end)
	}
}

// PayPal's checkout is the subscription (I-…): a sale naming it before the activation links it, and echoing no
// Bursar id, is the subscription's charge, not an unknown subscription.
func TestSaleBeforeActivationByCheckoutRef(t *testing.T) {
	f := newFixture(t)
	of := f.newOffer("Guitar monthly", nil)
	sub := f.start(of, f.payer).Subscription
	if sub.CheckoutRef == "" || sub.GatewayRef != "" {
		t.Fatalf("started: %+v", sub)
	}
	sale := gateway.Event{ID: f.evID(), Type: "PAYMENT.SALE.COMPLETED", Kind: gateway.EventCharge,
		Charge: &gateway.SubscriptionCharge{Ref: "SALE-EARLY", SubscriptionRef: sub.CheckoutRef, PaymentRef: "SALE-EARLY",
			Amount: of.Price(), Paid: true, At: start.Add(time.Minute)}}
	if out := f.ingest(f.cards, sale); out.Result != order.ResultCharged || out.OrderID == 0 {
		t.Fatalf("sale by checkout reference: %+v", out)
	}
	if got := f.get(sub.ID); got.Charges != 1 || got.PaidThrough == nil {
		t.Fatalf("after the sale: %+v", got)
	}
}

// A payer's "cancel at the period's end" through a gateway that only cancels at once (PayPal) cancels now: no more
// charges, and access until the paid period's end, as asked. A manager's request is passed on as it is.
func TestPayerCancelAtOnceGateway(t *testing.T) {
	f := newFixture(t)
	pp, err := f.systems.Create(f.ctx, gateway.Input{Type: gateway.TypePayPal, Name: "PayPal", Mode: gateway.ModeTest,
		Enabled: true, Settings: map[string]any{"client_id": "id", "webhook_id": "WH-1"},
		Credentials: map[string]string{"client_secret": "secret"}})
	if err != nil {
		t.Fatal(err)
	}
	of := f.newOffer("Piano monthly", func(in *offer.Input) { in.PaymentSystemIDs = []int64{pp.ID} })
	st, err := f.subs.Start(f.ctx, subscription.Start{OfferID: of.ID, SystemID: pp.ID, ContactID: f.payer.ID,
		SuccessURL: "https://school.test/ok", CancelURL: "https://school.test/no"})
	if err != nil {
		t.Fatal(err)
	}
	sub := st.Subscription
	f.ingest(pp, paid(f.evID(), sub, "I-PIANO", 0, eur(1900)))
	f.ingest(pp, f.linkEvent(sub, "I-PIANO"))
	f.gw.answer = func(ch gateway.SubscriptionChange) gateway.SubscriptionState {
		st := gateway.SubscriptionState{SubscriptionRef: ch.SubscriptionRef, Status: gateway.SubActive, At: f.clock.Now()}
		if ch.Action == gateway.ActionCancelNow {
			st.Status, st.CancelledAt = gateway.SubCancelled, f.clock.Now()
		}
		return st
	}
	f.clock.Set(start.Add(48 * time.Hour))
	got, err := f.subs.Act(f.ctx, sub.ID, subscription.Action{Kind: gateway.ActionCancelAtPeriodEnd, ContactID: f.payer.ID})
	if err != nil || got.Status != subscription.StatusCancelled {
		t.Fatalf("payer's cancel: %+v %v", got, err)
	}
	if n := len(f.gw.changes); n != 1 || f.gw.changes[0].Action != gateway.ActionCancelNow {
		t.Fatalf("asked %+v, want one cancel_now", f.gw.changes)
	}
	if end := f.accessEnd(f.payer.ID); end == nil || !end.Equal(start.AddDate(0, 1, 0)) {
		t.Fatalf("access until %v, want the paid period's end %v", end, start.AddDate(0, 1, 0))
	}
}

// A state's price in the plan's currency is the subscription's new price (a plan change); one in another currency
// is not taken: the next charges are still checked against the plan sold.
func TestStatePriceKeepsCurrency(t *testing.T) {
	f := newFixture(t)
	of := f.newOffer("Spanish monthly", nil)
	sub := f.start(of, f.payer).Subscription
	f.ingest(f.cards, f.linkEvent(sub, "sub_cur"))
	f.ingest(f.cards, f.state(sub, "sub_cur", gateway.SubActive, start.Add(time.Hour), func(s *gateway.SubscriptionState) {
		s.Amount = money.New(2000, "USD")
	}))
	if got := f.get(sub.ID); got.Price != eur(1900) {
		t.Fatalf("price after a state in USD: %v, want 19.00 EUR", got.Price)
	}
	f.ingest(f.cards, f.state(sub, "sub_cur", gateway.SubActive, start.Add(2*time.Hour), func(s *gateway.SubscriptionState) {
		s.Amount = eur(2500)
	}))
	if got := f.get(sub.ID); got.Price != eur(2500) {
		t.Fatalf("price after a state of 25.00 EUR: %v", got.Price)
	}
}

// The CSV export never hands a spreadsheet a formula: a title or an e-mail typed as one is written as text.
func TestWriteCSVNoFormulas(t *testing.T) {
	f := newFixture(t)
	of := f.newOffer("=HYPERLINK(\"https://evil.test\",\"Spanish\")", nil)
	f.start(of, f.newContact("+formula@example.com"))
	var b strings.Builder
	if err := f.subs.WriteCSV(f.ctx, &b, subscription.Filter{Status: subscription.StatusPending}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("csv %q: %v", b.String(), err)
	}
	if rows[1][2] != "'+formula@example.com" || rows[1][3] != "'"+of.Title {
		t.Fatalf("row %q: a cell is a formula", rows[1])
	}
}

// A charge notified after its period (and grace) is over is recorded as a completed order with its payment, and
// grants no access: access cannot end in the past, and the period it paid is gone.
func TestLateChargeGrantsNothing(t *testing.T) {
	f := newFixture(t)
	of := f.newOffer("Late monthly", nil)
	sub := f.start(of, f.payer).Subscription
	f.clock.Set(start.AddDate(0, 3, 0)) // the first period ended two months ago
	out := f.ingest(f.cards, paid(f.evID(), sub, "sub_late", 0, eur(1900)))
	if out.Result != order.ResultCharged || out.OrderID == 0 {
		t.Fatalf("late charge: %+v", out)
	}
	if n := f.count(`SELECT count(*) FROM orders WHERE id = $1 AND status = 'completed'`, out.OrderID); n != 1 {
		t.Fatalf("the late charge's order is not completed")
	}
	if n := f.count(`SELECT count(*) FROM payments WHERE order_id = $1 AND status = 'succeeded' AND amount = 1900`,
		out.OrderID); n != 1 {
		t.Fatalf("the late charge's payment is not recorded")
	}
	if n := f.count(`SELECT count(*) FROM access_grants WHERE contact_id = $1`, f.payer.ID); n != 0 {
		t.Fatalf("a charge for a period over granted access (%d grants)", n)
	}
}
