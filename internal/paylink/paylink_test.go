package paylink_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/paylink"
)

func TestCreateRefusesBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := f.system(gatewayStripe("Other cards"))
	tests := []struct {
		name  string
		in    func(*paylink.Input)
		field string
	}{
		{"NoContact", func(in *paylink.Input) { in.ContactID = 0 }, "contact_id"},
		{"UnknownContact", func(in *paylink.Input) { in.ContactID = 999999 }, "contact_id"},
		{"UnknownOffer", func(in *paylink.Input) { in.OfferID = 999999 }, "offer_id"},
		{"ExpiryInThePast", func(in *paylink.Input) { in.ExpiresAt = f.clock.Now().Add(-time.Minute) }, "expires_at"},
		{"SystemNotTheOffers", func(in *paylink.Input) { in.PaymentSystemIDs = []int64{other.ID} }, "payment_system_ids"},
		{"UnknownSystem", func(in *paylink.Input) { in.PaymentSystemIDs = []int64{999999} }, "payment_system_ids"},
		{"BadLanguage", func(in *paylink.Input) { in.Language = "de" }, "language"},
		{"CustomZero", custom(0, "EUR"), "amount"},
		{"CustomNegative", custom(-100, "EUR"), "amount"},
		{"CustomOverLimit", custom(money.MaxAmount+1, "EUR"), "amount"},
		{"CustomUnknownCurrency", custom(100, "XXY"), "currency"},
		{"CustomNoDescription", func(in *paylink.Input) {
			in.OfferID, in.Amount, in.Currency, in.PaymentSystemIDs = 0, 100, "EUR", []int64{f.cards.ID}
		}, "description"},
		{"OfferAndCustom", func(in *paylink.Input) { in.Amount = 100 }, "offer_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := paylink.Input{ContactID: f.contact.ID, OfferID: f.offer.ID}
			tt.in(&in)
			_, err := f.links.Create(f.ctx, in)
			e, ok := check.AsErrors(err)
			if !ok || e[tt.field] == "" {
				t.Fatalf("Create = %v; want a field error on %s", err, tt.field)
			}
		})
	}
	if n := f.count(`SELECT count(*) FROM payment_links`); n != 0 {
		t.Fatalf("%d links written by bad input", n)
	}
}

func custom(amount int64, currency string) func(*paylink.Input) {
	return func(in *paylink.Input) {
		in.OfferID, in.Amount, in.Currency, in.Description = 0, amount, currency, "Private lesson"
	}
}

func TestCreateDefaultsAndToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l := f.link()
	if l.Status != paylink.StatusActive || l.Price != money.New(4900, "EUR") || l.Title != "Spanish A1" {
		t.Fatalf("link = %+v", l)
	}
	if want := f.clock.Now().Add(paylink.DefaultExpiry); !l.ExpiresAt.Equal(want) {
		t.Fatalf("expires %v, want %v (7 days by the clock)", l.ExpiresAt, want)
	}
	if len(l.PaymentSystemIDs) != 2 || l.Language != "en" || l.CreatorLabel != "ann@school.test" {
		t.Fatalf("defaults: systems %v, language %q, creator %q", l.PaymentSystemIDs, l.Language, l.CreatorLabel)
	}
	if !strings.HasPrefix(l.URL, "https://school.test/pay/") || len(l.Token) < 22 {
		t.Fatalf("URL %q token %q: want ≥ 128 bits", l.URL, l.Token)
	}
	got, err := f.links.ByToken(f.ctx, l.Token)
	if err != nil || got.ID != l.ID {
		t.Fatalf("ByToken = %+v, %v", got, err)
	}
	// A tampered token (one character changed), a truncated one and a made-up one answer the same: not found.
	b := []byte(l.Token)
	b[len(b)-3] ^= 1
	for _, tok := range []string{string(b), l.Token[:len(l.Token)-1], "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "", "x/../y"} {
		if _, err := f.links.ByToken(f.ctx, tok); !errors.Is(err, check.ErrNotFound) {
			t.Fatalf("ByToken(%q) = %v; want not found", tok, err)
		}
	}
	if n := f.count(`SELECT count(*) FROM payment_link_events WHERE link_id = $1 AND kind = 'link.created'`, l.ID); n != 1 {
		t.Fatalf("link timeline: %d created lines", n)
	}
	if n := f.count(`SELECT count(*) FROM contact_events WHERE contact_id = $1 AND kind = 'link.created'`, f.contact.ID); n != 1 {
		t.Fatalf("contact timeline: %d created lines", n)
	}
	if n := f.count(`SELECT count(*) FROM audit_log WHERE action = 'payment_link.create' AND entity_id = $1`,
		itoa(l.ID)); n != 1 {
		t.Fatalf("audit: %d create entries", n)
	}
	if n := f.count(`SELECT count(*) FROM river_job WHERE kind = 'paylink.expire'`); n != 1 {
		t.Fatalf("%d expiry jobs", n)
	}
}

func TestPaidOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l := f.link()
	if _, err := f.links.Open(context.Background(), l.Token); err != nil {
		t.Fatal(err)
	}
	b1 := f.begin(l)
	b2 := f.begin(l) // a double click, or a second tab
	if b1.Order.ID == 0 || b1.Order.ID != b2.Order.ID || b1.Order.Channel != order.ChannelLink {
		t.Fatalf("orders %d and %d (channel %q); want one link order", b1.Order.ID, b2.Order.ID, b1.Order.Channel)
	}
	if b1.Redirect.URL == "" {
		t.Fatal("no redirect to the gateway")
	}
	out, err := f.paid(b1, "evt_1")
	if err != nil || out.Result != order.ResultCompleted {
		t.Fatalf("paid: %+v, %v", out, err)
	}
	got := f.get(l.ID)
	if got.Status != paylink.StatusPaid || got.OrderID != b1.Order.ID || got.FirstOpenedAt == nil {
		t.Fatalf("link after payment = %+v", got)
	}
	// The second tab's payment arrives too: an exception, never a second completion.
	out, err = f.paid(b2, "evt_2")
	if err != nil || out.Result != "exception:"+string(order.ExLatePayment) {
		t.Fatalf("second payment: %+v, %v", out, err)
	}
	if _, err := f.links.Begin(context.Background(), l.Token, paylink.Payment{PaymentSystemID: f.cards.ID,
		Checkout: checkout}); !errors.Is(err, paylink.ErrNotActive) {
		t.Fatalf("Begin of a paid link = %v; want ErrNotActive", err)
	}
	if _, err := f.links.Cancel(f.ctx, l.ID, ""); !errors.Is(err, paylink.ErrNotActive) {
		t.Fatalf("Cancel of a paid link = %v; want ErrNotActive", err)
	}
	if n := f.count(`SELECT count(*) FROM outbound_emails WHERE related_type = 'payment_link' AND to_address = 'ann@school.test'
		AND dedup_key = $1`, "paylink:"+itoa(l.ID)+":paid"); n != 1 {
		t.Fatalf("%d paid e-mails to the operator", n)
	}
	kinds := f.kinds(l.ID)
	if want := "link.created link.opened link.payment_started link.payment_started link.paid"; kinds != want {
		t.Fatalf("timeline %q, want %q", kinds, want)
	}
}

func (f *fixture) kinds(id int64) string {
	f.t.Helper()
	evs, err := f.links.Events(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	var ks []string
	for _, e := range evs {
		ks = append(ks, e.Kind)
	}
	return strings.Join(ks, " ")
}

func TestCancelThenLatePayment(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l := f.link()
	b := f.begin(l)
	got, err := f.links.Cancel(f.ctx, l.ID, "wrong course")
	if err != nil || got.Status != paylink.StatusCancelled {
		t.Fatalf("Cancel = %+v, %v", got, err)
	}
	if s := f.orderStatus(b.Order.ID); s != order.StatusCancelled {
		t.Fatalf("the link's open order is %s; want cancelled", s)
	}
	out, err := f.paid(b, "evt_late")
	if err != nil || out.Result != "exception:"+string(order.ExLatePayment) {
		t.Fatalf("payment after the cancel: %+v, %v", out, err)
	}
	if got := f.get(l.ID); got.Status != paylink.StatusCancelled {
		t.Fatalf("link became %s", got.Status)
	}
	if _, err := f.links.Begin(context.Background(), l.Token, paylink.Payment{PaymentSystemID: f.cards.ID,
		Checkout: checkout}); !errors.Is(err, paylink.ErrNotActive) {
		t.Fatalf("Begin of a cancelled link = %v", err)
	}
	if _, err := f.links.Decline(context.Background(), l.Token, "no"); !errors.Is(err, paylink.ErrNotActive) {
		t.Fatalf("Decline of a cancelled link = %v", err)
	}
}

func TestDecline(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l := f.link()
	got, err := f.links.Decline(context.Background(), l.Token, "I already paid in cash")
	if err != nil || got.Status != paylink.StatusDeclined || got.DeclineReason != "I already paid in cash" {
		t.Fatalf("Decline = %+v, %v", got, err)
	}
	if _, err := f.links.Decline(context.Background(), "nonsense", ""); !errors.Is(err, check.ErrNotFound) {
		t.Fatalf("Decline with a wrong token = %v", err)
	}
	if n := f.count(`SELECT count(*) FROM outbound_emails WHERE to_address = 'ann@school.test' AND dedup_key = $1`,
		"paylink:"+itoa(l.ID)+":declined"); n != 1 {
		t.Fatalf("%d declined e-mails to the operator", n)
	}
	if n := f.count(`SELECT count(*) FROM audit_log WHERE action = 'payment_link.decline' AND actor_label = $1`,
		"link:"+itoa(l.ID)+" payer"); n != 1 {
		t.Fatalf("%d decline audit entries by the payer", n)
	}
}

func TestVoidedWhenPaidAnotherWay(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l := f.link()
	// The contact pays the same offer by bank transfer at the checkout; the school approves it.
	o, err := f.orders.CreateManual(f.ctx, order.NewManual{OfferID: f.offer.ID, ContactID: f.contact.ID,
		PaymentSystemID: f.bank.ID, Channel: order.ChannelCheckout})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.orders.Approve(f.ctx, o.ID, order.Adjustment{}); err != nil {
		t.Fatal(err)
	}
	got := f.get(l.ID)
	if got.Status != paylink.StatusVoided || got.VoidedBy != o.ID {
		t.Fatalf("link = %s voided by %d; want voided by %d", got.Status, got.VoidedBy, o.ID)
	}
}

func TestManualLink(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l := f.link()
	v, err := f.links.View(context.Background(), l.Token)
	if err != nil || len(v.Systems) != 2 || !v.Systems[1].Manual || v.Note != "As agreed" || v.School.Name == "" ||
		v.Description != "Learn **Spanish A1** with a tutor." {
		t.Fatalf("View = %+v, %v", v, err)
	}
	b, err := f.links.Begin(context.Background(), l.Token, paylink.Payment{PaymentSystemID: f.bank.ID,
		Comment: "transfer ref 123"})
	if err != nil || !b.Manual || b.Instructions == "" || b.Order.Channel != order.ChannelLink {
		t.Fatalf("Begin by bank transfer = %+v, %v", b, err)
	}
	if _, err := f.orders.Approve(f.ctx, b.Order.ID, order.Adjustment{}); err != nil {
		t.Fatal(err)
	}
	if got := f.get(l.ID); got.Status != paylink.StatusPaid {
		t.Fatalf("link %s after the approval", got.Status)
	}
}

func TestGatewayDownLeavesLinkActive(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l := f.link()
	f.gw.down.Store(true)
	_, err := f.links.Begin(context.Background(), l.Token, paylink.Payment{PaymentSystemID: f.cards.ID, Checkout: checkout})
	if !errors.Is(err, order.ErrGatewayDown) {
		t.Fatalf("Begin with the gateway down = %v", err)
	}
	if n := f.count(`SELECT count(*) FROM payments WHERE status = 'pending'`); n != 0 {
		t.Fatalf("%d pending attempts left half-made", n)
	}
	f.gw.down.Store(false)
	b := f.begin(l) // the retry page's second try
	if out, err := f.paid(b, "evt_retry"); err != nil || out.Result != order.ResultCompleted {
		t.Fatalf("paid after the retry: %+v, %v", out, err)
	}
	if got := f.get(l.ID); got.Status != paylink.StatusPaid {
		t.Fatalf("link %s", got.Status)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b, c := f.link(), f.link(), f.link()
	if _, err := f.links.Cancel(f.ctx, b.ID, ""); err != nil {
		t.Fatal(err)
	}
	p, err := f.links.List(f.ctx, paylink.Filter{Status: paylink.StatusActive, Limit: 1})
	if err != nil || len(p.Links) != 1 || p.Links[0].ID != c.ID || p.NextBeforeID != c.ID {
		t.Fatalf("first page = %+v, %v", p, err)
	}
	p, err = f.links.List(f.ctx, paylink.Filter{Status: paylink.StatusActive, BeforeID: p.NextBeforeID, Limit: 1})
	if err != nil || len(p.Links) != 1 || p.Links[0].ID != a.ID {
		t.Fatalf("second page = %+v, %v", p, err)
	}
	p, err = f.links.List(f.ctx, paylink.Filter{ContactID: f.contact.ID, OfferID: f.offer.ID, CreatorType: "admin",
		CreatorID: 1, From: f.clock.Now().Add(-time.Hour), To: f.clock.Now().Add(time.Hour)})
	if err != nil || len(p.Links) != 3 {
		t.Fatalf("filtered = %d links, %v", len(p.Links), err)
	}
	if _, err := f.links.List(f.ctx, paylink.Filter{Status: "nope"}); err == nil {
		t.Fatal("an unknown status filter was accepted")
	}
}

// TestLinkEmailInItsLanguage: the link e-mailed at creation and once more (SendEmail), in the link's language, with
// the link kept as the e-mail's secret (never stored in the readable bodies).
func TestLinkEmailInItsLanguage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l, err := f.links.Create(f.ctx, paylink.Input{ContactID: f.contact.ID, OfferID: f.offer.ID, Language: "uk",
		SendEmail: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.links.SendEmail(f.ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	rows, err := f.pool.Query(context.Background(), `SELECT subject, text_body, html_body, language, secrets
		FROM outbound_emails WHERE related_type = 'payment_link' AND related_id = $1 AND to_address = $2`, l.ID, f.contact.Email)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
		var subject, text, htm, lang string
		var secrets []string
		if err := rows.Scan(&subject, &text, &htm, &lang, &secrets); err != nil {
			t.Fatal(err)
		}
		if lang != "uk" || !strings.HasPrefix(subject, "Запит на оплату: Spanish A1") {
			t.Errorf("e-mail in %s: %q", lang, subject)
		}
		if strings.Contains(text+htm, l.Token) || !contains(secrets, l.URL) {
			t.Errorf("the link is readable in the stored e-mail (secrets %v)", secrets)
		}
	}
	if n != 2 {
		t.Fatalf("%d e-mails to the payer; want 2 (create, send again)", n)
	}
	if _, err := f.links.Cancel(f.ctx, l.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.links.SendEmail(f.ctx, l.ID); !errors.Is(err, paylink.ErrNotActive) {
		t.Fatalf("SendEmail of a cancelled link = %v", err)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestCustomAmount: a link for a custom amount is paid like an offer's: through the unlisted offer made for it.
func TestCustomAmount(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l, err := f.links.Create(f.ctx, paylink.Input{ContactID: f.contact.ID, Amount: 12050, Currency: "EUR",
		Description: "Two private lessons", PaymentSystemIDs: []int64{f.cards.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if !l.Custom || l.Title != "Two private lessons" || l.Price != money.New(12050, "EUR") {
		t.Fatalf("link = %+v", l)
	}
	of, err := f.offers.Offer(f.ctx, l.OfferID)
	if err != nil || !of.Unlisted || of.Status != "published" || len(of.ProductIDs) != 0 {
		t.Fatalf("its offer = %+v, %v", of, err)
	}
	b := f.begin(l)
	if b.Order.Price != money.New(12050, "EUR") || b.Order.OfferTitle != "Two private lessons" {
		t.Fatalf("order = %+v", b.Order)
	}
	sysCtx := context.Background()
	out, err := f.orders.Ingest(sysCtx, f.cards, gateway.Event{ID: "evt_custom", Type: "checkout.session.completed",
		Kind: gateway.EventPaid, OrderID: b.Order.ID, Ref: b.Redirect.Ref, Amount: money.New(12050, "EUR"),
		PayerEmail: f.contact.Email}, []byte(`{}`))
	if err != nil || out.Result != order.ResultCompleted {
		t.Fatalf("paid: %+v, %v", out, err)
	}
	if got := f.get(l.ID); got.Status != paylink.StatusPaid {
		t.Fatalf("link %s", got.Status)
	}
	// A currency none of the chosen systems takes is refused.
	_, err = f.links.Create(f.ctx, paylink.Input{ContactID: f.contact.ID, Amount: 500, Currency: "JPY",
		Description: "Lesson", PaymentSystemIDs: []int64{f.cards.ID}})
	if e, ok := check.AsErrors(err); !ok || e["payment_system_ids"] == "" {
		t.Fatalf("a custom JPY amount through a EUR/USD system = %v", err)
	}
}

// TestFinalStatesRefuseEverything: once paid, cancelled, declined, expired or voided, a link can be neither
// paid, cancelled, declined nor sent again, and says what it became.
func TestFinalStatesRefuseEverything(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status paylink.Status
		end    func(f *fixture, l paylink.Link)
		word   string
	}{
		{"Paid", paylink.StatusPaid, func(f *fixture, l paylink.Link) {
			if _, err := f.paid(f.begin(l), "evt_final"); err != nil {
				f.t.Fatal(err)
			}
		}, "paid"},
		{"Cancelled", paylink.StatusCancelled, func(f *fixture, l paylink.Link) {
			if _, err := f.links.Cancel(f.ctx, l.ID, ""); err != nil {
				f.t.Fatal(err)
			}
		}, "cancelled"},
		{"Declined", paylink.StatusDeclined, func(f *fixture, l paylink.Link) {
			if _, err := f.links.Decline(context.Background(), l.Token, ""); err != nil {
				f.t.Fatal(err)
			}
		}, "declined"},
		{"Expired", paylink.StatusExpired, func(f *fixture, l paylink.Link) {
			f.clock.Add(paylink.DefaultExpiry)
			if ok, err := f.links.Expire(f.ctx, l.ID); err != nil || !ok {
				f.t.Fatalf("Expire = %v, %v", ok, err)
			}
		}, "expired"},
		{"Voided", paylink.StatusVoided, func(f *fixture, l paylink.Link) {
			// Paid through another link for the same offer.
			other, err := f.links.Create(f.ctx, paylink.Input{ContactID: f.contact.ID, OfferID: f.offer.ID})
			if err != nil {
				f.t.Fatal(err)
			}
			if _, err := f.paid(f.begin(other), "evt_other"); err != nil {
				f.t.Fatal(err)
			}
		}, "void"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			l := f.link()
			tt.end(f, l)
			if got := f.get(l.ID); got.Status != tt.status {
				t.Fatalf("link %s, want %s", got.Status, tt.status)
			}
			pay := paylink.Payment{PaymentSystemID: f.cards.ID, Checkout: checkout}
			for name, try := range map[string]func() error{
				"Begin":     func() error { _, err := f.links.Begin(context.Background(), l.Token, pay); return err },
				"Cancel":    func() error { _, err := f.links.Cancel(f.ctx, l.ID, ""); return err },
				"Decline":   func() error { _, err := f.links.Decline(context.Background(), l.Token, ""); return err },
				"SendEmail": func() error { _, err := f.links.SendEmail(f.ctx, l.ID); return err },
			} {
				err := try()
				if !errors.Is(err, paylink.ErrNotActive) || !strings.Contains(err.Error(), tt.word) {
					t.Errorf("%s of a %s link = %v", name, tt.status, err)
				}
			}
			if got := f.get(l.ID); got.Status != tt.status {
				t.Fatalf("link became %s", got.Status)
			}
		})
	}
}
