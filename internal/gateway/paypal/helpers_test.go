package paypal

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/paypal/paypalfake"
	"github.com/bursar/bursar/internal/money"
)

// fakeAccount is a test-mode PayPal system whose calls go to apiURL, with the fake's credentials and webhook.
func fakeAccount(apiURL string) gateway.Account {
	return gateway.Account{
		System: gateway.System{ID: 7, Type: gateway.TypePayPal, Mode: gateway.ModeTest,
			Settings: map[string]any{SettingClientID: paypalfake.ClientID, SettingWebhookID: paypalfake.WebhookID}},
		Credentials: map[string]string{CredClientSecret: paypalfake.ClientSecret},
		APIURL:      apiURL,
	}
}

func checkout() gateway.Checkout {
	return gateway.Checkout{OrderID: 42, OrderNumber: "A-0042", Amount: money.Money{Amount: 4990, Currency: "EUR"},
		Title: "Curso de español A1 & <más>", Email: "ana@example.com", Language: "es",
		SuccessURL: "https://school.test/o/a1/paid?order=A-0042&attempt=9",
		CancelURL:  "https://school.test/o/a1/cancelled?order=A-0042&system=7",
		NotifyURL:  "https://school.test/webhooks/7"}
}

// begun starts c through p at fake and returns the PayPal order id.
func begun(t *testing.T, p *Provider, fake *paypalfake.Server, c gateway.Checkout) string {
	t.Helper()
	red, err := p.Begin(context.Background(), fakeAccount(fake.URL), c)
	if err != nil {
		t.Fatalf("Begin = %v", err)
	}
	return red.Ref
}

// approved is an order begun for checkout() and approved by payerEmail.
func approved(t *testing.T, p *Provider, fake *paypalfake.Server, payerEmail string) string {
	t.Helper()
	id := begun(t, p, fake, checkout())
	if err := fake.Approve(id, payerEmail); err != nil {
		t.Fatal(err)
	}
	return id
}

// captured is an approved order captured through Status (the return page); it returns the order and capture ids.
func captured(t *testing.T, p *Provider, fake *paypalfake.Server, payerEmail string) (orderID, captureID string) {
	t.Helper()
	id := approved(t, p, fake, payerEmail)
	ev, err := p.Status(context.Background(), fakeAccount(fake.URL), id)
	if err != nil || ev.AltRef == "" {
		t.Fatalf("Status(approved) = %+v, %v", ev, err)
	}
	return id, ev.AltRef
}

// inbound is a notification with headers and body, arriving now.
func inbound(headers map[string]string, body []byte) gateway.Inbound {
	h := http.Header{}
	for k, v := range headers {
		h.Set(k, v)
	}
	return gateway.Inbound{Header: h.Get, Body: body, Received: time.Now()}
}

// signed is body with the headers PayPal (the fake) signs it with.
func signed(fake *paypalfake.Server, body []byte) gateway.Inbound {
	return inbound(fake.Sign(body), body)
}

// webhook renders the fake's event of type about id.
func webhook(t *testing.T, fake *paypalfake.Server, typ, id string) []byte {
	t.Helper()
	body, err := fake.WebhookEvent(typ, id)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// eventID is the id of a webhook body.
func eventID(t *testing.T, body []byte) string {
	t.Helper()
	var ev struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" {
		t.Fatalf("event id of %s: %v", body, err)
	}
	return ev.ID
}

// requests are the fake's requests to the route pattern.
func requests(fake *paypalfake.Server, pattern string) []paypalfake.Request {
	var out []paypalfake.Request
	for _, r := range fake.Requests() {
		if r.Pattern == pattern {
			out = append(out, r)
		}
	}
	return out
}
