package redsys

import (
	"bytes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/bursar/bursar/internal/money"
)

// SignatureVersion is the only signature version Redsys offers and Bursar accepts.
const SignatureVersion = "HMAC_SHA256_V1"

// Form and envelope field names.
const (
	FieldSignatureVersion   = "Ds_SignatureVersion"
	FieldMerchantParameters = "Ds_MerchantParameters"
	FieldSignature          = "Ds_Signature"
)

// merchantKeyLen is the length of a decoded merchant key: a 3DES (EDE3) key.
const merchantKeyLen = 24

// errKey says the merchant key credential is missing or not a base64 24-byte key; it never carries the key.
var errKey = errors.New("merchant_key is missing or is not the base64 text of a 24-byte key")

// merchantKey decodes the merchant key credential (standard base64, as the Redsys administration module shows it).
func merchantKey(s string) ([]byte, error) {
	k, err := decode64(strings.TrimSpace(s))
	if err != nil || len(k) != merchantKeyLen {
		return nil, errKey
	}
	return k, nil
}

// orderKey is the key of one order number: 3DES-CBC with a zero IV of the order zero-padded to a multiple of 8
// bytes, under the merchant key.
func orderKey(key []byte, order string) ([]byte, error) {
	block, err := des.NewTripleDESCipher(key)
	if err != nil {
		return nil, errKey
	}
	n := (len(order) + des.BlockSize - 1) / des.BlockSize * des.BlockSize
	if n == 0 {
		n = des.BlockSize
	}
	buf := make([]byte, n)
	copy(buf, order)
	cipher.NewCBCEncrypter(block, make([]byte, des.BlockSize)).CryptBlocks(buf, buf)
	return buf, nil
}

// signature is HMAC-SHA256 of the parameters text (exactly as sent) under order's key.
func signature(key []byte, order, params string) ([]byte, error) {
	k, err := orderKey(key, order)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, k)
	m.Write([]byte(params))
	return m.Sum(nil), nil
}

// sign is the Ds_Signature of params: the signature in standard base64.
func sign(key []byte, order, params string) (string, error) {
	sig, err := signature(key, order, params)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// decode64 decodes standard or URL-safe base64, padded or not. Form decoding of an unescaped "+" leaves a space, so
// spaces are read as "+"; line breaks are ignored.
func decode64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '-':
			return '+'
		case '_':
			return '/'
		case ' ':
			return '+'
		case '\r', '\n':
			return -1
		}
		return r
	}, s)
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// param is one DS_MERCHANT_* parameter; params are written in the order given.
type param struct{ name, value string }

// encodeParams is the Ds_MerchantParameters text of ps: base64 of a JSON object of string values, written as
// Redsys' own PHP library writes it (non-ASCII characters as \u escapes), so every bank's SIS reads it.
func encodeParams(ps []param) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(jsonString(p.name))
		b.WriteByte(':')
		b.WriteString(jsonString(p.value))
	}
	b.WriteByte('}')
	return base64.StdEncoding.EncodeToString([]byte(b.String()))
}

// jsonString is s as an ASCII-only JSON string.
func jsonString(s string) string {
	var raw bytes.Buffer
	enc := json.NewEncoder(&raw)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(strings.ToValidUTF8(s, "\uFFFD")) // a string always encodes
	var b strings.Builder
	for _, r := range strings.TrimSuffix(raw.String(), "\n") {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// maxParams bounds a Ds_MerchantParameters text Bursar reads; Redsys sends about a KiB.
const maxParams = 32 << 10

// decodeParams reads a Ds_MerchantParameters text (standard or URL-safe base64) into its values by lower-cased
// name. String and number values are kept (numbers as written); objects, arrays and nulls are left out.
func decodeParams(text string) (map[string]string, error) {
	if len(text) > maxParams {
		return nil, fmt.Errorf("parameters longer than %d bytes", maxParams)
	}
	raw, err := decode64(text)
	if err != nil {
		return nil, fmt.Errorf("parameters are not base64: %w", err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("parameters are not a JSON object: %w", err)
	}
	out := make(map[string]string, len(obj))
	seen := make(map[string]bool, len(obj))
	for k, v := range obj {
		name := strings.ToLower(k)
		if seen[name] {
			return nil, fmt.Errorf("parameter %.40q given twice", k)
		}
		seen[name] = true
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			out[name] = s
			continue
		}
		var n json.Number
		if err := json.Unmarshal(v, &n); err == nil {
			out[name] = n.String()
		}
	}
	return out, nil
}

// validOrder reports whether s can be a Redsys order number: 1 to 12 ASCII letters and digits (Redsys' own are 4
// to 12, the first four digits; older integrations send fewer).
func validOrder(s string) bool {
	if len(s) == 0 || len(s) > 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// numericCurrency is the ISO 4217 numeric code of alphabetic code, "" when Bursar cannot send it to Redsys.
func numericCurrency(code string) string { return money.Numeric(strings.ToUpper(code)) }

// alphaCurrency is the alphabetic code of an ISO 4217 numeric code as Redsys writes it ("978", "36" or "036"),
// "" when unknown.
func alphaCurrency(numeric string) string {
	n, err := strconv.Atoi(numeric)
	if err != nil || n <= 0 || n > 999 || len(numeric) > 3 {
		return ""
	}
	return money.FromNumeric(fmt.Sprintf("%03d", n))
}

// languages are Redsys' consumer language codes by ISO 639-1 language: 1 to 13 are Redsys' own numbering, the rest
// reuse ISO 3166-1 numeric country codes. Ukrainian has none.
var languages = map[string]string{
	"es": "001", "en": "002", "ca": "003", "fr": "004", "de": "005", "nl": "006", "it": "007", "sv": "008",
	"pt": "009", "pl": "011", "gl": "012", "eu": "013", "bg": "100", "zh": "156", "hr": "191", "cs": "203",
	"da": "208", "et": "233", "fi": "246", "el": "300", "hu": "348", "ja": "392", "lv": "428", "lt": "440",
	"mt": "470", "ro": "642", "ru": "643", "sk": "703", "sl": "705", "tr": "792",
}

// language is Redsys' code for a Bursar language ("es", "pt-BR"), "" when Redsys has none (the payment page then
// follows the payer's browser).
func language(lang string) string {
	lang = strings.ToLower(lang)
	if c, ok := languages[lang]; ok {
		return c
	}
	base, _, _ := strings.Cut(lang, "-")
	return languages[base]
}
