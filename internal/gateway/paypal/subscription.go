package paypal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	paypalsdk "github.com/plutov/paypal/v4"

	"github.com/bursar/bursar/internal/gateway"
)

// PayPal subscriptions (Subscriptions API v1). PayPal owns the schedule: a plan (billing cycles of a catalog
// product) is charged to the payer's PayPal account or card every interval once the payer approves the
// subscription at PayPal. Bursar reads what happens from the BILLING.SUBSCRIPTION.* and PAYMENT.SALE.* webhooks
// (verify.go) and from GET /v1/billing/subscriptions/{id}.
//
// Requests go through the client of plutov/paypal v4 (SendWithAuth: its OAuth2 token, authentication and error
// decoding) with Bursar's own request and resource types, as the orders do: the client's typed calls
// (CreateProduct, CreateSubscriptionPlan, CreateSubscription, GetSubscriptionDetails, CancelSubscription …) would
// bypass the per-account token cache and its one retry after a 401 (call.do), cannot send PayPal-Request-Id, and
// their types send what PayPal refuses or misreads (a zero pricing_scheme with create_time 0001-01-01 on a free
// trial cycle, taxes: null, a subscriber with payer_id "" and an empty shipping address) and lack what Bursar reads
// (billing_info.last_failed_payment, cycle_executions' tenure types).

var _ gateway.Subscriber = (*Provider)(nil)

// PayPal's subscription statuses.
const (
	subApprovalPending = "APPROVAL_PENDING"
	subApproved        = "APPROVED"
	subActive          = "ACTIVE"
	subSuspended       = "SUSPENDED"
	subCancelled       = "CANCELLED"
	subExpired         = "EXPIRED"
)

// The pages where a PayPal payer manages their automatic payments (the card or account a subscription charges,
// cancelling it): PayPal has no per-subscription page a merchant can link to.
const (
	LiveManageURL    = "https://www.paypal.com/myaccount/autopay/"
	SandboxManageURL = "https://www.sandbox.paypal.com/myaccount/autopay/"
)

// customPrefix is what a subscription's custom_id starts with: "sub:<Bursar's subscription id>" (an order's
// custom_id is its bare id).
const customPrefix = "sub:"

// maxCycles is PayPal's limit on a billing cycle's total_cycles.
const maxCycles = 999

// failureThreshold is how many failed payments in a row make PayPal suspend a subscription (payment_preferences.
// payment_failure_threshold): the payer has PayPal's retries and the past-due notice to fix the card first.
const failureThreshold = 3

// Bursar's intervals as PayPal's interval units, and PayPal's limit on interval_count of each.
var (
	intervalUnits    = map[string]string{gateway.IntervalDay: "DAY", gateway.IntervalWeek: "WEEK", gateway.IntervalMonth: "MONTH", gateway.IntervalYear: "YEAR"}
	maxIntervalCount = map[string]int{"DAY": 365, "WEEK": 52, "MONTH": 12, "YEAR": 1}
)

// productRequest is POST /v1/catalogs/products' body.
type productRequest struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Type        string `json:"type"`
}

// planRequest is POST /v1/billing/plans' body.
type planRequest struct {
	ProductID          string          `json:"product_id"`
	Name               string          `json:"name"`
	Description        string          `json:"description,omitempty"`
	Status             string          `json:"status"`
	BillingCycles      []billingCycle  `json:"billing_cycles"`
	PaymentPreferences paymentPrefsReq `json:"payment_preferences"`
}

type billingCycle struct {
	Frequency     frequency      `json:"frequency"`
	TenureType    string         `json:"tenure_type"`
	Sequence      int            `json:"sequence"`
	TotalCycles   int            `json:"total_cycles"`
	PricingScheme *pricingScheme `json:"pricing_scheme,omitempty"` // none for a free trial
}

type frequency struct {
	IntervalUnit  string `json:"interval_unit"`
	IntervalCount int    `json:"interval_count"`
}

type pricingScheme struct {
	FixedPrice paypalsdk.Money `json:"fixed_price"`
}

type paymentPrefsReq struct {
	AutoBillOutstanding     bool   `json:"auto_bill_outstanding"`
	SetupFeeFailureAction   string `json:"setup_fee_failure_action"`
	PaymentFailureThreshold int    `json:"payment_failure_threshold"`
}

// subscriptionRequest is POST /v1/billing/subscriptions' body.
type subscriptionRequest struct {
	PlanID     string `json:"plan_id"`
	CustomID   string `json:"custom_id"`
	Subscriber *struct {
		EmailAddress string `json:"email_address"`
	} `json:"subscriber,omitempty"`
	ApplicationContext subscriptionContext `json:"application_context"`
}

type subscriptionContext struct {
	Locale             string `json:"locale,omitempty"`
	ShippingPreference string `json:"shipping_preference"`
	UserAction         string `json:"user_action"`
	ReturnURL          string `json:"return_url"`
	CancelURL          string `json:"cancel_url"`
}

// subscriptionJSON is a subscription (its create and GET answers, BILLING.SUBSCRIPTION.* webhooks).
type subscriptionJSON struct {
	ID               string    `json:"id"`
	PlanID           string    `json:"plan_id"`
	Status           string    `json:"status"`
	CustomID         string    `json:"custom_id"`
	StartTime        time.Time `json:"start_time"`
	CreateTime       time.Time `json:"create_time"`
	UpdateTime       time.Time `json:"update_time"`
	StatusUpdateTime time.Time `json:"status_update_time"`
	Subscriber       *struct {
		EmailAddress string `json:"email_address"`
	} `json:"subscriber"`
	BillingInfo *struct {
		CycleExecutions []struct {
			TenureType      string `json:"tenure_type"`
			CyclesCompleted int    `json:"cycles_completed"`
		} `json:"cycle_executions"`
		LastPayment *struct {
			Amount *paypalsdk.Money `json:"amount"`
			Time   time.Time        `json:"time"`
		} `json:"last_payment"`
		LastFailedPayment *struct {
			Amount *paypalsdk.Money `json:"amount"`
			Time   time.Time        `json:"time"`
		} `json:"last_failed_payment"`
		NextBillingTime     time.Time `json:"next_billing_time"`
		FailedPaymentsCount int       `json:"failed_payments_count"`
	} `json:"billing_info"`
	Links []paypalsdk.Link `json:"links"`
}

// BeginSubscription creates, for c, a catalog product, a plan and a subscription of the plan, and returns the
// subscription's approval link; Redirect.Ref is the PayPal subscription id (I-…). PayPal's plans cannot change
// their price or cycles once subscribed to, so each checkout has a product and a plan of its own (PayPal keeps
// them; nothing else uses them). The plan: a free TRIAL cycle of Plan.TrialDays days when there are any, then a
// REGULAR cycle of Plan.Amount every Plan.Count Plan.Intervals, Plan.MaxCharges times (0: until cancelled),
// suspended by PayPal after three failed payments in a row. The subscription carries custom_id "sub:<Bursar's
// subscription id>" (what its webhooks are mapped by), the payer's e-mail, and sends the payer back to
// c.SuccessURL or c.CancelURL; c.NotifyURL is not sent (PayPal posts webhooks to the URL registered for the app).
//
// Each request carries a PayPal-Request-Id derived from the subscription and every parameter: asking again (a
// double click, a retry after a timeout) returns the same product, plan and subscription.
func (p *Provider) BeginSubscription(ctx context.Context, acct gateway.Account, c gateway.SubscriptionCheckout) (gateway.Redirect, error) {
	cycles, err := billingCycles(c.Plan)
	if err != nil {
		return gateway.Redirect{}, fmt.Errorf("paypal: begin subscription %d: %w", c.SubscriptionID, err)
	}
	if c.SubscriptionID <= 0 || c.SuccessURL == "" || c.CancelURL == "" {
		return gateway.Redirect{}, fmt.Errorf("paypal: begin subscription %d: the subscription id and both return "+
			"URLs are required", c.SubscriptionID)
	}
	cl, err := p.newCall(ctx, acct)
	if err != nil {
		return gateway.Redirect{}, err
	}
	op := fmt.Sprintf("begin subscription %d", c.SubscriptionID)
	key := subscriptionKey(c)
	name := truncate(subscriptionTitle(c), maxText)
	var prod struct {
		ID string `json:"id"`
	}
	if err := cl.send(op+": product", http.MethodPost, "/v1/catalogs/products",
		productRequest{Name: name, Description: truncate("Bursar subscription "+c.Number, 256), Type: "SERVICE"},
		key+"-product", &prod); err != nil {
		return gateway.Redirect{}, err
	}
	if !validID(prod.ID) {
		return gateway.Redirect{}, fmt.Errorf("paypal: %s: product without an id", op)
	}
	var plan struct {
		ID string `json:"id"`
	}
	if err := cl.send(op+": plan", http.MethodPost, "/v1/billing/plans", planRequest{ProductID: prod.ID, Name: name,
		Description: truncate("Subscription "+c.Number, maxText), Status: "ACTIVE", BillingCycles: cycles,
		PaymentPreferences: paymentPrefsReq{AutoBillOutstanding: true, SetupFeeFailureAction: "CONTINUE",
			PaymentFailureThreshold: failureThreshold}}, key+"-plan", &plan); err != nil {
		return gateway.Redirect{}, err
	}
	if !validID(plan.ID) {
		return gateway.Redirect{}, fmt.Errorf("paypal: %s: plan without an id", op)
	}
	req := subscriptionRequest{PlanID: plan.ID, CustomID: customPrefix + strconv.FormatInt(c.SubscriptionID, 10),
		ApplicationContext: subscriptionContext{Locale: locale(c.Language), ShippingPreference: "NO_SHIPPING",
			UserAction: "SUBSCRIBE_NOW", ReturnURL: c.SuccessURL, CancelURL: c.CancelURL}}
	if c.Email != "" {
		req.Subscriber = &struct {
			EmailAddress string `json:"email_address"`
		}{c.Email}
	}
	var sub subscriptionJSON
	if err := cl.send(op, http.MethodPost, "/v1/billing/subscriptions", req, key+"-subscription", &sub); err != nil {
		return gateway.Redirect{}, err
	}
	href := link(sub.Links, "approve")
	if !validID(sub.ID) || !strings.HasPrefix(href, "https://") {
		return gateway.Redirect{}, fmt.Errorf("paypal: %s: subscription %q without an approval link", op, sub.ID)
	}
	return gateway.Redirect{URL: href, Ref: sub.ID}, nil
}

// billingCycles are plan's billing cycles: a free trial of TrialDays days (one cycle of that many days, or that
// many one-day cycles beyond PayPal's 365), then the regular one.
func billingCycles(plan gateway.Plan) ([]billingCycle, error) {
	unit, ok := intervalUnits[plan.Interval]
	switch {
	case !ok:
		return nil, fmt.Errorf("interval %q is not day, week, month or year", plan.Interval)
	case plan.Count < 1 || plan.Count > maxIntervalCount[unit]:
		return nil, fmt.Errorf("PayPal charges every 1 to %d %ss, not every %d", maxIntervalCount[unit], plan.Interval,
			plan.Count)
	case plan.Amount.Amount <= 0 || plan.Amount.Currency == "":
		return nil, errors.New("a positive amount and its currency are required")
	case plan.TrialDays < 0 || plan.TrialDays > maxCycles:
		return nil, fmt.Errorf("PayPal's trials last up to %d days, not %d", maxCycles, plan.TrialDays)
	case plan.MaxCharges < 0 || plan.MaxCharges > maxCycles:
		return nil, fmt.Errorf("PayPal charges a plan up to %d times or until cancelled, not %d times", maxCycles,
			plan.MaxCharges)
	}
	val, err := value(plan.Amount)
	if err != nil {
		return nil, err
	}
	var cycles []billingCycle
	if d := plan.TrialDays; d > 0 {
		trial := billingCycle{Frequency: frequency{IntervalUnit: "DAY", IntervalCount: d}, TenureType: "TRIAL",
			Sequence: 1, TotalCycles: 1}
		if d > maxIntervalCount["DAY"] {
			trial.Frequency.IntervalCount, trial.TotalCycles = 1, d
		}
		cycles = append(cycles, trial)
	}
	return append(cycles, billingCycle{Frequency: frequency{IntervalUnit: unit, IntervalCount: plan.Count},
		TenureType: "REGULAR", Sequence: len(cycles) + 1, TotalCycles: plan.MaxCharges,
		PricingScheme: &pricingScheme{FixedPrice: paypalsdk.Money{Currency: plan.Amount.Currency, Value: val}}}), nil
}

// subscriptionTitle is what PayPal shows as the subscription: the offer's title, else the subscription number.
func subscriptionTitle(c gateway.SubscriptionCheckout) string {
	if t := strings.TrimSpace(c.Plan.Title); t != "" {
		return t
	}
	return "Subscription " + c.Number
}

// subscriptionKey is the stem of BeginSubscription's PayPal-Request-Ids: the subscription and a hash of every
// parameter.
func subscriptionKey(c gateway.SubscriptionCheckout) string {
	h := sha256.New()
	for _, v := range []string{c.Number, strconv.FormatInt(c.Plan.Amount.Amount, 10), c.Plan.Amount.Currency,
		c.Plan.Interval, strconv.Itoa(c.Plan.Count), strconv.Itoa(c.Plan.TrialDays), strconv.Itoa(c.Plan.MaxCharges),
		c.Plan.Title, c.Email, c.Language, c.SuccessURL, c.CancelURL} {
		fmt.Fprintf(h, "%d:%s;", len(v), v)
	}
	return fmt.Sprintf("bursar-subscription-%d-%s", c.SubscriptionID, hex.EncodeToString(h.Sum(nil))[:32])
}

// send encodes body and sends it as do does, with PayPal-Request-Id requestID when not "".
func (c *call) send(op, method, path string, body any, requestID string, out any) error {
	b, err := encode(body)
	if err != nil {
		return fmt.Errorf("paypal: %s: %w", op, err)
	}
	var h map[string]string
	if requestID != "" {
		h = map[string]string{"PayPal-Request-Id": requestID}
	}
	return c.do(op, method, path, b, h, out)
}

// The change actions PayPal can do, as its API's verbs, their reasons and the status each leads to.
var subscriptionActions = map[string]struct{ verb, reason, status string }{
	gateway.ActionCancelNow: {"cancel", "Cancelled through Bursar", subCancelled},
	gateway.ActionPause:     {"suspend", "Paused through Bursar", subSuspended},
	gateway.ActionResume:    {"activate", "Resumed through Bursar", subActive},
}

// ChangeSubscription cancels (cancel_now), suspends (pause) or reactivates (resume) subscription ch.Ref and
// returns its state read back from PayPal. PayPal cannot stop a subscription at the end of its period (only cancel
// it now: no more charges, the access already paid for lasting to its end), take such a stop back, or change a
// subscription's price with proration (a revision needs the payer's approval at PayPal and never prorates):
// cancel_at_period_end, undo_cancel and change_plan are gateway.ErrUnsupported. Asking for a state the
// subscription is already in (a second click: PayPal answers SUBSCRIPTION_STATUS_INVALID) returns that state.
func (p *Provider) ChangeSubscription(ctx context.Context, acct gateway.Account, ch gateway.SubscriptionChange) (gateway.SubscriptionState, error) {
	act, ok := subscriptionActions[ch.Action]
	if !ok {
		return gateway.SubscriptionState{}, fmt.Errorf("paypal: %s of a PayPal subscription (PayPal cancels "+
			"subscriptions at once, and changes their price only with the payer's approval, without proration): %w",
			ch.Action, gateway.ErrUnsupported)
	}
	if !validID(ch.Ref) {
		return gateway.SubscriptionState{}, fmt.Errorf("paypal: %s: subscription reference %q", ch.Action, ch.Ref)
	}
	cl, err := p.newCall(ctx, acct)
	if err != nil {
		return gateway.SubscriptionState{}, err
	}
	op := fmt.Sprintf("%s subscription %s", act.verb, ch.Ref)
	err = cl.send(op, http.MethodPost, "/v1/billing/subscriptions/"+ch.Ref+"/"+act.verb,
		map[string]string{"reason": act.reason}, "", nil)
	if _, issue := issueOf(err); err != nil && issue != "SUBSCRIPTION_STATUS_INVALID" {
		return gateway.SubscriptionState{}, err
	}
	sub, gerr := cl.subscription(ch.Ref)
	if gerr != nil {
		return gateway.SubscriptionState{}, gerr
	}
	if err != nil && sub.Status != act.status {
		return gateway.SubscriptionState{}, fmt.Errorf("%w (the subscription is %s)", err, sub.Status)
	}
	st := sub.state(time.Now())
	st.At = time.Now().UTC()
	return st, nil
}

// SubscriptionStatus reads subscription ref (GET /v1/billing/subscriptions/{id}) and normalizes it (see state).
func (p *Provider) SubscriptionStatus(ctx context.Context, acct gateway.Account, ref string) (gateway.SubscriptionState, error) {
	if !validID(ref) {
		return gateway.SubscriptionState{}, fmt.Errorf("paypal: subscription status: reference %q", ref)
	}
	cl, err := p.newCall(ctx, acct)
	if err != nil {
		return gateway.SubscriptionState{}, err
	}
	sub, err := cl.subscription(ref)
	if err != nil {
		return gateway.SubscriptionState{}, err
	}
	return sub.state(time.Now()), nil
}

// ManageURL is PayPal's page of the payer's automatic payments (the sandbox's for a payment system in test mode),
// where they change the card or account a subscription charges, or cancel it: PayPal has no page for one
// subscription, and nothing to ask its API. returnURL is not used: PayPal's page does not send the payer back.
func (p *Provider) ManageURL(_ context.Context, acct gateway.Account, _ gateway.SubscriptionRef, _ string) (string, error) {
	return manageURL(acct), nil
}

// manageURL is acct's autopay page.
func manageURL(acct gateway.Account) string {
	if acct.System.Mode == gateway.ModeLive {
		return LiveManageURL
	}
	return SandboxManageURL
}

// subscription reads subscription id.
func (c *call) subscription(id string) (subscriptionJSON, error) {
	var sub subscriptionJSON
	if err := c.do("read subscription "+id, http.MethodGet, "/v1/billing/subscriptions/"+id, nil, nil, &sub); err != nil {
		return subscriptionJSON{}, err
	}
	if sub.ID != id {
		return subscriptionJSON{}, fmt.Errorf("paypal: read subscription %s: PayPal answered subscription %q", id, sub.ID)
	}
	return sub, nil
}

// state normalizes s: APPROVAL_PENDING and APPROVED say nothing of a state yet (Status "": the payer has not
// subscribed; PayPal starts charging once it is ACTIVE); ACTIVE is trialing while a trial runs and nothing was
// paid, past_due after failed payments, else active; SUSPENDED paused (by Bursar, or by PayPal after too many
// failed payments); CANCELLED cancelled; EXPIRED ended (its last cycle was charged). CurrentPeriodEnd is the next
// billing time (the trial's end while trialing); PayPal does not tell a period's start. At is the later of the
// status and update times (failed payments change the latter only), else fallback when PayPal sends neither.
func (s subscriptionJSON) state(fallback time.Time) gateway.SubscriptionState {
	st := gateway.SubscriptionState{SubscriptionRef: gateway.SubscriptionRef{Ref: s.ID},
		SubscriptionID: bursarSubscriptionID(s.CustomID), At: s.UpdateTime.UTC()}
	if s.StatusUpdateTime.After(st.At) {
		st.At = s.StatusUpdateTime.UTC()
	}
	if st.At.IsZero() {
		st.At = fallback.UTC()
	}
	var next time.Time
	failed, paid, trial := 0, false, false
	if b := s.BillingInfo; b != nil {
		next, failed = b.NextBillingTime.UTC(), b.FailedPaymentsCount
		paid = b.LastPayment != nil && !b.LastPayment.Time.IsZero()
		for _, e := range b.CycleExecutions {
			trial = trial || e.TenureType == "TRIAL"
			paid = paid || (e.TenureType == "REGULAR" && e.CyclesCompleted > 0)
		}
	}
	statusAt := s.StatusUpdateTime.UTC()
	if statusAt.IsZero() {
		statusAt = st.At
	}
	switch s.Status {
	case subActive:
		st.Status = gateway.SubActive
		switch {
		case failed > 0:
			st.Status = gateway.SubPastDue
		case trial && !paid:
			st.Status, st.TrialEnd = gateway.SubTrialing, next
		}
		st.CurrentPeriodEnd = next
	case subSuspended:
		st.Status, st.CurrentPeriodEnd = gateway.SubPaused, next
	case subCancelled:
		st.Status, st.CancelledAt = gateway.SubCancelled, statusAt
	case subExpired:
		st.Status, st.EndedAt = gateway.SubEnded, statusAt
	}
	return st
}

// bursarSubscriptionID is Bursar's subscription id from a custom_id "sub:<id>"; 0 for anything else.
func bursarSubscriptionID(customID string) int64 {
	rest, ok := strings.CutPrefix(customID, customPrefix)
	if !ok {
		return 0
	}
	return bursarOrderID(rest)
}
