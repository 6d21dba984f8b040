package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/apiview"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/paylink"
)

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
		out.Data = append(out.Data, apiview.PaymentLinkOf(l, now))
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
	writeJSON(w, status, apiview.PaymentLinkDetailOf(l, s.links.Now(), evs))
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
