package fondy

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// Fondy's public test merchant.
const (
	testMerchant = "1396424"
	testSecret   = "test"
)

// The GATEWAYS.md vector: cloudipsp/php-sdk-v2 examples/resultTest.php, a callback as Fondy posts it.
const (
	vectorString    = "test|111|USD|111|123456|444455|VISA|USD|7|444455XXXXXX6666|1396424|1396424_1da4a65b81fdaf934c535e352a776744|approved|21.05.2018 13:50:55|93088761|card|success|0|0|purchase"
	vectorSignature = "7725ca95944de78550c3ca132c1e6602707afa90"
	vectorBody      = `{"rrn": "", "masked_card": "444455XXXXXX6666", "sender_cell_phone": "", "response_signature_string": "**********|111|USD|111|123456|444455|VISA|USD|7|444455XXXXXX6666|1396424|1396424_1da4a65b81fdaf934c535e352a776744|approved|21.05.2018 13:50:55|93088761|card|success|0|0|purchase", "response_status": "success", "sender_account": "", "fee": "", "rectoken_lifetime": "", "reversal_amount": "0", "settlement_amount": "0", "actual_amount": "111", "order_status": "approved", "response_description": "", "verification_status": "", "order_time": "21.05.2018 13:50:55", "actual_currency": "USD", "order_id": "1396424_1da4a65b81fdaf934c535e352a776744", "parent_order_id": "", "merchant_data": "", "tran_type": "purchase", "eci": "7", "settlement_date": "", "payment_system": "card", "rectoken": "", "approval_code": "123456", "merchant_id": 1396424, "settlement_currency": "", "payment_id": 93088761, "product_id": "", "currency": "USD", "card_bin": 444455, "response_code": "", "card_type": "VISA", "amount": "111", "sender_email": "", "signature": "7725ca95944de78550c3ca132c1e6602707afa90"}`
	vectorRef       = "1396424_1da4a65b81fdaf934c535e352a776744"
)

// sha1Hex is the lower-case hex SHA-1 of s, computed here independently of the code under test.
func sha1Hex(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// signFields signs fields as Fondy does, written out here independently of the code under test.
func signFields(secret string, fields map[string]string) string {
	var names []string
	for k, v := range fields {
		if v != "" && k != "signature" && k != "response_signature_string" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	parts := []string{secret}
	for _, k := range names {
		parts = append(parts, fields[k])
	}
	return sha1Hex(strings.Join(parts, "|"))
}

func testAccount() gateway.Account {
	return gateway.Account{
		System:      gateway.System{ID: 7, Type: gateway.TypeFondy, Mode: gateway.ModeTest, Settings: map[string]any{SettingMerchantID: testMerchant}},
		Credentials: map[string]string{CredSecretKey: testSecret},
	}
}

func inbound(body string) gateway.Inbound {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return gateway.Inbound{Header: h.Get, Body: []byte(body), Received: time.Now()}
}

// callback is a callback's fields for order ref in status, signed with secret.
func callback(secret, ref, status, tran string, extra map[string]string) map[string]string {
	f := map[string]string{"order_id": ref, "merchant_id": testMerchant, "order_status": status, "tran_type": tran,
		"amount": "4990", "actual_amount": "4990", "currency": "EUR", "actual_currency": "EUR", "payment_id": "805243692",
		"masked_card": "444455XXXXXX6666", "sender_email": "ana@example.com", "merchant_data": "42",
		"response_status": "success", "reversal_amount": "0", "settlement_amount": "0", "rrn": "", "fee": "",
		"order_time": "01.02.2026 10:00:00", "payment_system": "card", "card_type": "VISA", "response_code": "",
		"response_description": ""}
	for k, v := range extra {
		f[k] = v
	}
	f["signature"] = signFields(secret, f)
	return f
}

func jsonBody(f map[string]string) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func formBody(f map[string]string) string {
	v := url.Values{}
	for k, x := range f {
		v.Set(k, x)
	}
	return v.Encode()
}

func TestSignatureVector(t *testing.T) {
	t.Parallel()
	if got := sha1Hex(vectorString); got != vectorSignature {
		t.Fatalf("sha1(vector string) = %s, want %s", got, vectorSignature)
	}
	f, err := parseJSON([]byte(vectorBody))
	if err != nil {
		t.Fatal(err)
	}
	if got := sign(testSecret, f.fields); got != vectorSignature {
		t.Fatalf("sign(vector callback) = %s, want the GATEWAYS.md vector %s", got, vectorSignature)
	}
	ev, err := New(Options{}).Verify(context.Background(), testAccount(), inbound(vectorBody))
	if err != nil {
		t.Fatalf("Verify(vector) = %v", err)
	}
	want := gateway.Event{ID: vectorRef + ":approved:0", Type: "purchase:approved", Kind: gateway.EventPaid,
		Ref: vectorRef, Amount: money.Money{Amount: 111, Currency: "USD"}}
	if !reflect.DeepEqual(ev, want) {
		t.Fatalf("event =\n %+v\nwant\n %+v", ev, want)
	}
}

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	good := callback(testSecret, "42-Ab3dE6gH", StatusApproved, "purchase", nil)
	with := func(k, v string) map[string]string {
		f := map[string]string{}
		for a, b := range good {
			f[a] = b
		}
		f[k] = v
		return f
	}
	without := func(k string) map[string]string {
		f := with(k, "")
		delete(f, k)
		return f
	}
	// An added empty field and a changed response_signature_string are not signed: still valid.
	tests := []struct {
		name    string
		body    string
		wantErr bool
	}{
		{"JSON", jsonBody(good), false},
		{"Form", formBody(good), false},
		{"WrappedInResponse", `{"response":` + jsonBody(good) + `}`, false},
		{"UpperCaseSignature", jsonBody(with("signature", strings.ToUpper(good["signature"]))), false},
		{"ExtraEmptyField", jsonBody(with("parent_order_id", "")), false},
		{"NullField", strings.Replace(jsonBody(good), `"rrn":""`, `"rrn":null`, 1), false},
		{"ResponseSignatureStringIgnored", jsonBody(with("response_signature_string", "**********|anything")), false},
		{"LeadingWhitespace", "\r\n " + jsonBody(good), false},
		{"TamperedAmount", jsonBody(with("amount", "1")), true},
		{"TamperedStatus", jsonBody(with("order_status", StatusExpired)), true},
		{"AddedField", jsonBody(with("fee", "10")), true},
		{"RemovedField", jsonBody(without("masked_card")), true},
		{"WrongKey", jsonBody(callback("someone else", "42-Ab3dE6gH", StatusApproved, "purchase", nil)), true},
		{"NoSignature", jsonBody(without("signature")), true},
		{"EmptySignature", jsonBody(with("signature", "")), true},
		{"ShortSignature", jsonBody(with("signature", good["signature"][:39])), true},
		{"NumberTextIsWhatIsSigned", strings.Replace(jsonBody(good), `"amount":"4990"`, `"amount":4990.0`, 1), true},
		{"NestedValue", strings.Replace(jsonBody(good), `"rrn":""`, `"rrn":{"a":1}`, 1), true},
		{"BooleanValue", strings.Replace(jsonBody(good), `"rrn":""`, `"rrn":true`, 1), true},
		{"RepeatedField", strings.Replace(jsonBody(good), `"rrn":""`, `"rrn":"","amount":"1"`, 1), true},
		{"RepeatedFormField", formBody(good) + "&amount=1", true},
		{"TrailingData", jsonBody(good) + "{}", true},
		{"Array", "[" + jsonBody(good) + "]", true},
		{"Empty", "", true},
		{"Garbage", "\x00\xff{", true},
		{"Oversized", `{"pad":"` + strings.Repeat("x", maxCallback) + `"}`, true},
	}
	p := New(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := p.Verify(context.Background(), testAccount(), inbound(tt.body))
			if !tt.wantErr {
				if err != nil || ev.Kind != gateway.EventPaid || ev.Ref != "42-Ab3dE6gH" {
					t.Fatalf("Verify = %+v, %v; want a paid event", ev, err)
				}
				return
			}
			if !errors.Is(err, gateway.ErrSignature) {
				t.Fatalf("Verify = %+v, %v; want ErrSignature", ev, err)
			}
			if !reflect.DeepEqual(ev, gateway.Event{}) {
				t.Fatalf("rejected callback still returned %+v", ev)
			}
		})
	}
}

func TestVerifyNeedsTheKey(t *testing.T) {
	t.Parallel()
	acct := testAccount()
	acct.Credentials = map[string]string{}
	body := jsonBody(callback("", "42-Ab3dE6gH", StatusApproved, "purchase", nil))
	if _, err := New(Options{}).Verify(context.Background(), acct, inbound(body)); !errors.Is(err, gateway.ErrSignature) {
		t.Fatalf("Verify without a payment key = %v, want ErrSignature", err)
	}
}

func TestVerifySignedButWrong(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		extra map[string]string
	}{
		{"OtherMerchant", map[string]string{"merchant_id": "1700002"}},
		{"AmountNotDigits", map[string]string{"amount": "49.90"}},
		{"NegativeAmount", map[string]string{"amount": "-4990"}},
		{"HugeAmount", map[string]string{"amount": "99999999999999999999"}},
		{"UnknownCurrency", map[string]string{"currency": "XYZ"}},
		{"PaidWithoutAmount", map[string]string{"amount": ""}},
		{"ReversalNotDigits", map[string]string{"reversal_amount": "1e3"}},
		{"NoOrderID", map[string]string{"order_id": ""}},
	}
	p := New(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := jsonBody(callback(testSecret, "42-Ab3dE6gH", StatusApproved, "purchase", tt.extra))
			ev, err := p.Verify(context.Background(), testAccount(), inbound(body))
			if err == nil || errors.Is(err, gateway.ErrSignature) {
				t.Fatalf("Verify = %+v, %v; want an error that is not ErrSignature", ev, err)
			}
		})
	}
}

func TestVerifyStatusMapping(t *testing.T) {
	t.Parallel()
	eur := money.Money{Amount: 4990, Currency: "EUR"}
	ref := "42-Ab3dE6gH"
	tests := []struct {
		name     string
		status   string
		tran     string
		extra    map[string]string
		kind     gateway.EventKind
		id       string
		refunded int64
	}{
		{"Approved", StatusApproved, "purchase", nil, gateway.EventPaid, ref + ":approved:0", 0},
		{"Created", StatusCreated, "purchase", nil, gateway.EventPending, ref + ":created:0", 0},
		{"Processing", StatusProcessing, "purchase", nil, gateway.EventPending, ref + ":processing:0", 0},
		{"Declined", StatusDeclined, "purchase", map[string]string{"response_code": "1014", "response_description": "Insufficient funds"}, gateway.EventFailed, ref + ":declined:0", 0},
		{"Expired", StatusExpired, "", nil, gateway.EventExpired, ref + ":expired:0", 0},
		{"ReversedInFull", StatusReversed, "purchase", map[string]string{"reversal_amount": "4990"}, gateway.EventRefunded, ref + ":reversed:4990", 4990},
		{"PartialReverse", StatusApproved, TranReverse, map[string]string{"reversal_amount": "1000"}, gateway.EventRefunded, ref + ":approved:1000", 1000},
		{"SecondPartialReverse", StatusApproved, TranReverse, map[string]string{"reversal_amount": "2500"}, gateway.EventRefunded, ref + ":approved:2500", 2500},
		{"ReverseOfWholeOrder", StatusReversed, TranReverse, map[string]string{"reversal_amount": "4990"}, gateway.EventRefunded, ref + ":reversed:4990", 4990},
		{"ReverseDeclined", StatusDeclined, TranReverse, map[string]string{"reversal_amount": "0"}, gateway.EventIgnored, ref + ":declined:0", 0},
		{"UnknownStatus", "hold", "purchase", nil, gateway.EventIgnored, ref + ":hold:0", 0},
		{"ReversalAmountEmpty", StatusApproved, "purchase", map[string]string{"reversal_amount": ""}, gateway.EventPaid, ref + ":approved:0", 0},
	}
	p := New(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := callback(testSecret, ref, tt.status, tt.tran, tt.extra)
			ev, err := p.Verify(context.Background(), testAccount(), inbound(jsonBody(f)))
			if err != nil {
				t.Fatalf("Verify = %v", err)
			}
			typ := tt.status
			if tt.tran != "" {
				typ = tt.tran + ":" + tt.status
			}
			want := gateway.Event{ID: tt.id, Type: typ, Kind: tt.kind, OrderID: 42, Ref: ref, Amount: eur,
				RefundedAmount: tt.refunded, PayerEmail: "ana@example.com"}
			if !reflect.DeepEqual(ev, want) {
				t.Fatalf("event =\n %+v\nwant\n %+v", ev, want)
			}
		})
	}
}

func TestVerifyOrderID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ref  string
		data string
		want int64
	}{
		{"FromMerchantData", "42-Ab3dE6gH", "42", 42},
		{"MerchantDataWins", "41-Ab3dE6gH", "42", 42},
		{"FromOrderIDPrefix", "42-Ab3dE6gH", "", 42},
		{"FromPrefixWhenDataIsNotAnID", "42-Ab3dE6gH", `{"cart":1}`, 42},
		{"Neither", "1396424_1da4a65b", "", 0},
		{"ZeroIsNone", "0-Ab3dE6gH", "0", 0},
	}
	p := New(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := callback(testSecret, tt.ref, StatusApproved, "purchase", map[string]string{"merchant_data": tt.data})
			ev, err := p.Verify(context.Background(), testAccount(), inbound(formBody(f)))
			if err != nil || ev.OrderID != tt.want || ev.Ref != tt.ref {
				t.Fatalf("Verify = %+v, %v; want order %d, ref %s", ev, err, tt.want, tt.ref)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	f.Add([]byte(vectorBody))
	f.Add([]byte(jsonBody(callback(testSecret, "42-Ab3dE6gH", StatusApproved, "purchase", nil))))
	f.Add([]byte(formBody(callback(testSecret, "42-Ab3dE6gH", StatusReversed, TranReverse, map[string]string{"reversal_amount": "4990"}))))
	f.Add([]byte(`{"response":` + jsonBody(callback(testSecret, "7-zzzzzzzz", StatusDeclined, "purchase", nil)) + `}`))
	f.Add([]byte(jsonBody(callback("wrong", "42-Ab3dE6gH", StatusApproved, "purchase", nil))))
	f.Add([]byte(`{"order_id":"1","signature":"` + sha1Hex("test|1") + `"}`))
	f.Add([]byte(`order_id=1&signature=` + sha1Hex("test|1")))
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Add([]byte(`{"response":{"response":{}}}`))
	f.Add([]byte(""))
	f.Add([]byte("null"))
	f.Add([]byte("%zz=1"))
	p := New(Options{})
	acct := testAccount()
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := p.Verify(context.Background(), acct, inbound(string(body)))
		if err != nil {
			return
		}
		if !validlySigned(body) {
			t.Fatalf("accepted %q: %+v", body, ev)
		}
		if ev.ID == "" || ev.Ref == "" {
			t.Fatalf("accepted %q without an id or reference: %+v", body, ev)
		}
	})
}

// validlySigned reports whether body, read with encoding/json or net/url, carries a signature of its fields under
// testSecret, decided independently of the code under test.
func validlySigned(body []byte) bool {
	var values map[string]string
	var obj map[string]any
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&obj); err == nil && obj != nil {
		if inner, ok := obj["response"].(map[string]any); ok && len(obj) == 1 {
			obj = inner
		}
		values = map[string]string{}
		for k, v := range obj {
			switch x := v.(type) {
			case string:
				values[k] = x
			case json.Number:
				values[k] = x.String()
			case nil:
				values[k] = ""
			default:
				return false
			}
		}
	} else {
		vs, err := url.ParseQuery(strings.TrimSpace(string(body)))
		if err != nil {
			return false
		}
		values = map[string]string{}
		for k, v := range vs {
			values[k] = v[len(v)-1]
		}
	}
	sig := strings.ToLower(values["signature"])
	return sig != "" && sig == signFields(testSecret, values)
}
