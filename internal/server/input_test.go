package server

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/config"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/stripemock"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
)

// problemErrors decodes a problem document's field errors.
func problemErrors(t *testing.T, raw []byte) map[string]string {
	t.Helper()
	var p Problem
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("not a problem document: %s", raw)
	}
	return p.Errors
}

// TestNULRefusedEverywhere: a NUL byte or invalid UTF-8 in a filter, a form field, a JSON field or the path is bad
// input (400/422 naming the field), never a 500, and writes nothing.
func TestNULRefusedEverywhere(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	admin := a.owner()
	key := a.apiKey()

	t.Run("AdminFilters", func(t *testing.T) {
		for _, path := range []string{"/admin/contacts?q=%00", "/admin/contacts?q=ana%ff", "/admin/orders?email=a%00b",
			"/admin/orders?status=%00", "/admin/audit?q=%00"} {
			res, doc := a.get(admin, path)
			wantStatus(t, res, nil, http.StatusUnprocessableEntity)
			if body := doc.Text(); !strings.Contains(body, "NUL") {
				t.Errorf("%s: the answer does not say what is wrong: %q", path, body)
			}
		}
	})
	t.Run("APIFilters", func(t *testing.T) {
		for path, field := range map[string]string{"/api/v1/contacts?q=%00": "q", "/api/v1/contacts?email=a%00@b.c": "email",
			"/api/v1/orders?email=%ff": "email", "/api/v1/transactions?x%00=1": "x"} {
			res, raw := a.api(key, "GET", path, nil, nil)
			wantStatus(t, res, raw, http.StatusUnprocessableEntity)
			if got := problemErrors(t, raw)[field]; got == "" {
				t.Errorf("%s: no message on %s: %s", path, field, raw)
			}
		}
	})
	t.Run("APIBodies", func(t *testing.T) {
		tests := []struct {
			name, path, body, field string
		}{
			{"Name", "/api/v1/contacts", `{"email":"ana@example.com","name":"Ana\u0000"}`, "name"},
			{"CustomField", "/api/v1/contacts", `{"email":"ana@example.com","custom_fields":{"level":"B\u00002"}}`, "custom_fields.level"},
			{"ProductName", "/api/v1/products", `{"name":"French\u0000","kind":"course"}`, "name"},
		}
		for _, tt := range tests {
			res, raw := a.api(key, "POST", tt.path, tt.body, nil)
			wantStatus(t, res, raw, http.StatusUnprocessableEntity)
			if got := problemErrors(t, raw)[tt.field]; got == "" {
				t.Errorf("%s: no message on %s: %s", tt.name, tt.field, raw)
			}
		}
		// A written backslash before u0000 is text, not a NUL byte.
		res, raw := a.api(key, "POST", "/api/v1/contacts", `{"email":"bob@example.com","name":"Bob \\u0000"}`, nil)
		wantStatus(t, res, raw, http.StatusCreated)
	})
	t.Run("AdminForm", func(t *testing.T) {
		_, doc := a.get(admin, "/admin/contacts/new")
		token, _ := doc.Find(`input[name=form_token]`).Attr("value")
		res, doc := a.postFormDoc(admin, "/admin/contacts", url.Values{"form_token": {token}, "email": {"eve@example.com"},
			"name": {"Eve\x00"}})
		wantStatus(t, res, nil, http.StatusUnprocessableEntity)
		if !strings.Contains(doc.Text(), "name") {
			t.Errorf("the answer does not name the field: %q", doc.Text())
		}
	})
	t.Run("IdempotencyKey", func(t *testing.T) {
		res, raw := a.api(key, "POST", "/api/v1/contacts", `{"email":"ida@example.com"}`, nil, "Idempotency-Key", "k\xff")
		wantStatus(t, res, raw, http.StatusBadRequest)
	})
	t.Run("Path", func(t *testing.T) {
		res, _ := a.get(a.client(), "/o/french%00course")
		wantStatus(t, res, nil, http.StatusBadRequest)
		res, raw := a.api(key, "GET", "/api/v1/contacts/1%00", nil, nil)
		wantStatus(t, res, raw, http.StatusBadRequest)
	})
	if n := a.countRows("SELECT count(*) FROM contacts WHERE email <> 'bob@example.com'"); n != 0 {
		t.Errorf("%d contacts written by bad input", n)
	}
	if n := a.countRows("SELECT count(*) FROM products"); n != 0 {
		t.Errorf("%d products written by bad input", n)
	}
}

// TestWebhookRefusesMalformedEvent: a correctly signed Stripe event whose id holds a NUL byte, or whose currency
// is not ISO 4217, is a bad notification (400) with nothing stored, and the order stays as it was.
func TestWebhookRefusesMalformedEvent(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := newStripeFixture(t, a)
	att := f.openOrder(t, a, "ana@example.com", "cs_test_bad")
	paid := func(evtID, currency string) []byte {
		return sessionEvent(evtID, "checkout.session.completed", stripeSession{ID: "cs_test_bad", Status: "complete",
			PaymentStatus: "paid", Currency: currency, Amount: att.Order.Price.Amount, OrderID: att.Order.ID,
			Email: "payer@example.com"})
	}
	tests := []struct {
		name string
		body []byte
	}{
		{"NULInEventID", paid("evt_\x00nul", "eur")},
		{"NULInPayerEmail", []byte(strings.Replace(string(paid("evt_email", "eur")), "payer@", `pay\u0000er@`, 1))},
		{"UnknownCurrency", paid("evt_currency", "xx1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !json.Valid(tt.body) {
				t.Fatalf("test body is not JSON: %s", tt.body)
			}
			if code := a.deliverSigned(f.sys.ID, tt.body); code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", code)
			}
		})
	}
	if n := a.countRows("SELECT count(*) FROM gateway_events"); n != 0 {
		t.Errorf("%d gateway events stored", n)
	}
	if n := a.countRows("SELECT count(*) FROM payment_exceptions"); n != 0 {
		t.Errorf("%d payment exceptions opened", n)
	}
	if st := a.orderStatus(att.Order.ID); st != order.StatusOpen {
		t.Errorf("order %s, want open", st)
	}
	// The same event, well formed, is taken.
	if code := a.deliverSigned(f.sys.ID, paid("evt_good", "eur")); code != http.StatusOK {
		t.Fatalf("well-formed event: status %d", code)
	}
}

// TestGatewayErrorLogRedacted: Stripe refusing a key (stripe-mock echoes the Authorization header, as Stripe's
// "Invalid API Key provided: sk_…" does) leaves no key in the log.
func TestGatewayErrorLogRedacted(t *testing.T) {
	t.Parallel()
	const secret = "sk_live_51RedactMe0123456789abcdefABCDEF"
	a := newGatewayApp(t, stripemock.Start(t)) // stripe-mock takes test keys only: a live key is refused
	sys, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypeStripe, Name: "Live cards",
		Mode: gateway.ModeLive, Enabled: true,
		Credentials: map[string]string{"secret_key": secret, "webhook_secret": "whsec_RedactMeToo0123456789"}})
	if err != nil {
		t.Fatal(err)
	}
	a.offer(func(in *offer.Input) {
		in.Title, in.Slug, in.PaymentSystemIDs = "Live course", "live-course", []int64{sys.ID}
		in.Contact = offer.Contact{Email: "hello@school.test"}
	})
	pay := "/o/live-course/pay?system=" + itoa(sys.ID)
	c := a.student("ana@example.com")
	_, doc := a.get(c, pay)
	token, _ := doc.Find(`input[name="form_token"]`).Attr("value")
	res, _ := a.postFormDoc(c, pay, url.Values{"form_token": {token}})
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("pay with a refused key: status %d, want 503", res.StatusCode)
	}
	logged := a.log.String()
	if !strings.Contains(logged, "gateway checkout failed") {
		t.Fatalf("the failure was not logged:\n%s", logged)
	}
	for _, s := range []string{"RedactMe", strings.TrimPrefix(secret, "sk_live_")} {
		if strings.Contains(logged, s) {
			t.Fatalf("the log shows the key:\n%s", logged)
		}
	}
}

// TestHSTS: with an https public URL every response (pages, the API, errors) says Strict-Transport-Security;
// with an http one none does.
func TestHSTS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, baseURL, want string
	}{
		{"HTTPS", "https://school.example", "max-age=31536000; includeSubDomains"},
		{"HTTP", "http://127.0.0.1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Config{DataDir: t.TempDir(), BaseURL: tt.baseURL}.WithDefaults()
			if err != nil {
				t.Fatal(err)
			}
			srv, _ := newServer(t, Deps{Config: cfg, Log: slog.New(slog.DiscardHandler), Pool: dbtest.New(t)})
			ts := httptest.NewServer(validateAPI(t, srv.Handler()))
			t.Cleanup(ts.Close)
			for _, path := range []string{"/healthz", "/admin/login", "/api/v1/products", "/no-such-page", "/o/a%00b"} {
				res, err := http.Get(ts.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if got := res.Header.Get("Strict-Transport-Security"); got != tt.want {
					t.Errorf("%s (%d): Strict-Transport-Security %q, want %q", path, res.StatusCode, got, tt.want)
				}
			}
		})
	}
}

// TestAPIAccessDays: days is 1–36500 when given; an explicit 0 (or a negative or larger number) is a field error,
// not forever, and leaves the contact's grant as it was. Forever is asked for by leaving days out.
func TestAPIAccessDays(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	key := a.apiKey()
	product := a.testProduct("French B2")
	ana, err := a.srv.contacts.Create(a.ctx(), crm.Input{Email: "ana@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	var g grantJSON
	res, raw := a.api(key, "POST", "/api/v1/access", map[string]any{"contact_id": ana.ID, "product_id": product, "days": 5}, &g)
	wantStatus(t, res, raw, http.StatusCreated)
	if g.EndsAt == nil || g.EndsAt.After(time.Now().AddDate(0, 0, 6)) {
		t.Fatalf("5-day grant ends %v", g.EndsAt)
	}
	end := *g.EndsAt
	for _, days := range []string{"0", "-1", "36501"} {
		t.Run("Days"+days, func(t *testing.T) {
			body := fmt.Sprintf(`{"contact_id": %d, "product_id": %d, "days": %s}`, ana.ID, product, days)
			res, raw := a.api(key, "POST", "/api/v1/access", body, nil)
			wantStatus(t, res, raw, http.StatusUnprocessableEntity)
			if got := problemErrors(t, raw)["days"]; got != "must be a whole number from 1 to 36500" {
				t.Errorf("days message %q", got)
			}
		})
	}
	var after grantJSON
	res, raw = a.api(key, "GET", fmt.Sprintf("/api/v1/access/%d", g.ID), nil, &after)
	wantStatus(t, res, raw, http.StatusOK)
	if after.EndsAt == nil || !after.EndsAt.Equal(end) {
		t.Fatalf("the 5-day grant now ends %v, want %v", after.EndsAt, end)
	}
	if n := a.countRows("SELECT count(*) FROM access_grants"); n != 1 {
		t.Fatalf("%d grants", n)
	}
	// The largest number is taken, and leaving days out (or null) is forever, as documented.
	res, raw = a.api(key, "POST", "/api/v1/access", map[string]any{"contact_id": ana.ID, "product_id": product, "days": 36500}, &after)
	wantStatus(t, res, raw, http.StatusOK)
	res, raw = a.api(key, "POST", "/api/v1/access", map[string]any{"contact_id": ana.ID, "product_id": product, "days": nil}, &after)
	wantStatus(t, res, raw, http.StatusOK)
	if after.EndsAt != nil {
		t.Fatalf("days null: ends %v, want forever", after.EndsAt)
	}
}

// TestWayForPayWebhookUnknownCurrency: the ISO 4217 check holds for every gateway, not only Stripe's: a correctly
// signed WayForPay notification in "XX1" is refused (400) with nothing stored. (WayForPay's parser already refused
// it through money.ParseExact; the registry's Event.Validate now guarantees it whatever a parser does.)
func TestWayForPayWebhookUnknownCurrency(t *testing.T) {
	t.Parallel()
	f := newWayforpayFixture(t)
	a := f.a
	att := f.checkout(t, "eve@example.com")
	att.fields = maps.Clone(att.fields)
	att.fields.Set("currency", "XX1")
	res, raw := wayforpayDeliver(t, a, f.sys.ID, "application/json",
		wayforpayNotification(att, wayforpaySecret, "Approved", "1100", "eve@example.com"))
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %s", res.StatusCode, raw)
	}
	if n := a.countRows("SELECT count(*) FROM gateway_events"); n != 0 {
		t.Errorf("%d gateway events stored", n)
	}
	if n := a.countRows("SELECT count(*) FROM payment_exceptions"); n != 0 {
		t.Errorf("%d payment exceptions opened", n)
	}
}
