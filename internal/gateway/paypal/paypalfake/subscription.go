package paypalfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// The Subscriptions API (v1): catalog products, billing plans and subscriptions, and the sales that charge them.
// A subscription starts APPROVAL_PENDING; ApproveSubscription is the payer approving it at PayPal (ACTIVE);
// ChargeSubscription and FailSubscriptionPayment are PayPal running a billing cycle; cancel, suspend and activate
// change it as the API does; SetSubscriptionStatus stands in for PayPal's own changes (EXPIRED after the last
// cycle). SubscriptionEvent and SaleEvent render the BILLING.SUBSCRIPTION.* and PAYMENT.SALE.* webhooks.

// Event types SubscriptionEvent and SaleEvent render.
const (
	EventSubscriptionCreated       = "BILLING.SUBSCRIPTION.CREATED"
	EventSubscriptionActivated     = "BILLING.SUBSCRIPTION.ACTIVATED"
	EventSubscriptionUpdated       = "BILLING.SUBSCRIPTION.UPDATED"
	EventSubscriptionCancelled     = "BILLING.SUBSCRIPTION.CANCELLED"
	EventSubscriptionSuspended     = "BILLING.SUBSCRIPTION.SUSPENDED"
	EventSubscriptionExpired       = "BILLING.SUBSCRIPTION.EXPIRED"
	EventSubscriptionPaymentFailed = "BILLING.SUBSCRIPTION.PAYMENT.FAILED"
	EventSaleCompleted             = "PAYMENT.SALE.COMPLETED"
	EventSalePending               = "PAYMENT.SALE.PENDING"
	EventSaleDenied                = "PAYMENT.SALE.DENIED"
	EventSaleRefunded              = "PAYMENT.SALE.REFUNDED"
	EventSaleReversed              = "PAYMENT.SALE.REVERSED"
)

// stamp is how PayPal writes the times of subscriptions and sales.
const stamp = "2006-01-02T15:04:05Z"

// BillingCycle is a plan's billing cycle as PayPal takes it.
type BillingCycle struct {
	Frequency struct {
		IntervalUnit  string `json:"interval_unit"`
		IntervalCount int    `json:"interval_count"`
	} `json:"frequency"`
	TenureType    string `json:"tenure_type"`
	Sequence      int    `json:"sequence"`
	TotalCycles   int    `json:"total_cycles"`
	PricingScheme *struct {
		FixedPrice *Money `json:"fixed_price,omitempty"`
	} `json:"pricing_scheme,omitempty"`
}

// price is the cycle's fixed price, nil for a free (trial) cycle.
func (c BillingCycle) price() *Money {
	if c.PricingScheme == nil {
		return nil
	}
	return c.PricingScheme.FixedPrice
}

// Product is a snapshot of a catalog product.
type Product struct {
	ID, Name, Description, Type, Category string
	RequestID                             string
}

// Plan is a snapshot of a billing plan.
type Plan struct {
	ID, ProductID, Name, Description, Status string
	BillingCycles                            []BillingCycle
	PaymentFailureThreshold                  int
	RequestID                                string
}

// Subscription is a snapshot of a subscription.
type Subscription struct {
	ID, PlanID, Status, CustomID string
	SubscriberEmail              string // as sent, else as approved
	ReturnURL, CancelURL         string
	UserAction, Locale, Shipping string
	RequestID                    string
	Reasons                      []string // the reasons of cancel, suspend and activate requests, in order
	NextBilling                  time.Time
	FailedPayments               int
	SaleIDs                      []string
}

// Sale is a snapshot of a sale (one charge of a subscription).
type Sale struct {
	ID, SubscriptionID, State string // State: completed, partially_refunded, refunded
	Amount                    Money
	Created                   time.Time
	Refunds                   []SaleRefund
}

// SaleRefund is a refund of a sale.
type SaleRefund struct {
	ID, Description string
	Amount          Money
}

type product struct {
	Product
	created time.Time
}

type plan struct {
	Plan
	created time.Time
}

type subscription struct {
	id, planID, status, customID, requestID string
	email, payerID                          string
	app                                     appContext
	reasons                                 []string
	created, updated, statusUpdated         time.Time
	started, nextBilling                    time.Time
	lastPayment                             *sale
	failed                                  int
	lastFailed                              time.Time
	completed                               map[string]int // cycles completed by tenure type
	sales                                   []*sale
}

type sale struct {
	id, subID, state string
	amount           Money
	refunds          []*saleRefund
	created, updated time.Time
}

type saleRefund struct {
	id, saleID, description string
	amount                  Money
	created                 time.Time
}

// SetNow fixes the time the Subscriptions API part of the fake uses (start, billing and status times); the zero
// time goes back to the clock.
func (s *Server) SetNow(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fixedNow = t
}

// Now is the time the Subscriptions API part of the fake uses.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// now is the fake's time for subscriptions. s.mu must be held.
func (s *Server) now() time.Time {
	if !s.fixedNow.IsZero() {
		return s.fixedNow.UTC().Truncate(time.Second)
	}
	return time.Now().UTC().Truncate(time.Second)
}

// Product returns a snapshot of product id.
func (s *Server) Product(id string) (Product, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.products[id]
	if !ok {
		return Product{}, false
	}
	return p.Product, true
}

// Plan returns a snapshot of plan id.
func (s *Server) Plan(id string) (Plan, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.plans[id]
	if !ok {
		return Plan{}, false
	}
	out := p.Plan
	out.BillingCycles = append([]BillingCycle(nil), p.BillingCycles...)
	return out, true
}

// Subscription returns a snapshot of subscription id.
func (s *Server) Subscription(id string) (Subscription, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.subs[id]
	if !ok {
		return Subscription{}, false
	}
	out := Subscription{ID: sub.id, PlanID: sub.planID, Status: sub.status, CustomID: sub.customID,
		SubscriberEmail: sub.email, ReturnURL: sub.app.ReturnURL, CancelURL: sub.app.CancelURL,
		UserAction: sub.app.UserAction, Locale: sub.app.Locale, Shipping: sub.app.ShippingPreference,
		RequestID: sub.requestID, Reasons: append([]string(nil), sub.reasons...), NextBilling: sub.nextBilling,
		FailedPayments: sub.failed}
	for _, sl := range sub.sales {
		out.SaleIDs = append(out.SaleIDs, sl.id)
	}
	return out, true
}

// Sale returns a snapshot of sale id.
func (s *Server) Sale(id string) (Sale, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl, ok := s.sales[id]
	if !ok {
		return Sale{}, false
	}
	out := Sale{ID: sl.id, SubscriptionID: sl.subID, State: sl.state, Amount: sl.amount, Created: sl.created}
	for _, rf := range sl.refunds {
		out.Refunds = append(out.Refunds, SaleRefund{ID: rf.id, Description: rf.description, Amount: rf.amount})
	}
	return out, true
}

// ApproveSubscription is the payer approving subscription id at PayPal, signed in as payerEmail (kept when the
// subscription was created without one): it becomes ACTIVE, its trial cycles (if any) run from now and its next
// billing time is the trial's end, else now (the first regular cycle is due at once: ChargeSubscription).
func (s *Server) ApproveSubscription(id, payerEmail string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.subs[id]
	if !ok {
		return fmt.Errorf("paypalfake: no subscription %s", id)
	}
	if sub.status != "APPROVAL_PENDING" {
		return fmt.Errorf("paypalfake: subscription %s is %s, not APPROVAL_PENDING", id, sub.status)
	}
	now := s.now()
	if sub.email == "" {
		sub.email = payerEmail
	}
	sub.payerID = s.newID()[:13]
	sub.started, sub.nextBilling = now, now
	for _, c := range s.plans[sub.planID].BillingCycles {
		if c.TenureType == "TRIAL" {
			for range c.TotalCycles {
				sub.nextBilling = advance(sub.nextBilling, c)
			}
			sub.completed["TRIAL"] += c.TotalCycles
		}
	}
	s.setStatus(sub, "ACTIVE", now)
	return nil
}

// ChargeSubscription is PayPal charging the next regular cycle of ACTIVE subscription id: a COMPLETED sale of
// the plan's price, the last payment, the failed payments reset and the next billing time one interval on (none
// after the last of a fixed number of cycles). It returns the sale id.
func (s *Server) ChargeSubscription(id string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.subs[id]
	if !ok {
		return "", fmt.Errorf("paypalfake: no subscription %s", id)
	}
	if sub.status != "ACTIVE" {
		return "", fmt.Errorf("paypalfake: subscription %s is %s, not ACTIVE", id, sub.status)
	}
	reg := s.plans[sub.planID].regular()
	now := s.now()
	sl := &sale{id: s.newID(), subID: sub.id, state: "completed", amount: *reg.price(), created: now, updated: now}
	s.sales[sl.id] = sl
	sub.sales = append(sub.sales, sl)
	sub.lastPayment, sub.failed, sub.lastFailed = sl, 0, time.Time{}
	sub.completed["REGULAR"]++
	if reg.TotalCycles > 0 && sub.completed["REGULAR"] >= reg.TotalCycles {
		sub.nextBilling = time.Time{}
	} else {
		sub.nextBilling = advance(sub.nextBilling, reg)
	}
	sub.updated = now
	return sl.id, nil
}

// FailSubscriptionPayment is PayPal failing to charge ACTIVE subscription id: failed_payments_count goes up and
// last_failed_payment is now; at the plan's payment_failure_threshold (when set) the subscription is SUSPENDED.
func (s *Server) FailSubscriptionPayment(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.subs[id]
	if !ok {
		return fmt.Errorf("paypalfake: no subscription %s", id)
	}
	if sub.status != "ACTIVE" {
		return fmt.Errorf("paypalfake: subscription %s is %s, not ACTIVE", id, sub.status)
	}
	now := s.now()
	sub.failed++
	sub.lastFailed, sub.updated = now, now
	if th := s.plans[sub.planID].PaymentFailureThreshold; th > 0 && sub.failed >= th {
		s.setStatus(sub, "SUSPENDED", now)
	}
	return nil
}

// SetSubscriptionStatus sets subscription id's status as PayPal itself does (EXPIRED after its last cycle,
// SUSPENDED after failed payments, CANCELLED from the payer's PayPal account).
func (s *Server) SetSubscriptionStatus(id, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.subs[id]
	if !ok {
		return fmt.Errorf("paypalfake: no subscription %s", id)
	}
	s.setStatus(sub, status, s.now())
	return nil
}

// RefundSale refunds value (in the sale's currency; "" for the rest of it) of sale id, as the seller does from
// PayPal's dashboard, and returns the refund's id for SaleEvent(EventSaleRefunded, …).
func (s *Server) RefundSale(id, value string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl, ok := s.sales[id]
	if !ok {
		return "", fmt.Errorf("paypalfake: no sale %s", id)
	}
	rf, issue := s.refundSale(sl, value, "")
	if issue != "" {
		return "", fmt.Errorf("paypalfake: cannot refund %q of sale %s: %s", value, id, issue)
	}
	return rf.id, nil
}

// refundSale refunds value of sl ("" for the rest), or says why not (PayPal's error name). s.mu must be held.
func (s *Server) refundSale(sl *sale, value, description string) (*saleRefund, string) {
	if sl.state != "completed" && sl.state != "partially_refunded" {
		return nil, "TRANSACTION_REFUSED"
	}
	total, _ := parseValue(sl.amount)
	left := total - sl.refunded()
	m := Money{Currency: sl.amount.Currency, Value: formatValue(left, sl.amount.Currency)}
	if value != "" {
		m.Value = value
		v, err := parseValue(m)
		if err != nil || v <= 0 {
			return nil, "VALIDATION_ERROR"
		}
		if v > left {
			return nil, "REFUND_EXCEEDED_TRANSACTION_AMOUNT"
		}
	}
	now := s.now()
	rf := &saleRefund{id: s.newID(), saleID: sl.id, amount: m, description: description, created: now}
	sl.refunds = append(sl.refunds, rf)
	s.saleRefunds[rf.id] = rf
	sl.state, sl.updated = "partially_refunded", now
	if sl.refunded() >= total {
		sl.state = "refunded"
	}
	return rf, ""
}

// saleJSON is sl as GET /v1/payments/sale/{id} shows it. s.mu must be held.
func (s *Server) saleJSON(sl *sale) map[string]any {
	return map[string]any{"id": sl.id, "state": sl.state, "billing_agreement_id": sl.subID,
		"amount":      map[string]string{"total": sl.amount.Value, "currency": sl.amount.Currency},
		"create_time": sl.created.Format(stamp), "update_time": sl.updated.Format(stamp),
		"links": []link{{Href: s.URL + "/v1/payments/sale/" + sl.id, Rel: "self", Method: "GET"},
			{Href: s.URL + "/v1/payments/sale/" + sl.id + "/refund", Rel: "refund", Method: "POST"}}}
}

func (s *Server) getSale(w http.ResponseWriter, r *http.Request) {
	if !s.enter(w, r, true) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sl, ok := s.sales[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "INVALID_RESOURCE_ID", "Requested resource ID was not found.", "", "")
		return
	}
	s.answer(w, "", http.StatusOK, s.saleJSON(sl))
}

// postSaleRefund serves POST /v1/payments/sale/{id}/refund (the v1 payments API): {"amount":{"total","currency"},
// "description"} or {} for the rest; 201 with the refund.
func (s *Server) postSaleRefund(w http.ResponseWriter, r *http.Request) {
	if !s.enter(w, r, true) {
		return
	}
	var in struct {
		Amount *struct {
			Total    string `json:"total"`
			Currency string `json:"currency"`
		} `json:"amount"`
		Description string `json:"description"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sl, ok := s.sales[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "INVALID_RESOURCE_ID", "Requested resource ID was not found.", "", "")
		return
	}
	key, done := s.replayed(w, r)
	if done {
		return
	}
	value := ""
	if in.Amount != nil {
		if in.Amount.Currency != sl.amount.Currency {
			writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid request - see details", "amount.currency", "")
			return
		}
		value = in.Amount.Total
	}
	rf, issue := s.refundSale(sl, value, in.Description)
	if issue != "" {
		writeError(w, http.StatusBadRequest, issue, "The refund could not be made.", "", "")
		return
	}
	total := Money{Currency: sl.amount.Currency, Value: formatValue(sl.refunded(), sl.amount.Currency)}
	s.answer(w, key, http.StatusCreated, map[string]any{"id": rf.id, "state": "completed", "sale_id": sl.id,
		"amount":                map[string]string{"total": rf.amount.Value, "currency": rf.amount.Currency},
		"total_refunded_amount": total, "description": rf.description,
		"create_time": rf.created.Format(stamp), "update_time": rf.created.Format(stamp),
		"links": []link{{Href: s.URL + "/v1/payments/refund/" + rf.id, Rel: "self", Method: "GET"},
			{Href: s.URL + "/v1/payments/sale/" + sl.id, Rel: "sale", Method: "GET"}}})
}

// refunded is sl's refunded total in thousandths.
func (sl *sale) refunded() int64 {
	var n int64
	for _, r := range sl.refunds {
		v, _ := parseValue(r.amount)
		n += v
	}
	return n
}

// setStatus moves sub to status at now. s.mu must be held.
func (s *Server) setStatus(sub *subscription, status string, now time.Time) {
	sub.status, sub.statusUpdated, sub.updated = status, now, now
	if status == "CANCELLED" || status == "EXPIRED" {
		sub.nextBilling = time.Time{}
	}
}

// regular is p's regular billing cycle.
func (p *plan) regular() BillingCycle {
	for _, c := range p.BillingCycles {
		if c.TenureType == "REGULAR" {
			return c
		}
	}
	return BillingCycle{}
}

// advance is t one cycle c later.
func advance(t time.Time, c BillingCycle) time.Time {
	n := c.Frequency.IntervalCount
	switch c.Frequency.IntervalUnit {
	case "DAY":
		return t.AddDate(0, 0, n)
	case "WEEK":
		return t.AddDate(0, 0, 7*n)
	case "MONTH":
		return t.AddDate(0, n, 0)
	}
	return t.AddDate(n, 0, 0)
}

// unprocessable writes PayPal's 422 with issue.
func unprocessable(w http.ResponseWriter, issue string) {
	writeError(w, http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY",
		"The requested action could not be performed, semantically incorrect, or failed business validation.", "", issue)
}

// invalid writes PayPal's 400 INVALID_REQUEST about field.
func invalid(w http.ResponseWriter, field, issue string) {
	writeError(w, http.StatusBadRequest, "INVALID_REQUEST",
		"Request is not well-formed, syntactically incorrect, or violates schema.", field, issue)
}

// readJSON decodes r's body into v, answering a malformed body; it reports whether the handler goes on.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, v); err != nil {
		invalid(w, "", "MALFORMED_REQUEST_JSON")
		return false
	}
	return true
}

func (s *Server) createProduct(w http.ResponseWriter, r *http.Request) {
	if !s.enter(w, r, true) {
		return
	}
	var in struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		Type        string `json:"type"`
		Category    string `json:"category"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	switch {
	case in.Name == "" || len([]rune(in.Name)) > 127:
		invalid(w, "/name", "INVALID_STRING_LENGTH")
		return
	case len([]rune(in.Description)) > 256:
		invalid(w, "/description", "INVALID_STRING_LENGTH")
		return
	case in.Type != "PHYSICAL" && in.Type != "DIGITAL" && in.Type != "SERVICE":
		invalid(w, "/type", "INVALID_PARAMETER_VALUE")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key, done := s.replayed(w, r)
	if done {
		return
	}
	p := &product{Product: Product{ID: "PROD-" + s.newID(), Name: in.Name, Description: in.Description, Type: in.Type,
		Category: in.Category, RequestID: r.Header.Get("PayPal-Request-Id")}, created: s.now()}
	s.products[p.ID] = p
	out := map[string]any{"id": p.ID, "name": p.Name, "type": p.Type, "create_time": p.created.Format(stamp),
		"update_time": p.created.Format(stamp),
		"links": []link{{Href: s.URL + "/v1/catalogs/products/" + p.ID, Rel: "self", Method: "GET"},
			{Href: s.URL + "/v1/catalogs/products/" + p.ID, Rel: "edit", Method: "PATCH"}}}
	if p.Description != "" {
		out["description"] = p.Description
	}
	if p.Category != "" {
		out["category"] = p.Category
	}
	s.answer(w, key, http.StatusCreated, out)
}

// maxIntervalCount is PayPal's limit on a cycle's interval_count per unit.
var maxIntervalCount = map[string]int{"DAY": 365, "WEEK": 52, "MONTH": 12, "YEAR": 1}

// validatePlan checks billing cycles as PayPal does, returning the failing field and issue.
func validatePlan(cycles []BillingCycle) (field, issue string) {
	if len(cycles) == 0 || len(cycles) > 12 {
		return "/billing_cycles", "INVALID_ARRAY_LENGTH"
	}
	regular, trials, currency := 0, 0, ""
	for i, c := range cycles {
		f := fmt.Sprintf("/billing_cycles/%d", i)
		maxCount, ok := maxIntervalCount[c.Frequency.IntervalUnit]
		if !ok {
			return f + "/frequency/interval_unit", "INVALID_PARAMETER_VALUE"
		}
		if c.Frequency.IntervalCount < 1 || c.Frequency.IntervalCount > maxCount {
			return f + "/frequency/interval_count", "INVALID_INTEGER_VALUE"
		}
		if c.Sequence != i+1 {
			return f + "/sequence", "INVALID_PARAMETER_VALUE"
		}
		if c.TotalCycles < 0 || c.TotalCycles > 999 {
			return f + "/total_cycles", "INVALID_INTEGER_VALUE"
		}
		if p := c.price(); p != nil {
			v, err := parseValue(*p)
			if err != nil {
				return f + "/pricing_scheme/fixed_price/value", err.Error()
			}
			if currency != "" && p.Currency != currency {
				return f + "/pricing_scheme/fixed_price/currency_code", "CURRENCY_MISMATCH"
			}
			currency = p.Currency
			if v <= 0 && c.TenureType == "REGULAR" {
				return f + "/pricing_scheme/fixed_price/value", "CANNOT_BE_ZERO_OR_NEGATIVE"
			}
		}
		switch c.TenureType {
		case "TRIAL":
			trials++
			if regular > 0 || c.TotalCycles < 1 {
				return f, "INVALID_PARAMETER_VALUE"
			}
		case "REGULAR":
			regular++
			if c.price() == nil {
				return f + "/pricing_scheme", "MISSING_REQUIRED_PARAMETER"
			}
		default:
			return f + "/tenure_type", "INVALID_PARAMETER_VALUE"
		}
	}
	if regular != 1 || trials > 2 {
		return "/billing_cycles", "INVALID_PARAMETER_VALUE"
	}
	return "", ""
}

func (s *Server) createPlan(w http.ResponseWriter, r *http.Request) {
	if !s.enter(w, r, true) {
		return
	}
	var in struct {
		ProductID          string         `json:"product_id"`
		Name               string         `json:"name"`
		Description        string         `json:"description"`
		Status             string         `json:"status"`
		BillingCycles      []BillingCycle `json:"billing_cycles"`
		PaymentPreferences *struct {
			PaymentFailureThreshold int `json:"payment_failure_threshold"`
		} `json:"payment_preferences"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	if in.Name == "" || len([]rune(in.Name)) > 127 {
		invalid(w, "/name", "INVALID_STRING_LENGTH")
		return
	}
	if len([]rune(in.Description)) > 127 {
		invalid(w, "/description", "INVALID_STRING_LENGTH")
		return
	}
	if in.Status == "" {
		in.Status = "ACTIVE"
	}
	if in.Status != "ACTIVE" && in.Status != "CREATED" && in.Status != "INACTIVE" {
		invalid(w, "/status", "INVALID_PARAMETER_VALUE")
		return
	}
	if field, issue := validatePlan(in.BillingCycles); issue != "" {
		if issue == "DECIMAL_PRECISION" || issue == "CURRENCY_MISMATCH" {
			writeError(w, http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", "The request failed validation.", field, issue)
			return
		}
		invalid(w, field, issue)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.products[in.ProductID]; !ok {
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "/product_id", "INVALID_RESOURCE_ID")
		return
	}
	key, done := s.replayed(w, r)
	if done {
		return
	}
	p := &plan{Plan: Plan{ID: "P-" + s.newID() + "MXYZ1234", ProductID: in.ProductID, Name: in.Name,
		Description: in.Description, Status: in.Status, BillingCycles: in.BillingCycles,
		RequestID: r.Header.Get("PayPal-Request-Id")}, created: s.now()}
	if in.PaymentPreferences != nil {
		p.PaymentFailureThreshold = in.PaymentPreferences.PaymentFailureThreshold
	}
	s.plans[p.ID] = p
	s.answer(w, key, http.StatusCreated, s.planJSON(p))
}

// planJSON is p as PayPal shows a plan. s.mu must be held.
func (s *Server) planJSON(p *plan) map[string]any {
	out := map[string]any{"id": p.ID, "product_id": p.ProductID, "name": p.Name, "status": p.Status,
		"usage_type": "LICENSED", "billing_cycles": p.BillingCycles, "quantity_supported": false,
		"payment_preferences": map[string]any{"service_type": "PREPAID", "auto_bill_outstanding": true,
			"setup_fee_failure_action": "CONTINUE", "payment_failure_threshold": p.PaymentFailureThreshold},
		"create_time": p.created.Format(stamp), "update_time": p.created.Format(stamp),
		"links": []link{{Href: s.URL + "/v1/billing/plans/" + p.ID, Rel: "self", Method: "GET"},
			{Href: s.URL + "/v1/billing/plans/" + p.ID, Rel: "edit", Method: "PATCH"}}}
	if p.Description != "" {
		out["description"] = p.Description
	}
	return out
}

func (s *Server) createSubscription(w http.ResponseWriter, r *http.Request) {
	if !s.enter(w, r, true) {
		return
	}
	var in struct {
		PlanID     string `json:"plan_id"`
		CustomID   string `json:"custom_id"`
		Subscriber *struct {
			EmailAddress string `json:"email_address"`
		} `json:"subscriber"`
		ApplicationContext *appContext `json:"application_context"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	if in.PlanID == "" {
		invalid(w, "/plan_id", "MISSING_REQUIRED_PARAMETER")
		return
	}
	if len(in.CustomID) > 127 {
		invalid(w, "/custom_id", "INVALID_STRING_LENGTH")
		return
	}
	if in.ApplicationContext != nil {
		for _, u := range []struct{ f, v string }{{"/application_context/return_url", in.ApplicationContext.ReturnURL},
			{"/application_context/cancel_url", in.ApplicationContext.CancelURL}} {
			if u.v != "" && !strings.HasPrefix(u.v, "http://") && !strings.HasPrefix(u.v, "https://") {
				invalid(w, u.f, "INVALID_PARAMETER_SYNTAX")
				return
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.plans[in.PlanID]
	if !ok {
		writeError(w, http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY",
			"The requested action could not be performed, semantically incorrect, or failed business validation.",
			"/plan_id", "RESOURCE_NOT_FOUND")
		return
	}
	if p.Status != "ACTIVE" {
		unprocessable(w, "PLAN_STATUS_INVALID")
		return
	}
	key, done := s.replayed(w, r)
	if done {
		return
	}
	now := s.now()
	sub := &subscription{id: "I-" + s.newID()[:12], planID: p.ID, status: "APPROVAL_PENDING", customID: in.CustomID,
		requestID: r.Header.Get("PayPal-Request-Id"), created: now, updated: now, statusUpdated: now,
		completed: map[string]int{}}
	if in.Subscriber != nil {
		sub.email = in.Subscriber.EmailAddress
	}
	if in.ApplicationContext != nil {
		sub.app = *in.ApplicationContext
	}
	s.subs[sub.id] = sub
	s.answer(w, key, http.StatusCreated, s.subscriptionJSON(sub))
}

// subscriptionLinks are sub's HATEOAS links: approve while it waits for the payer.
func (s *Server) subscriptionLinks(sub *subscription) []link {
	self := s.URL + "/v1/billing/subscriptions/" + sub.id
	links := []link{{Href: self, Rel: "self", Method: "GET"}}
	switch sub.status {
	case "APPROVAL_PENDING":
		links = append(links, link{Href: "https://www.sandbox.paypal.com/webapps/billing/subscriptions?ba_token=BA-" +
			sub.id[2:], Rel: "approve", Method: "GET"}, link{Href: self, Rel: "edit", Method: "PATCH"})
	case "ACTIVE":
		links = append(links, link{Href: self + "/cancel", Rel: "cancel", Method: "POST"},
			link{Href: self, Rel: "edit", Method: "PATCH"}, link{Href: self + "/suspend", Rel: "suspend", Method: "POST"},
			link{Href: self + "/capture", Rel: "capture", Method: "POST"})
	case "SUSPENDED":
		links = append(links, link{Href: self + "/cancel", Rel: "cancel", Method: "POST"},
			link{Href: self + "/activate", Rel: "activate", Method: "POST"})
	}
	return links
}

// subscriptionJSON is sub as PayPal shows a subscription (GET, and BILLING.SUBSCRIPTION.* webhooks). s.mu must be
// held.
func (s *Server) subscriptionJSON(sub *subscription) map[string]any {
	p := s.plans[sub.planID]
	out := map[string]any{"id": sub.id, "plan_id": sub.planID, "status": sub.status, "quantity": "1",
		"plan_overridden": false, "create_time": sub.created.Format(stamp), "update_time": sub.updated.Format(stamp),
		"status_update_time": sub.statusUpdated.Format(stamp), "links": s.subscriptionLinks(sub)}
	if sub.customID != "" {
		out["custom_id"] = sub.customID
	}
	if !sub.started.IsZero() {
		out["start_time"] = sub.started.Format(stamp)
	}
	if sub.email != "" || sub.payerID != "" {
		sb := map[string]any{"name": map[string]string{"given_name": "John", "surname": "Doe"}}
		if sub.email != "" {
			sb["email_address"] = sub.email
		}
		if sub.payerID != "" {
			sb["payer_id"] = sub.payerID
		}
		out["subscriber"] = sb
	}
	if sub.status == "APPROVAL_PENDING" {
		return out
	}
	reg := p.regular()
	cur := reg.price().Currency
	var execs []map[string]any
	for _, c := range p.BillingCycles {
		done := sub.completed[c.TenureType]
		if c.TotalCycles > 0 {
			done = min(done, c.TotalCycles)
		}
		e := map[string]any{"tenure_type": c.TenureType, "sequence": c.Sequence, "cycles_completed": done,
			"total_cycles": c.TotalCycles}
		if c.TotalCycles > 0 {
			e["cycles_remaining"] = c.TotalCycles - done
		}
		if c.price() != nil {
			e["current_pricing_scheme_version"] = 1
		}
		execs = append(execs, e)
	}
	info := map[string]any{"outstanding_balance": Money{Currency: cur, Value: formatValue(0, cur)},
		"cycle_executions": execs, "failed_payments_count": sub.failed}
	if sub.lastPayment != nil {
		info["last_payment"] = map[string]any{"amount": sub.lastPayment.amount,
			"time": sub.lastPayment.created.Format(stamp)}
	}
	if !sub.nextBilling.IsZero() {
		info["next_billing_time"] = sub.nextBilling.Format(stamp)
	}
	if !sub.lastFailed.IsZero() {
		info["last_failed_payment"] = map[string]any{"amount": reg.price(), "time": sub.lastFailed.Format(stamp),
			"reason_code": "PAYMENT_DENIED", "next_payment_retry_time": sub.lastFailed.AddDate(0, 0, 5).Format(stamp)}
	}
	out["billing_info"] = info
	return out
}

func (s *Server) getSubscription(w http.ResponseWriter, r *http.Request) {
	if !s.enter(w, r, true) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.subs[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "subscription_id", "INVALID_RESOURCE_ID")
		return
	}
	s.answer(w, "", http.StatusOK, s.subscriptionJSON(sub))
}

// subscriptionAction serves POST /v1/billing/subscriptions/{id}/{cancel,suspend,activate}: the status moves from
// one of from to to, with a reason (required, 1–128 characters); 204 with no body.
func (s *Server) subscriptionAction(from []string, to string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.enter(w, r, true) {
			return
		}
		var in struct {
			Reason string `json:"reason"`
		}
		if !readJSON(w, r, &in) {
			return
		}
		if in.Reason == "" || len([]rune(in.Reason)) > 128 {
			invalid(w, "/reason", "INVALID_STRING_LENGTH")
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		sub, ok := s.subs[r.PathValue("id")]
		if !ok {
			writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "subscription_id", "INVALID_RESOURCE_ID")
			return
		}
		allowed := false
		for _, f := range from {
			allowed = allowed || sub.status == f
		}
		if !allowed {
			unprocessable(w, "SUBSCRIPTION_STATUS_INVALID")
			return
		}
		sub.reasons = append(sub.reasons, in.Reason)
		s.setStatus(sub, to, s.now())
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) reviseSubscription(w http.ResponseWriter, r *http.Request) {
	if !s.enter(w, r, true) {
		return
	}
	var in struct {
		PlanID string `json:"plan_id"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.subs[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "subscription_id", "INVALID_RESOURCE_ID")
		return
	}
	p, ok := s.plans[in.PlanID]
	if !ok || p.Status != "ACTIVE" {
		unprocessable(w, "PLAN_STATUS_INVALID")
		return
	}
	if sub.status != "ACTIVE" && sub.status != "SUSPENDED" {
		unprocessable(w, "SUBSCRIPTION_STATUS_INVALID")
		return
	}
	// PayPal asks the payer to approve a revision; the fake applies it at once.
	sub.planID, sub.updated = p.ID, s.now()
	s.answer(w, "", http.StatusOK, map[string]any{"plan_id": p.ID, "plan_overridden": false,
		"effective_time": sub.nextBilling.Format(stamp),
		"links": []link{{Href: "https://www.sandbox.paypal.com/webapps/billing/subscriptions/update?ba_token=BA-" +
			sub.id[2:], Rel: "approve", Method: "GET"}}})
}

// SubscriptionEvent renders eventType (a BILLING.SUBSCRIPTION.* type) about subscription id as it stands now, as
// PayPal sends it. Every call has a new event id.
func (s *Server) SubscriptionEvent(eventType, id string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !strings.HasPrefix(eventType, "BILLING.SUBSCRIPTION.") {
		return nil, fmt.Errorf("paypalfake: %s is not a subscription event", eventType)
	}
	sub, ok := s.subs[id]
	if !ok {
		return nil, fmt.Errorf("paypalfake: no subscription %s", id)
	}
	summary := "Subscription " + strings.ToLower(strings.TrimPrefix(eventType, "BILLING.SUBSCRIPTION."))
	return s.event(eventType, "subscription", "2.0", summary, s.subscriptionJSON(sub)), nil
}

// SaleEvent renders eventType about a sale as PayPal sends it: PAYMENT.SALE.COMPLETED, PENDING, DENIED and
// REVERSED are about sale id; PAYMENT.SALE.REFUNDED about the refund id RefundSale returned. Every call has a new
// event id.
func (s *Server) SaleEvent(eventType, id string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if eventType == EventSaleRefunded {
		rf, ok := s.saleRefunds[id]
		if !ok {
			return nil, fmt.Errorf("paypalfake: no sale refund %s", id)
		}
		sl := s.sales[rf.saleID]
		var total int64
		for _, x := range sl.refunds {
			v, _ := parseValue(x.amount)
			total += v
			if x == rf {
				break
			}
		}
		cur := rf.amount.Currency
		res := map[string]any{"id": rf.id, "state": "completed", "sale_id": sl.id, "parent_payment": "PAYID-" + sl.id,
			"amount":                map[string]string{"total": rf.amount.Value, "currency": cur},
			"total_refunded_amount": Money{Currency: cur, Value: formatValue(total, cur)},
			"create_time":           rf.created.Format(stamp), "update_time": rf.created.Format(stamp),
			"links": []link{{Href: s.URL + "/v1/payments/refund/" + rf.id, Rel: "self", Method: "GET"},
				{Href: s.URL + "/v1/payments/sale/" + sl.id, Rel: "sale", Method: "GET"}}}
		if c := s.subs[sl.subID].customID; c != "" {
			res["custom"] = c
		}
		return s.event(eventType, "refund", "1.0", fmt.Sprintf("A %s %s sale payment was refunded", rf.amount.Value, cur), res), nil
	}
	if !strings.HasPrefix(eventType, "PAYMENT.SALE.") {
		return nil, fmt.Errorf("paypalfake: %s is not a sale event", eventType)
	}
	sl, ok := s.sales[id]
	if !ok {
		return nil, fmt.Errorf("paypalfake: no sale %s", id)
	}
	state := sl.state
	switch eventType {
	case EventSalePending:
		state = "pending"
	case EventSaleDenied:
		state = "denied"
	case EventSaleReversed:
		state = "reversed"
	}
	gross, _ := parseValue(sl.amount)
	fee := gross * 349 / 10000
	cur := sl.amount.Currency
	res := map[string]any{"id": sl.id, "state": state, "billing_agreement_id": sl.subID,
		"amount": map[string]any{"total": sl.amount.Value, "currency": cur,
			"details": map[string]string{"subtotal": sl.amount.Value}},
		"payment_mode": "INSTANT_TRANSFER", "protection_eligibility": "ELIGIBLE",
		"protection_eligibility_type": "ITEM_NOT_RECEIVED_ELIGIBLE,UNAUTHORIZED_PAYMENT_ELIGIBLE",
		"transaction_fee":             Money{Currency: cur, Value: formatValue(fee, cur)},
		"create_time":                 sl.created.Format(stamp), "update_time": sl.updated.Format(stamp),
		"links": []link{{Href: s.URL + "/v1/payments/sale/" + sl.id, Rel: "self", Method: "GET"},
			{Href: s.URL + "/v1/payments/sale/" + sl.id + "/refund", Rel: "refund", Method: "POST"}}}
	if c := s.subs[sl.subID].customID; c != "" {
		res["custom"] = c
	}
	return s.event(eventType, "sale", "1.0", fmt.Sprintf("Payment %s for %s %s", state, sl.amount.Value, cur), res), nil
}

// event is a webhook event envelope around resource. s.mu must be held.
func (s *Server) event(eventType, resourceType, version, summary string, resource any) []byte {
	evID := "WH-" + s.newID() + "-" + s.newID()
	return marshal(map[string]any{
		"id":               evID,
		"event_version":    "1.0",
		"create_time":      s.now().Format("2006-01-02T15:04:05.000Z"),
		"resource_type":    resourceType,
		"resource_version": version,
		"event_type":       eventType,
		"summary":          summary,
		"resource":         resource,
		"links": []link{
			{Href: s.URL + "/v1/notifications/webhooks-events/" + evID, Rel: "self", Method: "GET"},
			{Href: s.URL + "/v1/notifications/webhooks-events/" + evID + "/resend", Rel: "resend", Method: "POST"},
		},
	})
}
