package fondy

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// recorded is one request the fake Fondy received.
type recorded struct {
	Method, Path, ContentType string
	Fields                    map[string]string // the "request" object
	ctx                       context.Context   // the request's, done when the client gives up
}

// fakeFondy is an httptest server speaking Fondy's API: it records each request and answers with reply.
type fakeFondy struct {
	URL   string
	mu    sync.Mutex
	reqs  []recorded
	reply func(r recorded) (int, string)
}

func newFakeFondy(t *testing.T, reply func(r recorded) (int, string)) *fakeFondy {
	t.Helper()
	f := &fakeFondy{reply: reply}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body struct {
			Request map[string]string `json:"request"`
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("fake fondy: request %s is not {\"request\":{…}} with string values: %v", raw, err)
		}
		rec := recorded{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Fields: body.Request,
			ctx: r.Context()}
		f.mu.Lock()
		f.reqs = append(f.reqs, rec)
		f.mu.Unlock()
		code, out := f.reply(rec)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, out) // fails only when the client gave up first (the Timeout case): nothing to tell
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// requests returns what was received so far.
func (f *fakeFondy) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// only returns the one request received, failing the test otherwise; the request must be signed with testSecret.
func (f *fakeFondy) only(t *testing.T, path string) map[string]string {
	t.Helper()
	reqs := f.requests()
	if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].Path != path ||
		!strings.HasPrefix(reqs[0].ContentType, "application/json") {
		t.Fatalf("requests = %+v, want one JSON POST %s", reqs, path)
	}
	got := reqs[0].Fields
	if got["signature"] != signFields(testSecret, got) {
		t.Fatalf("request signature %q, want %q", got["signature"], signFields(testSecret, got))
	}
	return got
}

// answer is a Fondy answer {"response": fields}; when signed, fields carry their signature under testSecret.
func answer(fields map[string]any, signed bool) string {
	if signed {
		s := map[string]string{}
		for k, v := range fields {
			b, _ := json.Marshal(v)
			if str, ok := v.(string); ok {
				s[k] = str
			} else {
				s[k] = string(b)
			}
		}
		fields["signature"] = signFields(testSecret, s)
	}
	b, _ := json.Marshal(map[string]any{"response": fields})
	return string(b)
}

func apiAccount(url string) gateway.Account {
	a := testAccount()
	a.APIURL = url
	return a
}

func checkout() gateway.Checkout {
	return gateway.Checkout{OrderID: 42, OrderNumber: "A-0042", Amount: money.Money{Amount: 4990, Currency: "EUR"},
		Title: "Curso de español A1", Email: "ana@example.com", Language: "es",
		SuccessURL: "https://school.test/o/a1/paid?order=A-0042&attempt=9", CancelURL: "https://school.test/o/a1/cancelled",
		NotifyURL: "https://school.test/webhooks/7"}
}

const checkoutURL = "https://pay.fondy.eu/merchants/5ad6b888f4becb0c33d543d54e57d86c/default/index.html?token=43f5c8a8c1"

func checkoutOK(recorded) (int, string) {
	return http.StatusOK, answer(map[string]any{"response_status": "success", "checkout_url": checkoutURL,
		"payment_id": 805243692}, false)
}

var refPattern = regexp.MustCompile(`^42-[0-9A-Za-z]{8}$`)

func TestBeginSendsTheOrder(t *testing.T) {
	t.Parallel()
	fake := newFakeFondy(t, checkoutOK)
	red, err := New(Options{}).Begin(context.Background(), apiAccount(fake.URL), checkout())
	if err != nil {
		t.Fatalf("Begin = %v", err)
	}
	if red.URL != checkoutURL || red.Form != nil || !refPattern.MatchString(red.Ref) {
		t.Fatalf("redirect = %+v, want the checkout_url and a 42-xxxxxxxx ref", red)
	}
	got := fake.only(t, CheckoutPath)
	want := map[string]string{
		"order_id":            red.Ref,
		"merchant_id":         testMerchant,
		"order_desc":          "Curso de español A1",
		"amount":              "4990",
		"currency":            "EUR",
		"response_url":        "https://school.test/o/a1/paid?order=A-0042&attempt=9",
		"server_callback_url": "https://school.test/webhooks/7",
		"sender_email":        "ana@example.com",
		"merchant_data":       "42",
		"lang":                "es",
		"signature":           got["signature"],
	}
	if len(got) != len(want) {
		t.Errorf("request has %d fields, want %d: %v", len(got), len(want), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	// The signature written out by hand: values sorted by name.
	manual := sha1Hex(strings.Join([]string{testSecret, "4990", "EUR", "es", "42", testMerchant,
		"Curso de español A1", red.Ref, "https://school.test/o/a1/paid?order=A-0042&attempt=9", "ana@example.com",
		"https://school.test/webhooks/7"}, "|"))
	if got["signature"] != manual {
		t.Errorf("signature %s, want %s", got["signature"], manual)
	}
}

func TestBeginRefsDiffer(t *testing.T) {
	t.Parallel()
	fake := newFakeFondy(t, checkoutOK)
	p := New(Options{})
	seen := map[string]bool{}
	for range 20 {
		red, err := p.Begin(context.Background(), apiAccount(fake.URL), checkout())
		if err != nil {
			t.Fatal(err)
		}
		if seen[red.Ref] || !refPattern.MatchString(red.Ref) {
			t.Fatalf("ref %q repeated or malformed", red.Ref)
		}
		seen[red.Ref] = true
	}
}

func TestBeginOptionalFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		edit     func(c *gateway.Checkout)
		lang     string
		email    string
		desc     string
		hasLang  bool
		hasEmail bool
	}{
		{"Guest", func(c *gateway.Checkout) { c.Email = "" }, "es", "", "Curso de español A1", true, false},
		{"Ukrainian", func(c *gateway.Checkout) { c.Language = "uk" }, "uk", "ana@example.com", "Curso de español A1", true, true},
		{"RegionalEnglish", func(c *gateway.Checkout) { c.Language = "en-GB" }, "en", "ana@example.com", "Curso de español A1", true, true},
		{"LanguageFondyLacks", func(c *gateway.Checkout) { c.Language = "pt-BR" }, "", "ana@example.com", "Curso de español A1", false, true},
		{"NoTitle", func(c *gateway.Checkout) { c.Title = " " }, "es", "ana@example.com", "Order A-0042", true, true},
		{"LongTitle", func(c *gateway.Checkout) { c.Title = strings.Repeat("ñ", 2000) }, "es", "ana@example.com", strings.Repeat("ñ", 1024), true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeFondy(t, checkoutOK)
			c := checkout()
			tt.edit(&c)
			if _, err := New(Options{}).Begin(context.Background(), apiAccount(fake.URL), c); err != nil {
				t.Fatal(err)
			}
			got := fake.only(t, CheckoutPath)
			if _, ok := got["lang"]; ok != tt.hasLang || got["lang"] != tt.lang {
				t.Errorf("lang = %q (sent %v), want %q", got["lang"], ok, tt.lang)
			}
			if _, ok := got["sender_email"]; ok != tt.hasEmail || got["sender_email"] != tt.email {
				t.Errorf("sender_email = %q (sent %v), want %q", got["sender_email"], ok, tt.email)
			}
			if got["order_desc"] != tt.desc {
				t.Errorf("order_desc = %q, want %q", got["order_desc"], tt.desc)
			}
		})
	}
}

func TestBeginErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		reply       func(recorded) (int, string)
		timeout     time.Duration
		unavailable bool
		message     string
	}{
		{"Refused", func(recorded) (int, string) {
			return http.StatusOK, `{"response":{"response_status":"failure","error_message":"Parameter ` + "`amount`" + ` is mandatory","error_code":1008,"request_id":"HGh7ami3WN0ci"}}`
		}, 0, false, "Parameter `amount` is mandatory"},
		{"ServerError", func(recorded) (int, string) { return http.StatusBadGateway, "<html>bad gateway</html>" }, 0, true, "HTTP 502"},
		{"TooManyRequests", func(recorded) (int, string) { return http.StatusTooManyRequests, "" }, 0, true, "HTTP 429"},
		{"Timeout", func(r recorded) (int, string) {
			<-r.ctx.Done() // answers only once the provider has given up
			return http.StatusOK, ""
		}, 200 * time.Millisecond, true, ""},
		{"NotFound", func(recorded) (int, string) { return http.StatusNotFound, "not here" }, 0, false, "HTTP 404"},
		{"BadRequestWithMessage", func(recorded) (int, string) {
			return http.StatusBadRequest, `{"response":{"response_status":"failure","error_message":"Merchant not found","error_code":1002}}`
		}, 0, false, "Merchant not found (error 1002)"},
		{"NotJSON", func(recorded) (int, string) { return http.StatusOK, "<html>hello</html>" }, 0, false, "not a JSON object"},
		{"NoCheckoutURL", func(recorded) (int, string) {
			return http.StatusOK, `{"response":{"response_status":"success"}}`
		}, 0, false, "without a checkout_url"},
		{"CheckoutURLNotHTTP", func(recorded) (int, string) {
			return http.StatusOK, `{"response":{"response_status":"success","checkout_url":"javascript:alert(1)"}}`
		}, 0, false, "without a checkout_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeFondy(t, tt.reply)
			red, err := New(Options{Timeout: tt.timeout}).Begin(context.Background(), apiAccount(fake.URL), checkout())
			if err == nil {
				t.Fatalf("Begin = %+v, want an error", red)
			}
			if errors.Is(err, gateway.ErrUnavailable) != tt.unavailable {
				t.Fatalf("Begin = %v; ErrUnavailable %v, want %v", err, !tt.unavailable, tt.unavailable)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not say %q", err, tt.message)
			}
			if strings.Contains(err.Error(), testSecret+"|") {
				t.Errorf("error %q shows the payment key", err)
			}
		})
	}
}

func TestBeginUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := New(Options{}).Begin(context.Background(), apiAccount(url), checkout())
	if !errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("Begin(closed port) = %v, want ErrUnavailable", err)
	}
}

func TestBeginNeedsTheAccount(t *testing.T) {
	t.Parallel()
	fake := newFakeFondy(t, checkoutOK)
	tests := []struct {
		name string
		edit func(a *gateway.Account)
	}{
		{"NoMerchant", func(a *gateway.Account) { a.System.Settings = map[string]any{} }},
		{"MerchantNotDigits", func(a *gateway.Account) { a.System.Settings = map[string]any{SettingMerchantID: "merchant"} }},
		{"NoKey", func(a *gateway.Account) { a.Credentials = map[string]string{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			acct := apiAccount(fake.URL)
			tt.edit(&acct)
			if _, err := New(Options{}).Begin(context.Background(), acct, checkout()); err == nil ||
				errors.Is(err, gateway.ErrUnavailable) {
				t.Fatalf("Begin = %v, want a configuration error", err)
			}
		})
	}
	if n := len(fake.requests()); n != 0 {
		t.Errorf("%d requests sent without a usable account", n)
	}
}

func TestDefaultHost(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{gateway.ModeTest, gateway.ModeLive} {
		acct := testAccount()
		acct.System.Mode = mode
		if got := baseURL(acct); got != "https://pay.fondy.eu" {
			t.Errorf("baseURL(%s) = %s, want Fondy's host", mode, got)
		}
	}
	if got := baseURL(apiAccount("http://127.0.0.1:9/")); got != "http://127.0.0.1:9" {
		t.Errorf("baseURL(APIURL) = %s", got)
	}
}

func TestRefund(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		amount     int64
		reason     string
		reply      map[string]any
		wantStatus string
		wantID     string
		wantErr    string
	}{
		{"Full", 4990, "Customer asked", map[string]any{"reverse_status": "approved", "reversal_amount": "4990",
			"transaction_id": 2011273408}, "succeeded", "2011273408", ""},
		{"Partial", 1000, "", map[string]any{"reverse_status": "approved", "reversal_amount": "1000",
			"transaction_id": "2011273409"}, "succeeded", "2011273409", ""},
		{"Created", 1000, "", map[string]any{"reverse_status": "created"}, "pending", "", ""},
		{"Declined", 1000, "", map[string]any{"reverse_status": "declined", "response_code": 1037,
			"response_description": "Reversal amount exceeds order amount"}, "", "", "Reversal amount exceeds order amount"},
		{"Unexpected", 1000, "", map[string]any{}, "", "", "unexpected reverse_status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeFondy(t, func(r recorded) (int, string) {
				out := map[string]any{"order_id": r.Fields["order_id"], "merchant_id": 1396424, "response_status": "success",
					"response_code": "", "response_description": ""}
				for k, v := range tt.reply {
					out[k] = v
				}
				return http.StatusOK, answer(out, true)
			})
			res, err := New(Options{}).Refund(context.Background(), apiAccount(fake.URL), gateway.RefundRequest{
				Ref: "42-Ab3dE6gH", Amount: money.Money{Amount: tt.amount, Currency: "EUR"}, Reason: tt.reason})
			got := fake.only(t, ReversePath)
			want := map[string]string{"order_id": "42-Ab3dE6gH", "merchant_id": testMerchant, "currency": "EUR",
				"amount": map[int64]string{4990: "4990", 1000: "1000"}[tt.amount], "signature": got["signature"]}
			if tt.reason != "" {
				want["comment"] = tt.reason
			}
			if !mapsEqual(got, want) {
				t.Errorf("request = %v, want %v", got, want)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.Is(err, gateway.ErrUnavailable) {
					t.Fatalf("Refund = %+v, %v; want an error saying %q", res, err, tt.wantErr)
				}
				return
			}
			if err != nil || res.Status != tt.wantStatus || res.ID != tt.wantID {
				t.Fatalf("Refund = %+v, %v; want %s %s", res, err, tt.wantStatus, tt.wantID)
			}
		})
	}
}

func TestRefundErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		req         gateway.RefundRequest
		code        int
		body        string
		unavailable bool
		sent        bool
	}{
		{"Refused", gateway.RefundRequest{Ref: "42-Ab3dE6gH", Amount: money.Money{Amount: 1, Currency: "EUR"}},
			http.StatusOK, `{"response":{"response_status":"failure","error_message":"Order not found","error_code":1018}}`, false, true},
		{"ServerError", gateway.RefundRequest{Ref: "42-Ab3dE6gH", Amount: money.Money{Amount: 1, Currency: "EUR"}},
			http.StatusServiceUnavailable, "", true, true},
		{"NoRef", gateway.RefundRequest{Amount: money.Money{Amount: 1, Currency: "EUR"}}, 0, "", false, false},
		{"ZeroAmount", gateway.RefundRequest{Ref: "42-Ab3dE6gH", Amount: money.Money{Currency: "EUR"}}, 0, "", false, false},
		{"NoCurrency", gateway.RefundRequest{Ref: "42-Ab3dE6gH", Amount: money.Money{Amount: 1}}, 0, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeFondy(t, func(recorded) (int, string) { return tt.code, tt.body })
			_, err := New(Options{}).Refund(context.Background(), apiAccount(fake.URL), tt.req)
			if err == nil || errors.Is(err, gateway.ErrUnavailable) != tt.unavailable {
				t.Fatalf("Refund = %v; want an error, ErrUnavailable %v", err, tt.unavailable)
			}
			if sent := len(fake.requests()) > 0; sent != tt.sent {
				t.Errorf("request sent %v, want %v", sent, tt.sent)
			}
		})
	}
}

// statusAnswer is Fondy's answer to a status request about ref.
func statusAnswer(ref, status, reversal string) map[string]any {
	return map[string]any{"order_id": ref, "merchant_id": 1396424, "order_status": status, "response_status": "success",
		"amount": "4990", "actual_amount": "4990", "currency": "EUR", "actual_currency": "EUR", "reversal_amount": reversal,
		"tran_type": "purchase", "sender_email": "ana@example.com", "merchant_data": "42", "payment_id": 805243692,
		"masked_card": "444455XXXXXX6666", "rrn": "", "response_signature_string": "**********|4990|…"}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	ref := "42-Ab3dE6gH"
	tests := []struct {
		name     string
		reply    map[string]any
		signed   bool
		kind     gateway.EventKind
		refunded int64
	}{
		{"Approved", statusAnswer(ref, StatusApproved, "0"), true, gateway.EventPaid, 0},
		{"ApprovedUnsigned", statusAnswer(ref, StatusApproved, "0"), false, gateway.EventPaid, 0},
		{"Processing", statusAnswer(ref, StatusProcessing, "0"), true, gateway.EventPending, 0},
		{"Created", statusAnswer(ref, StatusCreated, ""), true, gateway.EventPending, 0},
		{"Declined", statusAnswer(ref, StatusDeclined, "0"), true, gateway.EventFailed, 0},
		{"Expired", statusAnswer(ref, StatusExpired, "0"), true, gateway.EventExpired, 0},
		{"Reversed", statusAnswer(ref, StatusReversed, "4990"), true, gateway.EventRefunded, 4990},
		{"PartlyReversed", statusAnswer(ref, StatusApproved, "1000"), true, gateway.EventRefunded, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeFondy(t, func(recorded) (int, string) { return http.StatusOK, answer(tt.reply, tt.signed) })
			ev, err := New(Options{}).Status(context.Background(), apiAccount(fake.URL), ref)
			got := fake.only(t, StatusPath)
			if !mapsEqual(got, map[string]string{"order_id": ref, "merchant_id": testMerchant, "signature": got["signature"]}) {
				t.Errorf("request = %v", got)
			}
			if err != nil {
				t.Fatalf("Status = %v", err)
			}
			want := gateway.Event{Type: "status:" + tt.reply["order_status"].(string), Kind: tt.kind, OrderID: 42, Ref: ref,
				Amount: money.Money{Amount: 4990, Currency: "EUR"}, RefundedAmount: tt.refunded, PayerEmail: "ana@example.com"}
			if !reflect.DeepEqual(ev, want) {
				t.Fatalf("event =\n %+v\nwant\n %+v", ev, want)
			}
		})
	}
}

func TestStatusErrors(t *testing.T) {
	t.Parallel()
	ref := "42-Ab3dE6gH"
	forged := statusAnswer(ref, StatusApproved, "0")
	forged["signature"] = sha1Hex("forged")
	other := statusAnswer("43-zzzzzzzz", StatusApproved, "0")
	otherMerchant := statusAnswer(ref, StatusApproved, "0")
	otherMerchant["merchant_id"] = 1700002
	tests := []struct {
		name        string
		code        int
		body        string
		signature   bool
		unavailable bool
	}{
		{"WrongSignature", http.StatusOK, answer(forged, false), true, false},
		{"OtherOrder", http.StatusOK, answer(other, true), false, false},
		{"OtherMerchant", http.StatusOK, answer(otherMerchant, true), false, false},
		{"NotFound", http.StatusOK, `{"response":{"response_status":"failure","error_message":"Order not found","error_code":1018}}`, false, false},
		{"ServerError", http.StatusInternalServerError, "oops", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeFondy(t, func(recorded) (int, string) { return tt.code, tt.body })
			ev, err := New(Options{}).Status(context.Background(), apiAccount(fake.URL), ref)
			if err == nil || errors.Is(err, gateway.ErrSignature) != tt.signature ||
				errors.Is(err, gateway.ErrUnavailable) != tt.unavailable {
				t.Fatalf("Status = %+v, %v; want an error (ErrSignature %v, ErrUnavailable %v)", ev, err, tt.signature,
					tt.unavailable)
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
