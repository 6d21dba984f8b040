package apiview

import (
	"time"

	"github.com/bursar/bursar/internal/paylink"
)

// PaymentLink is a payment link in the API; amount is in minor units of currency.
type PaymentLink struct {
	ID               int64      `json:"id"`
	URL              string     `json:"url"` // the payer's page: share it
	Status           string     `json:"status"`
	ContactID        int64      `json:"contact_id"`
	OfferID          int64      `json:"offer_id"` // for a custom amount, the link-only offer made for it
	Custom           bool       `json:"custom"`
	Title            string     `json:"title"`
	Amount           int64      `json:"amount"`
	Currency         string     `json:"currency"`
	PaymentSystemIDs []int64    `json:"payment_system_ids"`
	Language         string     `json:"language"`
	Note             string     `json:"note"`
	DeclineReason    string     `json:"decline_reason"`
	OrderID          *int64     `json:"order_id"`
	VoidedBy         *int64     `json:"voided_by_order_id"`
	Creator          string     `json:"creator"` // the operator's e-mail or the API key's name
	CreatorType      string     `json:"creator_type"`
	ExpiresAt        time.Time  `json:"expires_at"`
	FirstOpenedAt    *time.Time `json:"first_opened_at"`
	LastOpenedAt     *time.Time `json:"last_opened_at"`
	DecidedAt        *time.Time `json:"decided_at"`
	DecidedBy        string     `json:"decided_by"`
	CreatedAt        time.Time  `json:"created_at"`
}

// PaymentLinkDetail is a link with its own timeline (GET /payment-links/{id} and the actions' answers).
type PaymentLinkDetail struct {
	PaymentLink
	Timeline []Line `json:"timeline"`
}

// PaymentLinkOf is l in the API, its status as of now.
func PaymentLinkOf(l paylink.Link, now time.Time) PaymentLink {
	out := PaymentLink{ID: l.ID, URL: l.URL, Status: string(l.StatusAt(now)), ContactID: l.ContactID,
		Title: l.Title, Amount: l.Price.Amount, Currency: l.Price.Currency, PaymentSystemIDs: l.PaymentSystemIDs,
		Language: l.Language, Note: l.Note, DeclineReason: l.DeclineReason, OfferID: l.OfferID, Custom: l.Custom,
		OrderID: Positive(l.OrderID), VoidedBy: Positive(l.VoidedBy), Creator: l.CreatorLabel,
		CreatorType: l.CreatorType, ExpiresAt: l.ExpiresAt.UTC(), FirstOpenedAt: UTCPtr(l.FirstOpenedAt),
		LastOpenedAt: UTCPtr(l.LastOpenedAt), DecidedAt: UTCPtr(l.DecidedAt), DecidedBy: l.DecidedBy,
		CreatedAt: l.CreatedAt.UTC()}
	if out.PaymentSystemIDs == nil {
		out.PaymentSystemIDs = []int64{}
	}
	return out
}

// PaymentLinkDetailOf is l with its timeline evs in the API.
func PaymentLinkDetailOf(l paylink.Link, now time.Time, evs []paylink.Event) PaymentLinkDetail {
	out := PaymentLinkDetail{PaymentLink: PaymentLinkOf(l, now), Timeline: make([]Line, 0, len(evs))}
	for _, e := range evs {
		out.Timeline = append(out.Timeline, line(e.Kind, e.Message, e.Actor, e.CreatedAt))
	}
	return out
}
