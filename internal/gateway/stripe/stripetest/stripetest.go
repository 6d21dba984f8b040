// Package stripetest builds signed Stripe webhook notifications for tests: Sign makes the Stripe-Signature header
// of a body, and the builders make the event bodies of the subscription notifications the Stripe provider reads
// (checkout.session.completed in subscription mode, invoice.paid / invoice.payment_failed,
// customer.subscription.*), shaped as Stripe sends them (API version 2023-10-16).
//
// A typical use: body := stripetest.InvoicePaid(...); post it to /webhooks/{id} with the header
// "Stripe-Signature: " + stripetest.Sign(secret, now, body), the payment system's webhook_secret being secret and
// now within five minutes of the server's clock.
//
// For a shape no builder makes (a cancellation for another reason, collection paused), take the object from
// Subscription, change the map and wrap it with Event.
//
// It imports nothing of Bursar's, so that any package's tests (the stripe provider's own included) can use it.
package stripetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Sign is the Stripe-Signature header value of body signed with secret at t: "t=<unix>,v1=<hex HMAC-SHA256 of
// "<unix>.<body>">".
func Sign(secret string, t time.Time, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%d.", t.Unix())
	m.Write(body)
	return fmt.Sprintf("t=%d,v1=%s", t.Unix(), hex.EncodeToString(m.Sum(nil)))
}

// Event is the body of a Stripe event of type typ, created at created, around object (a value json.Marshal takes,
// or a json.RawMessage).
func Event(evID, typ string, created time.Time, object any) []byte {
	return mustJSON(map[string]any{
		"id": evID, "object": "event", "api_version": "2023-10-16", "created": created.Unix(),
		"data": map[string]any{"object": object}, "livemode": false, "pending_webhooks": 1,
		"request": map[string]any{"id": nil, "idempotency_key": nil}, "type": typ,
	})
}

// meta is the metadata Bursar sets on its subscriptions: subscription_id when subscriptionID > 0.
func meta(subscriptionID int64) map[string]string {
	m := map[string]string{}
	if subscriptionID > 0 {
		m["subscription_id"] = strconv.FormatInt(subscriptionID, 10)
	}
	return m
}

// orNull is s, or JSON null for "".
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// SessionCompletedSubscription is checkout.session.completed of a Checkout Session in subscription mode as
// BeginSubscription makes it: client_reference_id "sub:<subscriptionID>" and metadata.subscription_id (both left
// out when subscriptionID is 0), the subscription subRef and customer customerRef Stripe made ("" for null).
func SessionCompletedSubscription(evID string, created time.Time, sessionID, subRef, customerRef string, subscriptionID int64) []byte {
	ref := ""
	if subscriptionID > 0 {
		ref = "sub:" + strconv.FormatInt(subscriptionID, 10)
	}
	return Event(evID, "checkout.session.completed", created, map[string]any{
		"id": sessionID, "object": "checkout.session", "mode": "subscription", "status": "complete",
		"payment_status": "paid", "amount_subtotal": 0, "amount_total": 0, "currency": "eur",
		"client_reference_id": orNull(ref), "metadata": meta(subscriptionID), "customer": orNull(customerRef),
		"customer_details": map[string]any{"email": "payer@example.com", "name": "Payer"},
		"customer_email":   nil, "subscription": orNull(subRef), "payment_intent": nil, "created": created.Unix(),
		"expires_at": created.Add(24 * time.Hour).Unix(), "livemode": false, "url": nil,
		"success_url": "https://school.test/s/ok?session_id={CHECKOUT_SESSION_ID}",
		"cancel_url":  "https://school.test/s/cancel",
	})
}

// invoice is an invoice object of subscription subRef with one subscription line for [periodStart, periodEnd].
// Its own period_start/end are the period before (as Stripe has them for a renewal), to catch readers of the wrong
// fields.
func invoice(invoiceID, subRef string, subscriptionID int64, paymentIntent string, amount int64, currency string,
	periodStart, periodEnd time.Time, paid bool, hostedURL string,
) map[string]any {
	cur := strings.ToLower(currency)
	prev := periodStart.Add(-periodEnd.Sub(periodStart))
	status, amountPaid, amountRemaining := "paid", amount, int64(0)
	if !paid {
		status, amountPaid, amountRemaining = "open", 0, amount
	}
	return map[string]any{
		"id": invoiceID, "object": "invoice", "status": status, "paid": paid, "currency": cur,
		"amount_due": amount, "amount_paid": amountPaid, "amount_remaining": amountRemaining, "total": amount,
		"subtotal": amount, "billing_reason": "subscription_cycle", "collection_method": "charge_automatically",
		"customer": "cus_test", "customer_email": "payer@example.com", "subscription": subRef,
		"subscription_details":   map[string]any{"metadata": meta(subscriptionID)},
		"payment_intent":         orNull(paymentIntent),
		"hosted_invoice_url":     orNull(hostedURL),
		"period_start":           prev.Unix(),
		"period_end":             periodStart.Unix(),
		"created":                periodStart.Unix(),
		"livemode":               false,
		"attempt_count":          1,
		"next_payment_attempt":   nil,
		"status_transitions":     map[string]any{"paid_at": nil},
		"automatic_tax":          map[string]any{"enabled": false, "status": nil},
		"default_payment_method": nil,
		"lines": map[string]any{"object": "list", "has_more": false, "total_count": 1,
			"url": "/v1/invoices/" + invoiceID + "/lines",
			"data": []any{map[string]any{
				"id": "il_" + invoiceID, "object": "line_item", "type": "subscription", "amount": amount,
				"currency": cur, "description": "1 × Plan", "metadata": meta(subscriptionID), "proration": false,
				"quantity": 1, "subscription": subRef,
				"period": map[string]any{"start": periodStart.Unix(), "end": periodEnd.Unix()},
				"price": map[string]any{"id": "price_test", "object": "price", "currency": cur, "unit_amount": amount,
					"product": "prod_test", "type": "recurring",
					"recurring": map[string]any{"interval": "month", "interval_count": 1}},
			}},
		},
	}
}

// InvoicePaid is invoice.paid of invoice invoiceID of subscription subRef (metadata subscription_id when
// subscriptionID > 0): amount (minor units) of currency paid through PaymentIntent paymentIntent, for the period
// [periodStart, periodEnd) (its line's period). amount 0 is a trial's opening invoice.
func InvoicePaid(evID string, created time.Time, invoiceID, subRef string, subscriptionID int64, paymentIntent string,
	amount int64, currency string, periodStart, periodEnd time.Time,
) []byte {
	return Event(evID, "invoice.paid", created, invoice(invoiceID, subRef, subscriptionID, paymentIntent, amount,
		currency, periodStart, periodEnd, true, ""))
}

// InvoiceFailed is invoice.payment_failed of invoice invoiceID: amount of currency due for [periodStart,
// periodEnd), not paid; hostedURL is the page where the payer can pay it.
func InvoiceFailed(evID string, created time.Time, invoiceID, subRef string, subscriptionID int64, paymentIntent string,
	amount int64, currency string, periodStart, periodEnd time.Time, hostedURL string,
) []byte {
	return Event(evID, "invoice.payment_failed", created, invoice(invoiceID, subRef, subscriptionID, paymentIntent,
		amount, currency, periodStart, periodEnd, false, hostedURL))
}

// Subscription is a subscription object: status is Stripe's word (trialing, active, past_due, unpaid, paused,
// canceled, incomplete, incomplete_expired), one item priced amount of currency monthly. A canceled one was
// cancelled at created by request (cancellation_details.reason cancellation_requested: Bursar reads it as
// cancelled); a trialing one's trial ends at periodEnd.
func Subscription(created time.Time, subRef, customerRef string, subscriptionID int64, status string,
	periodStart, periodEnd time.Time, cancelAtPeriodEnd bool, amount int64, currency string,
) map[string]any {
	cur := strings.ToLower(currency)
	s := map[string]any{
		"id": subRef, "object": "subscription", "status": status, "customer": orNull(customerRef),
		"metadata": meta(subscriptionID), "currency": cur, "collection_method": "charge_automatically",
		"current_period_start": periodStart.Unix(), "current_period_end": periodEnd.Unix(),
		"cancel_at_period_end": cancelAtPeriodEnd, "cancel_at": nil, "canceled_at": nil, "ended_at": nil,
		"cancellation_details": map[string]any{"comment": nil, "feedback": nil, "reason": nil},
		"pause_collection":     nil, "trial_start": nil, "trial_end": nil, "livemode": false,
		"created": periodStart.Unix(), "start_date": periodStart.Unix(), "billing_cycle_anchor": periodStart.Unix(),
		"items": map[string]any{"object": "list", "has_more": false, "total_count": 1,
			"url": "/v1/subscription_items?subscription=" + subRef,
			"data": []any{map[string]any{
				"id": "si_" + subRef, "object": "subscription_item", "quantity": 1, "subscription": subRef,
				"metadata": map[string]string{},
				"price": map[string]any{"id": "price_test", "object": "price", "currency": cur, "unit_amount": amount,
					"product": "prod_test", "type": "recurring", "active": false,
					"recurring": map[string]any{"interval": "month", "interval_count": 1}},
			}},
		},
	}
	if cancelAtPeriodEnd {
		s["cancel_at"] = periodEnd.Unix()
		s["canceled_at"] = created.Unix()
		s["cancellation_details"] = map[string]any{"comment": nil, "feedback": nil, "reason": "cancellation_requested"}
	}
	switch status {
	case "trialing":
		s["trial_start"], s["trial_end"] = periodStart.Unix(), periodEnd.Unix()
	case "canceled":
		s["canceled_at"], s["ended_at"] = created.Unix(), created.Unix()
		s["cancellation_details"] = map[string]any{"comment": nil, "feedback": nil, "reason": "cancellation_requested"}
	}
	return s
}

// SubscriptionEvent is a customer.subscription.* event of type typ (created, updated, deleted, paused, resumed)
// carrying Subscription(created, subRef, …).
func SubscriptionEvent(evID, typ string, created time.Time, subRef, customerRef string, subscriptionID int64,
	status string, periodStart, periodEnd time.Time, cancelAtPeriodEnd bool, amount int64, currency string,
) []byte {
	return Event(evID, typ, created, Subscription(created, subRef, customerRef, subscriptionID, status, periodStart,
		periodEnd, cancelAtPeriodEnd, amount, currency))
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("stripetest: %v", err)) // only maps of plain values are marshalled
	}
	return b
}
