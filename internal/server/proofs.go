package server

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/templates/admin"
	"github.com/bursar/bursar/templates/public"
)

// proofEnvelope bounds what an upload form may carry besides the file's bytes: the multipart boundaries and
// headers and the date and reference fields.
const proofEnvelope = 64 << 10

// maxBody is the bound limitForm puts on a form post to path: a proof-of-payment upload may carry the largest
// file; every other form a megabyte.
func maxBody(path string) int64 {
	if (strings.HasPrefix(path, "/account/orders/") || strings.HasPrefix(path, "/pay/")) && strings.HasSuffix(path, "/proofs") {
		return order.MaxProofSize + proofEnvelope
	}
	return 1 << 20
}

// proofUpload is a proof-of-payment form as sent.
type proofUpload struct {
	paidOn    string
	reference string
	fileName  string
	fileType  string // the Content-Type the browser declared: only compared with what the bytes are
	file      []byte // at most order.MaxProofSize + 1 bytes: enough to tell it is too large
}

// readProofUpload reads a proof-of-payment form (multipart/form-data) as it streams in: the request body is
// bounded to the largest file plus its envelope (limitForm's http.MaxBytesReader), the text fields to a few
// kilobytes each, and of the file no more than one byte past the largest is kept, so an oversized upload is refused
// without being held whole. Nothing before it may read the form (r.FormValue would parse all of it, files
// included). A field that is not text is a field error, as refuseUnclean answers for other forms.
func readProofUpload(r *http.Request) (proofUpload, error) {
	var u proofUpload
	mr, err := r.MultipartReader()
	if err != nil {
		return u, check.Field("file", order.MsgProofMissing)
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return u, nil
		}
		if err != nil {
			return u, uploadErr(err)
		}
		switch name := part.FormName(); name {
		case "file":
			u.fileName, u.fileType = part.FileName(), part.Header.Get("Content-Type")
			u.file, err = io.ReadAll(io.LimitReader(part, order.MaxProofSize+1))
		case "paid_on", "reference":
			var b []byte
			b, err = io.ReadAll(io.LimitReader(part, 4<<10))
			if err == nil && !check.Clean(string(b)) {
				err = check.Field(name, check.MsgNotText)
			}
			if name == "paid_on" {
				u.paidOn = strings.TrimSpace(string(b))
			} else {
				u.reference = string(b)
			}
		}
		_ = part.Close()
		if err != nil {
			return u, uploadErr(err)
		}
	}
}

// uploadErr names what went wrong reading an upload: past the body's bound it is the file that is too large.
func uploadErr(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return order.ErrProofTooLarge
	}
	if _, ok := check.AsErrors(err); ok {
		return err
	}
	return check.Field("file", order.MsgProofMissing) // a form cut short or not multipart: nothing to read
}

// receiveProof reads the proof-of-payment form of r (readProofUpload) and attaches it to order orderID of the
// payer contactID, as the actor in ctx (order.AttachProof); it returns the form as sent, to show it again.
func (s *Server) receiveProof(ctx context.Context, r *http.Request, orderID, contactID int64) (proofUpload, error) {
	u, err := readProofUpload(r)
	if err != nil {
		return u, err
	}
	paid, err := time.Parse(time.DateOnly, u.paidOn)
	if err != nil {
		return u, check.Field("paid_on", "is not a date")
	}
	_, _, err = s.orders.AttachProof(ctx, order.NewProof{OrderID: orderID, ContactID: contactID, PaidOn: paid,
		Reference: u.reference, FileName: u.fileName, DeclaredType: u.fileType, File: bytes.NewReader(u.file)})
	return u, err
}

// accountOrderProof is POST /account/orders/{number}/proofs: the student sends a proof of payment (the date they
// paid, the reference and a JPEG, PNG or PDF file) for their own manual order waiting for the school. Refused input
// shows the order page again with the form's messages (422) and stores nothing.
func (s *Server) accountOrderProof(w http.ResponseWriter, r *http.Request) {
	// The language comes from the query only: pageLang's r.FormValue would parse the whole upload first.
	number, qlang := chiURLParam(r, "number"), queryLang(r)
	st, ok, err := s.student(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !ok {
		http.Redirect(w, r, loginURL(cmp.Or(qlang, "en"), "/account/orders/"+url.PathEscape(number), ""), http.StatusSeeOther)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	ctx := r.Context()
	o, err := s.orders.ByNumber(ctx, number)
	if err == nil && o.ContactID != st.ContactID {
		err = order.NotFoundError(o.Number)
	}
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	lang := cmp.Or(qlang, o.Language)
	if !s.allowPost(w, r, "proof", lang) {
		return
	}
	u, err := s.receiveProof(studentActor(ctx, st.Email), r, o.ID, st.ContactID)
	if err == nil {
		s.flash(r, i18n.T(lang, i18n.ProofSent))
		http.Redirect(w, r, "/account/orders/"+url.PathEscape(o.Number)+"?lang="+lang, http.StatusSeeOther)
		return
	}
	status, flash, fields, ok := proofRefused(lang, err)
	if !ok {
		s.htmlError(w, r, err)
		return
	}
	v, err := s.orderStatusView(r, st.Email, o, lang)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v.Flash = flash
	u.refill(v.ProofForm, fields)
	s.render(w, r, status, public.OrderPage(v))
}

// proofRefused is how a page showing the proof form again answers err: its status, a message above the form
// (the order takes no more files) and the fields' messages in lang; ok is false for an error that is not the
// payer's to fix, left to htmlError.
func proofRefused(lang string, err error) (status int, flash string, fields map[string]string, ok bool) {
	if errors.Is(err, order.ErrNoProofs) {
		return http.StatusConflict, i18n.T(lang, i18n.ProofClosed), nil, true
	}
	e, ok := check.AsErrors(err)
	if !ok {
		return 0, "", nil, false
	}
	return http.StatusUnprocessableEntity, "", proofMessages(lang, e), true
}

// refill puts the form as sent and its messages back into f, when the page still shows a form.
func (u proofUpload) refill(f *public.ProofForm, fields map[string]string) {
	if f == nil || fields == nil {
		return
	}
	f.Date, f.Reference, f.Errors = u.paidOn, strings.TrimSpace(u.reference), fields
}

// queryLang is the ?lang= of r when it is a language of the public pages, else "".
func queryLang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); slices.Contains(i18n.Languages, l) {
		return l
	}
	return ""
}

// proofMessages translates the proof form's field errors.
func proofMessages(lang string, e check.Errors) map[string]string {
	out := make(map[string]string, len(e))
	for f, msg := range e {
		switch {
		case msg == order.MsgProofMissing:
			out[f] = i18n.T(lang, i18n.ErrProofMissing)
		case msg == order.MsgProofType:
			out[f] = i18n.T(lang, i18n.ErrProofType)
		case msg == order.MsgProofTooLarge:
			out[f] = i18n.T(lang, i18n.ErrProofTooLarge)
		case msg == order.MsgProofLimit:
			out[f] = i18n.T(lang, i18n.ErrProofLimit)
		case msg == order.MsgProofMismatch:
			out[f] = i18n.T(lang, i18n.ErrProofMismatch)
		case f == "paid_on" && strings.Contains(msg, "future"):
			out[f] = i18n.T(lang, i18n.ErrFutureDate)
		case f == "paid_on":
			out[f] = i18n.T(lang, i18n.ErrDate)
		default:
			out[f] = fieldMessage(lang, f, msg)
		}
	}
	return out
}

// proofForm is the upload form of order o when it takes a proof of payment (an open order paid through a manual
// system, below the file limit), else nil.
func (s *Server) proofForm(r *http.Request, o order.Order, lang string, sent int) (*public.ProofForm, error) {
	if o.Status != order.StatusOpen || sent >= order.MaxProofsPerOrder {
		return nil, nil
	}
	sys, err := s.systems.Get(r.Context(), o.PaymentSystemID)
	if err != nil || sys.Type != gateway.TypeManual {
		return nil, err
	}
	f := &public.ProofForm{Action: "/account/orders/" + url.PathEscape(o.Number) + "/proofs?lang=" + lang, MaxDate: dateText(time.Now()),
		Date: dateText(time.Now())}
	for _, p := range o.Payments {
		if p.Status == order.PaymentPending && !p.PaidOn.IsZero() {
			f.Date = p.PaidOn.Format(time.DateOnly)
		}
	}
	return f, nil
}

// proofRows are proofs for the student's order page.
func proofRows(ps []order.Proof) []public.ProofRow {
	out := make([]public.ProofRow, 0, len(ps))
	for _, p := range ps {
		out = append(out, public.ProofRow{FileName: p.FileName, Size: order.SizeText(p.Size),
			Type: order.ProofTypeName(p.ContentType), PaidOn: p.PaidOn.Format(time.DateOnly), Reference: p.Reference,
			Sent: dateText(p.CreatedAt)})
	}
	return out
}

// adminProofRows are proofs for the admin order page, with the links to their files.
func adminProofRows(ps []order.Proof, names *contactEmails) []admin.ProofRow {
	out := make([]admin.ProofRow, 0, len(ps))
	for _, p := range ps {
		u := "/admin/orders/" + itoa(p.OrderID) + "/proofs/" + itoa(p.ID)
		row := admin.ProofRow{FileName: p.FileName, Size: order.SizeText(p.Size), Type: order.ProofTypeName(p.ContentType),
			PaidOn: p.PaidOn.Format(time.DateOnly), Reference: p.Reference, Uploaded: p.CreatedAt.UTC().Format(timeFormat),
			By: names.of(p.ContactID), URL: u}
		if p.ContentType != order.ProofPDF {
			row.ViewURL = u + "?view=1"
		}
		out = append(out, row)
	}
	return out
}

// adminOrderProof is GET /admin/orders/{id}/proofs/{proof}: the file of a proof of payment, for signed-in staff
// only (the /admin group's requireAdmin). It is sent as stored — one of three content types detected from its
// bytes at upload, never sniffed again (nosniff) — under a CSP that runs nothing and a sandbox, and as an
// attachment unless ?view=1 asks to see an image in the browser.
func (s *Server) adminOrderProof(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	pid, err := pathID(r, "proof")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	p, err := s.orders.ProofFile(r.Context(), id, pid)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	serveProof(w, p, r.URL.Query().Get("view") == "1")
}

// serveProof writes a proof's file. Only images are ever shown inline: a PDF is always downloaded, opened by the
// manager's own reader rather than in the application's origin.
func serveProof(w http.ResponseWriter, p order.ProofFile, view bool) {
	disposition := "attachment"
	if view && p.ContentType != order.ProofPDF {
		disposition = "inline"
	}
	h := w.Header()
	h.Set("Content-Type", p.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(p.Body)))
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": p.FileName}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(p.Body)
}
