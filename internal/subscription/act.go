package subscription

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/subscription/subscriptionq"
)

// Actions lists every Action.Kind.
var Actions = []string{gateway.ActionCancelNow, gateway.ActionCancelAtPeriodEnd, gateway.ActionUndoCancel,
	gateway.ActionPause, gateway.ActionResume, gateway.ActionChangePlan}

// PayerActions are the actions a payer may ask from the cabinet.
var PayerActions = []string{gateway.ActionCancelAtPeriodEnd, gateway.ActionUndoCancel}

// MaxNote bounds Action.Note.
const MaxNote = 500

// actionWords words an action for messages.
var actionWords = map[string]string{
	gateway.ActionCancelNow:         "cancel now",
	gateway.ActionCancelAtPeriodEnd: "cancel at the period's end",
	gateway.ActionUndoCancel:        "undo the cancellation",
	gateway.ActionPause:             "pause",
	gateway.ActionResume:            "resume",
	gateway.ActionChangePlan:        "change the plan",
}

// owned returns subscription id when contactID (0: staff) may act on it; another payer's is check.ErrNotFound,
// as if it did not exist.
func (s *Service) owned(ctx context.Context, id, contactID int64) (Subscription, error) {
	sub, err := s.Get(ctx, id)
	if err != nil {
		return sub, err
	}
	if contactID != 0 && sub.ContactID != contactID {
		return Subscription{}, fmt.Errorf("subscription %d: %w", id, check.ErrNotFound)
	}
	return sub, nil
}

// Act asks the gateway for a change of subscription id (a.Kind) and records the state it answers; the gateway's
// notification that follows changes nothing more. The intent is written first (a line of the subscription's
// timeline), the gateway called outside any transaction, and its answer applied by the same rule as its
// notifications (applyStateTx: by the state's time). ErrNotLive for a subscription no longer live; a gateway that
// cannot do it is an error wrapping gateway.ErrUnsupported that says so; check.ErrNotFound for another payer's
// subscription; field errors for a bad action or plan.
func (s *Service) Act(ctx context.Context, id int64, a Action) (Subscription, error) {
	sub, err := s.owned(ctx, id, a.ContactID)
	if err != nil {
		return sub, err
	}
	e := check.Errors{}
	switch {
	case !slices.Contains(Actions, a.Kind):
		e.Add("action", "must be one of cancel_now, cancel_at_period_end, undo_cancel, pause, resume, change_plan")
	case a.ContactID != 0 && !slices.Contains(PayerActions, a.Kind):
		e.Add("action", "a payer may only cancel at the period's end or undo that")
	}
	e.Text("note", a.Note, false, MaxNote)
	if err := e.Err(); err != nil {
		return sub, err
	}
	if !sub.Status.Live() {
		return sub, ErrNotLive
	}
	if sub.GatewayRef == "" {
		return sub, check.Conflictf(ErrNotLive, "The payment service has not confirmed subscription %s yet.", sub.Number)
	}
	sys, err := s.deps.Systems.Get(ctx, sub.PaymentSystemID)
	if err != nil {
		return sub, err
	}
	ch := gateway.SubscriptionChange{SubscriptionRef: gateway.SubscriptionRef{Ref: sub.GatewayRef,
		CustomerRef: sub.CustomerRef}, SubscriptionID: sub.ID, Action: a.Kind}
	if a.ContactID != 0 && a.Kind == gateway.ActionCancelAtPeriodEnd && cancelsAtOnce(sys) {
		// What the payer asks — no more charges, access until the paid period's end — is, at a gateway that only
		// cancels at once, cancelling now: a cancelled subscription's access ends at its paid period's end anyway.
		ch.Action = gateway.ActionCancelNow
	}
	var to offer.Offer
	if a.Kind == gateway.ActionChangePlan {
		if to, err = s.planTarget(ctx, sub, a.OfferID); err != nil {
			return sub, err
		}
		ch.Plan = PlanOf(to)
	}
	what := actionWords[a.Kind]
	if ch.Action != a.Kind {
		what += fmt.Sprintf(" (%s cancels at once; access lasts until the paid period's end)", sys.Name)
	}
	if to.ID != 0 {
		what += fmt.Sprintf(" to %s (%s every %s)", to.Title, ch.Plan.Amount, planEvery(ch.Plan))
	}
	if a.Note != "" {
		what += ": " + a.Note
	}
	who := sys.Name
	if OwnSchedule(sys) {
		who = "Bursar" // it charges the saved card on its own schedule
	}
	// The intent, before the call: a crash after it leaves the line, and the gateway's notification the state.
	if err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		return s.recordTx(ctx, tx, sub, EventAsked, fmt.Sprintf("Subscription %s: %s asked of %s by %s",
			sub.Number, what, who, actor(ctx)), "subscription.ask", map[string]any{"action": a.Kind,
			"offer_id": a.OfferID, "note": a.Note})
	}); err != nil {
		return sub, err
	}
	var (
		st   gateway.SubscriptionState
		gerr error
	)
	if OwnSchedule(sys) {
		st = ownChange(sub, a.Kind, s.now()) // Bursar keeps the schedule: nothing to ask of the gateway
	} else {
		st, gerr = s.deps.Gateways.ChangeSubscription(ctx, sys, ch)
	}
	if gerr != nil {
		_ = s.lineOnly(context.WithoutCancel(ctx), sub, EventAnswered, fmt.Sprintf("Subscription %s: %s did not %s",
			sub.Number, sys.Name, actionWords[a.Kind]))
		if errors.Is(gerr, gateway.ErrUnsupported) {
			return sub, fmt.Errorf("%s cannot %s (%s): %w", sys.Name, actionWords[a.Kind], unsupportedWhy(sys, a.Kind), gerr)
		}
		return sub, fmt.Errorf("%s did not %s subscription %s: %w", sys.Name, actionWords[a.Kind], sub.Number, gerr)
	}
	if st.At.IsZero() {
		st.At = s.now()
	}
	var out Subscription
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		r, err := subscriptionq.New(tx).SubscriptionLock(ctx, sub.ID)
		if err != nil {
			return fmt.Errorf("lock subscription %s: %w", sub.Number, err)
		}
		var evs events.Batch
		cur, _, err := s.applyStateTx(ctx, tx, fromRow(r), st, fmt.Sprintf("%s's answer to %s", sys.Name,
			actionWords[a.Kind]), &evs)
		if err != nil {
			return err
		}
		if to.ID != 0 && !terminal(cur.Status) {
			p := PlanOf(to)
			r, err := subscriptionq.New(tx).SubscriptionSetPlan(ctx, subscriptionq.SubscriptionSetPlanParams{ID: cur.ID,
				OfferID: to.ID, OfferTitle: to.Title, Amount: p.Amount.Amount, Currency: p.Amount.Currency,
				Interval: p.Interval, IntervalCount: int32(p.Count), GraceDays: int32(to.GraceDays), Now: s.now()})
			if err != nil {
				return fmt.Errorf("subscription %s's new plan: %w", sub.Number, err)
			}
			cur = fromRow(r)
			evs.Add(events.Event{Type: events.SubscriptionUpdated, ID: cur.ID})
		}
		if err := s.recordTx(ctx, tx, cur, EventAnswered, fmt.Sprintf("Subscription %s: %s did %s (%s)", cur.Number,
			who, actionWords[a.Kind], describe(sub, cur)), "subscription.act", map[string]any{"action": a.Kind,
			"offer_id": to.ID, "status": cur.Status, "cancel_at_period_end": cur.CancelAtPeriodEnd,
			"note": a.Note}); err != nil {
			return err
		}
		out = cur
		return evs.EmitTx(ctx, s.deps.Events, tx)
	})
	return out, err
}

// planTarget checks the recurring offer a plan change of sub moves to: published, through sub's payment system, in
// its currency, another offer.
func (s *Service) planTarget(ctx context.Context, sub Subscription, offerID int64) (offer.Offer, error) {
	if offerID <= 0 {
		return offer.Offer{}, check.Field("offer_id", "is required to change the plan")
	}
	to, err := s.deps.Offers.Offer(ctx, offerID)
	e := check.Errors{}
	switch {
	case errors.Is(err, check.ErrNotFound):
		e.Add("offer_id", "no offer has this id")
	case err != nil:
		return to, err
	case to.ID == sub.OfferID:
		e.Add("offer_id", "is the subscription's offer already")
	case !offer.Subscribed(to.Kind):
		e.Add("offer_id", MsgNotRecurring)
	case to.Status != offer.StatusPublished:
		e.Add("offer_id", MsgNotOnSale)
	case !slices.Contains(to.PaymentSystemIDs, sub.PaymentSystemID):
		e.Add("offer_id", "is not sold through the subscription's payment system")
	case to.Currency != sub.Price.Currency:
		e.Add("offer_id", fmt.Sprintf("is priced in %s, the subscription in %s", to.Currency, sub.Price.Currency))
	}
	return to, e.Err()
}

func planEvery(p gateway.Plan) string {
	if p.Count <= 1 {
		return p.Interval
	}
	return fmt.Sprintf("%d %ss", p.Count, p.Interval)
}

// cancelsAtOnce reports whether sys's gateway cannot cancel at the period's end, only at once (PayPal).
func cancelsAtOnce(sys gateway.System) bool { return sys.Type == gateway.TypePayPal }

// Offered reports whether subscriptions through sys can be asked action (the admin shows only those): PayPal
// cannot cancel at the period's end, take that back, or change a plan with proration.
func Offered(sys gateway.System, action string) bool {
	if !cancelsAtOnce(sys) {
		return true
	}
	return action != gateway.ActionCancelAtPeriodEnd && action != gateway.ActionUndoCancel &&
		action != gateway.ActionChangePlan
}

// Unoffered says what sys's gateway cannot do with subscriptions ("" when it can do every action).
func Unoffered(sys gateway.System) string {
	if cancelsAtOnce(sys) {
		return sys.Name + " cannot cancel at the period's end or change a plan with proration: cancel now keeps the " +
			"access paid for until the paid period's end."
	}
	if OwnSchedule(sys) {
		return "Bursar charges the card " + sys.Name + " saved, on its own schedule: a plan change's new price is " +
			"charged from the next period (no prorated difference)."
	}
	return ""
}

// unsupportedWhy says why sys's gateway cannot do action.
func unsupportedWhy(sys gateway.System, action string) string {
	if sys.Type == gateway.TypePayPal {
		switch action {
		case gateway.ActionCancelAtPeriodEnd, gateway.ActionUndoCancel:
			return "PayPal cancels a subscription at once; cancel it now, and access lasts until the paid period's end"
		case gateway.ActionChangePlan:
			return "PayPal does not prorate a plan change"
		}
	}
	return "the payment service does not offer it"
}

func actor(ctx context.Context) string {
	if l := audit.ActorFrom(ctx).Label; l != "" {
		return l
	}
	return "the system"
}

// ManageURL is the gateway's page where the payer of subscription id changes the card (the Stripe billing portal,
// PayPal's autopay page), returning to returnURL. contactID, when set, must be the subscription's payer
// (check.ErrNotFound otherwise). gateway.ErrUnavailable when the gateway cannot make one now (the cabinet shows a
// retry page); ErrNotLive for a subscription the gateway never confirmed.
func (s *Service) ManageURL(ctx context.Context, id, contactID int64, returnURL string) (string, error) {
	sub, err := s.owned(ctx, id, contactID)
	if err != nil {
		return "", err
	}
	if sub.GatewayRef == "" {
		return "", ErrNotLive
	}
	sys, err := s.deps.Systems.Get(ctx, sub.PaymentSystemID)
	if err != nil {
		return "", err
	}
	if OwnSchedule(sys) {
		return "", fmt.Errorf("%s keeps no page to change the card of subscription %s: the payer pays a charge due "+
			"with another card (PayNow): %w", sys.Name, sub.Number, gateway.ErrUnsupported)
	}
	u, err := s.deps.Gateways.ManageURL(ctx, sys, gateway.SubscriptionRef{Ref: sub.GatewayRef,
		CustomerRef: sub.CustomerRef}, returnURL)
	if err != nil {
		return "", fmt.Errorf("%s's page for subscription %s: %w", sys.Name, sub.Number, err)
	}
	return u, nil
}
