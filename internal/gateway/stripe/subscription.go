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

// Subscriptions at Stripe (gateway.Subscriber):
//
//   - BeginSubscription makes a Checkout Session in subscription mode with an inline recurring price (no Product or
//     Price objects are kept at Stripe); the subscription it makes carries metadata.subscription_id, which its
//     invoices echo. Plan.MaxCharges has no counterpart in Checkout: it is recorded in metadata.max_charges and the
//     subscription module asks for cancel_at_period_end when the last charge is made.
//   - Stripe's notifications (Verify): checkout.session.completed links the references; customer.subscription.*
//     report the state; invoice.paid / invoice.payment_succeeded / invoice.payment_failed report the charges. The
//     webhook endpoint must be subscribed to them (docs/ARCHITECTURE.md, Stripe).
//   - ChangeSubscription: cancel_now deletes the subscription; cancel_at_period_end and undo_cancel set
//     cancel_at_period_end; pause sets pause_collection{behavior: void} (the invoices of the pause are voided:
//     nothing charged, the status stays Stripe's and Bursar reports paused) and resume clears it; change_plan
//     replaces the item's price and invoices the prorated difference at once (proration_behavior always_invoice).

// Stripe's pause behaviour and proration for ChangeSubscription.
const (
	pauseBehavior     = "void"
	prorationBehavior = "always_invoice"
)

// intervals are the Plan intervals Stripe prices take (the same words).
var intervals = map[string]bool{gateway.IntervalDay: true, gateway.IntervalWeek: true, gateway.IntervalMonth: true,
	gateway.IntervalYear: true}

// validPlan checks what a recurring price needs.
func validPlan(pl gateway.Plan) error {
	if pl.Amount.Amount <= 0 || pl.Amount.Currency == "" {
		return fmt.Errorf("a positive amount and its currency are required")
	}
	if !intervals[pl.Interval] || pl.Count < 1 {
		return fmt.Errorf("interval %q every %d is not a Stripe interval", pl.Interval, pl.Count)
	}
	if pl.TrialDays < 0 || pl.MaxCharges < 0 {
		return fmt.Errorf("negative trial days or number of charges")
	}
	return nil
}

// BeginSubscription creates a Checkout Session in subscription mode for c and returns its URL; Redirect.Ref is the
// session id. client_reference_id is "sub:<subscription id>" (never a bare number: no order is ever read from it);
// the session's and the subscription's metadata carry subscription_id, subscription_number and, for a plan of a
// fixed number of charges, max_charges. Like Begin, the request carries an idempotency key made of the
// subscription and a hash of every parameter.
func (p *Provider) BeginSubscription(ctx context.Context, acct gateway.Account, c gateway.SubscriptionCheckout) (gateway.Redirect, error) {
	if c.SubscriptionID <= 0 || c.SuccessURL == "" || c.CancelURL == "" {
		return gateway.Redirect{}, fmt.Errorf("stripe: begin subscription %d: subscription id and both return URLs "+
			"are required", c.SubscriptionID)
	}
	if err := validPlan(c.Plan); err != nil {
		return gateway.Redirect{}, fmt.Errorf("stripe: begin subscription %d: %w", c.SubscriptionID, err)
	}
	cl, err := p.newCall(ctx, acct)
	if err != nil {
		return gateway.Redirect{}, err
	}
	params := subscriptionSessionParams(c)
	params.Params = cl.params()
	params.SetIdempotencyKey(subscriptionKey(c))
	s, err := cl.api.CheckoutSessions.New(params)
	if err != nil {
		return gateway.Redirect{}, cl.fail(fmt.Sprintf("begin subscription %d", c.SubscriptionID), err)
	}
	if s.URL == "" || s.ID == "" {
		return gateway.Redirect{}, fmt.Errorf("stripe: begin subscription %d: session without id or URL", c.SubscriptionID)
	}
	return gateway.Redirect{URL: s.URL, Ref: s.ID}, nil
}

// subscriptionMeta is the metadata of c's session and subscription.
func subscriptionMeta(c gateway.SubscriptionCheckout) map[string]string {
	meta := map[string]string{MetaSubscriptionID: strconv.FormatInt(c.SubscriptionID, 10)}
	if c.Number != "" {
		meta[MetaSubscriptionNumber] = c.Number
	}
	if c.Plan.MaxCharges > 0 {
		meta[MetaMaxCharges] = strconv.Itoa(c.Plan.MaxCharges)
	}
	return meta
}

// subscriptionSessionParams is the Checkout Session of c: one recurring line item, the subscription in
// client_reference_id and metadata, the trial in subscription_data.
func subscriptionSessionParams(c gateway.SubscriptionCheckout) *stripego.CheckoutSessionParams {
	pl := c.Plan
	params := &stripego.CheckoutSessionParams{
		Mode:              stripego.String(string(stripego.CheckoutSessionModeSubscription)),
		ClientReferenceID: stripego.String(subRefPrefix + strconv.FormatInt(c.SubscriptionID, 10)),
		SuccessURL:        stripego.String(successURL(c.SuccessURL)),
		CancelURL:         stripego.String(c.CancelURL),
		Locale:            stripego.String(locale(c.Language)),
		LineItems: []*stripego.CheckoutSessionLineItemParams{{
			PriceData: &stripego.CheckoutSessionLineItemPriceDataParams{
				Currency:    stripego.String(strings.ToLower(pl.Amount.Currency)),
				UnitAmount:  stripego.Int64(pl.Amount.Amount),
				ProductData: &stripego.CheckoutSessionLineItemPriceDataProductDataParams{Name: stripego.String(planTitle(c))},
				Recurring: &stripego.CheckoutSessionLineItemPriceDataRecurringParams{
					Interval:      stripego.String(pl.Interval),
					IntervalCount: stripego.Int64(int64(pl.Count)),
				},
			},
			Quantity: stripego.Int64(1),
		}},
		SubscriptionData: &stripego.CheckoutSessionSubscriptionDataParams{Metadata: subscriptionMeta(c)},
	}
	if pl.TrialDays > 0 {
		params.SubscriptionData.TrialPeriodDays = stripego.Int64(int64(pl.TrialDays))
	}
	params.Metadata = subscriptionMeta(c)
	if c.Email != "" {
		params.CustomerEmail = stripego.String(c.Email)
	}
	return params
}

// planTitle is what Stripe shows as the product: the plan's title, else the subscription number.
func planTitle(c gateway.SubscriptionCheckout) string {
	if strings.TrimSpace(c.Plan.Title) != "" {
		return c.Plan.Title
	}
	return "Subscription " + c.Number
}

// subscriptionKey is BeginSubscription's idempotency key: the subscription and a hash of everything the session is
// made of.
func subscriptionKey(c gateway.SubscriptionCheckout) string {
	h := sha256.New()
	pl := c.Plan
	for _, v := range []string{c.Number, strconv.FormatInt(pl.Amount.Amount, 10), pl.Amount.Currency, pl.Interval,
		strconv.Itoa(pl.Count), strconv.Itoa(pl.TrialDays), strconv.Itoa(pl.MaxCharges), pl.Title, c.Email,
		c.Language, c.SuccessURL, c.CancelURL} {
		fmt.Fprintf(h, "%d:%s;", len(v), v)
	}
	return fmt.Sprintf("bursar-subscription-%d-%s", c.SubscriptionID, hex.EncodeToString(h.Sum(nil))[:32])
}

// ChangeSubscription asks Stripe for ch.Action on subscription ch.Ref and returns the subscription as Stripe
// answers it, stamped with the provider's clock. An unknown action is gateway.ErrUnsupported.
func (p *Provider) ChangeSubscription(ctx context.Context, acct gateway.Account, ch gateway.SubscriptionChange) (gateway.SubscriptionState, error) {
	if ch.Ref == "" {
		return gateway.SubscriptionState{}, fmt.Errorf("stripe: change subscription %d: no subscription reference",
			ch.SubscriptionID)
	}
	op := fmt.Sprintf("%s subscription %s", ch.Action, ch.Ref)
	var params *stripego.SubscriptionParams
	switch ch.Action {
	case gateway.ActionCancelNow:
	case gateway.ActionCancelAtPeriodEnd, gateway.ActionUndoCancel:
		params = &stripego.SubscriptionParams{CancelAtPeriodEnd: stripego.Bool(ch.Action == gateway.ActionCancelAtPeriodEnd)}
	case gateway.ActionPause:
		params = &stripego.SubscriptionParams{PauseCollection: &stripego.SubscriptionPauseCollectionParams{
			Behavior: stripego.String(pauseBehavior)}}
	case gateway.ActionResume:
		params = &stripego.SubscriptionParams{}
		params.AddExtra("pause_collection", "") // an empty value unsets it
	case gateway.ActionChangePlan:
		if err := validPlan(ch.Plan); err != nil {
			return gateway.SubscriptionState{}, fmt.Errorf("stripe: %s: %w", op, err)
		}
	default:
		return gateway.SubscriptionState{}, fmt.Errorf("stripe: subscription action %.30q: %w", ch.Action,
			gateway.ErrUnsupported)
	}
	cl, err := p.newCall(ctx, acct)
	if err != nil {
		return gateway.SubscriptionState{}, err
	}
	var s *stripego.Subscription
	switch ch.Action {
	case gateway.ActionCancelNow:
		s, err = cl.api.Subscriptions.Cancel(ch.Ref, &stripego.SubscriptionCancelParams{Params: cl.params()})
	case gateway.ActionChangePlan:
		s, err = cl.changePlan(ch)
	default:
		params.Context = cl.ctx // not params.Params = cl.params(): that would drop resume's extra parameter
		s, err = cl.api.Subscriptions.Update(ch.Ref, params)
	}
	if err != nil {
		return gateway.SubscriptionState{}, cl.fail(op, err)
	}
	return p.stateOf(s, ch.SubscriptionRef)
}

// changePlan replaces the price of ch.Ref's (one) item with ch.Plan's: the subscription is read first for its item
// and product (a subscription item's inline price names an existing product), then updated with the difference
// invoiced now.
func (c *call) changePlan(ch gateway.SubscriptionChange) (*stripego.Subscription, error) {
	cur, err := c.api.Subscriptions.Get(ch.Ref, &stripego.SubscriptionParams{Params: c.params()})
	if err != nil {
		return nil, err
	}
	if cur.Items == nil || len(cur.Items.Data) != 1 || cur.Items.Data[0] == nil || cur.Items.Data[0].Price == nil ||
		cur.Items.Data[0].Price.Product == nil || cur.Items.Data[0].Price.Product.ID == "" {
		return nil, fmt.Errorf("subscription %s does not have the one priced item Bursar makes", ch.Ref)
	}
	item := cur.Items.Data[0]
	pl := ch.Plan
	params := &stripego.SubscriptionParams{
		Params: c.params(),
		Items: []*stripego.SubscriptionItemsParams{{
			ID: stripego.String(item.ID),
			PriceData: &stripego.SubscriptionItemPriceDataParams{
				Currency:   stripego.String(strings.ToLower(pl.Amount.Currency)),
				Product:    stripego.String(item.Price.Product.ID),
				UnitAmount: stripego.Int64(pl.Amount.Amount),
				Recurring: &stripego.SubscriptionItemPriceDataRecurringParams{
					Interval:      stripego.String(pl.Interval),
					IntervalCount: stripego.Int64(int64(pl.Count)),
				},
			},
			Quantity: stripego.Int64(1),
		}},
		ProrationBehavior: stripego.String(prorationBehavior),
	}
	if pl.MaxCharges > 0 {
		params.Metadata = map[string]string{MetaMaxCharges: strconv.Itoa(pl.MaxCharges)}
	} else if cur.Metadata[MetaMaxCharges] != "" {
		params.Metadata = map[string]string{MetaMaxCharges: ""} // an empty value deletes the key
	}
	return c.api.Subscriptions.Update(ch.Ref, params)
}

// SubscriptionStatus retrieves subscription ref and reports its state, stamped with the provider's clock.
func (p *Provider) SubscriptionStatus(ctx context.Context, acct gateway.Account, ref string) (gateway.SubscriptionState, error) {
	if ref == "" {
		return gateway.SubscriptionState{}, fmt.Errorf("stripe: subscription status: no subscription reference")
	}
	cl, err := p.newCall(ctx, acct)
	if err != nil {
		return gateway.SubscriptionState{}, err
	}
	s, err := cl.api.Subscriptions.Get(ref, &stripego.SubscriptionParams{Params: cl.params()})
	if err != nil {
		return gateway.SubscriptionState{}, cl.fail("status of subscription "+ref, err)
	}
	return p.stateOf(s, gateway.SubscriptionRef{Ref: ref})
}

// stateOf normalizes a subscription Stripe answered for asked, now.
func (p *Provider) stateOf(s *stripego.Subscription, asked gateway.SubscriptionRef) (gateway.SubscriptionState, error) {
	if s == nil || s.ID == "" {
		return gateway.SubscriptionState{}, fmt.Errorf("stripe: subscription %s: answer without an id", asked.Ref)
	}
	var raw []byte
	if s.LastResponse != nil {
		raw = s.LastResponse.RawJSON
	}
	st := subscriptionState(s, raw, p.now())
	if st.CustomerRef == "" {
		st.CustomerRef = asked.CustomerRef
	}
	return st, nil
}

// ManageURL creates a billing portal session for the subscription's customer (read from the subscription when
// s.CustomerRef is empty) returning to returnURL, and returns its URL. Stripe unreachable or failing wraps
// gateway.ErrUnavailable; a portal not configured in the Stripe account is a plain error carrying Stripe's message.
func (p *Provider) ManageURL(ctx context.Context, acct gateway.Account, s gateway.SubscriptionRef, returnURL string) (string, error) {
	if s.CustomerRef == "" && s.Ref == "" {
		return "", fmt.Errorf("stripe: manage subscription: no customer or subscription reference")
	}
	if returnURL == "" {
		return "", fmt.Errorf("stripe: manage subscription %s: no return URL", s.Ref)
	}
	cl, err := p.newCall(ctx, acct)
	if err != nil {
		return "", err
	}
	customer := s.CustomerRef
	if customer == "" {
		sub, err := cl.api.Subscriptions.Get(s.Ref, &stripego.SubscriptionParams{Params: cl.params()})
		if err != nil {
			return "", cl.fail("manage subscription "+s.Ref, err)
		}
		if sub.Customer == nil || sub.Customer.ID == "" {
			return "", fmt.Errorf("stripe: manage subscription %s: the subscription names no customer", s.Ref)
		}
		customer = sub.Customer.ID
	}
	ps, err := cl.api.BillingPortalSessions.New(&stripego.BillingPortalSessionParams{Params: cl.params(),
		Customer: stripego.String(customer), ReturnURL: stripego.String(returnURL)})
	if err != nil {
		return "", cl.fail("billing portal of customer "+customer, err)
	}
	if ps.URL == "" {
		return "", fmt.Errorf("stripe: billing portal of customer %s: session without URL", customer)
	}
	return ps.URL, nil
}
