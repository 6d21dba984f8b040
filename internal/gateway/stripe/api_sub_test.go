package stripe

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/stripemock"
	"github.com/bursar/bursar/internal/money"
)

func subCheckout() gateway.SubscriptionCheckout {
	return gateway.SubscriptionCheckout{SubscriptionID: 17, Number: "S-000017",
		Plan: gateway.Plan{Amount: money.Money{Amount: 2500, Currency: "EUR"}, Interval: gateway.IntervalMonth, Count: 3,
			TrialDays: 14, MaxCharges: 4, Title: "Club de lectura"},
		Email: "ana@example.com", Language: "fr", SuccessURL: "https://school.test/s/17/ok",
		CancelURL: "https://school.test/s/17/cancel", NotifyURL: "https://school.test/webhooks/7"}
}

// fixedNow is the clock of the providers under test.
var fixedNow = time.Date(2027, 1, 5, 12, 0, 0, 0, time.UTC)

func subProvider() *Provider { return New(Options{Now: func() time.Time { return fixedNow }}) }

func TestBeginSubscriptionSendsTheSession(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, stripemock.Start(t))
	red, err := subProvider().BeginSubscription(context.Background(), apiAccount(rec.URL), subCheckout())
	if err != nil {
		t.Fatalf("BeginSubscription = %v", err)
	}
	if !strings.HasPrefix(red.URL, "https://checkout.stripe.com/") || !strings.HasPrefix(red.Ref, "cs_") || red.Form != nil {
		t.Fatalf("redirect = %+v, want a checkout.stripe.com URL and a cs_ ref", red)
	}
	reqs := rec.requests()
	if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].Path != "/v1/checkout/sessions" {
		t.Fatalf("requests = %+v, want one POST /v1/checkout/sessions", reqs)
	}
	want := map[string]string{
		"mode":                                                 "subscription",
		"client_reference_id":                                  "sub:17",
		"metadata[subscription_id]":                            "17",
		"metadata[subscription_number]":                        "S-000017",
		"metadata[max_charges]":                                "4",
		"subscription_data[metadata][subscription_id]":         "17",
		"subscription_data[metadata][subscription_number]":     "S-000017",
		"subscription_data[metadata][max_charges]":             "4",
		"subscription_data[trial_period_days]":                 "14",
		"customer_email":                                       "ana@example.com",
		"line_items[0][price_data][currency]":                  "eur",
		"line_items[0][price_data][unit_amount]":               "2500",
		"line_items[0][price_data][product_data][name]":        "Club de lectura",
		"line_items[0][price_data][recurring][interval]":       "month",
		"line_items[0][price_data][recurring][interval_count]": "3",
		"line_items[0][quantity]":                              "1",
		"success_url":                                          "https://school.test/s/17/ok?session_id={CHECKOUT_SESSION_ID}",
		"cancel_url":                                           "https://school.test/s/17/cancel",
		"locale":                                               "fr",
	}
	form := reqs[0].Form
	for k, v := range want {
		if got := form.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	for _, k := range []string{"customer_creation", "payment_intent_data[metadata][order_id]", "metadata[order_id]"} {
		if _, sent := form[k]; sent {
			t.Errorf("%s sent in subscription mode", k)
		}
	}
	if got := reqs[0].Header.Get("Idempotency-Key"); !strings.HasPrefix(got, "bursar-subscription-17-") {
		t.Errorf("Idempotency-Key = %q", got)
	}
}

func TestBeginSubscriptionWithoutTrialOrCount(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, stripemock.Start(t))
	c := subCheckout()
	c.Plan.TrialDays, c.Plan.MaxCharges, c.Plan.Title, c.Email = 0, 0, " ", ""
	if _, err := subProvider().BeginSubscription(context.Background(), apiAccount(rec.URL), c); err != nil {
		t.Fatalf("BeginSubscription = %v", err)
	}
	form := rec.requests()[0].Form
	for _, k := range []string{"subscription_data[trial_period_days]", "metadata[max_charges]",
		"subscription_data[metadata][max_charges]", "customer_email"} {
		if _, sent := form[k]; sent {
			t.Errorf("%s = %q sent, want it left out", k, form.Get(k))
		}
	}
	if got := form.Get("line_items[0][price_data][product_data][name]"); got != "Subscription S-000017" {
		t.Errorf("product name = %q, want the subscription number", got)
	}
}

func TestBeginSubscriptionRejectsBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*gateway.SubscriptionCheckout)
	}{
		{"no subscription", func(c *gateway.SubscriptionCheckout) { c.SubscriptionID = 0 }},
		{"zero amount", func(c *gateway.SubscriptionCheckout) { c.Plan.Amount.Amount = 0 }},
		{"no currency", func(c *gateway.SubscriptionCheckout) { c.Plan.Amount.Currency = "" }},
		{"unknown interval", func(c *gateway.SubscriptionCheckout) { c.Plan.Interval = "fortnight" }},
		{"zero count", func(c *gateway.SubscriptionCheckout) { c.Plan.Count = 0 }},
		{"no cancel URL", func(c *gateway.SubscriptionCheckout) { c.CancelURL = "" }},
	}
	for _, tt := range tests {
		c := subCheckout()
		tt.edit(&c)
		_, err := subProvider().BeginSubscription(context.Background(), apiAccount("http://127.0.0.1:1"), c)
		if err == nil || errors.Is(err, gateway.ErrUnavailable) {
			t.Errorf("%s: BeginSubscription = %v, want a plain error before calling Stripe", tt.name, err)
		}
	}
}

func TestSubscriptionKey(t *testing.T) {
	t.Parallel()
	a, b, c := subCheckout(), subCheckout(), subCheckout()
	if subscriptionKey(a) != subscriptionKey(b) {
		t.Fatal("the same checkout has two idempotency keys")
	}
	b.Plan.TrialDays++
	c.SuccessURL += "?attempt=2"
	if subscriptionKey(a) == subscriptionKey(b) || subscriptionKey(a) == subscriptionKey(c) {
		t.Fatal("a different plan or attempt shares the idempotency key")
	}
}

func TestChangeSubscription(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, stripemock.Start(t))
	newPlan := gateway.Plan{Amount: money.Money{Amount: 3900, Currency: "EUR"}, Interval: gateway.IntervalYear, Count: 1,
		MaxCharges: 2, Title: "Club de lectura"}
	tests := []struct {
		action string
		plan   gateway.Plan
		// the requests expected, in order, as "METHOD path", and form values of the last one
		calls []string
		form  map[string]string
		unset []string // form keys sent with an empty value (unset at Stripe)
	}{
		{gateway.ActionCancelNow, gateway.Plan{}, []string{"DELETE /v1/subscriptions/sub_1"}, nil, nil},
		{gateway.ActionCancelAtPeriodEnd, gateway.Plan{}, []string{"POST /v1/subscriptions/sub_1"},
			map[string]string{"cancel_at_period_end": "true"}, nil},
		{gateway.ActionUndoCancel, gateway.Plan{}, []string{"POST /v1/subscriptions/sub_1"},
			map[string]string{"cancel_at_period_end": "false"}, nil},
		{gateway.ActionPause, gateway.Plan{}, []string{"POST /v1/subscriptions/sub_1"},
			map[string]string{"pause_collection[behavior]": "void"}, nil},
		{gateway.ActionResume, gateway.Plan{}, []string{"POST /v1/subscriptions/sub_1"}, nil, []string{"pause_collection"}},
		{gateway.ActionChangePlan, newPlan, []string{"GET /v1/subscriptions/sub_1", "POST /v1/subscriptions/sub_1"},
			map[string]string{
				"items[0][price_data][unit_amount]":               "3900",
				"items[0][price_data][currency]":                  "eur",
				"items[0][price_data][recurring][interval]":       "year",
				"items[0][price_data][recurring][interval_count]": "1",
				"items[0][quantity]":                              "1",
				"proration_behavior":                              "always_invoice",
				"metadata[max_charges]":                           "2",
			}, nil},
	}
	p := subProvider()
	for _, tt := range tests {
		before := len(rec.requests())
		st, err := p.ChangeSubscription(context.Background(), apiAccount(rec.URL), gateway.SubscriptionChange{
			SubscriptionRef: gateway.SubscriptionRef{Ref: "sub_1", CustomerRef: "cus_1"}, SubscriptionID: 17,
			Action: tt.action, Plan: tt.plan})
		if err != nil {
			t.Fatalf("%s: ChangeSubscription = %v", tt.action, err)
		}
		if st.Ref == "" || st.CustomerRef == "" || !st.At.Equal(fixedNow) || st.CurrentPeriodEnd.IsZero() {
			t.Errorf("%s: state = %+v, want the answered subscription at the provider's clock", tt.action, st)
		}
		reqs := rec.requests()[before:]
		var got []string
		for _, r := range reqs {
			got = append(got, r.Method+" "+r.Path)
		}
		if strings.Join(got, ",") != strings.Join(tt.calls, ",") {
			t.Fatalf("%s: requests = %v, want %v", tt.action, got, tt.calls)
		}
		last := reqs[len(reqs)-1].Form
		for k, v := range tt.form {
			if g := last.Get(k); g != v {
				t.Errorf("%s: %s = %q, want %q", tt.action, k, g, v)
			}
		}
		for _, k := range tt.unset {
			if v, ok := last[k]; !ok || len(v) != 1 || v[0] != "" {
				t.Errorf("%s: %s = %q, want it sent empty", tt.action, k, v)
			}
		}
		if tt.action == gateway.ActionChangePlan {
			if last.Get("items[0][id]") == "" || last.Get("items[0][price_data][product]") == "" {
				t.Errorf("change_plan: item id %q, product %q: want the subscription's own", last.Get("items[0][id]"),
					last.Get("items[0][price_data][product]"))
			}
		}
	}
}

func TestChangeSubscriptionRefusals(t *testing.T) {
	t.Parallel()
	p := subProvider()
	acct := apiAccount("http://127.0.0.1:1")
	_, err := p.ChangeSubscription(context.Background(), acct, gateway.SubscriptionChange{
		SubscriptionRef: gateway.SubscriptionRef{Ref: "sub_1"}, Action: "refund_everything"})
	if !errors.Is(err, gateway.ErrUnsupported) {
		t.Errorf("unknown action: %v, want ErrUnsupported", err)
	}
	_, err = p.ChangeSubscription(context.Background(), acct, gateway.SubscriptionChange{Action: gateway.ActionPause})
	if err == nil || errors.Is(err, gateway.ErrUnavailable) {
		t.Errorf("no reference: %v, want a plain error", err)
	}
	_, err = p.ChangeSubscription(context.Background(), acct, gateway.SubscriptionChange{
		SubscriptionRef: gateway.SubscriptionRef{Ref: "sub_1"}, Action: gateway.ActionChangePlan})
	if err == nil || errors.Is(err, gateway.ErrUnavailable) {
		t.Errorf("change_plan without a plan: %v, want a plain error", err)
	}
}

func TestSubscriptionStatus(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, stripemock.Start(t))
	st, err := subProvider().SubscriptionStatus(context.Background(), apiAccount(rec.URL), "sub_1")
	if err != nil {
		t.Fatalf("SubscriptionStatus = %v", err)
	}
	reqs := rec.requests()
	if len(reqs) != 1 || reqs[0].Method != http.MethodGet || reqs[0].Path != "/v1/subscriptions/sub_1" {
		t.Fatalf("requests = %+v, want GET /v1/subscriptions/sub_1", reqs)
	}
	// stripe-mock answers its canned fixture, in the newer API shape (the period on the item): an active
	// subscription with collection paused (so: paused), cancelling at its period's end, one item of 20.00 USD.
	want := gateway.SubscriptionState{SubscriptionRef: gateway.SubscriptionRef{Ref: "sub_1", CustomerRef: "cus_QXg1o8vcGmoR32"},
		Status: gateway.SubPaused, CancelAtPeriodEnd: true, Amount: money.Money{Amount: 2000, Currency: "USD"}, At: fixedNow}
	if st.Ref != want.Ref || st.CustomerRef != want.CustomerRef || st.Status != want.Status ||
		st.CancelAtPeriodEnd != want.CancelAtPeriodEnd || st.Amount != want.Amount || !st.At.Equal(want.At) ||
		st.CurrentPeriodStart.IsZero() || st.CurrentPeriodEnd.IsZero() {
		t.Fatalf("state = %+v, want %+v with the item's period", st, want)
	}
	if _, err := subProvider().SubscriptionStatus(context.Background(), apiAccount(rec.URL), ""); err == nil {
		t.Fatal("SubscriptionStatus(\"\") = nil error")
	}
}

// TestSubscriptionStatusThroughRegistry: the answer passes the registry's checks (the Subscriber is found, the
// state validates).
func TestSubscriptionStatusThroughRegistry(t *testing.T) {
	t.Parallel()
	url := stripemock.Start(t)
	sub, ok := gateway.NewRegistry(subProvider()).Subscriber(gateway.TypeStripe)
	if !ok {
		t.Fatal("the registry has no Stripe Subscriber")
	}
	if _, err := sub.SubscriptionStatus(context.Background(), apiAccount(url), "sub_1"); err != nil {
		t.Fatalf("SubscriptionStatus through the registry = %v", err)
	}
}

func TestManageURL(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, stripemock.Start(t))
	p := subProvider()
	u, err := p.ManageURL(context.Background(), apiAccount(rec.URL),
		gateway.SubscriptionRef{Ref: "sub_1", CustomerRef: "cus_1"}, "https://school.test/cabinet/subscriptions")
	if err != nil || !strings.HasPrefix(u, "https://") {
		t.Fatalf("ManageURL = %q, %v", u, err)
	}
	reqs := rec.requests()
	if len(reqs) != 1 || reqs[0].Path != "/v1/billing_portal/sessions" || reqs[0].Form.Get("customer") != "cus_1" ||
		reqs[0].Form.Get("return_url") != "https://school.test/cabinet/subscriptions" {
		t.Fatalf("requests = %+v, want one billing portal session for cus_1", reqs)
	}
	// Without the customer, the subscription names it.
	if _, err := p.ManageURL(context.Background(), apiAccount(rec.URL), gateway.SubscriptionRef{Ref: "sub_1"},
		"https://school.test/cabinet"); err != nil {
		t.Fatalf("ManageURL without customer = %v", err)
	}
	reqs = rec.requests()[1:]
	if len(reqs) != 2 || reqs[0].Path != "/v1/subscriptions/sub_1" || reqs[1].Form.Get("customer") == "" {
		t.Fatalf("requests = %+v, want the subscription read, then a portal session for its customer", reqs)
	}
}

func TestSubscriberUnavailable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"error":{"type":"api_error","message":"Stripe is down"}}`)
	}))
	t.Cleanup(srv.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	p := New(Options{Timeout: time.Second})
	ref := gateway.SubscriptionRef{Ref: "sub_1", CustomerRef: "cus_1"}
	for _, base := range []string{srv.URL, closed.URL} {
		acct := apiAccount(base)
		if _, err := p.ManageURL(context.Background(), acct, ref, "https://school.test/c"); !errors.Is(err, gateway.ErrUnavailable) {
			t.Errorf("%s: ManageURL = %v, want ErrUnavailable", base, err)
		}
		if _, err := p.SubscriptionStatus(context.Background(), acct, "sub_1"); !errors.Is(err, gateway.ErrUnavailable) {
			t.Errorf("%s: SubscriptionStatus = %v, want ErrUnavailable", base, err)
		}
		if _, err := p.ChangeSubscription(context.Background(), acct, gateway.SubscriptionChange{SubscriptionRef: ref,
			Action: gateway.ActionPause}); !errors.Is(err, gateway.ErrUnavailable) {
			t.Errorf("%s: ChangeSubscription = %v, want ErrUnavailable", base, err)
		}
		if _, err := p.BeginSubscription(context.Background(), acct, subCheckout()); !errors.Is(err, gateway.ErrUnavailable) {
			t.Errorf("%s: BeginSubscription = %v, want ErrUnavailable", base, err)
		}
	}
}

func TestManageURLPortalNotConfigured(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":{"type":"invalid_request_error","message":"No configuration provided"}}`)
	}))
	t.Cleanup(srv.Close)
	_, err := subProvider().ManageURL(context.Background(), apiAccount(srv.URL),
		gateway.SubscriptionRef{Ref: "sub_1", CustomerRef: "cus_1"}, "https://school.test/c")
	if err == nil || errors.Is(err, gateway.ErrUnavailable) || !strings.Contains(err.Error(), "No configuration provided") {
		t.Fatalf("ManageURL = %v, want a plain error carrying Stripe's message", err)
	}
}
