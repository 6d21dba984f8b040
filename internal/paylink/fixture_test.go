package paylink_test

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

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeGateway starts every payment at once with a new reference, or fails as down when down is set. It answers
// nothing else (order.Gateways' other parts are not used by links).
type fakeGateway struct {
	n    atomic.Int64
	down atomic.Bool
}

func (g *fakeGateway) Begin(_ context.Context, _ gateway.System, c gateway.Checkout) (gateway.Redirect, error) {
	if g.down.Load() {
		return gateway.Redirect{}, fmt.Errorf("fake gateway timed out: %w", gateway.ErrUnavailable)
	}
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

// fixture is a school with a card gateway, a bank transfer, an offer sold through both, a contact, the real order
// service and the links' service, on its own database, with the test's clock.
type fixture struct {
	t        *testing.T
	ctx      context.Context // as the operator ann@school.test
	pool     *pgxpool.Pool
	clock    *clock
	gw       *fakeGateway
	orders   *order.Service
	links    *paylink.Service
	deps     paylink.Deps
	offers   *offer.Service
	contacts *crm.Service
	systems  *gateway.Service
	cards    gateway.System
	bank     gateway.System
	offer    offer.Offer
	contact  crm.Contact
	rec      *eventstest.Recorder // the links' events
}

var testKey = []byte("0123456789abcdef0123456789abcdef")

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool := dbtest.New(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorAdmin, ID: 1, Label: "ann@school.test"})
	al := audit.New(pool)
	f := &fixture{t: t, ctx: ctx, pool: pool, clock: &clock{t: time.Now().UTC().Truncate(time.Second)},
		gw: &fakeGateway{}, systems: gateway.NewService(pool, al, make([]byte, 32)), contacts: crm.NewService(pool, al, nil)}
	var err error
	if f.offers, err = offer.NewService(pool, al, f.systems); err != nil {
		t.Fatal(err)
	}
	grants, err := access.NewService(pool, al, f.contacts, f.offers, nil)
	if err != nil {
		t.Fatal(err)
	}
	ins, err := jobs.NewInserter(pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	st := settings.NewService(pool, al)
	m := mailer.New(notify.NewService(pool), st, "https://school.test")
	f.rec = eventstest.New(t, pool)
	cfg := paylink.Config{SecretKey: testKey, BaseURL: "https://school.test", Now: f.clock.Now, Events: f.rec}
	completions, err := paylink.NewCompletions(al, cfg, f.contacts, m)
	if err != nil {
		t.Fatal(err)
	}
	if f.orders, err = order.NewService(pool, al, order.Deps{Offers: f.offers, Systems: f.systems, Access: grants,
		Timeline: f.contacts, Rates: fx.NewService(pool, al), Mailer: m, Jobs: ins, Payers: f.contacts,
		Welcome: noWelcome{}, School: st, Gateways: f.gw, Completions: completions}); err != nil {
		t.Fatal(err)
	}
	f.deps = paylink.Deps{Orders: f.orders, Offers: f.offers, Catalog: f.offers, Systems: f.systems,
		Contacts: f.contacts, Mailer: m, Jobs: ins, School: st}
	if f.links, err = paylink.NewService(pool, al, cfg, f.deps); err != nil {
		t.Fatal(err)
	}
	f.cards = f.system(gatewayStripe("Cards"))
	f.bank = f.system(gateway.Input{Type: gateway.TypeManual, Name: "Bank transfer", Enabled: true,
		Description: "IBAN ES00 0000 0000 0000 0000", Settings: currencies})
	f.offer = f.newOffer("Spanish A1", 4900, "EUR", f.cards.ID, f.bank.ID)
	f.contact = f.newContact("payer@example.com")
	return f
}

type noWelcome struct{}

func (noWelcome) WelcomeLinkTx(context.Context, pgx.Tx, int64, int64) (string, error) {
	return "https://school.test/welcome/x", nil
}

func (f *fixture) system(in gateway.Input) gateway.System {
	f.t.Helper()
	s, err := f.systems.Create(f.ctx, in)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func (f *fixture) newOffer(title string, amount int64, currency string, systems ...int64) offer.Offer {
	f.t.Helper()
	p, err := f.offers.CreateProduct(f.ctx, offer.ProductInput{Name: title + " course", Kind: offer.KindCourse})
	if err != nil {
		f.t.Fatal(err)
	}
	in := offer.NewInput()
	in.Title, in.Amount, in.Currency, in.Status = title, amount, currency, offer.StatusPublished
	in.Description = "Learn **" + title + "** with a tutor."
	in.ProductIDs, in.PaymentSystemIDs = []int64{p.ID}, systems
	o, err := f.offers.Create(f.ctx, in)
	if err != nil {
		f.t.Fatal(err)
	}
	return o
}

func (f *fixture) newContact(email string) crm.Contact {
	f.t.Helper()
	c, err := f.contacts.Create(f.ctx, crm.Input{Email: email})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// link makes an active link for the fixture's offer and contact.
func (f *fixture) link() paylink.Link {
	f.t.Helper()
	l, err := f.links.Create(f.ctx, paylink.Input{ContactID: f.contact.ID, OfferID: f.offer.ID, Note: "As agreed"})
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

// begin starts paying l by card.
func (f *fixture) begin(l paylink.Link) paylink.Begun {
	f.t.Helper()
	b, err := f.links.Begin(context.Background(), l.Token, paylink.Payment{PaymentSystemID: f.cards.ID,
		Checkout: checkout})
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func checkout(a order.Attempt) gateway.Checkout {
	return gateway.Checkout{OrderID: a.Order.ID, OrderNumber: a.Order.Number, Amount: a.Order.Price,
		Title: a.Order.OfferTitle, SuccessURL: "https://school.test/ok", CancelURL: "https://school.test/no"}
}

// paid is the card gateway's verified paid notification for b's payment, applied as a webhook would.
func (f *fixture) paid(b paylink.Begun, eventID string) (order.Outcome, error) {
	sysCtx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorSystem, Label: "stripe webhook"})
	return f.orders.Ingest(sysCtx, f.cards, gateway.Event{ID: eventID, Type: "checkout.session.completed",
		Kind: gateway.EventPaid, OrderID: b.Order.ID, Ref: b.Redirect.Ref, Amount: money.New(4900, "EUR"),
		PayerEmail: f.contact.Email}, []byte(`{}`))
}

func (f *fixture) get(id int64) paylink.Link {
	f.t.Helper()
	l, err := f.links.Get(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) orderStatus(id int64) order.Status {
	f.t.Helper()
	o, err := f.orders.Get(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return o.Status
}

func TestMain(m *testing.M) { dbtest.Main(m) }
