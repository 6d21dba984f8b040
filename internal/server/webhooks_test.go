package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/bursar/bursar/internal/config"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
)

const testWebhookSecret = "whsec_test_bursar"

// newGatewayApp is newTestApp with Stripe's API at stripeURL (stripe-mock, or a fake answering errors).
func newGatewayApp(t testing.TB, stripeURL string) *testApp {
	t.Helper()
	return newGatewaysApp(t, map[string]string{gateway.TypeStripe: stripeURL})
}

// newGatewaysApp is newTestApp with each gateway type's API at apiURLs[type] (BURSAR_<TYPE>_API_URL).
func newGatewaysApp(t testing.TB, apiURLs map[string]string) *testApp {
	t.Helper()
	return newGatewaysAppOn(t, dbtest.New(t), apiURLs)
}

// newGatewaysAppOn is newGatewaysApp on pool (one from dbtest.NewCounted, say).
func newGatewaysAppOn(t testing.TB, pool *pgxpool.Pool, apiURLs map[string]string) *testApp {
	t.Helper()
	var logBuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg, err := config.Config{DataDir: t.TempDir(), BaseURL: "http://127.0.0.1",
		GatewayAPIURLs: apiURLs}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	srv, ap := newServer(t, Deps{Config: cfg, Log: log, Pool: pool})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	t.Cleanup(func() {
		if t.Failed() && logBuf.Len() > 0 {
			t.Logf("server log:\n%s", logBuf.String())
		}
	})
	return &testApp{t: t, srv: srv, app: ap, ts: ts, pool: pool, log: &logBuf}
}

// stripeFixture is a school selling "Stripe course" (49.00 EUR, one product) through a Stripe payment system.
type stripeFixture struct {
	sys   gateway.System
	offer offer.Offer
}

func newStripeFixture(t testing.TB, a *testApp) stripeFixture {
	t.Helper()
	sys, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypeStripe, Name: "Cards",
		Mode: gateway.ModeTest, Enabled: true,
		Credentials: map[string]string{"secret_key": "sk_test_123", "webhook_secret": testWebhookSecret}})
	if err != nil {
		t.Fatal(err)
	}
	of := a.offer(func(in *offer.Input) {
		in.Title, in.Slug, in.PaymentSystemIDs = "Stripe course", "stripe-course", []int64{sys.ID}
		in.SuccessMessage, in.Contact = "Welcome aboard!", offer.Contact{Email: "hello@school.test"}
	})
	return stripeFixture{sys: sys, offer: of}
}

// openOrder opens a gateway order for a new contact email, with its pending attempt referenced as ref.
func (f stripeFixture) openOrder(t testing.TB, a *testApp, email, ref string) order.Attempt {
	t.Helper()
	c, err := a.srv.contacts.Create(a.ctx(), crm.Input{Email: email})
	if err != nil {
		t.Fatal(err)
	}
	att, err := a.srv.orders.OpenGateway(a.ctx(), order.NewGateway{OfferID: f.offer.ID, ContactID: c.ID,
		PaymentSystemID: f.sys.ID, Channel: order.ChannelCheckout})
	if err != nil {
		t.Fatal(err)
	}
	if ref != "" {
		if err := a.srv.orders.AttachRef(a.ctx(), att.Payment.ID, ref); err != nil {
			t.Fatal(err)
		}
	}
	return att
}

// stripeSession is a checkout.session.* event's object.
type stripeSession struct {
	ID, Status, PaymentStatus, Currency, Email, PaymentIntent string
	OrderID, Amount                                           int64
}

// sessionEvent is a Stripe event about a Checkout Session, as Stripe sends it.
func sessionEvent(evtID, typ string, s stripeSession) []byte {
	obj := map[string]any{"id": s.ID, "object": "checkout.session", "mode": "payment", "status": s.Status,
		"payment_status": s.PaymentStatus, "amount_total": s.Amount, "currency": s.Currency,
		"client_reference_id": fmt.Sprint(s.OrderID), "metadata": map[string]string{"order_id": fmt.Sprint(s.OrderID)},
		"customer_details": map[string]any{"email": s.Email}}
	if s.PaymentIntent != "" {
		obj["payment_intent"] = s.PaymentIntent
	}
	return stripeEvent(evtID, typ, obj)
}

func stripeEvent(evtID, typ string, obj map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"id": evtID, "object": "event", "api_version": "2023-10-16",
		"created": time.Now().Unix(), "type": typ, "livemode": false, "data": map[string]any{"object": obj}})
	return b
}

// paidEvent is checkout.session.completed, paid, for the attempt's order and amount.
func paidEvent(evtID string, att order.Attempt, ref string) []byte {
	return sessionEvent(evtID, "checkout.session.completed", stripeSession{ID: ref, Status: "complete",
		PaymentStatus: "paid", Currency: strings.ToLower(att.Order.Price.Currency), Amount: att.Order.Price.Amount,
		OrderID: att.Order.ID, Email: "payer@example.com", PaymentIntent: "pi_" + strings.TrimPrefix(ref, "cs_")})
}

// stripeSignature signs body as Stripe does: v1 = HMAC-SHA256(secret, "<t>.<body>").
func stripeSignature(secret string, at time.Time, body []byte) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at}).Header
}

// deliver posts a notification to the webhook of system id with the signature header sig ("" for none).
func (a *testApp) deliver(id int64, body []byte, sig string) (int, string) {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/webhooks/%d", a.ts.URL, id), bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set("Stripe-Signature", sig)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

// deliverSigned posts body signed now with the fixture's webhook secret.
func (a *testApp) deliverSigned(id int64, body []byte) int {
	a.t.Helper()
	code, _ := a.deliver(id, body, stripeSignature(testWebhookSecret, time.Now(), body))
	return code
}

func (a *testApp) orderStatus(id int64) order.Status {
	a.t.Helper()
	o, err := a.srv.orders.Get(a.ctx(), id)
	if err != nil {
		a.t.Fatal(err)
	}
	return o.Status
}

func exceptionKinds(t *testing.T, a *testApp) []string {
	t.Helper()
	page, err := a.srv.orders.Inbox(a.ctx(), order.InboxFilter{Limit: order.MaxList})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, x := range page.Items {
		out = append(out, string(x.Kind))
	}
	return out
}

func TestWebhookRejectsUnauthentic(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := newStripeFixture(t, a)
	att := f.openOrder(t, a, "ana@example.com", "cs_test_sig")
	body := paidEvent("evt_sig", att, "cs_test_sig")
	now := time.Now()
	tests := []struct {
		name string
		body []byte
		sig  string
	}{
		{"Forged", body, stripeSignature("whsec_someone_else", now, body)},
		{"Tampered", bytes.Replace(body, []byte(`"amount_total":4900`), []byte(`"amount_total":1`), 1),
			stripeSignature(testWebhookSecret, now, body)},
		{"Stale", body, stripeSignature(testWebhookSecret, now.Add(-6*time.Minute), body)},
		{"Future", body, stripeSignature(testWebhookSecret, now.Add(6*time.Minute), body)},
		{"NoSignature", body, ""},
		{"Malformed", body, "t=abc,v1=zz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _ := a.deliver(f.sys.ID, tt.body, tt.sig); code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", code)
			}
		})
	}
	if n := countRows(t, a, "SELECT count(*) FROM gateway_events"); n != 0 {
		t.Errorf("%d gateway events stored, want 0", n)
	}
	if n := countRows(t, a, "SELECT count(*) FROM payment_exceptions"); n != 0 {
		t.Errorf("%d exceptions, want 0", n)
	}
	if st := a.orderStatus(att.Order.ID); st != order.StatusOpen {
		t.Errorf("order %s, want open", st)
	}
	if strings.Contains(a.log.String(), "payer@example.com") {
		t.Error("a rejected body was logged")
	}
}

func TestWebhookRoutes(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := newStripeFixture(t, a)
	manual := a.paymentSystem("Bank")
	off, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypeStripe, Name: "Off",
		Mode: gateway.ModeTest, Credentials: map[string]string{"secret_key": "sk_test_off", "webhook_secret": testWebhookSecret}})
	if err != nil {
		t.Fatal(err)
	}
	att := f.openOrder(t, a, "ana@example.com", "cs_test_big")
	ok := paidEvent("evt_route", att, "cs_test_big")
	big := append(bytes.Repeat([]byte(" "), 300<<10), ok...)
	tests := []struct {
		name string
		path string
		body []byte
		want int
	}{
		{"UnknownSystem", "/webhooks/999999", ok, http.StatusNotFound},
		{"MalformedID", "/webhooks/x", ok, http.StatusNotFound},
		{"ManualHasNoWebhook", "/webhooks/" + manual, ok, http.StatusNotFound},
		{"Disabled", fmt.Sprintf("/webhooks/%d", off.ID), ok, http.StatusNotFound},
		{"Oversized", fmt.Sprintf("/webhooks/%d", f.sys.ID), big, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, a.ts.URL+tt.path, bytes.NewReader(tt.body))
			req.Header.Set("Stripe-Signature", stripeSignature(testWebhookSecret, time.Now(), tt.body))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.want)
			}
		})
	}
	if n := countRows(t, a, "SELECT count(*) FROM gateway_events"); n != 0 {
		t.Errorf("%d gateway events stored, want 0", n)
	}
	if st := a.orderStatus(att.Order.ID); st != order.StatusOpen {
		t.Errorf("order %s, want open", st)
	}
}

func TestWebhookPaidAppliedOnce(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := newStripeFixture(t, a)
	att := f.openOrder(t, a, "ana@example.com", "cs_test_once")
	body := paidEvent("evt_once", att, "cs_test_once")
	// The same event to 8 processes at once, then again later.
	var wg sync.WaitGroup
	codes := make(chan int, 8)
	for range 8 {
		wg.Go(func() { codes <- a.deliverSigned(f.sys.ID, body) })
	}
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != http.StatusOK {
			t.Fatalf("concurrent delivery: status %d", code)
		}
	}
	if code := a.deliverSigned(f.sys.ID, body); code != http.StatusOK {
		t.Fatalf("redelivery: status %d", code)
	}
	// Another event about the same payment (async_payment_succeeded) finds it applied.
	again := sessionEvent("evt_once_async", "checkout.session.async_payment_succeeded", stripeSession{ID: "cs_test_once",
		Status: "complete", PaymentStatus: "paid", Currency: "eur", Amount: 4900, OrderID: att.Order.ID})
	if code := a.deliverSigned(f.sys.ID, again); code != http.StatusOK {
		t.Fatalf("second event: status %d", code)
	}
	d, err := a.srv.orders.Detail(a.ctx(), att.Order.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != order.StatusCompleted || len(d.Grants) != 1 {
		t.Fatalf("order %s with %d grants, want completed with 1", d.Status, len(d.Grants))
	}
	p := d.Payments[len(d.Payments)-1]
	if p.Status != order.PaymentSucceeded || p.GatewayRef != "cs_test_once" || p.PayerEmail != "payer@example.com" {
		t.Errorf("payment %+v", p)
	}
	checks := []struct {
		name, query string
		want        int
	}{
		{"EventsStored", "SELECT count(*) FROM gateway_events", 2},
		{"Processed", "SELECT count(*) FROM gateway_events WHERE processed_at IS NOT NULL", 2},
		{"Completed", "SELECT count(*) FROM gateway_events WHERE result = 'completed'", 1},
		{"AlreadyPaid", "SELECT count(*) FROM gateway_events WHERE result = 'already_paid'", 1},
		{"OneCompletion", "SELECT count(*) FROM order_events WHERE kind = 'order.completed'", 1},
		{"RawEventOnTimeline", "SELECT count(*) FROM order_events WHERE kind = 'gateway.event' AND message LIKE '%evt_once%'", 2},
		{"OneEmail", "SELECT count(*) FROM outbound_emails WHERE dedup_key LIKE 'order:%:completed'", 1},
		{"NoExceptions", "SELECT count(*) FROM payment_exceptions", 0},
	}
	for _, c := range checks {
		if n := countRows(t, a, c.query); n != c.want {
			t.Errorf("%s: %d, want %d", c.name, n, c.want)
		}
	}
	if n := countRows(t, a, "SELECT count(*) FROM gateway_events WHERE event_id = 'evt_once' AND body = $1", string(body)); n != 1 {
		t.Error("the event's body was not stored verbatim")
	}
}

func TestWebhookExceptions(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := newStripeFixture(t, a)
	tests := []struct {
		name       string
		ev         func(att order.Attempt) []byte
		wantKind   string
		wantStatus order.Status
	}{
		{"AmountMismatch", func(att order.Attempt) []byte {
			return sessionEvent("evt_amount", "checkout.session.completed", stripeSession{ID: "cs_AmountMismatch",
				Status: "complete", PaymentStatus: "paid", Currency: "eur", Amount: 100, OrderID: att.Order.ID})
		}, "amount_mismatch", order.StatusOpen},
		{"CurrencyMismatch", func(att order.Attempt) []byte {
			return sessionEvent("evt_currency", "checkout.session.completed", stripeSession{ID: "cs_CurrencyMismatch",
				Status: "complete", PaymentStatus: "paid", Currency: "usd", Amount: 4900, OrderID: att.Order.ID})
		}, "currency_mismatch", order.StatusOpen},
		{"UnknownOrder", func(order.Attempt) []byte {
			return sessionEvent("evt_unknown", "checkout.session.completed", stripeSession{ID: "cs_nobody",
				Status: "complete", PaymentStatus: "paid", Currency: "eur", Amount: 4900, OrderID: 99999999})
		}, "unknown_order", order.StatusOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			att := f.openOrder(t, a, strings.ToLower(tt.name)+"@example.com", "cs_"+tt.name)
			if code := a.deliverSigned(f.sys.ID, tt.ev(att)); code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			if st := a.orderStatus(att.Order.ID); st != tt.wantStatus {
				t.Errorf("order %s, want %s", st, tt.wantStatus)
			}
			if n := countRows(t, a, "SELECT count(*) FROM payment_exceptions WHERE kind = $1 AND status = 'open'", tt.wantKind); n != 1 {
				t.Errorf("%d %s exceptions, want 1", n, tt.wantKind)
			}
			if n := countRows(t, a, "SELECT count(*) FROM gateway_events WHERE result = $1", "exception:"+tt.wantKind); n != 1 {
				t.Errorf("stored event with the exception's result: %d, want 1", n)
			}
		})
	}
	if n := countRows(t, a, "SELECT count(*) FROM order_grants"); n != 0 {
		t.Errorf("%d grants, want 0", n)
	}
}

func TestWebhookLatePaymentAndRefunds(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := newStripeFixture(t, a)

	// Late: paid, refunded by a manager, then another session of the same order is paid.
	late := f.openOrder(t, a, "late@example.com", "cs_late_a")
	if code := a.deliverSigned(f.sys.ID, paidEvent("evt_late_a", late, "cs_late_a")); code != http.StatusOK {
		t.Fatalf("paid: status %d", code)
	}
	if _, err := a.srv.orders.Refund(a.ctx(), late.Order.ID, "changed mind"); err != nil {
		t.Fatal(err)
	}
	if code := a.deliverSigned(f.sys.ID, paidEvent("evt_late_b", late, "cs_late_b")); code != http.StatusOK {
		t.Fatalf("late: status %d", code)
	}
	if st := a.orderStatus(late.Order.ID); st != order.StatusRefunded {
		t.Errorf("late payment changed the refunded order to %s", st)
	}
	if n := countRows(t, a, "SELECT count(*) FROM payment_exceptions WHERE kind = 'late_payment' AND order_id = $1", late.Order.ID); n != 1 {
		t.Errorf("%d late_payment exceptions, want 1", n)
	}

	// Outside refunds: part in Stripe's dashboard, then the rest; the order becomes refunded and access revoked.
	out := f.openOrder(t, a, "outside@example.com", "cs_out")
	if code := a.deliverSigned(f.sys.ID, paidEvent("evt_out_paid", out, "cs_out")); code != http.StatusOK {
		t.Fatalf("paid: status %d", code)
	}
	refund := func(evt string, refunded int64) []byte {
		return stripeEvent(evt, "charge.refunded", map[string]any{"id": "ch_out", "object": "charge",
			"amount": 4900, "currency": "eur", "amount_refunded": refunded, "payment_intent": "pi_out", "refunded": refunded == 4900})
	}
	for _, step := range []struct {
		evt      string
		refunded int64
		want     order.Status
	}{{"evt_ref_1", 1000, order.StatusCompleted}, {"evt_ref_1", 1000, order.StatusCompleted},
		{"evt_ref_2", 4900, order.StatusRefunded}} {
		if code := a.deliverSigned(f.sys.ID, refund(step.evt, step.refunded)); code != http.StatusOK {
			t.Fatalf("%s: status %d", step.evt, code)
		}
		if st := a.orderStatus(out.Order.ID); st != step.want {
			t.Fatalf("after %s: order %s, want %s", step.evt, st, step.want)
		}
	}
	if n := countRows(t, a, `SELECT coalesce(sum(r.amount), 0) FROM refunds r JOIN payments p ON p.id = r.payment_id
		WHERE p.order_id = $1`, out.Order.ID); n != 4900 {
		t.Errorf("refunded %d in all, want 4900", n)
	}
	if n := countRows(t, a, "SELECT count(*) FROM payment_exceptions WHERE kind = 'outside_refund' AND order_id = $1", out.Order.ID); n != 2 {
		t.Errorf("%d outside_refund exceptions, want 2", n)
	}
	if n := countRows(t, a, `SELECT count(*) FROM access_grants g JOIN order_grants og ON og.grant_id = g.id
		WHERE og.order_id = $1 AND g.revoked_at IS NULL`, out.Order.ID); n != 0 {
		t.Errorf("%d grants still active after the full refund", n)
	}
}
