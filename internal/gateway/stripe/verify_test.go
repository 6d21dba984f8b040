package stripe

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/stripe/stripetest"
	"github.com/bursar/bursar/internal/money"
)

const (
	vectorSecret  = "whsec_test_secret"
	vectorT       = 1700000000
	vectorPayload = `{"id":"evt_test","object":"event","api_version":"2023-10-16","type":"checkout.session.completed"}`
	vectorV1      = "444a09fa41548711f3ae3b320acbb65205b9fe59f31241f8b898449ddc579b42"
)

// sign is Stripe's v1 signature, computed here independently of stripe-go.
func sign(secret string, t int64, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%d.%s", t, body)
	return hex.EncodeToString(m.Sum(nil))
}

// signedHeader is a Stripe-Signature header as Stripe sends it.
func signedHeader(secret string, t int64, body string) string {
	return fmt.Sprintf("t=%d,v1=%s", t, sign(secret, t, body))
}

// inbound is a notification carrying header as Stripe-Signature, arriving at received.
func inbound(header, body string, received time.Time) gateway.Inbound {
	h := http.Header{}
	if header != "" {
		h.Set(SignatureHeader, header)
	}
	return gateway.Inbound{Header: h.Get, Body: []byte(body), Received: received}
}

func webhookAccount(secret string) gateway.Account {
	return gateway.Account{System: gateway.System{ID: 7, Type: gateway.TypeStripe},
		Credentials: map[string]string{CredSecretKey: "sk_test_123", CredWebhookSecret: secret}}
}

func TestSignatureVector(t *testing.T) {
	t.Parallel()
	if got := sign(vectorSecret, vectorT, vectorPayload); got != vectorV1 {
		t.Fatalf("v1 = %s, want the GATEWAYS.md vector %s", got, vectorV1)
	}
	header := "t=1700000000,v1=" + vectorV1
	ev, err := New(Options{}).Verify(context.Background(), webhookAccount(vectorSecret),
		inbound(header, vectorPayload, time.Unix(vectorT+30, 0)))
	if err != nil {
		t.Fatalf("Verify(vector) = %v", err)
	}
	if ev.ID != "evt_test" || ev.Type != EventSessionCompleted {
		t.Fatalf("event = %+v, want evt_test %s", ev, EventSessionCompleted)
	}
}

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	now := time.Unix(vectorT, 0)
	good := sign(vectorSecret, vectorT, vectorPayload)
	tests := []struct {
		name     string
		secret   string
		header   string
		body     string
		received time.Time
		wantErr  bool
	}{
		{"valid", vectorSecret, signedHeader(vectorSecret, vectorT, vectorPayload), vectorPayload, now, false},
		{"valid 299 s old", vectorSecret, signedHeader(vectorSecret, vectorT, vectorPayload), vectorPayload, now.Add(299 * time.Second), false},
		{"valid 299 s ahead", vectorSecret, signedHeader(vectorSecret, vectorT, vectorPayload), vectorPayload, now.Add(-299 * time.Second), false},
		{"several v1, one valid", vectorSecret, fmt.Sprintf("t=%d,v1=%s,v1=%s,v0=abc", vectorT, sign("whsec_old", vectorT, vectorPayload), good), vectorPayload, now, false},
		{"tampered body", vectorSecret, signedHeader(vectorSecret, vectorT, vectorPayload), strings.Replace(vectorPayload, "evt_test", "evt_tesT", 1), now, true},
		{"wrong secret", vectorSecret, signedHeader("whsec_other", vectorT, vectorPayload), vectorPayload, now, true},
		{"old timestamp", vectorSecret, signedHeader(vectorSecret, vectorT, vectorPayload), vectorPayload, now.Add(301 * time.Second), true},
		{"future timestamp", vectorSecret, signedHeader(vectorSecret, vectorT, vectorPayload), vectorPayload, now.Add(-301 * time.Second), true},
		{"future timestamp an hour ahead", vectorSecret, signedHeader(vectorSecret, vectorT, vectorPayload), vectorPayload, now.Add(-time.Hour), true},
		{"signature for another timestamp", vectorSecret, fmt.Sprintf("t=%d,v1=%s", vectorT+1, good), vectorPayload, now, true},
		{"missing header", vectorSecret, "", vectorPayload, now, true},
		{"garbage header", vectorSecret, "garbage", vectorPayload, now, true},
		{"no v1", vectorSecret, fmt.Sprintf("t=%d", vectorT), vectorPayload, now, true},
		{"only v0", vectorSecret, fmt.Sprintf("t=%d,v0=%s", vectorT, good), vectorPayload, now, true},
		{"no timestamp", vectorSecret, "v1=" + good, vectorPayload, now, true},
		{"two timestamps", vectorSecret, fmt.Sprintf("t=%d,t=%d,v1=%s", vectorT, vectorT, good), vectorPayload, now, true},
		{"timestamp not a number", vectorSecret, "t=17e8,v1=" + good, vectorPayload, now, true},
		{"v1 not hex", vectorSecret, fmt.Sprintf("t=%d,v1=zz%s", vectorT, good[2:]), vectorPayload, now, true},
		{"empty signature", vectorSecret, fmt.Sprintf("t=%d,v1=", vectorT), vectorPayload, now, true},
		{"no webhook secret", "", signedHeader("", vectorT, vectorPayload), vectorPayload, now, true},
	}
	p := New(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := p.Verify(context.Background(), webhookAccount(tt.secret), inbound(tt.header, tt.body, tt.received))
			if !tt.wantErr {
				if err != nil || ev.ID != "evt_test" {
					t.Fatalf("Verify = %+v, %v; want evt_test accepted", ev, err)
				}
				return
			}
			if !errors.Is(err, gateway.ErrSignature) {
				t.Fatalf("Verify = %+v, %v; want ErrSignature", ev, err)
			}
			if !reflect.DeepEqual(ev, gateway.Event{}) {
				t.Fatalf("rejected notification still returned %+v", ev)
			}
		})
	}
}

func TestVerifySignedGarbageIsNotAnEvent(t *testing.T) {
	t.Parallel()
	body := `{"id":"evt_1","type":`
	_, err := New(Options{}).Verify(context.Background(), webhookAccount(vectorSecret),
		inbound(signedHeader(vectorSecret, vectorT, body), body, time.Unix(vectorT, 0)))
	if err == nil || errors.Is(err, gateway.ErrSignature) {
		t.Fatalf("Verify(signed garbage) = %v, want a parse error that is not ErrSignature", err)
	}
}

// eventJSON is a Stripe event of type typ around object, as Stripe sends it.
func eventJSON(id, typ, object string) string {
	return fmt.Sprintf(`{"id":%q,"object":"event","api_version":"2023-10-16","created":1700000000,`+
		`"data":{"object":%s},"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":%q}`,
		id, object, typ)
}

// sessionJSON is a Checkout Session as events carry it.
func sessionJSON(status, paymentStatus, clientRef, meta, detailsEmail, customerEmail string) string {
	details := "null"
	if detailsEmail != "" {
		details = fmt.Sprintf(`{"address":{"country":"ES"},"email":%q,"name":"Ana","phone":null,"tax_exempt":"none","tax_ids":[]}`, detailsEmail)
	}
	ref := "null"
	if clientRef != "" {
		ref = strconv.Quote(clientRef)
	}
	return fmt.Sprintf(`{"id":"cs_test_a1","object":"checkout.session","amount_subtotal":4990,"amount_total":4990,`+
		`"cancel_url":"https://school.test/o/a1/cancel","client_reference_id":%s,"created":1700000000,"currency":"eur",`+
		`"customer":null,"customer_creation":"if_required","customer_details":%s,"customer_email":%s,`+
		`"expires_at":1700086400,"livemode":false,"locale":"es","metadata":%s,"mode":"payment",`+
		`"payment_intent":"pi_3Abc","payment_method_types":["card"],"payment_status":%q,"status":%q,`+
		`"success_url":"https://school.test/o/a1/success?session_id={CHECKOUT_SESSION_ID}","url":null}`,
		ref, details, jsonOrNull(customerEmail), meta, paymentStatus, status)
}

func jsonOrNull(s string) string {
	if s == "" {
		return "null"
	}
	return strconv.Quote(s)
}

const chargeRefundedJSON = `{"id":"ch_3Abc","object":"charge","amount":4990,"amount_captured":4990,"amount_refunded":1500,` +
	`"billing_details":{"address":{"country":"ES"},"email":"ana@example.com","name":"Ana","phone":null},` +
	`"captured":true,"currency":"eur","metadata":{},"paid":true,"payment_intent":"pi_3Abc","refunded":false,` +
	`"refunds":{"object":"list","data":[{"id":"re_1","object":"refund","amount":1500,"currency":"eur","status":"succeeded"}],"has_more":false,"total_count":1,"url":"/v1/charges/ch_3Abc/refunds"},` +
	`"status":"succeeded"}`

func TestVerifyEventMapping(t *testing.T) {
	t.Parallel()
	eur := money.Money{Amount: 4990, Currency: "EUR"}
	meta := `{"order_id":"42","order_number":"A-0042"}`
	session := func(kind gateway.EventKind, typ string) gateway.Event {
		return gateway.Event{ID: "evt_1", Type: typ, Kind: kind, OrderID: 42, Ref: "cs_test_a1", AltRef: "pi_3Abc",
			Amount: eur, PayerEmail: "ana@example.com"}
	}
	withoutRef := session(gateway.EventPaid, EventSessionCompleted)
	withoutRef.OrderID = 0
	fromCustomerEmail := session(gateway.EventPaid, EventSessionCompleted)
	fromCustomerEmail.PayerEmail = "guest@example.com"
	tests := []struct {
		name string
		typ  string
		obj  string
		want gateway.Event
	}{
		{"completed and paid", EventSessionCompleted, sessionJSON("complete", "paid", "42", meta, "ana@example.com", ""),
			session(gateway.EventPaid, EventSessionCompleted)},
		{"completed, no payment required", EventSessionCompleted, sessionJSON("complete", "no_payment_required", "42", meta, "ana@example.com", ""),
			session(gateway.EventPaid, EventSessionCompleted)},
		{"completed but unpaid (delayed method)", EventSessionCompleted, sessionJSON("complete", "unpaid", "42", meta, "ana@example.com", ""),
			session(gateway.EventPending, EventSessionCompleted)},
		{"async payment succeeded", EventSessionAsyncSucceeded, sessionJSON("complete", "paid", "42", meta, "ana@example.com", ""),
			session(gateway.EventPaid, EventSessionAsyncSucceeded)},
		{"async payment failed", EventSessionAsyncFailed, sessionJSON("complete", "unpaid", "42", meta, "ana@example.com", ""),
			session(gateway.EventFailed, EventSessionAsyncFailed)},
		{"expired", EventSessionExpired, sessionJSON("expired", "unpaid", "42", meta, "ana@example.com", ""),
			session(gateway.EventExpired, EventSessionExpired)},
		{"order from metadata when client_reference_id is absent", EventSessionCompleted, sessionJSON("complete", "paid", "", meta, "ana@example.com", ""),
			session(gateway.EventPaid, EventSessionCompleted)},
		{"no order anywhere", EventSessionCompleted, sessionJSON("complete", "paid", "", `{}`, "ana@example.com", ""), withoutRef},
		{"unparsable client_reference_id", EventSessionCompleted, sessionJSON("complete", "paid", "abc", `{}`, "ana@example.com", ""), withoutRef},
		{"e-mail from customer_email when details have none", EventSessionCompleted, sessionJSON("complete", "paid", "42", meta, "", "guest@example.com"),
			fromCustomerEmail},
		{"charge refunded", EventChargeRefunded, chargeRefundedJSON,
			gateway.Event{ID: "evt_1", Type: EventChargeRefunded, Kind: gateway.EventRefunded, Ref: "pi_3Abc", Amount: eur,
				RefundedAmount: 1500, PayerEmail: "ana@example.com"}},
		{"other type is ignored", "customer.created", `{"id":"cus_1","object":"customer","email":"ana@example.com"}`,
			gateway.Event{ID: "evt_1", Type: "customer.created", Kind: gateway.EventIgnored}},
		{"invoice.paid of no subscription is ignored", "invoice.paid", `{"id":"in_1","object":"invoice","amount_paid":4990}`,
			gateway.Event{ID: "evt_1", Type: "invoice.paid", Kind: gateway.EventIgnored}},
	}
	p := New(Options{})
	now := time.Now()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := eventJSON("evt_1", tt.typ, tt.obj)
			got, err := p.Verify(context.Background(), webhookAccount(vectorSecret),
				inbound(signedHeader(vectorSecret, now.Unix(), body), body, now))
			if err != nil {
				t.Fatalf("Verify = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("event =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestVerifyOtherAPIVersion(t *testing.T) {
	t.Parallel()
	body := strings.Replace(eventJSON("evt_2", EventSessionCompleted, sessionJSON("complete", "paid", "42", "{}", "a@b.test", "")),
		"2023-10-16", "2024-06-20", 1)
	now := time.Now()
	got, err := New(Options{}).Verify(context.Background(), webhookAccount(vectorSecret),
		inbound(signedHeader(vectorSecret, now.Unix(), body), body, now))
	if err != nil || got.Kind != gateway.EventPaid || got.OrderID != 42 {
		t.Fatalf("Verify(api_version 2024-06-20) = %+v, %v; want paid order 42", got, err)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("t=1700000000,v1="+vectorV1, []byte(vectorPayload))
	f.Add("t=1700000000,v1="+vectorV1+",v1=00", []byte(vectorPayload+" "))
	f.Add("t=1700000000,v0="+vectorV1, []byte(vectorPayload))
	f.Add("t=1700000000,t=1,v1=", []byte("{}"))
	f.Add("", []byte(""))
	f.Add(",,=,", []byte("null"))
	body := eventJSON("evt_1", EventChargeRefunded, chargeRefundedJSON)
	f.Add(signedHeader(vectorSecret, vectorT, body), []byte(body))
	// The subscription notifications, signed, as seeds the fuzzer mutates.
	at := time.Unix(vectorT, 0)
	start, end := at.Add(-time.Hour), at.Add(30*24*time.Hour)
	for _, b := range [][]byte{
		stripetest.SessionCompletedSubscription("evt_s", at, "cs_s", "sub_1", "cus_1", 5),
		stripetest.InvoicePaid("evt_p", at, "in_1", "sub_1", 5, "pi_1", 2500, "eur", start, end),
		stripetest.InvoicePaid("evt_z", at, "in_0", "sub_1", 5, "", 0, "eur", start, end),
		stripetest.InvoiceFailed("evt_f", at, "in_2", "sub_1", 5, "pi_2", 2500, "eur", start, end, "https://invoice.test/i"),
		stripetest.SubscriptionEvent("evt_u", "customer.subscription.updated", at, "sub_1", "cus_1", 5, "active",
			start, end, true, 2500, "eur"),
		stripetest.SubscriptionEvent("evt_d", "customer.subscription.deleted", at, "sub_1", "cus_1", 5, "canceled",
			start, end, false, 2500, "eur"),
	} {
		f.Add(stripetest.Sign(vectorSecret, at, b), b)
	}
	p := New(Options{})
	acct := webhookAccount(vectorSecret)
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		ev, err := p.Verify(context.Background(), acct, inbound(header, string(body), time.Unix(vectorT, 0)))
		if err != nil {
			return
		}
		if !validlySigned(header, body) {
			t.Fatalf("accepted %q with header %q: %+v", body, header, ev)
		}
	})
}

// validlySigned reports whether header has one timestamp within 5 minutes of vectorT and a v1 of body under
// vectorSecret, decided independently of the code under test.
func validlySigned(header string, body []byte) bool {
	var ts []string
	var sigs []string
	for _, pair := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(pair, "=")
		switch k {
		case "t":
			ts = append(ts, v)
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if len(ts) != 1 {
		return false
	}
	sec, err := strconv.ParseInt(ts[0], 10, 64)
	if err != nil || sec < vectorT-300 || sec > vectorT+300 {
		return false
	}
	want := sign(vectorSecret, sec, string(body))
	for _, s := range sigs {
		if strings.EqualFold(s, want) {
			return true
		}
	}
	return false
}
