package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
)

// applyFixture: ana's order A (49.00 EUR) paid 29.00 through Stripe (an amount_mismatch exception), ana's open
// order B of a 29.00 workbook, and ben's open order C of the same workbook.
type applyFixture struct {
	f       stripeFixture
	a, b, c order.Order
	x       int64
}

func newApplyFixture(t *testing.T, a *testApp) applyFixture {
	t.Helper()
	f := newStripeFixture(t, a)
	att, x := mismatchedPayment(t, a, f, "ana@example.com", "cs_apply_a", 2900, "eur")
	workbook := a.offer(func(in *offer.Input) {
		in.Title, in.Slug, in.Amount, in.PaymentSystemIDs = "Workbook", "workbook", 2900, []int64{f.sys.ID}
	})
	open := func(contactID int64) order.Order {
		t.Helper()
		o, err := a.srv.orders.OpenGateway(a.ctx(), order.NewGateway{OfferID: workbook.ID, ContactID: contactID,
			PaymentSystemID: f.sys.ID, Channel: order.ChannelCheckout})
		if err != nil {
			t.Fatal(err)
		}
		return o.Order
	}
	ben := f.openOrder(t, a, "ben@example.com", "cs_apply_ben")
	return applyFixture{f: f, a: att.Order, b: open(att.Order.ContactID), c: open(ben.Order.ContactID), x: x}
}

func TestExceptionApplyAPI(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	af := newApplyFixture(t, a)
	key := a.apiKey()
	path := "/api/v1/payment-exceptions/" + itoa(af.x)

	var cands List[orderJSON]
	res, raw := a.api(key, http.MethodGet, path+"/candidates", nil, &cands)
	wantStatus(t, res, raw, http.StatusOK)
	if len(cands.Data) != 1 || cands.Data[0].ID != af.b.ID {
		t.Fatalf("candidates %s; want order B only", raw)
	}
	var one exceptionDetailJSON
	res, raw = a.api(key, http.MethodGet, path, nil, &one)
	wantStatus(t, res, raw, http.StatusOK)
	if !one.CanApply || one.CanReinstate {
		t.Errorf("flags %s; want can_apply only", raw)
	}

	bad := []struct {
		name   string
		body   any
		fields []string
		in     string
	}{
		{"Empty", nil, []string{"note", "order_id"}, ""},
		{"AnotherContact", map[string]any{"order_id": af.c.ID, "note": "x"}, []string{"order_id"}, "another contact"},
		{"OwnOrder", map[string]any{"order_id": af.a.ID, "note": "x"}, []string{"order_id"}, "arrived for"},
		{"Unknown", map[string]any{"order_id": 999999, "note": "x"}, []string{"order_id"}, "names no order"},
		{"BadType", map[string]any{"order_id": "B-1", "note": "x"}, nil, ""},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			var p Problem
			res, raw := a.api(key, http.MethodPost, path+"/apply", tt.body, &p)
			wantStatus(t, res, raw, http.StatusUnprocessableEntity)
			if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content type %q", ct)
			}
			for _, f := range tt.fields {
				if p.Errors[f] == "" || !strings.Contains(p.Errors[f], tt.in) {
					t.Errorf("field %s: %s", f, raw)
				}
			}
		})
	}
	// Scopes: reading exceptions does not allow acting on them.
	reader := a.apiKey("exceptions:read")
	res, raw = a.api(reader, http.MethodPost, path+"/apply", map[string]any{"order_id": af.b.ID, "note": "x"}, nil)
	wantStatus(t, res, raw, http.StatusForbidden)
	res, raw = a.api(reader, http.MethodGet, path+"/candidates", nil, nil)
	wantStatus(t, res, raw, http.StatusOK)

	res, raw = a.api(key, http.MethodPost, path+"/apply", map[string]any{"order_id": af.b.ID, "note": "the workbook"}, &one)
	wantStatus(t, res, raw, http.StatusOK)
	if one.Status != "resolved" || one.CanApply || !strings.Contains(one.Resolution, af.b.Number) {
		t.Errorf("applied %s", raw)
	}
	if st := a.orderStatus(af.b.ID); st != order.StatusCompleted {
		t.Errorf("order B %s, want completed", st)
	}
	if st := a.orderStatus(af.a.ID); st != order.StatusOpen {
		t.Errorf("order A %s, want open", st)
	}
	var p Problem
	res, raw = a.api(key, http.MethodPost, path+"/apply", map[string]any{"order_id": af.b.ID, "note": "again"}, &p)
	wantStatus(t, res, raw, http.StatusConflict)
	if !strings.Contains(p.Detail, "already resolved") {
		t.Errorf("second apply: %s", raw)
	}
	if n := countRows(t, a, `SELECT count(*) FROM payments WHERE status = 'succeeded'`); n != 1 {
		t.Errorf("succeeded payments %d, want 1", n)
	}
	var txns struct {
		Totals []struct {
			Currency     string `json:"currency"`
			Payments     int64  `json:"payments"`
			PaymentCount int64  `json:"payment_count"`
		} `json:"totals"`
	}
	res, raw = a.api(key, http.MethodGet, "/api/v1/transactions", nil, &txns)
	wantStatus(t, res, raw, http.StatusOK)
	if !strings.Contains(string(raw), `"cs_apply_a"`) || strings.Count(string(raw), `"gateway_ref":"cs_apply_a"`) != 1 {
		t.Errorf("transactions %s; want the applied payment once", raw)
	}
}

// TestExceptionApplyAdmin: the exception page lists the candidate orders; two clicks at once apply once.
func TestExceptionApplyAdmin(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	af := newApplyFixture(t, a)
	c := a.owner()
	res, doc := a.get(c, exceptionURL(af.x))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("exception page: status %d", res.StatusCode)
	}
	sec := doc.Find(`[data-testid="apply-section"]`)
	if sec.AttrOr("lang", "") != "en" || sec.Find(`[data-testid="apply-candidate"]`).Length() != 1 ||
		sec.Find(fmt.Sprintf(`[data-testid="apply-candidate"][data-order-id="%d"]`, af.b.ID)).Length() != 1 {
		t.Fatalf("apply section %q; want order B as the one candidate", sec.Text())
	}
	if doc.Find(`[data-testid="reinstate-form"]`).Length() != 0 {
		t.Error("a reinstate form for an open order")
	}
	// The school speaks Spanish: the actions' words follow.
	sc, err := a.srv.settings.Get(a.ctx())
	if err != nil {
		t.Fatal(err)
	}
	sc.Language = "es"
	if _, err := a.srv.settings.Update(a.ctx(), sc); err != nil {
		t.Fatal(err)
	}
	_, doc = a.get(c, exceptionURL(af.x))
	sec = doc.Find(`[data-testid="apply-section"]`)
	if sec.AttrOr("lang", "") != "es" || strings.TrimSpace(sec.Find("button").Text()) != "Aplicar al pedido elegido" {
		t.Errorf("apply section in Spanish: lang %q, button %q", sec.AttrOr("lang", ""), sec.Find("button").Text())
	}
	// Another contact's order, posted by hand, is refused with the field's message.
	res, doc = a.postFormDoc(c, exceptionURL(af.x)+"/apply", url.Values{"order_id": {itoa(af.c.ID)}, "note": {"x"}})
	if res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(doc.Find(`[data-testid="apply_order_id-error"]`).Text(), "another contact") {
		t.Fatalf("another contact: status %d, %q", res.StatusCode, doc.Find(`[data-testid="apply_order_id-error"]`).Text())
	}
	codes := postConcurrently(a, c, exceptionURL(af.x)+"/apply", url.Values{"order_id": {itoa(af.b.ID)},
		"note": {"double click"}}, 2)
	if codes[http.StatusOK]+codes[http.StatusSeeOther] != 1 || codes[http.StatusConflict] != 1 {
		t.Fatalf("statuses %v; want one success and one conflict", codes)
	}
	if n := countRows(t, a, `SELECT count(*) FROM payments WHERE status = 'succeeded' AND order_id = $1`, af.b.ID); n != 1 {
		t.Errorf("succeeded payments of B %d, want 1", n)
	}
	if n := countRows(t, a, `SELECT count(*) FROM audit_log WHERE action = 'payment_exception.apply'`); n != 1 {
		t.Errorf("audit entries %d, want 1", n)
	}
}

// TestExceptionReinstateAPI: a refunded order paid again is completed again through the API, once.
func TestExceptionReinstateAPI(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := newStripeFixture(t, a)
	att := f.openOrder(t, a, "ana@example.com", "cs_re")
	pay := func(evt, ref string) {
		t.Helper()
		body := sessionEvent(evt, "checkout.session.completed", stripeSession{ID: ref, Status: "complete",
			PaymentStatus: "paid", Currency: "eur", Amount: 4900, OrderID: att.Order.ID, Email: "ana@example.com",
			PaymentIntent: "pi_" + ref})
		if code := a.deliverSigned(f.sys.ID, body); code != http.StatusOK {
			t.Fatalf("webhook %s: status %d", evt, code)
		}
	}
	pay("evt_re_paid", "cs_re")
	if _, err := a.srv.orders.Ingest(a.ctx(), f.sys, gateway.Event{ID: "evt_re_refund", Type: "charge.refunded",
		Kind: gateway.EventRefunded, Ref: "pi_cs_re", Amount: money.New(4900, "EUR"), RefundedAmount: 4900}, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if st := a.orderStatus(att.Order.ID); st != order.StatusRefunded {
		t.Fatalf("order %s, want refunded", st)
	}
	pay("evt_re_late", "cs_re_late")
	x := exceptionOf(t, a, "cs_re_late")
	path := "/api/v1/payment-exceptions/" + itoa(x)
	key := a.apiKey()

	var one exceptionDetailJSON
	res, raw := a.api(key, http.MethodGet, path, nil, &one)
	wantStatus(t, res, raw, http.StatusOK)
	if one.Kind != "late_payment" || !one.CanReinstate {
		t.Fatalf("exception %s; want a late payment that can reinstate", raw)
	}
	var p Problem
	res, raw = a.api(key, http.MethodPost, path+"/reinstate", nil, &p)
	wantStatus(t, res, raw, http.StatusUnprocessableEntity)
	if p.Errors["note"] == "" {
		t.Errorf("no note: %s", raw)
	}
	res, raw = a.api(a.apiKey("exceptions:read"), http.MethodPost, path+"/reinstate", map[string]any{"note": "x"}, nil)
	wantStatus(t, res, raw, http.StatusForbidden)
	res, raw = a.api(key, http.MethodPost, path+"/reinstate", map[string]any{"note": "paid again"}, &one)
	wantStatus(t, res, raw, http.StatusOK)
	if one.Status != "resolved" || one.OrderStatus != "completed" || one.CanReinstate {
		t.Errorf("reinstated %s", raw)
	}
	res, raw = a.api(key, http.MethodPost, path+"/reinstate", map[string]any{"note": "again"}, nil)
	wantStatus(t, res, raw, http.StatusConflict)
	if n := countRows(t, a, `SELECT count(*) FROM access_grants WHERE contact_id = $1 AND revoked_at IS NULL`,
		att.Order.ContactID); n != 1 {
		t.Errorf("active grants %d, want 1 again", n)
	}
	if n := countRows(t, a, `SELECT count(*) FROM payments WHERE order_id = $1 AND status = 'succeeded'`, att.Order.ID); n != 1 {
		t.Errorf("succeeded payments %d, want the late one", n)
	}
}
