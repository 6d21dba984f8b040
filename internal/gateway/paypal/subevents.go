package paypal

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	paypalsdk "github.com/plutov/paypal/v4"

	"github.com/bursar/bursar/internal/gateway"
)

// PayPal's subscription events: every BILLING.SUBSCRIPTION.* type reports the subscription's state (its resource
// is the subscription), but PAYMENT.FAILED, which reports a failed charge; PAYMENT.SALE.* report the charges
// (sales) of subscriptions and their refunds.
const (
	EventSubscriptionCreated       = "BILLING.SUBSCRIPTION.CREATED"
	EventSubscriptionActivated     = "BILLING.SUBSCRIPTION.ACTIVATED"
	EventSubscriptionUpdated       = "BILLING.SUBSCRIPTION.UPDATED"
	EventSubscriptionCancelled     = "BILLING.SUBSCRIPTION.CANCELLED"
	EventSubscriptionSuspended     = "BILLING.SUBSCRIPTION.SUSPENDED"
	EventSubscriptionExpired       = "BILLING.SUBSCRIPTION.EXPIRED"
	EventSubscriptionPaymentFailed = "BILLING.SUBSCRIPTION.PAYMENT.FAILED"
	EventSaleCompleted             = "PAYMENT.SALE.COMPLETED"
	EventSaleDenied                = "PAYMENT.SALE.DENIED"
	EventSaleRefunded              = "PAYMENT.SALE.REFUNDED"
	EventSaleReversed              = "PAYMENT.SALE.REVERSED"
)

// subscriptionEvents is the prefix of the event types reporting a subscription's state.
const subscriptionEvents = "BILLING.SUBSCRIPTION."

// saleJSON is a sale (PAYMENT.SALE.* webhooks): one charge of a subscription (billing_agreement_id) or of a
// classic (v1) payment.
type saleJSON struct {
	ID                 string     `json:"id"`
	State              string     `json:"state"`
	Amount             *saleMoney `json:"amount"`
	BillingAgreementID string     `json:"billing_agreement_id"`
	Custom             string     `json:"custom"`
	CreateTime         time.Time  `json:"create_time"`
	UpdateTime         time.Time  `json:"update_time"`
}

// saleRefundJSON is a refund of a sale (PAYMENT.SALE.REFUNDED, REVERSED).
type saleRefundJSON struct {
	ID                  string           `json:"id"`
	SaleID              string           `json:"sale_id"`
	Amount              *saleMoney       `json:"amount"`
	TotalRefundedAmount *paypalsdk.Money `json:"total_refunded_amount"`
}

// saleMoney is an amount as the v1 payments API writes it.
type saleMoney struct {
	Total    string `json:"total"`
	Currency string `json:"currency"`
}

// money reads m into minor units; a refund's negative total ("-5.00", as PayPal writes some) is its size.
func (m *saleMoney) money() (gateway.Event, error) {
	if m == nil {
		return gateway.Event{}, errors.New("no amount")
	}
	a, err := amount(paypalsdk.Money{Currency: m.Currency, Value: strings.TrimPrefix(m.Total, "-")})
	return gateway.Event{Amount: a}, err
}

// subscriptionChanged reports a BILLING.SUBSCRIPTION.* event: the subscription's state as its resource has it
// (subscriptionJSON.state; At falls back to the event's create_time). Ref is the subscription id.
func subscriptionChanged(ev paypalsdk.AnyEvent) (gateway.Event, error) {
	var sub subscriptionJSON
	if err := resource(ev, &sub); err != nil {
		return gateway.Event{}, fmt.Errorf("subscription: %w", err)
	}
	if !validID(sub.ID) {
		return gateway.Event{}, errors.New("subscription without a valid id")
	}
	st := sub.state(ev.CreateTime)
	return gateway.Event{Kind: gateway.EventSubscription, Ref: sub.ID, Subscription: &st}, nil
}

// subscriptionFailed reports BILLING.SUBSCRIPTION.PAYMENT.FAILED: an unpaid charge of the subscription, named
// "<subscription id>:failed:<the failed payment's time, Unix seconds>" (one failure however often notified, and
// the next failure another), else by the failed payments count; its amount is the failed payment's, UpdateURL the
// payer's autopay page.
func (c *call) subscriptionFailed(ev paypalsdk.AnyEvent) (gateway.Event, error) {
	var sub subscriptionJSON
	if err := resource(ev, &sub); err != nil {
		return gateway.Event{}, fmt.Errorf("subscription: %w", err)
	}
	if !validID(sub.ID) {
		return gateway.Event{}, errors.New("subscription without a valid id")
	}
	ch := gateway.SubscriptionCharge{SubscriptionRef: sub.ID, SubscriptionID: bursarSubscriptionID(sub.CustomID),
		UpdateURL: c.manage, At: sub.state(ev.CreateTime).At}
	if b := sub.BillingInfo; b != nil && b.LastFailedPayment != nil && !b.LastFailedPayment.Time.IsZero() {
		lf := b.LastFailedPayment
		ch.Ref, ch.At = sub.ID+":failed:"+strconv.FormatInt(lf.Time.Unix(), 10), lf.Time.UTC()
		if lf.Amount != nil {
			m, err := amount(*lf.Amount)
			if err != nil {
				return gateway.Event{}, err
			}
			ch.Amount = m
		}
	} else if b != nil && b.FailedPaymentsCount > 0 {
		ch.Ref = sub.ID + ":failed:" + strconv.Itoa(b.FailedPaymentsCount)
	} else {
		return gateway.Event{}, errors.New("payment failure without last_failed_payment or failed_payments_count")
	}
	if sub.Subscriber != nil {
		ch.PayerEmail = sub.Subscriber.EmailAddress
	}
	return gateway.Event{Kind: gateway.EventCharge, Ref: sub.ID, Amount: ch.Amount, Charge: &ch}, nil
}

// sold reports PAYMENT.SALE.COMPLETED (a paid charge) or PAYMENT.SALE.DENIED (an unpaid one) of a subscription:
// Ref and PaymentRef the sale id (what refunds and disputes of it name), SubscriptionRef its billing_agreement_id,
// SubscriptionID the custom "sub:<id>" when the sale echoes it, At its create_time (the denial's update_time). A sale
// does not say which period it pays: PeriodStart and PeriodEnd are left zero for the subscription module to
// reckon from the plan's interval. A sale of no subscription is not Bursar's (its payments are Orders v2 captures):
// ignored.
func (c *call) sold(ev paypalsdk.AnyEvent) (gateway.Event, error) {
	var s saleJSON
	if err := resource(ev, &s); err != nil {
		return gateway.Event{}, fmt.Errorf("sale: %w", err)
	}
	if s.BillingAgreementID == "" {
		return gateway.Event{Kind: gateway.EventIgnored}, nil
	}
	if !validID(s.ID) || !validID(s.BillingAgreementID) {
		return gateway.Event{}, errors.New("sale without a valid id or billing_agreement_id")
	}
	m, err := s.Amount.money()
	if err != nil {
		return gateway.Event{}, fmt.Errorf("sale %s: %w", s.ID, err)
	}
	ch := gateway.SubscriptionCharge{Ref: s.ID, SubscriptionRef: s.BillingAgreementID,
		SubscriptionID: bursarSubscriptionID(s.Custom), PaymentRef: s.ID, Amount: m.Amount, Paid: true,
		At: s.CreateTime.UTC()}
	if ev.EventType == EventSaleDenied {
		ch.Paid, ch.UpdateURL = false, c.manage
		if !s.UpdateTime.IsZero() {
			ch.At = s.UpdateTime.UTC()
		}
	}
	if ch.At.IsZero() {
		ch.At = ev.CreateTime.UTC()
	}
	return gateway.Event{Kind: gateway.EventCharge, Ref: s.ID, Amount: ch.Amount, Charge: &ch}, nil
}

// saleRefunded reports PAYMENT.SALE.REFUNDED or REVERSED (a refund, or money PayPal took back) as a refund of the
// payment the sale recorded: Ref the sale id, RefundedAmount the sale's refunded total when the event has it
// (total_refunded_amount), else this refund alone (RefundRef its id); Amount is the refund's.
func saleRefunded(ev paypalsdk.AnyEvent) (gateway.Event, error) {
	var r saleRefundJSON
	if err := resource(ev, &r); err != nil {
		return gateway.Event{}, fmt.Errorf("sale refund: %w", err)
	}
	if !validID(r.ID) || !validID(r.SaleID) {
		return gateway.Event{}, errors.New("sale refund without a valid id or sale_id")
	}
	e, err := r.Amount.money()
	if err != nil {
		return gateway.Event{}, fmt.Errorf("sale refund %s: %w", r.ID, err)
	}
	e.Kind, e.Ref = gateway.EventRefunded, r.SaleID
	if r.TotalRefundedAmount != nil {
		total, err := amount(*r.TotalRefundedAmount)
		if err != nil {
			return gateway.Event{}, err
		}
		if total.Currency != e.Amount.Currency {
			return gateway.Event{}, fmt.Errorf("refunded total in %s of a refund in %s", total.Currency, e.Amount.Currency)
		}
		e.RefundedAmount = total.Amount
		return e, nil
	}
	e.RefundRef, e.RefundedAmount = r.ID, e.Amount.Amount
	return e, nil
}
