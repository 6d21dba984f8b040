package server

import (
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/receiptdoc"
	"github.com/bursar/bursar/templates/public"
)

// The printable receipt, for the routes of the cabinet and the admin that show one: each reads its Document (with
// the checks its reader needs) and calls writeReceiptDocument with pdf = receiptDocPDF(r). The HTML page links to
// its PDF at the same path with ?format=pdf.

// receiptDocPDF reports whether r asks for the receipt's PDF (?format=pdf) rather than its page.
func receiptDocPDF(r *http.Request) bool { return r.URL.Query().Get("format") == "pdf" }

// writeReceiptDocument answers the printable receipt d: its HTML page in d.Language, or (pdf) its PDF as the
// download "<number>.pdf". Neither is kept by a shared cache or the browser: a receipt names people and amounts.
func (s *Server) writeReceiptDocument(w http.ResponseWriter, r *http.Request, d billing.Document, pdf bool) {
	w.Header().Set("Cache-Control", "private, no-store")
	if !pdf {
		q := r.URL.Query()
		q.Set("format", "pdf")
		u := *r.URL
		u.RawQuery = q.Encode()
		s.render(w, r, http.StatusOK, public.ReceiptDocPage(public.ReceiptDoc{View: receiptdoc.Build(d),
			PDFURL: u.RequestURI()}))
		return
	}
	b, err := receiptdoc.PDF(d)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": receiptFilename(d.Receipt.Number)}))
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// receiptFilename is "<number>.pdf" with anything but letters, digits, '-' and '_' left out ("receipt.pdf" when
// nothing is left).
func receiptFilename(number string) string {
	n := strings.Map(func(c rune) rune {
		if c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			return c
		}
		return -1
	}, number)
	if n == "" {
		n = "receipt"
	}
	return n + ".pdf"
}
