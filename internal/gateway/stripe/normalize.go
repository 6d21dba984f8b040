package stripe

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	stripego "github.com/stripe/stripe-go/v76"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// Metadata keys Bursar sets on subscription Checkout Sessions and, through subscription_data, on the subscriptions
// they make (Stripe copies a subscription's metadata into its invoices' subscription_details.metadata).
const (
	MetaSubscriptionID     = "subscription_id"
	MetaSubscriptionNumber = "subscription_number"
	// MetaMaxCharges records the plan's number of charges (Plan.MaxCharges > 0). Checkout has no such count: Stripe
	// charges until cancelled, so the subscription module counts the charges and asks for cancel_at_period_end
	// when the last one is made. The metadata is for a person reading the subscription in Stripe's dashboard.
	MetaMaxCharges = "max_charges"
)

// subRefPrefix prefixes Bursar's subscription id in a subscription Checkout Session's client_reference_id
// ("sub:123"): never a bare number, so orderID never takes it for an order.
const subRefPrefix = "sub:"

// subscriptionID is Bursar's subscription id from client_reference_id "sub:<id>", else metadata.subscription_id; 0
// when neither holds a positive decimal.
func subscriptionID(ref string, meta map[string]string) int64 {
	if v, ok := strings.CutPrefix(ref, subRefPrefix); ok {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			return id
		}
	}
	if id, err := strconv.ParseInt(meta[MetaSubscriptionID], 10, 64); err == nil && id > 0 {
		return id
	}
	return 0
}

// unixTime is a Stripe timestamp (seconds) as a time; zero for 0.
func unixTime(sec int64) time.Time {
	if sec <= 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

// subStatus maps a Stripe subscription to Bursar's status words:
//
//   - trialing → trialing; active → active; past_due and unpaid → past_due;
//   - paused (a trial that ended without a payment method), or trialing/active/past_due with pause_collection set
//     (how Bursar pauses: collection paused, Stripe's status unchanged) → paused;
//   - canceled with cancellation_details.reason "cancellation_requested" (cancelled through the API, the
//     dashboard or the billing portal, now or at the period's end) → cancelled; canceled for any other reason
//     (payment_failed: Stripe's retries ran out; payment_disputed; none given) → ended. Stripe cannot say that a
//     subscription ran its course (Checkout has no number of charges): the subscription module, which asks for
//     cancel_at_period_end after the last charge, knows that a cancelled one with all its charges made ended;
//   - incomplete (the first payment not made yet, e.g. awaiting 3-D Secure) → "" (the event only links the
//     references: there is no state to report yet); incomplete_expired (the first payment never came; Stripe
//     will not charge it) → ended.
func subStatus(s *stripego.Subscription) string {
	switch s.Status {
	case stripego.SubscriptionStatusTrialing, stripego.SubscriptionStatusActive,
		stripego.SubscriptionStatusPastDue, stripego.SubscriptionStatusUnpaid:
		if s.PauseCollection != nil && s.PauseCollection.Behavior != "" {
			return gateway.SubPaused
		}
		switch s.Status {
		case stripego.SubscriptionStatusTrialing:
			return gateway.SubTrialing
		case stripego.SubscriptionStatusActive:
			return gateway.SubActive
		}
		return gateway.SubPastDue
	case stripego.SubscriptionStatusPaused:
		return gateway.SubPaused
	case stripego.SubscriptionStatusCanceled:
		if s.CancellationDetails != nil &&
			s.CancellationDetails.Reason == stripego.SubscriptionCancellationDetailsReasonCancellationRequested {
			return gateway.SubCancelled
		}
		return gateway.SubEnded
	case stripego.SubscriptionStatusIncompleteExpired:
		return gateway.SubEnded
	}
	return "" // incomplete, or a status newer than stripe-go v76
}

// newerSubscription is what API versions from 2025-03-31 ("basil") moved in a subscription: its current period is
// its items'. A webhook endpoint created with such a version sends that shape (stripe-mock answers it too).
type newerSubscription struct {
	Items *struct {
		Data []struct {
			CurrentPeriodStart int64 `json:"current_period_start"`
			CurrentPeriodEnd   int64 `json:"current_period_end"`
		} `json:"data"`
	} `json:"items"`
}

// newerInvoice is what API versions from 2025-03-31 moved in an invoice: its subscription and that subscription's
// metadata are under parent.subscription_details. (Its PaymentIntent moved to the invoice's payments, which
// notifications do not carry: such a charge has no PaymentRef.)
type newerInvoice struct {
	Parent *struct {
		SubscriptionDetails *struct {
			Subscription string            `json:"subscription"`
			Metadata     map[string]string `json:"metadata"`
		} `json:"subscription_details"`
	} `json:"parent"`
}

// subscriptionState normalizes a Stripe subscription as reported at at; raw is its JSON (for the newer shape's
// period), nil when not at hand.
func subscriptionState(s *stripego.Subscription, raw []byte, at time.Time) gateway.SubscriptionState {
	st := gateway.SubscriptionState{
		SubscriptionRef:    gateway.SubscriptionRef{Ref: s.ID},
		SubscriptionID:     subscriptionID("", s.Metadata),
		Status:             subStatus(s),
		CurrentPeriodStart: unixTime(s.CurrentPeriodStart),
		CurrentPeriodEnd:   unixTime(s.CurrentPeriodEnd),
		TrialEnd:           unixTime(s.TrialEnd),
		CancelAtPeriodEnd:  s.CancelAtPeriodEnd,
		CancelledAt:        unixTime(s.CanceledAt),
		EndedAt:            unixTime(s.EndedAt),
		At:                 at,
	}
	if s.Customer != nil {
		st.CustomerRef = s.Customer.ID
	}
	if s.CurrentPeriodStart == 0 && s.CurrentPeriodEnd == 0 && len(raw) > 0 {
		var n newerSubscription
		if json.Unmarshal(raw, &n) == nil && n.Items != nil && len(n.Items.Data) > 0 {
			st.CurrentPeriodStart = unixTime(n.Items.Data[0].CurrentPeriodStart)
			st.CurrentPeriodEnd = unixTime(n.Items.Data[0].CurrentPeriodEnd)
		}
	}
	if s.Items != nil && len(s.Items.Data) > 0 && s.Items.Data[0] != nil && s.Items.Data[0].Price != nil {
		it := s.Items.Data[0]
		if it.Price.Currency != "" {
			q := max(it.Quantity, 1)
			st.Amount = money.Money{Amount: it.Price.UnitAmount * q, Currency: strings.ToUpper(string(it.Price.Currency))}
		}
	}
	return st
}

// invoicePeriod is the period an invoice pays: the period of its line that ends last (a renewal's subscription
// line: the new period; a plan change's prorations: the change until the current period's end), a line that is not
// a proration preferred among those ending at the same time. invoice.period_start/end are not it: for a renewal
// they are the period just ended (the one whose usage the invoice would bill).
func invoicePeriod(in *stripego.Invoice) (start, end time.Time) {
	if in.Lines == nil {
		return time.Time{}, time.Time{}
	}
	var best *stripego.InvoiceLineItem
	for _, l := range in.Lines.Data {
		if l == nil || l.Period == nil {
			continue
		}
		if best == nil || l.Period.End > best.Period.End || (l.Period.End == best.Period.End && best.Proration && !l.Proration) {
			best = l
		}
	}
	if best == nil {
		return time.Time{}, time.Time{}
	}
	return unixTime(best.Period.Start), unixTime(best.Period.End)
}

// invoiceSubscriptionID is the Bursar subscription an invoice echoes: its subscription_details.metadata (a
// snapshot of the subscription's metadata), else any line's metadata (a subscription line carries the
// subscription's metadata).
func invoiceSubscriptionID(in *stripego.Invoice) int64 {
	if in.SubscriptionDetails != nil {
		if id := subscriptionID("", in.SubscriptionDetails.Metadata); id > 0 {
			return id
		}
	}
	if in.Lines != nil {
		for _, l := range in.Lines.Data {
			if l == nil {
				continue
			}
			if id := subscriptionID("", l.Metadata); id > 0 {
				return id
			}
		}
	}
	return 0
}
