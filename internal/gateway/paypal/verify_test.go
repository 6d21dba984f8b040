package paypal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/paypal/paypalfake"
	"github.com/bursar/bursar/internal/money"
)

var eur4990 = money.Money{Amount: 4990, Currency: "EUR"}

// disputeEvent is an authentic-looking dispute event (it names no disputed capture), with spacing and characters Go's encoder
// would change ("&", "<"), so that it verifies only when sent to PayPal byte for byte.
const disputeEvent = `{"id": "WH-4M0448861G563140B-9EX36365822141321", "event_version": "1.0",
 "create_time": "2024-10-14T21:58:35.000Z", "resource_type": "dispute", "event_type": "CUSTOMER.DISPUTE.CREATED",
 "summary": "A new dispute opened with Case # PP-000-042-663-135 & <more>",
 "resource": {"dispute_id": "PP-000-042-663-135", "reason": "MERCHANDISE_OR_SERVICE_NOT_RECEIVED",
  "dispute_amount": {"currency_code": "EUR", "value": "49.90"}}}`

// TestVerifyGatewaysNotes reproduces GATEWAYS.md's PayPal notes against a bare server: the token answer
// {"access_token":"x","token_type":"Bearer","expires_in":32400}, and VerifyWebhookSignature's request — POST
// /v1/notifications/verify-webhook-signature with the five PAYPAL-* headers as auth_algo, cert_url,
// transmission_id, transmission_sig, transmission_time, the webhook_id and the event — accepted only on SUCCESS.
func TestVerifyGatewaysNotes(t *testing.T) {
	t.Parallel()
	headers := map[string]string{
		"PAYPAL-AUTH-ALGO":         "SHA256withRSA",
		"PAYPAL-CERT-URL":          "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77",
		"PAYPAL-TRANSMISSION-ID":   "103e3700-8b0c-11e9-b3d4-c1f7f2bd35b0",
		"PAYPAL-TRANSMISSION-SIG":  "Oa4P6i2nJpOL+9kv6lqqFjUyXL0iA0T9uhL0pP5JG1mGwp5w1R1kE8ZbmHDMJhpRX7BGJkqYy4Ew==",
		"PAYPAL-TRANSMISSION-TIME": "2019-06-10T06:58:04Z",
	}
	for _, status := range []string{"SUCCESS", "FAILURE"} {
		t.Run(status, func(t *testing.T) {
			t.Parallel()
			var got map[string]json.RawMessage
			var auth string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/v1/oauth2/token":
					_, _ = io.WriteString(w, `{"access_token":"x","token_type":"Bearer","expires_in":32400}`)
				case "/v1/notifications/verify-webhook-signature":
					auth = r.Header.Get("Authorization")
					body, _ := io.ReadAll(r.Body)
					_ = json.Unmarshal(body, &got)
					_, _ = io.WriteString(w, `{"verification_status":"`+status+`"}`)
				default:
					http.NotFound(w, r)
				}
			}))
			t.Cleanup(srv.Close)
			acct := fakeAccount(srv.URL)
			acct.System.Settings[SettingWebhookID] = "1JE4291016473214C"
			ev, err := New(Options{}).Verify(context.Background(), acct, inbound(headers, []byte(disputeEvent)))
			if status == "FAILURE" {
				if !errors.Is(err, gateway.ErrSignature) || !reflect.DeepEqual(ev, gateway.Event{}) {
					t.Fatalf("Verify(FAILURE) = %+v, %v; want ErrSignature", ev, err)
				}
			} else if err != nil || ev.ID != "WH-4M0448861G563140B-9EX36365822141321" || ev.Kind != gateway.EventDispute ||
				ev.Type != "CUSTOMER.DISPUTE.CREATED" || ev.Dispute.ID != "PP-000-042-663-135" || ev.Ref != "" {
				t.Fatalf("Verify(SUCCESS) = %+v, %v", ev, err)
			}
			if auth != "Bearer x" {
				t.Errorf("Authorization %q, want the token's Bearer x", auth)
			}
			want := map[string]string{"auth_algo": "SHA256withRSA", "cert_url": headers["PAYPAL-CERT-URL"],
				"transmission_id": headers["PAYPAL-TRANSMISSION-ID"], "transmission_sig": headers["PAYPAL-TRANSMISSION-SIG"],
				"transmission_time": headers["PAYPAL-TRANSMISSION-TIME"], "webhook_id": "1JE4291016473214C"}
			for k, v := range want {
				var s string
				if err := json.Unmarshal(got[k], &s); err != nil || s != v {
					t.Errorf("%s = %s, want %q", k, got[k], v)
				}
			}
			if string(got["webhook_event"]) != disputeEvent {
				t.Errorf("webhook_event was changed on its way:\n%s", got["webhook_event"])
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	body := []byte(disputeEvent)
	good := fake.Sign(body)
	without := func(name string) map[string]string {
		h := fake.Sign(body)
		delete(h, name)
		return h
	}
	with := func(name, value string) map[string]string {
		h := fake.Sign(body)
		h[name] = value
		return h
	}
	acct := fakeAccount(fake.URL)
	otherWebhook := fakeAccount(fake.URL)
	otherWebhook.System.Settings = map[string]any{SettingClientID: paypalfake.ClientID, SettingWebhookID: "3WH00000000000000"}
	noWebhook := fakeAccount(fake.URL)
	noWebhook.System.Settings = map[string]any{SettingClientID: paypalfake.ClientID}
	noSecret := fakeAccount(fake.URL)
	noSecret.Credentials = nil
	wrongSecret := fakeAccount(fake.URL)
	wrongSecret.Credentials = map[string]string{CredClientSecret: "wrong"}
	tests := []struct {
		name       string
		acct       gateway.Account
		headers    map[string]string
		body       []byte
		wantOK     bool
		wantAsked  bool // PayPal was asked to verify
		wantReason string
	}{
		{"Signed", acct, good, body, true, true, ""},
		{"Tampered", acct, good, bytes.Replace(body, []byte("49.90"), []byte("0.01"), 1), false, true, "FAILURE"},
		{"ReEncoded", acct, good, mustJSON(t, json.RawMessage(body)), false, true, "FAILURE"},
		{"SignatureOfAnotherBody", acct, fake.Sign([]byte(`{"id":"WH-2"}`)), body, false, true, "FAILURE"},
		{"SignatureOfAnotherTransmission", acct, with(paypalfake.HeaderTransmissionID, "00000000-8b0c-11e9-b3d4-c1f7f2bd35b0"), body, false, true, "FAILURE"},
		{"GarbageSignature", acct, with(paypalfake.HeaderTransmissionSig, "garbage"), body, false, true, "FAILURE"},
		{"AnotherWebhook", otherWebhook, good, body, false, true, "FAILURE"},
		{"WrongSecret", wrongSecret, good, body, false, false, "401"},
		{"NoWebhookID", noWebhook, good, body, false, false, SettingWebhookID},
		{"NoCredentials", noSecret, good, body, false, false, CredClientSecret},
		{"NoAuthAlgo", acct, without(paypalfake.HeaderAuthAlgo), body, false, false, HeaderAuthAlgo},
		{"NoCertURL", acct, without(paypalfake.HeaderCertURL), body, false, false, HeaderCertURL},
		{"NoTransmissionID", acct, without(paypalfake.HeaderTransmissionID), body, false, false, HeaderTransmissionID},
		{"NoSignature", acct, without(paypalfake.HeaderTransmissionSig), body, false, false, HeaderTransmissionSig},
		{"NoTransmissionTime", acct, without(paypalfake.HeaderTransmissionTime), body, false, false, HeaderTransmissionTime},
		{"HugeHeader", acct, with(paypalfake.HeaderCertURL, strings.Repeat("x", 4096)), body, false, false, HeaderCertURL},
		{"NoHeaders", acct, nil, body, false, false, ""},
		{"EmptyBody", acct, fake.Sign(nil), nil, false, false, "JSON"},
		{"NotJSON", acct, fake.Sign([]byte("id=WH-1")), []byte("id=WH-1"), false, false, "JSON"},
		{"JSONArray", acct, fake.Sign([]byte(`[{"id":"WH-1"}]`)), []byte(`[{"id":"WH-1"}]`), false, false, "JSON"},
		{"Oversized", acct, good, append(bytes.Repeat([]byte(" "), maxBody), body...), false, false, "bytes"},
	}
	p := New(Options{})
	for _, tt := range tests {
		before := fake.Verifications()
		ev, err := p.Verify(context.Background(), tt.acct, inbound(tt.headers, tt.body))
		if asked := fake.Verifications() > before; asked != tt.wantAsked {
			t.Errorf("%s: PayPal asked = %v, want %v", tt.name, asked, tt.wantAsked)
		}
		if tt.wantOK {
			if err != nil || ev.Kind != gateway.EventDispute || ev.ID == "" {
				t.Errorf("%s: Verify = %+v, %v; want the event", tt.name, ev, err)
			}
			continue
		}
		if !errors.Is(err, gateway.ErrSignature) || errors.Is(err, gateway.ErrUnavailable) || !reflect.DeepEqual(ev, gateway.Event{}) {
			t.Errorf("%s: Verify = %+v, %v; want ErrSignature only", tt.name, ev, err)
		} else if !strings.Contains(err.Error(), tt.wantReason) {
			t.Errorf("%s: Verify = %v, want it to say %q", tt.name, err, tt.wantReason)
		}
	}
}

func TestVerifyPayPalDown(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	body := []byte(disputeEvent)
	for _, status := range []int{http.StatusInternalServerError, http.StatusServiceUnavailable} {
		fake.Fail("/v1/notifications/verify-webhook-signature", status)
		_, err := New(Options{}).Verify(context.Background(), fakeAccount(fake.URL), signed(fake, body))
		if !errors.Is(err, gateway.ErrUnavailable) || errors.Is(err, gateway.ErrSignature) {
			t.Fatalf("Verify(verification %d) = %v, want ErrUnavailable and not ErrSignature", status, err)
		}
	}
	fake.Fail("/v1/notifications/verify-webhook-signature", 0)
	fake.Fail("POST /v1/oauth2/token", http.StatusBadGateway)
	if _, err := New(Options{}).Verify(context.Background(), fakeAccount(fake.URL), signed(fake, body)); !errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("Verify(token 502) = %v, want ErrUnavailable", err)
	}
	// A refusal of the verification request itself (4xx) is not authentic either.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/oauth2/token" {
			_, _ = io.WriteString(w, `{"access_token":"x","token_type":"Bearer","expires_in":32400}`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"name":"VALIDATION_ERROR","message":"Invalid request - see details","details":[{"field":"webhook_id","issue":"INVALID_WEBHOOK_ID"}]}`)
	}))
	t.Cleanup(srv.Close)
	if _, err := New(Options{}).Verify(context.Background(), fakeAccount(srv.URL), signed(fake, body)); !errors.Is(err, gateway.ErrSignature) {
		t.Fatalf("Verify(verification 400) = %v, want ErrSignature", err)
	}
}

func TestVerifyEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		captureStatus string // how PayPal captures
		payer         string
		eventType     string // rendered before any capture for CHECKOUT.ORDER.APPROVED, after one otherwise
		wantKind      gateway.EventKind
		wantEmail     string
		wantCapture   bool
	}{
		{"ApprovedCaptured", "COMPLETED", "ana@example.com", EventOrderApproved, gateway.EventPaid, "ana@example.com", true},
		{"ApprovedWithoutEmail", "COMPLETED", "", EventOrderApproved, gateway.EventPaid, "", true},
		{"ApprovedCapturePending", "PENDING", "ana@example.com", EventOrderApproved, gateway.EventPending, "ana@example.com", true},
		{"ApprovedCaptureDeclined", "DECLINED", "ana@example.com", EventOrderApproved, gateway.EventFailed, "ana@example.com", true},
		{"ApprovedInstrumentDeclined", "INSTRUMENT_DECLINED", "ana@example.com", EventOrderApproved, gateway.EventFailed, "ana@example.com", false},
		{"CaptureCompleted", "COMPLETED", "ana@example.com", EventCaptureCompleted, gateway.EventPaid, "ana@example.com", true},
		{"CaptureCompletedCardFlow", "COMPLETED", "", EventCaptureCompleted, gateway.EventPaid, "", true},
		{"CapturePending", "PENDING", "ana@example.com", EventCapturePending, gateway.EventPending, "", true},
		{"CaptureDenied", "DECLINED", "ana@example.com", EventCaptureDenied, gateway.EventFailed, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := paypalfake.Start(t)
			fake.SetCaptureStatus(tt.captureStatus)
			p := New(Options{})
			id := approved(t, p, fake, tt.payer)
			var body []byte
			if tt.eventType == EventOrderApproved {
				body = webhook(t, fake, tt.eventType, id)
			} else {
				if _, err := p.Status(context.Background(), fakeAccount(fake.URL), id); err != nil {
					t.Fatal(err)
				}
				o, _ := fake.Order(id)
				body = webhook(t, fake, tt.eventType, o.CaptureIDs[0])
			}
			got, err := p.Verify(context.Background(), fakeAccount(fake.URL), signed(fake, body))
			if err != nil {
				t.Fatalf("Verify = %v", err)
			}
			o, _ := fake.Order(id)
			want := gateway.Event{ID: eventID(t, body), Type: tt.eventType, Kind: tt.wantKind, OrderID: 42, Ref: id,
				Amount: eur4990, PayerEmail: tt.wantEmail}
			if tt.wantCapture {
				want.AltRef = o.CaptureIDs[0]
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("event =\n %+v\nwant\n %+v", got, want)
			}
			if n := fake.Captures(id); n != len(o.CaptureIDs) || (n == 1) != tt.wantCapture {
				t.Fatalf("%d captures", n)
			}
		})
	}
}

func TestVerifyIgnoresOtherIntents(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	id := approved(t, p, fake, "ana@example.com")
	body := bytes.Replace(webhook(t, fake, EventOrderApproved, id), []byte(`"intent":"CAPTURE"`), []byte(`"intent":"AUTHORIZE"`), 1)
	ev, err := p.Verify(context.Background(), fakeAccount(fake.URL), signed(fake, body))
	if err != nil || ev.Kind != gateway.EventIgnored || ev.ID != eventID(t, body) {
		t.Fatalf("Verify(AUTHORIZE order) = %+v, %v; want it ignored", ev, err)
	}
	if n := fake.CaptureCalls(id); n != 0 {
		t.Fatalf("%d capture calls for an order Bursar does not capture", n)
	}
}

// captureElsewhere captures order id with a request id of its own, as the merchant's dashboard would.
func captureElsewhere(t *testing.T, fake *paypalfake.Server, id string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, fake.URL+"/v1/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(paypalfake.ClientID, paypalfake.ClientSecret)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	req, _ = http.NewRequest(http.MethodPost, fake.URL+"/v2/checkout/orders/"+id+"/capture", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("PayPal-Request-Id", "dashboard-capture")
	if res, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("capture elsewhere: %s", res.Status)
	}
}

func TestVerifyAlreadyCaptured(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	id := approved(t, p, fake, "ana@example.com")
	body := webhook(t, fake, EventOrderApproved, id)
	captureElsewhere(t, fake, id)
	ev, err := p.Verify(context.Background(), fakeAccount(fake.URL), signed(fake, body))
	o, _ := fake.Order(id)
	if err != nil || ev.Kind != gateway.EventPaid || ev.AltRef != o.CaptureIDs[0] || ev.PayerEmail != "ana@example.com" {
		t.Fatalf("Verify(approved, captured already) = %+v, %v; want paid by the existing capture", ev, err)
	}
	if fake.Captures(id) != 1 || fake.CaptureCalls(id) != 2 {
		t.Fatalf("captures %d, calls %d; want 1 capture of 2 calls (ORDER_ALREADY_CAPTURED read back)",
			fake.Captures(id), fake.CaptureCalls(id))
	}
	if reqs := requests(fake, "POST /v2/checkout/orders/{id}/capture"); reqs[1].Header.Get("PayPal-Request-Id") != "bursar-capture-"+id {
		t.Fatalf("capture PayPal-Request-Id %q", reqs[1].Header.Get("PayPal-Request-Id"))
	}
}

func TestVerifyCaptureUnavailable(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	id := approved(t, p, fake, "ana@example.com")
	body := webhook(t, fake, EventOrderApproved, id)
	fake.Fail("/v2/checkout/orders/{id}/capture", http.StatusInternalServerError)
	if _, err := p.Verify(context.Background(), fakeAccount(fake.URL), signed(fake, body)); !errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("Verify(capture 500) = %v, want ErrUnavailable (PayPal delivers the webhook again)", err)
	}
	fake.Fail("/v2/checkout/orders/{id}/capture", 0)
	ev, err := p.Verify(context.Background(), fakeAccount(fake.URL), signed(fake, body))
	if err != nil || ev.Kind != gateway.EventPaid || fake.Captures(id) != 1 {
		t.Fatalf("redelivery: %+v, %v, %d captures", ev, err, fake.Captures(id))
	}
}

func TestVerifyRefunds(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	acct := fakeAccount(fake.URL)
	id, capID := captured(t, p, fake, "ana@example.com")
	first, err := p.Refund(context.Background(), acct, gateway.RefundRequest{Ref: id, Amount: money.Money{Amount: 1000, Currency: "EUR"}})
	if err != nil {
		t.Fatal(err)
	}
	want := func(body []byte, total int64) gateway.Event {
		return gateway.Event{ID: eventID(t, body), Type: EventCaptureRefunded, Kind: gateway.EventRefunded, OrderID: 42,
			Ref: id, AltRef: capID, Amount: eur4990, RefundedAmount: total}
	}
	body1 := webhook(t, fake, EventCaptureRefunded, first.ID)
	if ev, err := p.Verify(context.Background(), acct, signed(fake, body1)); err != nil || !reflect.DeepEqual(ev, want(body1, 1000)) {
		t.Fatalf("partial refund: %+v, %v", ev, err)
	}
	rest, err := p.Refund(context.Background(), acct, gateway.RefundRequest{Ref: capID, Amount: money.Money{Amount: 3990, Currency: "EUR"}})
	if err != nil {
		t.Fatal(err)
	}
	body2 := webhook(t, fake, EventCaptureRefunded, rest.ID)
	if ev, err := p.Verify(context.Background(), acct, signed(fake, body2)); err != nil || !reflect.DeepEqual(ev, want(body2, 4990)) {
		t.Fatalf("full refund: %+v, %v", ev, err)
	}

	// An event without total_refunded_amount: the total is read from PayPal (both refunds by now).
	var ev map[string]any
	_ = json.Unmarshal(body1, &ev)
	delete(ev["resource"].(map[string]any), "seller_payable_breakdown")
	ev["id"] = "WH-NO-TOTAL"
	bare := mustJSON(t, ev)
	if got, err := p.Verify(context.Background(), acct, signed(fake, bare)); err != nil || !reflect.DeepEqual(got, want(bare, 4990)) {
		t.Fatalf("refund without its total: %+v, %v", got, err)
	}
	// A refund naming no capture cannot be applied.
	ev["resource"].(map[string]any)["links"] = []any{}
	ev["id"] = "WH-NO-CAPTURE"
	orphan := mustJSON(t, ev)
	if _, err := p.Verify(context.Background(), acct, signed(fake, orphan)); err == nil || errors.Is(err, gateway.ErrSignature) {
		t.Fatalf("refund without its capture: %v, want a plain error", err)
	}
}

// TestApprovedAndStatusRace is the return page (Status) and the CHECKOUT.ORDER.APPROVED webhook (Verify, here
// delivered to several processes) racing for the same order: PayPal captures it once, and all report that capture.
func TestApprovedAndStatusRace(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	acct := fakeAccount(fake.URL)
	for i := range 5 {
		c := checkout()
		c.OrderID = int64(100 + i)
		id := begun(t, p, fake, c)
		if err := fake.Approve(id, "ana@example.com"); err != nil {
			t.Fatal(err)
		}
		body := webhook(t, fake, EventOrderApproved, id)
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			events []gateway.Event
			errs   []error
		)
		keep := func(ev gateway.Event, err error) {
			mu.Lock()
			defer mu.Unlock()
			events, errs = append(events, ev), append(errs, err)
		}
		for range 4 {
			wg.Go(func() { keep(p.Verify(context.Background(), acct, signed(fake, body))) })
			wg.Go(func() { keep(p.Status(context.Background(), acct, id)) })
		}
		wg.Wait()
		o, _ := fake.Order(id)
		if fake.Captures(id) != 1 || len(o.CaptureIDs) != 1 || fake.CaptureCalls(id) < 4 {
			t.Fatalf("order %s captured %d times by %d calls; want once, by at least the 4 webhooks' calls",
				id, fake.Captures(id), fake.CaptureCalls(id))
		}
		for i, ev := range events {
			if errs[i] != nil || ev.Kind != gateway.EventPaid || ev.AltRef != o.CaptureIDs[0] || ev.Amount != eur4990 ||
				ev.OrderID != c.OrderID {
				t.Fatalf("racer %d: %+v, %v; want paid by capture %s", i, ev, errs[i], o.CaptureIDs[0])
			}
		}
	}
}

func FuzzVerify(f *testing.F) {
	fake := paypalfake.New()
	f.Cleanup(fake.Close)
	const (
		tid = "103e3700-8b0c-11e9-b3d4-c1f7f2bd35b0"
		at  = "2024-10-14T21:58:35Z"
	)
	sig := func(body string) string { return paypalfake.Signature(tid, at, paypalfake.WebhookID, []byte(body)) }
	pending := `{"id":"WH-2","event_version":"1.0","resource_type":"capture","event_type":"PAYMENT.CAPTURE.PENDING",` +
		`"resource":{"id":"2GG279541U471931P","status":"PENDING","amount":{"currency_code":"EUR","value":"49.90"},` +
		`"custom_id":"42","supplementary_data":{"related_ids":{"order_id":"5O190127TN364715T"}}}}`
	approvedUnknown := `{"id":"WH-3","event_type":"CHECKOUT.ORDER.APPROVED","resource":{"id":"5O190127TN364715T","intent":"CAPTURE","status":"APPROVED"}}`
	refundedUnknown := `{"id":"WH-4","event_type":"PAYMENT.CAPTURE.REFUNDED","resource":{"id":"1JU08902781691411",` +
		`"links":[{"href":"https://api.paypal.com/v2/payments/captures/2GG279541U471931P","rel":"up"}]}}`
	subFailed := `{"id":"WH-6","event_type":"BILLING.SUBSCRIPTION.PAYMENT.FAILED","resource":{"id":"I-BW452GLLEP1G",` +
		`"status":"ACTIVE","custom_id":"sub:12","billing_info":{"failed_payments_count":1,"last_failed_payment":` +
		`{"amount":{"currency_code":"EUR","value":"19.90"},"time":"2027-02-03T10:00:00Z"}}}}`
	saleCompleted := `{"id":"WH-7","event_type":"PAYMENT.SALE.COMPLETED","resource":{"id":"80021663DE681814L",` +
		`"amount":{"total":"19.90","currency":"EUR"},"billing_agreement_id":"I-BW452GLLEP1G","custom":"sub:12"}}`
	f.Add(tid, sig(subFailed), []byte(subFailed))
	f.Add(tid, sig(saleCompleted), []byte(saleCompleted))
	f.Add(tid, sig(disputeEvent), []byte(disputeEvent))
	f.Add(tid, sig(pending), []byte(pending))
	f.Add(tid, sig(approvedUnknown), []byte(approvedUnknown))
	f.Add(tid, sig(refundedUnknown), []byte(refundedUnknown))
	f.Add(tid, sig(pending), []byte(pending+" "))
	f.Add(tid, sig(pending), []byte(strings.Replace(pending, "49.90", "0.01", 1)))
	f.Add("", "", []byte(""))
	f.Add("x", "AAAA", []byte("null"))
	f.Add(tid, sig(`{}`), []byte(`{}`))
	f.Add(tid, sig(`{"id":"WH-5","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":null}`),
		[]byte(`{"id":"WH-5","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":null}`))
	p := New(Options{})
	acct := fakeAccount(fake.URL)
	f.Fuzz(func(t *testing.T, transmissionID, signature string, body []byte) {
		in := inbound(map[string]string{
			HeaderAuthAlgo:         "SHA256withRSA",
			HeaderCertURL:          "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77",
			HeaderTransmissionID:   transmissionID,
			HeaderTransmissionSig:  signature,
			HeaderTransmissionTime: at,
		}, body)
		ev, err := p.Verify(context.Background(), acct, in)
		if err != nil {
			return
		}
		// Decided independently of the provider: the signature PayPal (the fake) makes for this body (whitespace
		// around a JSON value is no part of it).
		if signature != paypalfake.Signature(transmissionID, at, paypalfake.WebhookID, bytes.TrimSpace(body)) || transmissionID == "" {
			t.Fatalf("accepted %q (transmission %q, signature %q): %+v", body, transmissionID, signature, ev)
		}
	})
}

func TestVerifyPendingThenCompleted(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	fake.SetCaptureStatus("PENDING")
	p := New(Options{})
	acct := fakeAccount(fake.URL)
	id, capID := captured(t, p, fake, "ana@example.com")
	pending := webhook(t, fake, EventCapturePending, capID)
	if ev, err := p.Verify(context.Background(), acct, signed(fake, pending)); err != nil || ev.Kind != gateway.EventPending {
		t.Fatalf("pending: %+v, %v", ev, err)
	}
	if err := fake.UpdateCapture(capID, "COMPLETED"); err != nil { // PayPal's review ends
		t.Fatal(err)
	}
	completed := webhook(t, fake, EventCaptureCompleted, capID)
	ev, err := p.Verify(context.Background(), acct, signed(fake, completed))
	want := gateway.Event{ID: eventID(t, completed), Type: EventCaptureCompleted, Kind: gateway.EventPaid, OrderID: 42,
		Ref: id, AltRef: capID, Amount: eur4990, PayerEmail: "ana@example.com"}
	if err != nil || !reflect.DeepEqual(ev, want) {
		t.Fatalf("completed: %+v, %v; want %+v", ev, err, want)
	}
	if st, err := p.Status(context.Background(), acct, id); err != nil || st.Kind != gateway.EventPaid || fake.Captures(id) != 1 {
		t.Fatalf("Status after completion: %+v, %v (%d captures)", st, err, fake.Captures(id))
	}
}
