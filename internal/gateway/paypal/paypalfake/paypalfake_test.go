package paypalfake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// fakeClient talks to a fake as PayPal's API clients do: a client-credentials token, then bearer requests.
type fakeClient struct {
	t     *testing.T
	s     *Server
	token string
}

func newFakeClient(t *testing.T, s *Server) *fakeClient {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(ClientID, ClientSecret)
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if code := fakeDo(t, req, &tok); code != http.StatusOK || tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn != 32400 {
		t.Fatalf("token: %d %+v", code, tok)
	}
	return &fakeClient{t: t, s: s, token: tok.AccessToken}
}

// call sends body (JSON, "" for none) with headers as name, value pairs and decodes the answer into out.
func (c *fakeClient) call(method, path, body string, out any, headers ...string) int {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, c.s.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return fakeDo(c.t, req, out)
}

func fakeDo(t *testing.T, req *http.Request, out any) int {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %q: %v", req.Method, req.URL.Path, res.StatusCode, raw, err)
		}
	}
	return res.StatusCode
}

const fakeOrderBody = `{"intent":"CAPTURE","purchase_units":[{"reference_id":"A-1","custom_id":"7","amount":{"currency_code":"EUR","value":"49.00"}}],` +
	`"application_context":{"return_url":"https://s.test/ok","cancel_url":"https://s.test/ko","user_action":"PAY_NOW"}}`

type fakeErr struct {
	Name    string `json:"name"`
	Details []struct {
		Issue string `json:"issue"`
	} `json:"details"`
}

func (e fakeErr) issue() string {
	if len(e.Details) == 0 {
		return ""
	}
	return e.Details[0].Issue
}

func TestFakeNeedsAToken(t *testing.T) {
	t.Parallel()
	s := Start(t)
	c := &fakeClient{t: t, s: s, token: "not-a-token"}
	if code := c.call(http.MethodPost, "/v2/checkout/orders", fakeOrderBody, nil); code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", code)
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	req.SetBasicAuth(ClientID, "wrong")
	if code := fakeDo(t, req, nil); code != http.StatusUnauthorized {
		t.Fatalf("token with a wrong secret: %d, want 401", code)
	}
	c = newFakeClient(t, s)
	s.RevokeTokens()
	if code := c.call(http.MethodGet, "/v2/checkout/orders/X", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d, want 401", code)
	}
}

func TestFakeOrderLifecycle(t *testing.T) {
	t.Parallel()
	s := Start(t)
	c := newFakeClient(t, s)
	var o struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Links  []link `json:"links"`
	}
	if code := c.call(http.MethodPost, "/v2/checkout/orders", fakeOrderBody, &o, "PayPal-Request-Id", "r1"); code != http.StatusCreated || o.Status != "CREATED" {
		t.Fatalf("create: %d %+v", code, o)
	}
	var again struct{ ID string }
	c.call(http.MethodPost, "/v2/checkout/orders", fakeOrderBody, &again, "PayPal-Request-Id", "r1")
	if again.ID != o.ID {
		t.Fatalf("same PayPal-Request-Id made order %s, want %s", again.ID, o.ID)
	}
	approve := ""
	for _, l := range o.Links {
		if l.Rel == "approve" {
			approve = l.Href
		}
	}
	if approve != "https://www.sandbox.paypal.com/checkoutnow?token="+o.ID {
		t.Fatalf("approve link %q", approve)
	}
	var e fakeErr
	if code := c.call(http.MethodPost, "/v2/checkout/orders/"+o.ID+"/capture", "{}", &e); code != http.StatusUnprocessableEntity || e.issue() != "ORDER_NOT_APPROVED" {
		t.Fatalf("capture before approval: %d %+v", code, e)
	}
	if err := s.Approve(o.ID, "payer@example.com"); err != nil {
		t.Fatal(err)
	}
	var first, replay json.RawMessage
	if code := c.call(http.MethodPost, "/v2/checkout/orders/"+o.ID+"/capture", "{}", &first, "PayPal-Request-Id", "cap-1", "Prefer", "return=representation"); code != http.StatusCreated {
		t.Fatalf("capture: %d %s", code, first)
	}
	c.call(http.MethodPost, "/v2/checkout/orders/"+o.ID+"/capture", "{}", &replay, "PayPal-Request-Id", "cap-1", "Prefer", "return=representation")
	if !bytes.Equal(first, replay) {
		t.Fatalf("replayed capture differs:\n%s\n%s", first, replay)
	}
	if code := c.call(http.MethodPost, "/v2/checkout/orders/"+o.ID+"/capture", "{}", &e, "PayPal-Request-Id", "cap-2"); code != http.StatusUnprocessableEntity || e.issue() != "ORDER_ALREADY_CAPTURED" {
		t.Fatalf("second capture: %d %+v", code, e)
	}
	if s.Captures(o.ID) != 1 || s.CaptureCalls(o.ID) != 4 {
		t.Fatalf("captures %d, calls %d; want 1 and 4", s.Captures(o.ID), s.CaptureCalls(o.ID))
	}
	snap, _ := s.Order(o.ID)
	if snap.Status != "COMPLETED" || snap.PayerEmail != "payer@example.com" || snap.CustomID != "7" || len(snap.CaptureIDs) != 1 {
		t.Fatalf("order %+v", snap)
	}
	capID := snap.CaptureIDs[0]
	var cp struct {
		Status, CustomID  string
		SupplementaryData struct {
			RelatedIDs struct {
				OrderID string `json:"order_id"`
			} `json:"related_ids"`
		} `json:"supplementary_data"`
	}
	c.call(http.MethodGet, "/v2/payments/captures/"+capID, "", &cp)
	if cp.SupplementaryData.RelatedIDs.OrderID != o.ID || cp.Status != "COMPLETED" {
		t.Fatalf("capture %+v", cp)
	}
	tests := []struct {
		name, body string
		want       int
		issue      string
	}{
		{"TooMuch", `{"amount":{"currency_code":"EUR","value":"49.01"}}`, http.StatusUnprocessableEntity, "REFUND_AMOUNT_EXCEEDED"},
		{"OtherCurrency", `{"amount":{"currency_code":"USD","value":"1.00"}}`, http.StatusUnprocessableEntity, "REFUND_CURRENCY_MISMATCH"},
		{"Part", `{"amount":{"currency_code":"EUR","value":"9.00"}}`, http.StatusCreated, ""},
		{"Rest", `{}`, http.StatusCreated, ""},
		{"Again", `{"amount":{"currency_code":"EUR","value":"1.00"}}`, http.StatusUnprocessableEntity, "CAPTURE_FULLY_REFUNDED"},
	}
	for _, tt := range tests {
		var e fakeErr
		if code := c.call(http.MethodPost, "/v2/payments/captures/"+capID+"/refund", tt.body, &e); code != tt.want || e.issue() != tt.issue {
			t.Errorf("%s: %d %+v, want %d %s", tt.name, code, e, tt.want, tt.issue)
		}
	}
	var full struct {
		PurchaseUnits []struct {
			Payments struct {
				Refunds []struct {
					Amount Money `json:"amount"`
				} `json:"refunds"`
			} `json:"payments"`
		} `json:"purchase_units"`
	}
	c.call(http.MethodGet, "/v2/checkout/orders/"+o.ID, "", &full)
	if r := full.PurchaseUnits[0].Payments.Refunds; len(r) != 2 || r[0].Amount.Value != "9.00" || r[1].Amount.Value != "40.00" {
		t.Fatalf("refunds %+v", r)
	}
}

func TestFakeVerify(t *testing.T) {
	t.Parallel()
	s := Start(t)
	c := newFakeClient(t, s)
	body := []byte(`{"id":"WH-1", "event_type":"PAYMENT.CAPTURE.COMPLETED","summary":"Tom & Jerry <3"}`)
	h := s.Sign(body)
	verify := func(webhookID, sig string, event []byte) string {
		req, _ := json.Marshal(map[string]any{"auth_algo": h[HeaderAuthAlgo], "cert_url": h[HeaderCertURL],
			"transmission_id": h[HeaderTransmissionID], "transmission_sig": sig,
			"transmission_time": h[HeaderTransmissionTime], "webhook_id": webhookID})
		req = append(append(req[:len(req)-1], `,"webhook_event":`...), append(event, '}')...)
		var res struct {
			VerificationStatus string `json:"verification_status"`
		}
		if code := c.call(http.MethodPost, "/v1/notifications/verify-webhook-signature", string(req), &res); code != http.StatusOK {
			t.Fatalf("verify: %d", code)
		}
		return res.VerificationStatus
	}
	compact := []byte(`{"id":"WH-1","event_type":"PAYMENT.CAPTURE.COMPLETED","summary":"Tom \u0026 Jerry \u003c3"}`)
	tests := []struct {
		name, webhookID, sig string
		event                []byte
		want                 string
	}{
		{"Signed", WebhookID, h[HeaderTransmissionSig], body, "SUCCESS"},
		{"OtherWebhook", "OTHER", h[HeaderTransmissionSig], body, "FAILURE"},
		{"Tampered", WebhookID, h[HeaderTransmissionSig], bytes.Replace(body, []byte("WH-1"), []byte("WH-2"), 1), "FAILURE"},
		{"ReEncoded", WebhookID, h[HeaderTransmissionSig], compact, "FAILURE"},
		{"WrongSignature", WebhookID, "AAAA" + h[HeaderTransmissionSig][4:], body, "FAILURE"},
	}
	for _, tt := range tests {
		if got := verify(tt.webhookID, tt.sig, tt.event); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	if s.Verifications() != len(tests) {
		t.Errorf("%d verifications counted, want %d", s.Verifications(), len(tests))
	}
}

func TestFakeFail(t *testing.T) {
	t.Parallel()
	s := Start(t)
	c := newFakeClient(t, s)
	s.Fail("/v2/checkout/orders/{id}", http.StatusInternalServerError)
	var e fakeErr
	if code := c.call(http.MethodGet, "/v2/checkout/orders/ABC", "", &e); code != http.StatusInternalServerError || e.Name != "INTERNAL_SERVER_ERROR" {
		t.Fatalf("failing route: %d %+v", code, e)
	}
	s.Fail("/v2/checkout/orders/{id}", 0)
	if code := c.call(http.MethodGet, "/v2/checkout/orders/ABC", "", &e); code != http.StatusNotFound || e.Name != "RESOURCE_NOT_FOUND" {
		t.Fatalf("restored route: %d %+v", code, e)
	}
	if n := s.Calls("GET /v2/checkout/orders/{id}"); n != 2 {
		t.Fatalf("calls %d, want 2", n)
	}
}
