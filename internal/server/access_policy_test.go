package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/gateway/paypal"
	"github.com/bursar/bursar/internal/gateway/paypal/paypalfake"
	"github.com/bursar/bursar/internal/gateway/stripemock"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
)

// refundAccessOf is the access decision of the refund_access exception of order id, "" when there is none.
func refundAccessOf(t *testing.T, a *testApp, id int64) (int64, string) {
	t.Helper()
	var (
		xid    int64
		access string
	)
	err := a.pool.QueryRow(a.ctx(), `SELECT id, access FROM payment_exceptions WHERE kind = 'refund_access' AND order_id = $1`,
		id).Scan(&xid, &access)
	if err != nil {
		return 0, ""
	}
	return xid, access
}

// TestRefundAccessPolicies refunds orders of offers with each refund policy, through the admin (Stripe, through
// stripe-mock), the API and the gateway's dashboard (a signed charge.refunded): revoke revokes the order's grants,
// keep keeps them, ask keeps them and opens a refund_access exception whose keep and revoke decide.
func TestRefundAccessPolicies(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	f := usdFixture(t, a)
	key, owner := a.apiKey(), a.owner()
	policyOffer := func(policy string) offer.Offer {
		return a.offer(func(in *offer.Input) {
			in.Title, in.Slug, in.Currency, in.PaymentSystemIDs = "Policy "+policy, "policy-"+policy, "USD", []int64{f.sys.ID}
			in.RefundAccess = policy
		})
	}
	offers := map[string]offer.Offer{}
	for _, p := range offer.AccessPolicies {
		offers[p] = policyOffer(p)
	}
	n := 0
	paid := func(policy string) order.Attempt {
		n++
		c, err := a.srv.contacts.Create(a.ctx(), crm.Input{Email: "payer" + itoa(int64(n)) + "@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		return paidOrderOf(t, a, f, offers[policy], c.ID, "cs_pol_"+itoa(int64(n)))
	}
	adminRefund := func(att order.Attempt) {
		page := orderURL(att.Order.ID)
		_, doc := a.get(owner, page)
		pid, _ := doc.Find(`[data-testid="gateway-refund-form"] input[name="payment_id"]`).Attr("value")
		res := a.postForm(owner, page+"/refund", url.Values{"payment_id": {pid}, "amount": {"49.00"}, "confirm": {"yes"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("admin refund: status %d", res.StatusCode)
		}
	}
	apiRefund := func(att order.Attempt) {
		res, raw := a.api(key, http.MethodPost, "/api/v1/orders/"+itoa(att.Order.ID)+"/refund", map[string]any{}, nil)
		wantStatus(t, res, raw, http.StatusOK)
	}
	dashboardRefund := func(att order.Attempt) {
		o, err := a.srv.orders.Get(a.ctx(), att.Order.ID)
		if err != nil {
			t.Fatal(err)
		}
		ref := o.Payments[len(o.Payments)-1].GatewayRef // the session paidOrderOf attached
		if code := a.deliverSigned(f.sys.ID, refundedWebhook("evt_rf_"+ref, ref, "usd", 4900)); code != http.StatusOK {
			t.Fatalf("charge.refunded: status %d", code)
		}
	}
	ways := []struct {
		name   string
		refund func(order.Attempt)
	}{{"Admin", adminRefund}, {"API", apiRefund}, {"Dashboard", dashboardRefund}}
	for _, way := range ways {
		for _, policy := range offer.AccessPolicies {
			att := paid(policy)
			way.refund(att)
			if st := a.orderStatus(att.Order.ID); st != order.StatusRefunded {
				t.Fatalf("%s %s: order %s", way.name, policy, st)
			}
			grants := activeOrderGrants(t, a, att.Order.ID)
			xid, access := refundAccessOf(t, a, att.Order.ID)
			switch policy {
			case offer.AccessRevoke:
				if grants != 0 || xid != 0 {
					t.Errorf("%s revoke: %d active grants, exception %d", way.name, grants, xid)
				}
			case offer.AccessKeep:
				if grants != 1 || xid != 0 {
					t.Errorf("%s keep: %d active grants, exception %d", way.name, grants, xid)
				}
			case offer.AccessAsk:
				if grants != 1 || access != order.AccessAsk {
					t.Fatalf("%s ask: %d active grants, exception %d access %q", way.name, grants, xid, access)
				}
				// The manager decides: keep through the API for the admin's refund, revoke in the inbox otherwise.
				if way.name == "Admin" {
					var one exceptionDetailJSON
					res, raw := a.api(key, http.MethodPost, "/api/v1/payment-exceptions/"+itoa(xid)+"/keep-access",
						map[string]any{"note": "goodwill"}, &one)
					wantStatus(t, res, raw, http.StatusOK)
					if one.Access != "kept" || one.Status != "resolved" || activeOrderGrants(t, a, att.Order.ID) != 1 {
						t.Errorf("keep: %s", raw)
					}
					continue
				}
				res := a.postForm(owner, exceptionURL(xid)+"/revoke-access", url.Values{})
				if res.StatusCode != http.StatusSeeOther || activeOrderGrants(t, a, att.Order.ID) != 0 {
					t.Errorf("%s revoke decision: status %d, %d active grants", way.name, res.StatusCode,
						activeOrderGrants(t, a, att.Order.ID))
				}
				if _, access := refundAccessOf(t, a, att.Order.ID); access != order.AccessRevoked {
					t.Errorf("%s: access %q after revoke", way.name, access)
				}
			}
		}
	}

	// The offer's field in the API and the admin form.
	var of apiOfferJSON
	res, raw := a.api(key, http.MethodGet, "/api/v1/offers/"+itoa(offers[offer.AccessKeep].ID), nil, &of)
	wantStatus(t, res, raw, http.StatusOK)
	if of.RefundAccess != "keep" || of.DisputeAccess != "ask" {
		t.Errorf("offer %s", raw)
	}
	var p Problem
	res, raw = a.api(key, http.MethodPatch, "/api/v1/offers/"+itoa(of.ID), map[string]any{"refund_access": "never"}, &p)
	wantStatus(t, res, raw, http.StatusUnprocessableEntity)
	if p.Errors["refund_access"] == "" {
		t.Errorf("no field error: %s", raw)
	}
	res, raw = a.api(key, http.MethodPatch, "/api/v1/offers/"+itoa(of.ID), map[string]any{"dispute_access": "revoke"}, &of)
	wantStatus(t, res, raw, http.StatusOK)
	if of.DisputeAccess != "revoke" || of.RefundAccess != "keep" {
		t.Errorf("patched %s", raw)
	}
	_, doc := a.get(owner, "/admin/offers/"+itoa(of.ID))
	if v, _ := doc.Find(`[data-testid="offer-refund-access"] option[selected]`).Attr("value"); v != "keep" {
		t.Errorf("admin form refund policy %q", v)
	}
	if v, _ := doc.Find(`[data-testid="offer-dispute-access"] option[selected]`).Attr("value"); v != "revoke" {
		t.Errorf("admin form dispute policy %q", v)
	}
}

// TestPayPalDisputes: CUSTOMER.DISPUTE.* events from the PayPal fake, signed as PayPal signs them: resolved before
// created, duplicates, then a second dispute updated and resolved in order; one exception per dispute.
func TestPayPalDisputes(t *testing.T) {
	t.Parallel()
	f := paypalNewFixture(t)
	a := f.a
	paidCapture := func(email string) (string, order.Order) {
		id, o := f.paypalCheckout(t, email)
		if err := f.fake.Approve(id, email); err != nil {
			t.Fatal(err)
		}
		f.paypalDeliverSigned(t, f.paypalEvent(t, paypal.EventOrderApproved, id))
		po, _ := f.fake.Order(id)
		if len(po.CaptureIDs) != 1 || a.orderStatus(o.ID) != order.StatusCompleted {
			t.Fatalf("not paid: %+v", po)
		}
		return po.CaptureIDs[0], o
	}
	event := func(typ string, d paypalfake.Dispute) []byte {
		b, err := f.fake.DisputeEvent(typ, d)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t0 := time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)
	due := t0.Add(10 * 24 * time.Hour)

	// Resolved for the buyer, delivered twice, before created arrives.
	capA, oA := paidCapture("ana@example.com")
	resolved := event(paypal.EventDisputeResolved, paypalfake.Dispute{ID: "PP-D-1", CaptureID: capA, Status: "RESOLVED",
		Reason: "MERCHANDISE_OR_SERVICE_NOT_RECEIVED", Outcome: "RESOLVED_BUYER_FAVOUR", Updated: t0.Add(time.Hour)})
	f.paypalDeliverSigned(t, resolved)
	f.paypalDeliverSigned(t, resolved)
	f.paypalDeliverSigned(t, event(paypal.EventDisputeCreated, paypalfake.Dispute{ID: "PP-D-1", CaptureID: capA,
		Status: "WAITING_FOR_SELLER_RESPONSE", Reason: "MERCHANDISE_OR_SERVICE_NOT_RECEIVED", Updated: t0, ResponseDue: due}))
	x := disputeOf(t, a, "PP-D-1")
	if x.Kind != "dispute" || x.Outcome != "lost" || x.Status != "RESOLVED" || x.Access != "ask" {
		t.Errorf("resolved before created: %+v", x)
	}
	if n := countRows(t, a, "SELECT count(*) FROM payment_exceptions WHERE dispute_ref = 'PP-D-1'"); n != 1 {
		t.Errorf("%d exceptions of one dispute", n)
	}
	if activeOrderGrants(t, a, oA.ID) != 1 {
		t.Error("policy ask revoked the access")
	}

	// Created, updated (the deadline moves), resolved for the seller: in order.
	capB, oB := paidCapture("ben@example.com")
	f.paypalDeliverSigned(t, event(paypal.EventDisputeCreated, paypalfake.Dispute{ID: "PP-D-2", CaptureID: capB,
		Status: "WAITING_FOR_SELLER_RESPONSE", Reason: "UNAUTHORISED", Updated: t0, ResponseDue: due}))
	if x = disputeOf(t, a, "PP-D-2"); x.Due == nil || !x.Due.Equal(due) || x.Outcome != "" {
		t.Fatalf("created: %+v", x)
	}
	moved := due.Add(72 * time.Hour)
	f.paypalDeliverSigned(t, event(paypal.EventDisputeUpdated, paypalfake.Dispute{ID: "PP-D-2", CaptureID: capB,
		Status: "UNDER_REVIEW", Reason: "UNAUTHORISED", Updated: t0.Add(time.Minute), ResponseDue: moved}))
	f.paypalDeliverSigned(t, event(paypal.EventDisputeResolved, paypalfake.Dispute{ID: "PP-D-2", CaptureID: capB,
		Status: "RESOLVED", Reason: "UNAUTHORISED", Outcome: "RESOLVED_SELLER_FAVOUR", Updated: t0.Add(time.Hour)}))
	if x = disputeOf(t, a, "PP-D-2"); x.Outcome != "won" || !x.Due.Equal(moved) || x.Access != "ask" {
		t.Errorf("in order: %+v", x)
	}
	owner := a.owner()
	_, doc := a.get(owner, exceptionURL(x.ID))
	if got := doc.Find(`[data-testid="exception-outcome"]`).Text(); !strings.Contains(got, "won") {
		t.Errorf("outcome shown %q", got)
	}
	res := a.postForm(owner, exceptionURL(x.ID)+"/keep-access", url.Values{})
	if res.StatusCode != http.StatusSeeOther || activeOrderGrants(t, a, oB.ID) != 1 {
		t.Errorf("keep: status %d", res.StatusCode)
	}
}
