package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/apiview"
	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
)

func (s *Server) apiReceipts(w http.ResponseWriter, r *http.Request) {
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
	f := receiptFilter(r, s.schoolLocation(r.Context()), e)
	f.BeforeID, f.Limit = before, limit
	if err := e.Err(); err != nil {
		s.apiError(w, r, err)
		return
	}
	page, err := s.billing.Receipts(r.Context(), f)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := List[receiptJSON]{Data: make([]receiptJSON, 0, len(page.Receipts))}
	for _, rc := range page.Receipts {
		out.Data = append(out.Data, apiview.ReceiptOf(rc))
	}
	if page.NextBeforeID != 0 {
		out.NextCursor = encodeCursor(page.NextBeforeID)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiReceipt(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	rc, err := s.billing.Receipt(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	s.apiReceiptAnswer(w, r, http.StatusOK, rc)
}

// cashIn is the body of POST /api/v1/receipts/{id}/payments.
type cashIn struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	PaidOn   string `json:"paid_on"` // YYYY-MM-DD; empty: today
	Note     string `json:"note"`
}

// apiReceiptPayment is POST /api/v1/receipts/{id}/payments: cash recorded against the receipt; answers the receipt
// with its payments, 201.
func (s *Server) apiReceiptPayment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var in cashIn
	if !decodeJSON(w, r, &in) {
		return
	}
	p := billing.CashPayment{Amount: money.Money{Amount: in.Amount, Currency: strings.ToUpper(strings.TrimSpace(in.Currency))},
		Note: strings.TrimSpace(in.Note)}
	if in.PaidOn != "" {
		e := check.Errors{}
		if d := parseDate(&in.PaidOn, "paid_on", e); d != nil {
			p.PaidOn = *d
		}
		if err := e.Err(); err != nil {
			s.apiError(w, r, err)
			return
		}
	}
	rc, err := s.billing.RecordPayment(r.Context(), id, p)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	s.apiReceiptAnswer(w, r, http.StatusCreated, rc)
}

// apiReceiptWaive is POST /api/v1/receipts/{id}/waive with {"reason": …}.
func (s *Server) apiReceiptWaive(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	reason, ok := readReason(w, r)
	if !ok {
		return
	}
	rc, err := s.billing.Waive(r.Context(), id, reason)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	s.apiReceiptAnswer(w, r, http.StatusOK, rc)
}

// graceIn is the body of POST /api/v1/receipts/{id}/extend-grace.
type graceIn struct {
	Until *time.Time `json:"until"` // RFC 3339
}

// apiReceiptExtendGrace is POST /api/v1/receipts/{id}/extend-grace with {"until": RFC 3339}.
func (s *Server) apiReceiptExtendGrace(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var in graceIn
	if !decodeJSON(w, r, &in) {
		return
	}
	if in.Until == nil {
		s.apiError(w, r, check.Field("until", "is required: a time such as 2027-02-10T00:00:00Z"))
		return
	}
	rc, err := s.billing.ExtendGrace(r.Context(), id, *in.Until)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	s.apiReceiptAnswer(w, r, http.StatusOK, rc)
}

// apiReceiptAnswer writes rc with its payments.
func (s *Server) apiReceiptAnswer(w http.ResponseWriter, r *http.Request, status int, rc billing.Receipt) {
	pays, err := s.billing.Payments(r.Context(), rc.ID)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, status, apiview.ReceiptDetailOf(rc, pays))
}

// apiReceiptDocument is GET /api/v1/receipts/{id}/document.pdf: the receipt's PDF.
func (s *Server) apiReceiptDocument(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	d, err := s.billing.Document(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	s.writeReceiptDocument(w, r, d, true)
}
