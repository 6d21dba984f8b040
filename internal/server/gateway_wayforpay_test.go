package server

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
)

// WayForPay's published test merchant.
const (
	wayforpayAccount = "test_merch_n1"
	wayforpaySecret  = "flk3409refn54t54t*FNJRET"
	wayforpayDomain  = "school.test"
)

// wayforpaySign is WayForPay's signature: hex HMAC-MD5 with the secret of the fields joined by ";".
func wayforpaySign(secret string, fields ...string) string {
	m := hmac.New(md5.New, []byte(secret))
	m.Write([]byte(strings.Join(fields, ";")))
	return hex.EncodeToString(m.Sum(nil))
}

// wayforpayPage is WayForPay's payment page (/pay) as a test peer: it takes the Purchase form the payer's browser
// posts, checks its merchantSignature with the test secret and remembers each form it accepted.
type wayforpayPage struct {
	srv      *httptest.Server
	mu       sync.Mutex
	accepted []url.Values
}

func newWayforpayPage(t *testing.T) *wayforpayPage {
	t.Helper()
	p := &wayforpayPage{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/pay" || r.ParseForm() != nil {
			http.NotFound(w, r)
			return
		}
		f := r.PostForm
		fields := []string{f.Get("merchantAccount"), f.Get("merchantDomainName"), f.Get("orderReference"),
			f.Get("orderDate"), f.Get("amount"), f.Get("currency")}
		fields = append(fields, f["productName[]"]...)
		fields = append(fields, f["productCount[]"]...)
		fields = append(fields, f["productPrice[]"]...)
		if f.Get("merchantSignature") != wayforpaySign(wayforpaySecret, fields...) {
			http.Error(w, `{"reason":"Invalid signature","reasonCode":1113}`, http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		p.accepted = append(p.accepted, f)
		p.mu.Unlock()
		_, _ = io.WriteString(w, "<html><body>Оплата карткою</body></html>")
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *wayforpayPage) acceptedCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.accepted)
}

// wayforpayFixture is a school selling "WayForPay course" (1547.36 UAH, in Ukrainian) through a WayForPay payment
// system in test mode.
type wayforpayFixture struct {
	a     *testApp
	page  *wayforpayPage
	sys   gateway.System
	offer offer.Offer
}

func newWayforpayFixture(t *testing.T) wayforpayFixture {
	t.Helper()
	page := newWayforpayPage(t)
	a := newGatewaysApp(t, map[string]string{gateway.TypeWayForPay: page.srv.URL})
	sys, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypeWayForPay, Name: "Картка",
		Mode: gateway.ModeTest, Enabled: true,
		Settings:    map[string]any{"merchant_account": wayforpayAccount, "merchant_domain": wayforpayDomain},
		Credentials: map[string]string{"secret_key": wayforpaySecret}})
	if err != nil {
		t.Fatal(err)
	}
	of := a.offer(func(in *offer.Input) {
		in.Title, in.Slug, in.PaymentSystemIDs, in.Language = "WayForPay course", "wayforpay-course", []int64{sys.ID}, "uk"
		in.Amount, in.Currency = 154736, "UAH"
	})
	return wayforpayFixture{a: a, page: page, sys: sys, offer: of}
}

// wayforpayAttempt is a checkout a student started: the order and the Purchase form Bursar rendered.
type wayforpayAttempt struct {
	client *http.Client
	email  string
	order  order.Order
	action string
	fields url.Values
}

// checkout signs email up and presses "Pay" on the offer's WayForPay pay page.
func (f wayforpayFixture) checkout(t *testing.T, email string) wayforpayAttempt {
	t.Helper()
	return f.pay(t, f.a.student(email), email)
}

// pay presses "Pay" on the pay page with client c and reads the auto-submitting form Bursar answers with.
func (f wayforpayFixture) pay(t *testing.T, c *http.Client, email string) wayforpayAttempt {
	t.Helper()
	a := f.a
	pay := "/o/wayforpay-course/pay?system=" + itoa(f.sys.ID)
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
	att := wayforpayAttempt{client: c, email: email, action: form.AttrOr("action", ""), fields: url.Values{}}
	form.Find(`input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
		att.fields.Add(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	att.order = gatewayOrderOf(t, a, email)
	return att
}

// wayforpayNotification is the JSON WayForPay posts to serviceUrl about the attempt, signed with secret.
func wayforpayNotification(att wayforpayAttempt, secret, status, reasonCode, email string) []byte {
	ref, amount, currency := att.fields.Get("orderReference"), att.fields.Get("amount"), att.fields.Get("currency")
	authCode, cardPan := "541963", "41****8217"
	if status == "Declined" {
		authCode = ""
	}
	sig := wayforpaySign(secret, wayforpayAccount, ref, amount, currency, authCode, cardPan, status, reasonCode)
	return fmt.Appendf(nil, `{"merchantAccount":%q,"orderReference":%q,"merchantSignature":%q,"amount":%s,`+
		`"currency":%q,"authCode":%q,"email":%q,"phone":"380501234567","createdDate":1415379863,`+
		`"processingDate":1415379863,"cardPan":%q,"cardType":"Visa","issuerBankCountry":"980",`+
		`"issuerBankName":"Privatbank","recToken":"","transactionStatus":%q,"reason":"Ok","reasonCode":%s,`+
		`"fee":0,"paymentSystem":"card"}`,
		wayforpayAccount, ref, sig, amount, currency, authCode, email, cardPan, status, reasonCode)
}

// wayforpayDeliver posts a notification to the payment system's webhook with contentType, as WayForPay does.
func wayforpayDeliver(t *testing.T, a *testApp, id int64, contentType string, body []byte) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Post(a.ts.URL+"/webhooks/"+itoa(id), contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res, raw
}

// wayforpayCheckReply fails unless raw is the signed accept of ref WayForPay waits for.
func wayforpayCheckReply(t *testing.T, res *http.Response, raw []byte, ref string) {
	t.Helper()
	var r struct {
		OrderReference, Status, Signature string
		Time                              int64
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") ||
		json.Unmarshal(raw, &r) != nil {
		t.Fatalf("notification: status %d, %s %q; want 200 with the JSON accept", res.StatusCode,
			res.Header.Get("Content-Type"), raw)
	}
	want := wayforpaySign(wayforpaySecret, ref, "accept", strconv.FormatInt(r.Time, 10))
	if r.OrderReference != ref || r.Status != "accept" || r.Time == 0 || r.Signature != want {
		t.Fatalf("reply %s, want accept of %s signed %s", raw, ref, want)
	}
}

func TestCheckoutThroughWayForPay(t *testing.T) {
	t.Parallel()
	f := newWayforpayFixture(t)
	a := f.a
	att := f.checkout(t, "ana@example.com")
	o := att.order

	// The form goes to WayForPay's payment page (here the fake), signed, its orderReference naming the order.
	ref := att.fields.Get("orderReference")
	if att.action != f.page.srv.URL+"/pay" {
		t.Errorf("form action %q", att.action)
	}
	if !regexp.MustCompile(`^` + itoa(o.ID) + `-[A-Za-z0-9]{8}$`).MatchString(ref) {
		t.Errorf("orderReference %q, want <order id>-<8 alphanumerics>", ref)
	}
	if o.Status != order.StatusOpen || len(o.Payments) != 1 {
		t.Fatalf("order %s with %d payments", o.Status, len(o.Payments))
	}
	if p := o.Payments[0]; p.Status != order.PaymentPending || p.GatewayRef != ref || p.PaymentSystemID != f.sys.ID {
		t.Errorf("attempt %+v, want pending with gateway_ref %q", p, ref)
	}
	want := map[string]string{"merchantAccount": wayforpayAccount, "merchantDomainName": wayforpayDomain,
		"merchantTransactionSecureType": "AUTO", "amount": "1547.36", "currency": "UAH",
		"productName[]": "WayForPay course", "productPrice[]": "1547.36", "productCount[]": "1",
		"clientEmail": "ana@example.com", "language": "UA",
		"serviceUrl": "http://127.0.0.1/webhooks/" + itoa(f.sys.ID)}
	for k, v := range want {
		if got := att.fields[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want [%q]", k, got, v)
		}
	}
	if !strings.Contains(att.fields.Get("returnUrl"), "/o/wayforpay-course/paid?order="+o.Number) {
		t.Errorf("returnUrl %q", att.fields.Get("returnUrl"))
	}
	// The payer's browser posts it; WayForPay accepts the signature.
	res, err := http.PostForm(att.action, att.fields)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || f.page.acceptedCount() != 1 {
		t.Fatalf("WayForPay's page answered %d: the form's signature was refused", res.StatusCode)
	}

	// WayForPay notifies the payment: 200 with the signed accept, the order completes, the student gets access.
	paid := wayforpayNotification(att, wayforpaySecret, "Approved", "1100", "payer@example.com")
	res, raw := wayforpayDeliver(t, a, f.sys.ID, "application/json", paid)
	wayforpayCheckReply(t, res, raw, ref)
	check := func(when string, events int) {
		t.Helper()
		d, err := a.srv.orders.Detail(a.ctx(), o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != order.StatusCompleted || len(d.Grants) != 1 || len(d.Payments) != 1 {
			t.Fatalf("%s: order %s with %d grants and %d payments, want completed with 1 and 1", when, d.Status,
				len(d.Grants), len(d.Payments))
		}
		if p := d.Payments[0]; p.Status != order.PaymentSucceeded || p.GatewayRef != ref || p.Amount.Amount != 154736 ||
			p.Amount.Currency != "UAH" || p.PayerEmail != "payer@example.com" {
			t.Errorf("%s: payment %+v", when, p)
		}
		if n := countRows(t, a, `SELECT count(*) FROM access_grants g JOIN order_grants og ON og.grant_id = g.id
			WHERE og.order_id = $1 AND g.revoked_at IS NULL`, o.ID); n != 1 {
			t.Errorf("%s: %d active grants, want 1", when, n)
		}
		if n := countRows(t, a, "SELECT count(*) FROM gateway_events WHERE payment_system_id = $1", f.sys.ID); n != events {
			t.Errorf("%s: %d gateway events stored, want %d", when, n, events)
		}
		if n := countRows(t, a, "SELECT count(*) FROM payment_exceptions"); n != 0 {
			t.Errorf("%s: %d payment exceptions", when, n)
		}
	}
	check("paid", 1)
	if n := countRows(t, a, "SELECT count(*) FROM gateway_events WHERE event_id = $1 AND result = 'completed' AND body = $2",
		ref+":Approved:1100", string(paid)); n != 1 {
		t.Error("the notification was not stored verbatim with its event id and result")
	}

	// WayForPay delivers it again, raw under a form content type and form-encoded as one key: answered, nothing
	// changes.
	again := []struct {
		name, contentType string
		body              []byte
	}{
		{"Again", "application/json", paid},
		{"FormContentType", "application/x-www-form-urlencoded", paid},
		{"FormKey", "application/x-www-form-urlencoded", []byte(url.QueryEscape(string(paid)))},
	}
	for _, tt := range again {
		res, raw := wayforpayDeliver(t, a, f.sys.ID, tt.contentType, tt.body)
		wayforpayCheckReply(t, res, raw, ref)
		check(tt.name, 1)
	}

	// The school refunds it in WayForPay's portal: the order becomes refunded and the access is revoked.
	refunded := wayforpayNotification(att, wayforpaySecret, "Refunded", "1100", "payer@example.com")
	res, raw = wayforpayDeliver(t, a, f.sys.ID, "application/json", refunded)
	wayforpayCheckReply(t, res, raw, ref)
	if st := a.orderStatus(o.ID); st != order.StatusRefunded {
		t.Errorf("order %s after the refund, want refunded", st)
	}
	if n := countRows(t, a, "SELECT count(*) FROM gateway_events WHERE event_id = $1", ref+":Refunded:1100:154736"); n != 1 {
		t.Errorf("refund event stored %d times, want 1", n)
	}
	if n := countRows(t, a, `SELECT count(*) FROM access_grants g JOIN order_grants og ON og.grant_id = g.id
		WHERE og.order_id = $1 AND g.revoked_at IS NULL`, o.ID); n != 0 {
		t.Errorf("%d active grants after the refund, want 0", n)
	}
}

func TestWayForPayWebhookRejectsForged(t *testing.T) {
	t.Parallel()
	f := newWayforpayFixture(t)
	a := f.a
	att := f.checkout(t, "eve@example.com")
	good := wayforpayNotification(att, wayforpaySecret, "Approved", "1100", "eve@example.com")
	tests := []struct {
		name string
		body []byte
	}{
		{"WrongSecret", wayforpayNotification(att, "not the merchant's secret", "Approved", "1100", "eve@example.com")},
		{"Tampered", bytes.Replace(good, []byte(`"amount":1547.36`), []byte(`"amount":1.36`), 1)},
		{"Unsigned", regexp.MustCompile(`"merchantSignature":"[0-9a-f]+",`).ReplaceAll(good, nil)},
		{"Garbage", []byte("hello")},
	}
	for _, tt := range tests {
		res, _ := wayforpayDeliver(t, a, f.sys.ID, "application/json", tt.body)
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", tt.name, res.StatusCode)
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
	if strings.Contains(a.log.String(), "eve@example.com") {
		t.Error("a rejected body was logged")
	}
}

func TestWayForPayWebhookDeclined(t *testing.T) {
	t.Parallel()
	f := newWayforpayFixture(t)
	a := f.a
	att := f.checkout(t, "declined@example.com")
	ref := att.fields.Get("orderReference")
	res, raw := wayforpayDeliver(t, a, f.sys.ID, "application/json",
		wayforpayNotification(att, wayforpaySecret, "Declined", "1101", "declined@example.com"))
	wayforpayCheckReply(t, res, raw, ref)
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
	// The student tries again: a new attempt with a new orderReference, then pays.
	again := f.pay(t, att.client, att.email)
	if again.fields.Get("orderReference") == ref {
		t.Fatal("the second attempt reused the first's orderReference")
	}
	res, raw = wayforpayDeliver(t, a, f.sys.ID, "application/json",
		wayforpayNotification(again, wayforpaySecret, "Approved", "1100", "declined@example.com"))
	wayforpayCheckReply(t, res, raw, again.fields.Get("orderReference"))
	if st := a.orderStatus(o.ID); st != order.StatusCompleted {
		t.Fatalf("order %s after the second attempt was paid", st)
	}
}
