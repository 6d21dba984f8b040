package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway/stripemock"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
)

// paidUSDOrder is a gateway order of f (usdFixture) for a new contact email, paid through the Stripe fixture's
// system and completed by its signed webhook.
func paidUSDOrder(t *testing.T, a *testApp, f stripeFixture, email, ref string) order.Attempt {
	t.Helper()
	att := f.openOrder(t, a, email, ref)
	if code := a.deliverSigned(f.sys.ID, paidEvent("evt_paid_"+ref, att, ref)); code != http.StatusOK {
		t.Fatalf("paid webhook: status %d", code)
	}
	if st := a.orderStatus(att.Order.ID); st != order.StatusCompleted {
		t.Fatalf("order %s after the paid webhook", st)
	}
	return att
}

// usdFixture is the Stripe fixture selling its course for 49.00 USD: stripe-mock's payment intents are in USD, and
// the provider refuses to refund in another currency than the payment's.
func usdFixture(t *testing.T, a *testApp) stripeFixture {
	t.Helper()
	f := newStripeFixture(t, a)
	f.offer = a.offer(func(in *offer.Input) {
		in.Title, in.Slug, in.Currency, in.PaymentSystemIDs = "Card course", "card-course", "USD", []int64{f.sys.ID}
	})
	return f
}

// refundedWebhook is Stripe's charge.refunded for the payment intent of ref, refunded in total.
func refundedWebhook(evtID, ref, currency string, total int64) []byte {
	return stripeEvent(evtID, "charge.refunded", map[string]any{"id": "ch_" + ref, "object": "charge", "amount": 4900,
		"currency": currency, "amount_refunded": total, "payment_intent": "pi_" + strings.TrimPrefix(ref, "cs_"),
		"refunded": total == 4900})
}

func activeOrderGrants(t *testing.T, a *testApp, orderID int64) int {
	t.Helper()
	return countRows(t, a, `SELECT count(*) FROM access_grants g JOIN order_grants og ON og.grant_id = g.id
		WHERE og.order_id = $1 AND g.revoked_at IS NULL`, orderID)
}

func TestAdminRefundThroughStripe(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	c := a.owner()
	f := usdFixture(t, a)
	att := paidUSDOrder(t, a, f, "ana@example.com", "cs_test_refund")
	page := orderURL(att.Order.ID)

	_, doc := a.get(c, page)
	form := doc.Find(`[data-testid="gateway-refund-form"]`)
	if form.Length() != 1 || doc.Find(`[data-testid="refund-form"]`).Length() != 0 {
		t.Fatal("a completed Stripe order shows no gateway refund form (or the manual one)")
	}
	if v, _ := form.Find(`input[name="amount"]`).Attr("value"); v != "49.00" {
		t.Errorf("amount prefilled %q, want 49.00", v)
	}
	if got := doc.Find(`[data-testid="refund-left"]`).Text(); !strings.Contains(got, "$49.00") {
		t.Errorf("left = %q", got)
	}
	if got := doc.Find(`[data-testid="refund-confirm-text"]`).Text(); !strings.Contains(got, "cannot be undone") {
		t.Errorf("confirm wording = %q", got)
	}
	pid, _ := form.Find(`input[name="payment_id"]`).Attr("value")

	tests := []struct {
		name      string
		form      url.Values
		wantField string
	}{
		{"NotConfirmed", url.Values{"amount": {"10.00"}}, "refund-confirm-error"},
		{"TooMuch", url.Values{"amount": {"49.01"}, "confirm": {"yes"}}, "refund-amount-error"},
		{"Zero", url.Values{"amount": {"0"}, "confirm": {"yes"}}, "refund-amount-error"},
		{"NotANumber", url.Values{"amount": {"ten"}, "confirm": {"yes"}}, "refund-amount-error"},
		{"ThreeDecimals", url.Values{"amount": {"1.001"}, "confirm": {"yes"}}, "refund-amount-error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.form.Set("payment_id", pid)
			tt.form.Set("reason", "kept as typed")
			res, doc := a.postFormDoc(c, page+"/refund", tt.form)
			if res.StatusCode != http.StatusUnprocessableEntity || doc.Find(`[data-testid="`+tt.wantField+`"]`).Length() != 1 {
				t.Fatalf("status %d, %s shown: %d", res.StatusCode, tt.wantField, doc.Find(`[data-testid="`+tt.wantField+`"]`).Length())
			}
			if got := doc.Find(`#refund-reason`).Text(); got != "kept as typed" {
				t.Errorf("reason not kept: %q", got)
			}
		})
	}
	if n := countRows(t, a, "SELECT count(*) FROM refunds"); n != 0 {
		t.Fatalf("%d refunds after refused forms", n)
	}

	// Part of it.
	res := a.postForm(c, page+"/refund", url.Values{"payment_id": {pid}, "amount": {"10.00"}, "reason": {"missed a week"},
		"confirm": {"yes"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page {
		t.Fatalf("partial refund: status %d, Location %q", res.StatusCode, res.Header.Get("Location"))
	}
	_, doc = a.get(c, page)
	if got := doc.Find(`[data-testid="flash"]`).Text(); !strings.Contains(got, "Refunded $10.00 through Cards") {
		t.Errorf("flash = %q", got)
	}
	if st := doc.Find(`[data-testid="payment-row"]`).AttrOr("data-status", ""); st != order.PaymentPartiallyRefunded {
		t.Errorf("payment %s, want partially_refunded", st)
	}
	rf := doc.Find(`[data-testid="refund"]`)
	if rf.Length() != 1 || rf.AttrOr("data-status", "") != "succeeded" || !strings.Contains(rf.Text(), "(re_") ||
		!strings.Contains(rf.Text(), "missed a week") {
		t.Errorf("refund row %q", rf.Text())
	}
	if v, _ := doc.Find(`[data-testid="gateway-refund-form"] input[name="amount"]`).Attr("value"); v != "39.00" {
		t.Errorf("amount prefilled %q after the partial refund, want 39.00", v)
	}
	if st := a.orderStatus(att.Order.ID); st != order.StatusCompleted || activeOrderGrants(t, a, att.Order.ID) != 1 {
		t.Fatalf("after a partial refund: order %s, active grants %d", st, activeOrderGrants(t, a, att.Order.ID))
	}

	// The rest.
	res = a.postForm(c, page+"/refund", url.Values{"payment_id": {pid}, "amount": {"39.00"}, "confirm": {"yes"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("full refund: status %d", res.StatusCode)
	}
	_, doc = a.get(c, page)
	if got := doc.Find(`[data-testid="flash"]`).Text(); !strings.Contains(got, "is refunded and the access it granted is revoked") {
		t.Errorf("flash = %q", got)
	}
	if doc.Find(`[data-testid="gateway-refund-form"]`).Length() != 0 || doc.Find(`[data-testid="refund-form"]`).Length() != 0 {
		t.Error("a refunded order still offers a refund")
	}
	if st := doc.Find(`[data-testid="payment-row"]`).AttrOr("data-status", ""); st != order.PaymentRefunded {
		t.Errorf("payment %s, want refunded", st)
	}
	if st := a.orderStatus(att.Order.ID); st != order.StatusRefunded || activeOrderGrants(t, a, att.Order.ID) != 0 {
		t.Fatalf("after the full refund: order %s, active grants %d", st, activeOrderGrants(t, a, att.Order.ID))
	}

	// Stripe's own notification of the refunds arrives afterwards: known, not an outside refund.
	if code := a.deliverSigned(f.sys.ID, refundedWebhook("evt_refunded", "cs_test_refund", "usd", 4900)); code != http.StatusOK {
		t.Fatalf("charge.refunded: status %d", code)
	}
	checks := []struct {
		name, query string
		want        int
	}{
		{"RefundKnown", "SELECT count(*) FROM gateway_events WHERE event_id = 'evt_refunded' AND result = 'refund_known'", 1},
		{"NoExceptions", "SELECT count(*) FROM payment_exceptions", 0},
		{"RefundedInAll", "SELECT coalesce(sum(amount), 0) FROM refunds WHERE status = 'succeeded'", 4900},
		{"TwoRefunds", "SELECT count(*) FROM refunds WHERE gateway_ref LIKE 're_%'", 2},
		{"OneRefundEmail", "SELECT count(*) FROM outbound_emails WHERE dedup_key LIKE 'order:%:refunded'", 1},
	}
	for _, c := range checks {
		if n := countRows(t, a, c.query); n != c.want {
			t.Errorf("%s: %d, want %d", c.name, n, c.want)
		}
	}
}

func TestAPIRefundThroughStripe(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	key := a.apiKey()
	f := usdFixture(t, a)

	t.Run("ConcurrentFullRefunds", func(t *testing.T) {
		att := paidUSDOrder(t, a, f, "race@example.com", "cs_test_race")
		const n = 6
		codes := make(chan int, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				res, _ := a.api(key, "POST", "/api/v1/orders/"+itoa(att.Order.ID)+"/refund", map[string]any{"reason": "duplicate purchase"}, nil)
				codes <- res.StatusCode
			})
		}
		wg.Wait()
		close(codes)
		got := map[int]int{}
		for c := range codes {
			got[c]++
		}
		if got[http.StatusOK] != 1 || got[http.StatusConflict] != n-1 {
			t.Fatalf("statuses %v, want one 200 and %d 409", got, n-1)
		}
		if s := countRows(t, a, `SELECT coalesce(sum(r.amount), 0) FROM refunds r JOIN payments p ON p.id = r.payment_id
			WHERE p.order_id = $1 AND r.status <> 'failed'`, att.Order.ID); s != 4900 {
			t.Errorf("refunded %d, want 4900 once", s)
		}
		if st := a.orderStatus(att.Order.ID); st != order.StatusRefunded {
			t.Errorf("order %s, want refunded", st)
		}
	})

	t.Run("PartialWithIdempotencyKey", func(t *testing.T) {
		att := paidUSDOrder(t, a, f, "partial@example.com", "cs_test_partial")
		path := "/api/v1/orders/" + itoa(att.Order.ID) + "/refund"
		body := map[string]any{"amount": 1500, "payment_id": att.Payment.ID, "reason": "one lesson missed"}
		var first, second orderDetailJSON
		res, raw := a.api(key, "POST", path, body, &first, "Idempotency-Key", "refund-partial-1")
		wantStatus(t, res, raw, http.StatusOK)
		res2, raw2 := a.api(key, "POST", path, body, &second, "Idempotency-Key", "refund-partial-1")
		wantStatus(t, res2, raw2, http.StatusOK)
		if res2.Header.Get("Idempotent-Replayed") != "true" {
			t.Error("the repeat was not replayed")
		}
		if first.Status != "completed" || len(first.Refunds) != 1 || first.Refunds[0].Amount != 1500 ||
			first.Refunds[0].Status != "succeeded" || !strings.HasPrefix(first.Refunds[0].GatewayRef, "re_") ||
			first.Refunds[0].Comment != "one lesson missed" || first.Payments[0].Status != order.PaymentPartiallyRefunded {
			t.Errorf("answer = %s", raw)
		}
		if n := countRows(t, a, "SELECT count(*) FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.order_id = $1", att.Order.ID); n != 1 {
			t.Errorf("%d refunds, want 1", n)
		}
		tests := []struct {
			name   string
			body   any
			status int
			field  string
		}{
			{"TooMuch", map[string]any{"amount": 3401}, http.StatusUnprocessableEntity, "amount"},
			{"Zero", map[string]any{"amount": 0}, http.StatusUnprocessableEntity, "amount"},
			{"OtherPayment", map[string]any{"payment_id": 999999}, http.StatusUnprocessableEntity, "payment_id"},
			{"LongReason", map[string]any{"reason": strings.Repeat("r", 1001)}, http.StatusUnprocessableEntity, "reason"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var p Problem
				res, raw := a.api(key, "POST", path, tt.body, &p)
				wantStatus(t, res, raw, tt.status)
				if p.Errors[tt.field] == "" {
					t.Errorf("no message on %s: %s", tt.field, raw)
				}
			})
		}
		// The rest, with no amount.
		var rest orderDetailJSON
		res, raw = a.api(key, "POST", path, nil, &rest)
		wantStatus(t, res, raw, http.StatusOK)
		if rest.Status != "refunded" || len(rest.Refunds) != 2 || rest.Refunds[1].Amount != 3400 {
			t.Errorf("answer = %s", raw)
		}
	})

	t.Run("ManualOrderKeepsItsRefund", func(t *testing.T) {
		of := newOrderFixture(t, a)
		o, err := a.srv.orders.CreateManual(a.ctx(), order.NewManual{OfferID: of.offer.ID, ContactID: of.contact.ID,
			Channel: order.ChannelAPI})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.srv.orders.Approve(a.ctx(), o.ID, order.Adjustment{}); err != nil {
			t.Fatal(err)
		}
		path := "/api/v1/orders/" + itoa(o.ID) + "/refund"
		var p Problem
		res, raw := a.api(key, "POST", path, map[string]any{"amount": 100}, &p)
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		var d orderDetailJSON
		res, raw = a.api(key, "POST", path, map[string]any{"comment": "cash returned"}, &d)
		wantStatus(t, res, raw, http.StatusOK)
		if d.Status != "refunded" || len(d.Refunds) != 1 || d.Refunds[0].Status != "succeeded" || d.Refunds[0].GatewayRef != "" {
			t.Errorf("answer = %s", raw)
		}
	})
}

func TestRefundWhenStripeIsDown(t *testing.T) {
	t.Parallel()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":{"message":"boom","type":"api_error"}}`, http.StatusInternalServerError)
	}))
	t.Cleanup(down.Close)
	a := newGatewayApp(t, down.URL)
	c := a.owner()
	key := a.apiKey()
	f := usdFixture(t, a)
	att := paidUSDOrder(t, a, f, "ana@example.com", "cs_test_down")
	page := orderURL(att.Order.ID)

	res, doc := a.postFormDoc(c, page+"/refund", url.Values{"payment_id": {itoa(att.Payment.ID)}, "amount": {"49.00"},
		"reason": {"asked twice"}, "confirm": {"yes"}})
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", res.StatusCode)
	}
	msg := doc.Find(`[data-testid="refund-error"]`).Text()
	if !strings.Contains(msg, "Cards could not be reached") || !strings.Contains(msg, "nothing was refunded") ||
		!strings.Contains(msg, "Try again") || strings.Contains(msg, "boom") {
		t.Errorf("message = %q", msg)
	}
	if v, _ := doc.Find(`[data-testid="gateway-refund-form"] textarea[name="reason"]`).Html(); v != "asked twice" {
		t.Errorf("reason not kept: %q", v)
	}

	var p Problem
	res2, raw := a.api(key, "POST", "/api/v1/orders/"+itoa(att.Order.ID)+"/refund", map[string]any{"amount": 1000}, &p)
	wantStatus(t, res2, raw, http.StatusServiceUnavailable)
	if res2.Header.Get("Retry-After") == "" || !strings.Contains(p.Detail, "could not be reached") {
		t.Errorf("problem %s, Retry-After %q", raw, res2.Header.Get("Retry-After"))
	}

	o, err := a.srv.orders.Get(a.ctx(), att.Order.ID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != order.StatusCompleted || o.Payments[0].Status != order.PaymentSucceeded || activeOrderGrants(t, a, o.ID) != 1 {
		t.Errorf("order %s, payment %s, grants %d: the failed refund changed something", o.Status, o.Payments[0].Status,
			activeOrderGrants(t, a, o.ID))
	}
	if n := countRows(t, a, "SELECT count(*) FROM refunds WHERE status = 'failed'"); n != 2 {
		t.Errorf("%d failed refunds recorded, want 2", n)
	}
	if n := countRows(t, a, "SELECT count(*) FROM refunds WHERE status <> 'failed'"); n != 0 {
		t.Errorf("%d refunds hold money", n)
	}
	_, doc = a.get(c, page)
	if v, _ := doc.Find(`[data-testid="gateway-refund-form"] input[name="amount"]`).Attr("value"); v != "49.00" {
		t.Errorf("amount prefilled %q after failed refunds, want all of it", v)
	}
	if got := doc.Find(`[data-testid="event"][data-kind="payment.refund_failed"]`).Length(); got != 2 {
		t.Errorf("%d failed-refund lines on the timeline, want 2", got)
	}
}

func TestOrderPageRawGatewayEvents(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	c := a.owner()
	f := newStripeFixture(t, a)
	att := f.openOrder(t, a, "ana@example.com", "cs_test_raw")
	body := []byte(fmt.Sprintf(`{"id":"evt_raw","object":"event","api_version":"2023-10-16","created":%d,`+
		`"type":"checkout.session.completed","livemode":false,"data":{"object":{"id":"cs_test_raw",`+
		`"object":"checkout.session","mode":"payment","status":"complete","payment_status":"paid","amount_total":4900,`+
		`"currency":"eur","client_reference_id":"%d","metadata":{"order_id":"%d","note":"<b>bold</b> & <script>alert(1)</script>"},`+
		`"customer_details":{"email":"ana@example.com"}}}}`, time.Now().Unix(), att.Order.ID, att.Order.ID))
	if code := a.deliverSigned(f.sys.ID, body); code != http.StatusOK {
		t.Fatalf("webhook: status %d", code)
	}
	_, doc := a.get(c, orderURL(att.Order.ID))
	ev := doc.Find(`[data-testid="gateway-event"]`)
	if ev.Length() != 1 || ev.AttrOr("data-event-id", "") != "evt_raw" || ev.AttrOr("data-result", "") != "completed" ||
		ev.AttrOr("data-kind", "") != "paid" || !strings.Contains(ev.Text(), "checkout.session.completed") {
		t.Fatalf("gateway events: %d, %q", ev.Length(), ev.Text())
	}
	pre := ev.Find(`details pre[data-testid="gateway-event-body"]`)
	if !strings.Contains(pre.Text(), `"note": "<b>bold</b> & <script>alert(1)</script>"`) ||
		!strings.Contains(pre.Text(), "\n  \"data\": {") {
		t.Errorf("body not shown verbatim and indented: %q", pre.Text())
	}
	if pre.Find("b, script").Length() != 0 {
		t.Error("the body's markup was rendered, not escaped")
	}
}
