package paypal

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/paypal/paypalfake"
	"github.com/bursar/bursar/internal/money"
)

// verified is body signed by fake and verified through p for acct, checked as Ingest checks it.
func verified(t *testing.T, p *Provider, fake *paypalfake.Server, acct gateway.Account, body []byte) gateway.Event {
	t.Helper()
	ev, err := p.Verify(context.Background(), acct, signed(fake, body))
	if err != nil {
		t.Fatalf("Verify(%s) = %v", body, err)
	}
	if err := ev.Validate(); err != nil {
		t.Fatalf("Verify(%s) = %+v: %v", body, ev, err)
	}
	return ev
}

func subEvent(t *testing.T, fake *paypalfake.Server, typ, id string) []byte {
	t.Helper()
	body, err := fake.SubscriptionEvent(typ, id)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func saleEvent(t *testing.T, fake *paypalfake.Server, typ, id string) []byte {
	t.Helper()
	body, err := fake.SaleEvent(typ, id)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestVerifySubscriptionEvents(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	acct := fakeAccount(fake.URL)
	id := subscribed(t, p, fake, subCheckout())
	ref := gateway.SubscriptionRef{Ref: id}
	state := func(typ string) gateway.SubscriptionState {
		t.Helper()
		body := subEvent(t, fake, typ, id)
		ev := verified(t, p, fake, acct, body)
		if ev.Kind != gateway.EventSubscription || ev.ID != eventID(t, body) || ev.Type != typ || ev.Ref != id ||
			ev.Subscription == nil || ev.Charge != nil {
			t.Fatalf("%s = %+v", typ, ev)
		}
		return *ev.Subscription
	}
	if st := state(paypalfake.EventSubscriptionCreated); st != (gateway.SubscriptionState{SubscriptionRef: ref, SubscriptionID: 12, At: subStart}) {
		t.Fatalf("created: %+v", st)
	}
	approvedAt := subStart.Add(3 * time.Minute)
	fake.SetNow(approvedAt)
	if err := fake.ApproveSubscription(id, ""); err != nil {
		t.Fatal(err)
	}
	trialEnd := approvedAt.AddDate(0, 0, 14)
	want := gateway.SubscriptionState{SubscriptionRef: ref, SubscriptionID: 12, Status: gateway.SubTrialing,
		CurrentPeriodEnd: trialEnd, TrialEnd: trialEnd, At: approvedAt}
	if st := state(paypalfake.EventSubscriptionActivated); st != want {
		t.Fatalf("activated: %+v\nwant %+v", st, want)
	}
	fake.SetNow(trialEnd)
	saleID, err := fake.ChargeSubscription(id)
	if err != nil {
		t.Fatal(err)
	}
	want = gateway.SubscriptionState{SubscriptionRef: ref, SubscriptionID: 12, Status: gateway.SubActive,
		CurrentPeriodEnd: trialEnd.AddDate(0, 1, 0), At: trialEnd}
	if st := state(paypalfake.EventSubscriptionUpdated); st != want {
		t.Fatalf("updated: %+v\nwant %+v", st, want)
	}

	// The sale: a paid charge.
	body := saleEvent(t, fake, paypalfake.EventSaleCompleted, saleID)
	ev := verified(t, p, fake, acct, body)
	wantCharge := gateway.SubscriptionCharge{Ref: saleID, SubscriptionRef: id, SubscriptionID: 12, PaymentRef: saleID,
		Amount: eur1990, Paid: true, At: trialEnd}
	if ev.Kind != gateway.EventCharge || ev.Ref != saleID || ev.Type != paypalfake.EventSaleCompleted ||
		ev.Subscription != nil || !reflect.DeepEqual(*ev.Charge, wantCharge) {
		t.Fatalf("sale completed = %+v %+v\nwant %+v", ev, ev.Charge, wantCharge)
	}
	// The same sale denied (an eCheck bounced): an unpaid charge, with the autopay page.
	ev = verified(t, p, fake, acct, saleEvent(t, fake, paypalfake.EventSaleDenied, saleID))
	wantCharge.Paid, wantCharge.UpdateURL = false, SandboxManageURL
	if ev.Kind != gateway.EventCharge || !reflect.DeepEqual(*ev.Charge, wantCharge) {
		t.Fatalf("sale denied = %+v", ev.Charge)
	}
	if ev = verified(t, p, fake, acct, saleEvent(t, fake, paypalfake.EventSalePending, saleID)); ev.Kind != gateway.EventIgnored {
		t.Fatalf("sale pending = %+v", ev)
	}

	// A failed payment: one charge however often notified, another for the next failure.
	failedAt := trialEnd.AddDate(0, 1, 0)
	fake.SetNow(failedAt)
	if err := fake.FailSubscriptionPayment(id); err != nil {
		t.Fatal(err)
	}
	failure := func() gateway.SubscriptionCharge {
		t.Helper()
		ev := verified(t, p, fake, acct, subEvent(t, fake, paypalfake.EventSubscriptionPaymentFailed, id))
		if ev.Kind != gateway.EventCharge || ev.Ref != id || ev.Subscription != nil {
			t.Fatalf("payment failed = %+v", ev)
		}
		return *ev.Charge
	}
	wantFail := gateway.SubscriptionCharge{Ref: id + ":failed:" + strconv.FormatInt(failedAt.Unix(), 10),
		SubscriptionRef: id, SubscriptionID: 12, Amount: eur1990, UpdateURL: SandboxManageURL,
		PayerEmail: "ana@example.com", At: failedAt}
	if ch := failure(); !reflect.DeepEqual(ch, wantFail) {
		t.Fatalf("payment failed = %+v\nwant %+v", ch, wantFail)
	}
	if ch := failure(); ch.Ref != wantFail.Ref {
		t.Fatalf("the same failure notified again is %s, want %s", ch.Ref, wantFail.Ref)
	}
	if st := state(paypalfake.EventSubscriptionUpdated); st.Status != gateway.SubPastDue || st.At != failedAt {
		t.Fatalf("after a failure: %+v", st)
	}
	fake.SetNow(failedAt.AddDate(0, 0, 5))
	if err := fake.FailSubscriptionPayment(id); err != nil {
		t.Fatal(err)
	}
	if ch := failure(); ch.Ref == wantFail.Ref || !ch.At.Equal(failedAt.AddDate(0, 0, 5)) {
		t.Fatalf("the next failure = %+v", ch)
	}
	live := fakeAccount(fake.URL)
	live.System.Mode = gateway.ModeLive
	if ev := verified(t, p, fake, live, subEvent(t, fake, paypalfake.EventSubscriptionPaymentFailed, id)); ev.Charge.UpdateURL != LiveManageURL {
		t.Fatalf("live payment failed: update URL %q", ev.Charge.UpdateURL)
	}

	for _, tt := range []struct{ paypal, event, want string }{
		{"SUSPENDED", paypalfake.EventSubscriptionSuspended, gateway.SubPaused},
		{"ACTIVE", paypalfake.EventSubscriptionActivated, gateway.SubPastDue}, // still two failed payments
		{"CANCELLED", paypalfake.EventSubscriptionCancelled, gateway.SubCancelled},
		{"EXPIRED", paypalfake.EventSubscriptionExpired, gateway.SubEnded},
	} {
		at := fake.Now().Add(time.Hour)
		fake.SetNow(at)
		if err := fake.SetSubscriptionStatus(id, tt.paypal); err != nil {
			t.Fatal(err)
		}
		st := state(tt.event)
		if st.Status != tt.want || st.At != at || st.SubscriptionID != 12 {
			t.Fatalf("%s: %+v", tt.event, st)
		}
		if (tt.want == gateway.SubCancelled) != st.CancelledAt.Equal(at) || (tt.want == gateway.SubEnded) != st.EndedAt.Equal(at) {
			t.Fatalf("%s: cancelled at %v, ended at %v", tt.event, st.CancelledAt, st.EndedAt)
		}
	}
}

func TestVerifySaleRefunds(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	acct := fakeAccount(fake.URL)
	_, saleID := activeSub(t, p, fake)
	first, err := fake.RefundSale(saleID, "5.00")
	if err != nil {
		t.Fatal(err)
	}
	second, err := fake.RefundSale(saleID, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		refund string
		want   gateway.Event
	}{
		{first, gateway.Event{Kind: gateway.EventRefunded, Ref: saleID, Amount: money.Money{Amount: 500, Currency: "EUR"}, RefundedAmount: 500}},
		{second, gateway.Event{Kind: gateway.EventRefunded, Ref: saleID, Amount: money.Money{Amount: 1490, Currency: "EUR"}, RefundedAmount: 1990}},
	} {
		body := saleEvent(t, fake, paypalfake.EventSaleRefunded, tt.refund)
		tt.want.ID, tt.want.Type = eventID(t, body), paypalfake.EventSaleRefunded
		if ev := verified(t, p, fake, acct, body); !reflect.DeepEqual(ev, tt.want) {
			t.Fatalf("refund %s = %+v\nwant %+v", tt.refund, ev, tt.want)
		}
	}
}

// TestVerifySubscriptionBodies covers events the fake does not render: PayPal's own samples' shapes, events of
// subscriptions Bursar does not know, and malformed ones.
func TestVerifySubscriptionBodies(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	acct := fakeAccount(fake.URL)
	const created = `"create_time":"2027-01-05T08:00:00.000Z"`
	at := time.Date(2027, 1, 5, 8, 0, 0, 0, time.UTC)
	saleAt := time.Date(2027, 1, 4, 9, 30, 0, 0, time.UTC)
	sale := func(typ, res string) string {
		return `{"id":"WH-S1","event_type":"` + typ + `",` + created + `,"resource_type":"sale","resource":` + res + `}`
	}
	sub := func(typ, res string) string {
		return `{"id":"WH-B1","event_type":"` + typ + `",` + created + `,"resource_type":"subscription","resource":` + res + `}`
	}
	tests := []struct {
		name string
		body string
		want gateway.Event // ID and Type filled in
	}{
		{"SaleOfUnknownSubscription", sale(EventSaleCompleted, `{"id":"80021663DE681814L","state":"completed",`+
			`"amount":{"total":"19.90","currency":"EUR","details":{"subtotal":"19.90"}},"billing_agreement_id":"I-UNKNOWN0000",`+
			`"create_time":"2027-01-04T09:30:00Z","update_time":"2027-01-04T09:31:00Z"}`),
			gateway.Event{Kind: gateway.EventCharge, Ref: "80021663DE681814L", Amount: eur1990,
				Charge: &gateway.SubscriptionCharge{Ref: "80021663DE681814L", SubscriptionRef: "I-UNKNOWN0000",
					PaymentRef: "80021663DE681814L", Amount: eur1990, Paid: true, At: saleAt}}},
		{"SaleInYen", sale(EventSaleCompleted, `{"id":"S1","amount":{"total":"5000","currency":"JPY"},`+
			`"billing_agreement_id":"I-Y","custom":"sub:7","create_time":"2027-01-04T09:30:00Z"}`),
			gateway.Event{Kind: gateway.EventCharge, Ref: "S1", Amount: money.Money{Amount: 5000, Currency: "JPY"},
				Charge: &gateway.SubscriptionCharge{Ref: "S1", SubscriptionRef: "I-Y", SubscriptionID: 7, PaymentRef: "S1",
					Amount: money.Money{Amount: 5000, Currency: "JPY"}, Paid: true, At: saleAt}}},
		{"SaleInForint", sale(EventSaleCompleted, `{"id":"S2","amount":{"total":"5000","currency":"HUF"},`+
			`"billing_agreement_id":"I-H","custom":"42"}`),
			gateway.Event{Kind: gateway.EventCharge, Ref: "S2", Amount: money.Money{Amount: 500000, Currency: "HUF"},
				Charge: &gateway.SubscriptionCharge{Ref: "S2", SubscriptionRef: "I-H", PaymentRef: "S2",
					Amount: money.Money{Amount: 500000, Currency: "HUF"}, Paid: true, At: at}}},
		{"SaleOfNoSubscription", sale(EventSaleCompleted, `{"id":"S3","amount":{"total":"1.00","currency":"EUR"}}`),
			gateway.Event{Kind: gateway.EventIgnored}},
		{"SaleRefundWithoutTotal", sale(EventSaleRefunded, `{"id":"R1","state":"completed","sale_id":"S1",`+
			`"amount":{"total":"-2.50","currency":"EUR"}}`),
			gateway.Event{Kind: gateway.EventRefunded, Ref: "S1", Amount: money.Money{Amount: 250, Currency: "EUR"},
				RefundRef: "R1", RefundedAmount: 250}},
		{"SaleReversed", sale(EventSaleReversed, `{"id":"R2","sale_id":"S1","amount":{"total":"-19.90","currency":"EUR"},`+
			`"total_refunded_amount":{"value":"19.90","currency_code":"EUR"}}`),
			gateway.Event{Kind: gateway.EventRefunded, Ref: "S1", Amount: eur1990, RefundedAmount: 1990}},
		{"SubscriptionWithoutTimes", sub(EventSubscriptionCancelled, `{"id":"I-T","status":"CANCELLED","custom_id":"sub:9"}`),
			gateway.Event{Kind: gateway.EventSubscription, Ref: "I-T", Subscription: &gateway.SubscriptionState{
				SubscriptionRef: gateway.SubscriptionRef{Ref: "I-T"}, SubscriptionID: 9, Status: gateway.SubCancelled,
				CancelledAt: at, At: at}}},
		{"SubscriptionOfAnOrder", sub(EventSubscriptionSuspended, `{"id":"I-T","status":"SUSPENDED","custom_id":"42",`+
			`"status_update_time":"2027-01-04T09:30:00Z","billing_info":{"next_billing_time":"2027-02-04T10:00:00Z"}}`),
			gateway.Event{Kind: gateway.EventSubscription, Ref: "I-T", Subscription: &gateway.SubscriptionState{
				SubscriptionRef: gateway.SubscriptionRef{Ref: "I-T"}, Status: gateway.SubPaused,
				CurrentPeriodEnd: time.Date(2027, 2, 4, 10, 0, 0, 0, time.UTC), At: saleAt}}},
		{"UnknownStatus", sub(EventSubscriptionUpdated, `{"id":"I-T","status":"SOMETHING_NEW","custom_id":"sub:9"}`),
			gateway.Event{Kind: gateway.EventSubscription, Ref: "I-T", Subscription: &gateway.SubscriptionState{
				SubscriptionRef: gateway.SubscriptionRef{Ref: "I-T"}, SubscriptionID: 9, At: at}}},
		{"FailureCountOnly", sub(EventSubscriptionPaymentFailed, `{"id":"I-T","status":"ACTIVE",`+
			`"billing_info":{"failed_payments_count":2}}`),
			gateway.Event{Kind: gateway.EventCharge, Ref: "I-T", Charge: &gateway.SubscriptionCharge{Ref: "I-T:failed:2",
				SubscriptionRef: "I-T", UpdateURL: SandboxManageURL, At: at}}},
		{"PlanEvent", `{"id":"WH-P1","event_type":"BILLING.PLAN.CREATED","resource":{"id":"P-1"}}`,
			gateway.Event{Kind: gateway.EventIgnored}},
	}
	for _, tt := range tests {
		body := []byte(tt.body)
		var head struct {
			ID        string `json:"id"`
			EventType string `json:"event_type"`
		}
		if err := json.Unmarshal(body, &head); err != nil {
			t.Fatal(err)
		}
		tt.want.ID, tt.want.Type = head.ID, head.EventType
		ev := verified(t, p, fake, acct, body)
		if !reflect.DeepEqual(ev, tt.want) {
			t.Errorf("%s = %+v %+v %+v\nwant %+v %+v %+v", tt.name, ev, ev.Charge, ev.Subscription, tt.want, tt.want.Charge, tt.want.Subscription)
		}
	}

	bad := []struct{ name, body string }{
		{"SubscriptionNull", sub(EventSubscriptionActivated, `null`)},
		{"SubscriptionBadID", sub(EventSubscriptionActivated, `{"id":"../../v1/x","status":"ACTIVE"}`)},
		{"SubscriptionBadTime", sub(EventSubscriptionActivated, `{"id":"I-T","status":"ACTIVE","update_time":"yesterday"}`)},
		{"FailureWithoutBilling", sub(EventSubscriptionPaymentFailed, `{"id":"I-T","status":"ACTIVE"}`)},
		{"FailureBadAmount", sub(EventSubscriptionPaymentFailed, `{"id":"I-T","billing_info":{"last_failed_payment":`+
			`{"amount":{"currency_code":"EUR","value":"1.234"},"time":"2027-01-04T09:30:00Z"}}}`)},
		{"SaleWithoutAmount", sale(EventSaleCompleted, `{"id":"S1","billing_agreement_id":"I-T"}`)},
		{"SaleBadAmount", sale(EventSaleCompleted, `{"id":"S1","billing_agreement_id":"I-T","amount":{"total":"19.9x","currency":"EUR"}}`)},
		{"SaleLowerCaseCurrency", sale(EventSaleCompleted, `{"id":"S1","billing_agreement_id":"I-T","amount":{"total":"19.90","currency":"eur"}}`)},
		{"SaleYenCents", sale(EventSaleCompleted, `{"id":"S1","billing_agreement_id":"I-T","amount":{"total":"50.5","currency":"JPY"}}`)},
		{"SaleBadAgreement", sale(EventSaleCompleted, `{"id":"S1","billing_agreement_id":"I T\u0000","amount":{"total":"1.00","currency":"EUR"}}`)},
		{"SaleNotAnObject", sale(EventSaleCompleted, `"S1"`)},
		{"RefundWithoutSale", sale(EventSaleRefunded, `{"id":"R1","amount":{"total":"1.00","currency":"EUR"}}`)},
		{"RefundTotalInAnotherCurrency", sale(EventSaleRefunded, `{"id":"R1","sale_id":"S1","amount":{"total":"1.00","currency":"EUR"},`+
			`"total_refunded_amount":{"value":"1.00","currency_code":"USD"}}`)},
	}
	for _, tt := range bad {
		ev, err := p.Verify(context.Background(), acct, signed(fake, []byte(tt.body)))
		if err == nil {
			err = ev.Validate()
		}
		if err == nil || errors.Is(err, gateway.ErrSignature) || errors.Is(err, gateway.ErrUnavailable) {
			t.Errorf("%s = %+v, %v; want an error about the event", tt.name, ev, err)
		}
	}
	// Unsigned, it is not even read.
	body := []byte(sale(EventSaleCompleted, `{"id":"S9","billing_agreement_id":"I-T","amount":{"total":"1.00","currency":"EUR"}}`))
	h := fake.Sign(body)
	h[paypalfake.HeaderTransmissionSig] = fake.Sign([]byte("{}"))[paypalfake.HeaderTransmissionSig]
	if _, err := p.Verify(context.Background(), acct, inbound(h, body)); !errors.Is(err, gateway.ErrSignature) {
		t.Fatalf("a forged sale: %v, want ErrSignature", err)
	}
}

// TestRefundSubscriptionCharge refunds a subscription's charge, named by its sale id (the payment's reference), and
// reads the refund's webhook back.
func TestRefundSubscriptionCharge(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	acct := fakeAccount(fake.URL)
	_, saleID := activeSub(t, p, fake)
	refund := func(r gateway.RefundRequest) (gateway.RefundResult, error) {
		return p.Refund(context.Background(), acct, r)
	}
	res, err := refund(gateway.RefundRequest{Ref: saleID, Amount: money.Money{Amount: 500, Currency: "EUR"}, Reason: "  Sorry  "})
	if err != nil || res.ID == "" || res.Status != "succeeded" {
		t.Fatalf("Refund = %+v, %v", res, err)
	}
	// A second refund of the same amount, asked after the first went through (the sale is partially_refunded
	// now), is another refund.
	if again, err := refund(gateway.RefundRequest{Ref: saleID, Amount: money.Money{Amount: 500, Currency: "EUR"},
		Reason: "Sorry"}); err != nil || again.ID == res.ID {
		t.Fatalf("second Refund = %+v, %v", again, err)
	}
	sale, _ := fake.Sale(saleID)
	if sale.State != "partially_refunded" || len(sale.Refunds) != 2 || sale.Refunds[0].Description != "Sorry" ||
		sale.Refunds[0].Amount != (paypalfake.Money{Currency: "EUR", Value: "5.00"}) {
		t.Fatalf("sale %+v", sale)
	}
	keyed := gateway.RefundRequest{Ref: saleID, Amount: money.Money{Amount: 100, Currency: "EUR"}, IdempotencyKey: "bursar-refund-77"}
	first, err := refund(keyed)
	if err != nil {
		t.Fatal(err)
	}
	if second, err := refund(keyed); err != nil || second.ID != first.ID {
		t.Fatalf("a repeat with the same key = %+v, %v; want refund %s", second, err, first.ID)
	}
	for _, tt := range []struct {
		name string
		r    gateway.RefundRequest
	}{
		{"MoreThanLeft", gateway.RefundRequest{Ref: saleID, Amount: money.Money{Amount: 900, Currency: "EUR"}}},
		{"OtherCurrency", gateway.RefundRequest{Ref: saleID, Amount: money.Money{Amount: 100, Currency: "USD"}}},
		{"MoreThanPaid", gateway.RefundRequest{Ref: saleID, Amount: money.Money{Amount: 5000, Currency: "EUR"}}},
		{"Unknown", gateway.RefundRequest{Ref: "0NOSUCHSALE00000", Amount: money.Money{Amount: 100, Currency: "EUR"}}},
	} {
		if res, err := refund(tt.r); err == nil || errors.Is(err, gateway.ErrUnavailable) {
			t.Errorf("%s: Refund = %+v, %v; want refused", tt.name, res, err)
		}
	}
	if sale, _ = fake.Sale(saleID); len(sale.Refunds) != 3 {
		t.Fatalf("%d refunds made, want 3", len(sale.Refunds))
	}
	body := saleEvent(t, fake, paypalfake.EventSaleRefunded, first.ID)
	if ev := verified(t, p, fake, acct, body); ev.Kind != gateway.EventRefunded || ev.Ref != saleID || ev.RefundedAmount != 1100 {
		t.Fatalf("refund event = %+v", ev)
	}
}
