package gateway_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/stripe"
	"github.com/bursar/bursar/internal/gateway/stripemock"
	"github.com/bursar/bursar/internal/money"
)

func TestEventValidate(t *testing.T) {
	t.Parallel()
	ok := gateway.Event{ID: "evt_1", Type: "checkout.session.completed", Kind: gateway.EventPaid, Ref: "cs_1",
		Amount: money.New(4900, "EUR"), PayerEmail: "ana@example.com"}
	tests := []struct {
		name   string
		change func(e *gateway.Event)
		valid  bool
	}{
		{"OK", func(*gateway.Event) {}, true},
		{"StatusWithoutID", func(e *gateway.Event) { e.ID = "" }, true},
		{"IgnoredWithoutAmount", func(e *gateway.Event) { e.Kind, e.Amount = gateway.EventIgnored, money.Money{} }, true},
		{"NULInID", func(e *gateway.Event) { e.ID = "evt_\x00" }, false},
		{"InvalidUTF8InType", func(e *gateway.Event) { e.Type = "checkout\xff" }, false},
		{"NULInRef", func(e *gateway.Event) { e.Ref = "cs\x00" }, false},
		{"NULInAltRef", func(e *gateway.Event) { e.AltRef = "pi\x00" }, false},
		{"NULInRefundRef", func(e *gateway.Event) { e.RefundRef = "re\x00" }, false},
		{"NULInPayerEmail", func(e *gateway.Event) { e.PayerEmail = "ana\x00@example.com" }, false},
		{"UnknownCurrency", func(e *gateway.Event) { e.Amount.Currency = "XX1" }, false},
		{"LowerCaseCurrency", func(e *gateway.Event) { e.Amount.Currency = "eur" }, false},
		{"UnknownKind", func(e *gateway.Event) { e.Kind = "won" }, false},
		{"NegativeAmount", func(e *gateway.Event) { e.Amount.Amount = -1 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := ok
			tt.change(&e)
			err := e.Validate()
			if tt.valid != (err == nil) {
				t.Fatalf("Validate() = %v, want valid %v", err, tt.valid)
			}
			if err != nil && !errors.Is(err, gateway.ErrInvalidEvent) {
				t.Errorf("error %v does not wrap ErrInvalidEvent", err)
			}
			if err != nil && strings.ContainsRune(err.Error(), 0) {
				t.Errorf("error quotes the NUL byte: %q", err)
			}
		})
	}
}

const testWebhookSecret = "whsec_registry_test"

// stripeInbound is body signed as Stripe signs it, now.
func stripeInbound(body string) gateway.Inbound {
	now := time.Now()
	m := hmac.New(sha256.New, []byte(testWebhookSecret))
	fmt.Fprintf(m, "%d.%s", now.Unix(), body)
	header := fmt.Sprintf("t=%d,v1=%s", now.Unix(), hex.EncodeToString(m.Sum(nil)))
	return gateway.Inbound{Header: http.Header{"Stripe-Signature": {header}}.Get, Body: []byte(body), Received: now}
}

func stripeSessionEvent(id, currency, email string) string {
	return fmt.Sprintf(`{"id":%q,"object":"event","api_version":"2023-10-16","type":"checkout.session.completed",`+
		`"data":{"object":{"id":"cs_test_1","object":"checkout.session","status":"complete","payment_status":"paid",`+
		`"amount_total":4900,"currency":%q,"client_reference_id":"7","customer_details":{"email":%q}}}}`, id, currency, email)
}

// TestRegistryVerifyRefusesMalformed: a correctly signed notification whose text cannot be stored or whose
// currency is not ISO 4217 is refused by every provider the registry returns (ErrInvalidEvent, answered 400),
// whereas the provider alone accepted it.
func TestRegistryVerifyRefusesMalformed(t *testing.T) {
	t.Parallel()
	reg := gateway.NewRegistry(stripe.New(stripe.Options{}))
	p, ok := reg.Provider(gateway.TypeStripe)
	if !ok {
		t.Fatal("no stripe provider")
	}
	acct := gateway.Account{System: gateway.System{ID: 1, Type: gateway.TypeStripe},
		Credentials: map[string]string{"webhook_secret": testWebhookSecret}}
	tests := []struct {
		name string
		body string
		ok   bool
	}{
		{"OK", stripeSessionEvent("evt_1", "eur", "ana@example.com"), true},
		{"NULInEventID", stripeSessionEvent(`evt_\u0000`, "eur", "ana@example.com"), false},
		{"NULInPayerEmail", stripeSessionEvent("evt_1", "eur", `ana\u0000@example.com`), false},
		{"UnknownCurrency", stripeSessionEvent("evt_1", "xx1", "ana@example.com"), false},
		{"InvalidUTF8Body", strings.Replace(stripeSessionEvent("evt_1", "eur", "ana@example.com"), "ana@", "an\xffa@", 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := stripeInbound(strings.ReplaceAll(tt.body, `\\u0000`, `\u0000`))
			ev, err := p.Verify(context.Background(), acct, in)
			if tt.ok {
				if err != nil || ev.Kind != gateway.EventPaid {
					t.Fatalf("Verify = %+v, %v", ev, err)
				}
				return
			}
			if !errors.Is(err, gateway.ErrInvalidEvent) || errors.Is(err, gateway.ErrSignature) {
				t.Fatalf("Verify = %+v, %v; want ErrInvalidEvent", ev, err)
			}
		})
	}
}

// TestRegistryRedactsErrors: a gateway that echoes the secret key in its error (stripe-mock repeats the
// Authorization header of a key it refuses) yields an error without the key, still telling what went wrong.
func TestRegistryRedactsErrors(t *testing.T) {
	t.Parallel()
	const key = "sk_live_51FakeKeyThatMustNeverBeLogged0123456789abcdef"
	api := stripemock.Start(t) // stripe-mock takes test-mode keys only: a live key is refused, and echoed
	acct := gateway.Account{System: gateway.System{ID: 1, Type: gateway.TypeStripe, Mode: gateway.ModeLive},
		Credentials: map[string]string{"secret_key": key, "webhook_secret": testWebhookSecret}, APIURL: api}
	c := gateway.Checkout{OrderID: 7, OrderNumber: "A-0007", Amount: money.New(4900, "EUR"), Title: "Course",
		SuccessURL: "https://school.test/ok", CancelURL: "https://school.test/cancel", NotifyURL: "https://school.test/webhooks/1"}

	_, raw := stripe.New(stripe.Options{}).Begin(context.Background(), acct, c)
	if raw == nil || !strings.Contains(raw.Error(), "FakeKeyThatMustNeverBeLogged") {
		t.Fatalf("the provider's own error does not show the key, so this test proves nothing: %v", raw)
	}
	p, _ := gateway.NewRegistry(stripe.New(stripe.Options{})).Provider(gateway.TypeStripe)
	_, err := p.Begin(context.Background(), acct, c)
	if err == nil {
		t.Fatal("Begin with a refused key succeeded")
	}
	if strings.Contains(err.Error(), "FakeKeyThatMustNeverBeLogged") {
		t.Fatalf("error shows the key: %v", err)
	}
	if !strings.Contains(err.Error(), "stripe:") {
		t.Errorf("error lost its context: %v", err)
	}
	if errors.Is(err, gateway.ErrUnavailable) != errors.Is(raw, gateway.ErrUnavailable) {
		t.Errorf("redaction changed the error's kind: %v vs %v", err, raw)
	}
}
