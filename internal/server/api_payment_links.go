package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/paylink"
)

// paymentLinkJSON is a payment link in the API; amount is in minor units of currency.
type paymentLinkJSON struct {
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

// paymentLinkDetailJSON is a link with its own timeline (GET /payment-links/{id} and the actions' answers).
type paymentLinkDetailJSON struct {
	paymentLinkJSON
	Timeline []orderEventJSON `json:"timeline"`
}

func paymentLinkOut(l paylink.Link, now time.Time) paymentLinkJSON {
	out := paymentLinkJSON{ID: l.ID, URL: l.URL, Status: string(l.StatusAt(now)), ContactID: l.ContactID,
		Title: l.Title, Amount: l.Price.Amount, Currency: l.Price.Currency, PaymentSystemIDs: l.PaymentSystemIDs,
		Language: l.Language, Note: l.Note, DeclineReason: l.DeclineReason, OfferID: l.OfferID, Custom: l.Custom,
		OrderID: positive(l.OrderID), VoidedBy: positive(l.VoidedBy), Creator: l.CreatorLabel,
		CreatorType: l.CreatorType, ExpiresAt: l.ExpiresAt.UTC(), FirstOpenedAt: utcPtr(l.FirstOpenedAt),
		LastOpenedAt: utcPtr(l.LastOpenedAt), DecidedAt: utcPtr(l.DecidedAt), DecidedBy: l.DecidedBy,
		CreatedAt: l.CreatedAt.UTC()}
	if out.PaymentSystemIDs == nil {
		out.PaymentSystemIDs = []int64{}
	}
	return out
}

// paymentLinkIn is the body of POST /api/v1/payment-links: offer_id, or amount + currency + description for a
// custom amount.
type paymentLinkIn struct {
	ContactID        int64   `json:"contact_id"`
	OfferID          int64   `json:"offer_id"`
	Amount           int64   `json:"amount"`
	Currency         string  `json:"currency"`
	Description      string  `json:"description"`
	PaymentSystemIDs []int64 `json:"payment_system_ids"`
	ExpiresAt        *string `json:"expires_at"` // RFC 3339
	Language         string  `json:"language"`
	Note             string  `json:"note"`
	SendEmail        bool    `json:"send_email"`
}

func (s *Server) apiPaymentLinkCreate(w http.ResponseWriter, r *http.Request) {
	var in paymentLinkIn
	if !decodeJSON(w, r, &in) {
		return
	}
	n := paylink.Input{ContactID: in.ContactID, OfferID: in.OfferID, Amount: in.Amount,
		Currency: strings.ToUpper(strings.TrimSpace(in.Currency)), Description: strings.TrimSpace(in.Description),
		PaymentSystemIDs: in.PaymentSystemIDs, Language: in.Language, Note: in.Note, SendEmail: in.SendEmail}
	if in.ExpiresAt != nil {
		t, err := time.Parse(time.RFC3339, *in.ExpiresAt)
		if err != nil {
			s.apiError(w, r, check.Field("expires_at", "must be a time such as 2026-12-31T18:00:00Z"))
			return
		}
		n.ExpiresAt = t
	}
	l, err := s.links.Create(r.Context(), n)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/payment-links/"+itoa(l.ID))
	s.apiPaymentLinkAnswer(w, r, http.StatusCreated, l)
}

func (s *Server) apiPaymentLinks(w http.ResponseWriter, r *http.Request) {
	limit, err := pageLimit(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	before, err := decodeCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	e := check.Errors{}
	f := paymentLinkFilter(r, e)
	f.BeforeID, f.Limit = before, limit
	if err := e.Err(); err != nil {
		s.apiError(w, r, err)
		return
	}
	page, err := s.links.List(r.Context(), f)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	now := s.links.Now()
	out := List[paymentLinkJSON]{Data: make([]paymentLinkJSON, 0, len(page.Links))}
	for _, l := range page.Links {
		out.Data = append(out.Data, paymentLinkOut(l, now))
	}
	if page.NextBeforeID != 0 {
		out.NextCursor = encodeCursor(page.NextBeforeID)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiPaymentLink(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	l, err := s.links.Get(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	s.apiPaymentLinkAnswer(w, r, http.StatusOK, l)
}

// apiPaymentLinkCancel is POST /api/v1/payment-links/{id}/cancel with an optional {"comment": …}.
func (s *Server) apiPaymentLinkCancel(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var in commentIn
	if r.ContentLength != 0 && !decodeJSON(w, r, &in) {
		return
	}
	l, err := s.links.Cancel(r.Context(), id, in.Comment)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	s.apiPaymentLinkAnswer(w, r, http.StatusOK, l)
}

// apiPaymentLinkSend is POST /api/v1/payment-links/{id}/send: the link e-mailed to its contact once more.
func (s *Server) apiPaymentLinkSend(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	l, err := s.links.SendEmail(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	s.apiPaymentLinkAnswer(w, r, http.StatusOK, l)
}

// apiPaymentLinkAnswer writes l with its timeline.
func (s *Server) apiPaymentLinkAnswer(w http.ResponseWriter, r *http.Request, status int, l paylink.Link) {
	evs, err := s.links.Events(r.Context(), l.ID)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := paymentLinkDetailJSON{paymentLinkJSON: paymentLinkOut(l, s.links.Now()), Timeline: make([]orderEventJSON, 0, len(evs))}
	for _, e := range evs {
		out.Timeline = append(out.Timeline, orderEventJSON{Kind: e.Kind, Message: e.Message, Actor: e.Actor,
			CreatedAt: e.CreatedAt.UTC()})
	}
	writeJSON(w, status, out)
}

// apiPaymentLinkQR is GET /api/v1/payment-links/{id}/qr.png or qr.svg (ext): the QR code of the link's page, as
// the admin shows it (?download=1 for an attachment).
func (s *Server) apiPaymentLinkQR(ext string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err == nil {
			var l paylink.Link
			if l, err = s.links.Get(r.Context(), id); err == nil {
				err = writeLinkQR(w, r, l, ext)
			}
		}
		if err != nil {
			s.apiError(w, r, err)
		}
	}
}
