package subscription

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/subscription/subscriptionq"
)

// Timeline kinds (subscription_events.kind; the contact's timeline uses the same words).
const (
	EventStarted  = "subscription.started"  // the pending subscription written, the payer sent to the gateway
	EventCheckout = "subscription.checkout" // the gateway's checkout made (or failed)
	EventState    = "subscription.state"    // the gateway reported a new state
	EventLinked   = "subscription.linked"   // the gateway's references recorded
	EventCharged  = "subscription.charged"  // a charge paid: an order completed
	EventFailed   = "subscription.failed"   // a charge failed
	EventAsked    = "subscription.asked"    // a change asked of the gateway (Act), before calling it
	EventAnswered = "subscription.answered" // the gateway's answer to a change
	EventDropped  = "subscription.dropped"  // a pending subscription never confirmed, dropped
)

// Messages of Start's field errors.
const (
	MsgAlreadySubscribed = "already subscribed"
	MsgNotRecurring      = "is not a recurring offer"
	MsgNotOnSale         = "is not on sale"
	MsgNoRecurring       = "cannot charge on schedule: subscriptions need a payment system such as Stripe, PayPal, WayForPay or Fondy"
)

// PlanOf is the gateway's plan of recurring offer of: week, month and year every IntervalCount units; the custom
// interval every IntervalDays days.
func PlanOf(of offer.Offer) gateway.Plan {
	p := gateway.Plan{Amount: of.Price(), Interval: of.Interval, Count: max(of.IntervalCount, 1),
		TrialDays: of.TrialDays, MaxCharges: of.MaxCharges, Title: of.Title}
	switch of.Interval {
	case offer.IntervalWeek:
		p.Interval = gateway.IntervalWeek
	case offer.IntervalYear:
		p.Interval = gateway.IntervalYear
	case offer.IntervalCustom:
		p.Interval, p.Count = gateway.IntervalDay, max(of.IntervalDays, 1)
	default:
		p.Interval = gateway.IntervalMonth
	}
	return p
}

// planOf is sub's own plan (what each period charges).
func planOf(sub Subscription) gateway.Plan {
	return gateway.Plan{Amount: sub.Price, Interval: sub.Interval, Count: max(sub.IntervalCount, 1),
		TrialDays: sub.TrialDays, MaxCharges: sub.MaxCharges, Title: sub.OfferTitle}
}

func (in Start) validate() check.Errors {
	e := check.Errors{}
	if in.OfferID <= 0 {
		e.Add("offer_id", "is required")
	}
	if in.SystemID <= 0 {
		e.Add("payment_system_id", "is required")
	}
	if in.ContactID <= 0 {
		e.Add("contact_id", "is required")
	}
	e.Text("language", in.Language, false, 16)
	return e
}

// target loads and checks the offer, payment system and contact of in.
func (s *Service) target(ctx context.Context, in Start) (offer.Offer, gateway.System, crm.Contact, error) {
	e := in.validate()
	var (
		of  offer.Offer
		sys gateway.System
		c   crm.Contact
		err error
	)
	if _, bad := e["offer_id"]; !bad {
		of, err = s.deps.Offers.Offer(ctx, in.OfferID)
		switch {
		case errors.Is(err, check.ErrNotFound):
			e.Add("offer_id", "no offer has this id")
		case err != nil:
			return of, sys, c, err
		case !offer.Subscribed(of.Kind):
			e.Add("offer_id", MsgNotRecurring)
		case of.Status != offer.StatusPublished:
			e.Add("offer_id", MsgNotOnSale)
		}
	}
	if _, bad := e["payment_system_id"]; !bad {
		sys, err = s.deps.Systems.Get(ctx, in.SystemID)
		switch {
		case errors.Is(err, check.ErrNotFound):
			e.Add("payment_system_id", "no payment system has this id")
		case err != nil:
			return of, sys, c, err
		case of.ID != 0 && !slices.Contains(of.PaymentSystemIDs, sys.ID):
			e.Add("payment_system_id", "is not one of this offer's payment systems")
		case !sys.Enabled:
			e.Add("payment_system_id", "is disabled")
		case !gateway.TypeCan(sys.Type, gateway.Recurring):
			e.Add("payment_system_id", MsgNoRecurring)
		case OwnSchedule(sys) && of.TrialDays > 0:
			e.Add("payment_system_id", MsgNoTrial)
		case of.ID != 0 && !sys.Supports(of.Currency):
			e.Add("payment_system_id", fmt.Sprintf("does not accept %s", of.Currency))
		}
	}
	if _, bad := e["contact_id"]; !bad {
		c, err = s.deps.Contacts.Contact(ctx, in.ContactID)
		switch {
		case errors.Is(err, check.ErrNotFound):
			e.Add("contact_id", "no contact has this id")
		case err != nil:
			return of, sys, c, err
		}
	}
	return of, sys, c, e.Err()
}

// Start writes a pending subscription (the intent), then asks the payment system's gateway to start it (outside
// any transaction) and records the checkout's reference; the payer follows Started.Redirect. Field errors: the
// offer not a published recurring offer, the system not one of the offer's or unable to charge on schedule
// (gateway.Recurring), the contact subscribed to the offer already (MsgAlreadySubscribed). A second click while a
// pending subscription of the same contact, offer and system is fresh (younger than Config.PendingFor) reuses it
// with a new checkout. When the gateway fails, the pending row stays (the pending job drops it) and the gateway's
// error is returned (wrapping gateway.ErrUnavailable when it did not answer).
func (s *Service) Start(ctx context.Context, in Start) (Started, error) {
	of, sys, c, err := s.target(ctx, in)
	if err != nil {
		return Started{}, err
	}
	lang := in.Language
	if lang == "" {
		lang = of.Language
	}
	plan := PlanOf(of)
	var (
		sub Subscription
		ref string // the first payment's reference of a subscription Bursar charges (OwnSchedule)
	)
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		q := subscriptionq.New(tx)
		if err := q.SubscriptionLockContact(ctx, c.ID); err != nil {
			return fmt.Errorf("lock contact %d's subscriptions: %w", c.ID, err)
		}
		num, err := q.SubscriptionLiveOf(ctx, subscriptionq.SubscriptionLiveOfParams{ContactID: c.ID, OfferID: of.ID})
		if err == nil {
			return check.Field("offer_id", fmt.Sprintf("%s (%s)", MsgAlreadySubscribed, num))
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("live subscriptions of contact %d: %w", c.ID, err)
		}
		now := s.now()
		r, err := q.SubscriptionPendingFresh(ctx, subscriptionq.SubscriptionPendingFreshParams{ContactID: c.ID,
			OfferID: of.ID, PaymentSystemID: sys.ID, Since: now.Add(-s.cfg.PendingFor)})
		if err == nil {
			sub = fromRow(r)
			if err := s.firstAttemptTx(ctx, tx, sys, sub, &ref); err != nil {
				return err
			}
			return s.lineTx(ctx, tx, sub, EventStarted, fmt.Sprintf("Subscription %s: checkout through %s asked again",
				sub.Number, sys.Name), false)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("pending subscription of contact %d: %w", c.ID, err)
		}
		r, err = q.SubscriptionInsert(ctx, subscriptionq.SubscriptionInsertParams{ContactID: c.ID, OfferID: of.ID,
			OfferTitle: of.Title, PaymentSystemID: sys.ID, Amount: plan.Amount.Amount, Currency: plan.Amount.Currency,
			Interval: plan.Interval, IntervalCount: int32(plan.Count), TrialDays: int32(of.TrialDays),
			MaxCharges: int32(of.MaxCharges), GraceDays: int32(of.GraceDays), Language: lang, Now: now})
		if err != nil {
			return fmt.Errorf("insert subscription: %w", err)
		}
		sub = fromRow(r)
		if err := s.firstAttemptTx(ctx, tx, sys, sub, &ref); err != nil {
			return err
		}
		msg := fmt.Sprintf("Subscription %s to %s (%s every %s) started through %s: waiting for the payer",
			sub.Number, sub.OfferTitle, sub.Price, every(sub), sys.Name)
		if err := s.lineTx(ctx, tx, sub, EventStarted, msg, true); err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, "subscription.start", "subscription", sub.ID, map[string]any{
			"number": sub.Number, "contact_id": c.ID, "offer_id": of.ID, "payment_system_id": sys.ID,
			"amount": sub.Price.Amount, "currency": sub.Price.Currency, "interval": sub.Interval,
			"interval_count": sub.IntervalCount})
	})
	if err != nil {
		return Started{}, err
	}
	out := Started{Subscription: sub}
	var (
		red  gateway.Redirect
		gerr error
	)
	if ref != "" {
		red, gerr = s.deps.Gateways.BeginSaving(ctx, sys, gateway.CardCheckout{Ref: ref, SubscriptionID: sub.ID,
			Number: sub.Number, Amount: sub.Price, Title: sub.OfferTitle, Email: c.Email, Language: sub.Language,
			SuccessURL: in.SuccessURL, CancelURL: in.CancelURL, NotifyURL: s.notifyURL(sys)})
	} else {
		red, gerr = s.deps.Gateways.BeginSubscription(ctx, sys, gateway.SubscriptionCheckout{SubscriptionID: sub.ID,
			Number: sub.Number, Plan: planOf(sub), Email: c.Email, Language: sub.Language, SuccessURL: in.SuccessURL,
			CancelURL: in.CancelURL, NotifyURL: s.notifyURL(sys)})
	}
	if gerr != nil {
		_ = s.lineOnly(context.WithoutCancel(ctx), sub, EventCheckout,
			fmt.Sprintf("Subscription %s: %s did not start the checkout", sub.Number, sys.Name))
		return out, fmt.Errorf("start subscription %s through %s: %w", sub.Number, sys.Name, gerr)
	}
	out.Redirect = red
	if red.Ref != "" {
		if err := subscriptionq.New(s.db).SubscriptionSetCheckout(ctx, subscriptionq.SubscriptionSetCheckoutParams{
			ID: sub.ID, CheckoutRef: red.Ref, Now: s.now()}); err != nil {
			return out, fmt.Errorf("record checkout of subscription %s: %w", sub.Number, err)
		}
		out.Subscription.CheckoutRef = red.Ref
	}
	return out, nil
}

// firstAttemptTx writes the intent of the first payment of sub when Bursar charges it (OwnSchedule): its reference,
// set in *ref, is the gateway's order reference of the payment that saves the card; the period starts when it is
// paid.
func (s *Service) firstAttemptTx(ctx context.Context, tx pgx.Tx, sys gateway.System, sub Subscription, ref *string) error {
	if !OwnSchedule(sys) {
		return nil
	}
	*ref = gateway.NewChargeRef(sub.ID)
	if _, err := subscriptionq.New(tx).AttemptInsert(ctx, subscriptionq.AttemptInsertParams{SubscriptionID: sub.ID,
		PaymentSystemID: sys.ID, Ref: *ref, Kind: attemptCheckout, Amount: sub.Price.Amount,
		Currency: sub.Price.Currency, Now: s.now()}); err != nil {
		return fmt.Errorf("write the first payment of subscription %s: %w", sub.Number, err)
	}
	return nil
}

// every words sub's interval: "month", "3 months", "10 days".
func every(sub Subscription) string {
	if sub.IntervalCount <= 1 {
		return sub.Interval
	}
	return fmt.Sprintf("%d %ss", sub.IntervalCount, sub.Interval)
}

// lineTx writes msg to sub's own timeline and, when contact is true, to its contact's.
func (s *Service) lineTx(ctx context.Context, tx pgx.Tx, sub Subscription, kind, msg string, contact bool) error {
	if err := subscriptionq.New(tx).EventAdd(ctx, subscriptionq.EventAddParams{SubscriptionID: sub.ID, Kind: kind,
		Message: msg, Now: s.now()}); err != nil {
		return fmt.Errorf("subscription %s timeline: %w", sub.Number, err)
	}
	if !contact {
		return nil
	}
	if err := s.deps.Contacts.AddEventTx(ctx, tx, sub.ContactID, kind, msg); err != nil {
		return fmt.Errorf("contact timeline: %w", err)
	}
	return nil
}

// lineOnly writes msg to sub's own timeline on its own.
func (s *Service) lineOnly(ctx context.Context, sub Subscription, kind, msg string) error {
	return subscriptionq.New(s.db).EventAdd(ctx, subscriptionq.EventAddParams{SubscriptionID: sub.ID, Kind: kind,
		Message: msg, Now: s.now()})
}
