// Package gateway is the payment systems a school configures (one gateway account each: manual, Stripe, PayPal,
// Redsys, WayForPay, Fondy) and, later, the Gateway interface with one subpackage per provider.
//
// A payment system has public settings (stored as jsonb, shown to admins and returned by the API) and credentials
// (sealed with internal/secret, write-only: screens and the API only ever say which ones are set).
package gateway

import (
	"fmt"
	"slices"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
)

// Payment system types.
const (
	TypeManual    = "manual"
	TypeStripe    = "stripe"
	TypePayPal    = "paypal"
	TypeRedsys    = "redsys"
	TypeWayForPay = "wayforpay"
	TypeFondy     = "fondy"
)

// Modes: test systems talk to the gateway's sandbox, live ones take real money.
const (
	ModeTest = "test"
	ModeLive = "live"
)

// Capability is something a payment system type can or cannot do; later issues ask before offering it.
type Capability string

// Capabilities.
const (
	// PayWithoutAuthorization: the gateway returns the payer's e-mail, so a visitor may pay without an account (F2).
	PayWithoutAuthorization Capability = "pay_without_authorization"
	// APIRefunds: a refund can be made through the gateway's API (manual refunds are a status change instead).
	APIRefunds Capability = "api_refunds"
	// Recurring: payment systems of the type sell subscriptions (recurring offers): the gateway charges a saved card
	// on schedule by itself (Stripe, PayPal), or saves the card for Bursar to charge on Bursar's schedule
	// (SavedCards). Others sell a programme by receipts and payment links.
	Recurring Capability = "recurring"
	// SavedCards: the gateway saves the payer's card at a first payment and charges it when Bursar asks
	// (CardCharger): Bursar owns the schedule of its subscriptions. No free trial: the first payment saves the card.
	SavedCards Capability = "saved_cards"
	// IdempotentRefunds: a refund asked again with the same RefundRequest.IdempotencyKey is made once, the repeat
	// answered with the first answer (Stripe's Idempotency-Key, kept by Stripe for 24 hours: IdempotencyWindow). A
	// refund whose answer was lost is asked again only through such a gateway.
	IdempotentRefunds Capability = "idempotent_refunds"
)

// IdempotencyWindow is how long after a refund was first asked for the gateways with IdempotentRefunds still
// answer a repeat with the first answer; later, asking again could refund twice.
const IdempotencyWindow = 24 * time.Hour

// capabilities is the per-type table.
var capabilities = map[string][]Capability{
	TypeManual:    nil,
	TypeStripe:    {PayWithoutAuthorization, APIRefunds, Recurring, IdempotentRefunds},
	TypePayPal:    {PayWithoutAuthorization, APIRefunds, Recurring},
	TypeRedsys:    {APIRefunds},
	TypeWayForPay: {PayWithoutAuthorization, APIRefunds, Recurring, SavedCards},
	TypeFondy:     {PayWithoutAuthorization, APIRefunds, Recurring, SavedCards},
}

// TypeCan reports whether payment systems of type typ have capability c.
func TypeCan(typ string, c Capability) bool { return slices.Contains(capabilities[typ], c) }

// System is one configured payment system. Credentials are never part of it: they stay sealed in the database, and
// only their names are known here.
type System struct {
	ID          int64
	Type        string // manual, stripe, paypal, redsys, wayforpay, fondy
	Name        string
	Description string
	ImageURL    string
	Mode        string // test or live
	// Settings is the public configuration, normalized: strings, int64 (fixed_fee) and []string
	// (supported_currencies). fee_percent is a decimal string such as "2.5".
	Settings map[string]any
	// CredentialNames lists the credentials that are set (never their values), sorted.
	CredentialNames []string
	Enabled         bool
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Can reports whether s's type has capability c.
func (s System) Can(c Capability) bool { return TypeCan(s.Type, c) }

// Setting returns the string setting name, or "".
func (s System) Setting(name string) string {
	v, _ := s.Settings[name].(string)
	return v
}

// Fees is what a payment system charges per payment: a percentage in basis points (2.5% = 250) plus a fixed fee.
type Fees struct {
	PercentBP int64
	Fixed     money.Money // Amount 0 and Currency "" when there is none
}

// Fees returns s's fees.
func (s System) Fees() Fees {
	bp, _ := percentBP(s.Setting("fee_percent"))
	f := Fees{PercentBP: bp}
	if n, ok := s.Settings["fixed_fee"].(int64); ok && n > 0 {
		f.Fixed = money.New(n, s.Setting("fixed_fee_currency"))
	}
	return f
}

// SupportedCurrencies lists the currencies s accepts; empty means whatever the gateway accepts.
func (s System) SupportedCurrencies() []string {
	v, _ := s.Settings["supported_currencies"].([]string)
	return v
}

// Supports reports whether s takes payments in currency.
func (s System) Supports(currency string) bool {
	list := s.SupportedCurrencies()
	return len(list) == 0 || slices.Contains(list, currency)
}

// TransactionCurrency is the currency s charges for a price in currency: currency itself when s takes it, else
// s's fallback_currency ("" when s has none: s cannot take the price).
func (s System) TransactionCurrency(currency string) string {
	if s.Supports(currency) {
		return currency
	}
	return s.Setting("fallback_currency")
}

// HasCredential reports whether the credential name is set.
func (s System) HasCredential(name string) bool { return slices.Contains(s.CredentialNames, name) }

// NotFoundError is the error for an unknown payment system id.
func NotFoundError(id int64) error {
	return fmt.Errorf("payment system %d: %w", id, check.ErrNotFound)
}
