package billing_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/events/eventstest"
	"github.com/bursar/bursar/internal/fx"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/jobs"
	"github.com/bursar/bursar/internal/mailer"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/paylink"
	"github.com/bursar/bursar/internal/settings"
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

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// mails records billing e-mails as the mailer gets them (every call, duplicates included).
type mails struct {
	mu   sync.Mutex
	sent []billing.Email
}

func (m *mails) BillingEmailTx(_ context.Context, _ pgx.Tx, e billing.Email) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, e)
	return nil
}

func (m *mails) count(kind billing.EmailKind) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, e := range m.sent {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

func (m *mails) keys(kind billing.EmailKind) map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for _, e := range m.sent {
		if e.Kind == kind {
			out[e.DedupKey]++
		}
	}
	return out
}

// fakeGateway starts every payment at once with a new reference.
type fakeGateway struct{ n atomic.Int64 }

func (g *fakeGateway) Begin(_ context.Context, _ gateway.System, c gateway.Checkout) (gateway.Redirect, error) {
	ref := fmt.Sprintf("cs_%d_%d", c.OrderID, g.n.Add(1))
	return gateway.Redirect{URL: "https://gateway.test/pay/" + ref, Ref: ref}, nil
}

func (g *fakeGateway) Refund(context.Context, gateway.System, gateway.RefundRequest) (gateway.RefundResult, error) {
	return gateway.RefundResult{}, gateway.ErrUnsupported
}

func (g *fakeGateway) Status(context.Context, gateway.System, string) (gateway.Event, error) {
	return gateway.Event{}, gateway.ErrUnsupported
}

func (g *fakeGateway) Verify(context.Context, int64, gateway.Inbound) (gateway.System, gateway.Event, error) {
	return gateway.System{}, gateway.Event{}, gateway.ErrUnsupported
}

type noWelcome struct{}

func (noWelcome) WelcomeLinkTx(context.Context, pgx.Tx, int64, int64) (string, error) {
	return "https://school.test/welcome/x", nil
}

var currencies = map[string]any{"supported_currencies": []any{"EUR", "USD", "JPY", "KWD"}}

// fixture is a school in Madrid with a card gateway, the real offers, contacts, access, orders, links and billing
// on its own database, with the test's clock.
type fixture struct {
	t        testing.TB
	ctx      context.Context
	pool     *pgxpool.Pool
	clock    *clock
	gw       *fakeGateway
	mails    *mails
	offers   *offer.Service
	contacts *crm.Service
	grants   *access.Service
	systems  *gateway.Service
	orders   *order.Service
	links    *paylink.Service
	bill     *billing.Service
	deps     billing.Deps
	cfg      billing.Config
	cards    gateway.System
	payer    crm.Contact
	ins      *jobs.Client
	rec      *eventstest.Recorder // every module's events
}

var testKey = []byte("0123456789abcdef0123456789abcdef")

func newFixture(t testing.TB, start time.Time) *fixture {
	t.Helper()
	pool := dbtest.New(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorAdmin, ID: 1, Label: "ann@school.test"})
	al := audit.New(pool)
	rec := eventstest.New(t, pool)
	f := &fixture{t: t, ctx: ctx, pool: pool, clock: &clock{t: start}, gw: &fakeGateway{}, mails: &mails{},
		systems: gateway.NewService(pool, al, make([]byte, 32)), contacts: crm.NewService(pool, al, rec), rec: rec}
	var err error
	if f.offers, err = offer.NewService(pool, al, f.systems); err != nil {
		t.Fatal(err)
	}
	if f.grants, err = access.NewService(pool, al, f.contacts, f.offers, rec); err != nil {
		t.Fatal(err)
	}
	if f.ins, err = jobs.NewInserter(pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	st := settings.NewService(pool, al)
	school, err := st.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	school.Timezone = "Europe/Madrid"
	if _, err := st.Update(ctx, school); err != nil {
		t.Fatal(err)
	}
	m := mailer.New(notify.NewService(pool), st, "https://school.test")
	lcfg := paylink.Config{SecretKey: testKey, BaseURL: "https://school.test", Now: f.clock.Now, Events: rec}
	lcompl, err := paylink.NewCompletions(al, lcfg, f.contacts, m)
	if err != nil {
		t.Fatal(err)
	}
	f.cfg = billing.Config{BaseURL: "https://school.test", Now: f.clock.Now}
	f.deps = billing.Deps{Offers: f.offers, Systems: f.systems, Contacts: f.contacts, Access: f.grants,
		Welcome: noWelcome{}, School: st, Mailer: f.mails, Jobs: f.ins, Events: rec}
	bcompl, err := billing.NewCompletions(al, f.cfg, f.deps)
	if err != nil {
		t.Fatal(err)
	}
	if f.orders, err = order.NewService(pool, al, order.Deps{Offers: f.offers, Systems: f.systems, Access: f.grants,
		Timeline: f.contacts, Rates: fx.NewService(pool, al), Mailer: m, Jobs: f.ins, Payers: f.contacts,
		Welcome: noWelcome{}, School: st, Gateways: f.gw, Completions: order.AllCompletions{lcompl, bcompl},
		Events: rec}); err != nil {
		t.Fatal(err)
	}
	if f.links, err = paylink.NewService(pool, al, lcfg, paylink.Deps{Orders: f.orders, Offers: f.offers,
		Catalog: f.offers, Systems: f.systems, Contacts: f.contacts, Mailer: m, Jobs: f.ins, School: st}); err != nil {
		t.Fatal(err)
	}
	f.deps.Links = f.links
	if f.bill, err = billing.NewService(pool, al, f.cfg, f.deps); err != nil {
		t.Fatal(err)
	}
	f.cards, err = f.systems.Create(ctx, gateway.Input{Type: gateway.TypeStripe, Name: "Cards", Mode: gateway.ModeTest,
		Enabled: true, Credentials: map[string]string{"secret_key": "sk_test_2", "webhook_secret": "whsec_2"},
		Settings: currencies})
	if err != nil {
		t.Fatal(err)
	}
	f.payer = f.newContact("payer@example.com")
	return f
}

func (f *fixture) newContact(email string) crm.Contact {
	f.t.Helper()
	c, err := f.contacts.Create(f.ctx, crm.Input{Email: email})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// newOffer makes a published offer of kind (tuition or installments, parts for installments) with products
// products, and fields.
func (f *fixture) newOffer(kind string, amount int64, currency string, parts, products int,
	edit func(*offer.Input), fields ...offer.RegistrationField) offer.Offer {
	f.t.Helper()
	in := offer.NewInput()
	in.Title, in.Amount, in.Currency, in.Status, in.Kind = "Spanish "+kind, amount, currency, offer.StatusPublished, kind
	for i := range products {
		p, err := f.offers.CreateProduct(f.ctx, offer.ProductInput{Name: fmt.Sprintf("Module %d", i+1),
			Kind: offer.KindCourse})
		if err != nil {
			f.t.Fatal(err)
		}
		in.ProductIDs = append(in.ProductIDs, p.ID)
	}
	in.PaymentSystemIDs = []int64{f.cards.ID}
	in.RegistrationFields = fields
	if kind == offer.Installments {
		in.Installments = parts
	}
	if edit != nil {
		edit(&in)
	}
	o, err := f.offers.Create(f.ctx, in)
	if err != nil {
		f.t.Fatal(err)
	}
	return o
}

func (f *fixture) enroll(of offer.Offer) billing.Enrolled {
	f.t.Helper()
	en, err := f.bill.Enroll(f.ctx, billing.EnrollInput{OfferID: of.ID, PayerID: f.payer.ID,
		PaymentSystemID: f.cards.ID})
	if err != nil {
		f.t.Fatal(err)
	}
	return en
}

// pay pays receipt r's current link through the card gateway: the order the link's page opens, completed by a
// verified paid notification, as a webhook would.
func (f *fixture) pay(r billing.Receipt) (order.Outcome, error) {
	f.t.Helper()
	r, err := f.bill.Receipt(f.ctx, r.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	l, err := f.links.Get(f.ctx, r.LinkID)
	if err != nil {
		f.t.Fatal(err)
	}
	b, err := f.links.Begin(context.Background(), l.Token, paylink.Payment{PaymentSystemID: f.cards.ID,
		Checkout: func(a order.Attempt) gateway.Checkout {
			return gateway.Checkout{OrderID: a.Order.ID, OrderNumber: a.Order.Number, Amount: a.Order.Price,
				Title: a.Order.OfferTitle, SuccessURL: "https://school.test/ok", CancelURL: "https://school.test/no"}
		}})
	if err != nil {
		return order.Outcome{}, err
	}
	return f.paid(b, l.Price)
}

func (f *fixture) paid(b paylink.Begun, amount money.Money) (order.Outcome, error) {
	sysCtx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorSystem, Label: "stripe webhook"})
	return f.orders.Ingest(sysCtx, f.cards, gateway.Event{ID: fmt.Sprintf("evt_%d", f.gw.n.Add(1)),
		Type: "checkout.session.completed", Kind: gateway.EventPaid, OrderID: b.Order.ID, Ref: b.Redirect.Ref,
		Amount: amount, PayerEmail: f.payer.Email}, []byte(`{}`))
}

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) receipts(enrollmentID int64) []billing.Receipt {
	f.t.Helper()
	p, err := f.bill.Receipts(f.ctx, billing.ReceiptFilter{EnrollmentID: enrollmentID, Limit: billing.MaxList})
	if err != nil {
		f.t.Fatal(err)
	}
	// oldest first
	out := make([]billing.Receipt, 0, len(p.Receipts))
	for i := len(p.Receipts) - 1; i >= 0; i-- {
		out = append(out, p.Receipts[i])
	}
	return out
}

func (f *fixture) enrollment(id int64) billing.Enrollment {
	f.t.Helper()
	e, err := f.bill.Get(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return e
}
