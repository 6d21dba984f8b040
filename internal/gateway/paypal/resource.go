package paypal

import (
	"fmt"
	"strconv"
	"strings"

	paypalsdk "github.com/plutov/paypal/v4"

	"github.com/bursar/bursar/internal/money"
)

// The resources Bursar reads, as the Orders v2 and Payments v2 APIs and their webhooks write them. They are
// Bursar's own because the client's types lack what Bursar needs (supplementary_data, refunds of an order,
// total_refunded_amount); requests use the client's types.

// orderJSON is an order (GET /v2/checkout/orders/{id}, a capture's answer, CHECKOUT.ORDER.* webhooks).
type orderJSON struct {
	ID            string     `json:"id"`
	Status        string     `json:"status"`
	Intent        string     `json:"intent"`
	PurchaseUnits []unitJSON `json:"purchase_units"`
	Payer         *struct {
		EmailAddress string `json:"email_address"`
	} `json:"payer"`
	PaymentSource *struct {
		PayPal *struct {
			EmailAddress string `json:"email_address"`
		} `json:"paypal"`
	} `json:"payment_source"`
	Links []paypalsdk.Link `json:"links"`
}

// unitJSON is an order's purchase unit.
type unitJSON struct {
	ReferenceID string           `json:"reference_id"`
	CustomID    string           `json:"custom_id"`
	InvoiceID   string           `json:"invoice_id"`
	Amount      *paypalsdk.Money `json:"amount"`
	Payments    *struct {
		Captures []captureJSON `json:"captures"`
		Refunds  []refundJSON  `json:"refunds"`
	} `json:"payments"`
}

// captureJSON is a captured payment (GET /v2/payments/captures/{id}, PAYMENT.CAPTURE.* webhooks).
type captureJSON struct {
	ID            string           `json:"id"`
	Status        string           `json:"status"`
	Amount        *paypalsdk.Money `json:"amount"`
	CustomID      string           `json:"custom_id"`
	StatusDetails *struct {
		Reason string `json:"reason"`
	} `json:"status_details"`
	SupplementaryData *struct {
		RelatedIDs struct {
			OrderID string `json:"order_id"`
		} `json:"related_ids"`
	} `json:"supplementary_data"`
	Links []paypalsdk.Link `json:"links"`
}

// refundJSON is a refund (a refund's answer, PAYMENT.CAPTURE.REFUNDED webhooks, an order's refunds).
type refundJSON struct {
	ID                     string           `json:"id"`
	Status                 string           `json:"status"`
	Amount                 *paypalsdk.Money `json:"amount"`
	CustomID               string           `json:"custom_id"`
	SellerPayableBreakdown *struct {
		TotalRefundedAmount *paypalsdk.Money `json:"total_refunded_amount"`
	} `json:"seller_payable_breakdown"`
	SupplementaryData *struct {
		RelatedIDs struct {
			OrderID   string `json:"order_id"`
			CaptureID string `json:"capture_id"`
		} `json:"related_ids"`
	} `json:"supplementary_data"`
	Links []paypalsdk.Link `json:"links"`
}

// Statuses of orders, captures and refunds.
const (
	orderCreated   = "CREATED"
	orderApproved  = "APPROVED"
	orderVoided    = "VOIDED"
	orderCompleted = "COMPLETED"

	captureCompleted         = "COMPLETED"
	capturePending           = "PENDING"
	captureDeclined          = "DECLINED"
	captureFailed            = "FAILED"
	capturePartiallyRefunded = "PARTIALLY_REFUNDED"
	captureRefunded          = "REFUNDED"

	refundCompleted = "COMPLETED"
	refundPending   = "PENDING"
)

// unit is o's purchase unit (Bursar creates one per order), nil when it has none.
func (o orderJSON) unit() *unitJSON {
	if len(o.PurchaseUnits) == 0 {
		return nil
	}
	return &o.PurchaseUnits[0]
}

// payerEmail is the payer's e-mail as PayPal reports it, "" when it has none (some card flows).
func (o orderJSON) payerEmail() string {
	if o.Payer != nil && o.Payer.EmailAddress != "" {
		return o.Payer.EmailAddress
	}
	if o.PaymentSource != nil && o.PaymentSource.PayPal != nil {
		return o.PaymentSource.PayPal.EmailAddress
	}
	return ""
}

// link is the href of o's link rel.
func link(links []paypalsdk.Link, rel string) string {
	for _, l := range links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

// capture is u's capture: id's when id is not "", else the last one; nil when there is none.
func (u *unitJSON) capture(id string) *captureJSON {
	if u == nil || u.Payments == nil || len(u.Payments.Captures) == 0 {
		return nil
	}
	for i := len(u.Payments.Captures) - 1; i >= 0; i-- {
		if id == "" || u.Payments.Captures[i].ID == id {
			return &u.Payments.Captures[i]
		}
	}
	return nil
}

// refunded is the total of u's refunds of capture captureID in currency whose status is one of statuses, in minor
// units.
func (u *unitJSON) refunded(captureID, currency string, statuses ...string) (int64, error) {
	if u == nil || u.Payments == nil {
		return 0, nil
	}
	var total int64
	for _, r := range u.Payments.Refunds {
		if c := r.captureID(); c != "" && c != captureID {
			continue
		}
		counted := false
		for _, s := range statuses {
			counted = counted || r.Status == s
		}
		if !counted || r.Amount == nil {
			continue
		}
		m, err := amount(*r.Amount)
		if err != nil {
			return 0, fmt.Errorf("refund %s: %w", r.ID, err)
		}
		if m.Currency != currency {
			return 0, fmt.Errorf("refund %s is in %s, its capture in %s", r.ID, m.Currency, currency)
		}
		total += m.Amount
	}
	return total, nil
}

// orderID is the PayPal order c belongs to: supplementary_data.related_ids.order_id, else its "up" link.
func (c captureJSON) orderID() string {
	if c.SupplementaryData != nil && c.SupplementaryData.RelatedIDs.OrderID != "" {
		return c.SupplementaryData.RelatedIDs.OrderID
	}
	return lastSegment(link(c.Links, "up"), "/v2/checkout/orders/")
}

// captureID is the capture r returns money of: supplementary_data.related_ids.capture_id, else its "up" link.
func (r refundJSON) captureID() string {
	if r.SupplementaryData != nil && r.SupplementaryData.RelatedIDs.CaptureID != "" {
		return r.SupplementaryData.RelatedIDs.CaptureID
	}
	return lastSegment(link(r.Links, "up"), "/v2/payments/captures/")
}

// lastSegment is the id after prefix in a link's href, "" when the href does not name one.
func lastSegment(href, prefix string) string {
	_, id, ok := strings.Cut(href, prefix)
	if !ok || !validID(id) {
		return ""
	}
	return id
}

// bursarOrderID is Bursar's order id from a custom_id; 0 when it is not a positive decimal.
func bursarOrderID(customID string) int64 {
	id, err := strconv.ParseInt(customID, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

// zeroDecimal are the currencies PayPal takes without decimals although ISO 4217 gives them two (JPY has none in
// ISO 4217 as well).
var zeroDecimal = map[string]bool{"HUF": true, "TWD": true}

// value writes m as PayPal's amount value: the currency's decimals ("49.00", "5000" for JPY), and whole units
// only for HUF and TWD (an amount with cents in them cannot be paid through PayPal).
func value(m money.Money) (string, error) {
	if m.Amount < 0 || len(m.Currency) != 3 {
		return "", fmt.Errorf("paypal: cannot send %s", m)
	}
	exp := money.Exponent(m.Currency)
	if zeroDecimal[m.Currency] && exp > 0 {
		unit := pow10(exp)
		if m.Amount%unit != 0 {
			return "", fmt.Errorf("paypal: PayPal takes whole %s only, not %s", m.Currency, m.Decimal())
		}
		return strconv.FormatInt(m.Amount/unit, 10), nil
	}
	return m.Decimal(), nil
}

// amount reads PayPal's amount into minor units of its ISO 4217 currency, exactly (money.ParseExact).
func amount(pm paypalsdk.Money) (money.Money, error) {
	if len(pm.Currency) != 3 || strings.ToUpper(pm.Currency) != pm.Currency {
		return money.Money{}, fmt.Errorf("paypal: currency %q", pm.Currency)
	}
	n, err := money.ParseExact(pm.Value, pm.Currency)
	if err != nil {
		return money.Money{}, fmt.Errorf("paypal: %w", err)
	}
	return money.Money{Amount: n, Currency: pm.Currency}, nil
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}
