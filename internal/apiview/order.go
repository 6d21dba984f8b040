package apiview

import (
	"time"

	"github.com/bursar/bursar/internal/order"
)

// Payment is a payment in the API; amounts are minor units of currency.
type Payment struct {
	ID              int64     `json:"id"`
	PaymentSystemID int64     `json:"payment_system_id"`
	Status          string    `json:"status"`
	Amount          int64     `json:"amount"`
	Currency        string    `json:"currency"`
	Fee             int64     `json:"fee"`
	Net             int64     `json:"net"`
	PaidOn          string    `json:"paid_on"`
	Comment         string    `json:"comment"`
	GatewayRef      string    `json:"gateway_ref"`
	PayerEmail      string    `json:"payer_email"`
	CreatedAt       time.Time `json:"created_at"`
}

// Refund is a refund in the API.
type Refund struct {
	ID        int64  `json:"id"`
	PaymentID int64  `json:"payment_id"`
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
	Comment   string `json:"comment"`
	Actor     string `json:"actor"`
	// Status is pending (the gateway is being asked), succeeded or failed (the gateway did not make it).
	Status     string    `json:"status"`
	GatewayRef string    `json:"gateway_ref"` // the gateway's refund id
	CreatedAt  time.Time `json:"created_at"`
}

// Order is an order in the API, with its payments.
type Order struct {
	ID              int64      `json:"id"`
	Number          string     `json:"number"`
	Status          string     `json:"status"`
	OfferID         int64      `json:"offer_id"`
	OfferTitle      string     `json:"offer_title"`
	ContactID       *int64     `json:"contact_id"` // null: a visitor's order not paid yet
	PaymentSystemID int64      `json:"payment_system_id"`
	Amount          int64      `json:"amount"`
	Currency        string     `json:"currency"`
	ListAmount      int64      `json:"list_amount"`
	ListCurrency    string     `json:"list_currency"`
	Language        string     `json:"language"`
	Channel         string     `json:"channel"`
	CreatedAt       time.Time  `json:"created_at"`
	DeadlineAt      *time.Time `json:"deadline_at"`
	DecidedAt       *time.Time `json:"decided_at"`
	DecidedBy       string     `json:"decided_by"`
	DecisionNote    string     `json:"decision_note"`
	Payments        []Payment  `json:"payments"`
}

// OrderDetail is an order with its refunds and timeline (GET /orders/{id} and the decisions' answers).
type OrderDetail struct {
	Order
	Refunds  []Refund `json:"refunds"`
	Timeline []Line   `json:"timeline"`
}

// OrderPayment is a payment with its order: the object of payment.succeeded and payment.failed.
type OrderPayment struct {
	Payment
	OrderID int64 `json:"order_id"`
}

// OrderRefund is a refund with its order: the object of refund.created.
type OrderRefund struct {
	Refund
	OrderID int64 `json:"order_id"`
}

// OrderOf is o in the API.
func OrderOf(o order.Order) Order {
	out := Order{ID: o.ID, Number: o.Number, Status: string(o.Status), OfferID: o.OfferID, OfferTitle: o.OfferTitle,
		PaymentSystemID: o.PaymentSystemID, Amount: o.Price.Amount, Currency: o.Price.Currency,
		ListAmount: o.ListPrice.Amount, ListCurrency: o.ListPrice.Currency, Language: o.Language, Channel: o.Channel,
		CreatedAt: o.CreatedAt.UTC(), DeadlineAt: UTCPtr(o.DeadlineAt), DecidedAt: UTCPtr(o.DecidedAt),
		DecidedBy: o.DecidedBy, DecisionNote: o.DecisionNote, Payments: make([]Payment, 0, len(o.Payments))}
	if o.ContactID > 0 {
		out.ContactID = &o.ContactID
	}
	for _, p := range o.Payments {
		out.Payments = append(out.Payments, PaymentOf(p))
	}
	return out
}

// PaymentOf is p in the API.
func PaymentOf(p order.Payment) Payment {
	return Payment{ID: p.ID, PaymentSystemID: p.PaymentSystemID, Status: p.Status, Amount: p.Amount.Amount,
		Currency: p.Amount.Currency, Fee: p.Fee, Net: p.Net, PaidOn: p.PaidOn.Format(time.DateOnly),
		Comment: p.Comment, GatewayRef: p.GatewayRef, PayerEmail: p.PayerEmail, CreatedAt: p.CreatedAt.UTC()}
}

// RefundOf is r in the API.
func RefundOf(r order.RefundRecord) Refund {
	return Refund{ID: r.ID, PaymentID: r.PaymentID, Amount: r.Amount.Amount, Currency: r.Amount.Currency,
		Comment: r.Comment, Actor: r.Actor, Status: r.Status, GatewayRef: r.GatewayRef, CreatedAt: r.CreatedAt.UTC()}
}

// OrderDetailOf is d with its refunds (with their status) in the API.
func OrderDetailOf(d order.Detail, refunds []order.RefundRecord) OrderDetail {
	out := OrderDetail{Order: OrderOf(d.Order)}
	out.Refunds = make([]Refund, 0, len(refunds))
	for _, r := range refunds {
		out.Refunds = append(out.Refunds, RefundOf(r))
	}
	out.Timeline = make([]Line, 0, len(d.Events))
	for _, e := range d.Events {
		out.Timeline = append(out.Timeline, line(e.Kind, e.Message, e.Actor, e.CreatedAt))
	}
	return out
}
