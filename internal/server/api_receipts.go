package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
)

// receiptJSON is a receipt in the API; amount, fee (the enrollment fee included in amount), paid and due (what is
// left while it is open, else 0) are in minor units of currency.
type receiptJSON struct {
	ID            int64      `json:"id"`
	Number        string     `json:"number"`
	Status        string     `json:"status"`
	EnrollmentID  int64      `json:"enrollment_id"`
	Period        int        `json:"period"`
	PayerID       int64      `json:"payer_id"`
	LearnerID     int64      `json:"learner_id"`
	OfferID       int64      `json:"offer_id"`
	Title         string     `json:"title"`
	Amount        int64      `json:"amount"`
	Currency      string     `json:"currency"`
	Fee           int64      `json:"fee"`
	Paid          int64      `json:"paid"`
	Due           int64      `json:"due"`
	PeriodStart   time.Time  `json:"period_start"`
	PeriodEnd     time.Time  `json:"period_end"`
	DueAt         time.Time  `json:"due_at"`
	GraceUntil    time.Time  `json:"grace_until"`
	PaymentLinkID *int64     `json:"payment_link_id"`
	PayURL        string     `json:"pay_url"` // the payer's page while the receipt is open
	Reminded      int        `json:"reminded"`
	IssuedAt      time.Time  `json:"issued_at"`
	PaidAt        *time.Time `json:"paid_at"`
	DecidedAt     *time.Time `json:"decided_at"`
	DecidedBy     string     `json:"decided_by"`
	Note          string     `json:"note"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// receiptPaymentJSON is money that paid (part of) a receipt.
type receiptPaymentJSON struct {
	ID         int64     `json:"id"`
	Method     string    `json:"method"` // order or cash
	OrderID    *int64    `json:"order_id"`
	Amount     int64     `json:"amount"`
	Currency   string    `json:"currency"`
	PaidOn     string    `json:"paid_on"`
	Note       string    `json:"note"`
	RecordedBy string    `json:"recorded_by"`
	CreatedAt  time.Time `json:"created_at"`
}

// receiptDetailJSON is a receipt with its payments (GET /receipts/{id} and the actions' answers).
type receiptDetailJSON struct {
	receiptJSON
	Payments []receiptPaymentJSON `json:"payments"`
}

func receiptOut(rc billing.Receipt) receiptJSON {
	out := receiptJSON{ID: rc.ID, Number: rc.Number, Status: string(rc.Status), EnrollmentID: rc.EnrollmentID,
		Period: rc.Period, PayerID: rc.PayerID, LearnerID: rc.LearnerID, OfferID: rc.OfferID, Title: rc.Title,
		Amount: rc.Amount.Amount, Currency: rc.Amount.Currency, Fee: rc.Fee, Paid: rc.Paid,
		PeriodStart: rc.PeriodStart.UTC(), PeriodEnd: rc.PeriodEnd.UTC(), DueAt: rc.DueAt.UTC(),
		GraceUntil: rc.GraceUntil.UTC(), PaymentLinkID: positive(rc.LinkID), PayURL: rc.PayURL,
		Reminded: rc.Reminded, IssuedAt: rc.IssuedAt.UTC(), PaidAt: utcPtr(rc.PaidAt), DecidedAt: utcPtr(rc.DecidedAt),
		DecidedBy: rc.DecidedBy, Note: rc.Note, UpdatedAt: rc.UpdatedAt.UTC()}
	if rc.Status.Open() {
		out.Due = rc.Due().Amount
	}
	return out
}

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
		out.Data = append(out.Data, receiptOut(rc))
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
	out := receiptDetailJSON{receiptJSON: receiptOut(rc), Payments: make([]receiptPaymentJSON, 0, len(pays))}
	for _, p := range pays {
		out.Payments = append(out.Payments, receiptPaymentJSON{ID: p.ID, Method: p.Method, OrderID: positive(p.OrderID),
			Amount: p.Amount.Amount, Currency: p.Amount.Currency, PaidOn: p.PaidOn.Format(time.DateOnly), Note: p.Note,
			RecordedBy: p.RecordedBy, CreatedAt: p.CreatedAt.UTC()})
	}
	writeJSON(w, status, out)
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
