package redsys

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

const otherKey = "Mk9m98IfEblmPfrpsawt7BmxObt98Jev"

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	const order = "0042AbCdEfGh"
	// Parameters with a "+" in their base64, to post it unescaped.
	var params string
	for i := 0; !strings.Contains(params, "+"); i++ {
		if i == 3 {
			t.Fatal("no parameters with a + in their base64")
		}
		v := paymentValues("0", "0000")
		v["Ds_ProcessedPayMethod"] = strings.Repeat("~", i+1) // 0x7E ends in "+" in one of three positions
		params = notificationParams(t, v)
	}
	sig := refSign(t, testKey, order, params)
	form := func(version, params, signature string) []byte {
		v := url.Values{}
		if version != "" {
			v.Set(FieldSignatureVersion, version)
		}
		if params != "" {
			v.Set(FieldMerchantParameters, params)
		}
		if signature != "" {
			v.Set(FieldSignature, signature)
		}
		return []byte(v.Encode())
	}
	std := base64.StdEncoding.EncodeToString(sig)
	urlSafe := base64.URLEncoding.EncodeToString(sig)
	urlParams := strings.NewReplacer("+", "-", "/", "_").Replace(params)
	rawJSON, _ := json.Marshal(map[string]string{FieldSignatureVersion: SignatureVersion, FieldMerchantParameters: params,
		FieldSignature: urlSafe})
	tamperedParams := notificationParams(t, func() map[string]string {
		v := paymentValues("0", "0000")
		v["Ds_Amount"] = "1"
		return v
	}())
	tests := []struct {
		name string
		key  string
		body []byte
		ok   bool
	}{
		{"FormURLSafeSignature", testKey, form(SignatureVersion, params, urlSafe), true},
		{"FormStandardSignature", testKey, form(SignatureVersion, params, std), true},
		{"FormUnpaddedSignature", testKey, form(SignatureVersion, params, strings.TrimRight(urlSafe, "=")), true},
		{"JSONBody", testKey, rawJSON, true},
		{"URLSafeParameters", testKey, form(SignatureVersion, urlParams, base64.URLEncoding.EncodeToString(refSign(t, testKey, order, urlParams))), true},
		{"UnescapedPlusInForm", testKey, []byte("Ds_SignatureVersion=HMAC_SHA256_V1&Ds_MerchantParameters=" + params +
			"&Ds_Signature=" + urlSafe), true},
		{"TamperedParameters", testKey, form(SignatureVersion, tamperedParams, urlSafe), false},
		{"WrongKey", otherKey, form(SignatureVersion, params, urlSafe), false},
		{"SignedByAnotherKey", testKey, form(SignatureVersion, params, base64.URLEncoding.EncodeToString(refSign(t, otherKey, order, params))), false},
		{"SignatureOfAnotherOrder", testKey, form(SignatureVersion, params, base64.URLEncoding.EncodeToString(refSign(t, testKey, "0042AbCdEfGx", params))), false},
		{"TruncatedSignature", testKey, form(SignatureVersion, params, urlSafe[:20]), false},
		{"SignatureNotBase64", testKey, form(SignatureVersion, params, "***"+urlSafe[3:]), false},
		{"NoSignature", testKey, form(SignatureVersion, params, ""), false},
		{"NoVersion", testKey, form("", params, urlSafe), false},
		{"OtherVersion", testKey, form("HMAC_SHA512_V2", params, urlSafe), false},
		{"NoParameters", testKey, form(SignatureVersion, "", urlSafe), false},
		{"TwoSignatures", testKey, append(form(SignatureVersion, params, urlSafe), []byte("&Ds_Signature="+urlSafe)...), false},
		{"NoMerchantKey", "", form(SignatureVersion, params, urlSafe), false},
		{"Empty", testKey, nil, false},
		{"Garbage", testKey, []byte("%%%\x00\xff"), false},
		{"BrokenJSON", testKey, []byte(`{"Ds_Signature":`), false},
		{"JSONNumbers", testKey, []byte(`{"Ds_SignatureVersion":1,"Ds_MerchantParameters":2,"Ds_Signature":3}`), false},
		{"Oversized", testKey, append(form(SignatureVersion, params, urlSafe), bytes.Repeat([]byte("&x=1"), 20000)...), false},
	}
	p := New(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			acct := testAccount(gateway.ModeTest, "")
			acct.Credentials[CredMerchantKey] = tt.key
			ev, err := p.Verify(context.Background(), acct, inbound(tt.body))
			if tt.ok {
				if err != nil || ev.Kind != gateway.EventPaid || ev.Ref != order {
					t.Fatalf("Verify = %+v, %v; want the payment accepted", ev, err)
				}
				return
			}
			if !errors.Is(err, gateway.ErrSignature) {
				t.Fatalf("Verify = %+v, %v; want ErrSignature", ev, err)
			}
			if !reflect.DeepEqual(ev, gateway.Event{}) {
				t.Fatalf("a rejected notification still returned %+v", ev)
			}
		})
	}
}

func TestVerifyEventMapping(t *testing.T) {
	t.Parallel()
	eur := money.Money{Amount: 4999, Currency: "EUR"}
	tests := []struct {
		name string
		edit func(map[string]string)
		want gateway.Event
	}{
		{"Paid", nil, gateway.Event{ID: "0042AbCdEfGh:0:0000:052029", Type: "payment:0000", Kind: gateway.EventPaid,
			OrderID: 42, Ref: "0042AbCdEfGh", Amount: eur}},
		{"Paid0099", func(v map[string]string) { v["Ds_Response"] = "0099" }, gateway.Event{ID: "0042AbCdEfGh:0:0099:052029",
			Type: "payment:0099", Kind: gateway.EventPaid, OrderID: 42, Ref: "0042AbCdEfGh", Amount: eur}},
		{"PaidWithoutTransactionType", func(v map[string]string) { delete(v, "Ds_TransactionType") }, gateway.Event{
			ID: "0042AbCdEfGh:0:0000:052029", Type: "payment:0000", Kind: gateway.EventPaid, OrderID: 42, Ref: "0042AbCdEfGh", Amount: eur}},
		{"Declined0190", func(v map[string]string) { v["Ds_Response"], v["Ds_AuthorisationCode"] = "0190", "" }, gateway.Event{
			ID: "0042AbCdEfGh:0:0190:", Type: "payment:0190", Kind: gateway.EventFailed, OrderID: 42, Ref: "0042AbCdEfGh", Amount: eur}},
		{"Response0100IsNotPaid", func(v map[string]string) { v["Ds_Response"] = "0100" }, gateway.Event{
			ID: "0042AbCdEfGh:0:0100:052029", Type: "payment:0100", Kind: gateway.EventFailed, OrderID: 42, Ref: "0042AbCdEfGh", Amount: eur}},
		{"PayerGaveUp9915", func(v map[string]string) { v["Ds_Response"], v["Ds_AuthorisationCode"] = "9915", "++++++" }, gateway.Event{
			ID: "0042AbCdEfGh:0:9915:", Type: "payment:9915", // "+" is a form-encoded space
			Kind: gateway.EventFailed, OrderID: 42, Ref: "0042AbCdEfGh", Amount: eur}},
		{"FailedWithoutAmount", func(v map[string]string) { v["Ds_Response"] = "0180"; delete(v, "Ds_Amount") }, gateway.Event{
			ID: "0042AbCdEfGh:0:0180:052029", Type: "payment:0180", Kind: gateway.EventFailed, OrderID: 42, Ref: "0042AbCdEfGh"}},
		{"Refund", func(v map[string]string) {
			v["Ds_TransactionType"], v["Ds_Response"], v["Ds_Amount"] = "3", "0900", "1500"
		}, gateway.Event{ID: "0042AbCdEfGh:3:0900:052029:1500:22/10/2021 22:51", Type: "refund:0900",
			Kind: gateway.EventRefunded, OrderID: 42, Ref: "0042AbCdEfGh", Amount: money.Money{Amount: 1500, Currency: "EUR"},
			RefundedAmount: 1500, RefundRef: "0042AbCdEfGh:052029"}},
		{"RefundRefused", func(v map[string]string) { v["Ds_TransactionType"], v["Ds_Response"] = "3", "0950" }, gateway.Event{
			ID: "0042AbCdEfGh:3:0950:052029", Type: "refund:0950", Kind: gateway.EventIgnored, OrderID: 42, Ref: "0042AbCdEfGh", Amount: eur}},
		{"Cancellation", func(v map[string]string) { v["Ds_TransactionType"], v["Ds_Response"] = "9", "0400" }, gateway.Event{
			ID: "0042AbCdEfGh:9:0400:052029", Type: "cancellation:0400", Kind: gateway.EventIgnored, OrderID: 42, Ref: "0042AbCdEfGh", Amount: eur}},
		{"PreAuthorization", func(v map[string]string) { v["Ds_TransactionType"] = "1" }, gateway.Event{
			ID: "0042AbCdEfGh:1:0000:052029", Type: "type_1:0000", Kind: gateway.EventIgnored, OrderID: 42, Ref: "0042AbCdEfGh", Amount: eur}},
		{"YenAmount", func(v map[string]string) { v["Ds_Currency"], v["Ds_Amount"] = "392", "5000" }, gateway.Event{
			ID: "0042AbCdEfGh:0:0000:052029", Type: "payment:0000", Kind: gateway.EventPaid, OrderID: 42, Ref: "0042AbCdEfGh",
			Amount: money.Money{Amount: 5000, Currency: "JPY"}}},
		{"NoMerchantData", func(v map[string]string) { v["Ds_MerchantData"] = "" }, gateway.Event{ID: "0042AbCdEfGh:0:0000:052029",
			Type: "payment:0000", Kind: gateway.EventPaid, Ref: "0042AbCdEfGh", Amount: eur}},
		{"MerchantDataNotAnID", func(v map[string]string) { v["Ds_MerchantData"] = "A-0042" }, gateway.Event{ID: "0042AbCdEfGh:0:0000:052029",
			Type: "payment:0000", Kind: gateway.EventPaid, Ref: "0042AbCdEfGh", Amount: eur}},
		{"URLEncodedMerchantData", func(v map[string]string) { v["Ds_MerchantData"] = "%34%32" }, gateway.Event{ID: "0042AbCdEfGh:0:0000:052029",
			Type: "payment:0000", Kind: gateway.EventPaid, OrderID: 42, Ref: "0042AbCdEfGh", Amount: eur}},
		{"UpperCaseNames", func(v map[string]string) {
			for k, val := range v {
				delete(v, k)
				v[strings.ToUpper(k)] = val
			}
		}, gateway.Event{ID: "0042AbCdEfGh:0:0000:052029", Type: "payment:0000", Kind: gateway.EventPaid, OrderID: 42,
			Ref: "0042AbCdEfGh", Amount: eur}},
	}
	p := New(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := paymentValues("0", "0000")
			if tt.edit != nil {
				tt.edit(v)
			}
			params := notificationParams(t, v)
			got, err := p.Verify(context.Background(), testAccount(gateway.ModeTest, ""),
				inbound(notificationForm(t, testKey, "0042AbCdEfGh", params)))
			if err != nil {
				t.Fatalf("Verify = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("event =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestKindOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		txType, response string
		want             gateway.EventKind
	}{
		{"0", "0000", gateway.EventPaid},
		{"0", "0", gateway.EventPaid},
		{"0", "99", gateway.EventPaid},
		{"0", "0099", gateway.EventPaid},
		{"0", "0100", gateway.EventFailed},
		{"0", "0101", gateway.EventFailed},
		{"0", "0184", gateway.EventFailed},
		{"0", "0400", gateway.EventFailed},
		{"0", "0900", gateway.EventFailed},
		{"0", "9915", gateway.EventFailed},
		{"0", "", gateway.EventFailed},
		{"0", "SIS0051", gateway.EventFailed},
		{"0", "-1", gateway.EventFailed},
		{"3", "0900", gateway.EventRefunded},
		{"3", "900", gateway.EventRefunded},
		{"3", "0000", gateway.EventIgnored},
		{"3", "0950", gateway.EventIgnored},
		{"9", "0400", gateway.EventIgnored},
		{"9", "0190", gateway.EventIgnored},
		{"1", "0000", gateway.EventIgnored},
		{"2", "0000", gateway.EventIgnored},
	}
	for _, tt := range tests {
		if got := kindOf(tt.txType, tt.response); got != tt.want {
			t.Errorf("kindOf(%q, %q) = %s, want %s", tt.txType, tt.response, got, tt.want)
		}
	}
}

func TestVerifyEventIDs(t *testing.T) {
	t.Parallel()
	p := New(Options{})
	id := func(edit func(map[string]string)) string {
		t.Helper()
		v := paymentValues("0", "0000")
		if edit != nil {
			edit(v)
		}
		ev, err := p.Verify(context.Background(), testAccount(gateway.ModeTest, ""),
			inbound(notificationForm(t, testKey, "0042AbCdEfGh", notificationParams(t, v))))
		if err != nil {
			t.Fatal(err)
		}
		return ev.ID
	}
	refund := func(amount, hour string) func(map[string]string) {
		return func(v map[string]string) {
			v["Ds_TransactionType"], v["Ds_Response"], v["Ds_Amount"], v["Ds_Hour"] = "3", "0900", amount, hour
		}
	}
	if id(nil) != id(nil) { //nolint:staticcheck // SA4000: two verifications of one notification
		t.Error("a redelivery has another id")
	}
	if id(nil) == id(func(v map[string]string) { v["Ds_Response"] = "0190" }) {
		t.Error("a declined and a paid notification share an id")
	}
	if id(refund("1000", "10%3A00")) == id(refund("1500", "10%3A00")) {
		t.Error("two partial refunds of different amounts share an id")
	}
	if id(refund("1000", "10%3A00")) == id(refund("1000", "11%3A30")) {
		t.Error("two partial refunds of the same amount at different times share an id")
	}
	if id(refund("1000", "10%3A00")) != id(refund("1000", "10%3A00")) { //nolint:staticcheck // SA4000: as above
		t.Error("a refund's redelivery has another id")
	}
}

func TestVerifyAuthenticButUnusable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(map[string]string)
	}{
		{"PaidInUnknownCurrency", func(v map[string]string) { v["Ds_Currency"] = "999" }},
		{"PaidWithoutAmount", func(v map[string]string) { delete(v, "Ds_Amount") }},
		{"PaidWithDecimalAmount", func(v map[string]string) { v["Ds_Amount"] = "49.99" }},
		{"PaidWithHugeAmount", func(v map[string]string) { v["Ds_Amount"] = "9999999999999" }},
		{"RefundWithoutCurrency", func(v map[string]string) {
			v["Ds_TransactionType"], v["Ds_Response"] = "3", "0900"
			delete(v, "Ds_Currency")
		}},
	}
	p := New(Options{})
	for _, tt := range tests {
		v := paymentValues("0", "0000")
		tt.edit(v)
		ev, err := p.Verify(context.Background(), testAccount(gateway.ModeTest, ""),
			inbound(notificationForm(t, testKey, "0042AbCdEfGh", notificationParams(t, v))))
		if err == nil || errors.Is(err, gateway.ErrSignature) {
			t.Errorf("%s: Verify = %+v, %v; want an error that is not ErrSignature", tt.name, ev, err)
		}
	}
}

func TestVerifySignedNonsense(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, order, json string
	}{
		{"NotJSON", "0042AbCdEfGh", "not json"},
		{"NoOrder", "0042AbCdEfGh", `{"Ds_Response":"0000"}`},
		{"OrderTooLong", "0042AbCdEfGhXYZ", `{"Ds_Order":"0042AbCdEfGhXYZ","Ds_Response":"0000"}`},
		{"OrderWithSymbols", "0042-bCdEfGh", `{"Ds_Order":"0042-bCdEfGh","Ds_Response":"0000"}`},
		{"NamesTwiceInAnyCase", "0042AbCdEfGh", `{"Ds_Order":"0042AbCdEfGh","DS_ORDER":"0042AbCdEfGx"}`},
	}
	p := New(Options{})
	for _, tt := range tests {
		params := base64.StdEncoding.EncodeToString([]byte(tt.json))
		ev, err := p.Verify(context.Background(), testAccount(gateway.ModeTest, ""),
			inbound(notificationForm(t, testKey, tt.order, params)))
		if !errors.Is(err, gateway.ErrSignature) {
			t.Errorf("%s: Verify = %+v, %v; want ErrSignature", tt.name, ev, err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	seed := func(values map[string]string, order string) {
		params := notificationParams(f, values)
		f.Add(notificationForm(f, testKey, order, params))
		raw, _ := json.Marshal(map[string]string{FieldSignatureVersion: SignatureVersion, FieldMerchantParameters: params,
			FieldSignature: base64.StdEncoding.EncodeToString(refSign(f, testKey, order, params))})
		f.Add(raw)
	}
	seed(paymentValues("0", "0000"), "0042AbCdEfGh")
	seed(paymentValues("0", "0190"), "0042AbCdEfGh")
	seed(paymentValues("3", "0900"), "0042AbCdEfGh")
	seed(paymentValues("9", "0400"), "0042AbCdEfGh")
	f.Add([]byte(url.Values{FieldSignatureVersion: {SignatureVersion}, FieldMerchantParameters: {vectorNotification},
		FieldSignature: {vectorNotifSig}}.Encode()))
	f.Add(notificationForm(f, otherKey, "0042AbCdEfGh", notificationParams(f, paymentValues("0", "0000"))))
	f.Add([]byte("Ds_SignatureVersion=HMAC_SHA256_V1&Ds_MerchantParameters=e30%3D&Ds_Signature=AAAA"))
	f.Add([]byte(`{"Ds_SignatureVersion":"HMAC_SHA256_V1","Ds_MerchantParameters":"","Ds_Signature":""}`))
	f.Add([]byte(""))
	f.Add([]byte("{"))
	f.Add([]byte("%zz&&=="))
	p := New(Options{})
	acct := testAccount(gateway.ModeTest, "")
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := p.Verify(context.Background(), acct, inbound(body))
		if err != nil {
			if !reflect.DeepEqual(ev, gateway.Event{}) {
				t.Fatalf("an error with an event: %+v, %v", ev, err)
			}
			return
		}
		if !signedWithTestKey(t, body) {
			t.Fatalf("accepted %q, which is not signed with the test key: %+v", body, ev)
		}
		if ev.ID == "" || ev.Ref == "" {
			t.Fatalf("accepted without id or reference: %+v", ev)
		}
	})
}

// signedWithTestKey reports whether body (a form or a JSON object) carries parameters and a signature of them
// under the test key for the order the parameters name, decided apart from the code under test.
func signedWithTestKey(t *testing.T, body []byte) bool {
	t.Helper()
	var params, sig string
	var obj map[string]any
	if json.Unmarshal(body, &obj) == nil {
		for k, v := range obj {
			s, _ := v.(string)
			switch strings.ToLower(k) {
			case "ds_merchantparameters":
				params = s
			case "ds_signature":
				sig = s
			}
		}
	} else if form, err := url.ParseQuery(string(body)); err == nil {
		for k, vs := range form {
			switch strings.ToLower(k) {
			case "ds_merchantparameters":
				params = vs[0]
			case "ds_signature":
				sig = vs[0]
			}
		}
	}
	params = strings.ReplaceAll(params, " ", "+")
	unb64 := func(s string) []byte {
		s = strings.TrimRight(strings.NewReplacer("-", "+", "_", "/", " ", "+", "\r", "", "\n", "").Replace(s), "=")
		b, _ := base64.RawStdEncoding.DecodeString(s)
		return b
	}
	var values map[string]any
	if json.Unmarshal(unb64(params), &values) != nil {
		return false
	}
	for k, v := range values {
		if order, ok := v.(string); ok && strings.EqualFold(k, "ds_order") && order != "" {
			if bytes.Equal(unb64(sig), refSign(t, testKey, order, params)) {
				return true
			}
		}
	}
	return false
}
