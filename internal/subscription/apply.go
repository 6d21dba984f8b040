package subscription

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/subscription/subscriptionq"
)

// rank orders statuses for two states reported at the same instant: the later in a subscription's life wins.
func rank(st Status) int {
	switch st {
	case StatusPending:
		return 0
	case StatusTrialing:
		return 1
	case StatusActive:
		return 2
	case StatusPastDue, StatusPaused:
		return 3
	case StatusCancelled:
		return 4
	case StatusEnded:
		return 5
	}
	return -1
}

// terminal reports whether st is a status a subscription never leaves for a live one.
func terminal(st Status) bool { return st == StatusCancelled || st == StatusEnded }

// newer reports whether a state st reported at at replaces sub's recorded state: reported later, or at the same
// instant with a status of the same or a later rank; never a live status after a terminal one.
func newer(sub Subscription, st Status, at time.Time) bool {
	if terminal(sub.Status) && !terminal(st) {
		return false
	}
	if sub.StateAt == nil {
		return true
	}
	if at.After(*sub.StateAt) {
		return true
	}
	return at.Equal(*sub.StateAt) && rank(st) >= rank(sub.Status)
}

// ApplyTx applies a subscription notification of sys inside order.Ingest's transaction (order.Subscriptions):
// gateway.EventSubscription moves the subscription's state when the event is newer than the state recorded;
// gateway.EventCharge records a paid charge once (desk.ChargeTx: an order completed, access until the period's
// end plus grace) or a failed one (past due, the payer e-mailed the update link). A notification naming no
// subscription of sys, or a charge unlike the plan, opens an exception (desk.ExceptionTx).
func (s *Service) ApplyTx(ctx context.Context, tx pgx.Tx, desk *order.ChargeDesk, sys gateway.System,
	ev gateway.Event) (order.Outcome, error) {
	switch {
	case ev.Kind == gateway.EventSubscription && ev.Subscription != nil:
		st := ev.Subscription
		sub, miss, err := s.findTx(ctx, tx, sys, st.Ref, st.SubscriptionID)
		if err != nil {
			return order.Outcome{}, err
		}
		if miss != "" {
			return desk.ExceptionTx(ctx, order.ExUnknownSubscription, 0, fmt.Sprintf("%s event %s (%s): %s",
				sys.Name, ev.ID, ev.Type, miss))
		}
		var evs events.Batch
		_, result, err := s.applyStateTx(ctx, tx, sub, *st, fmt.Sprintf("%s event %s (%s)", sys.Name, ev.ID, ev.Type), &evs)
		if err != nil {
			return order.Outcome{}, err
		}
		return order.Outcome{Result: result}, evs.EmitTx(ctx, s.deps.Events, tx)
	case ev.Kind == gateway.EventCharge && ev.Charge != nil:
		ch := ev.Charge
		sub, miss, err := s.findTx(ctx, tx, sys, ch.SubscriptionRef, ch.SubscriptionID)
		if err != nil {
			return order.Outcome{}, err
		}
		if miss != "" {
			return desk.ExceptionTx(ctx, order.ExUnknownSubscription, 0, fmt.Sprintf("%s event %s (%s), charge %s of %s: %s",
				sys.Name, ev.ID, ev.Type, ch.Ref, ch.Amount, miss))
		}
		var evs events.Batch
		out, err := s.chargeTx(ctx, tx, desk, sys, ev, sub, *ch, &evs)
		if err != nil {
			return out, err
		}
		return out, evs.EmitTx(ctx, s.deps.Events, tx)
	}
	return order.Outcome{}, fmt.Errorf("subscription: %s event %s of kind %s carries no subscription or charge",
		sys.Name, ev.ID, ev.Kind)
}

// findTx locks the subscription of payment system sys that the gateway's reference ref names (as its gateway
// reference, else as its checkout's), else the one with Bursar's echoed id; miss says why there is none (a notification of another payment system naming one of ours
// finds nothing: it settles only what its own system started).
func (s *Service) findTx(ctx context.Context, tx pgx.Tx, sys gateway.System, ref string, id int64) (Subscription, string, error) {
	q := subscriptionq.New(tx)
	if ref != "" {
		r, err := q.SubscriptionLockByRef(ctx, subscriptionq.SubscriptionLockByRefParams{PaymentSystemID: sys.ID,
			GatewayRef: ref})
		if err == nil {
			return fromRow(r), "", nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return Subscription{}, "", fmt.Errorf("subscription by reference %q: %w", ref, err)
		}
		// Not linked yet: a gateway whose checkout is the subscription (PayPal's I-…) names it by the checkout's
		// reference, and its sales echo no Bursar id.
		r, err = q.SubscriptionLockByCheckoutRef(ctx, subscriptionq.SubscriptionLockByCheckoutRefParams{
			PaymentSystemID: sys.ID, CheckoutRef: ref})
		if err == nil {
			return fromRow(r), "", nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return Subscription{}, "", fmt.Errorf("subscription by checkout reference %q: %w", ref, err)
		}
	}
	if id > 0 {
		r, err := q.SubscriptionLockOfSystem(ctx, subscriptionq.SubscriptionLockOfSystemParams{ID: id,
			PaymentSystemID: sys.ID})
		switch {
		case err == nil:
			sub := fromRow(r)
			if ref != "" && sub.GatewayRef != "" && sub.GatewayRef != ref {
				return Subscription{}, fmt.Sprintf("subscription %s names subscription %s, which %s knows as %s: "+
					"not applied", ref, sub.Number, sys.Name, sub.GatewayRef), nil
			}
			return sub, "", nil
		case !errors.Is(err, pgx.ErrNoRows):
			return Subscription{}, "", fmt.Errorf("subscription %d: %w", id, err)
		}
	}
	return Subscription{}, fmt.Sprintf("names no subscription started through %s (reference %q, subscription id %d)",
		sys.Name, ref, id), nil
}

// link records the gateway's references sub lacks; it reports whether any was new.
func link(sub *Subscription, ref, customer, checkout string) bool {
	changed := false
	if sub.GatewayRef == "" && ref != "" {
		sub.GatewayRef, changed = ref, true
	}
	if sub.CustomerRef == "" && customer != "" {
		sub.CustomerRef, changed = customer, true
	}
	if sub.CheckoutRef == "" && checkout != "" {
		sub.CheckoutRef, changed = checkout, true
	}
	return changed
}

func tp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// applyStateTx applies the gateway's state st of sub (locked by the caller) — the one rule for notifications and
// for the answers to Act: a state newer than the recorded one (by st.At, then by rank) replaces it; an older one
// changes nothing but the references it brings. source names where st came from for the timeline. The events to
// emit are added to evs.
func (s *Service) applyStateTx(ctx context.Context, tx pgx.Tx, sub Subscription, st gateway.SubscriptionState,
	source string, evs *events.Batch) (Subscription, string, error) {
	before := sub
	linked := link(&sub, st.Ref, st.CustomerRef, st.CheckoutRef)
	if st.Status == "" || !newer(sub, Status(st.Status), st.At) {
		result := order.ResultSubscriptionStale
		if st.Status == "" {
			result = order.ResultSubscriptionUpdated
		}
		if !linked {
			if st.Status == "" {
				result = order.ResultIgnored // the references were known: nothing to do
			}
			return sub, result, nil
		}
		saved, err := s.saveTx(ctx, tx, sub)
		if err != nil {
			return sub, "", err
		}
		msg := fmt.Sprintf("Subscription %s linked to the gateway's subscription %s (customer %s): %s", sub.Number,
			sub.GatewayRef, orNone(sub.CustomerRef), source)
		if err := s.recordTx(ctx, tx, saved, EventLinked, msg, "subscription.link", map[string]any{
			"gateway_ref": sub.GatewayRef, "customer_ref": sub.CustomerRef, "checkout_ref": sub.CheckoutRef}); err != nil {
			return saved, "", err
		}
		evs.Add(events.Event{Type: events.SubscriptionUpdated, ID: sub.ID})
		return saved, result, nil
	}
	to := Status(st.Status)
	sub.Status = to
	if p := tp(st.CurrentPeriodStart); p != nil {
		sub.CurrentPeriodStart = p
	}
	if p := tp(st.CurrentPeriodEnd); p != nil {
		sub.CurrentPeriodEnd = p
	}
	if p := tp(st.TrialEnd); p != nil {
		sub.TrialEnd = p
	}
	sub.CancelAtPeriodEnd = st.CancelAtPeriodEnd && !terminal(to)
	if p := tp(st.CancelledAt); p != nil {
		sub.CancelledAt = p
	}
	if p := tp(st.EndedAt); p != nil {
		sub.EndedAt = p
	}
	if terminal(to) {
		if sub.CancelledAt == nil && to == StatusCancelled {
			sub.CancelledAt = tp(st.At)
		}
		if sub.EndedAt == nil {
			sub.EndedAt = tp(st.At)
		}
	}
	// A subscription's currency never changes at the gateway (a plan change stays in it, planTarget): a state in
	// another currency keeps the recorded price, so the next charges are still checked against the plan sold.
	if st.Amount.Amount > 0 && st.Amount.Currency == sub.Price.Currency {
		sub.Price = st.Amount
	}
	if p := tp(st.At); p != nil {
		sub.StateAt = p
	}
	if !changedState(before, sub) {
		if !sameTime(before.StateAt, sub.StateAt) {
			if _, err := s.saveTx(ctx, tx, sub); err != nil {
				return sub, "", err
			}
		}
		return sub, order.ResultSubscriptionUpdated, nil
	}
	saved, err := s.saveTx(ctx, tx, sub)
	if err != nil {
		return sub, "", err
	}
	typ := events.SubscriptionUpdated
	switch {
	case to == before.Status:
	case to == StatusCancelled:
		typ = events.SubscriptionCancelled
	case to == StatusEnded:
		typ = events.SubscriptionEnded
	case to == StatusPastDue:
		typ = events.SubscriptionPastDue
	case before.Status == StatusPending && (to == StatusTrialing || to == StatusActive):
		typ = events.SubscriptionCreated
	}
	msg := fmt.Sprintf("Subscription %s %s: %s", sub.Number, describe(before, saved), source)
	if err := s.recordTx(ctx, tx, saved, EventState, msg, "subscription.state", map[string]any{
		"number": sub.Number, "from": before.Status, "to": to, "state_at": sub.StateAt,
		"current_period_end": sub.CurrentPeriodEnd, "cancel_at_period_end": sub.CancelAtPeriodEnd,
		"amount": sub.Price.Amount, "currency": sub.Price.Currency, "source": source}); err != nil {
		return saved, "", err
	}
	if terminal(to) && !terminal(before.Status) {
		if err := s.endAccessTx(ctx, tx, saved); err != nil {
			return saved, "", err
		}
		// A payer whose checkout never went through (pending, nothing charged) had no subscription to lose.
		if before.Status.Live() || saved.Charges > 0 {
			if err := s.mailTx(ctx, tx, saved, EmailCancelled, "", ""); err != nil {
				return saved, "", err
			}
		}
	}
	evs.Add(events.Event{Type: typ, ID: sub.ID})
	return saved, order.ResultSubscriptionUpdated, nil
}

// changedState reports whether anything a person sees changed between a and b.
func changedState(a, b Subscription) bool {
	return a.Status != b.Status || !sameTime(a.CurrentPeriodStart, b.CurrentPeriodStart) ||
		!sameTime(a.CurrentPeriodEnd, b.CurrentPeriodEnd) || !sameTime(a.TrialEnd, b.TrialEnd) ||
		a.CancelAtPeriodEnd != b.CancelAtPeriodEnd || !sameTime(a.CancelledAt, b.CancelledAt) ||
		!sameTime(a.EndedAt, b.EndedAt) || a.Price != b.Price || a.GatewayRef != b.GatewayRef ||
		a.CustomerRef != b.CustomerRef || a.CheckoutRef != b.CheckoutRef
}

// describe words what changed from a to b for the timeline.
func describe(a, b Subscription) string {
	msg := string(b.Status)
	if a.Status != b.Status {
		msg = fmt.Sprintf("%s → %s", a.Status, b.Status)
	}
	if b.CurrentPeriodEnd != nil {
		msg += ", period ends " + day(*b.CurrentPeriodEnd)
	}
	if b.CancelAtPeriodEnd {
		msg += ", cancels at the period's end"
	}
	if a.Price != b.Price {
		msg += fmt.Sprintf(", price %s → %s", a.Price, b.Price)
	}
	return msg
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func day(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

// recordTx writes a change of sub: its timeline line, the contact's, and the audit record.
func (s *Service) recordTx(ctx context.Context, tx pgx.Tx, sub Subscription, kind, msg, action string,
	details map[string]any) error {
	if err := s.lineTx(ctx, tx, sub, kind, msg, true); err != nil {
		return err
	}
	if details == nil {
		details = map[string]any{}
	}
	details["number"] = sub.Number
	return s.audit.RecordTx(ctx, tx, action, "subscription", sub.ID, details)
}

// endAccessTx ends the access sub's charges granted at its paid period's end (a cancelled or ended subscription):
// the grants are those its charges' orders made or extended (order_grants through subscription_charges.order_id);
// only those lasting beyond the paid period are ended there (a grant kept forever, or already shorter, came from
// something else and is left alone).
func (s *Service) endAccessTx(ctx context.Context, tx pgx.Tx, sub Subscription) error {
	if sub.PaidThrough == nil {
		return nil
	}
	ids, err := subscriptionq.New(tx).SubscriptionGrantIDs(ctx, sub.ID)
	if err != nil {
		return fmt.Errorf("grants of subscription %s: %w", sub.Number, err)
	}
	if len(ids) == 0 {
		return nil
	}
	grants, err := s.grantsTx(ctx, tx, ids)
	if err != nil {
		return err
	}
	end := *sub.PaidThrough
	var cut []int64
	for _, g := range grants {
		if g.RevokedAt == nil && g.EndsAt != nil && g.EndsAt.After(end) {
			cut = append(cut, g.ID)
		}
	}
	return s.deps.Access.EndTx(ctx, tx, cut, end)
}

// grantsTx reads grants ids in tx.
func (s *Service) grantsTx(ctx context.Context, tx pgx.Tx, ids []int64) ([]access.Grant, error) {
	out := make([]access.Grant, 0, len(ids))
	for _, id := range ids {
		g, err := s.deps.Access.GetTx(ctx, tx, id)
		if err != nil {
			return nil, fmt.Errorf("grant %d: %w", id, err)
		}
		out = append(out, g)
	}
	return out, nil
}

// addInterval is t plus n of sub's periods.
func addInterval(sub Subscription, t time.Time, n int) time.Time {
	c := max(sub.IntervalCount, 1) * n
	switch sub.Interval {
	case gateway.IntervalDay:
		return t.AddDate(0, 0, c)
	case gateway.IntervalWeek:
		return t.AddDate(0, 0, 7*c)
	case gateway.IntervalYear:
		return t.AddDate(c, 0, 0)
	}
	return t.AddDate(0, c, 0)
}

// chargeTx applies charge ch of sub (locked).
func (s *Service) chargeTx(ctx context.Context, tx pgx.Tx, desk *order.ChargeDesk, sys gateway.System, ev gateway.Event,
	sub Subscription, ch gateway.SubscriptionCharge, evs *events.Batch) (order.Outcome, error) {
	// A saved-card charge is one Bursar asked for (its attempt: the price then, the period it pays).
	want := sub.Price
	var att *subscriptionq.SubscriptionAttempt
	if OwnSchedule(sys) {
		a, ok, err := attemptOf(ctx, tx, sys, ch.Ref)
		if err != nil {
			return order.Outcome{}, err
		}
		if !ok {
			return desk.ExceptionTx(ctx, order.ExSubscriptionCharge, 0, fmt.Sprintf(
				"%s charge %s of %s names subscription %s, and Bursar never asked for it: not recorded", sys.Name,
				ch.Ref, ch.Amount, sub.Number))
		}
		att, want = &a, money.New(a.Amount, a.Currency)
		if ch.PeriodEnd.IsZero() && a.PeriodEnd != nil {
			ch.PeriodStart, ch.PeriodEnd = *a.PeriodStart, *a.PeriodEnd
		}
	}
	if !ch.Paid {
		return s.failedTx(ctx, tx, sys, ev, sub, ch, att, evs)
	}
	trial := ch.Amount.Amount == 0 && !ch.Proration && sub.TrialDays > 0
	if att != nil && (ch.Amount != want) {
		// Settled as far as the charge job goes: a manager looks at the exception.
		if err := s.answeredTx(ctx, tx, sys, ch.Ref); err != nil {
			return order.Outcome{}, err
		}
	}
	switch {
	case ch.Amount.Currency != want.Currency:
		return desk.ExceptionTx(ctx, order.ExSubscriptionCharge, 0, fmt.Sprintf(
			"%s charge %s of subscription %s is in %s, its plan in %s: not recorded", sys.Name, ch.Ref, sub.Number,
			ch.Amount, want))
	case !ch.Proration && !trial && ch.Amount.Amount != want.Amount:
		return desk.ExceptionTx(ctx, order.ExSubscriptionCharge, 0, fmt.Sprintf(
			"%s charge %s of subscription %s is %s, its plan %s: not recorded", sys.Name, ch.Ref, sub.Number,
			ch.Amount, want))
	}
	before := sub
	link(&sub, ch.SubscriptionRef, "", "")
	at := ch.At.UTC()
	if at.IsZero() {
		at = s.now().UTC()
	}
	start, end := tp(ch.PeriodStart), tp(ch.PeriodEnd)
	if end == nil {
		// PayPal's sales carry no period: it is one interval from the later of the paid period's end and the sale.
		base := at
		if sub.PaidThrough != nil && sub.PaidThrough.After(base) {
			base = *sub.PaidThrough
		}
		e := addInterval(sub, base, 1)
		start, end = &base, &e
	}
	if start == nil {
		st := addInterval(sub, *end, -1)
		start = &st
	}
	r, err := subscriptionq.New(tx).ChargeInsert(ctx, subscriptionq.ChargeInsertParams{SubscriptionID: sub.ID,
		PaymentSystemID: sys.ID, ChargeRef: ch.Ref, Status: ChargePaid, Amount: ch.Amount.Amount,
		Currency: ch.Amount.Currency, PeriodStart: start, PeriodEnd: end, ChargedAt: at, Now: s.now()})
	if errors.Is(err, pgx.ErrNoRows) {
		return s.knownTx(ctx, tx, before, sub)
	}
	if err != nil {
		return order.Outcome{}, fmt.Errorf("record charge %s: %w", ch.Ref, err)
	}
	if att != nil {
		if err := s.answeredTx(ctx, tx, sys, ch.Ref); err != nil {
			return order.Outcome{}, err
		}
		// The card the payment was made with is the one charged next (a payer paying a charge due with another
		// card changes it); the first payment's reference names the subscription at the gateway.
		if ch.CardToken != "" {
			sub.cardToken = ch.CardToken
		}
		if sub.GatewayRef == "" {
			sub.GatewayRef = ch.Ref
		}
		sub.Retries, sub.UpdateURL, sub.NextChargeAt = 0, "", nil
	}
	period := *end
	if !ch.Proration && !trial {
		if sub.PaidThrough == nil || end.After(*sub.PaidThrough) {
			sub.PaidThrough = end
		}
		if sub.CurrentPeriodEnd == nil || end.After(*sub.CurrentPeriodEnd) {
			sub.CurrentPeriodStart, sub.CurrentPeriodEnd = start, end
		}
		sub.Charges++
		// A paid charge is the gateway saying the subscription is active then.
		if (sub.Status == StatusPending || sub.Status == StatusTrialing || sub.Status == StatusPastDue) &&
			newer(sub, StatusActive, at) {
			sub.Status, sub.StateAt = StatusActive, &at
		}
	} else if sub.PaidThrough != nil {
		period = *sub.PaidThrough // a plan change's difference or a trial's free invoice extends nothing
	}
	if trial && sub.Status == StatusPending && newer(sub, StatusTrialing, at) {
		sub.Status, sub.StateAt = StatusTrialing, &at
	}
	var o order.Order
	if !trial {
		if o, err = s.orderTx(ctx, desk, sub, ch, at, *start, *end, period); err != nil {
			return order.Outcome{}, err
		}
		if err := subscriptionq.New(tx).ChargeSetOrder(ctx, subscriptionq.ChargeSetOrderParams{ID: r.ID,
			OrderID: &o.ID}); err != nil {
			return order.Outcome{}, fmt.Errorf("charge %s's order: %w", ch.Ref, err)
		}
	}
	saved, err := s.saveTx(ctx, tx, sub)
	if err != nil {
		return order.Outcome{}, err
	}
	what := "paid"
	switch {
	case ch.Proration:
		what = "paid (a plan change's prorated difference)"
	case trial:
		what = "made for the free trial (no order, no access)"
	}
	msg := fmt.Sprintf("Subscription %s: charge %s of %s %s, period %s – %s", sub.Number, ch.Ref, ch.Amount, what,
		day(*start), day(*end))
	if o.ID != 0 {
		msg += ", order " + o.Number
	}
	if err := s.recordTx(ctx, tx, saved, EventCharged, msg, "subscription.charge", map[string]any{
		"charge_ref": ch.Ref, "order_id": o.ID, "amount": ch.Amount.Amount, "currency": ch.Amount.Currency,
		"period_end": end, "paid_through": saved.PaidThrough, "event_id": ev.ID}); err != nil {
		return order.Outcome{}, err
	}
	typ := events.SubscriptionUpdated
	if before.Status == StatusPending && saved.Status != StatusPending {
		typ = events.SubscriptionCreated
	}
	evs.Add(events.Event{Type: typ, ID: sub.ID})
	if err := s.maxChargesTx(ctx, tx, sys, saved); err != nil {
		return order.Outcome{}, err
	}
	return order.Outcome{Result: order.ResultCharged, OrderID: o.ID}, nil
}

// orderTx records paid charge ch as a completed order of sub's offer through the desk: access until the period's
// end plus grace while sub is live, until the period's end once it is cancelled or ended.
func (s *Service) orderTx(ctx context.Context, desk *order.ChargeDesk, sub Subscription, ch gateway.SubscriptionCharge,
	at, start, end, period time.Time) (order.Order, error) {
	of, err := s.deps.Offers.Offer(ctx, sub.OfferID)
	if err != nil {
		return order.Order{}, fmt.Errorf("offer of subscription %s: %w", sub.Number, err)
	}
	until := period
	if sub.Status.Live() || sub.Status == StatusPending {
		until = until.AddDate(0, 0, sub.GraceDays)
	}
	if !until.After(s.now()) {
		// Money paid for a period already over (a late notification) is recorded all the same; it grants no
		// access (access cannot end in the past).
		until = time.Time{}
	}
	return desk.ChargeTx(ctx, order.Charge{ContactID: sub.ContactID, Offer: of, Amount: ch.Amount, Ref: ch.Ref,
		AltRef: ch.PaymentRef, PayerEmail: ch.PayerEmail, PaidOn: at, AccessUntil: until, Language: sub.Language,
		Note: fmt.Sprintf("Subscription %s, period %s – %s", sub.Number, day(start), day(end))})
}

// knownTx answers a charge recorded before: only the references it brings are kept.
func (s *Service) knownTx(ctx context.Context, tx pgx.Tx, before, sub Subscription) (order.Outcome, error) {
	if sub.GatewayRef != before.GatewayRef {
		if _, err := s.saveTx(ctx, tx, sub); err != nil {
			return order.Outcome{}, err
		}
	}
	return order.Outcome{Result: order.ResultChargeKnown}, nil
}

// answeredTx marks saved-card charge ref answered.
func (s *Service) answeredTx(ctx context.Context, tx pgx.Tx, sys gateway.System, ref string) error {
	if err := subscriptionq.New(tx).AttemptAnswer(ctx, subscriptionq.AttemptAnswerParams{PaymentSystemID: sys.ID,
		Ref: ref, Now: s.now()}); err != nil {
		return fmt.Errorf("charge %s answered: %w", ref, err)
	}
	return nil
}

// failedTx applies failed charge ch of sub: recorded once, sub past due when the failure is newer than its state,
// the update link kept and sent to the payer. att is the attempt of a saved-card charge (nil for a gateway's
// schedule): a declined charge of the saved card is tried again after RetryDelays, and the payer is sent to the
// cabinet to pay it (once per period); a payment declined on the gateway's page changes nothing but the timeline.
func (s *Service) failedTx(ctx context.Context, tx pgx.Tx, sys gateway.System, ev gateway.Event, sub Subscription,
	ch gateway.SubscriptionCharge, att *subscriptionq.SubscriptionAttempt, evs *events.Batch) (order.Outcome, error) {
	before := sub
	link(&sub, ch.SubscriptionRef, "", "")
	at := ch.At.UTC()
	if at.IsZero() {
		at = s.now().UTC()
	}
	_, err := subscriptionq.New(tx).ChargeInsert(ctx, subscriptionq.ChargeInsertParams{SubscriptionID: sub.ID,
		PaymentSystemID: sys.ID, ChargeRef: ch.Ref, Status: ChargeFailed, Amount: ch.Amount.Amount,
		Currency: ch.Amount.Currency, PeriodStart: tp(ch.PeriodStart), PeriodEnd: tp(ch.PeriodEnd), ChargedAt: at,
		Now: s.now()})
	if errors.Is(err, pgx.ErrNoRows) {
		return s.knownTx(ctx, tx, before, sub)
	}
	if err != nil {
		return order.Outcome{}, fmt.Errorf("record failed charge %s: %w", ch.Ref, err)
	}
	if ch.UpdateURL != "" {
		sub.UpdateURL = ch.UpdateURL
	}
	mailKey := ch.Ref
	if att != nil {
		if err := s.answeredTx(ctx, tx, sys, ch.Ref); err != nil {
			return order.Outcome{}, err
		}
		if att.Kind != attemptCharge {
			// The payer's own try on the gateway's page (the first payment, or paying a charge due) was declined:
			// they are still there to try another card.
			msg := fmt.Sprintf("Subscription %s: payment %s of %s declined on %s's page", sub.Number, ch.Ref, ch.Amount,
				sys.Name)
			if err := s.lineTx(ctx, tx, sub, EventFailed, msg, false); err != nil {
				return order.Outcome{}, err
			}
			return order.Outcome{Result: order.ResultChargeFailed}, nil
		}
		sub.Retries++
		next := at
		if sub.Retries <= len(RetryDelays) {
			next = at.Add(RetryDelays[sub.Retries-1])
		}
		sub.NextChargeAt, sub.UpdateURL = &next, s.cabinetURL()
		if att.PeriodStart != nil {
			mailKey = "period:" + att.PeriodStart.UTC().Format(time.DateOnly) // one e-mail per period due
		}
	}
	// A pending subscription's failed first charge leaves it pending (the gateway's own state says what became of
	// its checkout); a live one is past due when the failure is newer than its state.
	if sub.Status.Live() && sub.Status != StatusPastDue && newer(sub, StatusPastDue, at) {
		sub.Status, sub.StateAt = StatusPastDue, &at
	}
	saved, err := s.saveTx(ctx, tx, sub)
	if err != nil {
		return order.Outcome{}, err
	}
	msg := fmt.Sprintf("Subscription %s: charge %s of %s failed (%s)", sub.Number, ch.Ref, ch.Amount, saved.Status)
	if err := s.recordTx(ctx, tx, saved, EventFailed, msg, "subscription.charge_failed", map[string]any{
		"charge_ref": ch.Ref, "amount": ch.Amount.Amount, "currency": ch.Amount.Currency, "event_id": ev.ID,
		"status": saved.Status}); err != nil {
		return order.Outcome{}, err
	}
	if saved.Status.Live() {
		if err := s.mailTx(ctx, tx, saved, EmailPastDue, saved.UpdateURL, mailKey); err != nil {
			return order.Outcome{}, err
		}
	}
	typ := events.SubscriptionUpdated
	if saved.Status == StatusPastDue && before.Status != StatusPastDue {
		typ = events.SubscriptionPastDue
	}
	evs.Add(events.Event{Type: typ, ID: sub.ID})
	return order.Outcome{Result: order.ResultChargeFailed}, nil
}

// mailTx queues the subscription e-mail kind to sub's payer (key: what makes it once besides its kind — the
// failed charge's reference for past due).
func (s *Service) mailTx(ctx context.Context, tx pgx.Tx, sub Subscription, kind, updateURL, key string) error {
	to, err := s.deps.Contacts.EmailTx(ctx, tx, sub.ContactID)
	if err != nil {
		return fmt.Errorf("e-mail of contact %d: %w", sub.ContactID, err)
	}
	if to == "" {
		return nil
	}
	return s.deps.Mailer.SubscriptionEmailTx(ctx, tx, Email{Kind: kind, To: to, Language: sub.Language,
		SubscriptionID: sub.ID, Number: sub.Number, OfferTitle: sub.OfferTitle, Amount: sub.Price.Format(sub.Language),
		UpdateURL: updateURL, AccessUntil: sub.AccessUntil(), CabinetURL: s.cfg.BaseURL + "/account", Key: key})
}

// maxChargesTx asks, through a job (the gateway is never called in a transaction), for the end of a Stripe
// subscription that made its plan's number of charges: Stripe Checkout cannot count them (PayPal's plans do).
func (s *Service) maxChargesTx(ctx context.Context, tx pgx.Tx, sys gateway.System, sub Subscription) error {
	if sub.MaxCharges <= 0 || sub.Charges < sub.MaxCharges || sys.Type != gateway.TypeStripe ||
		!sub.Status.Live() || sub.CancelAtPeriodEnd {
		return nil
	}
	if _, err := s.deps.Jobs.InsertTx(ctx, tx, ActArgs{SubscriptionID: sub.ID, Action: gateway.ActionCancelAtPeriodEnd,
		Note: fmt.Sprintf("the plan's %d charges were made", sub.MaxCharges)}, &river.InsertOpts{MaxAttempts: 25,
		UniqueOpts: river.UniqueOpts{ByArgs: true}}); err != nil {
		return fmt.Errorf("enqueue the end of subscription %s: %w", sub.Number, err)
	}
	return nil
}
