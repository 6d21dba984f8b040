package stripe

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	stripego "github.com/stripe/stripe-go/v76"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/stripe/stripetest"
	"github.com/bursar/bursar/internal/money"
)

// verifySigned verifies body signed now through a registry, as the webhook handler does (Event.Validate included).
func verifySigned(t *testing.T, body []byte) gateway.Event {
	t.Helper()
	now := time.Now()
	p, _ := gateway.NewRegistry(New(Options{})).Provider(gateway.TypeStripe)
	h := http.Header{}
	h.Set(SignatureHeader, stripetest.Sign(vectorSecret, now, body))
	ev, err := p.Verify(context.Background(), webhookAccount(vectorSecret),
		gateway.Inbound{Header: h.Get, Body: body, Received: now})
	if err != nil {
		t.Fatalf("Verify(%s) = %v", body, err)
	}
	return ev
}

// editObject rewrites the data.object of an event body.
func editObject(t *testing.T, body []byte, edit func(obj map[string]any)) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatal(err)
	}
	edit(ev["data"].(map[string]any)["object"].(map[string]any))
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStripetestSignIsStripes(t *testing.T) {
	t.Parallel()
	if got := stripetest.Sign(vectorSecret, time.Unix(vectorT, 0), []byte(vectorPayload)); got != "t=1700000000,v1="+vectorV1 {
		t.Fatalf("Sign = %s, want the GATEWAYS.md vector", got)
	}
}

var (
	created  = time.Date(2027, 1, 3, 10, 0, 0, 0, time.UTC)
	pStart   = time.Date(2027, 1, 3, 9, 59, 0, 0, time.UTC)
	pEnd     = time.Date(2027, 2, 3, 9, 59, 0, 0, time.UTC)
	eur      = func(a int64) money.Money { return money.Money{Amount: a, Currency: "EUR"} }
	linkOnly = func(ref, customer, checkout string, id int64) *gateway.SubscriptionState {
		return &gateway.SubscriptionState{SubscriptionRef: gateway.SubscriptionRef{Ref: ref, CustomerRef: customer},
			SubscriptionID: id, CheckoutRef: checkout, At: created}
	}
)

func TestVerifySubscriptionSession(t *testing.T) {
	t.Parallel()
	completed := stripetest.SessionCompletedSubscription("evt_s1", created, "cs_sub1", "sub_1", "cus_1", 5)
	tests := []struct {
		name string
		body []byte
		want gateway.Event
	}{
		{"completed links the references, never an order's payment", completed,
			gateway.Event{ID: "evt_s1", Type: EventSessionCompleted, Kind: gateway.EventSubscription, Ref: "sub_1",
				PayerEmail: "payer@example.com", Subscription: linkOnly("sub_1", "cus_1", "cs_sub1", 5)}},
		{"subscription from metadata when client_reference_id is absent",
			editObject(t, completed, func(o map[string]any) { o["client_reference_id"] = nil }),
			gateway.Event{ID: "evt_s1", Type: EventSessionCompleted, Kind: gateway.EventSubscription, Ref: "sub_1",
				PayerEmail: "payer@example.com", Subscription: linkOnly("sub_1", "cus_1", "cs_sub1", 5)}},
		{"a bare number in client_reference_id is neither an order nor a subscription",
			editObject(t, completed, func(o map[string]any) { o["client_reference_id"] = "42"; o["metadata"] = map[string]any{} }),
			gateway.Event{ID: "evt_s1", Type: EventSessionCompleted, Kind: gateway.EventSubscription, Ref: "sub_1",
				PayerEmail: "payer@example.com", Subscription: linkOnly("sub_1", "cus_1", "cs_sub1", 0)}},
		{"async success links too",
			editObject(t, bytes.Replace(completed, []byte(EventSessionCompleted), []byte(EventSessionAsyncSucceeded), 1),
				func(map[string]any) {}),
			gateway.Event{ID: "evt_s1", Type: EventSessionAsyncSucceeded, Kind: gateway.EventSubscription, Ref: "sub_1",
				PayerEmail: "payer@example.com", Subscription: linkOnly("sub_1", "cus_1", "cs_sub1", 5)}},
		{"expired is ignored", bytes.Replace(completed, []byte(EventSessionCompleted), []byte(EventSessionExpired), 1),
			gateway.Event{ID: "evt_s1", Type: EventSessionExpired, Kind: gateway.EventIgnored}},
		{"naming no subscription at all is ignored",
			stripetest.SessionCompletedSubscription("evt_s1", created, "cs_sub1", "", "cus_1", 0),
			gateway.Event{ID: "evt_s1", Type: EventSessionCompleted, Kind: gateway.EventIgnored}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := verifySigned(t, tt.body)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("event =\n %+v %+v\nwant\n %+v %+v", got, got.Subscription, tt.want, tt.want.Subscription)
			}
			if got.OrderID != 0 || got.Kind == gateway.EventPaid {
				t.Fatalf("a subscription session became an order's payment: %+v", got)
			}
		})
	}
}

func TestVerifyInvoices(t *testing.T) {
	t.Parallel()
	paid := stripetest.InvoicePaid("evt_i1", created, "in_1", "sub_1", 5, "pi_1", 2500, "eur", pStart, pEnd)
	charge := gateway.SubscriptionCharge{Ref: "in_1", SubscriptionRef: "sub_1", SubscriptionID: 5, PaymentRef: "pi_1",
		Amount: eur(2500), PeriodStart: pStart, PeriodEnd: pEnd, Paid: true, PayerEmail: "payer@example.com", At: created}
	chargeEvent := func(typ string, c gateway.SubscriptionCharge) gateway.Event {
		return gateway.Event{ID: "evt_i1", Type: typ, Kind: gateway.EventCharge, Ref: c.Ref, AltRef: c.PaymentRef,
			Amount: c.Amount, PayerEmail: c.PayerEmail, Charge: &c}
	}
	noMeta := charge
	noMeta.SubscriptionID = 0
	fromLine := charge
	failed := charge
	failed.Paid, failed.UpdateURL = false, "https://invoice.stripe.com/i/acct_1/in_1"
	proration := charge
	proration.PeriodStart = pStart.Add(10 * 24 * time.Hour)
	tests := []struct {
		name string
		body []byte
		want gateway.Event
	}{
		{"invoice.paid is a paid charge for its line's period", paid, chargeEvent(EventInvoicePaid, charge)},
		{"invoice.payment_succeeded is the same charge",
			bytes.Replace(paid, []byte(`"invoice.paid"`), []byte(`"invoice.payment_succeeded"`), 1),
			chargeEvent(EventInvoicePaymentSucceeded, charge)},
		{"subscription id from the line's metadata without subscription_details",
			editObject(t, paid, func(o map[string]any) { delete(o, "subscription_details") }),
			chargeEvent(EventInvoicePaid, fromLine)},
		{"no Bursar metadata: the subscription reference names it",
			stripetest.InvoicePaid("evt_i1", created, "in_1", "sub_1", 0, "pi_1", 2500, "EUR", pStart, pEnd),
			chargeEvent(EventInvoicePaid, noMeta)},
		{"the line ending last (a proration invoice's) gives the period",
			editObject(t, paid, func(o map[string]any) {
				lines := o["lines"].(map[string]any)
				line := lines["data"].([]any)[0].(map[string]any)
				unused := map[string]any{}
				for k, v := range line {
					unused[k] = v
				}
				unused["proration"], unused["amount"] = true, -800
				unused["period"] = map[string]any{"start": proration.PeriodStart.Unix(), "end": pEnd.Unix()}
				line["proration"] = true
				line["period"] = map[string]any{"start": proration.PeriodStart.Unix(), "end": pEnd.Unix()}
				lines["data"] = []any{unused, line}
			}),
			chargeEvent(EventInvoicePaid, proration)},
		{"invoice.payment_failed is a failed charge with the page to pay it",
			stripetest.InvoiceFailed("evt_i1", created, "in_1", "sub_1", 5, "pi_1", 2500, "eur", pStart, pEnd,
				"https://invoice.stripe.com/i/acct_1/in_1"),
			chargeEvent(EventInvoicePaymentFailed, failed)},
		{"a trial's zero invoice only links the references",
			stripetest.InvoicePaid("evt_i1", created, "in_1", "sub_1", 5, "", 0, "eur", pStart, pEnd),
			gateway.Event{ID: "evt_i1", Type: EventInvoicePaid, Kind: gateway.EventSubscription, Ref: "sub_1",
				Subscription: linkOnly("sub_1", "cus_test", "", 5)}},
		{"newer API versions: the subscription under parent.subscription_details, no payment intent",
			editObject(t, paid, func(o map[string]any) {
				o["parent"] = map[string]any{"type": "subscription_details", "subscription_details": map[string]any{
					"subscription": "sub_1", "metadata": map[string]any{"subscription_id": "5"}}}
				delete(o, "subscription")
				delete(o, "subscription_details")
				delete(o, "payment_intent")
				line := o["lines"].(map[string]any)["data"].([]any)[0].(map[string]any)
				line["metadata"] = map[string]any{}
			}),
			func() gateway.Event {
				c := charge
				c.PaymentRef = ""
				return chargeEvent(EventInvoicePaid, c)
			}()},
		{"an invoice of no subscription is ignored",
			editObject(t, paid, func(o map[string]any) { o["subscription"] = nil }),
			gateway.Event{ID: "evt_i1", Type: EventInvoicePaid, Kind: gateway.EventIgnored}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := verifySigned(t, tt.body)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("event =\n %+v %+v %+v\nwant\n %+v %+v %+v", got, got.Charge, got.Subscription,
					tt.want, tt.want.Charge, tt.want.Subscription)
			}
		})
	}
}

func TestVerifySubscriptionEvents(t *testing.T) {
	t.Parallel()
	state := func(status string) gateway.SubscriptionState {
		return gateway.SubscriptionState{SubscriptionRef: gateway.SubscriptionRef{Ref: "sub_1", CustomerRef: "cus_1"},
			SubscriptionID: 5, Status: status, CurrentPeriodStart: pStart, CurrentPeriodEnd: pEnd, Amount: eur(2500),
			At: created}
	}
	event := func(typ, status string, cancelAtEnd bool) []byte {
		return stripetest.SubscriptionEvent("evt_c1", typ, created, "sub_1", "cus_1", 5, status, pStart, pEnd,
			cancelAtEnd, 2500, "eur")
	}
	withReason := func(reason string) func(o map[string]any) {
		return func(o map[string]any) {
			o["cancellation_details"] = map[string]any{"reason": reason}
		}
	}
	trialing := state(gateway.SubTrialing)
	trialing.TrialEnd = pEnd
	atEnd := state(gateway.SubActive)
	atEnd.CancelAtPeriodEnd, atEnd.CancelledAt = true, created
	cancelled := state(gateway.SubCancelled)
	cancelled.CancelledAt, cancelled.EndedAt = created, created
	ended := cancelled
	ended.Status = gateway.SubEnded
	tests := []struct {
		name string
		typ  string
		body []byte
		want *gateway.SubscriptionState
	}{
		{"created trialing", EventSubscriptionCreated, event(EventSubscriptionCreated, "trialing", false), &trialing},
		{"updated active", EventSubscriptionUpdated, event(EventSubscriptionUpdated, "active", false),
			new(state(gateway.SubActive))},
		{"cancel at period end", EventSubscriptionUpdated, event(EventSubscriptionUpdated, "active", true), &atEnd},
		{"past_due", EventSubscriptionUpdated, event(EventSubscriptionUpdated, "past_due", false),
			new(state(gateway.SubPastDue))},
		{"unpaid is past due", EventSubscriptionUpdated, event(EventSubscriptionUpdated, "unpaid", false),
			new(state(gateway.SubPastDue))},
		{"collection paused is paused", EventSubscriptionUpdated,
			editObject(t, event(EventSubscriptionUpdated, "active", false), func(o map[string]any) {
				o["pause_collection"] = map[string]any{"behavior": "void", "resumes_at": nil}
			}), new(state(gateway.SubPaused))},
		{"paused", EventSubscriptionPaused, event(EventSubscriptionPaused, "paused", false), new(state(gateway.SubPaused))},
		{"resumed", EventSubscriptionResumed, event(EventSubscriptionResumed, "active", false),
			new(state(gateway.SubActive))},
		{"deleted by request is cancelled", EventSubscriptionDeleted, event(EventSubscriptionDeleted, "canceled", false),
			&cancelled},
		{"deleted after failed payments is ended", EventSubscriptionDeleted,
			editObject(t, event(EventSubscriptionDeleted, "canceled", false), withReason("payment_failed")), &ended},
		{"incomplete only links", EventSubscriptionCreated, event(EventSubscriptionCreated, "incomplete", false),
			new(state(""))},
		{"incomplete_expired is ended", EventSubscriptionUpdated,
			editObject(t, event(EventSubscriptionUpdated, "incomplete_expired", false), func(o map[string]any) {
				o["ended_at"] = created.Unix()
			}), func() *gateway.SubscriptionState { s := state(gateway.SubEnded); s.EndedAt = created; return &s }()},
		{"newer API versions: the period on the item", EventSubscriptionUpdated,
			editObject(t, event(EventSubscriptionUpdated, "active", false), func(o map[string]any) {
				delete(o, "current_period_start")
				delete(o, "current_period_end")
				item := o["items"].(map[string]any)["data"].([]any)[0].(map[string]any)
				item["current_period_start"], item["current_period_end"] = pStart.Unix(), pEnd.Unix()
			}), new(state(gateway.SubActive))},
		{"trial_will_end is ignored", EventSubscriptionTrialWillEnd, event(EventSubscriptionTrialWillEnd, "trialing", false), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := verifySigned(t, tt.body)
			want := gateway.Event{ID: "evt_c1", Type: tt.typ, Kind: gateway.EventIgnored}
			if tt.want != nil {
				want.Kind, want.Ref, want.Subscription = gateway.EventSubscription, "sub_1", tt.want
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("event =\n %+v %+v\nwant\n %+v %+v", got, got.Subscription, want, want.Subscription)
			}
		})
	}
}

// TestVerifySubscriptionEventTime: At is the event's created time, not the arrival's nor the object's, so the
// module can order two states that arrive out of order.
func TestVerifySubscriptionEventTime(t *testing.T) {
	t.Parallel()
	later := created.Add(time.Second)
	a := verifySigned(t, stripetest.SubscriptionEvent("evt_a", EventSubscriptionUpdated, later, "sub_1", "cus_1", 5,
		"past_due", pStart, pEnd, false, 2500, "eur"))
	b := verifySigned(t, stripetest.SubscriptionEvent("evt_b", EventSubscriptionUpdated, created, "sub_1", "cus_1", 5,
		"active", pStart, pEnd, false, 2500, "eur"))
	if !a.Subscription.At.Equal(later) || !b.Subscription.At.Equal(created) || !b.Subscription.At.Before(a.Subscription.At) {
		t.Fatalf("At = %s and %s, want the events' created times %s and %s", a.Subscription.At, b.Subscription.At,
			later, created)
	}
}

// TestStatusOfASubscriptionSession: a re-check of BeginSubscription's session is never an order's payment.
func TestStatusOfASubscriptionSession(t *testing.T) {
	t.Parallel()
	s := &stripego.CheckoutSession{ID: "cs_sub1", Mode: stripego.CheckoutSessionModeSubscription, ClientReferenceID: "sub:5",
		Status: stripego.CheckoutSessionStatusComplete, PaymentStatus: stripego.CheckoutSessionPaymentStatusPaid,
		Subscription: &stripego.Subscription{ID: "sub_1"}, Customer: &stripego.Customer{ID: "cus_1"}}
	base := gateway.Event{Type: "checkout.session:complete/paid"}
	got := subscriptionSessionStatus(base, s, created)
	want := gateway.Event{Type: base.Type, Kind: gateway.EventSubscription, Ref: "sub_1",
		Subscription: linkOnly("sub_1", "cus_1", "cs_sub1", 5)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("complete: %+v %+v, want %+v", got, got.Subscription, want)
	}
	s.Status, s.Subscription = stripego.CheckoutSessionStatusOpen, nil
	if got := subscriptionSessionStatus(base, s, created); got.Kind != gateway.EventPending || got.Ref != "cs_sub1" || got.OrderID != 0 {
		t.Fatalf("open: %+v, want pending", got)
	}
	s.Status = stripego.CheckoutSessionStatusExpired
	if got := subscriptionSessionStatus(base, s, created); got.Kind != gateway.EventExpired || got.OrderID != 0 {
		t.Fatalf("expired: %+v", got)
	}
}

// A plan change's invoice (billing_reason subscription_update) is a proration charge; a renewal's is not.
func TestInvoiceProration(t *testing.T) {
	t.Parallel()
	body := stripetest.InvoicePaid("evt_pr", created, "in_pr", "sub_pr", 7, "pi_pr", 1250, "EUR", pStart, pEnd)
	if ev := verifySigned(t, body); ev.Charge == nil || ev.Charge.Proration {
		t.Fatalf("renewal invoice: charge %+v, want no proration", ev.Charge)
	}
	body = editObject(t, body, func(obj map[string]any) { obj["billing_reason"] = "subscription_update" })
	ev := verifySigned(t, body)
	if ev.Kind != gateway.EventCharge || ev.Charge == nil || !ev.Charge.Proration || ev.Charge.Amount != eur(1250) {
		t.Fatalf("plan change invoice: %+v %+v, want a paid proration charge of 12.50 EUR", ev, ev.Charge)
	}
}
