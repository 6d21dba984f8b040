package redsys

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"reflect"
	"testing"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// GATEWAYS.md, Redsys vector A (redsys-easy test/fixtures/rest/redirect.ts).
const (
	vectorOrder        = "0726qI3H7sZx"
	vectorOrderKey     = "GViV77kFjMPKVUcE9qxzlg=="
	vectorParams       = "eyJEU19NRVJDSEFOVF9UUkFOU0FDVElPTlRZUEUiOiIwIiwiRFNfTUVSQ0hBTlRfT1JERVIiOiIwNzI2cUkzSDdzWngiLCJEU19NRVJDSEFOVF9NRVJDSEFOVENPREUiOiI5OTkwMDg4ODEiLCJEU19NRVJDSEFOVF9URVJNSU5BTCI6IjEiLCJEU19NRVJDSEFOVF9BTU9VTlQiOiI0OTk5IiwiRFNfTUVSQ0hBTlRfQ1VSUkVOQ1kiOiI5NzgiLCJEU19NRVJDSEFOVF9NRVJDSEFOVFVSTCI6Imh0dHA6Ly93d3cucHJ1ZWJhLmNvbS91cmxOb3RpZmljYWNpb24ucGhwIiwiRFNfTUVSQ0hBTlRfVVJMT0siOiJodHRwOi8vd3d3LnBydWViYS5jb20vdXJsT0sucGhwIiwiRFNfTUVSQ0hBTlRfVVJMS08iOiJodHRwOi8vd3d3LnBydWViYS5jb20vdXJsS08ucGhwIn0="
	vectorSignature    = "TyW+LIa2GZnhCPLM7JSPwbQn4ZjOvMO/KiIf4yJgwo8="
	vectorNotification = "eyJEc19EYXRlIjoiMjIlMkYxMCUyRjIwMjEiLCJEc19Ib3VyIjoiMjIlM0E1MSIsIkRzX1NlY3VyZVBheW1lbnQiOiIxIiwiRHNfQ2FyZF9OdW1iZXIiOiI0NTQ4ODEqKioqKiowMDA0IiwiRHNfQ2FyZF9Db3VudHJ5IjoiNzI0IiwiRHNfQW1vdW50IjoiNDk5OSIsIkRzX0N1cnJlbmN5IjoiOTc4IiwiRHNfT3JkZXIiOiIwNzI2cUkzSDdzWngiLCJEc19NZXJjaGFudENvZGUiOiI5OTkwMDg4ODEiLCJEc19UZXJtaW5hbCI6IjAwMSIsIkRzX1Jlc3BvbnNlIjoiMDAwMCIsIkRzX01lcmNoYW50RGF0YSI6IiIsIkRzX1RyYW5zYWN0aW9uVHlwZSI6IjAiLCJEc19Db25zdW1lckxhbmd1YWdlIjoiMSIsIkRzX0F1dGhvcmlzYXRpb25Db2RlIjoiMDUyMDI5IiwiRHNfQ2FyZF9CcmFuZCI6IjEiLCJEc19Qcm9jZXNzZWRQYXlNZXRob2QiOiIxIn0="
	vectorNotifSig     = "52nPyUkyDws__OfMqDka_yN-arxzulELZC1TYTvvR0s="
)

// GATEWAYS.md, Redsys vector B (redsys-easy src/crypto.test.ts).
const (
	vectorBOrder = "012345678"
	vectorBKey   = "ub0/L8+E9+9ITQJwk3SvHA=="
)

// redsys-easy test/fixtures/rest/json-response.ts: a REST answer, another merchant key and a 10-digit order.
const (
	jsonKey       = "Mk9m98IfEblmPfrpsawt7BmxObt98Jev"
	jsonOrder     = "1446068581"
	jsonOrderKey  = "Uv3ZTYJhPi5Hpi9R6NzR6w=="
	jsonParams    = "eyJEc19BbW91bnQiOiIxNDUiLCJEc19DdXJyZW5jeSI6Ijk3OCIsIkRzX09yZGVyIjoiMTQ0NjA2ODU4MSIsIkRzX01lcmNoYW50Q29kZSI6Ijk5OTAwODg4MSIsIkRzX1Rlcm1pbmFsIjoiMSIsIkRzX1Jlc3BvbnNlIjoiMDAwMCIsIkRzX0F1dGhvcmlzYXRpb25Db2RlIjoiNTAxNjAyIiwiRHNfVHJhbnNhY3Rpb25UeXBlIjoiMCIsIkRzX1NlY3VyZVBheW1lbnQiOiIwIiwiRHNfTGFuZ3VhZ2UiOiIxIiwiRHNfQ2FyZE51bWJlciI6IjQ1NDg4MSoqKioqKioqMDQiLCJEc19NZXJjaGFudERhdGEiOiIiLCJEc19DYXJkX0NvdW50cnkiOiI3MjQiLCJEc19DYXJkX0JyYW5kIjoiMSJ9"
	jsonSignature = "IoGNijSDZGbk+qChH2iqRCg6jZVl3Ee6Ha/WBM4wgto="
)

func mustKey(t *testing.T, s string) []byte {
	t.Helper()
	k, err := merchantKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestVectorA(t *testing.T) {
	t.Parallel()
	key := mustKey(t, testKey)
	k, err := orderKey(key, vectorOrder)
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.StdEncoding.EncodeToString(k); got != vectorOrderKey {
		t.Errorf("order key = %s, want %s", got, vectorOrderKey)
	}
	if got, err := sign(key, vectorOrder, vectorParams); err != nil || got != vectorSignature {
		t.Errorf("request signature = %s, %v; want %s", got, err, vectorSignature)
	}
	sig, err := signature(key, vectorOrder, vectorNotification)
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.URLEncoding.EncodeToString(sig); got != vectorNotifSig {
		t.Errorf("notification signature = %s, want %s", got, vectorNotifSig)
	}
	// The test helper signs the same way.
	if got := base64.StdEncoding.EncodeToString(refSign(t, testKey, vectorOrder, vectorParams)); got != vectorSignature {
		t.Errorf("refSign = %s, want %s", got, vectorSignature)
	}
}

func TestVectorANotification(t *testing.T) {
	t.Parallel()
	body := url.Values{FieldSignatureVersion: {SignatureVersion}, FieldMerchantParameters: {vectorNotification},
		FieldSignature: {vectorNotifSig}}.Encode()
	ev, err := New(Options{}).Verify(context.Background(), testAccount(gateway.ModeTest, ""), inbound([]byte(body)))
	if err != nil {
		t.Fatalf("Verify(vector A notification) = %v", err)
	}
	want := gateway.Event{ID: "0726qI3H7sZx:0:0000:052029", Type: "payment:0000", Kind: gateway.EventPaid,
		Ref: vectorOrder, Amount: money.Money{Amount: 4999, Currency: "EUR"}}
	if !reflect.DeepEqual(ev, want) {
		t.Fatalf("event =\n %+v\nwant\n %+v", ev, want)
	}
}

func TestVectorB(t *testing.T) {
	t.Parallel()
	k, err := orderKey(mustKey(t, testKey), vectorBOrder)
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.StdEncoding.EncodeToString(k); got != vectorBKey {
		t.Fatalf("encrypt3DES(%q) = %s, want %s", vectorBOrder, got, vectorBKey)
	}
}

func TestJSONResponseVector(t *testing.T) {
	t.Parallel()
	key := mustKey(t, jsonKey)
	k, err := orderKey(key, jsonOrder)
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.StdEncoding.EncodeToString(k); got != jsonOrderKey {
		t.Errorf("order key = %s, want %s", got, jsonOrderKey)
	}
	values, err := restValues(key, "test", []byte(`{"Ds_SignatureVersion":"HMAC_SHA256_V1","Ds_MerchantParameters":"`+
		jsonParams+`","Ds_Signature":"`+jsonSignature+`"}`))
	if err != nil {
		t.Fatalf("restValues = %v", err)
	}
	if values["ds_order"] != jsonOrder || values["ds_response"] != "0000" || values["ds_amount"] != "145" {
		t.Fatalf("values = %v", values)
	}
}

func TestMerchantKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"Standard", testKey, true},
		{"Surrounded by spaces", "  " + testKey + "\n", true},
		{"Empty", "", false},
		{"Not base64", "sq7HjrUOBfKmC576ILgskD5srU870gJ!", false},
		{"16 bytes", base64.StdEncoding.EncodeToString(make([]byte, 16)), false},
		{"32 bytes", base64.StdEncoding.EncodeToString(make([]byte, 32)), false},
	}
	for _, tt := range tests {
		k, err := merchantKey(tt.in)
		if (err == nil) != tt.ok || (tt.ok && len(k) != 24) {
			t.Errorf("%s: merchantKey = %d bytes, %v; want ok %v", tt.name, len(k), err, tt.ok)
		}
		if err != nil && bytes.Contains([]byte(err.Error()), []byte(tt.in)) && tt.in != "" {
			t.Errorf("%s: the error %q shows the key", tt.name, err)
		}
	}
}

func TestDecode64(t *testing.T) {
	t.Parallel()
	want := []byte{0xfb, 0xff, 0xbf, 0x01}
	tests := []struct {
		name string
		in   string
	}{
		{"Standard", "+/+/AQ=="},
		{"URL-safe", "-_-_AQ=="},
		{"Unpadded", "-_-_AQ"},
		{"Form-decoded plus", " /+/AQ=="},
	}
	for _, tt := range tests {
		if got, err := decode64(tt.in); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: decode64(%q) = %x, %v; want %x", tt.name, tt.in, got, err, want)
		}
	}
	if _, err := decode64("not*base64"); err == nil {
		t.Error("decode64 accepted '*'")
	}
}

func TestEncodeParams(t *testing.T) {
	t.Parallel()
	text := encodeParams([]param{{"DS_MERCHANT_ORDER", "0042abc"}, {"DS_MERCHANT_PRODUCTDESCRIPTION",
		`Curso de español "avanzado" & más 🎓`}, {"DS_MERCHANT_URLOK", "https://school.test/o/a/paid?order=A-1&attempt=2"}})
	raw, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range raw {
		if b >= 0x80 {
			t.Fatalf("parameters are not ASCII: %s", raw)
		}
	}
	want := `{"DS_MERCHANT_ORDER":"0042abc","DS_MERCHANT_PRODUCTDESCRIPTION":"Curso de espa\u00f1ol \"avanzado\" & m\u00e1s \ud83c\udf93","DS_MERCHANT_URLOK":"https://school.test/o/a/paid?order=A-1&attempt=2"}`
	if string(raw) != want {
		t.Fatalf("parameters\n %s\nwant\n %s", raw, want)
	}
	var back map[string]string
	if err := json.Unmarshal(raw, &back); err != nil || back["DS_MERCHANT_PRODUCTDESCRIPTION"] != `Curso de español "avanzado" & más 🎓` {
		t.Fatalf("parameters read back as %v, %v", back, err)
	}
}

func TestCurrencies(t *testing.T) {
	t.Parallel()
	required := []string{"EUR", "USD", "GBP", "CHF", "JPY", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "RON", "BGN",
		"MXN", "ARS", "BRL", "CLP", "COP", "PEN", "UAH", "CAD", "AUD"}
	for _, code := range required {
		n := numericCurrency(code)
		if n == "" || !money.Known(code) {
			t.Errorf("%s is missing", code)
			continue
		}
		if got := alphaCurrency(n); got != code {
			t.Errorf("alphaCurrency(%s) = %s, want %s", n, got, code)
		}
	}
	if numericCurrency("eur") != "978" || numericCurrency("XXQ") != "" {
		t.Error("numericCurrency does not read letter case or unknown codes right")
	}
	tests := []struct{ in, want string }{
		{"978", "EUR"}, {"36", "AUD"}, {"036", "AUD"}, {"0978", ""}, {"999", ""}, {"", ""}, {"-1", ""}, {"9a", ""},
	}
	for _, tt := range tests {
		if got := alphaCurrency(tt.in); got != tt.want {
			t.Errorf("alphaCurrency(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if numericCurrency("eur") != "978" || numericCurrency("XTS") != "" {
		t.Error("numericCurrency")
	}
}

func TestLanguage(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"es", "001"}, {"en", "002"}, {"ca", "003"}, {"fr", "004"}, {"de", "005"}, {"it", "007"}, {"pt-BR", "009"},
		{"ru", "643"}, {"EN", "002"}, {"uk", ""}, {"", ""},
	}
	for _, tt := range tests {
		if got := language(tt.in); got != tt.want {
			t.Errorf("language(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
