package server

import (
	"net/http"
	"time"

	"github.com/bursar/bursar/internal/order"
)

// proofJSON is a proof of payment in the API, without its bytes: FileURL gives them.
type proofJSON struct {
	ID          int64     `json:"id"`
	OrderID     int64     `json:"order_id"`
	PaymentID   *int64    `json:"payment_id"`
	ContactID   int64     `json:"contact_id"`
	PaidOn      string    `json:"paid_on"`
	Reference   string    `json:"reference"`
	FileName    string    `json:"file_name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	CreatedAt   time.Time `json:"created_at"`
	FileURL     string    `json:"file_url"`
}

func proofOut(p order.Proof) proofJSON {
	out := proofJSON{ID: p.ID, OrderID: p.OrderID, ContactID: p.ContactID, PaidOn: p.PaidOn.Format(time.DateOnly),
		Reference: p.Reference, FileName: p.FileName, ContentType: p.ContentType, Size: p.Size,
		CreatedAt: p.CreatedAt.UTC(), FileURL: "/api/v1/orders/" + itoa(p.OrderID) + "/proofs/" + itoa(p.ID) + "/file"}
	if p.PaymentID != 0 {
		out.PaymentID = &p.PaymentID
	}
	return out
}

// apiOrderProofs is GET /api/v1/orders/{id}/proofs: the order's proofs of payment, newest first, in one list.
func (s *Server) apiOrderProofs(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if _, err := s.orders.Get(r.Context(), id); err != nil {
		s.apiError(w, r, err)
		return
	}
	proofs, err := s.orders.Proofs(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := List[proofJSON]{Data: make([]proofJSON, 0, len(proofs))}
	for _, p := range proofs {
		out.Data = append(out.Data, proofOut(p))
	}
	writeJSON(w, http.StatusOK, out)
}

// apiOrderProofFile is GET /api/v1/orders/{id}/proofs/{proof}/file: the proof's bytes, as an attachment, served as
// the admin page serves them.
func (s *Server) apiOrderProofFile(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	pid, err := pathID(r, "proof")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	p, err := s.orders.ProofFile(r.Context(), id, pid)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	serveProof(w, p, false)
}
