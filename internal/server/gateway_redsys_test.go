package server

import (
	"bytes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
)

// redsysTestKey is Redsys' public test merchant key.
const redsysTestKey = "sq7HjrUOBfKmC576ILgskD5srU870gJ7"

// redsysSign is the HMAC_SHA256_V1 signature of params for order under key (base64): HMAC-SHA256 under the
// order's 3DES-CBC encryption with the merchant key.
func redsysSign(t testing.TB, key, order, params string) []byte {
	t.Helper()
	k, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		t.Fatal(err)
	}
	block, err := des.NewTripleDESCipher(k)
	if err != nil {
		t.Fatal(err)
	}
	derived := make([]byte, (len(order)+7)/8*8)
	copy(derived, order)
	cipher.NewCBCEncrypter(block, make([]byte, 8)).CryptBlocks(derived, derived)
	m := hmac.New(sha256.New, derived)
	m.Write([]byte(params))
	return m.Sum(nil)
}

// redsysPage is Redsys' payment page (realizarPago) as a test peer: it takes the form the payer's browser posts,
// checks its signature with the test key and remembers the parameters of each payment it accepted.
type redsysPage struct {
	srv      *httptest.Server
	mu       sync.Mutex
	accepted []map[string]string
}

func newRedsysPage(t *testing.T) *redsysPage {
	t.Helper()
	p := &redsysPage{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/sis/realizarPago" || r.ParseForm() != nil {
			http.Error(w, "SIS0000", http.StatusNotFound)
			return
		}
		params := r.PostForm.Get("Ds_MerchantParameters")
		raw, err := base64.StdEncoding.DecodeString(params)
		var values map[string]string
		if err != nil || json.Unmarshal(raw, &values) != nil {
			http.Error(w, "SIS0042", http.StatusBadRequest)
			return
		}
		want := base64.StdEncoding.EncodeToString(redsysSign(t, redsysTestKey, values["DS_MERCHANT_ORDER"], params))
		if r.PostForm.Get("Ds_SignatureVersion") != "HMAC_SHA256_V1" || r.PostForm.Get("Ds_Signature") != want {
			http.Error(w, "SIS0042", http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		p.accepted = append(p.accepted, values)
		p.mu.Unlock()
		_, _ = io.WriteString(w, "<html><body>Pago con tarjeta</body></html>")
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// acceptedCount is how many payment forms the page accepted.
func (p *redsysPage) acceptedCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.accepted)
}

// redsysFixture is a school selling "Redsys course" (49.00 EUR) through a Redsys payment system in test mode.
type redsysFixture struct {
	a     *testApp
	page  *redsysPage
	sys   gateway.System
	offer offer.Offer
}

func newRedsysFixture(t *testing.T) redsysFixture {
	t.Helper()
	page := newRedsysPage(t)
	a := newGatewaysApp(t, map[string]string{gateway.TypeRedsys: page.srv.URL})
	sys, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypeRedsys, Name: "Tarjeta",
		Mode: gateway.ModeTest, Enabled: true,
		Settings:    map[string]any{"merchant_code": "999008881", "terminal": "1"},
		Credentials: map[string]string{"merchant_key": redsysTestKey}})
	if err != nil {
		t.Fatal(err)
	}
	of := a.offer(func(in *offer.Input) {
		in.Title, in.Slug, in.PaymentSystemIDs, in.Language = "Redsys course", "redsys-course", []int64{sys.ID}, "es"
	})
	return redsysFixture{a: a, page: page, sys: sys, offer: of}
}

// redsysAttempt is a checkout a student started: the order, the payment form Bursar rendered and its parameters.
type redsysAttempt struct {
	client *http.Client
	email  string
	order  order.Order
	action string
	fields url.Values
	params map[string]string
}

// checkout signs email up and starts paying the offer through Redsys.
func (f redsysFixture) checkout(t *testing.T, email string) redsysAttempt {
	t.Helper()
	return f.pay(t, f.a.student(email), email)
}

// checkoutAgain is the same student starting another attempt.
func (f redsysFixture) checkoutAgain(t *testing.T, att redsysAttempt) redsysAttempt {
	t.Helper()
	return f.pay(t, att.client, att.email)
}

// pay presses "Pay" on the offer's Redsys pay page and reads the auto-submitting form Bursar answers with.
func (f redsysFixture) pay(t *testing.T, c *http.Client, email string) redsysAttempt {
	t.Helper()
	a := f.a
	pay := "/o/redsys-course/pay?system=" + itoa(f.sys.ID)
	res, doc := a.get(c, pay)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("pay page: status %d", res.StatusCode)
	}
	token, _ := doc.Find(`input[name="form_token"]`).Attr("value")
	res, doc = a.postFormDoc(c, pay, url.Values{"form_token": {token}})
	form := doc.Find(`form[data-testid="gateway-form"]`)
	if res.StatusCode != http.StatusOK || form.Length() != 1 {
		t.Fatalf("pay: status %d, gateway forms %d", res.StatusCode, form.Length())
	}
	att := redsysAttempt{client: c, email: email, action: form.AttrOr("action", ""), fields: url.Values{}}
	form.Find(`input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
		att.fields.Add(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	raw, err := base64.StdEncoding.DecodeString(att.fields.Get("Ds_MerchantParameters"))
	if err != nil || json.Unmarshal(raw, &att.params) != nil {
		t.Fatalf("Ds_MerchantParameters %q: %v", raw, err)
	}
	att.order = gatewayOrderOf(t, a, email)
	return att
}

// redsysNotification is the form Redsys posts to the notification URL about order number ref of Bursar's order,
// signed with key (the signature in URL-safe base64, as Redsys sends it).
func redsysNotification(t *testing.T, key string, att redsysAttempt, response, authCode string) []byte {
	t.Helper()
	raw, err := json.Marshal(map[string]string{
		"Ds_Date": "22%2F10%2F2025", "Ds_Hour": "22%3A51", "Ds_SecurePayment": "1", "Ds_Card_Country": "724",
		"Ds_Amount": att.params["DS_MERCHANT_AMOUNT"], "Ds_Currency": att.params["DS_MERCHANT_CURRENCY"],
		"Ds_Order": att.params["DS_MERCHANT_ORDER"], "Ds_MerchantCode": "999008881", "Ds_Terminal": "001",
		"Ds_Response": response, "Ds_MerchantData": att.params["DS_MERCHANT_MERCHANTDATA"], "Ds_TransactionType": "0",
		"Ds_ConsumerLanguage": "1", "Ds_AuthorisationCode": authCode, "Ds_Card_Brand": "1", "Ds_ProcessedPayMethod": "1",
	})
	if err != nil {
		t.Fatal(err)
	}
	params := base64.StdEncoding.EncodeToString(raw)
	return []byte(url.Values{"Ds_SignatureVersion": {"HMAC_SHA256_V1"}, "Ds_MerchantParameters": {params},
		"Ds_Signature": {base64.URLEncoding.EncodeToString(redsysSign(t, key, att.params["DS_MERCHANT_ORDER"], params))}}.Encode())
}

// redsysDeliver posts a notification form to the payment system's webhook as Redsys does.
func redsysDeliver(t *testing.T, a *testApp, id int64, body []byte) (int, string) {
	t.Helper()
	res, err := http.Post(a.ts.URL+"/webhooks/"+itoa(id), "application/x-www-form-urlencoded", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

func TestCheckoutThroughRedsys(t *testing.T) {
	t.Parallel()
	f := newRedsysFixture(t)
	a := f.a
	att := f.checkout(t, "ana@example.com")

	// The form goes to Redsys' payment page (here the fake), signed, naming the attempt and the order.
	if att.action != f.page.srv.URL+"/sis/realizarPago" {
		t.Errorf("form action %q", att.action)
	}
	if got := att.fields.Get("Ds_SignatureVersion"); got != "HMAC_SHA256_V1" {
		t.Errorf("Ds_SignatureVersion %q", got)
	}
	ref := att.params["DS_MERCHANT_ORDER"]
	o := att.order
	if o.Status != order.StatusOpen || len(o.Payments) != 1 {
		t.Fatalf("order %s with %d payments", o.Status, len(o.Payments))
	}
	if p := o.Payments[0]; p.Status != order.PaymentPending || p.GatewayRef != ref || len(ref) != 12 || p.PaymentSystemID != f.sys.ID {
		t.Errorf("attempt %+v, want pending with gateway_ref %q", p, ref)
	}
	want := map[string]string{"DS_MERCHANT_AMOUNT": "4900", "DS_MERCHANT_CURRENCY": "978",
		"DS_MERCHANT_MERCHANTCODE": "999008881", "DS_MERCHANT_TERMINAL": "1", "DS_MERCHANT_TRANSACTIONTYPE": "0",
		"DS_MERCHANT_MERCHANTDATA": itoa(o.ID), "DS_MERCHANT_MERCHANTURL": "http://127.0.0.1/webhooks/" + itoa(f.sys.ID),
		"DS_MERCHANT_PRODUCTDESCRIPTION": "Redsys course", "DS_MERCHANT_CONSUMERLANGUAGE": "001"}
	for k, v := range want {
		if att.params[k] != v {
			t.Errorf("%s = %q, want %q", k, att.params[k], v)
		}
	}
	if !strings.Contains(att.params["DS_MERCHANT_URLOK"], "/o/redsys-course/paid?order="+o.Number) ||
		!strings.Contains(att.params["DS_MERCHANT_URLKO"], "/o/redsys-course/cancelled?order="+o.Number) {
		t.Errorf("return URLs %q, %q", att.params["DS_MERCHANT_URLOK"], att.params["DS_MERCHANT_URLKO"])
	}
	// The payer's browser posts it; Redsys accepts the signature.
	res, err := http.PostForm(att.action, att.fields)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || f.page.acceptedCount() != 1 {
		t.Fatalf("Redsys' page answered %d: the form's signature was refused", res.StatusCode)
	}

	// Redsys notifies the payment: an empty 200, the order completes and the student gets access.
	paid := redsysNotification(t, redsysTestKey, att, "0000", "052029")
	if code, body := redsysDeliver(t, a, f.sys.ID, paid); code != http.StatusOK || body != "" {
		t.Fatalf("notification: status %d, body %q; want an empty 200", code, body)
	}
	check := func(when string) {
		t.Helper()
		d, err := a.srv.orders.Detail(a.ctx(), o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != order.StatusCompleted || len(d.Grants) != 1 || len(d.Payments) != 1 {
			t.Fatalf("%s: order %s with %d grants and %d payments, want completed with 1 and 1", when, d.Status,
				len(d.Grants), len(d.Payments))
		}
		if p := d.Payments[0]; p.Status != order.PaymentSucceeded || p.GatewayRef != ref || p.Amount.Amount != 4900 {
			t.Errorf("%s: payment %+v", when, p)
		}
		if n := countRows(t, a, `SELECT count(*) FROM access_grants g JOIN order_grants og ON og.grant_id = g.id
			WHERE og.order_id = $1 AND g.revoked_at IS NULL`, o.ID); n != 1 {
			t.Errorf("%s: %d active grants, want 1", when, n)
		}
		if n := countRows(t, a, "SELECT count(*) FROM gateway_events WHERE payment_system_id = $1", f.sys.ID); n != 1 {
			t.Errorf("%s: %d gateway events stored, want 1", when, n)
		}
		if n := countRows(t, a, "SELECT count(*) FROM payment_exceptions"); n != 0 {
			t.Errorf("%s: %d payment exceptions", when, n)
		}
	}
	check("paid")
	if n := countRows(t, a, "SELECT count(*) FROM gateway_events WHERE event_id = $1 AND result = 'completed' AND body = $2",
		ref+":0:0000:052029", string(paid)); n != 1 {
		t.Error("the notification was not stored verbatim with its event id and result")
	}

	// Redsys delivers it again: nothing changes.
	if code, body := redsysDeliver(t, a, f.sys.ID, paid); code != http.StatusOK || body != "" {
		t.Fatalf("redelivery: status %d, body %q", code, body)
	}
	check("redelivered")
}

func TestRedsysWebhookRejectsForged(t *testing.T) {
	t.Parallel()
	f := newRedsysFixture(t)
	a := f.a
	att := f.checkout(t, "eve@example.com")
	good := redsysNotification(t, redsysTestKey, att, "0000", "052029")
	tampered := bytes.Replace(good, []byte("Ds_Signature="), []byte("Ds_Signature=A"), 1)
	tests := []struct {
		name string
		body []byte
	}{
		{"WrongKey", redsysNotification(t, "Mk9m98IfEblmPfrpsawt7BmxObt98Jev", att, "0000", "052029")},
		{"TamperedSignature", tampered},
		{"Unsigned", []byte("Ds_SignatureVersion=HMAC_SHA256_V1&Ds_MerchantParameters=" +
			url.QueryEscape(strings.Split(strings.Split(string(good), "Ds_MerchantParameters=")[1], "&")[0]))},
		{"Garbage", []byte("hello")},
	}
	for _, tt := range tests {
		if code, _ := redsysDeliver(t, a, f.sys.ID, tt.body); code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", tt.name, code)
		}
	}
	if n := countRows(t, a, "SELECT count(*) FROM gateway_events"); n != 0 {
		t.Errorf("%d gateway events stored, want 0", n)
	}
	o := gatewayOrderOf(t, a, "eve@example.com")
	if o.Status != order.StatusOpen || len(o.Payments) != 1 || o.Payments[0].Status != order.PaymentPending {
		t.Errorf("order %s, payments %+v; want open with its attempt pending", o.Status, o.Payments)
	}
	if n := countRows(t, a, "SELECT count(*) FROM order_grants WHERE order_id = $1", o.ID); n != 0 {
		t.Errorf("%d grants", n)
	}
}

func TestRedsysWebhookDeclined(t *testing.T) {
	t.Parallel()
	f := newRedsysFixture(t)
	a := f.a
	att := f.checkout(t, "declined@example.com")
	if code, body := redsysDeliver(t, a, f.sys.ID, redsysNotification(t, redsysTestKey, att, "0190", "")); code != http.StatusOK || body != "" {
		t.Fatalf("declined: status %d, body %q", code, body)
	}
	o := gatewayOrderOf(t, a, "declined@example.com")
	if o.Status != order.StatusOpen || len(o.Payments) != 1 || o.Payments[0].Status != order.PaymentFailed {
		t.Fatalf("order %s, payments %+v; want open with its attempt failed", o.Status, o.Payments)
	}
	if n := countRows(t, a, "SELECT count(*) FROM gateway_events WHERE result = 'attempt_failed' AND kind = 'failed'"); n != 1 {
		t.Errorf("%d failed events stored, want 1", n)
	}
	if n := countRows(t, a, "SELECT count(*) FROM order_grants WHERE order_id = $1", o.ID); n != 0 {
		t.Errorf("%d grants", n)
	}
	// The student tries again: a new attempt with a new order number, then pays.
	again := f.checkoutAgain(t, att)
	if again.params["DS_MERCHANT_ORDER"] == att.params["DS_MERCHANT_ORDER"] {
		t.Fatal("the second attempt reused the first's order number")
	}
	if code, _ := redsysDeliver(t, a, f.sys.ID, redsysNotification(t, redsysTestKey, again, "0000", "111111")); code != http.StatusOK {
		t.Fatalf("paid: status %d", code)
	}
	if st := a.orderStatus(o.ID); st != order.StatusCompleted {
		t.Fatalf("order %s after the second attempt was paid", st)
	}
}
