package stripe

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	stripego "github.com/stripe/stripe-go/v76"

	"github.com/bursar/bursar/internal/gateway"
)

// Metadata keys Bursar sets on sessions and payment intents.
const (
	MetaOrderID     = "order_id"
	MetaOrderNumber = "order_number"
)

// sessionIDParam is the success URL's query parameter carrying the session id; Stripe fills the placeholder in.
const sessionIDParam = "session_id"

// locales are the Checkout locales of API version 2023-10-16 (stripe-mock's spec lists the same).
var locales = map[string]bool{
	"bg": true, "cs": true, "da": true, "de": true, "el": true, "en": true, "en-GB": true, "es": true,
	"es-419": true, "et": true, "fi": true, "fil": true, "fr": true, "fr-CA": true, "hr": true, "hu": true,
	"id": true, "it": true, "ja": true, "ko": true, "lt": true, "lv": true, "ms": true, "mt": true, "nb": true,
	"nl": true, "pl": true, "pt": true, "pt-BR": true, "ro": true, "ru": true, "sk": true, "sl": true, "sv": true,
	"th": true, "tr": true, "vi": true, "zh": true, "zh-HK": true, "zh-TW": true,
}

// Begin creates a Checkout Session in payment mode for c and returns its URL; Redirect.Ref is the session id.
//
// The request carries the idempotency key "bursar-checkout-<order id>-<hash of every parameter>": an identical
// request within Stripe's 24 hours (a double click, a retry) returns the same session, and Stripe replays a
// failed request's answer too, so a fresh attempt after a failure must differ in something (the caller puts its
// payment attempt in SuccessURL).
func (p *Provider) Begin(ctx context.Context, acct gateway.Account, c gateway.Checkout) (gateway.Redirect, error) {
	if c.OrderID <= 0 || c.Amount.Amount <= 0 || c.Amount.Currency == "" || c.SuccessURL == "" || c.CancelURL == "" {
		return gateway.Redirect{}, fmt.Errorf("stripe: begin order %d: order id, a positive amount, currency and "+
			"both return URLs are required", c.OrderID)
	}
	cl, err := p.newCall(ctx, acct)
	if err != nil {
		return gateway.Redirect{}, err
	}
	params := sessionParams(c)
	params.Params = cl.params()
	params.SetIdempotencyKey(checkoutKey(c))
	s, err := cl.api.CheckoutSessions.New(params)
	if err != nil {
		return gateway.Redirect{}, cl.fail(fmt.Sprintf("begin order %d", c.OrderID), err)
	}
	if s.URL == "" || s.ID == "" {
		return gateway.Redirect{}, fmt.Errorf("stripe: begin order %d: session without id or URL", c.OrderID)
	}
	return gateway.Redirect{URL: s.URL, Ref: s.ID}, nil
}

// sessionParams is the Checkout Session of c: one line item, the order in client_reference_id and metadata.
func sessionParams(c gateway.Checkout) *stripego.CheckoutSessionParams {
	id := strconv.FormatInt(c.OrderID, 10)
	meta := map[string]string{MetaOrderID: id, MetaOrderNumber: c.OrderNumber}
	params := &stripego.CheckoutSessionParams{
		Mode:              stripego.String(string(stripego.CheckoutSessionModePayment)),
		ClientReferenceID: stripego.String(id),
		SuccessURL:        stripego.String(successURL(c.SuccessURL)),
		CancelURL:         stripego.String(c.CancelURL),
		Locale:            stripego.String(locale(c.Language)),
		CustomerCreation:  stripego.String(string(stripego.CheckoutSessionCustomerCreationIfRequired)),
		LineItems: []*stripego.CheckoutSessionLineItemParams{{
			PriceData: &stripego.CheckoutSessionLineItemPriceDataParams{
				Currency:    stripego.String(strings.ToLower(c.Amount.Currency)),
				UnitAmount:  stripego.Int64(c.Amount.Amount),
				ProductData: &stripego.CheckoutSessionLineItemPriceDataProductDataParams{Name: stripego.String(title(c))},
			},
			Quantity: stripego.Int64(1),
		}},
		PaymentIntentData: &stripego.CheckoutSessionPaymentIntentDataParams{Metadata: meta},
	}
	params.Metadata = meta
	if c.Email != "" {
		params.CustomerEmail = stripego.String(c.Email)
	}
	return params
}

// title is what Stripe shows as the product: the title, else the order number (Stripe requires a name).
func title(c gateway.Checkout) string {
	if strings.TrimSpace(c.Title) != "" {
		return c.Title
	}
	return "Order " + c.OrderNumber
}

// successURL appends session_id={CHECKOUT_SESSION_ID} to u as a query parameter (before any fragment). The
// placeholder is written literally: Stripe replaces it, so it must not be escaped.
func successURL(u string) string {
	base, frag, hasFrag := strings.Cut(u, "#")
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	out := base + sep + sessionIDParam + "={CHECKOUT_SESSION_ID}"
	if hasFrag {
		out += "#" + frag
	}
	return out
}

// locale is Checkout's locale for a Bursar language: itself, or its base language, when Stripe has it; else
// "auto" (the payer's browser decides; Ukrainian is not among Stripe's locales).
func locale(lang string) string {
	if locales[lang] {
		return lang
	}
	if base, _, ok := strings.Cut(lang, "-"); ok && locales[base] {
		return base
	}
	return "auto"
}

// checkoutKey is Begin's idempotency key: the order and a hash of everything the session is made of.
func checkoutKey(c gateway.Checkout) string {
	h := sha256.New()
	for _, v := range []string{c.OrderNumber, strconv.FormatInt(c.Amount.Amount, 10), c.Amount.Currency, c.Title,
		c.Email, c.Language, c.SuccessURL, c.CancelURL} {
		fmt.Fprintf(h, "%d:%s;", len(v), v)
	}
	return fmt.Sprintf("bursar-checkout-%d-%s", c.OrderID, hex.EncodeToString(h.Sum(nil))[:32])
}
