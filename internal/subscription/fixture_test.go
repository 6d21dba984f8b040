package subscription_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/events/eventstest"
	"github.com/bursar/bursar/internal/fx"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/stripe"
	"github.com/bursar/bursar/internal/gateway/stripe/stripetest"
	"github.com/bursar/bursar/internal/jobs"
	"github.com/bursar/bursar/internal/mailer"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/settings"
	"github.com/bursar/bursar/internal/subscription"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// clock is a test's clock: it moves only when the test moves it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// fakeSubs is the gateways' subscription side (subscription.Gateways), recording every call; answers are set by
// the test.
type fakeSubs struct {
	mu        sync.Mutex
	begins    []gateway.SubscriptionCheckout
	changes   []gateway.SubscriptionChange
	manages   []gateway.SubscriptionRef
	beginErr  error
	changeErr error
	manageErr error
	answer    func(gateway.SubscriptionChange) gateway.SubscriptionState
	n         int
	// cards reaches the saved-card gateways for real (the WayForPay provider against its fake): nil Registry
	// leaves them unsupported.
	cards gateway.Caller
}

func (g *fakeSubs) BeginSaving(ctx context.Context, sys gateway.System, c gateway.CardCheckout) (gateway.Redirect, error) {
	if g.cards.Registry == nil {
		return gateway.Redirect{}, gateway.ErrUnsupported
	}
	return g.cards.BeginSaving(ctx, sys, c)
}

func (g *fakeSubs) ChargeCard(ctx context.Context, sys gateway.System, c gateway.CardCharge) (gateway.Event, error) {
	if g.cards.Registry == nil {
		return gateway.Event{}, gateway.ErrUnsupported
	}
	return g.cards.ChargeCard(ctx, sys, c)
}

func (g *fakeSubs) Status(ctx context.Context, sys gateway.System, ref string) (gateway.Event, error) {
	if g.cards.Registry == nil {
		return gateway.Event{}, gateway.ErrUnsupported
	}
	return g.cards.Status(ctx, sys, ref)
}

func (g *fakeSubs) BeginSubscription(_ context.Context, _ gateway.System, c gateway.SubscriptionCheckout) (gateway.Redirect, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.begins = append(g.begins, c)
	if g.beginErr != nil {
		return gateway.Redirect{}, g.beginErr
	}
	g.n++
	ref := fmt.Sprintf("cs_%d_%d", c.SubscriptionID, g.n)
	return gateway.Redirect{URL: "https://gateway.test/" + ref, Ref: ref}, nil
}

func (g *fakeSubs) ChangeSubscription(_ context.Context, _ gateway.System, ch gateway.SubscriptionChange) (gateway.SubscriptionState, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.changes = append(g.changes, ch)
	if g.changeErr != nil {
		return gateway.SubscriptionState{}, g.changeErr
	}
	return g.answer(ch), nil
}

func (g *fakeSubs) SubscriptionStatus(context.Context, gateway.System, string) (gateway.SubscriptionState, error) {
	return gateway.SubscriptionState{}, gateway.ErrUnsupported
}

func (g *fakeSubs) ManageURL(_ context.Context, _ gateway.System, ref gateway.SubscriptionRef, _ string) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.manages = append(g.manages, ref)
	if g.manageErr != nil {
		return "", g.manageErr
	}
	return "https://billing.test/portal/" + ref.CustomerRef, nil
}

// verifying is the order's gateway side: the real Stripe provider verifies notifications (signed bodies); the
// one-payment calls are never made by subscriptions.
type verifying struct {
	noPayments
	caller gateway.Caller
}

func (v verifying) Verify(ctx context.Context, systemID int64, in gateway.Inbound) (gateway.System, gateway.Event, error) {
	return v.caller.Verify(ctx, systemID, in)
}

// noPayments is the order's one-payment gateway side: subscriptions never use it.
type noPayments struct{}

func (noPayments) Begin(context.Context, gateway.System, gateway.Checkout) (gateway.Redirect, error) {
	return gateway.Redirect{}, gateway.ErrUnsupported
}

func (noPayments) Refund(context.Context, gateway.System, gateway.RefundRequest) (gateway.RefundResult, error) {
	return gateway.RefundResult{}, gateway.ErrUnsupported
}

func (noPayments) Status(context.Context, gateway.System, string) (gateway.Event, error) {
	return gateway.Event{}, gateway.ErrUnsupported
}

func (noPayments) Verify(context.Context, int64, gateway.Inbound) (gateway.System, gateway.Event, error) {
	return gateway.System{}, gateway.Event{}, gateway.ErrUnsupported
}

type noWelcome struct{}

func (noWelcome) WelcomeLinkTx(context.Context, pgx.Tx, int64, int64) (string, error) {
	return "https://school.test/welcome/x", nil
}

// cachedOffers reads each offer once, as the app's catalog cache does (ApplyTx reads the offer inside Ingest's
// transaction: through the cache, no second connection).
type cachedOffers struct {
	offers *offer.Service
	mu     sync.Mutex
	m      map[int64]offer.Offer
}

func (c *cachedOffers) Offer(ctx context.Context, id int64) (offer.Offer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if o, ok := c.m[id]; ok {
		return o, nil
	}
	o, err := c.offers.Offer(ctx, id)
	if err == nil {
		c.m[id] = o
	}
	return o, err
}

var start = time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)

// fixture is a school with a Stripe payment system (Cards) and a second one (Other), the real offers, contacts,
// access, orders, mailer and subscriptions on its own database, with the test's clock and the fake gateways.
type fixture struct {
	t        testing.TB
	ctx      context.Context
	pool     *pgxpool.Pool
	clock    *clock
	gw       *fakeSubs
	offers   *offer.Service
	cache    *cachedOffers
	contacts *crm.Service
	grants   *access.Service
	systems  *gateway.Service
	orders   *order.Service
	subs     *subscription.Service
	cards    gateway.System
	other    gateway.System
	payer    crm.Contact
	rec      *eventstest.Recorder
	n        int
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	pool := dbtest.New(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorAdmin, ID: 1, Label: "ann@school.test"})
	al := audit.New(pool)
	rec := eventstest.New(t, pool)
	f := &fixture{t: t, ctx: ctx, pool: pool, clock: &clock{t: start}, gw: &fakeSubs{},
		systems: gateway.NewService(pool, al, make([]byte, 32)), contacts: crm.NewService(pool, al, rec), rec: rec}
	var err error
	if f.offers, err = offer.NewService(pool, al, f.systems); err != nil {
		t.Fatal(err)
	}
	f.cache = &cachedOffers{offers: f.offers, m: map[int64]offer.Offer{}}
	if f.grants, err = access.NewService(pool, al, f.contacts, f.offers, rec); err != nil {
		t.Fatal(err)
	}
	ins, err := jobs.NewInserter(pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	st := settings.NewService(pool, al)
	m := mailer.New(notify.NewService(pool), st, "https://school.test")
	if f.subs, err = subscription.NewService(pool, al, subscription.Config{BaseURL: "https://school.test",
		Now: f.clock.Now}, subscription.Deps{Offers: f.cache, Systems: f.systems, Gateways: f.gw,
		Contacts: f.contacts, Access: f.grants, Mailer: m, Jobs: ins, Events: rec}); err != nil {
		t.Fatal(err)
	}
	if f.orders, err = order.NewService(pool, al, order.Deps{Offers: f.cache, Systems: f.systems, Access: f.grants,
		Timeline: f.contacts, Rates: fx.NewService(pool, al), Mailer: m, Jobs: ins, Payers: f.contacts,
		Welcome: noWelcome{}, School: st, Gateways: verifying{caller: gateway.Caller{
			Registry: gateway.NewRegistry(stripe.New(stripe.Options{})), Systems: f.systems}}, Completions: order.AllCompletions{},
		Subscriptions: f.subs, Events: rec}); err != nil {
		t.Fatal(err)
	}
	mk := func(typ, name string, creds map[string]string) gateway.System {
		s, err := f.systems.Create(ctx, gateway.Input{Type: typ, Name: name, Mode: gateway.ModeTest, Enabled: true,
			Credentials: creds})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	f.cards = mk(gateway.TypeStripe, "Cards", map[string]string{"secret_key": "sk_test_1", "webhook_secret": "whsec_1"})
	f.other = mk(gateway.TypeStripe, "Other cards", map[string]string{"secret_key": "sk_test_2", "webhook_secret": "whsec_2"})
	f.payer = f.newContact("payer@example.com")
	return f
}

func (f *fixture) newContact(email string) crm.Contact {
	f.t.Helper()
	c, err := f.contacts.Create(f.ctx, crm.Input{Email: email, Name: "Pat " + email})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// newOffer makes a published monthly recurring offer of 19.00 EUR with one product, sold through Cards and Other.
func (f *fixture) newOffer(title string, edit func(*offer.Input)) offer.Offer {
	f.t.Helper()
	in := offer.NewInput()
	in.Title, in.Amount, in.Currency, in.Status, in.Kind = title, 1900, "EUR", offer.StatusPublished, offer.Recurring
	in.Interval, in.IntervalCount = offer.IntervalMonth, 1
	p, err := f.offers.CreateProduct(f.ctx, offer.ProductInput{Name: title + " course", Kind: offer.KindCourse})
	if err != nil {
		f.t.Fatal(err)
	}
	in.ProductIDs = []int64{p.ID}
	in.PaymentSystemIDs = []int64{f.cards.ID, f.other.ID}
	if edit != nil {
		edit(&in)
	}
	o, err := f.offers.Create(f.ctx, in)
	if err != nil {
		f.t.Fatal(err)
	}
	return o
}

func (f *fixture) start(of offer.Offer, c crm.Contact) subscription.Started {
	f.t.Helper()
	st, err := f.subs.Start(f.ctx, subscription.Start{OfferID: of.ID, SystemID: f.cards.ID, ContactID: c.ID,
		SuccessURL: "https://school.test/ok", CancelURL: "https://school.test/no"})
	if err != nil {
		f.t.Fatal(err)
	}
	return st
}

// ingest applies ev of sys as a verified notification would be.
func (f *fixture) ingest(sys gateway.System, ev gateway.Event) order.Outcome {
	f.t.Helper()
	out, err := f.ingestErr(sys, ev)
	if err != nil {
		f.t.Fatalf("ingest %s: %v", ev.ID, err)
	}
	return out
}

func (f *fixture) ingestErr(sys gateway.System, ev gateway.Event) (order.Outcome, error) {
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorSystem, Label: "stripe webhook"})
	return f.orders.Ingest(ctx, sys, ev, []byte(`{}`))
}

// take delivers body to Cards' webhook, signed with its webhook secret now, through order.TakeNotification.
func (f *fixture) take(body []byte) (order.Notification, error) {
	now := time.Now()
	sig := stripetest.Sign("whsec_1", now, body)
	return f.orders.TakeNotification(context.Background(), f.cards.ID, gateway.Inbound{Body: body, Received: now,
		Header: func(name string) string {
			if strings.EqualFold(name, "Stripe-Signature") {
				return sig
			}
			return ""
		}})
}

func (f *fixture) evID() string {
	f.n++
	return fmt.Sprintf("evt_%d", f.n)
}

// state is a customer.subscription.* notification of subscription sub (ref) with status at at.
func (f *fixture) state(sub subscription.Subscription, ref, status string, at time.Time,
	edit func(*gateway.SubscriptionState)) gateway.Event {
	st := &gateway.SubscriptionState{SubscriptionRef: gateway.SubscriptionRef{Ref: ref, CustomerRef: "cus_" + ref},
		SubscriptionID: sub.ID, Status: status, At: at}
	if edit != nil {
		edit(st)
	}
	return gateway.Event{ID: f.evID(), Type: "customer.subscription.updated", Kind: gateway.EventSubscription,
		Subscription: st}
}

// linkEvent is checkout.session.completed in subscription mode: only the references.
func (f *fixture) linkEvent(sub subscription.Subscription, ref string) gateway.Event {
	return gateway.Event{ID: f.evID(), Type: "checkout.session.completed", Kind: gateway.EventSubscription,
		Subscription: &gateway.SubscriptionState{SubscriptionRef: gateway.SubscriptionRef{Ref: ref,
			CustomerRef: "cus_" + ref}, SubscriptionID: sub.ID, CheckoutRef: sub.CheckoutRef, At: f.clock.Now()}}
}

// paid is invoice.paid of period k (0-based, monthly from start) of subscription sub.
func paid(id string, sub subscription.Subscription, ref string, k int, amount money.Money) gateway.Event {
	ps := start.AddDate(0, k, 0)
	pe := start.AddDate(0, k+1, 0)
	return gateway.Event{ID: id, Type: "invoice.paid", Kind: gateway.EventCharge, Amount: amount,
		Charge: &gateway.SubscriptionCharge{Ref: fmt.Sprintf("in_%d_%d", sub.ID, k), SubscriptionRef: ref,
			SubscriptionID: sub.ID, PaymentRef: fmt.Sprintf("pi_%d_%d", sub.ID, k), Amount: amount, PeriodStart: ps,
			PeriodEnd: pe, Paid: true, At: ps.Add(time.Minute)}}
}

func (f *fixture) get(id int64) subscription.Subscription {
	f.t.Helper()
	s, err := f.subs.Get(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// accessEnd is the latest end of contactID's grants (nil: none, or one forever).
func (f *fixture) accessEnd(contactID int64) *time.Time {
	f.t.Helper()
	gs, err := f.grants.ForContact(f.ctx, contactID)
	if err != nil {
		f.t.Fatal(err)
	}
	var end *time.Time
	for _, g := range gs {
		if g.RevokedAt == nil && g.EndsAt != nil && (end == nil || g.EndsAt.After(*end)) {
			end = g.EndsAt
		}
	}
	return end
}

func eur(n int64) money.Money { return money.New(n, "EUR") }
