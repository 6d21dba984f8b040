package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/account"
	"github.com/bursar/bursar/internal/offer"
)

// checkoutFixture is a published Spanish offer with a registration field and a manual payment system.
func (a *testApp) checkoutFixture() (offer.Offer, string) {
	a.t.Helper()
	var ps int64
	if err := a.pool.QueryRow(a.ctx(), `INSERT INTO payment_systems (type, name, description, settings)
		VALUES ('manual', 'Transferencia', 'IBAN ES00 0000', '{"comment_hint": "Últimos 4 dígitos"}') RETURNING id`).Scan(&ps); err != nil {
		a.t.Fatal(err)
	}
	o := a.offer(func(in *offer.Input) {
		in.Language, in.Slug, in.PaymentSystemIDs = "es", "espanol-a1", []int64{ps}
		in.RegistrationFields = []offer.RegistrationField{{Key: "city", Label: "Ciudad", Type: "text", Required: true}}
		in.Contact = offer.Contact{Email: "hola@school.test"}
	})
	return o, "/o/espanol-a1/pay?system=" + itoa(ps)
}

// student signs up a fresh client through the public form.
func (a *testApp) student(email string) *http.Client {
	a.t.Helper()
	c := a.client()
	res := a.postForm(c, "/account/signup", url.Values{"email": {email}, "password": {testPassword}, "name": {"Ana"}})
	if res.StatusCode != http.StatusSeeOther {
		a.t.Fatalf("sign up %s: status %d", email, res.StatusCode)
	}
	return c
}

func TestCheckoutManual(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	o, pay := a.checkoutFixture()
	c := a.client()

	res, doc := a.get(c, strings.Replace(pay, "/pay?", "/checkout?", 1))
	if res.StatusCode != http.StatusOK || doc.Find("[data-testid=signup-form]").Length() != 1 {
		t.Fatalf("guest: status %d, want the sign-up form", res.StatusCode)
	}
	if doc.Find("html").AttrOr("lang", "") != "es" || strings.TrimSpace(doc.Find("label[for=field_city]").Text()) != "Ciudad" {
		t.Fatal("the sign-up page is not the offer's: Spanish with its registration field")
	}
	form := url.Values{"email": {"ana@school.test"}, "password": {testPassword}, "name": {"Ana"},
		"offer": {"espanol-a1"}, "next": {pay}, "lang": {"es"}, "form_token": {doc.Find("input[name=form_token]").AttrOr("value", "")}}

	t.Run("MissingRegistrationField", func(t *testing.T) {
		res, doc := a.postFormDoc(c, "/account/signup", form)
		if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("[data-testid=field_city-error]").Text() != "Este campo es obligatorio." {
			t.Fatalf("status %d; error %q", res.StatusCode, doc.Find("[data-testid=field_city-error]").Text())
		}
		if doc.Find("#field_city").AttrOr("aria-describedby", "") != "field_city-error" {
			t.Fatal("the error is not linked to its field")
		}
		if n := a.count("SELECT count(*) FROM contacts"); n != 0 {
			t.Fatalf("%d contacts half-written", n)
		}
	})
	form.Set("field_city", "Madrid")
	res = a.postForm(c, "/account/signup", form)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != pay {
		t.Fatalf("sign up: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if n := a.count("SELECT count(*) FROM contacts WHERE custom_fields->>'city' = 'Madrid'"); n != 1 {
		t.Fatal("registration field not stored on the contact")
	}

	res, doc = a.get(c, pay)
	if res.StatusCode != http.StatusOK || doc.Find("[data-testid=pay-form]").Length() != 1 {
		t.Fatalf("student: status %d, want the manual form", res.StatusCode)
	}
	checks := map[string]bool{
		"SystemName":  doc.Find("[data-testid=pay-system-name]").Text() == "Transferencia",
		"Description": doc.Find("[data-testid=pay-system-description]").Text() == "IBAN ES00 0000",
		"Amount":      doc.Find("[data-testid=pay-amount]").Text() == "49,00\u00a0€",
		"CommentHint": doc.Find("#comment").AttrOr("placeholder", "") == "Últimos 4 dígitos",
		"DateToday":   doc.Find("#paid_on").AttrOr("value", "") != "" && doc.Find("#paid_on").AttrOr("value", "") == doc.Find("#paid_on").AttrOr("max", "-"),
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("pay form: %s wrong", name)
		}
	}
	token := doc.Find("input[name=form_token]").AttrOr("value", "")
	date := doc.Find("#paid_on").AttrOr("value", "")

	t.Run("FutureDate", func(t *testing.T) {
		res, doc := a.postFormDoc(c, pay, url.Values{"form_token": {token}, "paid_on": {"2999-01-01"}})
		if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("[data-testid=paid_on-error]").Length() != 1 {
			t.Fatalf("status %d", res.StatusCode)
		}
	})
	submit := url.Values{"form_token": {token}, "paid_on": {date}, "comment": {"1234"}}
	res = a.postForm(c, pay, submit)
	where := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(where, "/account/orders/") {
		t.Fatalf("submit: %d to %q", res.StatusCode, where)
	}
	t.Run("SecondSubmitOneOrder", func(t *testing.T) {
		res := a.postForm(c, pay, submit)
		if res.Header.Get("Location") != where {
			t.Fatalf("double submit went to %q, want %q", res.Header.Get("Location"), where)
		}
		submit.Set("form_token", a.formToken(c, pay))
		res = a.postForm(c, pay, submit)
		if res.Header.Get("Location") != where {
			t.Fatalf("a second form went to %q, want the open order %q", res.Header.Get("Location"), where)
		}
		if n := a.count("SELECT count(*) FROM orders WHERE offer_id = $1", o.ID); n != 1 {
			t.Fatalf("%d orders", n)
		}
	})
	res, doc = a.get(c, where)
	number := strings.TrimPrefix(strings.Split(where, "?")[0], "/account/orders/")
	if res.StatusCode != http.StatusOK || doc.Find("[data-testid=order-number]").Text() != number ||
		doc.Find("[data-testid=processing]").Length() != 1 || doc.Find("[data-testid=order-status]").Text() != "Pendiente de confirmación" ||
		!strings.Contains(doc.Find("[data-testid=offer-contact]").Text(), "hola@school.test") {
		t.Fatalf("order page: status %d, number %q", res.StatusCode, doc.Find("[data-testid=order-number]").Text())
	}
	t.Run("CabinetListsOrder", func(t *testing.T) {
		_, doc := a.get(c, "/account")
		if doc.Find("html").AttrOr("lang", "") != "es" || doc.Find("[data-testid=order-number]").Text() != number {
			t.Fatal("the cabinet does not list the order in the order's language")
		}
	})
	t.Run("OtherStudent404", func(t *testing.T) {
		other := a.student("eve@school.test")
		if res, _ := a.get(other, "/account/orders/"+number); res.StatusCode != http.StatusNotFound {
			t.Fatalf("another student's order: status %d", res.StatusCode)
		}
		if res, _ := a.get(a.client(), "/account/orders/"+number); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("a guest: status %d, want the sign-in redirect", res.StatusCode)
		}
	})
}

func TestCheckoutNotFound(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	_, pay := a.checkoutFixture()
	other := a.paymentSystem("Other")
	var stripe, disabled int64
	// A gateway that takes neither the offer's currency nor a fallback one: its pay page says it is not available.
	_ = a.pool.QueryRow(a.ctx(), `INSERT INTO payment_systems (type, name, settings) VALUES ('stripe', 'Cards USD', '{"supported_currencies": ["USD"]}') RETURNING id`).Scan(&stripe)
	_ = a.pool.QueryRow(a.ctx(), `INSERT INTO payment_systems (type, name, enabled) VALUES ('manual', 'Off', false) RETURNING id`).Scan(&disabled)
	a.offer(func(in *offer.Input) {
		in.Slug, in.Status, in.PaymentSystemIDs = "draft-offer", offer.StatusDraft, []int64{disabled}
	})
	a.offer(func(in *offer.Input) { in.Slug, in.PaymentSystemIDs = "card-offer", []int64{stripe, disabled} })
	tests := []struct {
		name, path string
		want       int
	}{
		{"OK", strings.Replace(pay, "/pay?", "/checkout?", 1), http.StatusOK},
		{"DirectLinkVisitor", pay, http.StatusNotFound},
		{"Unpublished", "/o/draft-offer/checkout?system=" + itoa(disabled), http.StatusNotFound},
		{"UnknownOffer", "/o/nope/checkout?system=1", http.StatusNotFound},
		{"SystemNotOnOffer", "/o/espanol-a1/checkout?system=" + other, http.StatusNotFound},
		{"MalformedSystem", "/o/espanol-a1/checkout?system=x", http.StatusNotFound},
		{"DisabledSystem", "/o/card-offer/checkout?system=" + itoa(disabled), http.StatusNotFound},
		{"CurrencyNotTaken", "/o/card-offer/checkout?system=" + itoa(stripe), http.StatusNotImplemented},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if res, _ := a.get(a.client(), tt.path); res.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.want)
			}
		})
	}
}

func TestCabinet(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	res, _ := a.get(a.client(), "/account")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/account/login?") {
		t.Fatalf("guest: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	c := a.student("ana@school.test")
	p, err := a.srv.offers.CreateProduct(a.ctx(), offer.ProductInput{Name: "Gramática B1", Kind: offer.KindCourse, ExternalURL: "https://lms.school.test/b1"})
	if err != nil {
		t.Fatal(err)
	}
	hidden, _ := a.srv.offers.CreateProduct(a.ctx(), offer.ProductInput{Name: "Revoked course", Kind: offer.KindCourse})
	id := int64(a.count("SELECT id FROM contacts WHERE email = 'ana@school.test'"))
	if _, _, err := a.srv.access.Grant(a.ctx(), access.NewGrant{ContactID: id, ProductID: p.ID, Source: access.SourceManual, Days: 30}); err != nil {
		t.Fatal(err)
	}
	g, _, err := a.srv.access.Grant(a.ctx(), access.NewGrant{ContactID: id, ProductID: hidden.ID, Source: access.SourceManual})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.srv.access.Revoke(a.ctx(), g.ID, "test"); err != nil {
		t.Fatal(err)
	}
	res, doc := a.get(c, "/account")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	if got := texts(doc, "[data-testid=product-name]"); len(got) != 1 || got[0] != "Gramática B1" {
		t.Fatalf("products %q, want only the active grant", got)
	}
	if doc.Find("[data-testid=product-open]").AttrOr("href", "") != "https://lms.school.test/b1" ||
		!strings.HasPrefix(doc.Find("[data-testid=product-access]").Text(), "until 20") {
		t.Fatal("no LMS link or end date")
	}
	if doc.Find("html").AttrOr("lang", "") != "en" || doc.Find("[data-testid=no-orders]").Length() != 1 {
		t.Fatal("a student without orders sees the cabinet in English, with no orders")
	}
	if _, doc := a.get(c, "/account?lang=uk"); doc.Find("html").AttrOr("lang", "") != "uk" || doc.Find("h1").Text() != "Мій акаунт" {
		t.Fatal("?lang=uk does not switch the language")
	}

	t.Run("StudentIsNotAdmin", func(t *testing.T) {
		if res, _ := a.get(c, "/admin/"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("a student opened the admin: %d", res.StatusCode)
		}
		admin := a.owner()
		if res, _ := a.get(admin, "/account"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("an admin opened a cabinet: %d", res.StatusCode)
		}
	})
	t.Run("SignOut", func(t *testing.T) {
		res := a.postForm(c, "/account/logout", url.Values{})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d", res.StatusCode)
		}
		if res, _ := a.get(c, "/account"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("after sign-out: %d", res.StatusCode)
		}
	})
}

func TestStudentSignIn(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.student("ana@school.test")
	c := a.client()
	res, doc := a.postFormDoc(c, "/account/signup", url.Values{"email": {"ANA@school.test"}, "password": {testPassword}, "name": {"X"}})
	if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("[data-testid=email-exists-login]").Length() != 1 {
		t.Fatalf("duplicate sign-up: %d, want the error with a sign-in link", res.StatusCode)
	}
	res, doc = a.postFormDoc(c, "/account/login", url.Values{"email": {"ana@school.test"}, "password": {"wrong password"}})
	if res.StatusCode != http.StatusUnauthorized || doc.Find("[data-testid=login-error]").Length() != 1 {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	res = a.postForm(c, "/account/login", url.Values{"email": {"ana@school.test"}, "password": {testPassword}, "next": {"//evil.test"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/account" {
		t.Fatalf("sign in: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	for range account.EmailMaxFailures {
		a.postForm(a.client(), "/account/login", url.Values{"email": {"ana@school.test"}, "password": {"wrong password"}})
	}
	if res := a.postForm(a.client(), "/account/login", url.Values{"email": {"ana@school.test"}, "password": {testPassword}}); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("locked: %d", res.StatusCode)
	}
}

// recordingMailer keeps the reset links it is asked to send.
type recordingMailer struct {
	mu    sync.Mutex
	links []string
}

func (m *recordingMailer) PasswordResetTx(_ context.Context, _ pgx.Tx, _, _, link string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.links = append(m.links, link)
	return nil
}

func TestPasswordResetFlow(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	m := &recordingMailer{}
	var err error
	if a.srv.accounts, err = account.NewService(a.pool, a.srv.audit, a.srv.contacts, m, "http://127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	a.student("ana@school.test")
	c := a.client()
	for _, email := range []string{"nobody@school.test", "ana@school.test"} {
		res, doc := a.postFormDoc(c, "/account/reset", url.Values{"email": {email}, "lang": {"fr"}})
		if res.StatusCode != http.StatusOK || doc.Find("[data-testid=reset-sent]").Length() != 1 {
			t.Fatalf("%s: %d, want the same answer for every e-mail", email, res.StatusCode)
		}
	}
	if len(m.links) != 1 {
		t.Fatalf("%d links sent, want 1", len(m.links))
	}
	path := strings.TrimPrefix(m.links[0], "http://127.0.0.1")
	if res, doc := a.get(c, path); res.StatusCode != http.StatusOK || doc.Find("[data-testid=new-password-form]").Length() != 1 {
		t.Fatalf("link: %d", res.StatusCode)
	}
	res := a.postForm(c, path, url.Values{"password": {"a brand new password"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d", res.StatusCode)
	}
	if res, _ := a.get(c, "/account"); res.StatusCode != http.StatusOK {
		t.Fatalf("not signed in after the reset: %d", res.StatusCode)
	}
	if res, doc := a.get(c, path); res.StatusCode != http.StatusGone || doc.Find("[data-testid=reset-invalid]").Length() != 1 {
		t.Fatalf("used link: %d", res.StatusCode)
	}
	if res := a.postForm(a.client(), "/account/login", url.Values{"email": {"ana@school.test"}, "password": {"a brand new password"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("new password: %d", res.StatusCode)
	}
}

func TestPublicPostRateLimit(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.srv.postLimits["reset"] = account.Limit{Max: 3, Window: 10 * 60e9}
	c := a.client()
	for i := range 3 {
		if res := a.postForm(c, "/account/reset", url.Values{"email": {"x@school.test"}}); res.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("post %d refused", i+1)
		}
	}
	res, doc := a.postFormDoc(c, "/account/reset", url.Values{"email": {"x@school.test"}, "lang": {"es"}})
	if res.StatusCode != http.StatusTooManyRequests || doc.Find("[data-testid=too-many]").Text() != "Has enviado este formulario demasiadas veces. Espera unos minutos y vuelve a intentarlo." {
		t.Fatalf("status %d", res.StatusCode)
	}
}

// TestSignUpCannotClaimKnownContact: signing up with the e-mail of a contact the school made (here through the
// API) signs nobody in; the page says a link went to that inbox.
func TestSignUpCannotClaimKnownContact(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	res, raw := a.api(a.apiKey(), "POST", "/api/v1/contacts", map[string]any{"email": "payer@example.org", "name": "Payer"}, nil)
	wantStatus(t, res, raw, http.StatusCreated)
	c := a.client()
	res, doc := a.postFormDoc(c, "/account/signup", url.Values{"email": {"payer@example.org"}, "password": {"someone else's"},
		"name": {"Mallory"}, "lang": {"en"}, "form_token": {newFormToken()}})
	if res.StatusCode != http.StatusOK || doc.Find("[data-testid=claim-sent]").Length() != 1 {
		t.Fatalf("sign-up with a known contact's e-mail: %d", res.StatusCode)
	}
	if res, _ := a.get(c, "/account"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the sign-up signed in: /account answered %d", res.StatusCode)
	}
	var accounts int
	_ = a.pool.QueryRow(a.ctx(), "SELECT count(*) FROM accounts").Scan(&accounts)
	if accounts != 0 {
		t.Fatalf("%d accounts", accounts)
	}
}
