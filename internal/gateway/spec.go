package gateway

import (
	"slices"
)

// Kind is how a field's value is typed and checked.
type Kind int

// Field kinds.
const (
	KindText       Kind = iota // one line of text
	KindLongText               // several lines
	KindPercent                // a decimal number 0–100 with up to two decimals, stored as a decimal string
	KindAmount                 // minor units of the currency named by the field's CurrencyField
	KindCurrency               // an ISO 4217 code
	KindCurrencies             // a list of ISO 4217 codes
	KindSecret                 // a credential: sealed, write-only
)

// Field describes one setting or credential of a payment system type. Name is the API name.
type Field struct {
	Name  string
	Label string
	Hint  string
	Kind  Kind
	// Required: settings must always have a value; credentials must be given on create.
	Required bool
	Max      int
	// CurrencyField names the currency of an amount field.
	CurrencyField string
}

// Secret reports whether f is a credential.
func (f Field) Secret() bool { return f.Kind == KindSecret }

// TypeSpec describes a payment system type: its label, fields (settings and credentials) and capabilities.
type TypeSpec struct {
	Type   string
	Label  string
	Fields []Field
}

// Which gateway fields are settings and which are credentials: a value is a credential when knowing it lets someone
// act as the school towards the gateway — sign requests, read or refund payments, or forge webhooks. Those are
// secret_key, webhook_secret, client_secret and merchant_key: sealed and write-only. The rest identify the account
// and appear in payment pages or gateway dashboards anyway (merchant_code, terminal, merchant_account,
// merchant_domain, merchant_id, client_id, webhook_id): plain settings, shown to admins and returned by the API.
//
// Webhook secrets and ids are optional on create: the gateway only issues them once the webhook URL, which contains
// the new system's id, has been registered with it.

// feeFields are the fee and currency settings every type may carry.
var feeFields = []Field{
	{Name: "fee_percent", Label: "Fee %", Kind: KindPercent,
		Hint: "Percentage the payment system keeps from each payment, e.g. 2.9. Up to two decimals."},
	{Name: "fixed_fee", Label: "Fixed fee", Kind: KindAmount, CurrencyField: "fixed_fee_currency",
		Hint: "Fixed amount the payment system keeps from each payment, e.g. 0.30."},
	{Name: "fixed_fee_currency", Label: "Currency of the fixed fee", Kind: KindCurrency,
		Hint: "Required when there is a fixed fee."},
	{Name: "account_currency", Label: "Account (income) currency", Kind: KindCurrency,
		Hint: "The currency in which payments reach your account."},
	{Name: "fallback_currency", Label: "Fallback transaction currency", Kind: KindCurrency,
		Hint: "Used when the payer's currency is not supported."},
	{Name: "supported_currencies", Label: "Supported currencies", Kind: KindCurrencies,
		Hint: "ISO codes separated by commas, e.g. EUR, USD. Must include the account and fallback currencies. Leave empty to accept whatever the gateway accepts."},
}

var specs = []TypeSpec{
	{Type: TypeManual, Label: "Manual payments (cash, bank transfer)", Fields: []Field{
		{Name: "comment_hint", Label: "Comment hint shown to the payer", Kind: KindLongText, Max: 500,
			Hint: "E.g. \"Write the last 4 digits of the card you paid from\"."},
	}},
	{Type: TypeStripe, Label: "Stripe", Fields: []Field{
		{Name: "secret_key", Label: "Secret key", Kind: KindSecret, Required: true, Max: 255,
			Hint: "Starts with sk_test_ in test mode and sk_live_ in live mode."},
		{Name: "webhook_secret", Label: "Webhook signing secret", Kind: KindSecret, Max: 255,
			Hint: "Starts with whsec_. Shown by Stripe once you add this system's webhook URL."},
	}},
	{Type: TypePayPal, Label: "PayPal", Fields: []Field{
		{Name: "client_id", Label: "Client ID", Kind: KindText, Required: true, Max: 255},
		{Name: "client_secret", Label: "Client secret", Kind: KindSecret, Required: true, Max: 255},
		{Name: "webhook_id", Label: "Webhook ID", Kind: KindText, Max: 64,
			Hint: "Shown by PayPal once you add this system's webhook URL."},
	}},
	{Type: TypeRedsys, Label: "Redsys", Fields: []Field{
		{Name: "merchant_code", Label: "Merchant code (FUC)", Kind: KindText, Required: true, Max: 9,
			Hint: "Up to 9 digits."},
		{Name: "terminal", Label: "Terminal", Kind: KindText, Required: true, Max: 3, Hint: "Usually 1."},
		{Name: "merchant_key", Label: "Secret key (SHA-256)", Kind: KindSecret, Required: true, Max: 64,
			Hint: "The 32-character key from the Redsys administration module."},
	}},
	{Type: TypeWayForPay, Label: "WayForPay", Fields: []Field{
		{Name: "merchant_account", Label: "Merchant account", Kind: KindText, Required: true, Max: 100},
		{Name: "merchant_domain", Label: "Merchant domain", Kind: KindText, Required: true, Max: 253,
			Hint: "The domain registered with WayForPay, e.g. school.example."},
		{Name: "secret_key", Label: "Secret key", Kind: KindSecret, Required: true, Max: 255},
	}},
	{Type: TypeFondy, Label: "Fondy", Fields: []Field{
		{Name: "merchant_id", Label: "Merchant ID", Kind: KindText, Required: true, Max: 20, Hint: "Digits only."},
		{Name: "secret_key", Label: "Payment key", Kind: KindSecret, Required: true, Max: 255},
	}},
}

// Types lists the payment system types in the order screens offer them.
func Types() []TypeSpec { return slices.Clone(specs) }

// Spec returns the spec of type typ, with the shared fee fields after the type's own settings and credentials.
func Spec(typ string) (TypeSpec, bool) {
	for _, s := range specs {
		if s.Type == typ {
			if typ == TypeManual {
				// The manual type is configured by its fees first (seed 004's screen order), and has no gateway
				// to fall back on: it must say which currencies it takes.
				fees := slices.Clone(feeFields)
				for i := range fees {
					if fees[i].Kind == KindCurrencies {
						fees[i].Required = true
						fees[i].Hint = "ISO codes separated by commas, e.g. EUR, USD. Must include the account and fallback currencies."
					}
				}
				s.Fields = slices.Concat(fees, s.Fields)
			} else {
				s.Fields = slices.Concat(s.Fields, feeFields)
			}
			return s, true
		}
	}
	return TypeSpec{}, false
}

// Field returns the field called name.
func (t TypeSpec) Field(name string) (Field, bool) {
	for _, f := range t.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Settings lists the public fields.
func (t TypeSpec) Settings() []Field {
	return slices.DeleteFunc(slices.Clone(t.Fields), Field.Secret)
}

// Credentials lists the secret fields.
func (t TypeSpec) Credentials() []Field {
	return slices.DeleteFunc(slices.Clone(t.Fields), func(f Field) bool { return !f.Secret() })
}

// Can reports whether the type has capability c.
func (t TypeSpec) Can(c Capability) bool { return TypeCan(t.Type, c) }
