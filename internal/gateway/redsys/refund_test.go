package redsys

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// restRequest is what the fake REST API received.
type restRequest struct {
	Method, Path, ContentType string
	Params                    map[string]string
	SignatureOK               bool
}

// fakeREST is Redsys' trataPeticionREST as a test peer: it checks the request's signature with the test key and
// answers with answer(params), signed with the test key unless the answer says otherwise.
type fakeREST struct {
	URL    string
	mu     sync.Mutex
	got    []restRequest
	answer func(params map[string]string) (status int, body string)
}

func newFakeREST(t *testing.T, answer func(params map[string]string) (int, string)) *fakeREST {
	t.Helper()
	f := &fakeREST{answer: answer}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var env map[string]string
		_ = json.Unmarshal(raw, &env)
		req := restRequest{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type")}
		if b, err := base64.StdEncoding.DecodeString(env[FieldMerchantParameters]); err == nil {
			_ = json.Unmarshal(b, &req.Params)
		}
		want := base64.StdEncoding.EncodeToString(refSign(t, testKey, req.Params["DS_MERCHANT_ORDER"], env[FieldMerchantParameters]))
		req.SignatureOK = env[FieldSignatureVersion] == SignatureVersion && env[FieldSignature] == want
		f.mu.Lock()
		f.got = append(f.got, req)
		f.mu.Unlock()
		status, body := f.answer(req.Params)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *fakeREST) requests() []restRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]restRequest(nil), f.got...)
}

// signedAnswer is a trataPeticionREST answer with values, signed with keyB64 for order.
func signedAnswer(t *testing.T, keyB64, order string, values map[string]string) string {
	t.Helper()
	params := notificationParams(t, values)
	raw, _ := json.Marshal(map[string]string{FieldSignatureVersion: SignatureVersion, FieldMerchantParameters: params,
		FieldSignature: base64.StdEncoding.EncodeToString(refSign(t, keyB64, order, params))})
	return string(raw)
}

// refundAnswer is Redsys' answer to a refund request: the request's order, amount and currency with response.
func refundAnswer(t *testing.T, response string) func(map[string]string) (int, string) {
	return func(p map[string]string) (int, string) {
		return http.StatusOK, signedAnswer(t, testKey, p["DS_MERCHANT_ORDER"], map[string]string{
			"Ds_Amount": p["DS_MERCHANT_AMOUNT"], "Ds_Currency": p["DS_MERCHANT_CURRENCY"], "Ds_Order": p["DS_MERCHANT_ORDER"],
			"Ds_MerchantCode": p["DS_MERCHANT_MERCHANTCODE"], "Ds_Terminal": p["DS_MERCHANT_TERMINAL"], "Ds_Response": response,
			"Ds_AuthorisationCode": "270826", "Ds_TransactionType": "3", "Ds_SecurePayment": "0", "Ds_Language": "1",
			"Ds_MerchantData": "", "Ds_Card_Country": "724"})
	}
}

func TestRefund(t *testing.T) {
	t.Parallel()
	fake := newFakeREST(t, refundAnswer(t, "0900"))
	tests := []struct {
		name   string
		amount money.Money
	}{
		{"Full", money.Money{Amount: 4999, Currency: "EUR"}},
		{"Partial", money.Money{Amount: 1500, Currency: "EUR"}},
		{"Yen", money.Money{Amount: 5000, Currency: "JPY"}},
	}
	p := New(Options{})
	for i, tt := range tests {
		res, err := p.Refund(context.Background(), testAccount(gateway.ModeLive, fake.URL),
			gateway.RefundRequest{Ref: "0042AbCdEfGh", Amount: tt.amount, Reason: "asked by the student"})
		if err != nil {
			t.Fatalf("%s: Refund = %v", tt.name, err)
		}
		if want := (gateway.RefundResult{ID: "0042AbCdEfGh:270826", Status: "succeeded"}); res != want {
			t.Errorf("%s: result %+v, want %+v", tt.name, res, want)
		}
		reqs := fake.requests()
		if len(reqs) != i+1 {
			t.Fatalf("%s: %d requests, want %d", tt.name, len(reqs), i+1)
		}
		got := reqs[i]
		want := restRequest{Method: http.MethodPost, Path: "/sis/rest/trataPeticionREST", ContentType: "application/json",
			SignatureOK: true, Params: map[string]string{
				"DS_MERCHANT_AMOUNT": strconv.FormatInt(tt.amount.Amount, 10),
				"DS_MERCHANT_ORDER":  "0042AbCdEfGh", "DS_MERCHANT_MERCHANTCODE": testMerchant,
				"DS_MERCHANT_CURRENCY": money.Numeric(tt.amount.Currency), "DS_MERCHANT_TRANSACTIONTYPE": "3",
				"DS_MERCHANT_TERMINAL": testTerminal}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: request\n %+v\nwant\n %+v", tt.name, got, want)
		}
	}
}

func TestRefundFails(t *testing.T) {
	t.Parallel()
	refund := gateway.RefundRequest{Ref: "0042AbCdEfGh", Amount: money.Money{Amount: 1500, Currency: "EUR"}}
	tests := []struct {
		name        string
		answer      func(map[string]string) (int, string)
		unavailable bool
		msg         string
	}{
		{"Declined", refundAnswer(t, "0190"), false, "Ds_Response 0190"},
		{"ErrorCode", func(map[string]string) (int, string) { return http.StatusOK, `{"errorCode":"SIS0057"}` }, false, "SIS0057"},
		{"SignedWithAnotherKey", func(p map[string]string) (int, string) {
			return http.StatusOK, signedAnswer(t, otherKey, "0042AbCdEfGh", map[string]string{"Ds_Order": "0042AbCdEfGh", "Ds_Response": "0900"})
		}, false, "not authentic"},
		{"Unsigned", func(map[string]string) (int, string) {
			return http.StatusOK, `{"Ds_SignatureVersion":"HMAC_SHA256_V1","Ds_MerchantParameters":"e30="}`
		}, false, "not a signed message"},
		{"AboutAnotherOrder", func(map[string]string) (int, string) {
			return http.StatusOK, signedAnswer(t, testKey, "0042Zzzzzzzz", map[string]string{"Ds_Order": "0042Zzzzzzzz", "Ds_Response": "0900"})
		}, false, "about order"},
		{"NotJSON", func(map[string]string) (int, string) { return http.StatusOK, "<html>" }, false, "not JSON"},
		{"BadRequest", func(map[string]string) (int, string) { return http.StatusBadRequest, "{}" }, false, "HTTP 400"},
		{"ServerError", func(map[string]string) (int, string) { return http.StatusInternalServerError, "" }, true, "HTTP 500"},
		{"Unavailable", func(map[string]string) (int, string) { return http.StatusServiceUnavailable, "" }, true, "HTTP 503"},
		{"TooManyRequests", func(map[string]string) (int, string) { return http.StatusTooManyRequests, "" }, true, "HTTP 429"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeREST(t, tt.answer)
			res, err := New(Options{}).Refund(context.Background(), testAccount(gateway.ModeTest, fake.URL), refund)
			if err == nil || !strings.Contains(err.Error(), tt.msg) || errors.Is(err, gateway.ErrUnavailable) != tt.unavailable {
				t.Fatalf("Refund = %+v, %v; want an error saying %q (unavailable %v)", res, err, tt.msg, tt.unavailable)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Fatal("the error shows the merchant key")
			}
		})
	}
}

func TestRefundNetwork(t *testing.T) {
	t.Parallel()
	// A server that is gone.
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	refund := gateway.RefundRequest{Ref: "0042AbCdEfGh", Amount: money.Money{Amount: 1500, Currency: "EUR"}}
	if _, err := New(Options{}).Refund(context.Background(), testAccount(gateway.ModeTest, gone.URL), refund); !errors.Is(err, gateway.ErrUnavailable) {
		t.Errorf("Refund(closed server) = %v, want ErrUnavailable", err)
	}
	// A server that never answers, and a client that gives up.
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	_, err := New(Options{Timeout: 50 * time.Millisecond}).Refund(context.Background(), testAccount(gateway.ModeTest, slow.URL), refund)
	if !errors.Is(err, gateway.ErrUnavailable) {
		t.Errorf("Refund(timeout) = %v, want ErrUnavailable", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New(Options{}).Refund(ctx, testAccount(gateway.ModeTest, slow.URL), refund); !errors.Is(err, gateway.ErrUnavailable) {
		t.Errorf("Refund(canceled) = %v, want ErrUnavailable", err)
	}
}

func TestRefundRejects(t *testing.T) {
	t.Parallel()
	fake := newFakeREST(t, refundAnswer(t, "0900"))
	tests := []struct {
		name string
		req  gateway.RefundRequest
		acct func(*gateway.Account)
	}{
		{"NoReference", gateway.RefundRequest{Amount: money.Money{Amount: 100, Currency: "EUR"}}, nil},
		{"NotAnOrderNumber", gateway.RefundRequest{Ref: "cs_test_a1", Amount: money.Money{Amount: 100, Currency: "EUR"}}, nil},
		{"ZeroAmount", gateway.RefundRequest{Ref: "0042AbCdEfGh", Amount: money.Money{Currency: "EUR"}}, nil},
		{"UnknownCurrency", gateway.RefundRequest{Ref: "0042AbCdEfGh", Amount: money.Money{Amount: 100, Currency: "XTS"}}, nil},
		{"NoMerchantKey", gateway.RefundRequest{Ref: "0042AbCdEfGh", Amount: money.Money{Amount: 100, Currency: "EUR"}},
			func(a *gateway.Account) { delete(a.Credentials, CredMerchantKey) }},
	}
	for _, tt := range tests {
		acct := testAccount(gateway.ModeTest, fake.URL)
		if tt.acct != nil {
			tt.acct(&acct)
		}
		if _, err := New(Options{}).Refund(context.Background(), acct, tt.req); err == nil || errors.Is(err, gateway.ErrUnavailable) {
			t.Errorf("%s: Refund = %v, want a plain error", tt.name, err)
		}
	}
	if n := len(fake.requests()); n != 0 {
		t.Fatalf("rejected refunds made %d requests", n)
	}
}

func TestStatusUnsupported(t *testing.T) {
	t.Parallel()
	ev, err := New(Options{}).Status(context.Background(), testAccount(gateway.ModeTest, ""), "0042AbCdEfGh")
	if !errors.Is(err, gateway.ErrUnsupported) || !reflect.DeepEqual(ev, gateway.Event{}) {
		t.Fatalf("Status = %+v, %v; want ErrUnsupported", ev, err)
	}
}
