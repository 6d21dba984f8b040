package gateway_test

import (
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/gateway"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		secrets []string
		gone    []string // must not appear in the output
		kept    []string // must still appear
	}{
		{"StripeSecretKey", "Invalid API Key provided: sk_test_4eC39HqLyjWDarjtT1zdp7dc", nil,
			[]string{"4eC39HqLyjWDarjtT1zdp7dc"}, []string{"Invalid API Key provided: sk_test_" + gateway.Redacted}},
		{"LiveAndRestricted", "keys sk_live_abcdefghijklmnop and rk_live_abcdefghijklmnop", nil,
			[]string{"abcdefghijklmnop"}, []string{"sk_live_", "rk_live_"}},
		{"WebhookSecret", "secret whsec_abcdefghijklmnopqrstu", nil, []string{"abcdefghijklmnopqrstu"}, []string{"whsec_"}},
		{"Bearer", "Authorization was 'Bearer sk_live_xyz'.", nil, []string{"xyz"}, []string{"Bearer " + gateway.Redacted}},
		{"Basic", "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", nil, []string{"QWxhZGRpbjpvcGVuIHNlc2FtZQ"}, nil},
		{"Hex", "signature 0123456789abcdef0123456789abcdef0123 mismatch", nil, []string{"0123456789abcdef0123456789abcdef"},
			[]string{"signature", "mismatch"}},
		{"Base64", "client secret EO422dn3gQLgDbuwqTjzrFgFtaRLRR5BdHEESmha49TMlkjsdf8 refused", nil,
			[]string{"EO422dn3gQLgDbuwqTjzrFgFtaRLRR5BdHEESmha49TM"}, []string{"refused"}},
		{"CredentialValue", "merchant key sq7HjrUOBfKmC576ILgskD5srU870gJ7 wrong", []string{"sq7HjrUOBfKmC576ILgskD5srU870gJ7"},
			[]string{"sq7HjrUOBfKmC576ILgskD5srU870gJ7"}, []string{"merchant key", "wrong"}},
		{"ShortCredentialIgnored", "the test merchant", []string{"test"}, nil, []string{"the test merchant"}},
		{"IDsStayReadable", "stripe: status cs_test_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V2w3X4y5Z6: not found (HTTP 404)",
			nil, nil, []string{"cs_test_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V2w3X4y5Z6", "HTTP 404"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := gateway.Redact(tt.in, tt.secrets...)
			for _, g := range tt.gone {
				if strings.Contains(got, g) {
					t.Errorf("Redact(%q) = %q, still shows %q", tt.in, got, g)
				}
			}
			for _, k := range tt.kept {
				if !strings.Contains(got, k) {
					t.Errorf("Redact(%q) = %q, lost %q", tt.in, got, k)
				}
			}
		})
	}
}
