// Package money is Bursar's one money type: int64 minor units plus an ISO 4217 currency code, with the
// currency's exponent and locale-aware formatting. No floats touch amounts.
package money

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Money is an amount in the currency's minor units (cents for EUR, whole yen for JPY).
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// New returns Money in currency (upper-cased).
func New(amount int64, currency string) Money {
	return Money{Amount: amount, Currency: strings.ToUpper(currency)}
}

// MaxAmount bounds amounts Bursar accepts: 10^12 minor units (ten billion euros) is absurd for a school.
const MaxAmount = 1_000_000_000_000

// exponents lists ISO 4217 active currencies with their minor-unit exponents.
var exponents = map[string]int{
	"AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "ANG": 2, "AOA": 2, "ARS": 2, "AUD": 2, "AWG": 2, "AZN": 2,
	"BAM": 2, "BBD": 2, "BDT": 2, "BGN": 2, "BHD": 3, "BIF": 0, "BMD": 2, "BND": 2, "BOB": 2, "BRL": 2,
	"BSD": 2, "BTN": 2, "BWP": 2, "BYN": 2, "BZD": 2, "CAD": 2, "CDF": 2, "CHF": 2, "CLP": 0, "CNY": 2,
	"COP": 2, "CRC": 2, "CUP": 2, "CVE": 2, "CZK": 2, "DJF": 0, "DKK": 2, "DOP": 2, "DZD": 2, "EGP": 2,
	"ERN": 2, "ETB": 2, "EUR": 2, "FJD": 2, "FKP": 2, "GBP": 2, "GEL": 2, "GHS": 2, "GIP": 2, "GMD": 2,
	"GNF": 0, "GTQ": 2, "GYD": 2, "HKD": 2, "HNL": 2, "HTG": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2,
	"IQD": 3, "IRR": 2, "ISK": 0, "JMD": 2, "JOD": 3, "JPY": 0, "KES": 2, "KGS": 2, "KHR": 2, "KMF": 0,
	"KPW": 2, "KRW": 0, "KWD": 3, "KYD": 2, "KZT": 2, "LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2, "LSL": 2,
	"LYD": 3, "MAD": 2, "MDL": 2, "MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2, "MOP": 2, "MRU": 2, "MUR": 2,
	"MVR": 2, "MWK": 2, "MXN": 2, "MYR": 2, "MZN": 2, "NAD": 2, "NGN": 2, "NIO": 2, "NOK": 2, "NPR": 2,
	"NZD": 2, "OMR": 3, "PAB": 2, "PEN": 2, "PGK": 2, "PHP": 2, "PKR": 2, "PLN": 2, "PYG": 0, "QAR": 2,
	"RON": 2, "RSD": 2, "RUB": 2, "RWF": 0, "SAR": 2, "SBD": 2, "SCR": 2, "SDG": 2, "SEK": 2, "SGD": 2,
	"SHP": 2, "SLE": 2, "SOS": 2, "SRD": 2, "SSP": 2, "STN": 2, "SYP": 2, "SZL": 2, "THB": 2, "TJS": 2,
	"TMT": 2, "TND": 3, "TOP": 2, "TRY": 2, "TTD": 2, "TWD": 2, "TZS": 2, "UAH": 2, "UGX": 0, "USD": 2,
	"UYU": 2, "UZS": 2, "VES": 2, "VND": 0, "VUV": 0, "WST": 2, "XAF": 0, "XCD": 2, "XOF": 0, "XPF": 0,
	"YER": 2, "ZAR": 2, "ZMW": 2, "ZWG": 2,
}

// numeric holds ISO 4217 numeric codes for currencies gateways ask for by number (Redsys).
var numeric = map[string]string{
	"EUR": "978", "USD": "840", "GBP": "826", "JPY": "392", "CHF": "756", "UAH": "980", "PLN": "985",
	"CZK": "203", "SEK": "752", "NOK": "578", "DKK": "208", "RUB": "643", "CAD": "124", "AUD": "036",
	"MXN": "484", "BRL": "986", "ARS": "032", "CLP": "152", "COP": "170", "PEN": "604", "TRY": "949",
	"HUF": "348", "RON": "946", "BGN": "975", "INR": "356", "CNY": "156", "KRW": "410",
}

// byNumeric is numeric reversed.
var byNumeric = func() map[string]string {
	m := make(map[string]string, len(numeric))
	for code, n := range numeric {
		m[n] = code
	}
	return m
}()

// Known reports whether code is an active ISO 4217 currency code (upper case).
func Known(code string) bool {
	_, ok := exponents[code]
	return ok
}

// Exponent is the number of minor-unit digits of code (2 when unknown).
func Exponent(code string) int {
	if e, ok := exponents[code]; ok {
		return e
	}
	return 2
}

// Numeric is the ISO 4217 numeric code of code, or "" when Bursar does not know it.
func Numeric(code string) string { return numeric[code] }

// FromNumeric is the alphabetic code of an ISO 4217 numeric code ("978" → "EUR"), or "" when Bursar does not know
// it. The code has three digits, zero-padded.
func FromNumeric(n string) string { return byNumeric[n] }

// Codes lists every known currency code, sorted.
func Codes() []string {
	out := make([]string, 0, len(exponents))
	for c := range exponents {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Decimal renders m as a plain decimal string with a dot ("49.00", "1547.36", "5000" for JPY), as gateways want.
func (m Money) Decimal() string {
	return decimal(m.Amount, Exponent(m.Currency), ".", "")
}

func decimal(amount int64, exp int, point, group string) string {
	neg := amount < 0
	u := uint64(amount)
	if neg {
		u = uint64(-amount)
	}
	s := strconv.FormatUint(u, 10)
	for len(s) <= exp {
		s = "0" + s
	}
	intPart, frac := s[:len(s)-exp], s[len(s)-exp:]
	if group != "" && len(intPart) > 3 {
		var b strings.Builder
		pre := len(intPart) % 3
		if pre > 0 {
			b.WriteString(intPart[:pre])
		}
		for i := pre; i < len(intPart); i += 3 {
			if b.Len() > 0 {
				b.WriteString(group)
			}
			b.WriteString(intPart[i : i+3])
		}
		intPart = b.String()
	}
	out := intPart
	if exp > 0 {
		out += point + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// ParseError says why text typed by a person is not an amount; Reason is in words for that person ("EUR has at
// most 2 decimal places").
type ParseError struct {
	Reason string
}

// Error returns the reason.
func (e *ParseError) Error() string { return e.Reason }

// ParseDecimal reads a decimal amount typed by a person ("49", "49.9", "49,90", "1 234.50") into minor units of
// currency. It rejects more fraction digits than the currency has; its errors are *ParseError.
func ParseDecimal(s, currency string) (int64, error) {
	exp := Exponent(currency)
	s = strings.TrimSpace(s)
	s = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", "_", "").Replace(s)
	if s == "" {
		return 0, &ParseError{Reason: "amount is empty"}
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := strings.LastIndexAny(s, ".,")
	intPart, frac := s, ""
	if sep >= 0 {
		intPart, frac = s[:sep], s[sep+1:]
		intPart = strings.NewReplacer(",", "", ".", "").Replace(intPart)
	}
	if intPart == "" {
		intPart = "0"
	}
	if len(frac) > exp {
		return 0, &ParseError{Reason: fmt.Sprintf("%s has at most %d decimal places", currency, exp)}
	}
	for len(frac) < exp {
		frac += "0"
	}
	for _, r := range intPart + frac {
		if r < '0' || r > '9' {
			return 0, &ParseError{Reason: fmt.Sprintf("%q is not a number", s)}
		}
	}
	if len(intPart)+len(frac) > 18 {
		return 0, &ParseError{Reason: "amount is too large"}
	}
	v, err := strconv.ParseInt(intPart+frac, 10, 64)
	if err != nil {
		return 0, &ParseError{Reason: fmt.Sprintf("%q is not a number", s)}
	}
	if neg {
		v = -v
	}
	return v, nil
}

// ParseExact reads an amount as a gateway sends it ("1547.36", "49", "49.5", "49.000") into minor units of
// currency, with integers only: digits, and an optional point followed by at least one digit; decimals beyond the
// currency's exponent only when they are zeros. Signs, separators, exponents, an unknown currency and amounts over
// MaxAmount are errors. People's input goes through ParseDecimal instead.
func ParseExact(s, currency string) (int64, error) {
	if !Known(currency) {
		return 0, fmt.Errorf("unknown currency %q", currency)
	}
	whole, frac, point := strings.Cut(s, ".")
	if whole == "" || (point && frac == "") || len(whole) > 15 || !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("amount %q is not a decimal", s)
	}
	exp := Exponent(currency)
	if len(frac) > exp {
		if strings.Trim(frac[exp:], "0") != "" {
			return 0, fmt.Errorf("amount %q has more decimals than %s", s, currency)
		}
		frac = frac[:exp]
	}
	frac += strings.Repeat("0", exp-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n > MaxAmount {
		return 0, fmt.Errorf("amount %q is too large", s)
	}
	return n, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// symbols are the signs shown for common currencies; others show their code.
var symbols = map[string]string{
	"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "UAH": "₴", "RUB": "₽", "PLN": "zł", "INR": "₹",
	"KRW": "₩", "TRY": "₺", "ILS": "₪", "CHF": "CHF", "KZT": "₸", "GEL": "₾",
}

// Format renders m for people reading lang ("en", "es", "fr", "ru", "uk", ...): "€1,234.50" in English,
// "1.234,50 €" in Spanish, "1 234,50 €" in French, Russian and Ukrainian.
func (m Money) Format(lang string) string {
	sym, ok := symbols[m.Currency]
	if !ok {
		sym = m.Currency
	}
	exp := Exponent(m.Currency)
	switch lang {
	case "es", "de", "it", "pt":
		return decimal(m.Amount, exp, ",", ".") + "\u00a0" + sym
	case "fr", "ru", "uk", "pl", "cs":
		return decimal(m.Amount, exp, ",", "\u202f") + "\u00a0" + sym
	default:
		if len([]rune(sym)) > 1 {
			return sym + "\u00a0" + decimal(m.Amount, exp, ".", ",")
		}
		return sym + decimal(m.Amount, exp, ".", ",")
	}
}

// String is a log-friendly "49.00 EUR".
func (m Money) String() string { return m.Decimal() + " " + m.Currency }

// Check validates an amount and currency, returning messages keyed by "amount" and "currency".
func Check(amount int64, currency string, allowZero bool) map[string]string {
	errs := map[string]string{}
	if !Known(currency) {
		errs["currency"] = "must be an ISO 4217 currency code such as EUR"
	}
	switch {
	case amount < 0:
		errs["amount"] = "must not be negative"
	case amount == 0 && !allowZero:
		errs["amount"] = "must be greater than zero"
	case amount > MaxAmount:
		errs["amount"] = "is too large"
	}
	return errs
}
