package paypal

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/paypal/paypalfake"
	"github.com/bursar/bursar/internal/money"
)

var (
	eur1990  = money.Money{Amount: 1990, Currency: "EUR"}
	subStart = time.Date(2027, 1, 3, 10, 0, 0, 0, time.UTC)
)

// subCheckout is subscription 12: 19.90 EUR a month after a 14-day trial, 12 times.
func subCheckout() gateway.SubscriptionCheckout {
	return gateway.SubscriptionCheckout{SubscriptionID: 12, Number: "S-000012",
		Plan: gateway.Plan{Amount: eur1990, Interval: gateway.IntervalMonth, Count: 1, TrialDays: 14, MaxCharges: 12,
			Title: "Curso de español A1 & <más>"},
		Email: "ana@example.com", Language: "es",
		SuccessURL: "https://school.test/s/S-000012/subscribed?x=1&y=2", CancelURL: "https://school.test/o/a1?cancelled=1",
		NotifyURL: "https://school.test/webhooks/7"}
}

// subscribed begins c at fake (its clock at subStart) and returns the PayPal subscription id.
func subscribed(t *testing.T, p *Provider, fake *paypalfake.Server, c gateway.SubscriptionCheckout) string {
	t.Helper()
	fake.SetNow(subStart)
	red, err := p.BeginSubscription(context.Background(), fakeAccount(fake.URL), c)
	if err != nil {
		t.Fatalf("BeginSubscription = %v", err)
	}
	return red.Ref
}

// activeSub is subscription 12 approved and charged once (the trial over): its id and the sale's.
func activeSub(t *testing.T, p *Provider, fake *paypalfake.Server) (string, string) {
	t.Helper()
	id := subscribed(t, p, fake, subCheckout())
	if err := fake.ApproveSubscription(id, "ana@example.com"); err != nil {
		t.Fatal(err)
	}
	fake.SetNow(subStart.AddDate(0, 0, 14))
	sale, err := fake.ChargeSubscription(id)
	if err != nil {
		t.Fatal(err)
	}
	return id, sale
}

// valid fails t unless st passes the checks gateway.Registry's guard makes of a Subscriber's answers.
func valid(t *testing.T, st gateway.SubscriptionState) {
	t.Helper()
	if err := (gateway.Event{ID: "x", Kind: gateway.EventSubscription, Subscription: &st}).Validate(); err != nil {
		t.Fatalf("state %+v: %v", st, err)
	}
}

func TestBeginSubscription(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	c := subCheckout()
	fake.SetNow(subStart)
	red, err := p.BeginSubscription(context.Background(), fakeAccount(fake.URL), c)
	if err != nil {
		t.Fatal(err)
	}
	sub, ok := fake.Subscription(red.Ref)
	if !ok || !strings.HasPrefix(red.Ref, "I-") || red.URL != "https://www.sandbox.paypal.com/webapps/billing/subscriptions?ba_token=BA-"+red.Ref[2:] {
		t.Fatalf("Redirect %+v", red)
	}
	want := paypalfake.Subscription{ID: red.Ref, PlanID: sub.PlanID, Status: "APPROVAL_PENDING", CustomID: "sub:12",
		SubscriberEmail: "ana@example.com", ReturnURL: c.SuccessURL, CancelURL: c.CancelURL, UserAction: "SUBSCRIBE_NOW",
		Locale: "es-ES", Shipping: "NO_SHIPPING", RequestID: sub.RequestID}
	if !reflect.DeepEqual(sub, want) || !strings.HasPrefix(sub.RequestID, "bursar-subscription-12-") {
		t.Fatalf("subscription =\n %+v\nwant\n %+v", sub, want)
	}
	plan, _ := fake.Plan(sub.PlanID)
	if plan.Status != "ACTIVE" || plan.Name != c.Plan.Title || plan.PaymentFailureThreshold != 3 || len(plan.BillingCycles) != 2 {
		t.Fatalf("plan %+v", plan)
	}
	trial, reg := plan.BillingCycles[0], plan.BillingCycles[1]
	if trial.TenureType != "TRIAL" || trial.Frequency.IntervalUnit != "DAY" || trial.Frequency.IntervalCount != 14 ||
		trial.TotalCycles != 1 || trial.Sequence != 1 || trial.PricingScheme != nil {
		t.Fatalf("trial cycle %+v", trial)
	}
	if reg.TenureType != "REGULAR" || reg.Frequency.IntervalUnit != "MONTH" || reg.Frequency.IntervalCount != 1 ||
		reg.TotalCycles != 12 || reg.Sequence != 2 || *reg.PricingScheme.FixedPrice != (paypalfake.Money{Currency: "EUR", Value: "19.90"}) {
		t.Fatalf("regular cycle %+v", reg)
	}
	if prod, ok := fake.Product(plan.ProductID); !ok || prod.Name != c.Plan.Title || prod.Type != "SERVICE" {
		t.Fatalf("product %+v", prod)
	}
	// A second click makes nothing new; another plan makes another subscription.
	again, err := p.BeginSubscription(context.Background(), fakeAccount(fake.URL), c)
	if err != nil || again != red {
		t.Fatalf("again = %+v, %v; want %+v", again, err, red)
	}
	c.Plan.Amount.Amount = 2990
	other, err := p.BeginSubscription(context.Background(), fakeAccount(fake.URL), c)
	if err != nil || other.Ref == red.Ref {
		t.Fatalf("another price = %+v, %v", other, err)
	}
	if n := fake.Calls("POST /v1/billing/subscriptions"); n != 3 {
		t.Fatalf("%d subscription requests, want 3", n)
	}
}

func TestBeginSubscriptionPlans(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	type cycle struct {
		tenure, unit string
		count, total int
		price        string // "" for none
	}
	tests := []struct {
		name string
		plan gateway.Plan
		want []cycle
	}{
		{"MonthlyForever", gateway.Plan{Amount: eur1990, Interval: gateway.IntervalMonth, Count: 1},
			[]cycle{{"REGULAR", "MONTH", 1, 0, "19.90"}}},
		{"EveryTwoWeeks", gateway.Plan{Amount: eur1990, Interval: gateway.IntervalWeek, Count: 2, MaxCharges: 6},
			[]cycle{{"REGULAR", "WEEK", 2, 6, "19.90"}}},
		{"EveryTenDaysAfterTrial", gateway.Plan{Amount: eur1990, Interval: gateway.IntervalDay, Count: 10, TrialDays: 3},
			[]cycle{{"TRIAL", "DAY", 3, 1, ""}, {"REGULAR", "DAY", 10, 0, "19.90"}}},
		{"YearlyLongTrial", gateway.Plan{Amount: eur1990, Interval: gateway.IntervalYear, Count: 1, TrialDays: 400},
			[]cycle{{"TRIAL", "DAY", 1, 400, ""}, {"REGULAR", "YEAR", 1, 0, "19.90"}}},
		{"Yen", gateway.Plan{Amount: money.Money{Amount: 5000, Currency: "JPY"}, Interval: gateway.IntervalMonth, Count: 1},
			[]cycle{{"REGULAR", "MONTH", 1, 0, "5000"}}},
		{"Forint", gateway.Plan{Amount: money.Money{Amount: 500000, Currency: "HUF"}, Interval: gateway.IntervalMonth, Count: 3},
			[]cycle{{"REGULAR", "MONTH", 3, 0, "5000"}}},
	}
	for i, tt := range tests {
		c := subCheckout()
		c.SubscriptionID, c.Plan = int64(100+i), tt.plan
		id := subscribed(t, p, fake, c)
		sub, _ := fake.Subscription(id)
		plan, _ := fake.Plan(sub.PlanID)
		var got []cycle
		for _, bc := range plan.BillingCycles {
			cy := cycle{bc.TenureType, bc.Frequency.IntervalUnit, bc.Frequency.IntervalCount, bc.TotalCycles, ""}
			if bc.PricingScheme != nil && bc.PricingScheme.FixedPrice != nil {
				cy.price = bc.PricingScheme.FixedPrice.Value
			}
			got = append(got, cy)
		}
		if !reflect.DeepEqual(got, tt.want) || plan.Name != "Subscription S-000012" {
			t.Errorf("%s: plan %q cycles %+v, want %+v", tt.name, plan.Name, got, tt.want)
		}
	}
}

func TestBeginSubscriptionRefuses(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	tests := []struct {
		name   string
		change func(c *gateway.SubscriptionCheckout)
		reason string
	}{
		{"UnknownInterval", func(c *gateway.SubscriptionCheckout) { c.Plan.Interval = "fortnight" }, "fortnight"},
		{"ThirteenMonths", func(c *gateway.SubscriptionCheckout) { c.Plan.Count = 13 }, "1 to 12 months"},
		{"TwoYears", func(c *gateway.SubscriptionCheckout) { c.Plan.Interval, c.Plan.Count = gateway.IntervalYear, 2 }, "1 to 1 years"},
		{"ZeroCount", func(c *gateway.SubscriptionCheckout) { c.Plan.Count = 0 }, "not every 0"},
		{"Free", func(c *gateway.SubscriptionCheckout) { c.Plan.Amount.Amount = 0 }, "positive amount"},
		{"TooManyCharges", func(c *gateway.SubscriptionCheckout) { c.Plan.MaxCharges = 1000 }, "999"},
		{"TooLongTrial", func(c *gateway.SubscriptionCheckout) { c.Plan.TrialDays = 1000 }, "999"},
		{"ForintCents", func(c *gateway.SubscriptionCheckout) { c.Plan.Amount = money.Money{Amount: 500050, Currency: "HUF"} }, "whole HUF"},
		{"NoSubscription", func(c *gateway.SubscriptionCheckout) { c.SubscriptionID = 0 }, "required"},
		{"NoReturnURL", func(c *gateway.SubscriptionCheckout) { c.SuccessURL = "" }, "required"},
	}
	for _, tt := range tests {
		c := subCheckout()
		tt.change(&c)
		red, err := p.BeginSubscription(context.Background(), fakeAccount(fake.URL), c)
		if err == nil || !strings.Contains(err.Error(), tt.reason) || red != (gateway.Redirect{}) {
			t.Errorf("%s: BeginSubscription = %+v, %v; want an error saying %q", tt.name, red, err, tt.reason)
		}
	}
	if n := len(fake.Requests()); n != 0 {
		t.Fatalf("%d requests reached PayPal", n)
	}
	fake.Fail("POST /v1/billing/plans", http.StatusServiceUnavailable)
	if _, err := p.BeginSubscription(context.Background(), fakeAccount(fake.URL), subCheckout()); !errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("plans 503: %v, want ErrUnavailable", err)
	}
	if n := fake.Calls("POST /v1/billing/subscriptions"); n != 0 {
		t.Fatalf("a subscription was asked for without its plan")
	}
}

func TestSubscriptionStatus(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	acct := fakeAccount(fake.URL)
	id := subscribed(t, p, fake, subCheckout())
	status := func() gateway.SubscriptionState {
		t.Helper()
		st, err := p.SubscriptionStatus(context.Background(), acct, id)
		if err != nil {
			t.Fatal(err)
		}
		valid(t, st)
		return st
	}
	ref := gateway.SubscriptionRef{Ref: id}
	if st := status(); st != (gateway.SubscriptionState{SubscriptionRef: ref, SubscriptionID: 12, At: subStart}) {
		t.Fatalf("approval pending: %+v", st)
	}
	fake.SetNow(subStart.Add(time.Minute))
	if err := fake.ApproveSubscription(id, ""); err != nil {
		t.Fatal(err)
	}
	trialEnd := subStart.Add(time.Minute).AddDate(0, 0, 14)
	want := gateway.SubscriptionState{SubscriptionRef: ref, SubscriptionID: 12, Status: gateway.SubTrialing,
		CurrentPeriodEnd: trialEnd, TrialEnd: trialEnd, At: subStart.Add(time.Minute)}
	if st := status(); st != want {
		t.Fatalf("trialing: %+v\nwant %+v", st, want)
	}
	charged := trialEnd
	fake.SetNow(charged)
	if _, err := fake.ChargeSubscription(id); err != nil {
		t.Fatal(err)
	}
	want = gateway.SubscriptionState{SubscriptionRef: ref, SubscriptionID: 12, Status: gateway.SubActive,
		CurrentPeriodEnd: trialEnd.AddDate(0, 1, 0), At: charged}
	if st := status(); st != want {
		t.Fatalf("active: %+v\nwant %+v", st, want)
	}
	failed := charged.AddDate(0, 1, 0)
	fake.SetNow(failed)
	if err := fake.FailSubscriptionPayment(id); err != nil {
		t.Fatal(err)
	}
	want.Status, want.At = gateway.SubPastDue, failed
	if st := status(); st != want {
		t.Fatalf("past due: %+v\nwant %+v", st, want)
	}
	for _, tt := range []struct {
		paypal string
		want   gateway.SubscriptionState
	}{
		{"SUSPENDED", gateway.SubscriptionState{Status: gateway.SubPaused}},
		{"CANCELLED", gateway.SubscriptionState{Status: gateway.SubCancelled}},
		{"EXPIRED", gateway.SubscriptionState{Status: gateway.SubEnded}},
	} {
		at := failed.Add(time.Hour)
		fake.SetNow(at)
		if err := fake.SetSubscriptionStatus(id, tt.paypal); err != nil {
			t.Fatal(err)
		}
		tt.want.SubscriptionRef, tt.want.SubscriptionID, tt.want.At = ref, 12, at
		switch tt.paypal {
		case "SUSPENDED":
			tt.want.CurrentPeriodEnd = failed
		case "CANCELLED":
			tt.want.CancelledAt = at
		case "EXPIRED":
			tt.want.EndedAt = at
		}
		if st := status(); st != tt.want {
			t.Fatalf("%s: %+v\nwant %+v", tt.paypal, st, tt.want)
		}
	}
	_, err := p.SubscriptionStatus(context.Background(), acct, "I-UNKNOWN00000")
	if name, issue := issueOf(err); name != "RESOURCE_NOT_FOUND" || issue != "INVALID_RESOURCE_ID" || errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("unknown subscription: %v", err)
	}
	before := len(fake.Requests())
	if _, err := p.SubscriptionStatus(context.Background(), acct, "../../v2/checkout/orders/X"); err == nil || len(fake.Requests()) != before {
		t.Fatalf("a bad reference: %v, %d requests", err, len(fake.Requests())-before)
	}
	fake.Fail("GET /v1/billing/subscriptions/{id}", http.StatusBadGateway)
	if _, err := p.SubscriptionStatus(context.Background(), acct, id); !errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("502: %v, want ErrUnavailable", err)
	}
}

func TestChangeSubscription(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	acct := fakeAccount(fake.URL)
	id, _ := activeSub(t, p, fake)
	change := func(action string) (gateway.SubscriptionState, error) {
		return p.ChangeSubscription(context.Background(), acct, gateway.SubscriptionChange{
			SubscriptionRef: gateway.SubscriptionRef{Ref: id}, SubscriptionID: 12, Action: action})
	}
	steps := []struct {
		action, paypal, want string
		reasons              int
	}{
		{gateway.ActionPause, "SUSPENDED", gateway.SubPaused, 1},
		{gateway.ActionPause, "SUSPENDED", gateway.SubPaused, 1}, // a second click
		{gateway.ActionResume, "ACTIVE", gateway.SubActive, 2},
		{gateway.ActionCancelNow, "CANCELLED", gateway.SubCancelled, 3},
		{gateway.ActionCancelNow, "CANCELLED", gateway.SubCancelled, 3},
	}
	for i, s := range steps {
		before := time.Now().UTC()
		st, err := change(s.action)
		if err != nil || st.Status != s.want || st.Ref != id || st.SubscriptionID != 12 || st.At.Before(before) {
			t.Fatalf("step %d %s = %+v, %v; want %s", i, s.action, st, err, s.want)
		}
		valid(t, st)
		sub, _ := fake.Subscription(id)
		if sub.Status != s.paypal || len(sub.Reasons) != s.reasons {
			t.Fatalf("step %d %s: PayPal has %+v", i, s.action, sub)
		}
	}
	if sub, _ := fake.Subscription(id); sub.Reasons[0] != "Paused through Bursar" || sub.Reasons[2] != "Cancelled through Bursar" {
		t.Fatalf("reasons %q", sub.Reasons)
	}
	if st, err := change(gateway.ActionResume); err == nil || !strings.Contains(err.Error(), "CANCELLED") {
		t.Fatalf("resume a cancelled subscription = %+v, %v", st, err)
	}
	before := len(fake.Requests())
	for _, a := range []string{gateway.ActionCancelAtPeriodEnd, gateway.ActionUndoCancel, gateway.ActionChangePlan, "explode"} {
		if _, err := change(a); !errors.Is(err, gateway.ErrUnsupported) {
			t.Errorf("%s = %v, want ErrUnsupported", a, err)
		}
	}
	if n := len(fake.Requests()) - before; n != 0 {
		t.Fatalf("unsupported actions sent %d requests", n)
	}
}

func TestManageURL(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	ref := gateway.SubscriptionRef{Ref: "I-BW452GLLEP1G"}
	u, err := p.ManageURL(context.Background(), fakeAccount(fake.URL), ref, "https://school.test/cabinet")
	if err != nil || u != SandboxManageURL {
		t.Fatalf("test mode: %q, %v", u, err)
	}
	live := fakeAccount(fake.URL)
	live.System.Mode = gateway.ModeLive
	if u, err = p.ManageURL(context.Background(), live, ref, ""); err != nil || u != "https://www.paypal.com/myaccount/autopay/" {
		t.Fatalf("live mode: %q, %v", u, err)
	}
	if n := len(fake.Requests()); n != 0 {
		t.Fatalf("%d requests", n)
	}
}
