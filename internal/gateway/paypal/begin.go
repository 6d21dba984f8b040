package paypal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	paypalsdk "github.com/plutov/paypal/v4"

	"github.com/bursar/bursar/internal/gateway"
)

// maxText is PayPal's limit on a purchase unit's description and an item's name.
const maxText = 127

// locales maps Bursar's languages to the five-character locales PayPal's checkout pages support; a language
// missing here (Ukrainian) is left to the payer's browser.
var locales = map[string]string{
	"cs": "cs-CZ", "da": "da-DK", "de": "de-DE", "el": "el-GR", "en": "en-US", "en-AU": "en-AU", "en-GB": "en-GB",
	"es": "es-ES", "fi": "fi-FI", "fr": "fr-FR", "fr-CA": "fr-CA", "he": "he-IL", "hu": "hu-HU", "id": "id-ID",
	"it": "it-IT", "ja": "ja-JP", "ko": "ko-KR", "nb": "no-NO", "nl": "nl-NL", "no": "no-NO", "pl": "pl-PL",
	"pt": "pt-PT", "pt-BR": "pt-BR", "ru": "ru-RU", "sk": "sk-SK", "sv": "sv-SE", "th": "th-TH", "zh": "zh-CN",
	"zh-HK": "zh-HK", "zh-TW": "zh-TW",
}

// createOrderRequest is POST /v2/checkout/orders' body (the client's own, minus deprecated fields it does not
// omit).
type createOrderRequest struct {
	Intent             string                          `json:"intent"`
	Payer              *paypalsdk.CreateOrderPayer     `json:"payer,omitempty"`
	PurchaseUnits      []paypalsdk.PurchaseUnitRequest `json:"purchase_units"`
	ApplicationContext *paypalsdk.ApplicationContext   `json:"application_context,omitempty"`
}

// Begin creates an order with intent CAPTURE for c and returns its approval link (rel "approve", or
// "payer-action"); Redirect.Ref is the PayPal order id. The purchase unit carries Bursar's order id as custom_id
// (what webhooks are mapped by), the order number as reference_id and the title as description and only item;
// the payer comes back to c.SuccessURL or c.CancelURL ("Pay now": nothing is left to confirm on Bursar's side),
// and is asked for no shipping address. c.NotifyURL is not sent: PayPal posts webhooks to the URL registered for
// the app, whose id is the webhook_id setting.
//
// The request carries PayPal-Request-Id "bursar-checkout-<order id>-<hash of every parameter>": an identical
// request (a double click, a retry) returns the same PayPal order.
func (p *Provider) Begin(ctx context.Context, acct gateway.Account, c gateway.Checkout) (gateway.Redirect, error) {
	if c.OrderID <= 0 || c.Amount.Amount <= 0 || c.Amount.Currency == "" || c.SuccessURL == "" || c.CancelURL == "" {
		return gateway.Redirect{}, fmt.Errorf("paypal: begin order %d: order id, a positive amount, currency and "+
			"both return URLs are required", c.OrderID)
	}
	val, err := value(c.Amount)
	if err != nil {
		return gateway.Redirect{}, fmt.Errorf("begin order %d: %w", c.OrderID, err)
	}
	cl, err := p.newCall(ctx, acct)
	if err != nil {
		return gateway.Redirect{}, err
	}
	body, err := encode(orderRequest(c, val))
	if err != nil {
		return gateway.Redirect{}, fmt.Errorf("paypal: begin order %d: %w", c.OrderID, err)
	}
	var o orderJSON
	if err := cl.do(fmt.Sprintf("begin order %d", c.OrderID), http.MethodPost, "/v2/checkout/orders", body,
		map[string]string{"PayPal-Request-Id": checkoutKey(c)}, &o); err != nil {
		return gateway.Redirect{}, err
	}
	href := link(o.Links, "approve")
	if href == "" {
		href = link(o.Links, "payer-action")
	}
	if !validID(o.ID) || !strings.HasPrefix(href, "https://") {
		return gateway.Redirect{}, fmt.Errorf("paypal: begin order %d: order %q without an approval link", c.OrderID, o.ID)
	}
	return gateway.Redirect{URL: href, Ref: o.ID}, nil
}

// orderRequest is the order of c, whose amount PayPal writes as val.
func orderRequest(c gateway.Checkout, val string) createOrderRequest {
	amt := &paypalsdk.Money{Currency: c.Amount.Currency, Value: val}
	name := truncate(title(c), maxText)
	req := createOrderRequest{
		Intent: paypalsdk.OrderIntentCapture,
		PurchaseUnits: []paypalsdk.PurchaseUnitRequest{{
			ReferenceID: c.OrderNumber,
			CustomID:    strconv.FormatInt(c.OrderID, 10),
			Description: name,
			Amount: &paypalsdk.PurchaseUnitAmount{Currency: amt.Currency, Value: amt.Value,
				Breakdown: &paypalsdk.PurchaseUnitAmountBreakdown{ItemTotal: amt}},
			Items: []paypalsdk.Item{{Name: name, Quantity: "1", UnitAmount: amt, Category: paypalsdk.ItemCategoryDigitalGood}},
		}},
		ApplicationContext: &paypalsdk.ApplicationContext{
			ReturnURL:          c.SuccessURL,
			CancelURL:          c.CancelURL,
			UserAction:         paypalsdk.UserActionPayNow,
			ShippingPreference: paypalsdk.ShippingPreferenceNoShipping,
			Locale:             locale(c.Language),
		},
	}
	if c.Email != "" {
		req.Payer = &paypalsdk.CreateOrderPayer{EmailAddress: c.Email}
	}
	return req
}

// title is what PayPal shows as the purchase: the title, else the order number.
func title(c gateway.Checkout) string {
	if t := strings.TrimSpace(c.Title); t != "" {
		return t
	}
	return "Order " + c.OrderNumber
}

// locale is PayPal's locale for a Bursar language (itself, else its base language), "" when PayPal has none.
func locale(lang string) string {
	if l, ok := locales[lang]; ok {
		return l
	}
	base, _, _ := strings.Cut(lang, "-")
	return locales[base]
}

// checkoutKey is Begin's PayPal-Request-Id: the order and a hash of everything the PayPal order is made of.
func checkoutKey(c gateway.Checkout) string {
	h := sha256.New()
	for _, v := range []string{c.OrderNumber, strconv.FormatInt(c.Amount.Amount, 10), c.Amount.Currency, c.Title,
		c.Email, c.Language, c.SuccessURL, c.CancelURL} {
		fmt.Fprintf(h, "%d:%s;", len(v), v)
	}
	return fmt.Sprintf("bursar-checkout-%d-%s", c.OrderID, hex.EncodeToString(h.Sum(nil))[:32])
}
