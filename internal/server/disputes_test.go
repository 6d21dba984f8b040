package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
)

// stripeDispute is Stripe's charge.dispute.* event (typ) about dispute dp of payment intent pi, made at created,
// with the evidence due at due (zero: no evidence_details).
func stripeDispute(evtID, typ, dp, pi, status string, created, due time.Time) []byte {
	obj := map[string]any{"id": dp, "object": "dispute", "amount": 4900, "currency": "eur", "charge": "ch_" + pi,
		"payment_intent": pi, "reason": "fraudulent", "status": status, "created": created.Unix(),
		"is_charge_refundable": false, "livemode": false}
	if !due.IsZero() {
		obj["evidence_details"] = map[string]any{"due_by": due.Unix(), "has_evidence": false, "past_due": false,
			"submission_count": 0}
	}
	b, _ := json.Marshal(map[string]any{"id": evtID, "object": "event", "api_version": "2023-10-16",
		"created": created.Unix(), "type": typ, "livemode": false, "data": map[string]any{"object": obj}})
	return b
}

// paidOrderOf is a gateway order of offer of for contact contactID, paid through f's system (session ref, payment
// intent pi_<ref without cs_>) and completed by its signed webhook.
func paidOrderOf(t *testing.T, a *testApp, f stripeFixture, of offer.Offer, contactID int64, ref string) order.Attempt {
	t.Helper()
	att, err := a.srv.orders.OpenGateway(a.ctx(), order.NewGateway{OfferID: of.ID, ContactID: contactID,
		PaymentSystemID: f.sys.ID, Channel: order.ChannelCheckout})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.srv.orders.AttachRef(a.ctx(), att.Payment.ID, ref); err != nil {
		t.Fatal(err)
	}
	if code := a.deliverSigned(f.sys.ID, paidEvent("evt_paid_"+ref, att, ref)); code != http.StatusOK {
		t.Fatalf("paid webhook: status %d", code)
	}
	return att
}

// disputeException is the exception of dispute dp: its kind, access decision, dispute status, outcome and deadline.
type disputeRow struct {
	ID                            int64
	Kind, Access, Status, Outcome string
	Due                           *time.Time
	ExceptionStatus               string
}

func disputeOf(t *testing.T, a *testApp, dp string) disputeRow {
	t.Helper()
	var r disputeRow
	if err := a.pool.QueryRow(a.ctx(), `SELECT id, kind, access, dispute_status, outcome, evidence_due_at, status
		FROM payment_exceptions WHERE dispute_ref = $1`, dp).Scan(&r.ID, &r.Kind, &r.Access, &r.Status, &r.Outcome,
		&r.Due, &r.ExceptionStatus); err != nil {
		t.Fatalf("exception of dispute %s: %v", dp, err)
	}
	return r
}

// TestStripeDisputeAskThenRevoke is the check: a dispute of an order whose offer asks a manager opens one
// exception with the evidence deadline, kept up to date by signed events delivered more than once and out of
// order; the manager's "revoke" in the inbox revokes exactly the grants of that order, and the same contact's other
// order keeps its own.
func TestStripeDisputeAskThenRevoke(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := newStripeFixture(t, a) // dispute_access defaults to ask
	other := a.offer(func(in *offer.Input) {
		in.Title, in.Slug, in.PaymentSystemIDs = "Second course", "second-course", []int64{f.sys.ID}
	})
	c, err := a.srv.contacts.Create(a.ctx(), crm.Input{Email: "ana@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	disputed := paidOrderOf(t, a, f, f.offer, c.ID, "cs_disputed")
	kept := paidOrderOf(t, a, f, other, c.ID, "cs_kept")
	if activeOrderGrants(t, a, disputed.Order.ID) != 1 || activeOrderGrants(t, a, kept.Order.ID) != 1 {
		t.Fatal("the two orders did not grant one product each")
	}

	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	due := t0.Add(7 * 24 * time.Hour).UTC()
	created := stripeDispute("evt_dp_created", "charge.dispute.created", "dp_1", "pi_disputed", "needs_response", t0, due)
	for range 2 { // a redelivery is stored once and changes nothing
		if code := a.deliverSigned(f.sys.ID, created); code != http.StatusOK {
			t.Fatalf("dispute created: status %d", code)
		}
	}
	x := disputeOf(t, a, "dp_1")
	if x.Kind != "dispute" || x.Access != "ask" || x.Status != "needs_response" || x.Outcome != "" ||
		x.Due == nil || !x.Due.Equal(due) || x.ExceptionStatus != "open" {
		t.Fatalf("after created: %+v", x)
	}
	if n := countRows(t, a, "SELECT count(*) FROM gateway_events WHERE event_id = 'evt_dp_created'"); n != 1 {
		t.Fatalf("%d stored deliveries of one event", n)
	}
	if activeOrderGrants(t, a, disputed.Order.ID) != 1 {
		t.Fatal("policy ask revoked the access before a manager decided")
	}

	// Evidence submitted (later), then an older update arriving late: the later state stays.
	moved := due.Add(48 * time.Hour)
	a.deliverSigned(f.sys.ID, stripeDispute("evt_dp_review", "charge.dispute.updated", "dp_1", "pi_disputed",
		"under_review", t0.Add(20*time.Minute), moved))
	a.deliverSigned(f.sys.ID, stripeDispute("evt_dp_old", "charge.dispute.updated", "dp_1", "pi_disputed",
		"needs_response", t0.Add(10*time.Minute), due))
	if x = disputeOf(t, a, "dp_1"); x.Status != "under_review" || !x.Due.Equal(moved) {
		t.Fatalf("an older update regressed the dispute: %+v", x)
	}
	if n := countRows(t, a, "SELECT count(*) FROM gateway_events WHERE event_id = 'evt_dp_old' AND result = $1",
		order.ResultDisputeStale); n != 1 {
		t.Fatal("the older update was not stored as stale")
	}
	a.deliverSigned(f.sys.ID, stripeDispute("evt_dp_closed", "charge.dispute.closed", "dp_1", "pi_disputed", "lost",
		t0.Add(30*time.Minute), moved))
	if x = disputeOf(t, a, "dp_1"); x.Outcome != "lost" || x.Status != "lost" || x.Access != "ask" {
		t.Fatalf("after closed: %+v", x)
	}
	if n := countRows(t, a, "SELECT count(*) FROM payment_exceptions"); n != 1 {
		t.Fatalf("%d exceptions for one dispute", n)
	}
	if n := countRows(t, a, "SELECT count(*) FROM order_events WHERE order_id = $1 AND kind = $2",
		disputed.Order.ID, order.EventDisputeClosed); n != 1 {
		t.Fatal("the order's timeline does not say the dispute was lost")
	}

	// The inbox shows the dispute with its outcome and the revoke and keep actions.
	owner := a.owner()
	_, doc := a.get(owner, "/admin/exceptions?status=all")
	row := doc.Find(`[data-testid="exception-row"][data-kind="dispute"]`)
	if row.Length() != 1 || !strings.Contains(row.Find(`[data-testid="exception-outcome"]`).Text(), "lost") ||
		!strings.Contains(row.Find(`[data-testid="exception-access"]`).Text(), "waiting for a manager") {
		t.Fatalf("inbox row: %q", row.Text())
	}
	page := exceptionURL(x.ID)
	_, doc = a.get(owner, page)
	if doc.Find(`[data-testid="revoke-access-form"]`).Length() != 1 || doc.Find(`[data-testid="keep-access-form"]`).Length() != 1 {
		t.Fatal("the exception page offers no revoke and keep")
	}
	if got := doc.Find(`[data-testid="exception-deadline"]`).Text(); !strings.Contains(got, moved.Format("2006-01-02")) {
		t.Errorf("deadline shown %q", got)
	}
	res := a.postForm(owner, page+"/revoke-access", url.Values{"note": {"chargeback lost"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: status %d", res.StatusCode)
	}
	if activeOrderGrants(t, a, disputed.Order.ID) != 0 {
		t.Error("the disputed order's grant is still active")
	}
	if activeOrderGrants(t, a, kept.Order.ID) != 1 {
		t.Error("the contact's other order lost its grant")
	}
	if x = disputeOf(t, a, "dp_1"); x.Access != "revoked" || x.ExceptionStatus != "resolved" {
		t.Errorf("after revoke: %+v", x)
	}
	if n := countRows(t, a, "SELECT count(*) FROM audit_log WHERE action = 'payment_exception.revoke_access'"); n != 1 {
		t.Errorf("%d audit entries of the decision", n)
	}
	if n := countRows(t, a, "SELECT count(*) FROM order_events WHERE order_id = $1 AND kind = $2",
		disputed.Order.ID, order.EventAccessRevoked); n != 1 {
		t.Error("the decision is not on the order's timeline")
	}
	// A second decision is refused and changes nothing.
	res, _ = a.postFormDoc(owner, page+"/keep-access", url.Values{})
	if res.StatusCode != http.StatusConflict {
		t.Errorf("second decision: status %d, want 409", res.StatusCode)
	}
}

// TestStripeDisputePolicies: revoke at once, keep, a dispute closed (won) before its created event arrives, and a
// dispute naming no payment Bursar knows.
func TestStripeDisputePolicies(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := newStripeFixture(t, a)
	revoking := a.offer(func(in *offer.Input) {
		in.Title, in.Slug, in.PaymentSystemIDs, in.DisputeAccess = "Revoking", "revoking", []int64{f.sys.ID}, offer.AccessRevoke
	})
	keeping := a.offer(func(in *offer.Input) {
		in.Title, in.Slug, in.PaymentSystemIDs, in.DisputeAccess = "Keeping", "keeping", []int64{f.sys.ID}, offer.AccessKeep
	})
	contact := func(email string) int64 {
		c, err := a.srv.contacts.Create(a.ctx(), crm.Input{Email: email})
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	due := t0.Add(72 * time.Hour)

	revoked := paidOrderOf(t, a, f, revoking, contact("rev@example.com"), "cs_rev")
	a.deliverSigned(f.sys.ID, stripeDispute("evt_rev", "charge.dispute.created", "dp_rev", "pi_rev", "needs_response", t0, due))
	if x := disputeOf(t, a, "dp_rev"); x.Access != "revoked" || activeOrderGrants(t, a, revoked.Order.ID) != 0 {
		t.Errorf("policy revoke: %+v, %d active grants", x, activeOrderGrants(t, a, revoked.Order.ID))
	}

	keptOrder := paidOrderOf(t, a, f, keeping, contact("keep@example.com"), "cs_keep")
	a.deliverSigned(f.sys.ID, stripeDispute("evt_keep", "charge.dispute.created", "dp_keep", "pi_keep", "needs_response", t0, due))
	if x := disputeOf(t, a, "dp_keep"); x.Access != "kept" || activeOrderGrants(t, a, keptOrder.Order.ID) != 1 {
		t.Errorf("policy keep: %+v", x)
	}

	// Closed (won) before created, on a revoking offer: nothing to decide, nothing revoked, created is stale.
	won := paidOrderOf(t, a, f, revoking, contact("won@example.com"), "cs_won")
	a.deliverSigned(f.sys.ID, stripeDispute("evt_won_closed", "charge.dispute.closed", "dp_won", "pi_won", "won",
		t0.Add(time.Hour), time.Time{}))
	a.deliverSigned(f.sys.ID, stripeDispute("evt_won_created", "charge.dispute.created", "dp_won", "pi_won",
		"needs_response", t0, due))
	if x := disputeOf(t, a, "dp_won"); x.Outcome != "won" || x.Status != "won" || x.Access != "" || x.Due != nil ||
		activeOrderGrants(t, a, won.Order.ID) != 1 {
		t.Errorf("closed before created: %+v, %d active grants", x, activeOrderGrants(t, a, won.Order.ID))
	}

	// A dispute of a payment Bursar does not know: stored, one unknown_order exception, updated by later events.
	a.deliverSigned(f.sys.ID, stripeDispute("evt_unk_1", "charge.dispute.created", "dp_unk", "pi_nobody", "needs_response", t0, due))
	a.deliverSigned(f.sys.ID, stripeDispute("evt_unk_2", "charge.dispute.closed", "dp_unk", "pi_nobody", "lost", t0.Add(time.Minute), due))
	if x := disputeOf(t, a, "dp_unk"); x.Kind != "unknown_order" || x.Outcome != "lost" || x.Access != "" {
		t.Errorf("unknown payment: %+v", x)
	}
	if n := countRows(t, a, "SELECT count(*) FROM gateway_events WHERE event_id LIKE 'evt_unk_%'"); n != 2 {
		t.Errorf("%d stored events of the unknown dispute", n)
	}

	// The same payment intent disputed through another Stripe account (payment system): not this order's payment.
	other, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypeStripe, Name: "Other account",
		Mode: gateway.ModeTest, Enabled: true,
		Credentials: map[string]string{"secret_key": "sk_test_456", "webhook_secret": testWebhookSecret}})
	if err != nil {
		t.Fatal(err)
	}
	a.deliverSigned(other.ID, stripeDispute("evt_foreign", "charge.dispute.created", "dp_foreign", "pi_keep",
		"needs_response", t0, due))
	if x := disputeOf(t, a, "dp_foreign"); x.Kind != "unknown_order" {
		t.Errorf("a dispute through another payment system settled this one's payment: %+v", x)
	}

	// The API shows the dispute and refuses a decision nobody asked for.
	key := a.apiKey()
	var one exceptionDetailJSON
	res, raw := a.api(key, http.MethodGet, "/api/v1/payment-exceptions/"+itoa(disputeOf(t, a, "dp_keep").ID), nil, &one)
	wantStatus(t, res, raw, http.StatusOK)
	if one.Dispute == nil || one.Dispute.ID != "dp_keep" || one.Dispute.EvidenceDueAt == nil ||
		!one.Dispute.EvidenceDueAt.Equal(due) || one.Access != "kept" || one.CanDecideAccess {
		t.Errorf("API dispute %s", raw)
	}
	res, raw = a.api(key, http.MethodPost, "/api/v1/payment-exceptions/"+itoa(one.ID)+"/revoke-access", nil, nil)
	wantStatus(t, res, raw, http.StatusConflict)
	if activeOrderGrants(t, a, keptOrder.Order.ID) != 1 {
		t.Error("a refused decision revoked the access")
	}
}
