package wayforpay

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// refPattern is an orderReference Begin makes for order 42.
var refPattern = regexp.MustCompile(`^42-[A-Za-z0-9]{8}$`)

// formValues collects a form's fields by name, in order.
func formValues(f *gateway.Form) map[string][]string {
	out := map[string][]string{}
	for _, kv := range f.Fields {
		out[kv[0]] = append(out[kv[0]], kv[1])
	}
	return out
}

func TestBegin(t *testing.T) {
	t.Parallel()
	p := New(Options{Now: func() time.Time { return fixedNow }})
	c := gateway.Checkout{OrderID: 42, OrderNumber: "B-0042", Amount: money.New(154736, "UAH"),
		Title: "Курс української; рівень A1", Email: "ana@example.com", Language: "uk",
		SuccessURL: "https://school.test/o/ua/paid?order=B-0042&attempt=7",
		CancelURL:  "https://school.test/o/ua/cancelled", NotifyURL: "https://school.test/webhooks/9"}
	tests := []struct {
		name       string
		apiURL     string
		wantAction string
	}{
		{"WayForPay", "", "https://secure.wayforpay.com/pay"},
		{"APIURL", "http://127.0.0.1:9999/", "http://127.0.0.1:9999/pay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			red, err := p.Begin(context.Background(), testAcct(tt.apiURL), c)
			if err != nil {
				t.Fatal(err)
			}
			if red.URL != "" || red.Form == nil || red.Form.Action != tt.wantAction {
				t.Fatalf("redirect = %+v, want a form posting to %s", red, tt.wantAction)
			}
			if !refPattern.MatchString(red.Ref) {
				t.Fatalf("Ref = %q, want 42-<8 alphanumerics>", red.Ref)
			}
			v := formValues(red.Form)
			want := map[string]string{
				"merchantAccount": testAccount, "merchantDomainName": testDomain,
				"merchantTransactionSecureType": "AUTO", "orderReference": red.Ref, "orderDate": "1415379863",
				"amount": "1547.36", "currency": "UAH", "productName[]": c.Title, "productPrice[]": "1547.36",
				"productCount[]": "1", "clientEmail": c.Email, "language": "UA", "returnUrl": c.SuccessURL,
				"serviceUrl": c.NotifyURL,
			}
			for name, w := range want {
				if got := v[name]; len(got) != 1 || got[0] != w {
					t.Errorf("%s = %q, want [%q]", name, got, w)
				}
			}
			sig := hmacMD5(testSecret, strings.Join([]string{testAccount, testDomain, red.Ref, "1415379863",
				"1547.36", "UAH", c.Title, "1", "1547.36"}, ";"))
			if got := v["merchantSignature"]; len(got) != 1 || got[0] != sig {
				t.Errorf("merchantSignature = %q, want %s", got, sig)
			}
			if len(red.Form.Fields) != len(want)+1 {
				t.Errorf("form has %d fields, want %d: %v", len(red.Form.Fields), len(want)+1, red.Form.Fields)
			}
		})
	}
}

func TestBeginRefsDiffer(t *testing.T) {
	t.Parallel()
	p := New(Options{})
	c := gateway.Checkout{OrderID: 42, OrderNumber: "B-0042", Amount: money.New(4900, "EUR"), Title: "Course"}
	seen := map[string]bool{}
	for range 50 {
		red, err := p.Begin(context.Background(), testAcct(""), c)
		if err != nil {
			t.Fatal(err)
		}
		if seen[red.Ref] {
			t.Fatalf("orderReference %s made twice", red.Ref)
		}
		seen[red.Ref] = true
	}
}

func TestBeginDefaults(t *testing.T) {
	t.Parallel()
	// No title, no e-mail, an unknown language, a round amount.
	red, err := New(Options{}).Begin(context.Background(), testAcct(""), gateway.Checkout{OrderID: 42,
		OrderNumber: "B-0042", Amount: money.New(4900, "EUR"), Language: "pt", NotifyURL: "https://s.test/webhooks/9"})
	if err != nil {
		t.Fatal(err)
	}
	v := formValues(red.Form)
	if v["productName[]"][0] != "Order B-0042" || v["language"][0] != "EN" || v["amount"][0] != "49" ||
		v["productPrice[]"][0] != "49" {
		t.Errorf("fields = %v", v)
	}
	for _, name := range []string{"clientEmail", "returnUrl"} {
		if _, ok := v[name]; ok {
			t.Errorf("%s sent though empty", name)
		}
	}
	sig := hmacMD5(testSecret, strings.Join([]string{testAccount, testDomain, red.Ref, v["orderDate"][0], "49", "EUR",
		"Order B-0042", "1", "49"}, ";"))
	if v["merchantSignature"][0] != sig {
		t.Errorf("merchantSignature = %s, want %s", v["merchantSignature"][0], sig)
	}
}

func TestBeginRejects(t *testing.T) {
	t.Parallel()
	ok := gateway.Checkout{OrderID: 42, OrderNumber: "B-0042", Amount: money.New(4900, "EUR"), Title: "Course"}
	noDomain := testAcct("")
	noDomain.System.Settings = map[string]any{SettingMerchantAccount: testAccount}
	noSecret := testAcct("")
	noSecret.Credentials = nil
	noAccount := testAcct("")
	noAccount.System.Settings = map[string]any{SettingMerchantDomain: testDomain}
	tests := []struct {
		name string
		acct gateway.Account
		c    gateway.Checkout
	}{
		{"NoOrder", testAcct(""), gateway.Checkout{Amount: ok.Amount}},
		{"ZeroAmount", testAcct(""), gateway.Checkout{OrderID: 42, Amount: money.New(0, "EUR")}},
		{"UnknownCurrency", testAcct(""), gateway.Checkout{OrderID: 42, Amount: money.Money{Amount: 1, Currency: "XYZ"}}},
		{"NoDomain", noDomain, ok},
		{"NoSecret", noSecret, ok},
		{"NoAccount", noAccount, ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			red, err := New(Options{}).Begin(context.Background(), tt.acct, tt.c)
			if err == nil || red.Form != nil || red.Ref != "" {
				t.Fatalf("Begin = %+v, %v; want an error", red, err)
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Errorf("the error carries the secret: %v", err)
			}
		})
	}
}
