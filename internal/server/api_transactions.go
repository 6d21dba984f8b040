package server

import (
	"net/http"
	"time"
)

// txnJSON is a transaction in the API: a payment or a refund. Amounts are minor units of currency; net is negative
// for a refund (money returned).
type txnJSON struct {
	Kind            string    `json:"kind"`
	ID              int64     `json:"id"`
	PaymentID       int64     `json:"payment_id"`
	OrderID         int64     `json:"order_id"`
	OrderNumber     string    `json:"order_number"`
	ContactID       *int64    `json:"contact_id"`
	ContactEmail    string    `json:"contact_email"`
	Placeholder     bool      `json:"placeholder_contact"`
	PaymentSystemID int64     `json:"payment_system_id"`
	GatewayRef      string    `json:"gateway_ref"`
	RefundRef       string    `json:"refund_ref"`
	Amount          int64     `json:"amount"`
	Currency        string    `json:"currency"`
	Fee             int64     `json:"fee"`
	Net             int64     `json:"net"`
	Status          string    `json:"status"`
	PaidOn          *string   `json:"paid_on"`
	CreatedAt       time.Time `json:"created_at"`
}

func (s *Server) apiTransactions(w http.ResponseWriter, r *http.Request) {
	limit, err := pageLimit(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	_, f, errs := txnFilterForm(r.URL.Query())
	if err := errs.Err(); err != nil {
		s.apiError(w, r, err)
		return
	}
	f.Limit = limit
	ctx := r.Context()
	page, err := s.orders.Transactions(ctx, f)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	contacts, err := s.newTxnContacts(ctx)
	if err == nil {
		err = contacts.load(ctx, page.Txns)
	}
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := List[txnJSON]{Data: make([]txnJSON, 0, len(page.Txns)), NextCursor: page.NextCursor}
	for _, t := range page.Txns {
		j := txnJSON{Kind: t.Kind, ID: t.ID, PaymentID: t.PaymentID, OrderID: t.OrderID, OrderNumber: t.OrderNumber,
			ContactID: positive(t.ContactID), PaymentSystemID: t.PaymentSystemID, GatewayRef: t.GatewayRef,
			RefundRef: t.RefundRef, Amount: t.Amount.Amount, Currency: t.Amount.Currency, Fee: t.Fee, Net: t.Net,
			Status: t.Status, CreatedAt: t.At.UTC()}
		j.ContactEmail, j.Placeholder = contacts.of(t.ContactID)
		if !t.PaidOn.IsZero() {
			d := t.PaidOn.Format(time.DateOnly)
			j.PaidOn = &d
		}
		out.Data = append(out.Data, j)
	}
	writeJSON(w, http.StatusOK, out)
}
