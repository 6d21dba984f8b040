package wayforpay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// apiCall is one request the fake API received: its path, content type and JSON body (numbers as sent).
type apiCall struct {
	Path, ContentType string
	Body              map[string]any
	Raw               string
}

// fakeAPI is WayForPay's API as the tests need it: it checks each request's merchantSignature the way WayForPay
// does and answers with what answer returns for it.
type fakeAPI struct {
	URL    string
	mu     sync.Mutex
	calls  []apiCall
	answer func(c apiCall) (int, string)
}

func newFakeAPI(t *testing.T, answer func(c apiCall) (int, string)) *fakeAPI {
	t.Helper()
	f := &fakeAPI{answer: answer}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var body map[string]any
		_ = dec.Decode(&body)
		c := apiCall{Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Body: body, Raw: string(raw)}
		f.mu.Lock()
		f.calls = append(f.calls, c)
		f.mu.Unlock()
		code, out := f.answer(c)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, out)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *fakeAPI) requests() []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apiCall(nil), f.calls...)
}

// field is a request field as text.
func (c apiCall) field(name string) string {
	switch v := c.Body[name].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

// signedWith reports whether the request's merchantSignature is HMAC-MD5 of the fields named.
func (c apiCall) signedWith(names ...string) bool {
	vals := make([]string, len(names))
	for i, n := range names {
		vals[i] = c.field(n)
	}
	return c.field("merchantSignature") == hmacMD5(testSecret, strings.Join(vals, ";"))
}

const badSignatureAnswer = `{"reason":"Invalid signature","reasonCode":1113}`

func TestRefund(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, func(c apiCall) (int, string) {
		if c.field("transactionType") != "REFUND" ||
			!c.signedWith("merchantAccount", "orderReference", "amount", "currency") {
			return http.StatusOK, badSignatureAnswer
		}
		return http.StatusOK, `{"merchantAccount":"test_merch_n1","orderReference":"` + c.field("orderReference") +
			`","transactionStatus":"Refunded","reason":"Ok","reasonCode":1100}`
	})
	tests := []struct {
		name        string
		amount      money.Money
		reason      string
		wantAmount  string
		wantComment string
	}{
		{"Full", money.New(154736, "UAH"), "asked by the student", "1547.36", "asked by the student"},
		{"Partial", money.New(50000, "UAH"), "", "500", "Refund"},
		{"PartialCents", money.New(4950, "EUR"), "  half  ", "49.5", "half"},
	}
	p := New(Options{})
	for _, tt := range tests {
		before := len(api.requests())
		res, err := p.Refund(context.Background(), testAcct(api.URL),
			gateway.RefundRequest{Ref: "42-AB3DE7FZ", Amount: tt.amount, Reason: tt.reason})
		if err != nil {
			t.Fatalf("%s: Refund = %v", tt.name, err)
		}
		if res.ID != "42-AB3DE7FZ" || res.Status != "succeeded" {
			t.Errorf("%s: result = %+v", tt.name, res)
		}
		reqs := api.requests()[before:]
		if len(reqs) != 1 {
			t.Fatalf("%s: %d requests, want 1", tt.name, len(reqs))
		}
		c := reqs[0]
		if c.Path != "/api" || c.ContentType != "application/json" || c.field("merchantAccount") != testAccount ||
			c.field("orderReference") != "42-AB3DE7FZ" || c.field("amount") != tt.wantAmount ||
			c.field("currency") != tt.amount.Currency || c.field("comment") != tt.wantComment ||
			c.field("apiVersion") != "1" {
			t.Errorf("%s: request %s %s", tt.name, c.Path, c.Raw)
		}
		if _, isNumber := c.Body["amount"].(json.Number); !isNumber {
			t.Errorf("%s: amount sent as %T, want a JSON number", tt.name, c.Body["amount"])
		}
		want := hmacMD5(testSecret, "test_merch_n1;42-AB3DE7FZ;"+tt.wantAmount+";"+tt.amount.Currency)
		if c.field("merchantSignature") != want {
			t.Errorf("%s: merchantSignature %s, want %s", tt.name, c.field("merchantSignature"), want)
		}
		if strings.Contains(c.Raw, testSecret) {
			t.Errorf("%s: the request carries the secret", tt.name)
		}
	}
}

func TestRefundAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		code       int
		answer     string
		wantStatus string
		wantErr    error // nil: any error; errNone: success
	}{
		{"Voided", 200, `{"orderReference":"42-AB3DE7FZ","transactionStatus":"Voided","reason":"Ok","reasonCode":1100}`, "succeeded", errNone},
		{"InProcessing", 200, `{"orderReference":"42-AB3DE7FZ","transactionStatus":"RefundInProcessing","reason":"Refund in processing","reasonCode":1138}`, "pending", errNone},
		{"Declined", 200, `{"orderReference":"42-AB3DE7FZ","transactionStatus":"Declined","reason":"Refund limit exceeded","reasonCode":1128}`, "", nil},
		{"BadSignature", 200, badSignatureAnswer, "", nil},
		{"NotJSON", 200, `<html>oops</html>`, "", nil},
		{"BadRequest", 400, `{}`, "", nil},
		{"ServerError", 502, `bad gateway`, "", gateway.ErrUnavailable},
		{"TooMany", 429, `{}`, "", gateway.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, func(apiCall) (int, string) { return tt.code, tt.answer })
			res, err := New(Options{}).Refund(context.Background(), testAcct(api.URL),
				gateway.RefundRequest{Ref: "42-AB3DE7FZ", Amount: money.New(100, "UAH")})
			switch tt.wantErr {
			case errNone:
				if err != nil || res.Status != tt.wantStatus {
					t.Fatalf("Refund = %+v, %v; want %s", res, err, tt.wantStatus)
				}
			case nil:
				if err == nil || errors.Is(err, gateway.ErrUnavailable) {
					t.Fatalf("Refund = %+v, %v; want a plain error", res, err)
				}
			default:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Refund = %+v, %v; want %v", res, err, tt.wantErr)
				}
			}
		})
	}
}

// errNone marks a table row that expects success.
var errNone = errors.New("no error")

func TestRefundRejects(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, func(apiCall) (int, string) { return http.StatusOK, `{}` })
	noSecret := testAcct(api.URL)
	noSecret.Credentials = nil
	tests := []struct {
		name string
		acct gateway.Account
		req  gateway.RefundRequest
	}{
		{"NoRef", testAcct(api.URL), gateway.RefundRequest{Amount: money.New(100, "UAH")}},
		{"ZeroAmount", testAcct(api.URL), gateway.RefundRequest{Ref: "42-A", Amount: money.New(0, "UAH")}},
		{"NoCurrency", testAcct(api.URL), gateway.RefundRequest{Ref: "42-A", Amount: money.Money{Amount: 100}}},
		{"NoSecret", noSecret, gateway.RefundRequest{Ref: "42-A", Amount: money.New(100, "UAH")}},
	}
	for _, tt := range tests {
		if _, err := New(Options{}).Refund(context.Background(), tt.acct, tt.req); err == nil {
			t.Errorf("%s: Refund succeeded", tt.name)
		}
	}
	if n := len(api.requests()); n != 0 {
		t.Fatalf("%d requests made for refused refunds", n)
	}
}

// statusAnswer is a CHECK_STATUS answer for n, signed with sig ("" leaves merchantSignature out).
func statusAnswer(n notification, sig string) string {
	return string(n.body(sig))
}

func TestStatus(t *testing.T) {
	t.Parallel()
	paid := approved()
	refunded := approved()
	refunded.Status, refunded.RefundAmount = StatusRefunded, "500"
	other := approved()
	other.Ref = "43-ZZZZZZZZ"
	tests := []struct {
		name       string
		answer     string
		wantKind   gateway.EventKind
		wantRefund int64
		wantErr    error // nil: any error; errNone: success
	}{
		{"Approved", statusAnswer(paid, paid.signature(testSecret)), gateway.EventPaid, 0, errNone},
		{"Unsigned", statusAnswer(paid, ""), gateway.EventPaid, 0, errNone},
		{"PartlyRefunded", statusAnswer(refunded, refunded.signature(testSecret)), gateway.EventRefunded, 50000, errNone},
		{"WrongSignature", statusAnswer(paid, paid.signature("not the secret")), "", 0, gateway.ErrSignature},
		{"OtherOrder", statusAnswer(other, other.signature(testSecret)), "", 0, nil},
		{"NotFound", `{"reason":"Order not found","reasonCode":1127}`, "", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got apiCall
			api := newFakeAPI(t, func(c apiCall) (int, string) {
				got = c
				if c.field("transactionType") != "CHECK_STATUS" || !c.signedWith("merchantAccount", "orderReference") {
					return http.StatusOK, badSignatureAnswer
				}
				return http.StatusOK, tt.answer
			})
			ev, err := New(Options{}).Status(context.Background(), testAcct(api.URL), "42-AB3DE7FZ")
			if got.Path != "/api" || got.field("orderReference") != "42-AB3DE7FZ" ||
				got.field("merchantAccount") != testAccount || got.field("apiVersion") != "1" {
				t.Errorf("request %s %s", got.Path, got.Raw)
			}
			switch tt.wantErr {
			case errNone:
				if err != nil {
					t.Fatal(err)
				}
				if ev.ID != "" || ev.Reply != nil || ev.Kind != tt.wantKind || ev.Ref != "42-AB3DE7FZ" ||
					ev.OrderID != 42 || ev.Amount != money.New(154736, "UAH") || ev.RefundedAmount != tt.wantRefund {
					t.Fatalf("event = %+v", ev)
				}
			case nil:
				if err == nil || errors.Is(err, gateway.ErrUnavailable) || errors.Is(err, gateway.ErrSignature) {
					t.Fatalf("Status = %+v, %v; want a plain error", ev, err)
				}
			default:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Status = %+v, %v; want %v", ev, err, tt.wantErr)
				}
			}
		})
	}
}

func TestUnavailable(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) }) // runs first: the handlers end, then the server closes
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	boom := newFakeAPI(t, func(apiCall) (int, string) { return http.StatusInternalServerError, `{"reason":"boom"}` })
	tests := []struct {
		name string
		url  string
	}{
		{"ServerError", boom.URL},
		{"Timeout", slow.URL},
		{"ConnectionRefused", downURL},
	}
	p := New(Options{Timeout: 200 * time.Millisecond})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := p.Refund(context.Background(), testAcct(tt.url),
				gateway.RefundRequest{Ref: "42-AB3DE7FZ", Amount: money.New(100, "UAH")})
			if !errors.Is(err, gateway.ErrUnavailable) {
				t.Errorf("Refund = %v, want ErrUnavailable", err)
			}
			if _, err := p.Status(context.Background(), testAcct(tt.url), "42-AB3DE7FZ"); !errors.Is(err, gateway.ErrUnavailable) {
				t.Errorf("Status = %v, want ErrUnavailable", err)
			}
		})
	}
}
