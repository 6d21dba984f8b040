package fondyfake_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/fondy"
	"github.com/bursar/bursar/internal/gateway/fondy/fondyfake"
	"github.com/bursar/bursar/internal/money"
)

func account(url string) gateway.Account {
	return gateway.Account{
		System: gateway.System{ID: 7, Type: gateway.TypeFondy, Mode: gateway.ModeTest,
			Settings: map[string]any{fondy.SettingMerchantID: fondyfake.MerchantID}},
		Credentials: map[string]string{fondy.CredSecretKey: fondyfake.Secret},
		APIURL:      url,
	}
}

// receiver is Bursar's webhook endpoint in miniature: it verifies each callback with the real provider.
type receiver struct {
	URL    string
	mu     sync.Mutex
	events []gateway.Event
	errs   []error
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{}
	p := fondy.New(fondy.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		ev, err := p.Verify(req.Context(), account(""), gateway.Inbound{Header: req.Header.Get, Body: body,
			Received: time.Now()})
		r.mu.Lock()
		defer r.mu.Unlock()
		if err != nil {
			r.errs = append(r.errs, err)
			http.Error(w, "bad callback", http.StatusBadRequest)
			return
		}
		r.events = append(r.events, ev)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

func (r *receiver) got() ([]gateway.Event, []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]gateway.Event(nil), r.events...), append([]error(nil), r.errs...)
}

func charge(ref, token, notify string) gateway.CardCharge {
	return gateway.CardCharge{Ref: ref, SubscriptionID: gateway.ChargeRefSubscription(ref), Token: token,
		Amount: money.Money{Amount: 990, Currency: "UAH"}, Title: "Club", NotifyURL: notify}
}

func TestCallbackVerifies(t *testing.T) {
	t.Parallel()
	body := fondyfake.Callback(fondyfake.Secret, fondyfake.MerchantID, fondyfake.Call{OrderID: "S5-abcdefgh",
		Status: fondyfake.StatusApproved, Amount: 1500, Currency: "EUR", Email: "a@example.com", RecToken: "tok123"})
	for _, k := range []string{`"merchant_id":1396424`, `"payment_id":1`, `"rectoken":"tok123"`, `"actual_amount":"1500"`,
		`"response_signature_string":"**********|`} {
		if !strings.Contains(string(body), k) {
			t.Errorf("callback lacks %s: %s", k, body)
		}
	}
	ev, err := fondy.New(fondy.Options{}).Verify(context.Background(), account(""),
		gateway.Inbound{Body: body, Received: time.Now()})
	if err != nil || ev.Kind != gateway.EventCharge || ev.Charge.CardToken != "tok123" || ev.Charge.SubscriptionID != 5 ||
		ev.Charge.Amount != (money.Money{Amount: 1500, Currency: "EUR"}) || !ev.Charge.Paid {
		t.Fatalf("Verify(Callback) = %+v, %v", ev, err)
	}
	bad := fondyfake.Callback("another key", fondyfake.MerchantID, fondyfake.Call{OrderID: "S5-abcdefgh",
		Status: fondyfake.StatusApproved, Amount: 1500, Currency: "EUR"})
	if _, err := fondy.New(fondy.Options{}).Verify(context.Background(), account(""), gateway.Inbound{Body: bad}); err == nil {
		t.Fatal("a callback signed with another key verified")
	}
}

func TestPayThenCharge(t *testing.T) {
	t.Parallel()
	fake := fondyfake.Start(t)
	p := fondy.New(fondy.Options{})
	red, err := p.BeginSaving(context.Background(), account(fake.URL), gateway.CardCheckout{Ref: "S9-first001",
		SubscriptionID: 9, Number: "S-000009", Amount: money.Money{Amount: 990, Currency: "UAH"},
		SuccessURL: "https://school.test/ok", NotifyURL: "https://school.test/webhooks/7"})
	if err != nil {
		t.Fatal(err)
	}
	body, token, err := fake.Pay(red.Ref, "olha@example.com")
	if err != nil || token == "" {
		t.Fatalf("Pay = %q, %v", token, err)
	}
	ev, err := p.Verify(context.Background(), account(""), gateway.Inbound{Body: body, Received: time.Now()})
	if err != nil || ev.Kind != gateway.EventCharge || ev.Charge.CardToken != token || ev.Charge.PayerEmail != "olha@example.com" {
		t.Fatalf("first payment's callback = %+v, %v", ev, err)
	}
	if _, _, err := fake.Pay(red.Ref, ""); err == nil {
		t.Fatal("a paid checkout was paid again")
	}
	ev, err = p.ChargeCard(context.Background(), account(fake.URL), charge("S9-second02", token, ""))
	if err != nil || !ev.Charge.Paid {
		t.Fatalf("charging the saved card = %+v, %v", ev, err)
	}
}

func TestPostCallbacks(t *testing.T) {
	t.Parallel()
	fake := fondyfake.Start(t)
	fake.PostCallbacks(true)
	recv := newReceiver(t)
	p := fondy.New(fondy.Options{})
	tok := fake.IssueToken()

	if _, err := p.ChargeCard(context.Background(), account(fake.URL), charge("S3-aaaaaaaa", tok, recv.URL)); err != nil {
		t.Fatal(err)
	}
	// Lost answer: the charge was made, and its callback still comes.
	fake.LoseNextCharge()
	if _, err := p.ChargeCard(context.Background(), account(fake.URL), charge("S3-bbbbbbbb", tok, recv.URL)); err == nil {
		t.Fatal("lost answer reported no error")
	}
	if _, err := p.Refund(context.Background(), account(fake.URL), gateway.RefundRequest{Ref: "S3-aaaaaaaa",
		Amount: money.Money{Amount: 990, Currency: "UAH"}}); err != nil {
		t.Fatal(err)
	}
	events, errs := recv.got()
	if len(errs) != 0 {
		t.Fatalf("callbacks that did not verify: %v", errs)
	}
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, fmt.Sprintf("%s %s", e.Ref, e.Kind))
	}
	want := []string{"S3-aaaaaaaa charge", "S3-bbbbbbbb charge", "S3-aaaaaaaa refunded"}
	if strings.Join(kinds, ",") != strings.Join(want, ",") {
		t.Fatalf("callbacks = %v, want %v", kinds, want)
	}
	for _, c := range fake.Charges() {
		if c.CallbackStatus != http.StatusOK {
			t.Errorf("charge %s: callback answered %d", c.Ref, c.CallbackStatus)
		}
	}
}

func TestStatusOfUnknownOrder(t *testing.T) {
	t.Parallel()
	fake := fondyfake.Start(t)
	_, err := fondy.New(fondy.Options{}).Status(context.Background(), account(fake.URL), "S1-unknown0")
	if err == nil || !strings.Contains(err.Error(), "Order not found") {
		t.Fatalf("Status of an unknown order = %v", err)
	}
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	fake := fondyfake.Start(t)
	fake.FailNext(2)
	p := fondy.New(fondy.Options{})
	for i := range 2 {
		if _, err := p.Status(context.Background(), account(fake.URL), "S1-unknown0"); err == nil ||
			!strings.Contains(err.Error(), "unavailable") {
			t.Fatalf("call %d = %v, want unavailable", i, err)
		}
	}
	if _, err := p.Status(context.Background(), account(fake.URL), "S1-unknown0"); err == nil ||
		!strings.Contains(err.Error(), "Order not found") {
		t.Fatalf("third call = %v, want Fondy's answer", err)
	}
	if n := fake.Calls(fondyfake.StatusPath); n != 3 {
		t.Fatalf("Calls = %d, want 3", n)
	}
}

func TestConcurrentCharges(t *testing.T) {
	t.Parallel()
	fake := fondyfake.Start(t)
	tok := fake.IssueToken()
	p := fondy.New(fondy.Options{})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if _, err := p.ChargeCard(context.Background(), account(fake.URL),
				charge(fmt.Sprintf("S%d-cccccccc", i+1), tok, "")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(fake.Charges()); n != 20 {
		t.Fatalf("%d charges, want 20", n)
	}
}
