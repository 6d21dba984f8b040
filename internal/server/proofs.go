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
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/importer"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/templates/admin"
	"github.com/bursar/bursar/templates/public"
)

// proofEnvelope bounds what an upload form may carry besides the file's bytes: the multipart boundaries and
// headers and the date and reference fields.
const proofEnvelope = 64 << 10

// maxBody is the bound limitForm puts on a form post: a form that may carry a proof of payment (the upload on the
// order page or a payment link's page, or the manual checkout's form sent as multipart/form-data) the largest file and its envelope; every
// other form a megabyte.
func maxBody(r *http.Request) int64 {
	p := r.URL.Path
	if (strings.HasPrefix(p, "/account/orders/") || strings.HasPrefix(p, "/pay/")) && strings.HasSuffix(p, "/proofs") ||
		strings.HasPrefix(p, "/o/") && strings.HasSuffix(p, "/pay") && isMultipart(r) {
		return order.MaxProofSize + proofEnvelope
	}
	if isImportUpload(r) {
		return importer.MaxFileSize + importEnvelope
	}
	return 1 << 20
}

func isMultipart(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data")
}

// proofUpload is the file of a proof-of-payment form as sent; an empty one when the form had none.
type proofUpload struct {
	fileName string
	fileType string // the Content-Type the browser declared: only compared with what the bytes are
	file     []byte // at most order.MaxProofSize + 1 bytes: enough to tell it is too large
}

// present reports whether a file was chosen (a browser sends an empty part without a name when none was).
func (u proofUpload) present() bool { return u.fileName != "" || len(u.file) > 0 }

// readProofForm reads a form with a proof of payment (multipart/form-data) as it streams in: the request body is
// bounded to the largest file plus its envelope (limitForm's http.MaxBytesReader), each text field to a few
// kilobytes, and of the file no more than one byte past the largest is kept, so an oversized upload is refused
// without being held whole. The text fields become r.PostForm, so r.PostFormValue reads them as for any form;
// nothing before may read the form (r.FormValue would parse all of it, file included). A field that is not text is
// a field error, as refuseUnclean answers for other forms.
func readProofForm(r *http.Request) (proofUpload, error) {
	var u proofUpload
	r.PostForm = url.Values{}
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
		if name := part.FormName(); name == "file" {
			u.fileName, u.fileType = part.FileName(), part.Header.Get("Content-Type")
			u.file, err = io.ReadAll(io.LimitReader(part, order.MaxProofSize+1))
		} else if name != "" {
			var b []byte
			b, err = io.ReadAll(io.LimitReader(part, 8<<10))
			if err == nil && !check.Clean(string(b)) {
				err = check.Field(name, check.MsgNotText)
			}
			r.PostForm.Add(name, string(b))
		}
		_ = part.Close()
		if err != nil {
			return u, uploadErr(err)
		}
	}
}

// checkoutProof reads the manual checkout's form when it comes with a proof of payment (multipart/form-data, the
// file optional): r.PostForm gets its fields, and a chosen file is checked as order.AttachProof will check it, so
// that a bad one opens no order either. It returns the file to attach once the order is open (nil without one) and
// the file's message in lang.
func checkoutProof(r *http.Request, lang string) (*proofUpload, map[string]string, error) {
	if !isMultipart(r) {
		return nil, nil, nil
	}
	u, err := readProofForm(r)
	if err == nil && u.present() {
		err = order.CheckProof(u.proof(0, 0, time.Time{}, ""))
	}
	if e, ok := check.AsErrors(err); ok {
		return nil, proofMessages(lang, e), nil
	}
	if err != nil || !u.present() {
		return nil, nil, err
	}
	return &u, nil, nil
}

// attachCheckoutProof attaches the proof sent with the manual checkout's form to the order it opened (or the open
// order it found): the payment's date, and its comment as the reference (as much as a reference holds).
func (s *Server) attachCheckoutProof(ctx context.Context, u *proofUpload, o order.Order, paid time.Time, comment string) error {
	if u == nil {
		return nil
	}
	if r := []rune(comment); len(r) > order.MaxProofReference {
		comment = string(r[:order.MaxProofReference])
	}
	_, _, err := s.orders.AttachProof(ctx, u.proof(o.ID, o.ContactID, paid, comment))
	return err
}

// proof is the input of order.AttachProof for this file.
func (u proofUpload) proof(orderID, contactID int64, paid time.Time, reference string) order.NewProof {
	return order.NewProof{OrderID: orderID, ContactID: contactID, PaidOn: paid, Reference: reference,
		FileName: u.fileName, DeclaredType: u.fileType, File: bytes.NewReader(u.file)}
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

// receiveProof reads the proof-of-payment form of r (readProofForm) and attaches it to order orderID of the payer
// contactID, as the actor in ctx (order.AttachProof). The form's text fields stay in r.PostForm, to show them again.
func (s *Server) receiveProof(ctx context.Context, r *http.Request, orderID, contactID int64) error {
	u, err := readProofForm(r)
	if err != nil {
		return err
	}
	paid, err := time.Parse(time.DateOnly, strings.TrimSpace(r.PostFormValue("paid_on")))
	if err != nil {
		return check.Field("paid_on", "is not a date")
	}
	_, _, err = s.orders.AttachProof(ctx, u.proof(orderID, contactID, paid, r.PostFormValue("reference")))
	return err
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

// refillProof puts the form as sent in r and its messages back into f, when the page still shows a form.
func refillProof(r *http.Request, f *public.ProofForm, fields map[string]string) {
	if f == nil || fields == nil {
		return
	}
	f.Date, f.Reference, f.Errors = strings.TrimSpace(r.PostFormValue("paid_on")), strings.TrimSpace(r.PostFormValue("reference")), fields
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
	err = s.receiveProof(studentActor(ctx, st.Email), r, o.ID, st.ContactID)
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
	refillProof(r, v.ProofForm, fields)
	s.render(w, r, status, public.OrderPage(v))
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
			Type: order.ProofTypeName(p.ContentType), PaidOn: p.PaidOn.Format(time.DateOnly), Reference: p.Reference})
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
	p, err := s.pathProof(r)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	serveProof(w, p, r.URL.Query().Get("view") == "1")
}

// pathProof is the proof {proof} of order {id}, with its bytes.
func (s *Server) pathProof(r *http.Request) (order.ProofFile, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return order.ProofFile{}, err
	}
	pid, err := pathID(r, "proof")
	if err != nil {
		return order.ProofFile{}, err
	}
	return s.orders.ProofFile(r.Context(), id, pid)
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
	cd := mime.FormatMediaType(disposition, map[string]string{"filename": p.FileName})
	if cd == "" { // a name it cannot encode: never go without the header (a browser would show the file inline)
		cd = disposition + `; filename="proof` + path.Ext(p.FileName) + `"`
	}
	h.Set("Content-Disposition", cd)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(p.Body)
}
