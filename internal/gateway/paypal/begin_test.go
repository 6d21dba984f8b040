package paypal

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	paypalsdk "github.com/plutov/paypal/v4"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/paypal/paypalfake"
	"github.com/bursar/bursar/internal/money"
)

func TestBeginCreatesTheOrder(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	c := checkout()
	red, err := New(Options{}).Begin(context.Background(), fakeAccount(fake.URL), c)
	if err != nil {
		t.Fatalf("Begin = %v", err)
	}
	if red.URL != "https://www.sandbox.paypal.com/checkoutnow?token="+red.Ref || red.Form != nil || !validID(red.Ref) {
		t.Fatalf("redirect = %+v, want the approval link of the order", red)
	}
	o, ok := fake.Order(red.Ref)
	if !ok {
		t.Fatalf("the fake has no order %s", red.Ref)
	}
	want := paypalfake.Order{ID: red.Ref, Status: "CREATED", Intent: "CAPTURE", ReferenceID: "A-0042", CustomID: "42",
		Description: "Curso de español A1 & <más>", Amount: paypalfake.Money{Currency: "EUR", Value: "49.90"},
		ItemNames: []string{"Curso de español A1 & <más>"}, ReturnURL: c.SuccessURL, CancelURL: c.CancelURL,
		UserAction: "PAY_NOW", Shipping: "NO_SHIPPING", Locale: "es-ES", RequestID: checkoutKey(c)}
	if got, _ := json.Marshal(o); string(got) != string(mustJSON(t, want)) {
		t.Fatalf("order =\n %s\nwant\n %s", got, mustJSON(t, want))
	}

	tokens := requests(fake, "POST /v1/oauth2/token")
	if len(tokens) != 1 {
		t.Fatalf("%d token requests, want 1", len(tokens))
	}
	wantBasic := "Basic " + base64.StdEncoding.EncodeToString([]byte(paypalfake.ClientID+":"+paypalfake.ClientSecret))
	if got := tokens[0].Header.Get("Authorization"); got != wantBasic || string(tokens[0].Body) != "grant_type=client_credentials" {
		t.Fatalf("token request: Authorization %q, body %q", got, tokens[0].Body)
	}
	creates := requests(fake, "POST /v2/checkout/orders")
	if len(creates) != 1 {
		t.Fatalf("%d create requests, want 1", len(creates))
	}
	req := creates[0]
	if !strings.HasPrefix(req.Header.Get("Authorization"), "Bearer A21AA") || req.Header.Get("PayPal-Request-Id") != checkoutKey(c) ||
		req.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("create headers = %v", req.Header)
	}
	var body struct {
		Intent string `json:"intent"`
		Payer  struct {
			EmailAddress string `json:"email_address"`
		} `json:"payer"`
		PurchaseUnits []struct {
			Amount struct {
				paypalsdk.Money
				Breakdown struct {
					ItemTotal paypalsdk.Money `json:"item_total"`
				} `json:"breakdown"`
			} `json:"amount"`
			Items []paypalsdk.Item `json:"items"`
		} `json:"purchase_units"`
	}
	if err := json.Unmarshal(req.Body, &body); err != nil {
		t.Fatal(err)
	}
	eur := paypalsdk.Money{Currency: "EUR", Value: "49.90"}
	if body.Intent != "CAPTURE" || body.Payer.EmailAddress != "ana@example.com" || len(body.PurchaseUnits) != 1 ||
		body.PurchaseUnits[0].Amount.Money != eur || body.PurchaseUnits[0].Amount.Breakdown.ItemTotal != eur ||
		len(body.PurchaseUnits[0].Items) != 1 || body.PurchaseUnits[0].Items[0].Quantity != "1" ||
		*body.PurchaseUnits[0].Items[0].UnitAmount != eur || body.PurchaseUnits[0].Items[0].Category != "DIGITAL_GOODS" {
		t.Fatalf("create body = %s", req.Body)
	}
	if !bytes.Contains(req.Body, []byte(`A1 & <más>"`)) {
		t.Errorf("the title was HTML-escaped: %s", req.Body)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBeginIsIdempotent(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	first := begun(t, p, fake, checkout())
	if again := begun(t, p, fake, checkout()); again != first {
		t.Fatalf("the same checkout made orders %s and %s", first, again)
	}
	other := checkout()
	other.SuccessURL = "https://school.test/o/a1/paid?order=A-0042&attempt=10"
	if next := begun(t, p, fake, other); next == first {
		t.Fatal("a new attempt reused the previous PayPal order")
	}
	if n := len(requests(fake, "POST /v1/oauth2/token")); n != 1 {
		t.Errorf("%d token requests for three calls, want 1 (tokens are cached)", n)
	}
}

func TestBeginGuestAndLocale(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	tests := []struct {
		lang, email, wantLocale string
	}{
		{"en", "", "en-US"},
		{"fr", "ana@example.com", "fr-FR"},
		{"ru", "", "ru-RU"},
		{"uk", "", ""},
		{"pt-BR", "", "pt-BR"},
		{"de-AT", "", "de-DE"},
		{"", "", ""},
	}
	p := New(Options{})
	for _, tt := range tests {
		c := checkout()
		c.Language, c.Email = tt.lang, tt.email
		id := begun(t, p, fake, c)
		o, _ := fake.Order(id)
		if o.Locale != tt.wantLocale {
			t.Errorf("language %q: locale %q, want %q", tt.lang, o.Locale, tt.wantLocale)
		}
		reqs := requests(fake, "POST /v2/checkout/orders")
		if sent := bytes.Contains(reqs[len(reqs)-1].Body, []byte(`"payer"`)); sent != (tt.email != "") {
			t.Errorf("language %q: payer sent = %v, want %v", tt.lang, sent, tt.email != "")
		}
	}
}

func TestBeginRejectsBadInput(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	noSecret := fakeAccount(fake.URL)
	noSecret.Credentials = nil
	noClient := fakeAccount(fake.URL)
	noClient.System.Settings = nil
	tests := []struct {
		name string
		edit func(*gateway.Checkout)
		acct gateway.Account
	}{
		{"NoSecret", func(*gateway.Checkout) {}, noSecret},
		{"NoClientID", func(*gateway.Checkout) {}, noClient},
		{"ZeroAmount", func(c *gateway.Checkout) { c.Amount.Amount = 0 }, fakeAccount(fake.URL)},
		{"NoCurrency", func(c *gateway.Checkout) { c.Amount.Currency = "" }, fakeAccount(fake.URL)},
		{"NoOrder", func(c *gateway.Checkout) { c.OrderID = 0 }, fakeAccount(fake.URL)},
		{"NoSuccessURL", func(c *gateway.Checkout) { c.SuccessURL = "" }, fakeAccount(fake.URL)},
		{"ForintCents", func(c *gateway.Checkout) { c.Amount = money.Money{Amount: 100050, Currency: "HUF"} }, fakeAccount(fake.URL)},
	}
	for _, tt := range tests {
		c := checkout()
		tt.edit(&c)
		_, err := New(Options{}).Begin(context.Background(), tt.acct, c)
		if err == nil || errors.Is(err, gateway.ErrUnavailable) {
			t.Errorf("%s: Begin = %v, want a plain error before calling PayPal", tt.name, err)
		}
		if strings.Contains(errText(err), paypalfake.ClientSecret) {
			t.Errorf("%s: the error shows the secret: %v", tt.name, err)
		}
	}
	if n := len(fake.Requests()); n != 0 {
		t.Fatalf("%d requests reached PayPal", n)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestBeginRefused(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	wrong := fakeAccount(fake.URL)
	wrong.Credentials = map[string]string{CredClientSecret: "not-the-secret"}
	_, err := New(Options{}).Begin(context.Background(), wrong, checkout())
	if err == nil || errors.Is(err, gateway.ErrUnavailable) || strings.Contains(err.Error(), "not-the-secret") ||
		!strings.Contains(err.Error(), "401") {
		t.Fatalf("Begin(wrong secret) = %v, want a plain 401 error without the secret", err)
	}
	// PayPal takes at most two decimals (KWD has three): a plain error carrying PayPal's issue.
	dinar := checkout()
	dinar.Amount = money.Money{Amount: 5001, Currency: "KWD"}
	_, err = New(Options{}).Begin(context.Background(), fakeAccount(fake.URL), dinar)
	if err == nil || errors.Is(err, gateway.ErrUnavailable) || !strings.Contains(err.Error(), "DECIMAL_PRECISION") {
		t.Fatalf("Begin(KWD) = %v, want PayPal's DECIMAL_PRECISION", err)
	}
}

func TestBeginUnavailable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request, hang <-chan struct{})
		want    bool
		wantMsg string
	}{
		{"500WithAnHTMLPage", func(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
			http.Error(w, "<html>oops</html>", http.StatusInternalServerError)
		}, true, ""},
		{"503WithAPayPalError", func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
			if r.URL.Path == "/v1/oauth2/token" {
				_, _ = io.WriteString(w, `{"access_token":"x","token_type":"Bearer","expires_in":32400}`)
				return
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"name":"SERVICE_UNAVAILABLE","message":"Service Unavailable.","debug_id":"90957fca61718"}`)
		}, true, "SERVICE_UNAVAILABLE"},
		{"429RateLimited", func(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"name":"RATE_LIMIT_REACHED","message":"Too many requests."}`)
		}, true, ""},
		{"HangsPastTheTimeout", func(w http.ResponseWriter, r *http.Request, hang <-chan struct{}) {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}, true, ""},
		{"HangsInTheBody", func(w http.ResponseWriter, r *http.Request, hang <-chan struct{}) {
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, `{"access_token":"x`)
			w.(http.Flusher).Flush()
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}, true, ""},
		{"400IsTheCallersProblem", func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
			if r.URL.Path == "/v1/oauth2/token" {
				_, _ = io.WriteString(w, `{"access_token":"x","token_type":"Bearer","expires_in":32400}`)
				return
			}
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"name":"INVALID_REQUEST","message":"Request is not well-formed.","details":[{"issue":"INVALID_PARAMETER_VALUE"}]}`)
		}, false, "INVALID_PARAMETER_VALUE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hang := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tt.handler(w, r, hang) }))
			t.Cleanup(srv.Close)
			t.Cleanup(func() { close(hang) }) // runs first: cleanups run last-in first-out
			start := time.Now()
			_, err := New(Options{Timeout: 300 * time.Millisecond}).Begin(context.Background(), fakeAccount(srv.URL), checkout())
			if err == nil || errors.Is(err, gateway.ErrUnavailable) != tt.want {
				t.Fatalf("Begin = %v, want unavailable %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Begin = %v, want PayPal's %q", err, tt.wantMsg)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("Begin took %s despite a 300 ms timeout", d)
			}
		})
	}
}

func TestBeginUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close()
	_, err := New(Options{Timeout: time.Second}).Begin(context.Background(), fakeAccount(addr), checkout())
	if !errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("Begin(closed port) = %v, want ErrUnavailable", err)
	}
}

func TestBeginFakeFailing(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	fake.Fail("POST /v2/checkout/orders", http.StatusInternalServerError)
	_, err := New(Options{}).Begin(context.Background(), fakeAccount(fake.URL), checkout())
	if !errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("Begin(500) = %v, want ErrUnavailable", err)
	}
}

func TestTokenRenewedWhenRefused(t *testing.T) {
	t.Parallel()
	fake := paypalfake.Start(t)
	p := New(Options{})
	begun(t, p, fake, checkout())
	fake.RevokeTokens() // PayPal no longer accepts the cached token
	c := checkout()
	c.Amount.Amount++
	begun(t, p, fake, c)
	if n := len(requests(fake, "POST /v1/oauth2/token")); n != 2 {
		t.Fatalf("%d token requests, want 2 (the refused token replaced once)", n)
	}
	if n := len(requests(fake, "POST /v2/checkout/orders")); n != 3 {
		t.Fatalf("%d create requests, want 3 (one refused, sent again)", n)
	}
}

func TestAPIBase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode, override, want string
	}{
		{gateway.ModeTest, "", SandboxAPIURL},
		{gateway.ModeLive, "", LiveAPIURL},
		{"", "", SandboxAPIURL},
		{gateway.ModeLive, "http://127.0.0.1:9/", "http://127.0.0.1:9"},
	}
	for _, tt := range tests {
		acct := gateway.Account{System: gateway.System{Mode: tt.mode}, APIURL: tt.override}
		if got := apiBase(acct); got != tt.want {
			t.Errorf("mode %q, override %q: %s, want %s", tt.mode, tt.override, got, tt.want)
		}
	}
}

func TestValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		m       money.Money
		want    string
		wantErr bool
	}{
		{money.Money{Amount: 4990, Currency: "EUR"}, "49.90", false},
		{money.Money{Amount: 1, Currency: "USD"}, "0.01", false},
		{money.Money{Amount: 123456789, Currency: "GBP"}, "1234567.89", false},
		{money.Money{Amount: 5000, Currency: "JPY"}, "5000", false},
		{money.Money{Amount: 100000, Currency: "HUF"}, "1000", false},
		{money.Money{Amount: 250000, Currency: "TWD"}, "2500", false},
		{money.Money{Amount: 100050, Currency: "HUF"}, "", true},
		{money.Money{Amount: -1, Currency: "EUR"}, "", true},
		{money.Money{Amount: 1, Currency: "EU"}, "", true},
	}
	for _, tt := range tests {
		got, err := value(tt.m)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("value(%v) = %q, %v; want %q, error %v", tt.m, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		currency, value string
		want            int64
		wantErr         bool
	}{
		{"EUR", "49.90", 4990, false},
		{"EUR", "49.9", 4990, false},
		{"EUR", "49", 4900, false},
		{"EUR", "0.01", 1, false},
		{"EUR", "49.900", 4990, false},
		{"JPY", "5000", 5000, false},
		{"JPY", "5000.00", 5000, false},
		{"HUF", "1000", 100000, false},
		{"KWD", "1.234", 1234, false},
		{"USD", "10000000000.00", 1_000_000_000_000, false},
		{"USD", "10000000000.01", 0, true},
		{"EUR", "49.901", 0, true},
		{"JPY", "5000.5", 0, true},
		{"EUR", "-1.00", 0, true},
		{"EUR", "1e3", 0, true},
		{"EUR", "", 0, true},
		{"EUR", ".5", 0, true},
		{"EUR", "5.", 0, true},
		{"EUR", " 5", 0, true},
		{"EUR", "1,5", 0, true},
		{"eur", "1.00", 0, true},
		{"", "1.00", 0, true},
		{"EUR", "99999999999999999999", 0, true},
	}
	for _, tt := range tests {
		got, err := amount(paypalsdk.Money{Currency: tt.currency, Value: tt.value})
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != money.Money{Amount: tt.want, Currency: tt.currency}) {
			t.Errorf("amount(%s %q) = %v, %v; want %d, error %v", tt.currency, tt.value, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestCheckoutKey(t *testing.T) {
	t.Parallel()
	a, b := checkout(), checkout()
	if checkoutKey(a) != checkoutKey(b) {
		t.Fatal("the same checkout has two request ids")
	}
	b.SuccessURL += "0"
	c := checkout()
	c.Amount.Amount++
	if checkoutKey(a) == checkoutKey(b) || checkoutKey(a) == checkoutKey(c) {
		t.Fatal("a different attempt or amount shares the request id")
	}
	if n := len(checkoutKey(a)); n > 108 {
		t.Fatalf("request id of %d characters, PayPal takes 108", n)
	}
}
