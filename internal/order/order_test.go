package order_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/events/eventstest"
	"github.com/bursar/bursar/internal/fx"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/jobs"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/settings"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// tableMailer records order e-mails in a table inside the caller's transaction, so a rolled-back decision leaves
// no e-mail behind, exactly like the real outbox.
type tableMailer struct{}

func (tableMailer) OrderEmailTx(ctx context.Context, tx pgx.Tx, e order.Email) error {
	_, err := tx.Exec(ctx, "INSERT INTO test_mails (order_id, kind, to_address, comment) VALUES ($1, $2, $3, $4)",
		e.Order.ID, string(e.Kind), e.To, e.Comment)
	return err
}

// fixedRates converts with rates given as decimal strings per unit ("45.5" UAH for 1 EUR), rounding half up.
type fixedRates map[[2]string]string

func (r fixedRates) ConvertTx(_ context.Context, _ db.DBTX, m money.Money, to string) (money.Money, error) {
	rate, ok := r[[2]string{m.Currency, to}]
	if !ok {
		return money.Money{}, check.Field("rate", "no exchange rate from "+m.Currency+" to "+to)
	}
	q, _ := new(big.Rat).SetString(rate)
	v := new(big.Rat).Mul(new(big.Rat).SetInt64(m.Amount), q)
	scale := new(big.Rat).SetFrac(pow10(money.Exponent(to)), pow10(money.Exponent(m.Currency)))
	v.Mul(v, scale)
	n := new(big.Int).Quo(new(big.Int).Add(new(big.Int).Mul(v.Num(), big.NewInt(2)), v.Denom()), new(big.Int).Mul(v.Denom(), big.NewInt(2)))
	return money.New(n.Int64(), to), nil
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

type fixture struct {
	t        *testing.T
	ctx      context.Context
	pool     *pgxpool.Pool
	offers   *offer.Service
	systems  *gateway.Service
	contacts *crm.Service
	access   *access.Service
	jobs     *jobs.Client
	deps     order.Deps // what svc was built with
	svc      *order.Service
	manual   gateway.System // enabled manual: 2.5% + 0.30 EUR, EUR and USD, fallback USD
	course   offer.Product
	module   offer.Product
	offer    offer.Offer // 49.00 EUR, both products, 30 days of access, the manual system
	contact  crm.Contact
	rec      *eventstest.Recorder // the events of the orders, their contacts and grants
}

// newFixture makes a school whose exchange rates come from rates; nil stands for the real fx service with no rates.
func newFixture(t *testing.T, rates order.Rates) *fixture {
	t.Helper()
	return buildFixture(t, func(pool *pgxpool.Pool, al *audit.Log) order.Rates {
		if rates == nil {
			return fx.NewService(pool, al)
		}
		return rates
	})
}

// noCompletions follows no completed order (order.Completions): payment links are tested in internal/paylink.
type noCompletions struct{}

func (noCompletions) OrderCompletedTx(context.Context, pgx.Tx, order.Order) error { return nil }

// fixedWelcome issues the same sign-in link for everyone (order.Welcomer).
type fixedWelcome struct{}

func (fixedWelcome) WelcomeLinkTx(context.Context, pgx.Tx, int64, int64) (string, error) {
	return "https://school.test/welcome/test", nil
}

// buildFixture makes a school whose exchange rates come from rates (the real fx service or an in-test table).
func buildFixture(t *testing.T, ratesOf func(*pgxpool.Pool, *audit.Log) order.Rates) *fixture {
	t.Helper()
	pool := dbtest.New(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorAdmin, ID: 1, Label: "ann@school.test"})
	if _, err := pool.Exec(ctx, `CREATE TABLE test_mails (order_id bigint, kind text, to_address text, comment text)`); err != nil {
		t.Fatal(err)
	}
	al := audit.New(pool)
	rec := eventstest.New(t, pool)
	f := &fixture{t: t, ctx: ctx, pool: pool, systems: gateway.NewService(pool, al, make([]byte, 32)),
		contacts: crm.NewService(pool, al, rec), rec: rec}
	var err error
	if f.offers, err = offer.NewService(pool, al, f.systems); err != nil {
		t.Fatal(err)
	}
	if f.access, err = access.NewService(pool, al, f.contacts, f.offers, rec); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// As in serve: the service enqueues through an insert-only client; the working client runs its worker.
	rates := ratesOf(pool, al)
	ins, err := jobs.NewInserter(pool, log)
	if err != nil {
		t.Fatal(err)
	}
	f.deps = order.Deps{Offers: f.offers, Systems: f.systems, Access: f.access, Timeline: f.contacts, Rates: rates,
		Mailer: tableMailer{}, Jobs: ins, Payers: f.contacts, Welcome: fixedWelcome{}, School: settings.NewService(pool, al),
		Gateways: fakeGateways{}, Completions: noCompletions{}, Events: rec}
	if f.svc, err = order.NewService(pool, al, f.deps); err != nil {
		t.Fatal(err)
	}
	f.jobs, err = jobs.New(pool, log, jobs.Config{FetchPollInterval: 20 * time.Millisecond}, order.NewDeadlineWorker(f.svc))
	if err != nil {
		t.Fatal(err)
	}
	f.manual = f.system(gateway.Input{Type: gateway.TypeManual, Name: "Bank transfer", Enabled: true,
		Settings: map[string]any{"fee_percent": "2.5", "fixed_fee": int64(30), "fixed_fee_currency": "EUR",
			"fallback_currency": "USD", "supported_currencies": []any{"EUR", "USD"}}})
	f.course = f.product("Spanish A1")
	f.module = f.product("Spanish A1 workbook")
	f.offer = f.newOffer("Spanish A1", 4900, "EUR", f.manual.ID)
	f.contact = f.newContact("student@example.com")
	return f
}

func (f *fixture) system(in gateway.Input) gateway.System {
	f.t.Helper()
	s, err := f.systems.Create(f.ctx, in)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func (f *fixture) product(name string) offer.Product {
	f.t.Helper()
	p, err := f.offers.CreateProduct(f.ctx, offer.ProductInput{Name: name, Kind: offer.KindCourse})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) newOffer(title string, amount int64, currency string, systems ...int64) offer.Offer {
	f.t.Helper()
	in := offer.NewInput()
	in.Title, in.Amount, in.Currency, in.Status, in.AccessDays = title, amount, currency, offer.StatusPublished, 30
	in.ProductIDs = []int64{f.course.ID, f.module.ID}
	in.PaymentSystemIDs = systems
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

func (f *fixture) open() order.Order {
	f.t.Helper()
	o, err := f.svc.CreateManual(f.ctx, order.NewManual{OfferID: f.offer.ID, ContactID: f.contact.ID,
		PaymentSystemID: f.manual.ID, Comment: "card ending 4242", Channel: order.ChannelCheckout})
	if err != nil {
		f.t.Fatal(err)
	}
	return o
}

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.pool.QueryRow(f.ctx, query, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) mails(orderID int64, kind order.EmailKind) int {
	return f.count("SELECT count(*) FROM test_mails WHERE order_id = $1 AND kind = $2", orderID, string(kind))
}

func (f *fixture) activeGrants() []access.Grant {
	f.t.Helper()
	gs, err := f.access.Active(f.ctx, f.contact.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return gs
}

func ptr[T any](v T) *T { return &v }

func TestCreateManual(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	o := f.open()
	if !regexp.MustCompile(`^B-\d{6}$`).MatchString(o.Number) {
		t.Errorf("number = %q, want B-000123 style", o.Number)
	}
	if o.Status != order.StatusOpen || o.Price != money.New(4900, "EUR") || o.ListPrice != money.New(4900, "EUR") {
		t.Errorf("order = %+v, want open at 49.00 EUR", o)
	}
	if o.Channel != order.ChannelCheckout || o.OfferTitle != "Spanish A1" || o.Language != "en" {
		t.Errorf("snapshot = %q %q %q", o.Channel, o.OfferTitle, o.Language)
	}
	if o.DeadlineAt == nil || o.DeadlineAt.Sub(o.CreatedAt).Round(time.Hour) != 30*24*time.Hour {
		t.Errorf("deadline = %v, want created + 30 days", o.DeadlineAt)
	}
	if len(o.Payments) != 1 {
		t.Fatalf("payments = %+v, want one", o.Payments)
	}
	p := o.Payments[0]
	// 2.5% of 49.00 = 1.225 → 1.23 (half up) + 0.30 fixed = 1.53; net 47.47.
	if p.Status != order.PaymentPending || p.Fee != 153 || p.Net != 4747 || p.Comment != "card ending 4242" ||
		p.PayerEmail != "student@example.com" || !p.PaidOn.Equal(time.Now().UTC().Truncate(24*time.Hour)) {
		t.Errorf("payment = %+v", p)
	}
	if n := f.count("SELECT count(*) FROM river_job WHERE kind = 'order.deadline' AND args->>'order_id' = $1 AND scheduled_at > now() + interval '29 days'", itoa(o.ID)); n != 1 {
		t.Errorf("deadline jobs = %d, want 1 scheduled at the deadline", n)
	}
	if f.mails(o.ID, order.EmailReceived) != 1 {
		t.Error("no order-received e-mail")
	}
	if n := f.count("SELECT count(*) FROM contact_events WHERE contact_id = $1 AND kind = 'order.created'", f.contact.ID); n != 1 {
		t.Errorf("contact timeline events = %d, want 1", n)
	}
	if n := f.count("SELECT count(*) FROM audit_log WHERE action = 'order.create'"); n != 1 {
		t.Errorf("audit entries = %d, want 1", n)
	}

	t.Run("SecondCallReturnsTheOpenOrder", func(t *testing.T) {
		again := f.open()
		if again.ID != o.ID || len(again.Payments) != 1 {
			t.Errorf("second call = order %d with %d payments, want order %d", again.ID, len(again.Payments), o.ID)
		}
		if n := f.count("SELECT count(*) FROM orders"); n != 1 {
			t.Errorf("orders = %d, want 1", n)
		}
		if f.mails(o.ID, order.EmailReceived) != 1 {
			t.Error("the second call sent a second e-mail")
		}
	})
	t.Run("OnlySystemChosenByDefault", func(t *testing.T) {
		c := f.newContact("other@example.com")
		got, err := f.svc.CreateManual(f.ctx, order.NewManual{OfferID: f.offer.ID, ContactID: c.ID, Channel: order.ChannelAPI})
		if err != nil || got.PaymentSystemID != f.manual.ID {
			t.Errorf("CreateManual without system = %+v, %v", got, err)
		}
	})
}

func TestCreateManualBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	stripe := f.system(gateway.Input{Type: gateway.TypeStripe, Name: "Cards", Mode: gateway.ModeTest, Enabled: true,
		Credentials: map[string]string{"secret_key": "sk_test_123"}})
	disabled := f.system(gateway.Input{Type: gateway.TypeManual, Name: "Cash", Enabled: false,
		Settings: map[string]any{"supported_currencies": []any{"EUR"}}})
	other := f.system(gateway.Input{Type: gateway.TypeManual, Name: "Card to card", Enabled: true,
		Settings: map[string]any{"supported_currencies": []any{"EUR"}}})
	mixed := f.newOffer("Mixed", 4900, "EUR", f.manual.ID, stripe.ID, disabled.ID)
	draftIn := f.offer.Input
	draftIn.Slug, draftIn.Status = "draft-offer", offer.StatusDraft
	draft, err := f.offers.Create(f.ctx, draftIn)
	if err != nil {
		t.Fatal(err)
	}
	ok := order.NewManual{OfferID: f.offer.ID, ContactID: f.contact.ID, PaymentSystemID: f.manual.ID, Channel: order.ChannelAdmin}
	tests := []struct {
		name  string
		edit  func(*order.NewManual)
		field string
	}{
		{"FutureDate", func(n *order.NewManual) { n.PaidOn = time.Now().AddDate(0, 0, 2) }, "paid_on"},
		{"AncientDate", func(n *order.NewManual) { n.PaidOn = time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC) }, "paid_on"},
		{"UnknownOffer", func(n *order.NewManual) { n.OfferID = 999999 }, "offer_id"},
		{"NoOffer", func(n *order.NewManual) { n.OfferID = 0 }, "offer_id"},
		{"UnknownContact", func(n *order.NewManual) { n.ContactID = 999999 }, "contact_id"},
		{"OfferWithoutThatSystem", func(n *order.NewManual) { n.PaymentSystemID = other.ID }, "payment_system_id"},
		{"NonManualSystem", func(n *order.NewManual) { n.OfferID, n.PaymentSystemID = mixed.ID, stripe.ID }, "payment_system_id"},
		{"DisabledSystem", func(n *order.NewManual) { n.OfferID, n.PaymentSystemID = mixed.ID, disabled.ID }, "payment_system_id"},
		{"UnknownSystem", func(n *order.NewManual) { n.PaymentSystemID = 999999 }, "payment_system_id"},
		{"CommentTooLong", func(n *order.NewManual) { n.Comment = strings.Repeat("c", order.MaxComment+1) }, "comment"},
		{"DraftOfferAtCheckout", func(n *order.NewManual) { n.OfferID, n.Channel = draft.ID, order.ChannelCheckout }, "offer_id"},
		{"BadChannel", func(n *order.NewManual) { n.Channel = "fax" }, "channel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := ok
			tt.edit(&n)
			_, err := f.svc.CreateManual(f.ctx, n)
			e, isField := check.AsErrors(err)
			if !isField || e[tt.field] == "" {
				t.Fatalf("CreateManual = %v, want a message on %s", err, tt.field)
			}
		})
	}
	if n := f.count("SELECT count(*) FROM orders") + f.count("SELECT count(*) FROM payments") +
		f.count("SELECT count(*) FROM test_mails"); n != 0 {
		t.Errorf("bad input wrote %d rows", n)
	}
	t.Run("DraftOfferByManager", func(t *testing.T) {
		n := ok
		n.OfferID = draft.ID
		if _, err := f.svc.CreateManual(f.ctx, n); err != nil {
			t.Errorf("a manager may book a payment for a draft offer: %v", err)
		}
	})
}

func TestCreateManualFallbackCurrency(t *testing.T) {
	t.Parallel()
	uah := gateway.Input{Type: gateway.TypeManual, Name: "Privat card", Enabled: true, Settings: map[string]any{
		"fee_percent": "1", "fallback_currency": "UAH", "supported_currencies": []any{"UAH"}}}
	t.Run("WithRate", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, fixedRates{{"EUR", "UAH"}: "45.5"})
		sys := f.system(uah)
		of := f.newOffer("Ukrainian course", 4900, "EUR", sys.ID)
		o, err := f.svc.CreateManual(f.ctx, order.NewManual{OfferID: of.ID, ContactID: f.contact.ID, Channel: order.ChannelCheckout})
		if err != nil {
			t.Fatal(err)
		}
		// 49.00 EUR × 45.5 = 2229.50 UAH; fee 1% = 22.295 → 22.30; net 2207.20.
		if o.Price != money.New(222950, "UAH") || o.ListPrice != money.New(4900, "EUR") {
			t.Errorf("price = %v (list %v), want 2229.50 UAH (list 49.00 EUR)", o.Price, o.ListPrice)
		}
		if p := o.Payments[0]; p.Amount != o.Price || p.Fee != 2230 || p.Net != 220720 {
			t.Errorf("payment = %+v", p)
		}
	})
	t.Run("SchoolRates", func(t *testing.T) {
		t.Parallel()
		var rates *fx.Service
		f := buildFixture(t, func(pool *pgxpool.Pool, al *audit.Log) order.Rates { rates = fx.NewService(pool, al); return rates })
		if _, _, err := rates.Save(f.ctx, fx.NewRate{Base: "EUR", Quote: "UAH", Rate: "45,5"}); err != nil {
			t.Fatal(err)
		}
		sys := f.system(uah)
		of := f.newOffer("Ukrainian course", 4900, "EUR", sys.ID)
		o, err := f.svc.CreateManual(f.ctx, order.NewManual{OfferID: of.ID, ContactID: f.contact.ID, Channel: order.ChannelCheckout})
		if err != nil {
			t.Fatal(err)
		}
		if o.Price != money.New(222950, "UAH") {
			t.Errorf("price = %v, want 2229.50 UAH", o.Price)
		}
		c := f.newContact("usd@example.com")
		usd := f.newOffer("Dollar course", 5000, "USD", sys.ID)
		_, err = f.svc.CreateManual(f.ctx, order.NewManual{OfferID: usd.ID, ContactID: c.ID, Channel: order.ChannelCheckout})
		if e, _ := check.AsErrors(err); e["offer_id"] != "no exchange rate from USD to UAH: add one in Settings" {
			t.Errorf("missing rate = %v", err)
		}
	})
	for _, tt := range []struct {
		name  string
		rates order.Rates
	}{{"NoRates", nil}, {"MissingRate", fixedRates{{"USD", "UAH"}: "41"}}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tt.rates)
			sys := f.system(uah)
			of := f.newOffer("Ukrainian course", 4900, "EUR", sys.ID)
			_, err := f.svc.CreateManual(f.ctx, order.NewManual{OfferID: of.ID, ContactID: f.contact.ID, Channel: order.ChannelCheckout})
			e, _ := check.AsErrors(err)
			if !strings.Contains(e["offer_id"], "EUR to UAH") {
				t.Errorf("CreateManual = %v, want an offer_id message naming EUR to UAH", err)
			}
			if n := f.count("SELECT count(*) FROM orders"); n != 0 {
				t.Errorf("orders = %d, want none", n)
			}
		})
	}
}

func TestFeeOf(t *testing.T) {
	t.Parallel()
	eur := func(n int64) money.Money { return money.New(n, "EUR") }
	tests := []struct {
		name     string
		amount   money.Money
		fees     gateway.Fees
		rates    fixedRates
		fee, net int64
	}{
		{"None", eur(4900), gateway.Fees{}, nil, 0, 4900},
		{"PercentRoundsHalfUp", eur(4900), gateway.Fees{PercentBP: 250}, nil, 123, 4777},
		{"PercentRoundsDown", eur(4901), gateway.Fees{PercentBP: 10}, nil, 5, 4896},
		{"PercentAndFixed", eur(4900), gateway.Fees{PercentBP: 250, Fixed: eur(30)}, nil, 153, 4747},
		{"FixedConverted", money.New(100000, "UAH"), gateway.Fees{PercentBP: 100, Fixed: eur(30)}, fixedRates{{"EUR", "UAH"}: "45"}, 1000 + 1350, 100000 - 2350},
		{"FixedSkippedWithoutRate", money.New(100000, "UAH"), gateway.Fees{PercentBP: 100, Fixed: eur(30)}, nil, 1000, 99000},
		{"CappedAtAmount", eur(20), gateway.Fees{Fixed: eur(30)}, nil, 20, 0},
		{"ZeroAmount", eur(0), gateway.Fees{PercentBP: 250, Fixed: eur(30)}, nil, 0, 0},
		{"Huge", eur(money.MaxAmount), gateway.Fees{PercentBP: 10000}, nil, money.MaxAmount, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var convert func(money.Money, string) (money.Money, error)
			if tt.rates != nil {
				convert = func(m money.Money, to string) (money.Money, error) {
					return tt.rates.ConvertTx(context.Background(), nil, m, to)
				}
			}
			fee, net := order.FeeOf(tt.amount, tt.fees, convert)
			if fee != tt.fee || net != tt.net {
				t.Errorf("FeeOf = %d, %d; want %d, %d", fee, net, tt.fee, tt.net)
			}
		})
	}
}

func isConflict(err error, want error, text string) bool {
	return errors.Is(err, check.ErrConflict) && errors.Is(err, want) && strings.Contains(err.Error(), text)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
