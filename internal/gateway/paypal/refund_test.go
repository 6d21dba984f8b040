package paypal

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/paypal/paypalfake"
	"github.com/bursar/bursar/internal/money"
)

func TestRefund(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	acct := fakeAccount(fake.URL)
	id, capID := captured(t, p, fake, "ana@example.com")
	tests := []struct {
		name      string
		ref       string
		amount    int64
		reason    string
		wantValue string
		wantKey   string
	}{
		{"PartByOrder", id, 1000, "  asked by the student ", "10.00", "bursar-refund-" + capID + "-1000-after-0"},
		{"SameAmountAgainByCapture", capID, 1000, "", "10.00", "bursar-refund-" + capID + "-1000-after-1000"},
		{"Rest", id, 2990, strings.Repeat("é", 300), "29.90", "bursar-refund-" + capID + "-2990-after-2000"},
	}
	for _, tt := range tests {
		before := len(requests(fake, "POST /v2/payments/captures/{id}/refund"))
		res, err := p.Refund(context.Background(), acct, gateway.RefundRequest{Ref: tt.ref,
			Amount: money.Money{Amount: tt.amount, Currency: "EUR"}, Reason: tt.reason})
		if err != nil {
			t.Fatalf("%s: Refund = %v", tt.name, err)
		}
		if !validID(res.ID) || res.Status != "succeeded" {
			t.Fatalf("%s: result %+v, want a refund id, succeeded", tt.name, res)
		}
		reqs := requests(fake, "POST /v2/payments/captures/{id}/refund")[before:]
		if len(reqs) != 1 || reqs[0].Path != "/v2/payments/captures/"+capID+"/refund" {
			t.Fatalf("%s: refund requests %+v, want one to capture %s", tt.name, reqs, capID)
		}
		var body struct {
			Amount      map[string]string `json:"amount"`
			NoteToPayer string            `json:"note_to_payer"`
		}
		if err := json.Unmarshal(reqs[0].Body, &body); err != nil {
			t.Fatal(err)
		}
		wantNote := truncate(strings.TrimSpace(tt.reason), maxNote)
		if body.Amount["currency_code"] != "EUR" || body.Amount["value"] != tt.wantValue || body.NoteToPayer != wantNote {
			t.Fatalf("%s: refund body %s", tt.name, reqs[0].Body)
		}
		if got := reqs[0].Header.Get("PayPal-Request-Id"); got != tt.wantKey {
			t.Fatalf("%s: PayPal-Request-Id %q, want %q", tt.name, got, tt.wantKey)
		}
	}
	ev, err := p.Status(context.Background(), acct, id)
	if err != nil || ev.Kind != gateway.EventRefunded || ev.RefundedAmount != 4990 || ev.Type != "order:COMPLETED/REFUNDED" {
		t.Fatalf("Status(refunded) = %+v, %v", ev, err)
	}
}

func TestRefundRejects(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	id, capID := captured(t, p, fake, "ana@example.com")
	pending := paypalfake.Start(t)
	pending.SetCaptureStatus("PENDING")
	pendingID, _ := captured(t, p, pending, "ana@example.com")
	notCaptured := begun(t, p, fake, func() gateway.Checkout { c := checkout(); c.OrderID = 43; return c }())
	eur := func(n int64) money.Money { return money.Money{Amount: n, Currency: "EUR"} }
	tests := []struct {
		name string
		acct gateway.Account
		req  gateway.RefundRequest
	}{
		{"AnotherCurrency", fakeAccount(fake.URL), gateway.RefundRequest{Ref: id, Amount: money.Money{Amount: 500, Currency: "USD"}}},
		{"MoreThanPaid", fakeAccount(fake.URL), gateway.RefundRequest{Ref: capID, Amount: eur(4991)}},
		{"ZeroAmount", fakeAccount(fake.URL), gateway.RefundRequest{Ref: id, Amount: eur(0)}},
		{"NoReference", fakeAccount(fake.URL), gateway.RefundRequest{Amount: eur(500)}},
		{"UnknownReference", fakeAccount(fake.URL), gateway.RefundRequest{Ref: "0NOSUCHORDER0000", Amount: eur(500)}},
		{"NotAnID", fakeAccount(fake.URL), gateway.RefundRequest{Ref: "../v1/oauth2/token", Amount: eur(500)}},
		{"NotCaptured", fakeAccount(fake.URL), gateway.RefundRequest{Ref: notCaptured, Amount: eur(500)}},
		{"CapturePending", fakeAccount(pending.URL), gateway.RefundRequest{Ref: pendingID, Amount: eur(500)}},
	}
	for _, tt := range tests {
		_, err := p.Refund(context.Background(), tt.acct, tt.req)
		if err == nil || errors.Is(err, gateway.ErrUnavailable) {
			t.Errorf("%s: Refund = %v, want a plain error", tt.name, err)
		}
	}
	for _, f := range []*paypalfake.Server{fake, pending} {
		if n := len(requests(f, "POST /v2/payments/captures/{id}/refund")); n != 0 {
			t.Fatalf("a rejected refund still posted %d refunds", n)
		}
	}
}

func TestRefundUnavailable(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	id, _ := captured(t, p, fake, "ana@example.com")
	fake.Fail("/v2/payments/captures/{id}/refund", http.StatusInternalServerError)
	_, err := p.Refund(context.Background(), fakeAccount(fake.URL), gateway.RefundRequest{Ref: id, Amount: eur4990})
	if !errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("Refund(500) = %v, want ErrUnavailable", err)
	}
	fake.Fail("/v2/payments/captures/{id}/refund", 0)
	fake.Fail("GET /v2/checkout/orders/{id}", http.StatusServiceUnavailable)
	if _, err = p.Refund(context.Background(), fakeAccount(fake.URL), gateway.RefundRequest{Ref: id, Amount: eur4990}); !errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("Refund(order 503) = %v, want ErrUnavailable", err)
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	acct := fakeAccount(fake.URL)
	id := begun(t, p, fake, checkout())

	ev, err := p.Status(context.Background(), acct, id)
	want := gateway.Event{Type: "order:CREATED", Kind: gateway.EventPending, OrderID: 42, Ref: id, Amount: eur4990}
	if err != nil || !reflect.DeepEqual(ev, want) {
		t.Fatalf("Status(created) = %+v, %v; want %+v", ev, err, want)
	}
	if err := fake.Approve(id, "ana@example.com"); err != nil {
		t.Fatal(err)
	}
	// The payer is back: Status captures the approved order.
	ev, err = p.Status(context.Background(), acct, id)
	o, _ := fake.Order(id)
	want = gateway.Event{Type: "order:COMPLETED/COMPLETED", Kind: gateway.EventPaid, OrderID: 42, Ref: id,
		AltRef: o.CaptureIDs[0], Amount: eur4990, PayerEmail: "ana@example.com"}
	if err != nil || !reflect.DeepEqual(ev, want) {
		t.Fatalf("Status(approved) = %+v, %v; want %+v", ev, err, want)
	}
	reqs := requests(fake, "POST /v2/checkout/orders/{id}/capture")
	if len(reqs) != 1 || reqs[0].Header.Get("PayPal-Request-Id") != "bursar-capture-"+id ||
		reqs[0].Header.Get("Prefer") != "return=representation" {
		t.Fatalf("capture requests %+v", reqs)
	}
	// Asked again (or by the capture id), nothing is captured twice.
	for _, ref := range []string{id, o.CaptureIDs[0]} {
		if ev, err = p.Status(context.Background(), acct, ref); err != nil || !reflect.DeepEqual(ev, want) {
			t.Fatalf("Status(%s) again = %+v, %v", ref, ev, err)
		}
	}
	if fake.CaptureCalls(id) != 1 {
		t.Fatalf("%d capture calls, want 1", fake.CaptureCalls(id))
	}
}

func TestStatusCaptureOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		captureStatus string
		wantKind      gateway.EventKind
		wantType      string
	}{
		{"PENDING", gateway.EventPending, "order:COMPLETED/PENDING"},
		{"DECLINED", gateway.EventFailed, "order:COMPLETED/DECLINED"},
		{"INSTRUMENT_DECLINED", gateway.EventFailed, "order:APPROVED/INSTRUMENT_DECLINED"},
	}
	for _, tt := range tests {
		t.Run(tt.captureStatus, func(t *testing.T) {
			t.Parallel()
			fake := paypalfake.Start(t)
			fake.SetCaptureStatus(tt.captureStatus)
			p := New(Options{})
			id := approved(t, p, fake, "ana@example.com")
			ev, err := p.Status(context.Background(), fakeAccount(fake.URL), id)
			if err != nil || ev.Kind != tt.wantKind || ev.Type != tt.wantType || ev.Ref != id || ev.OrderID != 42 {
				t.Fatalf("Status = %+v, %v; want %s %s", ev, err, tt.wantKind, tt.wantType)
			}
		})
	}
}

func TestStatusErrors(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	acct := fakeAccount(fake.URL)
	for _, ref := range []string{"", "0NOSUCHORDER0000", "../v1/oauth2/token"} {
		if _, err := p.Status(context.Background(), acct, ref); err == nil || errors.Is(err, gateway.ErrUnavailable) {
			t.Errorf("Status(%q) = %v, want a plain error", ref, err)
		}
	}
	id := approved(t, p, fake, "ana@example.com")
	fake.Fail("/v2/checkout/orders/{id}/capture", http.StatusBadGateway)
	if _, err := p.Status(context.Background(), acct, id); !errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("Status(capture 502) = %v, want ErrUnavailable", err)
	}
	fake.Fail("GET /v2/checkout/orders/{id}", http.StatusInternalServerError)
	if _, err := p.Status(context.Background(), acct, id); !errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("Status(order 500) = %v, want ErrUnavailable", err)
	}
}

// TestOrderEvent is the status mapping: what an order as PayPal shows it means for Bursar.
func TestOrderEvent(t *testing.T) {
	t.Parallel()
	order := func(status, captures, refunds string) string {
		payments := ""
		if captures != "" {
			payments = `,"payments":{"captures":[` + captures + `]`
			if refunds != "" {
				payments += `,"refunds":[` + refunds + `]`
			}
			payments += `}`
		}
		return `{"id":"5O190127TN364715T","intent":"CAPTURE","status":"` + status + `",` +
			`"payer":{"email_address":"ana@example.com","payer_id":"QYR5Z8XDVJNXQ"},` +
			`"purchase_units":[{"reference_id":"A-0042","custom_id":"42","amount":{"currency_code":"EUR","value":"49.90"}` +
			payments + `}]}`
	}
	capture := func(status, value string) string {
		return `{"id":"3C679366HH908993F","status":"` + status + `","amount":{"currency_code":"EUR","value":"` + value + `"}}`
	}
	refund := func(status, value string) string {
		return `{"id":"1JU08902781691411","status":"` + status + `","amount":{"currency_code":"EUR","value":"` + value + `"},` +
			`"links":[{"href":"https://api.paypal.com/v2/payments/captures/3C679366HH908993F","rel":"up","method":"GET"}]}`
	}
	base := gateway.Event{OrderID: 42, Ref: "5O190127TN364715T", Amount: eur4990, PayerEmail: "ana@example.com"}
	with := func(kind gateway.EventKind, altRef string, refunded int64) gateway.Event {
		e := base
		e.Kind, e.AltRef, e.RefundedAmount = kind, altRef, refunded
		return e
	}
	tests := []struct {
		name     string
		json     string
		declined bool
		want     gateway.Event
		wantErr  bool
	}{
		{"Created", order("CREATED", "", ""), false, with(gateway.EventPending, "", 0), false},
		{"Saved", order("SAVED", "", ""), false, with(gateway.EventPending, "", 0), false},
		{"PayerActionRequired", order("PAYER_ACTION_REQUIRED", "", ""), false, with(gateway.EventPending, "", 0), false},
		{"ApprovedNotCaptured", order("APPROVED", "", ""), false, with(gateway.EventPending, "", 0), false},
		{"InstrumentDeclined", order("APPROVED", "", ""), true, with(gateway.EventFailed, "", 0), false},
		{"Voided", order("VOIDED", "", ""), false, with(gateway.EventFailed, "", 0), false},
		{"Completed", order("COMPLETED", capture("COMPLETED", "49.90"), ""), false, with(gateway.EventPaid, "3C679366HH908993F", 0), false},
		{"CapturePending", order("COMPLETED", capture("PENDING", "49.90"), ""), false, with(gateway.EventPending, "3C679366HH908993F", 0), false},
		{"CaptureDeclined", order("COMPLETED", capture("DECLINED", "49.90"), ""), false, with(gateway.EventFailed, "3C679366HH908993F", 0), false},
		{"CaptureFailed", order("COMPLETED", capture("FAILED", "49.90"), ""), false, with(gateway.EventFailed, "3C679366HH908993F", 0), false},
		{"CaptureUnknownStatus", order("COMPLETED", capture("SOMETHING_NEW", "49.90"), ""), false, with(gateway.EventPending, "3C679366HH908993F", 0), false},
		{"PartiallyRefunded", order("COMPLETED", capture("PARTIALLY_REFUNDED", "49.90"),
			refund("COMPLETED", "10.00")+","+refund("PENDING", "5.00")), false, with(gateway.EventRefunded, "3C679366HH908993F", 1000), false},
		{"Refunded", order("COMPLETED", capture("REFUNDED", "49.90"), refund("COMPLETED", "49.90")), false,
			with(gateway.EventRefunded, "3C679366HH908993F", 4990), false},
		{"CapturedLess", order("COMPLETED", capture("COMPLETED", "40.00"), ""), false, func() gateway.Event {
			e := with(gateway.EventPaid, "3C679366HH908993F", 0)
			e.Amount = money.Money{Amount: 4000, Currency: "EUR"}
			return e
		}(), false},
		{"UnreadableAmount", order("COMPLETED", capture("COMPLETED", "49,90"), ""), false, gateway.Event{}, true},
		{"NoPurchaseUnit", `{"id":"5O190127TN364715T","status":"COMPLETED"}`, false, gateway.Event{}, true},
	}
	for _, tt := range tests {
		var o orderJSON
		if err := json.Unmarshal([]byte(tt.json), &o); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got, err := orderEvent(o, tt.declined)
		if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: orderEvent =\n %+v, %v\nwant\n %+v", tt.name, got, err, tt.want)
		}
	}
}
