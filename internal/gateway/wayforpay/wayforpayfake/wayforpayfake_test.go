package wayforpayfake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/wayforpay"
	"github.com/bursar/bursar/internal/gateway/wayforpay/wayforpayfake"
	"github.com/bursar/bursar/internal/money"
)

func acct(apiURL string) gateway.Account {
	return gateway.Account{
		System: gateway.System{ID: 9, Type: gateway.TypeWayForPay, Mode: gateway.ModeTest,
			Settings: map[string]any{wayforpay.SettingMerchantAccount: wayforpayfake.Account,
				wayforpay.SettingMerchantDomain: wayforpayfake.Domain}},
		Credentials: map[string]string{wayforpay.CredSecretKey: wayforpayfake.Secret},
		APIURL:      apiURL,
	}
}

// post sends body to the fake's API and returns the status and the decoded answer.
func post(t *testing.T, f *wayforpayfake.Server, body string) (int, map[string]any) {
	t.Helper()
	res, err := http.Post(f.URL+"/api", "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return res.StatusCode, out
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	f := wayforpayfake.New(wayforpayfake.Account, wayforpayfake.Secret)
	t.Cleanup(f.Close)
	tests := []struct {
		name string
		body string
		code float64
	}{
		{"BadSignature", `{"transactionType":"CHARGE","merchantAccount":"test_merch_n1","orderReference":"S1-A",` +
			`"merchantSignature":"00","recToken":"t"}`, wayforpayfake.ReasonInvalidSignature},
		{"OtherMerchant", `{"transactionType":"CHECK_STATUS","merchantAccount":"someone"}`,
			wayforpayfake.ReasonAccountNotFound},
		{"StatusBadSignature", `{"transactionType":"CHECK_STATUS","merchantAccount":"test_merch_n1",` +
			`"orderReference":"S1-A","merchantSignature":"00"}`, wayforpayfake.ReasonInvalidSignature},
	}
	for _, tt := range tests {
		status, out := post(t, f, tt.body)
		if status != http.StatusOK || out["reasonCode"] != tt.code || out["transactionStatus"] != nil {
			t.Errorf("%s: %d %v", tt.name, status, out)
		}
	}
	if n := len(f.Charges()); n != 0 {
		t.Fatalf("%d charges", n)
	}
}

func TestStatusAndRefund(t *testing.T) {
	t.Parallel()
	f := wayforpayfake.New(wayforpayfake.Account, wayforpayfake.Secret)
	t.Cleanup(f.Close)
	p := wayforpay.New(wayforpay.Options{})
	ctx := context.Background()
	if _, err := p.Status(ctx, acct(f.URL), "S1-UNKNOWN1"); err == nil {
		t.Fatal("Status of an unknown reference succeeded")
	}
	if _, err := p.Refund(ctx, acct(f.URL), gateway.RefundRequest{Ref: "S1-UNKNOWN1", Amount: money.New(1, "UAH")}); err == nil {
		t.Fatal("Refund of an unknown reference succeeded")
	}
	tok := f.Token()
	ev, err := p.ChargeCard(ctx, acct(f.URL), gateway.CardCharge{Ref: "S1-ABCDEFGH", Token: tok,
		Amount: money.New(10000, "UAH"), Email: "a@example.com"})
	if err != nil || ev.Charge == nil || !ev.Charge.Paid {
		t.Fatalf("ChargeCard = %+v, %v", ev, err)
	}
	if _, err := p.Refund(ctx, acct(f.URL), gateway.RefundRequest{Ref: "S1-ABCDEFGH", Amount: money.New(10000, "UAH")}); err != nil {
		t.Fatal(err)
	}
	ev, err = p.Status(ctx, acct(f.URL), "S1-ABCDEFGH")
	if err != nil || ev.Kind != gateway.EventRefunded || ev.RefundedAmount != 10000 {
		t.Fatalf("Status = %+v, %v", ev, err)
	}
	if f.Calls("CHARGE") != 1 || f.Calls("REFUND") != 2 || f.Calls("CHECK_STATUS") != 2 {
		t.Fatalf("calls %d %d %d", f.Calls("CHARGE"), f.Calls("REFUND"), f.Calls("CHECK_STATUS"))
	}
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	f := wayforpayfake.New(wayforpayfake.Account, wayforpayfake.Secret)
	t.Cleanup(f.Close)
	f.FailNext(2)
	for i := range 2 {
		if status, _ := post(t, f, `{"transactionType":"CHECK_STATUS"}`); status != http.StatusInternalServerError {
			t.Fatalf("call %d: %d, want 500", i, status)
		}
	}
	if status, _ := post(t, f, `{"transactionType":"CHECK_STATUS"}`); status != http.StatusOK {
		t.Fatalf("third call: %d, want 200", status)
	}
}

func TestNotifyCharges(t *testing.T) {
	t.Parallel()
	// Bursar's webhook endpoint, played by the provider's Verify: the fake's notification must pass it.
	var mu sync.Mutex
	var got []gateway.Event
	p := wayforpay.New(wayforpay.Options{})
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ev, err := p.Verify(r.Context(), acct(""), gateway.Inbound{Header: r.Header.Get, Body: body,
			Received: time.Unix(1700000000, 0)})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
		_, _ = w.Write(ev.Reply)
	}))
	t.Cleanup(hook.Close)
	f := wayforpayfake.New(wayforpayfake.Account, wayforpayfake.Secret)
	t.Cleanup(f.Close)
	f.NotifyCharges(true)
	tok := f.Token()
	if _, err := p.ChargeCard(context.Background(), acct(f.URL), gateway.CardCharge{Ref: "S7-ABCDEFGH", Token: tok,
		Amount: money.New(4950, "EUR"), NotifyURL: hook.URL}); err != nil {
		t.Fatal(err)
	}
	// Delivered before the CHARGE was answered: no waiting.
	ds := f.Deliveries()
	if len(ds) != 1 || ds[0].Status != http.StatusOK || ds[0].Err != nil || ds[0].URL != hook.URL {
		t.Fatalf("deliveries = %+v", ds)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].Kind != gateway.EventCharge || got[0].Charge.SubscriptionID != 7 ||
		got[0].Charge.CardToken != tok || !got[0].Charge.Paid {
		t.Fatalf("notified = %+v", got)
	}
}

func TestNotification(t *testing.T) {
	t.Parallel()
	// A first payment's notification, with the card's token, as tests elsewhere post it.
	body := wayforpayfake.Notification(wayforpayfake.Secret, wayforpayfake.Account, wayforpayfake.Note{
		Ref: "S3-FIRST000", Amount: money.New(154736, "UAH"), Email: "payer@example.com", RecToken: "tok-9"})
	var fields map[string]any
	if err := json.Unmarshal(body, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"merchantAccount", "orderReference", "merchantSignature", "amount", "currency",
		"authCode", "email", "phone", "createdDate", "processingDate", "cardPan", "cardType", "issuerBankCountry",
		"issuerBankName", "recToken", "transactionStatus", "reason", "reasonCode", "fee", "paymentSystem"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("no %s in %s", k, body)
		}
	}
	ev, err := wayforpay.New(wayforpay.Options{}).Verify(context.Background(), acct(""),
		gateway.Inbound{Header: http.Header{}.Get, Body: body, Received: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != gateway.EventCharge || ev.Charge.CardToken != "tok-9" || ev.Charge.SubscriptionID != 3 ||
		ev.Charge.Amount != money.New(154736, "UAH") || !ev.Charge.Paid {
		t.Fatalf("event = %+v, charge %+v", ev, ev.Charge)
	}
}
