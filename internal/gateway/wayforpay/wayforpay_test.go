package wayforpay

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// WayForPay's published test merchant (GATEWAYS.md).
const (
	testAccount = "test_merch_n1"
	testSecret  = "flk3409refn54t54t*FNJRET"
	testDomain  = "www.market.ua"
)

// hmacMD5 is WayForPay's signature, computed here independently of the package's sign.
func hmacMD5(secret, s string) string {
	h := hmac.New(md5.New, []byte(secret))
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil))
}

// testAcct is a WayForPay payment system of the test merchant, its API at apiURL ("" for WayForPay's own).
func testAcct(apiURL string) gateway.Account {
	return gateway.Account{
		System: gateway.System{ID: 9, Type: gateway.TypeWayForPay, Mode: gateway.ModeTest,
			Settings: map[string]any{SettingMerchantAccount: testAccount, SettingMerchantDomain: testDomain}},
		Credentials: map[string]string{CredSecretKey: testSecret},
		APIURL:      apiURL,
	}
}

// fixedNow is the tests' clock.
var fixedNow = time.Unix(1415379863, 0)

func TestSignatureVector(t *testing.T) {
	t.Parallel()
	// GATEWAYS.md (AratKruglik/wayforpay-laravel SignatureGeneratorTest.php): names, then counts, then prices.
	const (
		str  = "test_merch_n1;www.market.ua;DH783023;1415379863;1547.36;UAH;Процесор Intel Core i5-4670 3.4GHz;Пам'ять Kingston DDR3-1600 4096MB PC3-12800;1;1;1000;547.36"
		want = "ee828f71ed93441c07eb3eef67762a5c"
	)
	if got := hmacMD5(testSecret, str); got != want {
		t.Fatalf("independent HMAC-MD5 = %s, want %s", got, want)
	}
	got := purchaseSignature(testSecret, testAccount, testDomain, "DH783023", "1415379863", "1547.36", "UAH",
		[]product{
			{name: "Процесор Intel Core i5-4670 3.4GHz", count: "1", price: "1000"},
			{name: "Пам'ять Kingston DDR3-1600 4096MB PC3-12800", count: "1", price: "547.36"},
		})
	if got != want {
		t.Fatalf("purchaseSignature = %s, want the GATEWAYS.md vector %s", got, want)
	}
	if !signatureOK(testSecret, strings.ToUpper(want), strings.Split(str, ";")...) {
		t.Error("signatureOK refused the vector's signature in upper case")
	}
}

func TestFormatAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   money.Money
		want string
	}{
		{money.New(4900, "EUR"), "49"},
		{money.New(4950, "EUR"), "49.5"},
		{money.New(154736, "UAH"), "1547.36"},
		{money.New(1, "USD"), "0.01"},
		{money.New(10, "USD"), "0.1"},
		{money.New(100000, "UAH"), "1000"},
		{money.New(5000, "JPY"), "5000"},
		{money.New(1500, "KWD"), "1.5"},
	}
	for _, tt := range tests {
		if got := formatAmount(tt.in); got != tt.want {
			t.Errorf("formatAmount(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, currency string
		want         int64
		wantErr      bool
	}{
		{"1547.36", "UAH", 154736, false},
		{"49", "EUR", 4900, false},
		{"49.5", "EUR", 4950, false},
		{"49.00", "EUR", 4900, false},
		{"49.000", "EUR", 4900, false},
		{"0.01", "USD", 1, false},
		{"0", "USD", 0, false},
		{"5000", "JPY", 5000, false},
		{"007.10", "UAH", 710, false},
		{"49.001", "EUR", 0, true},
		{"49.5", "JPY", 0, true},
		{"-1", "EUR", 0, true},
		{"+1", "EUR", 0, true},
		{"1e3", "EUR", 0, true},
		{"1,5", "EUR", 0, true},
		{"1.2.3", "EUR", 0, true},
		{".5", "EUR", 0, true},
		{"5.", "EUR", 0, true},
		{"", "EUR", 0, true},
		{" 5", "EUR", 0, true},
		{"49", "", 0, true},
		{"49", "XXX", 0, true},
		{"99999999999999999999", "EUR", 0, true},
		{"10000000000.01", "EUR", 0, true},
	}
	for _, tt := range tests {
		got, err := parseAmount(tt.in, tt.currency)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseAmount(%q, %q) = %d, %v; want %d, error %v", tt.in, tt.currency, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestOrderIDOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ref  string
		want int64
	}{
		{"42-AB3DE7FZ", 42},
		{"9000000000000000-X", 9000000000000000},
		{"42", 0},
		{"42-", 0},
		{"-42-AB", 0},
		{"0-ABCDEFGH", 0},
		{"x42-ABCDEFGH", 0},
		{"DH783023", 0},
		{"99999999999999999999-A", 0},
	}
	for _, tt := range tests {
		if got := orderIDOf(tt.ref); got != tt.want {
			t.Errorf("orderIDOf(%q) = %d, want %d", tt.ref, got, tt.want)
		}
	}
}

func TestLanguage(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"uk", "UA"}, {"ru", "RU"}, {"en", "EN"}, {"en-GB", "EN"}, {"es", "ES"}, {"pt-BR", "EN"}, {"", "EN"},
		{"DE", "DE"},
	}
	for _, tt := range tests {
		if got := language(tt.in); got != tt.want {
			t.Errorf("language(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
