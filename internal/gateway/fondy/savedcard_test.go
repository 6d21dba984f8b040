package fondy

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/fondy/fondyfake"
	"github.com/bursar/bursar/internal/money"
)

// chargeRef is a reference gateway.NewChargeRef could have made for subscription 12.
const chargeRef = "S12-Ab3dE6gH"

// clockAt is the fixed time of the providers these tests make.
var clockAt = time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)

func clocked() *Provider {
	return New(Options{Now: func() time.Time { return clockAt }})
}

func cardCheckout() gateway.CardCheckout {
	return gateway.CardCheckout{Ref: chargeRef, SubscriptionID: 12, Number: "S-000012",
		Amount: money.Money{Amount: 990, Currency: "UAH"}, Title: "Клуб розмовної англійської", Email: "olha@example.com",
		Language: "uk", SuccessURL: "https://school.test/s/S-000012/paid", CancelURL: "https://school.test/s/S-000012",
		NotifyURL: "https://school.test/webhooks/7"}
}

func cardCharge(token string) gateway.CardCharge {
	return gateway.CardCharge{Ref: chargeRef, SubscriptionID: 12, Token: token,
		Amount: money.Money{Amount: 990, Currency: "UAH"}, Title: "Клуб розмовної англійської",
		NotifyURL: "https://school.test/webhooks/7"}
}

func TestBeginSavingAsksForTheCard(t *testing.T) {
	t.Parallel()
	fake := fondyfake.Start(t)
	red, err := clocked().BeginSaving(context.Background(), apiAccount(fake.URL), cardCheckout())
	if err != nil {
		t.Fatalf("BeginSaving = %v", err)
	}
	if red.Ref != chargeRef || red.Form != nil || !strings.HasPrefix(red.URL, fake.URL+"/merchants/") {
		t.Fatalf("redirect = %+v, want the fake's checkout_url and ref %s", red, chargeRef)
	}
	got, ok := fake.Request(chargeRef)
	if !ok {
		t.Fatalf("the fake has no checkout %s", chargeRef)
	}
	want := map[string]string{
		"order_id":            chargeRef,
		"merchant_id":         testMerchant,
		"order_desc":          "Клуб розмовної англійської",
		"amount":              "990",
		"currency":            "UAH",
		"response_url":        "https://school.test/s/S-000012/paid",
		"server_callback_url": "https://school.test/webhooks/7",
		"required_rectoken":   "Y",
		"sender_email":        "olha@example.com",
		"lang":                "uk",
		"signature":           signFields(testSecret, got),
	}
	if !mapsEqual(got, want) {
		t.Fatalf("checkout request =\n %v\nwant\n %v", got, want)
	}
}

func TestBeginSavingDefaults(t *testing.T) {
	t.Parallel()
	fake := fondyfake.Start(t)
	c := cardCheckout()
	c.Title, c.Email, c.Language = " ", "", "pt"
	if _, err := clocked().BeginSaving(context.Background(), apiAccount(fake.URL), c); err != nil {
		t.Fatal(err)
	}
	got, _ := fake.Request(chargeRef)
	if got["order_desc"] != "Subscription S-000012" {
		t.Errorf("order_desc = %q, want the subscription's number", got["order_desc"])
	}
	for _, k := range []string{"sender_email", "lang", "merchant_data"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s sent: %q", k, got[k])
		}
	}
}

func TestBeginSavingRefusesBadInput(t *testing.T) {
	t.Parallel()
	fake := fondyfake.Start(t)
	tests := []struct {
		name string
		edit func(c *gateway.CardCheckout)
	}{
		{"OrderRef", func(c *gateway.CardCheckout) { c.Ref = "42-Ab3dE6gH" }},
		{"NoRef", func(c *gateway.CardCheckout) { c.Ref = "" }},
		{"ZeroAmount", func(c *gateway.CardCheckout) { c.Amount.Amount = 0 }},
		{"NoNotifyURL", func(c *gateway.CardCheckout) { c.NotifyURL = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := cardCheckout()
			tt.edit(&c)
			if _, err := clocked().BeginSaving(context.Background(), apiAccount(fake.URL), c); err == nil {
				t.Fatal("BeginSaving accepted it")
			}
		})
	}
	if n := fake.Calls(fondyfake.CheckoutPath); n != 0 {
		t.Errorf("%d checkout requests sent for bad input", n)
	}
}

// paidCharge is the EventCharge ChargeCard and Status report for chargeRef paid with token.
func paidCharge(typ, token string, paid bool) gateway.Event {
	return gateway.Event{Type: typ, Kind: gateway.EventCharge, Ref: chargeRef,
		Amount: money.Money{Amount: 990, Currency: "UAH"},
		Charge: &gateway.SubscriptionCharge{Ref: chargeRef, PaymentRef: chargeRef, SubscriptionID: 12,
			Amount: money.Money{Amount: 990, Currency: "UAH"}, Paid: paid, CardToken: token, At: clockAt}}
}

func TestChargeCardApproved(t *testing.T) {
	t.Parallel()
	fake := fondyfake.Start(t)
	tok := fake.IssueToken()
	// Through the registry: the event passes the guard's validation too.
	cards, ok := gateway.NewRegistry(clocked()).CardCharger(gateway.TypeFondy)
	if !ok {
		t.Fatal("the registry does not see fondy as a CardCharger")
	}
	ev, err := cards.ChargeCard(context.Background(), apiAccount(fake.URL), cardCharge(tok))
	if err != nil {
		t.Fatalf("ChargeCard = %v", err)
	}
	if want := paidCharge(StatusApproved, tok, true); !reflect.DeepEqual(ev, want) {
		t.Fatalf("event =\n %+v %+v\nwant\n %+v %+v", ev, ev.Charge, want, want.Charge)
	}
	charges := fake.Charges()
	if len(charges) != 1 || charges[0].Ref != chargeRef || charges[0].Token != tok || charges[0].Amount != 990 ||
		charges[0].Currency != "UAH" || charges[0].Desc != "Клуб розмовної англійської" {
		t.Fatalf("charges = %+v", charges)
	}
	got, _ := fake.Request(chargeRef)
	want := map[string]string{"order_id": chargeRef, "merchant_id": testMerchant, "order_desc": "Клуб розмовної англійської",
		"amount": "990", "currency": "UAH", "rectoken": tok, "server_callback_url": "https://school.test/webhooks/7",
		"signature": signFields(testSecret, got)}
	if !mapsEqual(got, want) {
		t.Fatalf("recurring request =\n %v\nwant\n %v", got, want)
	}
}

func TestChargeCardDeclined(t *testing.T) {
	t.Parallel()
	fake := fondyfake.Start(t)
	tok := fake.IssueToken()
	fake.Decline(tok)
	ev, err := clocked().ChargeCard(context.Background(), apiAccount(fake.URL), cardCharge(tok))
	if err != nil {
		t.Fatalf("ChargeCard = %v", err)
	}
	if want := paidCharge(StatusDeclined, tok, false); !reflect.DeepEqual(ev, want) {
		t.Fatalf("event =\n %+v %+v\nwant\n %+v %+v", ev, ev.Charge, want, want.Charge)
	}
	if ev.Validate() != nil {
		t.Fatalf("declined charge does not validate: %v", ev.Validate())
	}
}

func TestChargeCardServerError(t *testing.T) {
	t.Parallel()
	fake := fondyfake.Start(t)
	tok := fake.IssueToken()
	fake.FailNext(1)
	_, err := clocked().ChargeCard(context.Background(), apiAccount(fake.URL), cardCharge(tok))
	if !errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("ChargeCard after HTTP 500 = %v, want ErrUnavailable", err)
	}
	if n := len(fake.Charges()); n != 0 {
		t.Fatalf("the failed call charged %d times", n)
	}
	// Asked again, the same charge goes through once.
	if ev, err := clocked().ChargeCard(context.Background(), apiAccount(fake.URL), cardCharge(tok)); err != nil ||
		ev.Charge == nil || !ev.Charge.Paid {
		t.Fatalf("ChargeCard retried = %+v, %v", ev, err)
	}
}

func TestChargeCardLostAnswer(t *testing.T) {
	t.Parallel()
	fake := fondyfake.Start(t)
	tok := fake.IssueToken()
	fake.LoseNextCharge()
	p := clocked()
	_, err := p.ChargeCard(context.Background(), apiAccount(fake.URL), cardCharge(tok))
	if !errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("ChargeCard with a lost answer = %v, want ErrUnavailable", err)
	}
	if c := fake.Charges(); len(c) != 1 || !c[0].Lost {
		t.Fatalf("charges = %+v, want the one made", c)
	}
	ev, err := p.Status(context.Background(), apiAccount(fake.URL), chargeRef)
	if err != nil {
		t.Fatalf("Status = %v", err)
	}
	want := paidCharge("status:approved", tok, true)
	if !reflect.DeepEqual(ev, want) {
		t.Fatalf("status =\n %+v %+v\nwant\n %+v %+v", ev, ev.Charge, want, want.Charge)
	}
	// Charging the same reference again is refused by Fondy (a duplicate order_id), not made twice.
	if _, err := p.ChargeCard(context.Background(), apiAccount(fake.URL), cardCharge(tok)); err == nil ||
		errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("second ChargeCard of the same ref = %v, want Fondy's refusal", err)
	}
	if n := len(fake.Charges()); n != 1 {
		t.Fatalf("%d charges, want 1", n)
	}
}

func TestChargeCardRefused(t *testing.T) {
	t.Parallel()
	fake := fondyfake.Start(t)
	_, err := clocked().ChargeCard(context.Background(), apiAccount(fake.URL), cardCharge("not-a-token-the-fake-issued"))
	var apiErr *APIError
	if !errors.As(err, &apiErr) || errors.Is(err, gateway.ErrUnavailable) || !strings.Contains(err.Error(), "Invalid rectoken") {
		t.Fatalf("ChargeCard with an unknown token = %v, want Fondy's refusal", err)
	}
	// A wrong payment key: Fondy refuses the signature.
	acct := apiAccount(fake.URL)
	acct.Credentials = map[string]string{CredSecretKey: "not the key"}
	_, err = clocked().ChargeCard(context.Background(), acct, cardCharge(fake.IssueToken()))
	if !errors.As(err, &apiErr) || apiErr.Code != "1014" || errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("ChargeCard with the wrong key = %v, want Fondy's refusal 1014", err)
	}
	if n := len(fake.Charges()); n != 0 {
		t.Fatalf("%d charges made", n)
	}
}

func TestChargeCardUnauthenticAnswer(t *testing.T) {
	t.Parallel()
	approved := func(ref string) map[string]any {
		a := statusAnswer(ref, StatusApproved, "0")
		a["merchant_data"] = ""
		return a
	}
	forged := approved(chargeRef)
	forged["signature"] = sha1Hex("forged")
	otherMerchant := approved(chargeRef)
	otherMerchant["merchant_id"] = 1700002
	tests := []struct {
		name string
		code int
		body string
	}{
		{"WrongSignature", http.StatusOK, answer(forged, false)},
		{"Unsigned", http.StatusOK, answer(approved(chargeRef), false)},
		{"OtherOrder", http.StatusOK, answer(approved("S12-zzzzzzzz"), true)},
		{"OtherMerchant", http.StatusOK, answer(otherMerchant, true)},
		{"UnknownStatus", http.StatusOK, answer(statusAnswer(chargeRef, "hold", "0"), true)},
		{"NotJSON", http.StatusOK, "<html>hello</html>"},
		{"NotFoundPage", http.StatusNotFound, "not here"},
		{"BadGateway", http.StatusBadGateway, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeFondy(t, func(recorded) (int, string) { return tt.code, tt.body })
			ev, err := clocked().ChargeCard(context.Background(), apiAccount(fake.URL), cardCharge("tok"))
			if !errors.Is(err, gateway.ErrUnavailable) {
				t.Fatalf("ChargeCard = %+v, %v; want ErrUnavailable", ev, err)
			}
			fake.only(t, RecurringPath)
		})
	}
}

func TestChargeCardPending(t *testing.T) {
	t.Parallel()
	for _, st := range []string{StatusCreated, StatusProcessing} {
		t.Run(st, func(t *testing.T) {
			t.Parallel()
			a := statusAnswer(chargeRef, st, "0")
			a["merchant_data"] = ""
			fake := newFakeFondy(t, func(recorded) (int, string) { return http.StatusOK, answer(a, true) })
			ev, err := clocked().ChargeCard(context.Background(), apiAccount(fake.URL), cardCharge("tok"))
			if err != nil {
				t.Fatalf("ChargeCard = %v", err)
			}
			want := gateway.Event{Type: st, Kind: gateway.EventPending, Ref: chargeRef,
				Amount: money.Money{Amount: 4990, Currency: "EUR"}, PayerEmail: "ana@example.com"}
			if !reflect.DeepEqual(ev, want) {
				t.Fatalf("event =\n %+v\nwant\n %+v", ev, want)
			}
		})
	}
}

func TestChargeCardRefusesBadInput(t *testing.T) {
	t.Parallel()
	fake := fondyfake.Start(t)
	tests := []struct {
		name string
		edit func(c *gateway.CardCharge)
	}{
		{"OrderRef", func(c *gateway.CardCharge) { c.Ref = "42-Ab3dE6gH" }},
		{"NoToken", func(c *gateway.CardCharge) { c.Token = "" }},
		{"NoCurrency", func(c *gateway.CardCharge) { c.Amount.Currency = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := cardCharge("tok")
			tt.edit(&c)
			_, err := clocked().ChargeCard(context.Background(), apiAccount(fake.URL), c)
			if err == nil || errors.Is(err, gateway.ErrUnavailable) {
				t.Fatalf("ChargeCard = %v, want a plain error", err)
			}
		})
	}
	if n := fake.Calls(fondyfake.RecurringPath); n != 0 {
		t.Errorf("%d requests sent for bad input", n)
	}
}

func TestVerifyChargeCallback(t *testing.T) {
	t.Parallel()
	received := time.Date(2026, 12, 4, 2, 59, 30, 0, time.UTC)
	uah := money.Money{Amount: 990, Currency: "UAH"}
	charge := func(paid bool, token string) *gateway.SubscriptionCharge {
		return &gateway.SubscriptionCharge{Ref: chargeRef, PaymentRef: chargeRef, SubscriptionID: 12, Amount: uah,
			Paid: paid, CardToken: token, PayerEmail: "olha@example.com", At: received}
	}
	tests := []struct {
		name string
		call fondyfake.Call
		want gateway.Event
	}{
		{"FirstPaymentSavesTheCard",
			fondyfake.Call{Status: StatusApproved, RecToken: "b037ba5501956289d7a2094dee020e6560de04"},
			gateway.Event{ID: chargeRef + ":approved:0", Type: "purchase:approved", Kind: gateway.EventCharge,
				Charge: charge(true, "b037ba5501956289d7a2094dee020e6560de04")}},
		{"ChargeWithoutToken", fondyfake.Call{Status: StatusApproved},
			gateway.Event{ID: chargeRef + ":approved:0", Type: "purchase:approved", Kind: gateway.EventCharge,
				Charge: charge(true, "")}},
		{"Declined", fondyfake.Call{Status: StatusDeclined, ResponseCode: "1005", ResponseDescription: "Insufficient funds"},
			gateway.Event{ID: chargeRef + ":declined:0", Type: "purchase:declined", Kind: gateway.EventCharge,
				Charge: charge(false, "")}},
		{"Expired", fondyfake.Call{Status: StatusExpired},
			gateway.Event{ID: chargeRef + ":expired:0", Type: "purchase:expired", Kind: gateway.EventCharge,
				Charge: charge(false, "")}},
		{"Processing", fondyfake.Call{Status: StatusProcessing},
			gateway.Event{ID: chargeRef + ":processing:0", Type: "purchase:processing", Kind: gateway.EventPending}},
		{"Created", fondyfake.Call{Status: StatusCreated},
			gateway.Event{ID: chargeRef + ":created:0", Type: "purchase:created", Kind: gateway.EventPending}},
		{"Reversed", fondyfake.Call{Status: StatusReversed, ReversalAmount: 990},
			gateway.Event{ID: chargeRef + ":reversed:990", Type: "purchase:reversed", Kind: gateway.EventRefunded,
				RefundedAmount: 990}},
		{"PartlyReversed", fondyfake.Call{Status: StatusApproved, TranType: TranReverse, ReversalAmount: 300},
			gateway.Event{ID: chargeRef + ":approved:300", Type: "reverse:approved", Kind: gateway.EventRefunded,
				RefundedAmount: 300}},
	}
	p := clocked()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tt.call
			c.OrderID, c.Amount, c.Currency, c.Email = chargeRef, 990, "UAH", "olha@example.com"
			in := inbound(string(fondyfake.Callback(testSecret, testMerchant, c)))
			in.Received = received
			ev, err := p.Verify(context.Background(), testAccount(), in)
			if err != nil {
				t.Fatalf("Verify = %v", err)
			}
			want := tt.want
			want.Ref, want.Amount, want.PayerEmail = chargeRef, uah, "olha@example.com"
			if !reflect.DeepEqual(ev, want) {
				t.Fatalf("event =\n %+v %+v\nwant\n %+v %+v", ev, ev.Charge, want, want.Charge)
			}
			if err := ev.Validate(); err != nil {
				t.Fatalf("event does not validate: %v", err)
			}
		})
	}
}

func TestVerifyChargeCallbackDatedByTheClock(t *testing.T) {
	t.Parallel()
	f := callback(testSecret, chargeRef, StatusApproved, "purchase", map[string]string{"merchant_data": "", "rectoken": "tok"})
	in := inbound(jsonBody(f))
	in.Received = time.Time{}
	ev, err := clocked().Verify(context.Background(), testAccount(), in)
	if err != nil || ev.Kind != gateway.EventCharge || ev.Charge.At != clockAt || ev.Charge.CardToken != "tok" ||
		ev.OrderID != 0 {
		t.Fatalf("Verify = %+v, %v; want a charge at the provider's clock", ev, err)
	}
}

// An order's callback that happens to carry a rectoken stays an order's payment.
func TestVerifyOrderWithTokenUnchanged(t *testing.T) {
	t.Parallel()
	f := callback(testSecret, "42-Ab3dE6gH", StatusApproved, "purchase", map[string]string{"rectoken": "tok"})
	ev, err := clocked().Verify(context.Background(), testAccount(), inbound(jsonBody(f)))
	want := gateway.Event{ID: "42-Ab3dE6gH:approved:0", Type: "purchase:approved", Kind: gateway.EventPaid, OrderID: 42,
		Ref: "42-Ab3dE6gH", Amount: money.Money{Amount: 4990, Currency: "EUR"}, PayerEmail: "ana@example.com"}
	if err != nil || !reflect.DeepEqual(ev, want) {
		t.Fatalf("Verify = %+v, %v; want %+v", ev, err, want)
	}
}

// A subscription charge's order whose merchant_data looks like an order id still names no order.
func TestVerifyChargeNamesNoOrder(t *testing.T) {
	t.Parallel()
	for _, st := range []string{StatusApproved, StatusProcessing, StatusReversed} {
		f := callback(testSecret, chargeRef, st, "purchase", map[string]string{"reversal_amount": "4990"})
		ev, err := clocked().Verify(context.Background(), testAccount(), inbound(jsonBody(f)))
		if err != nil || ev.OrderID != 0 {
			t.Fatalf("Verify(%s) = %+v, %v; want no order id", st, ev, err)
		}
	}
}

func TestStatusOfChargeAndItsRefund(t *testing.T) {
	t.Parallel()
	fake := fondyfake.Start(t)
	acct := apiAccount(fake.URL)
	p := clocked()
	tok := fake.IssueToken()
	if _, err := p.ChargeCard(context.Background(), acct, cardCharge(tok)); err != nil {
		t.Fatal(err)
	}
	res, err := p.Refund(context.Background(), acct, gateway.RefundRequest{Ref: chargeRef,
		Amount: money.Money{Amount: 300, Currency: "UAH"}})
	if err != nil || res.Status != "succeeded" {
		t.Fatalf("Refund = %+v, %v", res, err)
	}
	ev, err := p.Status(context.Background(), acct, chargeRef)
	want := gateway.Event{Type: "status:approved", Kind: gateway.EventRefunded, Ref: chargeRef,
		Amount: money.Money{Amount: 990, Currency: "UAH"}, RefundedAmount: 300}
	if err != nil || !reflect.DeepEqual(ev, want) {
		t.Fatalf("Status after a partial refund = %+v, %v; want %+v", ev, err, want)
	}
	if _, err := p.Refund(context.Background(), acct, gateway.RefundRequest{Ref: chargeRef,
		Amount: money.Money{Amount: 690, Currency: "UAH"}}); err != nil {
		t.Fatal(err)
	}
	ev, err = p.Status(context.Background(), acct, chargeRef)
	want.Type, want.RefundedAmount = "status:reversed", 990
	if err != nil || !reflect.DeepEqual(ev, want) {
		t.Fatalf("Status after the full refund = %+v, %v; want %+v", ev, err, want)
	}

	// A declined charge's status.
	declined := fake.IssueToken()
	fake.Decline(declined)
	c := cardCharge(declined)
	c.Ref = "S12-zzzzzzzz"
	if _, err := p.ChargeCard(context.Background(), acct, c); err != nil {
		t.Fatal(err)
	}
	ev, err = p.Status(context.Background(), acct, c.Ref)
	if err != nil || ev.Kind != gateway.EventCharge || ev.Charge.Paid || ev.Charge.Ref != c.Ref ||
		ev.Charge.CardToken != declined {
		t.Fatalf("Status of a declined charge = %+v, %v", ev, err)
	}
}
