package subscription_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/stripe/stripetest"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/subscription"
)

// Start refuses what cannot be a subscription with field errors, reuses a fresh pending one on a second click,
// refuses a second subscription to the same offer, and keeps the pending row when the gateway fails.
func TestStart(t *testing.T) {
	f := newFixture(t)
	of := f.newOffer("Spanish monthly", func(in *offer.Input) {
		in.Interval, in.IntervalDays, in.TrialDays, in.MaxCharges, in.GraceDays = offer.IntervalCustom, 10, 14, 6, 3
	})
	oneTime := offer.NewInput()
	oneTime.Title, oneTime.Amount, oneTime.Currency, oneTime.Status = "Book", 900, "EUR", offer.StatusPublished
	oneTime.PaymentSystemIDs, oneTime.ProductIDs = []int64{f.cards.ID}, of.ProductIDs
	book, err := f.offers.Create(f.ctx, oneTime)
	if err != nil {
		t.Fatal(err)
	}
	manual, err := f.systems.Create(f.ctx, gateway.Input{Type: gateway.TypeManual, Name: "Bank", Mode: gateway.ModeTest,
		Settings: map[string]any{"supported_currencies": []any{"EUR"}},
		Enabled:  true})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		in    subscription.Start
		field string
	}{
		"one-time offer":   {subscription.Start{OfferID: book.ID, SystemID: f.cards.ID, ContactID: f.payer.ID}, "offer_id"},
		"no offer":         {subscription.Start{OfferID: 999, SystemID: f.cards.ID, ContactID: f.payer.ID}, "offer_id"},
		"not the offer's":  {subscription.Start{OfferID: of.ID, SystemID: manual.ID, ContactID: f.payer.ID}, "payment_system_id"},
		"no contact":       {subscription.Start{OfferID: of.ID, SystemID: f.cards.ID, ContactID: 999}, "contact_id"},
		"missing contact":  {subscription.Start{OfferID: of.ID, SystemID: f.cards.ID}, "contact_id"},
		"missing system":   {subscription.Start{OfferID: of.ID, ContactID: f.payer.ID}, "payment_system_id"},
		"missing offer id": {subscription.Start{SystemID: f.cards.ID, ContactID: f.payer.ID}, "offer_id"},
	} {
		if _, err := f.subs.Start(f.ctx, c.in); !isField(err, c.field) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := f.count(`SELECT count(*) FROM subscriptions`); n != 0 {
		t.Fatalf("%d subscriptions after refusals", n)
	}
	first := f.start(of, f.payer)
	sub := first.Subscription
	if sub.Interval != gateway.IntervalDay || sub.IntervalCount != 10 || sub.TrialDays != 14 || sub.MaxCharges != 6 ||
		sub.GraceDays != 3 || sub.Language != "en" {
		t.Fatalf("plan %+v", sub)
	}
	second := f.start(of, f.payer)
	if second.Subscription.ID != sub.ID || second.Redirect.Ref == first.Redirect.Ref {
		t.Fatalf("second click: %+v, first %+v", second, first)
	}
	if got := f.get(sub.ID); got.CheckoutRef != second.Redirect.Ref {
		t.Fatalf("checkout ref %q", got.CheckoutRef)
	}
	// Live: a new start is refused.
	f.ingest(f.cards, f.state(sub, "sub_6", gateway.SubTrialing, start, nil))
	if _, err := f.subs.Start(f.ctx, subscription.Start{OfferID: of.ID, SystemID: f.cards.ID,
		ContactID: f.payer.ID}); !isField(err, "offer_id") || !strings.Contains(err.Error(), subscription.MsgAlreadySubscribed) {
		t.Fatalf("already subscribed: %v", err)
	}
	// The gateway down: the pending row stays for the dropping job, the error says unavailable.
	other := f.newContact("other@example.com")
	f.gw.beginErr = gateway.ErrUnavailable
	if _, err := f.subs.Start(f.ctx, subscription.Start{OfferID: of.ID, SystemID: f.cards.ID,
		ContactID: other.ID}); !errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("gateway down: %v", err)
	}
	if n := f.count(`SELECT count(*) FROM subscriptions WHERE contact_id = $1 AND status = 'pending'`, other.ID); n != 1 {
		t.Fatalf("%d pending rows", n)
	}
	// The dropping job: nothing before PendingFor, the pending row after; the live one stays.
	if n, err := f.subs.DropPending(f.ctx); err != nil || n != 0 {
		t.Fatalf("dropped %d early: %v", n, err)
	}
	f.clock.Set(start.Add(subscription.DefaultPendingFor + time.Minute))
	if n, err := f.subs.DropPending(f.ctx); err != nil || n != 1 {
		t.Fatalf("dropped %d: %v", n, err)
	}
	if n := f.count(`SELECT count(*) FROM subscriptions`); n != 1 {
		t.Fatalf("%d subscriptions left", n)
	}
}

// List filters and pages newest first, matching the number, the gateway reference and the contact; the CSV has
// its header and a row per subscription; the cabinet's list leaves pending ones out.
func TestListAndCSV(t *testing.T) {
	f := newFixture(t)
	of := f.newOffer("Spanish monthly", nil)
	var subs []subscription.Subscription
	for i, email := range []string{"ana@example.com", "bob@example.com", "cleo@example.com"} {
		c := f.newContact(email)
		sub := f.start(of, c).Subscription
		if i < 2 {
			f.ingest(f.cards, paid(f.evID(), sub, "sub_list_"+email[:3], 0, eur(1900)))
		}
		subs = append(subs, sub)
	}
	p, err := f.subs.List(f.ctx, subscription.Filter{Limit: 2})
	if err != nil || len(p.Subscriptions) != 2 || p.Subscriptions[0].ID != subs[2].ID || p.NextAfter != subs[1].ID {
		t.Fatalf("page 1: %+v %v", p, err)
	}
	p, err = f.subs.List(f.ctx, subscription.Filter{Limit: 2, AfterID: p.NextAfter})
	if err != nil || len(p.Subscriptions) != 1 || p.Subscriptions[0].ID != subs[0].ID || p.NextAfter != 0 {
		t.Fatalf("page 2: %+v %v", p, err)
	}
	for q, want := range map[string]int64{"bob@": subs[1].ID, "sub_list_ana": subs[0].ID, subs[2].Number: subs[2].ID,
		"Pat cleo": subs[2].ID} {
		p, err := f.subs.List(f.ctx, subscription.Filter{Query: q})
		if err != nil || len(p.Subscriptions) != 1 || p.Subscriptions[0].ID != want {
			t.Fatalf("query %q: %+v %v", q, p, err)
		}
	}
	p, err = f.subs.List(f.ctx, subscription.Filter{Status: subscription.StatusActive})
	if err != nil || len(p.Subscriptions) != 2 {
		t.Fatalf("active: %+v %v", p, err)
	}
	if _, err := f.subs.List(f.ctx, subscription.Filter{Status: "bogus"}); !isField(err, "status") {
		t.Fatalf("bad status: %v", err)
	}
	var b bytes.Buffer
	if err := f.subs.WriteCSV(f.ctx, &b, subscription.Filter{}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(rows) != 4 || strings.Join(rows[0], ",") != strings.Join(subscription.CSVHeader, ",") ||
		rows[3][2] != "ana@example.com" || rows[3][5] != "19.00" || rows[3][11] != "1" {
		t.Fatalf("csv %v %v", rows, err)
	}
	mine, err := f.subs.ForContact(f.ctx, subs[0].ContactID)
	if err != nil || len(mine) != 1 || len(mine[0].ChargeList) != 1 || mine[0].ChargeList[0].OrderID == 0 {
		t.Fatalf("cabinet %+v %v", mine, err)
	}
	if mine, err := f.subs.ForContact(f.ctx, subs[2].ContactID); err != nil || len(mine) != 0 {
		t.Fatalf("pending in the cabinet: %+v %v", mine, err)
	}
}

// A Stripe subscription that made its plan's number of charges is cancelled at its period's end by a job (Stripe
// Checkout cannot count them); the job asks the gateway outside the transaction.
func TestMaxChargesStripe(t *testing.T) {
	f := newFixture(t)
	of := f.newOffer("Spanish three months", func(in *offer.Input) { in.MaxCharges = 2 })
	sub := f.start(of, f.payer).Subscription
	f.ingest(f.cards, f.linkEvent(sub, "sub_7"))
	f.ingest(f.cards, paid(f.evID(), sub, "sub_7", 0, eur(1900)))
	if n := f.count(`SELECT count(*) FROM river_job WHERE kind = 'subscription.act'`); n != 0 {
		t.Fatalf("%d jobs after one charge", n)
	}
	f.ingest(f.cards, paid(f.evID(), sub, "sub_7", 1, eur(1900)))
	if n := f.count(`SELECT count(*) FROM river_job WHERE kind = 'subscription.act' AND args->>'action' = 'cancel_at_period_end'`); n != 1 {
		t.Fatalf("%d jobs after two charges", n)
	}
	f.gw.answer = func(ch gateway.SubscriptionChange) gateway.SubscriptionState {
		return gateway.SubscriptionState{SubscriptionRef: ch.SubscriptionRef, Status: gateway.SubActive,
			CancelAtPeriodEnd: true, At: start.AddDate(0, 2, 0).Add(time.Hour)}
	}
	w := subscription.NewActWorker(f.subs)
	if err := w.Work(context.Background(), actJob(sub.ID)); err != nil {
		t.Fatal(err)
	}
	if got := f.get(sub.ID); !got.CancelAtPeriodEnd || got.NextCharge() != nil {
		t.Fatalf("after the job: %+v", got)
	}
}

// Stripe's own bodies, out of order, through TakeNotification: invoice.paid before checkout.session.completed,
// customer.subscription.deleted before the last invoice.paid.
func TestStripeOrderings(t *testing.T) {
	f := newFixture(t)
	of := f.newOffer("Spanish monthly", nil)
	sub := f.start(of, f.payer).Subscription
	p1, p2, p3 := start.AddDate(0, 1, 0), start.AddDate(0, 2, 0), start.AddDate(0, 3, 0)
	deliver := func(body []byte, want string) {
		t.Helper()
		n, err := f.take(body)
		if err != nil || n.Outcome.Result != want {
			t.Fatalf("%s: %+v %v", body[:60], n.Outcome, err)
		}
	}
	deliver(stripetest.InvoicePaid("evt_a", start.Add(time.Minute), "in_a", "sub_s", sub.ID, "pi_a", 1900, "EUR",
		start, p1), order.ResultCharged)
	deliver(stripetest.SessionCompletedSubscription("evt_b", start.Add(2*time.Minute), sub.CheckoutRef, "sub_s",
		"cus_s", sub.ID), order.ResultSubscriptionUpdated)
	deliver(stripetest.SubscriptionEvent("evt_c", "customer.subscription.created", start.Add(time.Minute), "sub_s",
		"cus_s", sub.ID, "active", start, p1, false, 1900, "EUR"), order.ResultSubscriptionUpdated)
	deliver(stripetest.InvoicePaid("evt_d", p1.Add(time.Minute), "in_d", "sub_s", sub.ID, "pi_d", 1900, "EUR",
		p1, p2), order.ResultCharged)
	deliver(stripetest.SubscriptionEvent("evt_e", "customer.subscription.deleted", p2.Add(2*time.Minute), "sub_s",
		"cus_s", sub.ID, "canceled", p2, p3, false, 1900, "EUR"), order.ResultSubscriptionUpdated)
	deliver(stripetest.InvoicePaid("evt_f", p2.Add(time.Minute), "in_f", "sub_s", sub.ID, "pi_f", 1900, "EUR",
		p2, p3), order.ResultCharged)
	// A stale update from before the deletion changes nothing.
	deliver(stripetest.SubscriptionEvent("evt_g", "customer.subscription.updated", p2.Add(time.Minute), "sub_s",
		"cus_s", sub.ID, "active", p2, p3, false, 1900, "EUR"), order.ResultSubscriptionStale)
	got := f.get(sub.ID)
	if got.Status != subscription.StatusCancelled || got.CustomerRef != "cus_s" || got.Charges != 3 ||
		!got.PaidThrough.Equal(p3) {
		t.Fatalf("after: %+v", got)
	}
	if end := f.accessEnd(f.payer.ID); end == nil || !end.Equal(p3) {
		t.Fatalf("access ends %v, want %v", end, p3)
	}
	var altRef string
	if err := f.pool.QueryRow(f.ctx, `SELECT gateway_alt_ref FROM payments WHERE gateway_ref = 'in_f'`).Scan(&altRef); err != nil || altRef != "pi_f" {
		t.Fatalf("payment's PaymentIntent %q %v", altRef, err)
	}
}

func actJob(id int64) *river.Job[subscription.ActArgs] {
	return &river.Job[subscription.ActArgs]{JobRow: &rivertype.JobRow{}, Args: subscription.ActArgs{SubscriptionID: id,
		Action: gateway.ActionCancelAtPeriodEnd, Note: "the plan's charges were made"}}
}

// A pending subscription the gateway has linked (its checkout finished, the first invoice not paid yet) exists at
// the gateway: the dropping job leaves it for the gateway's notifications to settle.
func TestDropPendingKeepsLinked(t *testing.T) {
	f := newFixture(t)
	of := f.newOffer("Spanish monthly", nil)
	sub := f.start(of, f.payer).Subscription
	f.ingest(f.cards, f.linkEvent(sub, "sub_linked"))
	f.clock.Set(start.Add(subscription.DefaultPendingFor + time.Minute))
	if n, err := f.subs.DropPending(f.ctx); err != nil || n != 0 {
		t.Fatalf("dropped %d: %v", n, err)
	}
	f.clock.Set(start.Add(subscription.DefaultPendingFor + 2*time.Minute))
	if out := f.ingest(f.cards, paid(f.evID(), sub, "sub_linked", 0, eur(1900))); out.Result != order.ResultCharged {
		t.Fatalf("the first invoice paid late: %+v", out)
	}
}
