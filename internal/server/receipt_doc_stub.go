package server

import (
	"net/http"

	"github.com/bursar/bursar/internal/billing"
)

// writeReceiptDocument is a stand-in until the doc branch's receipt_doc.go is merged (then this file goes).
func (s *Server) writeReceiptDocument(w http.ResponseWriter, r *http.Request, d billing.Document, pdf bool) {
	if pdf {
		w.Header().Set("Content-Type", "application/pdf")
		_, _ = w.Write([]byte("%PDF-1.4\n% " + d.Receipt.Number + "\n%%EOF\n"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte("<!DOCTYPE html><title>" + d.Receipt.Number + "</title><h1>" + d.Receipt.Number + "</h1>"))
}
