package subscription

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/subscription/subscriptionq"
)

// Subscriptions Bursar charges on its own schedule (OwnSchedule: WayForPay, Fondy). The first payment, on the
// gateway's page, saves the card (Start → gateway.CardCharger.BeginSaving); its notification is the first charge
// (chargeTx keeps the card's token). From then on the charge job (ChargeDue) charges the saved card when
// next_charge_at comes: each charge's intent (subscription_attempts: its reference and the period it pays) is
// written before the gateway is asked, the answer applied through order.Service.Ingest like a notification, and the
// gateway's own notification of the same charge finds it recorded. An answer lost (a timeout, a crash) leaves the
// attempt 'sent': the job asks the gateway about it (Status) and no other charge of that subscription is made
// meanwhile. A declined charge makes the subscription past due and is retried after RetryDelays; when they run out
// the subscription is cancelled. A past-due payer may pay the charge due on the gateway's page (PayNow), with
// another card, which is saved for the next charges.

// Attempt kinds: the payer on the gateway's page (the first payment, PayNow), or a charge of the saved card.
const (
	attemptCheckout = "checkout"
	attemptCharge   = "charge"
)

// RetryDelays are the waits before each new try of a declined saved-card charge, from the try before: the card is
// tried again 1, 3 and 5 days after the first decline; the subscription is cancelled when the last try is declined.
var RetryDelays = []time.Duration{24 * time.Hour, 48 * time.Hour, 48 * time.Hour}

// Defaults of the charge job.
const (
	// ChargeEvery is how often the charge job runs.
	ChargeEvery = 10 * time.Minute
	// AskAfter is how long a charge waits for its answer before the job asks the gateway about it.
	AskAfter = 10 * time.Minute
	// GiveUpAfter is how long the job asks about a charge the gateway has no record of before recording it as
	// not made (declined): the card was never charged, and the subscription moves on to its retries.
	GiveUpAfter = 24 * time.Hour
	// PayNowHold is how long the automatic retry waits while the payer pays the charge due on the gateway's page.
	PayNowHold = time.Hour
	// chargeBatch bounds the subscriptions (and the lost answers) one run looks at.
	chargeBatch = 100
)

// Messages.
const (
	// MsgNoTrial is the field error of a free trial through a saved-card gateway.
	MsgNoTrial = "cannot start a free trial: the first payment saves the payer's card"
)

// Notes applies a gateway's answer like a notification: stored, deduplicated and applied in one transaction
// (order.Service.Ingest, which hands a charge back to ApplyTx).
type Notes interface {
	Ingest(ctx context.Context, sys gateway.System, ev gateway.Event, body []byte) (order.Outcome, error)
}

// reschedule sets when the charge job looks at a saved-card subscription next: nothing while it is not live, is
// paused or has no saved card; the retry time failedTx set while charges are being retried (now, when a resumed
// subscription lost it); else the current period's end (its next charge, or its end when it cancels at the
// period's end or made its number of charges).
func reschedule(sub *Subscription, now time.Time) {
	if sub.cardToken == "" {
		return
	}
	if !sub.Status.Live() || sub.Status == StatusPaused {
		sub.NextChargeAt = nil
		return
	}
	if sub.Retries > 0 {
		if sub.NextChargeAt == nil {
			t := now.UTC()
			sub.NextChargeAt = &t
		}
		return
	}
	sub.NextChargeAt = sub.CurrentPeriodEnd
}

// ownChange is the state a change asked of a subscription Bursar charges comes to: Bursar is its own gateway here.
func ownChange(sub Subscription, action string, now time.Time) gateway.SubscriptionState {
	at := now.UTC()
	if sub.StateAt != nil && !at.After(*sub.StateAt) {
		at = sub.StateAt.Add(time.Microsecond) // a change made now is newer than the state it changes
	}
	st := gateway.SubscriptionState{SubscriptionRef: gateway.SubscriptionRef{Ref: sub.GatewayRef},
		SubscriptionID: sub.ID, Status: string(sub.Status), CancelAtPeriodEnd: sub.CancelAtPeriodEnd, At: at}
	switch action {
	case gateway.ActionCancelNow:
		st.Status, st.CancelledAt, st.CancelAtPeriodEnd = gateway.SubCancelled, at, false
	case gateway.ActionCancelAtPeriodEnd:
		st.CancelAtPeriodEnd = true
	case gateway.ActionUndoCancel:
		st.CancelAtPeriodEnd = false
	case gateway.ActionPause:
		st.Status = gateway.SubPaused
	case gateway.ActionResume:
		st.Status = gateway.SubActive
		if sub.Retries > 0 {
			st.Status = gateway.SubPastDue
		}
		// The time paused is not charged for: a period over while paused starts again now.
		if sub.CurrentPeriodEnd != nil && sub.CurrentPeriodEnd.Before(at) {
			st.CurrentPeriodStart, st.CurrentPeriodEnd = at, at
		}
	}
	return st
}

// attemptOf is the intent of charge ref of sys; ok false when Bursar never asked for it.
func attemptOf(ctx context.Context, tx pgx.Tx, sys gateway.System, ref string) (subscriptionq.SubscriptionAttempt, bool, error) {
	a, err := subscriptionq.New(tx).AttemptByRef(ctx, subscriptionq.AttemptByRefParams{PaymentSystemID: sys.ID, Ref: ref})
	if errors.Is(err, pgx.ErrNoRows) {
		return a, false, nil
	}
	if err != nil {
		return a, false, fmt.Errorf("attempt %s: %w", ref, err)
	}
	return a, true, nil
}

// PayNow sends the payer of past-due subscription id to the gateway's page to pay the charge due (the next period
// from the paid period's end) with the saved card or another one, which is saved for the next charges: the
// cabinet's "Pay now" and the past-due e-mail's link. contactID, when set, must be the subscription's payer
// (check.ErrNotFound otherwise). ErrNothingDue for a subscription that is not past due or whose gateway keeps the
// schedule (OwnSchedule false); gateway.ErrUnavailable (wrapped) when the gateway cannot start the page now. The
// attempt is written before the gateway is asked (and the automatic retry held for PayNowHold); the gateway's
// notification of the payment records the charge.
func (s *Service) PayNow(ctx context.Context, id, contactID int64, successURL, cancelURL string) (gateway.Redirect, error) {
	sub, err := s.owned(ctx, id, contactID)
	if err != nil {
		return gateway.Redirect{}, err
	}
	sys, err := s.deps.Systems.Get(ctx, sub.PaymentSystemID)
	if err != nil {
		return gateway.Redirect{}, err
	}
	if !OwnSchedule(sys) || sub.Status != StatusPastDue {
		return gateway.Redirect{}, ErrNothingDue
	}
	c, err := s.deps.Contacts.Contact(ctx, sub.ContactID)
	if err != nil {
		return gateway.Redirect{}, err
	}
	ref := gateway.NewChargeRef(sub.ID)
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		q := subscriptionq.New(tx)
		r, err := q.SubscriptionLock(ctx, sub.ID)
		if err != nil {
			return fmt.Errorf("lock subscription %s: %w", sub.Number, err)
		}
		sub = fromRow(r)
		if sub.Status != StatusPastDue {
			return ErrNothingDue
		}
		busy, err := q.AttemptInFlight(ctx, sub.ID)
		if err != nil {
			return fmt.Errorf("charges of subscription %s in flight: %w", sub.Number, err)
		}
		if busy {
			return check.Conflictf(ErrNothingDue, "A charge of subscription %s is being made right now: "+
				"try again in a few minutes.", sub.Number)
		}
		start, end := nextPeriod(sub, s.now())
		if _, err := q.AttemptInsert(ctx, subscriptionq.AttemptInsertParams{SubscriptionID: sub.ID,
			PaymentSystemID: sys.ID, Ref: ref, Kind: attemptCheckout, PeriodStart: &start, PeriodEnd: &end,
			Amount: sub.Price.Amount, Currency: sub.Price.Currency, Now: s.now()}); err != nil {
			return fmt.Errorf("write the payment of subscription %s: %w", sub.Number, err)
		}
		if hold := s.now().Add(PayNowHold).UTC(); sub.NextChargeAt == nil || sub.NextChargeAt.Before(hold) {
			sub.NextChargeAt = &hold
		}
		if _, err := s.saveTx(ctx, tx, sub); err != nil {
			return err
		}
		return s.lineTx(ctx, tx, sub, EventCheckout, fmt.Sprintf("Subscription %s: the payer is paying %s for %s – %s "+
			"on %s's page (%s)", sub.Number, sub.Price, day(start), day(end), sys.Name, ref), true)
	})
	if err != nil {
		return gateway.Redirect{}, err
	}
	red, err := s.deps.Gateways.BeginSaving(ctx, sys, gateway.CardCheckout{Ref: ref, SubscriptionID: sub.ID,
		Number: sub.Number, Amount: sub.Price, Title: sub.OfferTitle, Email: c.Email, Language: sub.Language,
		SuccessURL: successURL, CancelURL: cancelURL, NotifyURL: s.notifyURL(sys)})
	if err != nil {
		_ = s.lineOnly(context.WithoutCancel(ctx), sub, EventCheckout,
			fmt.Sprintf("Subscription %s: %s did not start the payment page", sub.Number, sys.Name))
		return gateway.Redirect{}, fmt.Errorf("pay subscription %s through %s: %w", sub.Number, sys.Name, err)
	}
	return red, nil
}

// notifyURL is where sys's gateway posts its notifications.
func (s *Service) notifyURL(sys gateway.System) string {
	return s.cfg.BaseURL + "/webhooks/" + strconv.FormatInt(sys.ID, 10)
}

// cabinetURL is where a payer of a saved-card subscription pays a charge due.
func (s *Service) cabinetURL() string { return s.cfg.BaseURL + "/account/subscriptions" }

// nextPeriod is the period sub's next charge pays: from the current period's end (now when it has none).
func nextPeriod(sub Subscription, now time.Time) (time.Time, time.Time) {
	start := now.UTC()
	if sub.CurrentPeriodEnd != nil {
		start = sub.CurrentPeriodEnd.UTC()
	}
	return start, addInterval(sub, start, 1)
}

// ChargeSummary is what one run of the charge job did.
type ChargeSummary struct {
	Charged     int // charges made and paid
	Declined    int // charges declined (or refused by the gateway)
	Ended       int // subscriptions ended or cancelled at their time
	Asked       int // lost answers asked about
	Unavailable int // the gateway did not answer: asked about later
}

// ChargeDue charges the saved cards of the subscriptions Bursar schedules whose charge is due (next_charge_at
// passed), ends those cancelling at their period's end or done with their number of charges, cancels those whose
// retries ran out, and first asks the gateways about charges whose answer was lost. Answers are applied through
// notes (order.Service.Ingest). One subscription's failure does not stop the others; the first error is returned
// after all were looked at.
func (s *Service) ChargeDue(ctx context.Context, notes Notes) (ChargeSummary, error) {
	var sum ChargeSummary
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	now := s.now()
	lost, err := subscriptionq.New(s.db).AttemptsToAsk(ctx, subscriptionq.AttemptsToAskParams{
		Before: now.Add(-AskAfter), Now: now, Max: chargeBatch})
	if err != nil {
		return sum, fmt.Errorf("charges whose answer was lost: %w", err)
	}
	for _, a := range lost {
		keep(s.askCharge(ctx, notes, a, &sum))
	}
	ids, err := subscriptionq.New(s.db).SubscriptionsDue(ctx, subscriptionq.SubscriptionsDueParams{Now: now,
		Max: chargeBatch})
	if err != nil {
		return sum, fmt.Errorf("subscriptions due: %w", err)
	}
	for _, id := range ids {
		keep(s.chargeOne(ctx, notes, id, &sum))
	}
	return sum, first
}

// chargeOne looks at subscription id, due: ends it, or charges its saved card.
func (s *Service) chargeOne(ctx context.Context, notes Notes, id int64, sum *ChargeSummary) error {
	sub, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	sys, err := s.deps.Systems.Get(ctx, sub.PaymentSystemID)
	if err != nil {
		return fmt.Errorf("payment system of subscription %s: %w", sub.Number, err)
	}
	c, err := s.deps.Contacts.Contact(ctx, sub.ContactID)
	if err != nil {
		return fmt.Errorf("contact of subscription %s: %w", sub.Number, err)
	}
	now := s.now()
	var charge *gateway.CardCharge
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		q := subscriptionq.New(tx)
		r, err := q.SubscriptionLock(ctx, id)
		if err != nil {
			return fmt.Errorf("lock subscription %s: %w", sub.Number, err)
		}
		sub = fromRow(r)
		if sub.NextChargeAt == nil || sub.NextChargeAt.After(now) {
			return nil // changed meanwhile
		}
		busy, err := q.AttemptInFlight(ctx, sub.ID)
		if err != nil {
			return fmt.Errorf("charges of subscription %s in flight: %w", sub.Number, err)
		}
		if busy {
			return nil // its answer is asked about first
		}
		var evs events.Batch
		end := func(status, why string) error {
			st := ownChange(sub, "", now)
			st.Status, st.CancelAtPeriodEnd = status, false
			if status == gateway.SubCancelled {
				st.CancelledAt = st.At
			} else {
				st.EndedAt = st.At
			}
			if _, _, err := s.applyStateTx(ctx, tx, sub, st, why, &evs); err != nil {
				return err
			}
			sum.Ended++
			return evs.EmitTx(ctx, s.deps.Events, tx)
		}
		switch {
		case !OwnSchedule(sys) || !sub.Status.Live() || sub.Status == StatusPaused || sub.cardToken == "":
			sub.NextChargeAt = nil
			_, err := s.saveTx(ctx, tx, sub)
			return err
		case sub.CancelAtPeriodEnd:
			return end(gateway.SubCancelled, "cancelled at the period's end")
		case sub.MaxCharges > 0 && sub.Charges >= sub.MaxCharges:
			return end(gateway.SubEnded, fmt.Sprintf("the plan's %d charges were made", sub.MaxCharges))
		case sub.Retries > len(RetryDelays):
			return end(gateway.SubCancelled, fmt.Sprintf("the card was declined %d times", sub.Retries))
		}
		start, endAt := nextPeriod(sub, now)
		ref := gateway.NewChargeRef(sub.ID)
		if _, err := q.AttemptInsert(ctx, subscriptionq.AttemptInsertParams{SubscriptionID: sub.ID,
			PaymentSystemID: sys.ID, Ref: ref, Kind: attemptCharge, PeriodStart: &start, PeriodEnd: &endAt,
			Amount: sub.Price.Amount, Currency: sub.Price.Currency, Now: now}); err != nil {
			return fmt.Errorf("write the charge of subscription %s: %w", sub.Number, err)
		}
		charge = &gateway.CardCharge{Ref: ref, SubscriptionID: sub.ID, Token: sub.cardToken, Amount: sub.Price,
			Title: sub.OfferTitle, Email: c.Email, NotifyURL: s.notifyURL(sys)}
		return s.lineTx(ctx, tx, sub, EventAsked, fmt.Sprintf("Subscription %s: charge %s of %s for %s – %s asked of %s",
			sub.Number, ref, sub.Price, day(start), day(endAt), sys.Name), false)
	})
	if err != nil || charge == nil {
		return err
	}
	ev, gerr := s.deps.Gateways.ChargeCard(ctx, sys, *charge)
	switch {
	case errors.Is(gerr, gateway.ErrUnavailable):
		sum.Unavailable++
		return s.lineOnly(context.WithoutCancel(ctx), sub, EventAnswered, fmt.Sprintf(
			"Subscription %s: %s did not answer charge %s; it is asked about in %s", sub.Number, sys.Name, charge.Ref,
			AskAfter))
	case gerr != nil:
		// The gateway refused the request itself (a card token it no longer knows): no money moved.
		ev = refused(*charge, "refused", s.now())
		if err := s.lineOnly(ctx, sub, EventAnswered, fmt.Sprintf("Subscription %s: %s refused charge %s (%v): "+
			"recorded as declined", sub.Number, sys.Name, charge.Ref, gerr)); err != nil {
			return err
		}
	case ev.Kind == gateway.EventPending:
		return s.lineOnly(ctx, sub, EventAnswered, fmt.Sprintf("Subscription %s: %s is processing charge %s",
			sub.Number, sys.Name, charge.Ref))
	case ev.Kind != gateway.EventCharge || ev.Charge == nil:
		return fmt.Errorf("%s answered charge %s with a %s event", sys.Name, charge.Ref, ev.Kind)
	}
	return s.applyAnswer(ctx, notes, sys, charge.Ref, "charge", ev, sum)
}

// refused is the declined charge of a request the gateway refused or has no record of.
func refused(c gateway.CardCharge, typ string, at time.Time) gateway.Event {
	return gateway.Event{Type: typ, Kind: gateway.EventCharge, Ref: c.Ref, Amount: c.Amount,
		Charge: &gateway.SubscriptionCharge{Ref: c.Ref, SubscriptionID: c.SubscriptionID, PaymentRef: c.Ref,
			Amount: c.Amount, At: at}}
}

// answerBody is what is stored as the body of a charge's answer (a notification Bursar did not receive).
type answerBody struct {
	Source         string `json:"source"`
	Ref            string `json:"ref"`
	SubscriptionID int64  `json:"subscription_id"`
	Type           string `json:"type"`
	Paid           bool   `json:"paid"`
	Amount         int64  `json:"amount"`
	Currency       string `json:"currency"`
	Answered       string `json:"answered_at"`
}

// applyAnswer applies the gateway's answer ev about charge ref (source: "charge" for ChargeCard's, "status" for a
// re-check's) as a notification.
func (s *Service) applyAnswer(ctx context.Context, notes Notes, sys gateway.System, ref, source string,
	ev gateway.Event, sum *ChargeSummary) error {
	ch := ev.Charge
	if ch.At.IsZero() {
		ch.At = s.now()
	}
	kind := "failed"
	if ch.Paid {
		kind = "paid"
	}
	ev.ID = fmt.Sprintf("%s:%s:%s", source, ref, kind)
	ev.Ref = ref
	if ev.Type == "" {
		ev.Type = source
	}
	body, err := json.Marshal(answerBody{Source: "saved_card_" + source, Ref: ref, SubscriptionID: ch.SubscriptionID,
		Type: ev.Type, Paid: ch.Paid, Amount: ch.Amount.Amount, Currency: ch.Amount.Currency,
		Answered: s.now().UTC().Format(time.RFC3339)})
	if err != nil {
		return fmt.Errorf("answer body: %w", err)
	}
	if _, err := notes.Ingest(ctx, sys, ev, body); err != nil {
		return fmt.Errorf("apply %s's answer about charge %s: %w", sys.Name, ref, err)
	}
	if ch.Paid {
		sum.Charged++
	} else {
		sum.Declined++
	}
	return nil
}

// askCharge asks the gateway about charge a, whose answer was lost, and applies what it says.
func (s *Service) askCharge(ctx context.Context, notes Notes, a subscriptionq.SubscriptionAttempt, sum *ChargeSummary) error {
	sys, err := s.deps.Systems.Get(ctx, a.PaymentSystemID)
	if err != nil {
		return fmt.Errorf("payment system of charge %s: %w", a.Ref, err)
	}
	sum.Asked++
	ev, err := s.deps.Gateways.Status(ctx, sys, a.Ref)
	amount := money.New(a.Amount, a.Currency)
	switch {
	case errors.Is(err, gateway.ErrUnavailable):
		sum.Unavailable++
		return nil
	case err != nil:
		if s.now().Sub(a.CreatedAt) < GiveUpAfter {
			return nil // asked again next run
		}
		// A day on, the gateway still has no record of it: the card was not charged.
		ev = refused(gateway.CardCharge{Ref: a.Ref, SubscriptionID: a.SubscriptionID, Amount: amount}, "not_found",
			s.now())
	case ev.Kind == gateway.EventPending:
		return nil
	case ev.Kind != gateway.EventCharge || ev.Charge == nil:
		return fmt.Errorf("%s answered about charge %s with a %s event", sys.Name, a.Ref, ev.Kind)
	}
	return s.applyAnswer(ctx, notes, sys, a.Ref, "status", ev, sum)
}
