package wayforpay

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/wayforpay/wayforpayfake"
	"github.com/bursar/bursar/internal/money"
)

// chargeRef is a charge reference of subscription 12, as gateway.NewChargeRef makes them.
const chargeRef = "S12-AB3DE7FZ"

func clocked() *Provider { return New(Options{Now: func() time.Time { return fixedNow }}) }

func TestBeginSaving(t *testing.T) {
	t.Parallel()
	c := gateway.CardCheckout{Ref: chargeRef, SubscriptionID: 12, Number: "S-000012",
		Amount: money.New(154736, "UAH"), Email: "payer@example.com", Language: "uk",
		SuccessURL: "https://shop.example/s/ok", NotifyURL: "https://shop.example/webhooks/9"}
	red, err := clocked().BeginSaving(context.Background(), testAcct(""), c)
	if err != nil {
		t.Fatal(err)
	}
	if red.Ref != chargeRef || red.URL != "" || red.Form == nil || red.Form.Action != PayURL {
		t.Fatalf("redirect = %+v", red)
	}
	got := map[string]string{}
	for _, f := range red.Form.Fields {
		got[f[0]] = f[1]
	}
	want := map[string]string{
		"merchantAccount": testAccount, "merchantDomainName": testDomain, "merchantTransactionSecureType": "AUTO",
		"orderReference": chargeRef, "orderDate": "1415379863", "amount": "1547.36", "currency": "UAH",
		"productName[]": "Subscription S-000012", "productPrice[]": "1547.36", "productCount[]": "1",
		"language": "UA", "clientEmail": "payer@example.com", "returnUrl": c.SuccessURL, "serviceUrl": c.NotifyURL,
		"paymentSystems": "card",
		"merchantSignature": hmacMD5(testSecret, "test_merch_n1;www.market.ua;S12-AB3DE7FZ;1415379863;1547.36;UAH;"+
			"Subscription S-000012;1;1547.36"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fields = %v\nwant     %v", got, want)
	}

	c.Title = "Yoga, monthly"
	red, err = clocked().BeginSaving(context.Background(), testAcct("http://127.0.0.1:1"), c)
	if err != nil {
		t.Fatal(err)
	}
	if red.Form.Action != "http://127.0.0.1:1/pay" {
		t.Errorf("action = %s", red.Form.Action)
	}
	for _, f := range red.Form.Fields {
		if f[0] == "productName[]" && f[1] != "Yoga, monthly" {
			t.Errorf("productName = %q", f[1])
		}
	}
}

func TestBeginSavingRejects(t *testing.T) {
	t.Parallel()
	ok := gateway.CardCheckout{Ref: chargeRef, SubscriptionID: 12, Amount: money.New(100, "UAH")}
	noDomain := testAcct("")
	noDomain.System.Settings = map[string]any{SettingMerchantAccount: testAccount}
	tests := []struct {
		name string
		acct gateway.Account
		edit func(*gateway.CardCheckout)
	}{
		{"OrderRef", testAcct(""), func(c *gateway.CardCheckout) { c.Ref = "42-AB3DE7FZ" }},
		{"OtherSubscription", testAcct(""), func(c *gateway.CardCheckout) { c.SubscriptionID = 13 }},
		{"ZeroAmount", testAcct(""), func(c *gateway.CardCheckout) { c.Amount.Amount = 0 }},
		{"UnknownCurrency", testAcct(""), func(c *gateway.CardCheckout) { c.Amount.Currency = "XXY" }},
		{"NoDomain", noDomain, func(*gateway.CardCheckout) {}},
	}
	for _, tt := range tests {
		c := ok
		tt.edit(&c)
		if _, err := New(Options{}).BeginSaving(context.Background(), tt.acct, c); err == nil {
			t.Errorf("%s: BeginSaving succeeded", tt.name)
		}
	}
}

// newCardFake is a fake WayForPay API of the test merchant, closed when t ends.
func newCardFake(t *testing.T) *wayforpayfake.Server {
	t.Helper()
	f := wayforpayfake.New(testAccount, testSecret)
	t.Cleanup(f.Close)
	return f
}

func cardCharge(token string) gateway.CardCharge {
	return gateway.CardCharge{Ref: chargeRef, SubscriptionID: 12, Token: token, Amount: money.New(4950, "EUR"),
		Title: "Yoga, monthly", Email: "jane.doe@example.com", NotifyURL: "https://shop.example/webhooks/9"}
}

func TestChargeCard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		setup     func(f *wayforpayfake.Server) string // returns the token to charge
		wantPaid  bool
		wantType  string
		wantToken bool
	}{
		{"Approved", func(f *wayforpayfake.Server) string { return f.Token() }, true, StatusApproved, true},
		{"Declined", func(f *wayforpayfake.Server) string {
			tok := f.Token()
			f.Decline(tok)
			return tok
		}, false, StatusDeclined, true},
		{"UnknownToken", func(*wayforpayfake.Server) string { return "no-such-token" }, false, StatusDeclined, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newCardFake(t)
			tok := tt.setup(f)
			// Through the registry: the guard validates the event as the charge job will get it.
			cc, ok := gateway.NewRegistry(clocked()).CardCharger(gateway.TypeWayForPay)
			if !ok {
				t.Fatal("the registry has no CardCharger for wayforpay")
			}
			ev, err := cc.ChargeCard(context.Background(), testAcct(f.URL), cardCharge(tok))
			if err != nil {
				t.Fatal(err)
			}
			want := &gateway.SubscriptionCharge{Ref: chargeRef, PaymentRef: chargeRef, SubscriptionID: 12,
				Amount: money.New(4950, "EUR"), Paid: tt.wantPaid, PayerEmail: "jane.doe@example.com",
				CardToken: tok, At: fixedNow}
			if ev.Kind != gateway.EventCharge || ev.ID != "" || ev.Type != tt.wantType || ev.Ref != chargeRef ||
				ev.OrderID != 0 || !reflect.DeepEqual(ev.Charge, want) {
				t.Fatalf("event = %+v, charge %+v\nwant charge %+v", ev, ev.Charge, want)
			}
			charges := f.Charges()
			if len(charges) != 1 || charges[0].Ref != chargeRef || charges[0].Token != tok ||
				charges[0].Amount != money.New(4950, "EUR") || charges[0].ProductName != "Yoga, monthly" ||
				charges[0].ServiceURL != "https://shop.example/webhooks/9" {
				t.Fatalf("charges = %+v", charges)
			}
		})
	}
}

func TestChargeCardUnavailable(t *testing.T) {
	t.Parallel()
	t.Run("ServerError", func(t *testing.T) {
		t.Parallel()
		f := newCardFake(t)
		tok := f.Token()
		f.FailNext(1)
		_, err := clocked().ChargeCard(context.Background(), testAcct(f.URL), cardCharge(tok))
		if !errors.Is(err, gateway.ErrUnavailable) {
			t.Fatalf("ChargeCard = %v, want ErrUnavailable", err)
		}
		if n := len(f.Charges()); n != 0 {
			t.Fatalf("%d charges made by a failed call", n)
		}
	})
	t.Run("LostAnswer", func(t *testing.T) {
		t.Parallel()
		f := newCardFake(t)
		tok := f.Token()
		f.LoseNext()
		p := clocked()
		_, err := p.ChargeCard(context.Background(), testAcct(f.URL), cardCharge(tok))
		if !errors.Is(err, gateway.ErrUnavailable) {
			t.Fatalf("ChargeCard = %v, want ErrUnavailable", err)
		}
		// The card was charged: Status says so, as the charge job will ask.
		ev, err := p.Status(context.Background(), testAcct(f.URL), chargeRef)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind != gateway.EventCharge || ev.ID != "" || ev.Charge == nil || !ev.Charge.Paid ||
			ev.Charge.SubscriptionID != 12 || ev.Charge.CardToken != tok || ev.Charge.At != fixedNow ||
			ev.Charge.Amount != money.New(4950, "EUR") {
			t.Fatalf("status = %+v, charge %+v", ev, ev.Charge)
		}
		// Charging the same reference again is refused, not made twice.
		_, err = p.ChargeCard(context.Background(), testAcct(f.URL), cardCharge(tok))
		if err == nil || errors.Is(err, gateway.ErrUnavailable) || !strings.Contains(err.Error(), "Duplicate") {
			t.Fatalf("second ChargeCard = %v, want a plain duplicate error", err)
		}
		if n := len(f.Charges()); n != 1 {
			t.Fatalf("%d charges, want 1", n)
		}
	})
	t.Run("Timeout", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		api := newFakeAPI(t, func(apiCall) (int, string) { <-release; return http.StatusOK, `{}` })
		t.Cleanup(func() { close(release) })
		_, err := New(Options{Timeout: 100 * time.Millisecond}).ChargeCard(context.Background(),
			testAcct(api.URL), cardCharge("tok"))
		if !errors.Is(err, gateway.ErrUnavailable) {
			t.Fatalf("ChargeCard = %v, want ErrUnavailable", err)
		}
	})
}

// chargeAnswer is a CHARGE answer about ref in status, signed with secret.
func chargeAnswer(secret, ref, status string) string {
	return string(wayforpayfake.Notification(secret, testAccount, wayforpayfake.Note{Ref: ref,
		Amount: money.New(4950, "EUR"), Status: status, Email: "jane.doe@example.com", RecToken: "tok"}))
}

func TestChargeCardAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		code     int
		answer   string
		wantKind gateway.EventKind // "" expects an error
		wantErr  error             // nil: a plain error (neither unavailable nor a signature error)
	}{
		{"InProcessing", 200, chargeAnswer(testSecret, chargeRef, StatusInProcessing), gateway.EventPending, nil},
		{"Pending", 200, chargeAnswer(testSecret, chargeRef, StatusPending), gateway.EventPending, nil},
		{"WaitingAuthComplete", 200, chargeAnswer(testSecret, chargeRef, StatusWaitingAuthComplete), gateway.EventPending, nil},
		{"Expired", 200, chargeAnswer(testSecret, chargeRef, StatusExpired), gateway.EventCharge, nil},
		{"WrongSecret", 200, chargeAnswer("not the secret", chargeRef, StatusApproved), "", gateway.ErrUnavailable},
		{"Unsigned", 200, strings.Replace(chargeAnswer(testSecret, chargeRef, StatusApproved), `"merchantSignature"`, `"x"`, 1), "", gateway.ErrUnavailable},
		{"OtherRef", 200, chargeAnswer(testSecret, "S12-OTHER000", StatusApproved), "", gateway.ErrUnavailable},
		{"Refunded", 200, chargeAnswer(testSecret, chargeRef, StatusRefunded), "", gateway.ErrUnavailable},
		{"NotJSON", 200, `<html>oops</html>`, "", gateway.ErrUnavailable},
		{"Empty", 200, `{}`, "", gateway.ErrUnavailable},
		{"BadGateway", 502, `bad gateway`, "", gateway.ErrUnavailable},
		{"BadSignature", 200, badSignatureAnswer, "", nil},
		{"ParameterMissing", 200, `{"reason":"Parameter missing","reasonCode":1115}`, "", nil},
		{"BadRequest", 400, `{"reason":"Format error","reasonCode":1109}`, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, func(apiCall) (int, string) { return tt.code, tt.answer })
			ev, err := clocked().ChargeCard(context.Background(), testAcct(api.URL), cardCharge("tok"))
			if tt.wantKind != "" {
				if err != nil || ev.Kind != tt.wantKind || ev.Ref != chargeRef || ev.ID != "" {
					t.Fatalf("ChargeCard = %+v, %v; want %s", ev, err, tt.wantKind)
				}
				if ev.Kind == gateway.EventPending && ev.Charge != nil {
					t.Fatalf("pending event with a charge: %+v", ev.Charge)
				}
				if ev.Kind == gateway.EventCharge && (ev.Charge == nil || ev.Charge.Paid) {
					t.Fatalf("expired charge = %+v", ev.Charge)
				}
				return
			}
			switch {
			case tt.wantErr == nil:
				if err == nil || errors.Is(err, gateway.ErrUnavailable) || errors.Is(err, gateway.ErrSignature) {
					t.Fatalf("ChargeCard = %+v, %v; want a plain error", ev, err)
				}
				if tt.code == 400 && !strings.Contains(err.Error(), "Format error") {
					t.Errorf("error %q lacks WayForPay's reason", err)
				}
			case !errors.Is(err, tt.wantErr):
				t.Fatalf("ChargeCard = %+v, %v; want %v", ev, err, tt.wantErr)
			}
		})
	}
}

func TestChargeCardRequest(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, func(c apiCall) (int, string) {
		return http.StatusOK, chargeAnswer(testSecret, c.field("orderReference"), StatusApproved)
	})
	if _, err := clocked().ChargeCard(context.Background(), testAcct(api.URL), cardCharge("tok-1")); err != nil {
		t.Fatal(err)
	}
	reqs := api.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	c := reqs[0]
	want := map[string]string{"transactionType": "CHARGE", "merchantAccount": testAccount,
		"merchantAuthType": "SimpleSignature", "merchantDomainName": testDomain, "merchantTransactionType": "SALE",
		"merchantTransactionSecureType": "NON3DS", "apiVersion": "1", "orderReference": chargeRef,
		"orderDate": "1415379863", "amount": "49.5", "currency": "EUR", "recToken": "tok-1",
		"clientEmail": "jane.doe@example.com", "clientFirstName": "jane", "clientLastName": "doe",
		"serviceUrl": "https://shop.example/webhooks/9",
		"merchantSignature": hmacMD5(testSecret, "test_merch_n1;www.market.ua;S12-AB3DE7FZ;1415379863;49.5;EUR;"+
			"Yoga, monthly;1;49.5")}
	for k, v := range want {
		if got := c.field(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if c.Path != "/api" || c.ContentType != "application/json" {
		t.Errorf("request %s %s", c.Path, c.ContentType)
	}
	names, _ := c.Body["productName"].([]any)
	prices, _ := c.Body["productPrice"].([]any)
	counts, _ := c.Body["productCount"].([]any)
	if len(names) != 1 || names[0] != "Yoga, monthly" || len(prices) != 1 || len(counts) != 1 ||
		reflect.TypeOf(prices[0]).String() != "json.Number" || reflect.TypeOf(counts[0]).String() != "json.Number" {
		t.Errorf("products %v %v %v", names, prices, counts)
	}
	if strings.Contains(c.Raw, testSecret) {
		t.Error("the request carries the secret")
	}
}

func TestChargeCardRejects(t *testing.T) {
	t.Parallel()
	f := newCardFake(t)
	tests := []struct {
		name string
		edit func(*gateway.CardCharge)
	}{
		{"OrderRef", func(c *gateway.CardCharge) { c.Ref = "42-AB3DE7FZ" }},
		{"OtherSubscription", func(c *gateway.CardCharge) { c.SubscriptionID = 13 }},
		{"NoToken", func(c *gateway.CardCharge) { c.Token = " " }},
		{"ZeroAmount", func(c *gateway.CardCharge) { c.Amount.Amount = 0 }},
	}
	for _, tt := range tests {
		c := cardCharge("tok")
		tt.edit(&c)
		if _, err := New(Options{}).ChargeCard(context.Background(), testAcct(f.URL), c); err == nil {
			t.Errorf("%s: ChargeCard succeeded", tt.name)
		}
	}
	if n := f.Calls("CHARGE"); n != 0 {
		t.Fatalf("%d CHARGE calls made for refused charges", n)
	}
}

func TestChargeCardWrongSecret(t *testing.T) {
	t.Parallel()
	// The fake checks the request's signature: one signed with another secret is refused, nothing is charged,
	// and the refusal is a plain error (the request itself is bad; retrying it cannot help).
	f := newCardFake(t)
	tok := f.Token()
	acct := testAcct(f.URL)
	acct.Credentials = map[string]string{CredSecretKey: "not the secret"}
	_, err := clocked().ChargeCard(context.Background(), acct, cardCharge(tok))
	if err == nil || errors.Is(err, gateway.ErrUnavailable) || !strings.Contains(err.Error(), "Invalid signature") {
		t.Fatalf("ChargeCard = %v, want the fake's plain refusal", err)
	}
	if n := len(f.Charges()); n != 0 {
		t.Fatalf("%d charges made with a bad signature", n)
	}
}

func TestChargeRefund(t *testing.T) {
	t.Parallel()
	f := newCardFake(t)
	p := clocked()
	if _, err := p.ChargeCard(context.Background(), testAcct(f.URL), cardCharge(f.Token())); err != nil {
		t.Fatal(err)
	}
	res, err := p.Refund(context.Background(), testAcct(f.URL),
		gateway.RefundRequest{Ref: chargeRef, Amount: money.New(1000, "EUR")})
	if err != nil || res.Status != "succeeded" || res.ID != chargeRef {
		t.Fatalf("Refund = %+v, %v", res, err)
	}
	ev, err := p.Status(context.Background(), testAcct(f.URL), chargeRef)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != gateway.EventRefunded || ev.Ref != chargeRef || ev.OrderID != 0 || ev.RefundedAmount != 1000 ||
		ev.Charge != nil {
		t.Fatalf("status = %+v", ev)
	}
	if _, err := p.Refund(context.Background(), testAcct(f.URL),
		gateway.RefundRequest{Ref: chargeRef, Amount: money.New(4000, "EUR")}); err == nil {
		t.Fatal("refunding more than was charged succeeded")
	}
}

// chargeNote is a notification of charge chargeRef (EUR 49.50) by jane, with recToken tok.
func chargeNote(status string) wayforpayfake.Note {
	return wayforpayfake.Note{Ref: chargeRef, Amount: money.New(4950, "EUR"), Status: status,
		Email: "jane.doe@example.com", RecToken: "tok-1"}
}

func TestVerifyCharge(t *testing.T) {
	t.Parallel()
	refunded := chargeNote(StatusRefunded)
	refunded.ReasonCode, refunded.RefundAmount = 1100, 1000
	tests := []struct {
		name     string
		note     wayforpayfake.Note
		wantKind gateway.EventKind
		wantID   string
		wantPaid bool
	}{
		{"Approved", chargeNote(StatusApproved), gateway.EventCharge, chargeRef + ":Approved:1100", true},
		{"Declined", chargeNote(StatusDeclined), gateway.EventCharge, chargeRef + ":Declined:1101", false},
		{"Expired", chargeNote(StatusExpired), gateway.EventCharge, chargeRef + ":Expired:1100", false},
		{"InProcessing", chargeNote(StatusInProcessing), gateway.EventPending, chargeRef + ":InProcessing:1100", false},
		{"Refunded", refunded, gateway.EventRefunded, chargeRef + ":Refunded:1100:1000", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, _ := gateway.NewRegistry(clocked()).Provider(gateway.TypeWayForPay)
			body := wayforpayfake.Notification(testSecret, testAccount, tt.note)
			ev, err := p.Verify(context.Background(), testAcct(""), inbound(body))
			if err != nil {
				t.Fatal(err)
			}
			if ev.Kind != tt.wantKind || ev.ID != tt.wantID || ev.Ref != chargeRef || ev.OrderID != 0 ||
				ev.Type != tt.note.Status || len(ev.Reply) == 0 || ev.ReplyContentType != ReplyContentType {
				t.Fatalf("event = %+v", ev)
			}
			switch tt.wantKind {
			case gateway.EventCharge:
				want := &gateway.SubscriptionCharge{Ref: chargeRef, PaymentRef: chargeRef, SubscriptionID: 12,
					Amount: money.New(4950, "EUR"), Paid: tt.wantPaid, PayerEmail: "jane.doe@example.com",
					CardToken: "tok-1", At: fixedNow}
				if !reflect.DeepEqual(ev.Charge, want) {
					t.Fatalf("charge = %+v\nwant     %+v", ev.Charge, want)
				}
			case gateway.EventRefunded:
				if ev.RefundedAmount != 1000 || ev.Charge != nil {
					t.Fatalf("refund event = %+v", ev)
				}
			default:
				if ev.Charge != nil {
					t.Fatalf("pending event with a charge: %+v", ev.Charge)
				}
			}
		})
	}
	t.Run("NoReceivedTime", func(t *testing.T) {
		t.Parallel()
		in := inbound(wayforpayfake.Notification(testSecret, testAccount, chargeNote(StatusApproved)))
		in.Received = time.Time{}
		later := fixedNow.Add(time.Hour)
		ev, err := New(Options{Now: func() time.Time { return later }}).Verify(context.Background(), testAcct(""), in)
		if err != nil || ev.Charge == nil || ev.Charge.At != later {
			t.Fatalf("Verify = %+v, %v; want At from the provider clock", ev.Charge, err)
		}
	})
	t.Run("NoToken", func(t *testing.T) {
		t.Parallel()
		n := chargeNote(StatusApproved)
		n.RecToken = ""
		ev, err := clocked().Verify(context.Background(), testAcct(""),
			inbound(wayforpayfake.Notification(testSecret, testAccount, n)))
		if err != nil || ev.Charge == nil || ev.Charge.CardToken != "" || !ev.Charge.Paid {
			t.Fatalf("Verify = %+v, %v", ev.Charge, err)
		}
	})
	t.Run("Forged", func(t *testing.T) {
		t.Parallel()
		_, err := clocked().Verify(context.Background(), testAcct(""),
			inbound(wayforpayfake.Notification("not the secret", testAccount, chargeNote(StatusApproved))))
		if !errors.Is(err, gateway.ErrSignature) {
			t.Fatalf("Verify = %v, want ErrSignature", err)
		}
	})
	t.Run("OrderUnchanged", func(t *testing.T) {
		t.Parallel()
		// An order's notification carrying a recToken stays an order's payment.
		n := chargeNote(StatusApproved)
		n.Ref = "42-AB3DE7FZ"
		ev, err := clocked().Verify(context.Background(), testAcct(""),
			inbound(wayforpayfake.Notification(testSecret, testAccount, n)))
		if err != nil || ev.Kind != gateway.EventPaid || ev.OrderID != 42 || ev.Charge != nil {
			t.Fatalf("Verify = %+v, %v", ev, err)
		}
	})
}

func TestClientNames(t *testing.T) {
	t.Parallel()
	tests := []struct{ email, first, last string }{
		{"jane.doe@example.com", "jane", "doe"},
		{"jane@example.com", "jane", "jane"},
		{"j.r.r.tolkien+shop@example.com", "j", "r r tolkien shop"},
		{"", "Subscriber", "12"},
		{"@example.com", "Subscriber", "12"},
	}
	for _, tt := range tests {
		if first, last := clientNames(tt.email, 12); first != tt.first || last != tt.last {
			t.Errorf("clientNames(%q) = %q, %q; want %q, %q", tt.email, first, last, tt.first, tt.last)
		}
	}
}
