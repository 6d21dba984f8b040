package paypalfake

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

const (
	fakeProductBody = `{"name":"Spanish A1","type":"SERVICE"}`
	fakePlanCycles  = `[{"frequency":{"interval_unit":"DAY","interval_count":14},"tenure_type":"TRIAL","sequence":1,"total_cycles":1},` +
		`{"frequency":{"interval_unit":"MONTH","interval_count":1},"tenure_type":"REGULAR","sequence":2,"total_cycles":3,` +
		`"pricing_scheme":{"fixed_price":{"currency_code":"EUR","value":"19.90"}}}]`
)

func TestFakeSubscriptionLifecycle(t *testing.T) {
	t.Parallel()
	s := Start(t)
	now := time.Date(2027, 1, 3, 10, 0, 0, 0, time.UTC)
	s.SetNow(now)
	c := newFakeClient(t, s)
	var prod struct{ ID string }
	if code := c.call(http.MethodPost, "/v1/catalogs/products", fakeProductBody, &prod, "PayPal-Request-Id", "p1"); code != http.StatusCreated || prod.ID == "" {
		t.Fatalf("product: %d %+v", code, prod)
	}
	var again struct{ ID string }
	c.call(http.MethodPost, "/v1/catalogs/products", fakeProductBody, &again, "PayPal-Request-Id", "p1")
	if again.ID != prod.ID {
		t.Fatalf("same PayPal-Request-Id made product %s, want %s", again.ID, prod.ID)
	}
	var e fakeErr
	bad := `{"product_id":"` + prod.ID + `","name":"x","billing_cycles":[{"frequency":{"interval_unit":"MONTH","interval_count":13},"tenure_type":"REGULAR","sequence":1,"total_cycles":0,"pricing_scheme":{"fixed_price":{"currency_code":"EUR","value":"1.00"}}}]}`
	if code := c.call(http.MethodPost, "/v1/billing/plans", bad, &e); code != http.StatusBadRequest || e.issue() != "INVALID_INTEGER_VALUE" {
		t.Fatalf("plan of 13 months: %d %+v", code, e)
	}
	var pl struct{ ID, Status string }
	body := `{"product_id":"` + prod.ID + `","name":"Spanish A1 monthly","billing_cycles":` + fakePlanCycles +
		`,"payment_preferences":{"payment_failure_threshold":2}}`
	if code := c.call(http.MethodPost, "/v1/billing/plans", body, &pl); code != http.StatusCreated || pl.Status != "ACTIVE" {
		t.Fatalf("plan: %d %+v", code, pl)
	}
	var sub struct {
		ID, Status string
		Links      []link
	}
	body = `{"plan_id":"` + pl.ID + `","custom_id":"sub:12","subscriber":{"email_address":"ana@example.com"},` +
		`"application_context":{"return_url":"https://s.test/ok","cancel_url":"https://s.test/ko","user_action":"SUBSCRIBE_NOW"}}`
	if code := c.call(http.MethodPost, "/v1/billing/subscriptions", body, &sub); code != http.StatusCreated || sub.Status != "APPROVAL_PENDING" {
		t.Fatalf("subscription: %d %+v", code, sub)
	}
	approve := ""
	for _, l := range sub.Links {
		if l.Rel == "approve" {
			approve = l.Href
		}
	}
	if approve == "" || sub.ID[:2] != "I-" {
		t.Fatalf("subscription %+v without an approve link", sub)
	}
	if code := c.call(http.MethodPost, "/v1/billing/subscriptions/"+sub.ID+"/suspend", `{"reason":"x"}`, &e); code != http.StatusUnprocessableEntity || e.issue() != "SUBSCRIPTION_STATUS_INVALID" {
		t.Fatalf("suspend before approval: %d %+v", code, e)
	}
	if err := s.ApproveSubscription(sub.ID, "other@example.com"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Subscription(sub.ID)
	if got.Status != "ACTIVE" || got.SubscriberEmail != "ana@example.com" || !got.NextBilling.Equal(now.AddDate(0, 0, 14)) {
		t.Fatalf("approved: %+v", got)
	}
	s.SetNow(now.AddDate(0, 0, 14))
	saleID, err := s.ChargeSubscription(sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = s.Subscription(sub.ID)
	if !got.NextBilling.Equal(now.AddDate(0, 1, 14)) || len(got.SaleIDs) != 1 {
		t.Fatalf("charged: %+v", got)
	}
	var res struct {
		Status      string `json:"status"`
		CustomID    string `json:"custom_id"`
		BillingInfo struct {
			NextBillingTime     string `json:"next_billing_time"`
			FailedPaymentsCount int    `json:"failed_payments_count"`
			LastPayment         struct {
				Amount Money `json:"amount"`
			} `json:"last_payment"`
		} `json:"billing_info"`
	}
	if code := c.call(http.MethodGet, "/v1/billing/subscriptions/"+sub.ID, "", &res); code != http.StatusOK ||
		res.CustomID != "sub:12" || res.BillingInfo.LastPayment.Amount.Value != "19.90" ||
		res.BillingInfo.NextBillingTime != "2027-02-17T10:00:00Z" {
		t.Fatalf("get: %d %+v", code, res)
	}
	ev, err := s.SaleEvent(EventSaleCompleted, saleID)
	if err != nil {
		t.Fatal(err)
	}
	var sale struct {
		EventType string `json:"event_type"`
		Resource  struct {
			ID                 string `json:"id"`
			BillingAgreementID string `json:"billing_agreement_id"`
			Custom             string `json:"custom"`
			Amount             struct{ Total, Currency string }
		} `json:"resource"`
	}
	if err := json.Unmarshal(ev, &sale); err != nil || sale.Resource.ID != saleID || sale.Resource.BillingAgreementID != sub.ID ||
		sale.Resource.Amount.Total != "19.90" || sale.Resource.Custom != "sub:12" {
		t.Fatalf("sale event %s: %v", ev, err)
	}
	if err := s.FailSubscriptionPayment(sub.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.FailSubscriptionPayment(sub.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.Subscription(sub.ID); got.Status != "SUSPENDED" || got.FailedPayments != 2 {
		t.Fatalf("after 2 failures (threshold 2): %+v", got)
	}
	if code := c.call(http.MethodPost, "/v1/billing/subscriptions/"+sub.ID+"/activate", `{"reason":"card fixed"}`, nil); code != http.StatusNoContent {
		t.Fatalf("activate: %d", code)
	}
	var pl2 struct{ ID string }
	c.call(http.MethodPost, "/v1/billing/plans", `{"product_id":"`+prod.ID+`","name":"Spanish A1 yearly","billing_cycles":`+
		`[{"frequency":{"interval_unit":"YEAR","interval_count":1},"tenure_type":"REGULAR","sequence":1,"total_cycles":0,`+
		`"pricing_scheme":{"fixed_price":{"currency_code":"EUR","value":"199.00"}}}]}`, &pl2)
	var rev struct {
		PlanID string `json:"plan_id"`
		Links  []link `json:"links"`
	}
	if code := c.call(http.MethodPost, "/v1/billing/subscriptions/"+sub.ID+"/revise", `{"plan_id":"`+pl2.ID+`"}`, &rev); code != http.StatusOK ||
		rev.PlanID != pl2.ID || len(rev.Links) != 1 || rev.Links[0].Rel != "approve" {
		t.Fatalf("revise: %d %+v", code, rev)
	}
	if got, _ = s.Subscription(sub.ID); got.PlanID != pl2.ID {
		t.Fatalf("revised: %+v", got)
	}
	if code := c.call(http.MethodPost, "/v1/billing/subscriptions/"+sub.ID+"/cancel", `{}`, &e); code != http.StatusBadRequest {
		t.Fatalf("cancel without a reason: %d", code)
	}
	if code := c.call(http.MethodPost, "/v1/billing/subscriptions/"+sub.ID+"/cancel", `{"reason":"bye"}`, nil); code != http.StatusNoContent {
		t.Fatalf("cancel: %d", code)
	}
	if code := c.call(http.MethodPost, "/v1/billing/subscriptions/"+sub.ID+"/cancel", `{"reason":"bye"}`, &e); code != http.StatusUnprocessableEntity || e.issue() != "SUBSCRIPTION_STATUS_INVALID" {
		t.Fatalf("second cancel: %d %+v", code, e)
	}
	if got, _ = s.Subscription(sub.ID); got.Status != "CANCELLED" || len(got.Reasons) != 2 || !got.NextBilling.IsZero() {
		t.Fatalf("cancelled: %+v", got)
	}
	ev, err = s.SubscriptionEvent(EventSubscriptionCancelled, sub.ID)
	var sev struct {
		EventType string                      `json:"event_type"`
		Resource  struct{ ID, Status string } `json:"resource"`
	}
	if err != nil || json.Unmarshal(ev, &sev) != nil || sev.Resource.Status != "CANCELLED" || sev.EventType != EventSubscriptionCancelled {
		t.Fatalf("cancelled event %s: %v", ev, err)
	}
	if s.Calls("POST /v1/billing/subscriptions/{id}/cancel") != 3 {
		t.Fatalf("cancel calls %d, want 3", s.Calls("POST /v1/billing/subscriptions/{id}/cancel"))
	}
	refundID, err := s.RefundSale(saleID, "5.00")
	if err != nil {
		t.Fatal(err)
	}
	if ev, err = s.SaleEvent(EventSaleRefunded, refundID); err != nil || !json.Valid(ev) {
		t.Fatalf("refund event %s: %v", ev, err)
	}
}
