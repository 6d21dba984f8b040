package fondy

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/bursar/bursar/internal/gateway"
)

// maxDesc is Fondy's limit on order_desc and comment, in characters.
const maxDesc = 1024

// refSuffixLen is the length of the random part of an order_id.
const refSuffixLen = 8

// langs are the payment page languages Fondy documents (the lang parameter).
var langs = map[string]bool{
	"cs": true, "de": true, "en": true, "es": true, "fr": true, "hu": true, "it": true, "lv": true, "pl": true,
	"ro": true, "ru": true, "sk": true, "uk": true,
}

// Begin creates Fondy's hosted checkout page for c and returns its URL; Redirect.Ref is the new order_id
// "<order id>-<8 random alphanumerics>", unique per attempt because Fondy refuses an order_id it has seen. The
// request carries the order id in merchant_data, the payer's e-mail as sender_email when known, SuccessURL as
// response_url and NotifyURL as server_callback_url; CancelURL is not sent, Fondy's page has no separate way back
// for a payer who gives up. Fondy refusing the request (response_status "failure") is an *APIError with Fondy's
// message.
func (p *Provider) Begin(ctx context.Context, acct gateway.Account, c gateway.Checkout) (gateway.Redirect, error) {
	if c.OrderID <= 0 || c.Amount.Amount <= 0 || c.Amount.Currency == "" || c.SuccessURL == "" || c.NotifyURL == "" {
		return gateway.Redirect{}, fmt.Errorf("fondy: begin order %d: order id, a positive amount, currency, the "+
			"return and the notification URLs are required", c.OrderID)
	}
	m, err := merchantOf(acct)
	if err != nil {
		return gateway.Redirect{}, err
	}
	ref, err := newRef(c.OrderID)
	if err != nil {
		return gateway.Redirect{}, err
	}
	res, err := p.call(ctx, acct, m, fmt.Sprintf("begin order %d", c.OrderID), CheckoutPath, checkoutFields(m, ref, c))
	if err != nil {
		return gateway.Redirect{}, err
	}
	u, err := url.Parse(res["checkout_url"])
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return gateway.Redirect{}, fmt.Errorf("fondy: begin order %d: answer without a checkout_url", c.OrderID)
	}
	return gateway.Redirect{URL: u.String(), Ref: ref}, nil
}

// checkoutFields are the parameters of the checkout request of c as order ref, without the signature.
func checkoutFields(m merchant, ref string, c gateway.Checkout) map[string]string {
	f := map[string]string{
		"order_id":            ref,
		"merchant_id":         m.id,
		"order_desc":          truncate(desc(c), maxDesc),
		"amount":              strconv.FormatInt(c.Amount.Amount, 10),
		"currency":            strings.ToUpper(c.Amount.Currency),
		"response_url":        c.SuccessURL,
		"server_callback_url": c.NotifyURL,
		"merchant_data":       strconv.FormatInt(c.OrderID, 10),
	}
	if c.Email != "" {
		f["sender_email"] = c.Email
	}
	if l := lang(c.Language); l != "" {
		f["lang"] = l
	}
	return f
}

// desc is what Fondy shows as the purchase: the title, else the order number (order_desc is mandatory).
func desc(c gateway.Checkout) string {
	if t := strings.TrimSpace(c.Title); t != "" {
		return t
	}
	return "Order " + c.OrderNumber
}

// lang is Fondy's page language for a Bursar language (itself or its base language); "" leaves the choice to
// Fondy.
func lang(l string) string {
	l = strings.ToLower(l)
	if base, _, _ := strings.Cut(l, "-"); langs[base] {
		return base
	}
	return ""
}

// refAlphabet is what the random part of an order_id is made of.
const refAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newRef is a fresh order_id for order id: "<id>-<8 random alphanumerics>".
func newRef(orderID int64) (string, error) {
	var b [refSuffixLen]byte
	out := make([]byte, 0, refSuffixLen)
	for len(out) < refSuffixLen {
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("fondy: order_id: %w", err)
		}
		for _, x := range b {
			// 248 = 4·62: rejecting the bytes above keeps every character equally likely.
			if x < 248 && len(out) < refSuffixLen {
				out = append(out, refAlphabet[x%62])
			}
		}
	}
	return strconv.FormatInt(orderID, 10) + "-" + string(out), nil
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
