package stripe

import (
	"encoding/json"
	"strings"
	"time"

	stripego "github.com/stripe/stripe-go/v76"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// subscriptionSessionEvent reads a checkout.session.* event of a session in subscription mode (BeginSubscription's):
// never an order's payment. completed and the async_payment_* pair only link the subscription Stripe made (and its
// customer) to Bursar's subscription (client_reference_id "sub:<id>", else metadata.subscription_id): an
// EventSubscription with Status "" — the state and the charges come as customer.subscription.* and invoice.*
// events. expired is ignored (the pending subscription stays pending: nothing was made at Stripe), and so is a
// session naming neither a Stripe subscription nor a Bursar one (not Bursar's).
func subscriptionSessionEvent(e *gateway.Event, s *stripego.CheckoutSession, at time.Time) {
	e.Kind = gateway.EventIgnored
	if e.Type == EventSessionExpired {
		return
	}
	linkSession(e, s, at)
}

// linkSession makes e the EventSubscription linking the subscription a completed subscription-mode session made;
// e stays as it was when the session names neither a Stripe subscription nor a Bursar one.
func linkSession(e *gateway.Event, s *stripego.CheckoutSession, at time.Time) {
	st := gateway.SubscriptionState{SubscriptionID: subscriptionID(s.ClientReferenceID, s.Metadata), CheckoutRef: s.ID,
		At: at}
	if s.Subscription != nil {
		st.Ref = s.Subscription.ID
	}
	if s.Customer != nil {
		st.CustomerRef = s.Customer.ID
	}
	if st.Ref == "" && st.SubscriptionID <= 0 {
		return
	}
	if s.CustomerDetails != nil && s.CustomerDetails.Email != "" {
		e.PayerEmail = s.CustomerDetails.Email
	} else {
		e.PayerEmail = s.CustomerEmail
	}
	e.Kind, e.Ref, e.Subscription = gateway.EventSubscription, st.Ref, &st
}

// invoiceEvent reads an invoice.* event. An invoice of no subscription (not Bursar's) is ignored. A paid invoice
// (invoice.paid and invoice.payment_succeeded, both sent for the same invoice: the charge's reference, the invoice
// id, deduplicates them downstream) is an EventCharge, Paid; a failed one (invoice.payment_failed) an EventCharge,
// not Paid, with the hosted invoice page where the payer can pay it. A paid invoice of nothing (amount_paid 0: the
// invoice opening a trial) records no charge — no empty order — and only links the references (EventSubscription,
// Status "").
//
// The charge's period is its line's (invoicePeriod), not the invoice's period_start/end; Ref and AltRef of the
// event are the invoice and its PaymentIntent (what a refund or a dispute of the charge names), Amount the money
// paid (or due, for a failure).
func invoiceEvent(e *gateway.Event, in *stripego.Invoice, raw []byte, at time.Time) {
	e.Kind = gateway.EventIgnored
	if in.Subscription == nil || in.Subscription.ID == "" {
		var n newerInvoice
		if json.Unmarshal(raw, &n) == nil && n.Parent != nil && n.Parent.SubscriptionDetails != nil &&
			n.Parent.SubscriptionDetails.Subscription != "" {
			in.Subscription = &stripego.Subscription{ID: n.Parent.SubscriptionDetails.Subscription}
			in.SubscriptionDetails = &stripego.InvoiceSubscriptionDetails{Metadata: n.Parent.SubscriptionDetails.Metadata}
		}
	}
	if in.Subscription == nil || in.Subscription.ID == "" || in.ID == "" {
		return
	}
	paid := e.Type != EventInvoicePaymentFailed
	amount := in.AmountPaid
	if !paid {
		amount = in.AmountDue
	}
	id := invoiceSubscriptionID(in)
	customer := ""
	if in.Customer != nil {
		customer = in.Customer.ID
	}
	if paid && amount == 0 {
		e.Kind, e.Ref = gateway.EventSubscription, in.Subscription.ID
		e.Subscription = &gateway.SubscriptionState{
			SubscriptionRef: gateway.SubscriptionRef{Ref: in.Subscription.ID, CustomerRef: customer},
			SubscriptionID:  id, At: at}
		return
	}
	c := gateway.SubscriptionCharge{Ref: in.ID, SubscriptionRef: in.Subscription.ID, SubscriptionID: id, Paid: paid,
		PayerEmail: in.CustomerEmail, At: at,
		// A plan change's invoice (proration_behavior always_invoice) charges the prorated difference: not the
		// plan's price, and no new period.
		Proration: in.BillingReason == stripego.InvoiceBillingReasonSubscriptionUpdate}
	if in.PaymentIntent != nil {
		c.PaymentRef = in.PaymentIntent.ID
	}
	if in.Currency != "" {
		c.Amount = money.Money{Amount: amount, Currency: strings.ToUpper(string(in.Currency))}
	}
	c.PeriodStart, c.PeriodEnd = invoicePeriod(in)
	if !paid {
		c.UpdateURL = in.HostedInvoiceURL
	}
	e.Kind, e.Ref, e.AltRef, e.Amount, e.PayerEmail, e.Charge = gateway.EventCharge, c.Ref, c.PaymentRef, c.Amount,
		c.PayerEmail, &c
}
