package redsys

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// testCheckout is order 1234567 (A-0042) of 49.99 EUR.
func testCheckout() gateway.Checkout {
	return gateway.Checkout{OrderID: 1234567, OrderNumber: "A-0042", Amount: money.Money{Amount: 4999, Currency: "EUR"},
		Title: "Curso de guitarra", Language: "es", Email: "ana@example.com",
		SuccessURL: "https://school.test/o/guitar/paid?order=A-0042&attempt=7",
		CancelURL:  "https://school.test/o/guitar/cancelled?order=A-0042&system=9",
		NotifyURL:  "https://school.test/webhooks/9"}
}

// formFields is the form's fields by name, failing on a repeated name.
func formFields(t *testing.T, f *gateway.Form) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, kv := range f.Fields {
		if _, dup := out[kv[0]]; dup {
			t.Fatalf("field %s twice", kv[0])
		}
		out[kv[0]] = kv[1]
	}
	return out
}

// beginParams decodes the form's Ds_MerchantParameters and checks its signature with the test key.
func beginParams(t *testing.T, red gateway.Redirect) map[string]string {
	t.Helper()
	if red.Form == nil || red.URL != "" {
		t.Fatalf("redirect = %+v, want a form", red)
	}
	fields := formFields(t, red.Form)
	if fields[FieldSignatureVersion] != SignatureVersion {
		t.Fatalf("%s = %q", FieldSignatureVersion, fields[FieldSignatureVersion])
	}
	raw, err := base64.StdEncoding.DecodeString(fields[FieldMerchantParameters])
	if err != nil {
		t.Fatalf("parameters are not standard base64: %v", err)
	}
	var params map[string]string
	if err := json.Unmarshal(raw, &params); err != nil {
		t.Fatalf("parameters %s: %v", raw, err)
	}
	want := base64.StdEncoding.EncodeToString(refSign(t, testKey, params["DS_MERCHANT_ORDER"], fields[FieldMerchantParameters]))
	if fields[FieldSignature] != want {
		t.Fatalf("%s = %s, want %s", FieldSignature, fields[FieldSignature], want)
	}
	return params
}

func TestBegin(t *testing.T) {
	t.Parallel()
	p := New(Options{})
	c := testCheckout()
	red, err := p.Begin(context.Background(), testAccount(gateway.ModeTest, ""), c)
	if err != nil {
		t.Fatalf("Begin = %v", err)
	}
	if red.Form.Action != "https://sis-t.redsys.es:25443/sis/realizarPago" {
		t.Errorf("action %s", red.Form.Action)
	}
	names := []string{red.Form.Fields[0][0], red.Form.Fields[1][0], red.Form.Fields[2][0]}
	if len(red.Form.Fields) != 3 || !reflect.DeepEqual(names, []string{FieldSignatureVersion, FieldMerchantParameters, FieldSignature}) {
		t.Errorf("fields %v", red.Form.Fields)
	}
	if !regexp.MustCompile(`^4567[A-Z2-7]{8}$`).MatchString(red.Ref) {
		t.Errorf("Ref %q, want 4567 and 8 random characters", red.Ref)
	}
	params := beginParams(t, red)
	want := map[string]string{
		"DS_MERCHANT_AMOUNT":             "4999",
		"DS_MERCHANT_ORDER":              red.Ref,
		"DS_MERCHANT_MERCHANTCODE":       testMerchant,
		"DS_MERCHANT_CURRENCY":           "978",
		"DS_MERCHANT_TRANSACTIONTYPE":    "0",
		"DS_MERCHANT_TERMINAL":           testTerminal,
		"DS_MERCHANT_MERCHANTURL":        c.NotifyURL,
		"DS_MERCHANT_URLOK":              c.SuccessURL,
		"DS_MERCHANT_URLKO":              c.CancelURL,
		"DS_MERCHANT_MERCHANTDATA":       "1234567",
		"DS_MERCHANT_PRODUCTDESCRIPTION": "Curso de guitarra",
		"DS_MERCHANT_CONSUMERLANGUAGE":   "001",
	}
	if !reflect.DeepEqual(params, want) {
		t.Errorf("parameters\n %v\nwant\n %v", params, want)
	}

	// Every attempt has its own order number.
	again, err := p.Begin(context.Background(), testAccount(gateway.ModeTest, ""), c)
	if err != nil || again.Ref == red.Ref || !strings.HasPrefix(again.Ref, "4567") {
		t.Errorf("second attempt Ref %q (%v), first %q", again.Ref, err, red.Ref)
	}
}

func TestBeginEndpoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, mode, apiURL, want string
	}{
		{"Test", gateway.ModeTest, "", "https://sis-t.redsys.es:25443/sis/realizarPago"},
		{"Live", gateway.ModeLive, "", "https://sis.redsys.es/sis/realizarPago"},
		{"NoModeIsTest", "", "", "https://sis-t.redsys.es:25443/sis/realizarPago"},
		{"APIURL", gateway.ModeLive, "http://127.0.0.1:5555", "http://127.0.0.1:5555/sis/realizarPago"},
		{"APIURLWithSlash", gateway.ModeTest, "http://127.0.0.1:5555/", "http://127.0.0.1:5555/sis/realizarPago"},
	}
	for _, tt := range tests {
		red, err := New(Options{}).Begin(context.Background(), testAccount(tt.mode, tt.apiURL), testCheckout())
		if err != nil || red.Form.Action != tt.want {
			t.Errorf("%s: action %v (%v), want %s", tt.name, red.Form, err, tt.want)
		}
	}
}

func TestBeginParameters(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Guitarra española ", 10)
	tests := []struct {
		name   string
		edit   func(*gateway.Checkout)
		param  string
		want   string
		absent bool
	}{
		{"English", func(c *gateway.Checkout) { c.Language = "en" }, "DS_MERCHANT_CONSUMERLANGUAGE", "002", false},
		{"French", func(c *gateway.Checkout) { c.Language = "fr" }, "DS_MERCHANT_CONSUMERLANGUAGE", "004", false},
		{"UkrainianHasNoCode", func(c *gateway.Checkout) { c.Language = "uk" }, "DS_MERCHANT_CONSUMERLANGUAGE", "", true},
		{"YenHasNoDecimals", func(c *gateway.Checkout) { c.Amount = money.Money{Amount: 5000, Currency: "JPY"} }, "DS_MERCHANT_CURRENCY", "392", false},
		{"AmountInMinorUnits", func(c *gateway.Checkout) { c.Amount = money.Money{Amount: 154736, Currency: "UAH"} }, "DS_MERCHANT_AMOUNT", "154736", false},
		{"LongTitleCut", func(c *gateway.Checkout) { c.Title = long }, "DS_MERCHANT_PRODUCTDESCRIPTION", strings.TrimSpace(string([]rune(strings.TrimSpace(long))[:125])), false},
		{"NoTitle", func(c *gateway.Checkout) { c.Title = "  " }, "DS_MERCHANT_PRODUCTDESCRIPTION", "Order A-0042", false},
		{"ShortOrderID", func(c *gateway.Checkout) { c.OrderID = 7 }, "DS_MERCHANT_MERCHANTDATA", "7", false},
	}
	for _, tt := range tests {
		c := testCheckout()
		tt.edit(&c)
		red, err := New(Options{}).Begin(context.Background(), testAccount(gateway.ModeTest, ""), c)
		if err != nil {
			t.Errorf("%s: Begin = %v", tt.name, err)
			continue
		}
		params := beginParams(t, red)
		got, ok := params[tt.param]
		if ok == tt.absent || got != tt.want {
			t.Errorf("%s: %s = %q (present %v), want %q", tt.name, tt.param, got, ok, tt.want)
		}
		if len([]rune(params["DS_MERCHANT_PRODUCTDESCRIPTION"])) > 125 {
			t.Errorf("%s: description longer than 125", tt.name)
		}
		if c.OrderID == 7 && !strings.HasPrefix(red.Ref, "0007") {
			t.Errorf("%s: Ref %q, want 0007…", tt.name, red.Ref)
		}
	}
}

func TestBeginRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		acct    func(*gateway.Account)
		edit    func(*gateway.Checkout)
		wantMsg string
	}{
		{"UnknownCurrency", nil, func(c *gateway.Checkout) { c.Amount.Currency = "XTS" }, `currency "XTS"`},
		{"ZeroAmount", nil, func(c *gateway.Checkout) { c.Amount.Amount = 0 }, "positive amount"},
		{"NoNotifyURL", nil, func(c *gateway.Checkout) { c.NotifyURL = "" }, "URLs are required"},
		{"URLTooLong", nil, func(c *gateway.Checkout) { c.SuccessURL += strings.Repeat("x", 250) }, "longer than"},
		{"NoMerchantKey", func(a *gateway.Account) { a.Credentials = nil }, nil, "merchant_key"},
		{"ShortMerchantKey", func(a *gateway.Account) { a.Credentials[CredMerchantKey] = "c2hvcnQ=" }, nil, "merchant_key"},
		{"NoMerchantCode", func(a *gateway.Account) { delete(a.System.Settings, SettingMerchantCode) }, nil, "merchant_code"},
		{"TerminalNotDigits", func(a *gateway.Account) { a.System.Settings[SettingTerminal] = "1a" }, nil, "terminal"},
	}
	for _, tt := range tests {
		acct := testAccount(gateway.ModeTest, "")
		if tt.acct != nil {
			tt.acct(&acct)
		}
		c := testCheckout()
		if tt.edit != nil {
			tt.edit(&c)
		}
		red, err := New(Options{}).Begin(context.Background(), acct, c)
		if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
			t.Errorf("%s: Begin = %+v, %v; want an error saying %q", tt.name, red, err, tt.wantMsg)
		}
		if err != nil && strings.Contains(err.Error(), testKey) {
			t.Errorf("%s: the error shows the merchant key", tt.name)
		}
	}
}
