package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
)

// DecimalAmount is an amount typed by a person ("1,50") in the currency named by the field's CurrencyField. Forms
// pass it for amount settings; the API passes minor units (a JSON integer).
type DecimalAmount string

// Input creates a payment system. Settings values may be strings, integers, json.Number, json.RawMessage,
// DecimalAmount or lists of strings; Credentials are plain strings.
type Input struct {
	Type        string
	Name        string
	Description string
	ImageURL    string
	Mode        string // "" means test
	Enabled     bool
	Settings    map[string]any
	Credentials map[string]string
}

// Patch changes a payment system; nil fields keep their value. Settings are merged (a nil, empty or JSON null value
// removes the setting) and so are Credentials (an empty value keeps the stored one).
type Patch struct {
	Name        *string
	Description *string
	ImageURL    *string
	Mode        *string
	Enabled     *bool
	Settings    map[string]any
	Credentials map[string]string
}

// draft is a payment system being checked before it is written.
type draft struct {
	typ, name, description, imageURL, mode string
	settings                               map[string]any
	creds                                  map[string]string
}

// validate checks d and normalizes its settings and credentials in place. newSettings and newCreds are the values
// given by the caller (already merged into d), checked for unknown keys and form.
func (d *draft) validate(newSettings map[string]any, newCreds map[string]string) check.Errors {
	errs := check.Errors{}
	d.name, d.description, d.imageURL = strings.TrimSpace(d.name), strings.TrimSpace(d.description), strings.TrimSpace(d.imageURL)
	errs.Text("name", d.name, true, 100)
	errs.Text("description", d.description, false, 2000)
	errs.URL("image_url", d.imageURL)
	if d.mode != ModeTest && d.mode != ModeLive {
		errs.Add("mode", "must be test or live")
	}
	spec, ok := Spec(d.typ)
	if !ok {
		names := make([]string, len(specs))
		for i, s := range specs {
			names[i] = s.Type
		}
		errs.Add("type", "must be one of "+strings.Join(names, ", "))
		return errs
	}
	for k, v := range newSettings {
		f, ok := spec.Field(k)
		switch {
		case !ok:
			errs.Add("settings."+k, "is not a setting of "+spec.Label+" payment systems")
		case f.Secret():
			errs.Add("settings."+k, "is a credential: send it under credentials")
		default:
			norm, msg := normalize(f, v)
			if msg != "" {
				errs.Add("settings."+k, msg)
				continue
			}
			if norm == nil {
				delete(d.settings, k)
			} else {
				d.settings[k] = norm
			}
		}
	}
	for k, v := range newCreds {
		f, ok := spec.Field(k)
		switch {
		case !ok:
			errs.Add("credentials."+k, "is not a credential of "+spec.Label+" payment systems")
		case !f.Secret():
			errs.Add("credentials."+k, "is a setting: send it under settings")
		case strings.TrimSpace(v) == "":
			// Empty keeps the stored value (forms never show credentials, so an untouched field is empty).
		default:
			v = strings.TrimSpace(v)
			if msg := credentialForm(f, v); msg != "" {
				errs.Add("credentials."+k, msg)
				continue
			}
			d.creds[k] = v
		}
	}
	d.checkFixedFee(newSettings, errs)
	d.checkRequired(spec, errs)
	d.checkCurrencies(errs)
	if check, ok := typeChecks[d.typ]; ok {
		check(d, errs)
	}
	return errs
}

// checkFixedFee converts a DecimalAmount fixed fee (forms) into minor units of its currency.
func (d *draft) checkFixedFee(newSettings map[string]any, errs check.Errors) {
	raw, ok := newSettings["fixed_fee"].(DecimalAmount)
	if !ok || strings.TrimSpace(string(raw)) == "" {
		return
	}
	cur := d.Setting("fixed_fee_currency")
	if !money.Known(cur) {
		errs.Add("settings.fixed_fee_currency", "is required when there is a fixed fee")
		return
	}
	n, err := money.ParseDecimal(string(raw), cur)
	switch {
	case err != nil:
		errs.Add("settings.fixed_fee", "must be an amount such as 0.30 ("+err.Error()+")")
	case n < 0:
		errs.Add("settings.fixed_fee", "must not be negative")
	case n > money.MaxAmount:
		errs.Add("settings.fixed_fee", "is too large")
	case n == 0:
		delete(d.settings, "fixed_fee")
	default:
		d.settings["fixed_fee"] = n
	}
}

// Setting returns the string setting name of d, or "".
func (d *draft) Setting(name string) string {
	v, _ := d.settings[name].(string)
	return v
}

func (d *draft) checkRequired(spec TypeSpec, errs check.Errors) {
	for _, f := range spec.Fields {
		if !f.Required {
			continue
		}
		if f.Secret() {
			if d.creds[f.Name] == "" {
				errs.Add("credentials."+f.Name, "is required")
			}
		} else if _, ok := d.settings[f.Name]; !ok && f.Kind == KindCurrencies {
			errs.Add("settings."+f.Name, "must list at least one currency")
		} else if !ok {
			errs.Add("settings."+f.Name, "is required")
		}
	}
}

// checkCurrencies: a fixed fee needs its currency, and the account and fallback currencies must be supported.
func (d *draft) checkCurrencies(errs check.Errors) {
	if n, _ := d.settings["fixed_fee"].(int64); n > 0 && d.Setting("fixed_fee_currency") == "" {
		errs.Add("settings.fixed_fee_currency", "is required when there is a fixed fee")
	}
	supported, _ := d.settings["supported_currencies"].([]string)
	if len(supported) == 0 {
		return
	}
	for _, name := range []string{"account_currency", "fallback_currency"} {
		if c := d.Setting(name); c != "" && !slices.Contains(supported, c) {
			errs.Add("settings."+name, c+" must also be one of the supported currencies")
		}
	}
}

// normalize checks one setting value and returns its stored form; nil means the setting is removed.
func normalize(f Field, v any) (any, string) {
	if raw, ok := v.(json.RawMessage); ok {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var x any
		if err := dec.Decode(&x); err != nil {
			return nil, "is not valid JSON"
		}
		v = x
	}
	if v == nil {
		return nil, ""
	}
	switch f.Kind {
	case KindPercent:
		return normalizePercent(v)
	case KindAmount:
		return normalizeAmount(v)
	case KindCurrency:
		s, ok := v.(string)
		if !ok {
			return nil, "must be a currency code such as EUR"
		}
		s = strings.ToUpper(strings.TrimSpace(s))
		if s == "" {
			return nil, ""
		}
		if !money.Known(s) {
			return nil, "must be an ISO 4217 currency code such as EUR"
		}
		return s, ""
	case KindCurrencies:
		return normalizeCurrencies(v)
	default:
		return normalizeText(f, v)
	}
}

func normalizeText(f Field, v any) (any, string) {
	s, ok := v.(string)
	if !ok {
		return nil, "must be text"
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, ""
	}
	errs := check.Errors{}
	errs.Text("v", s, false, f.Max)
	if msg := errs["v"]; msg != "" {
		return nil, msg
	}
	if f.Kind == KindText && strings.ContainsFunc(s, unicode.IsSpace) {
		return nil, "must not contain spaces"
	}
	return s, ""
}

var percentRE = regexp.MustCompile(`^([0-9]{1,3})(?:\.([0-9]+))?$`)

// normalizePercent accepts "2.5", "2,50", 2.5 (a JSON number) and returns the shortest decimal string.
func normalizePercent(v any) (any, string) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number:
		s = x.String()
	case int64:
		s = strconv.FormatInt(x, 10)
	case int:
		s = strconv.Itoa(x)
	case float64:
		// Only formatted, never computed with: the decimal digits are then checked as text.
		s = strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return nil, "must be a number between 0 and 100"
	}
	s = strings.TrimSuffix(strings.ReplaceAll(strings.TrimSpace(s), ",", "."), "%")
	if s == "" {
		return nil, ""
	}
	bp, ok := percentBP(s)
	if !ok {
		return nil, "must be a number between 0 and 100 with at most two decimals"
	}
	if bp == 0 {
		return nil, ""
	}
	return formatBP(bp), ""
}

// percentBP parses a percentage ("2.5") into basis points (250), requiring 0–100 and at most two decimals.
func percentBP(s string) (int64, bool) {
	m := percentRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, false
	}
	frac := strings.TrimRight(m[2], "0")
	if len(frac) > 2 {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	n, err := strconv.ParseInt(m[1]+frac, 10, 64)
	if err != nil || n > 10000 {
		return 0, false
	}
	return n, true
}

func formatBP(bp int64) string {
	s := strconv.FormatInt(bp/100, 10)
	if frac := bp % 100; frac != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%02d", frac), "0")
	}
	return s
}

// normalizeAmount accepts minor units as a JSON integer.
func normalizeAmount(v any) (any, string) {
	const msg = "must be a whole number of minor units (150 for 1.50)"
	var n int64
	switch x := v.(type) {
	case DecimalAmount:
		return nil, "" // converted once its currency is known: see checkFixedFee
	case json.Number:
		i, err := strconv.ParseInt(x.String(), 10, 64)
		if err != nil {
			return nil, msg
		}
		n = i
	case int64:
		n = x
	case int:
		n = int64(x)
	case float64:
		if x != float64(int64(x)) {
			return nil, msg
		}
		n = int64(x)
	default:
		return nil, msg
	}
	switch {
	case n < 0:
		return nil, "must not be negative"
	case n > money.MaxAmount:
		return nil, "is too large"
	case n == 0:
		return nil, ""
	}
	return n, ""
}

// normalizeCurrencies accepts a list of codes or one string of codes separated by commas or spaces.
func normalizeCurrencies(v any) (any, string) {
	var in []string
	switch x := v.(type) {
	case string:
		in = strings.FieldsFunc(x, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
	case []string:
		in = x
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, "must be a list of currency codes"
			}
			in = append(in, s)
		}
	default:
		return nil, "must be a list of currency codes"
	}
	out := make([]string, 0, len(in))
	for _, c := range in {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c == "" || slices.Contains(out, c) {
			continue
		}
		if !money.Known(c) {
			return nil, fmt.Sprintf("%.10q is not an ISO 4217 currency code", c)
		}
		out = append(out, c)
	}
	if len(out) > 50 {
		return nil, "must list at most 50 currencies"
	}
	if len(out) == 0 {
		return nil, ""
	}
	return out, ""
}

// credentialForm checks a credential's length and characters.
func credentialForm(f Field, v string) string {
	if len(v) > f.Max {
		return fmt.Sprintf("must be at most %d characters", f.Max)
	}
	if strings.ContainsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "must not contain spaces"
	}
	return ""
}

var (
	stripeKeyRE = regexp.MustCompile(`^sk_(test|live)_[0-9A-Za-z_]+$`)
	digitsRE    = regexp.MustCompile(`^[0-9]+$`)
	domainRE    = regexp.MustCompile(`^(?i)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$`)
)

// typeChecks hold the per-type rules on values (presence is checked from the spec).
var typeChecks = map[string]func(d *draft, errs check.Errors){
	TypeStripe: func(d *draft, errs check.Errors) {
		if k := d.creds["secret_key"]; k != "" {
			m := stripeKeyRE.FindStringSubmatch(k)
			switch {
			case m == nil:
				errs.Add("credentials.secret_key", "must be a Stripe secret key starting with sk_test_ or sk_live_")
			case m[1] != d.mode:
				errs.Add("credentials.secret_key", "is a "+m[1]+" key but the mode is "+d.mode)
			}
		}
		if k := d.creds["webhook_secret"]; k != "" && !strings.HasPrefix(k, "whsec_") {
			errs.Add("credentials.webhook_secret", "must start with whsec_")
		}
	},
	TypeRedsys: func(d *draft, errs check.Errors) {
		if v := d.Setting("merchant_code"); v != "" && !digitsRE.MatchString(v) {
			errs.Add("settings.merchant_code", "must be digits only")
		}
		if v := d.Setting("terminal"); v != "" && !digitsRE.MatchString(v) {
			errs.Add("settings.terminal", "must be digits only")
		}
		if k := d.creds["merchant_key"]; k != "" {
			if b, err := base64.StdEncoding.DecodeString(k); err != nil || len(b) != 24 {
				errs.Add("credentials.merchant_key", "must be the 32-character key from the Redsys administration module")
			}
		}
	},
	TypeWayForPay: func(d *draft, errs check.Errors) {
		if v := d.Setting("merchant_domain"); v != "" && !domainRE.MatchString(v) {
			errs.Add("settings.merchant_domain", "must be a domain name such as school.example")
		}
	},
	TypeFondy: func(d *draft, errs check.Errors) {
		if v := d.Setting("merchant_id"); v != "" && !digitsRE.MatchString(v) {
			errs.Add("settings.merchant_id", "must be digits only")
		}
	},
}
