package server

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/paylink"
	"github.com/bursar/bursar/internal/qr"
	"github.com/bursar/bursar/templates/admin"
)

// The Payment links screens: the list (filters, keyset pages, CSV), a link's page (its progress, timeline, URL,
// QR code, e-mail and cancel) and the new-link form, from the screen or a contact's card. Every change goes
// through internal/paylink's use cases, as the API's.

func paymentLinkURL(id int64) string { return "/admin/payment-links/" + itoa(id) }

// paymentLinkFilter reads the filters the list, its CSV export and the API share: status, contact_id, offer_id,
// creator (admin:<id> or api:<id>), from and to (dates, to inclusive). Bad values are added to e.
func paymentLinkFilter(r *http.Request, e check.Errors) paylink.Filter {
	q := r.URL.Query()
	f := paylink.Filter{Status: paylink.Status(q.Get("status")), ContactID: queryID(r, "contact_id", e),
		OfferID: queryID(r, "offer_id", e)}
	if c := q.Get("creator"); c != "" {
		typ, id, ok := strings.Cut(c, ":")
		n, err := strconv.ParseInt(id, 10, 64)
		if !ok || err != nil || n <= 0 {
			e.Add("creator", "must be admin:<id> or api:<id>")
		}
		f.CreatorType, f.CreatorID = typ, n
	}
	for _, d := range []struct {
		name string
		dst  *time.Time
		end  bool
	}{{"from", &f.From, false}, {"to", &f.To, true}} {
		v := q.Get(d.name)
		if v == "" {
			continue
		}
		if t := parseDate(&v, d.name, e); t != nil {
			*d.dst = *t
			if d.end {
				*d.dst = t.AddDate(0, 0, 1) // to is inclusive
			}
		}
	}
	return f
}

// adminLinkFilter is the list's filter: paymentLinkFilter, with the contact also found by its e-mail (?email=).
// notice says why the list is empty without asking (no contact has the e-mail).
func (s *Server) adminLinkFilter(r *http.Request) (f paylink.Filter, v admin.LinkFilter, e check.Errors, notice string, err error) {
	q := r.URL.Query()
	e = check.Errors{}
	f = paymentLinkFilter(r, e)
	v = admin.LinkFilter{Status: q.Get("status"), ContactID: q.Get("contact_id"), Email: strings.TrimSpace(q.Get("email")),
		OfferID: q.Get("offer_id"), Creator: q.Get("creator"), From: q.Get("from"), To: q.Get("to")}
	if v.Email != "" && f.ContactID == 0 {
		c, cerr := s.contacts.ByEmail(r.Context(), v.Email)
		switch {
		case errors.Is(cerr, check.ErrNotFound):
			notice = "No contact has the e-mail " + v.Email + "."
		case cerr != nil:
			err = cerr
		default:
			f.ContactID = c.ID
		}
	}
	return f, v, e, notice, err
}

func (s *Server) adminPaymentLinks(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, fv, errs, notice, err := s.adminLinkFilter(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := admin.LinkList{Page: s.adminPage(r, "Payment links", "payment-links"), Filter: fv, Errors: errs, Notice: notice}
	for _, st := range paylink.Statuses {
		v.Statuses = append(v.Statuses, string(st))
	}
	if v.Offers, err = s.linkOffers(r, false); err != nil {
		s.serverError(w, r, err)
		return
	}
	if v.Creators, err = s.linkCreators(r); err != nil {
		s.serverError(w, r, err)
		return
	}
	csvQ := r.URL.Query()
	csvQ.Del("before")
	v.CSVURL = "/admin/payment-links.csv"
	if len(csvQ) > 0 {
		v.CSVURL += "?" + csvQ.Encode()
	}
	if len(errs) > 0 || notice != "" {
		status := http.StatusOK
		if len(errs) > 0 {
			status = http.StatusUnprocessableEntity
		}
		s.render(w, r, status, admin.LinksPage(v))
		return
	}
	f.BeforeID, f.Limit = parseID(r.URL.Query().Get("before")), ordersPageSize
	page, err := s.links.List(ctx, f)
	if e, ok := check.AsErrors(err); ok {
		v.Errors = e
		s.render(w, r, http.StatusUnprocessableEntity, admin.LinksPage(v))
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	names := &contactEmails{s: s, ctx: ctx, cache: map[int64]string{}}
	ids := make([]int64, len(page.Links))
	for i, l := range page.Links {
		ids[i] = l.ContactID
	}
	if err := names.load(ids); err != nil {
		s.serverError(w, r, err)
		return
	}
	now := s.links.Now()
	for _, l := range page.Links {
		v.Rows = append(v.Rows, admin.LinkRow{ID: l.ID, Status: string(l.StatusAt(now)), Title: l.Title,
			ContactID: l.ContactID, Contact: names.of(l.ContactID), Amount: l.Price.Format("en"),
			Creator: l.CreatorLabel, Opened: timeOrEmpty(l.LastOpenedAt), Expires: l.ExpiresAt.UTC().Format(timeFormat),
			Created: l.CreatedAt.UTC().Format(timeFormat)})
	}
	if page.NextBeforeID != 0 {
		nq := r.URL.Query()
		nq.Set("before", itoa(page.NextBeforeID))
		v.NextURL = "/admin/payment-links?" + nq.Encode()
	}
	s.render(w, r, http.StatusOK, admin.LinksPage(v))
}

func timeOrEmpty(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(timeFormat)
}

// linkOffers are the offers of a kind that is sold, as the list's filter choices; onSale keeps the ones a new link
// may be for (published, listed or not: paylink refuses the others).
func (s *Server) linkOffers(r *http.Request, onSale bool) ([]admin.Option, error) {
	list, err := s.offers.Offers(r.Context(), offer.Filter{Limit: offer.MaxList})
	if err != nil {
		return nil, err
	}
	var out []admin.Option
	for _, o := range list {
		if offer.Sold(o.Kind) && !offer.Enrolled(o.Kind) && !offer.Subscribed(o.Kind) && (!onSale || o.Status == offer.StatusPublished) {
			out = append(out, admin.Option{Value: itoa(o.ID), Label: o.Title + " (" + o.Price().Format("en") + ", " + o.Status + ")"})
		}
	}
	return out, nil
}

// linkCreators are the people and API keys that may have made links, as the creator filter's choices.
func (s *Server) linkCreators(r *http.Request) ([]admin.Option, error) {
	users, err := s.staff.Users(r.Context())
	if err != nil {
		return nil, err
	}
	keys, err := s.staff.APIKeys(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]admin.Option, 0, len(users)+len(keys))
	for _, u := range users {
		out = append(out, admin.Option{Value: "admin:" + itoa(u.ID), Label: u.Email})
	}
	for _, k := range keys {
		out = append(out, admin.Option{Value: "api:" + itoa(k.ID), Label: "API key " + k.Name})
	}
	return out, nil
}

// linkCSVHeader is the export's header row; amounts are decimal in the row's currency and in minor units.
var linkCSVHeader = []string{"id", "status", "created_at", "contact_email", "offer_id", "title", "currency", "amount",
	"amount_minor", "creator", "expires_at", "first_opened_at", "last_opened_at", "decided_at", "decline_reason",
	"order_id", "url"}

// adminPaymentLinksCSV is GET /admin/payment-links.csv: the filtered list, every page, as CSV.
func (s *Server) adminPaymentLinksCSV(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, _, errs, notice, err := s.adminLinkFilter(r)
	switch {
	case err != nil:
		s.serverError(w, r, err)
		return
	case len(errs) > 0:
		s.htmlError(w, r, errs)
		return
	}
	f.Limit = paylink.MaxList
	var page paylink.Page
	if notice == "" {
		// The first page is read before anything is written, so bad filters still get a proper answer.
		if page, err = s.links.List(ctx, f); err != nil {
			s.htmlError(w, r, err)
			return
		}
	}
	names := &contactEmails{s: s, ctx: ctx, cache: map[int64]string{}}
	now := s.links.Now()
	cw := startCSV(w, "payment-links", now, linkCSVHeader)
	rfc := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	for {
		ids := make([]int64, len(page.Links))
		for i, l := range page.Links {
			ids[i] = l.ContactID
		}
		if err := names.load(ids); err != nil {
			s.log.Error("payment links export", "err", err)
			return
		}
		for _, l := range page.Links {
			offerID := ""
			if l.OfferID != 0 {
				offerID = itoa(l.OfferID)
			}
			orderID := ""
			if l.OrderID != 0 {
				orderID = itoa(l.OrderID)
			}
			_ = cw.Write([]string{itoa(l.ID), string(l.StatusAt(now)), l.CreatedAt.UTC().Format(time.RFC3339),
				csvText(names.of(l.ContactID)), offerID, csvText(l.Title), l.Price.Currency, l.Price.Decimal(),
				strconv.FormatInt(l.Price.Amount, 10), csvText(l.CreatorLabel), l.ExpiresAt.UTC().Format(time.RFC3339),
				rfc(l.FirstOpenedAt), rfc(l.LastOpenedAt), rfc(l.DecidedAt), csvText(l.DeclineReason), orderID, l.URL})
		}
		cw.Flush()
		if cw.Error() != nil || page.NextBeforeID == 0 {
			return
		}
		f.BeforeID = page.NextBeforeID
		if page, err = s.links.List(ctx, f); err != nil {
			s.log.Error("payment links export", "err", err)
			return
		}
	}
}

// adminPaymentLink is a link's page: its status and progress (sent → opened → paid or declined), its timeline, the
// order its payment opened, the URL to copy, its QR code, and the e-mail and cancel actions.
func (s *Server) adminPaymentLink(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	l, err := s.links.Get(ctx, id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	evs, err := s.links.Events(ctx, id)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	names := &contactEmails{s: s, ctx: ctx, cache: map[int64]string{}}
	st := l.StatusAt(s.links.Now())
	v := admin.LinkView{Page: s.adminPage(r, "Payment link "+itoa(id), "payment-links"), ID: l.ID, Status: string(st),
		Title: l.Title, OfferID: l.OfferID, ContactID: l.ContactID, Contact: names.of(l.ContactID),
		Amount: l.Price.Format("en"), Language: l.Language, Note: l.Note, DeclineReason: l.DeclineReason,
		Creator: l.CreatorLabel, Created: l.CreatedAt.UTC().Format(timeFormat),
		Expires: l.ExpiresAt.UTC().Format(timeFormat), URL: l.URL, OrderID: l.OrderID, VoidedBy: l.VoidedBy,
		Active: st == paylink.StatusActive}
	if l.DecidedAt != nil {
		v.Decided = l.DecidedAt.UTC().Format(timeFormat) + " · " + l.DecidedBy
	}
	for _, id := range l.PaymentSystemIDs {
		if sys, err := s.systems.Get(ctx, id); err == nil {
			v.Systems = append(v.Systems, sys.Name)
		}
	}
	v.Steps = linkSteps(l, st, evs)
	for _, e := range evs {
		v.Events = append(v.Events, admin.EventRow{At: e.CreatedAt.UTC().Format(timeFormat), Kind: e.Kind,
			Message: e.Message, Actor: e.Actor})
	}
	s.render(w, r, http.StatusOK, admin.LinkPage(v))
}

// linkSteps is the link's progress: created, sent, opened, and how it ended (or that it waits).
func linkSteps(l paylink.Link, st paylink.Status, evs []paylink.Event) []admin.LinkStep {
	steps := []admin.LinkStep{{Label: "Created", At: l.CreatedAt.UTC().Format(timeFormat), Done: true}}
	sent := admin.LinkStep{Label: "Sent by e-mail"}
	for _, e := range evs {
		if e.Kind == paylink.EventSent {
			sent.At, sent.Done = e.CreatedAt.UTC().Format(timeFormat), true
		}
	}
	steps = append(steps, sent, admin.LinkStep{Label: "Opened", At: timeOrEmpty(l.FirstOpenedAt), Done: l.FirstOpenedAt != nil})
	end := admin.LinkStep{Label: "Paid or declined"}
	if st != paylink.StatusActive {
		end.Label, end.Done = strings.ToUpper(string(st[:1]))+string(st[1:]), true
		end.At = timeOrEmpty(l.DecidedAt)
	}
	return append(steps, end)
}

// adminPaymentLinkQR is GET /admin/payment-links/{id}/qr.{png,svg}: the link's URL as a QR code (internal/qr), to
// show or print; ?download=1 saves it as a file.
func (s *Server) adminPaymentLinkQR(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	l, err := s.links.Get(r.Context(), id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	switch err := writeLinkQR(w, r, l, chiURLParam(r, "ext")); {
	case errors.Is(err, errNoQRFormat):
		s.notFound(w, r)
	case err != nil:
		s.serverError(w, r, err)
	}
}

// errNoQRFormat: the QR code was asked for in a format other than png and svg.
var errNoQRFormat = errors.New("no such QR code format")

// writeLinkQR answers the QR code of link l's page in the format ext names (png or svg), as an attachment when
// ?download=1; nothing is written when it returns an error.
func writeLinkQR(w http.ResponseWriter, r *http.Request, l paylink.Link, ext string) error {
	var (
		body  []byte
		ctype string
		err   error
	)
	switch ext {
	case "png":
		body, err = qr.PNG(l.URL, 8)
		ctype = "image/png"
	case "svg":
		body, err = qr.SVG(l.URL, "Payment link "+itoa(l.ID)+": "+l.Title)
		ctype = "image/svg+xml"
	default:
		return errNoQRFormat
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	if d := r.URL.Query().Get("download"); d == "1" || d == "true" {
		w.Header().Set("Content-Disposition", `attachment; filename="payment-link-`+itoa(l.ID)+`.`+ext+`"`)
	}
	_, _ = w.Write(body)
	return nil
}

// adminPaymentLinkSend is POST /admin/payment-links/{id}/send: the link e-mailed to its contact (again).
func (s *Server) adminPaymentLinkSend(w http.ResponseWriter, r *http.Request) {
	s.adminLinkAction(w, r, "The link is on its way to the contact by e-mail.", func(id int64) error {
		_, err := s.links.SendEmail(r.Context(), id)
		return err
	})
}

// adminPaymentLinkCancel is POST /admin/payment-links/{id}/cancel with an optional comment: the link stops working
// at once and the open order its payment started is cancelled.
func (s *Server) adminPaymentLinkCancel(w http.ResponseWriter, r *http.Request) {
	s.adminLinkAction(w, r, "Payment link cancelled.", func(id int64) error {
		_, err := s.links.Cancel(r.Context(), id, strings.TrimSpace(r.PostFormValue("comment")))
		return err
	})
}

// adminLinkAction runs do on the link of the path and goes back to its page with done, or with why it could not
// (a conflict's message: the link was paid or closed meanwhile).
func (s *Server) adminLinkAction(w http.ResponseWriter, r *http.Request, done string, do func(id int64) error) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	err = do(id)
	var se *check.StateError
	switch {
	case err == nil:
		s.flash(r, done)
	case errors.As(err, &se):
		s.flash(r, se.Message)
	default:
		s.htmlError(w, r, err)
		return
	}
	http.Redirect(w, r, paymentLinkURL(id), http.StatusSeeOther)
}

// adminPaymentLinkNew is the new-link form; ?contact_id= fills in the contact (from the contact's card).
func (s *Server) adminPaymentLinkNew(w http.ResponseWriter, r *http.Request) {
	v := admin.LinkNew{Token: newFormToken(), OfferID: r.URL.Query().Get("offer_id"), Currency: "EUR", SendEmail: true}
	if id := parseID(r.URL.Query().Get("contact_id")); id > 0 {
		c, err := s.contacts.Contact(r.Context(), id)
		if err != nil {
			s.htmlError(w, r, err)
			return
		}
		v.ContactEmail, v.BackURL = c.Email, "/admin/contacts/"+itoa(id)
	}
	s.renderLinkNew(w, r, http.StatusOK, v)
}

func (s *Server) renderLinkNew(w http.ResponseWriter, r *http.Request, status int, v admin.LinkNew) {
	var err error
	if v.Offers, err = s.linkOffers(r, true); err != nil {
		s.serverError(w, r, err)
		return
	}
	all, err := s.paymentSystems.All(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, sys := range all {
		if sys.Enabled {
			v.Systems = append(v.Systems, admin.Option{Value: itoa(sys.ID), Label: sys.Name + " (" + sys.Type + ")"})
		}
	}
	v.Languages = paylink.Languages
	v.Page = s.adminPage(r, "New payment link", "payment-links")
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	s.render(w, r, status, admin.LinkNewPage(v))
}

// adminPaymentLinkCreate is POST /admin/payment-links: paylink's Create from the form, once per form token; bad
// input is the form again with a message on each field.
func (s *Server) adminPaymentLinkCreate(w http.ResponseWriter, r *http.Request) {
	pf := r.PostForm
	v := admin.LinkNew{Token: pf.Get("form_token"), ContactEmail: strings.TrimSpace(pf.Get("contact_email")),
		OfferID: pf.Get("offer_id"), Amount: strings.TrimSpace(pf.Get("amount")),
		Currency: strings.ToUpper(strings.TrimSpace(pf.Get("currency"))), Description: strings.TrimSpace(pf.Get("description")),
		SystemIDs: pf["payment_system_ids"], Expires: strings.TrimSpace(pf.Get("expires_at")), Language: pf.Get("language"),
		Note: strings.TrimSpace(pf.Get("note")), SendEmail: pf.Get("send_email") == "1", BackURL: pf.Get("back")}
	in, e := s.linkForm(r, v)
	err := e.Err()
	if err == nil {
		err = s.submitOnce(w, r, "Payment link created.", func() (string, error) {
			l, err := s.links.Create(r.Context(), in)
			if err != nil {
				return "", err
			}
			return paymentLinkURL(l.ID), nil
		})
	}
	if ce, ok := check.AsErrors(err); ok {
		if msg, bad := ce["contact_id"]; bad {
			ce.Add("contact_email", msg)
		}
		v.Errors = ce
		s.renderLinkNew(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	if err != nil {
		s.htmlError(w, r, err)
	}
}

// linkForm turns the new-link form into a paylink.Input, naming what cannot be read.
func (s *Server) linkForm(r *http.Request, v admin.LinkNew) (paylink.Input, check.Errors) {
	in := paylink.Input{Language: v.Language, Note: v.Note, SendEmail: v.SendEmail}
	e := check.Errors{}
	in.ContactID = s.formContact(r.Context(), v.ContactEmail, e)
	if v.OfferID != "" {
		if in.OfferID = parseID(v.OfferID); in.OfferID <= 0 {
			e.Add("offer_id", "choose an offer")
		}
		if v.Amount != "" || v.Description != "" {
			e.Add("offer_id", "choose an offer or give a custom amount, not both")
		}
	} else {
		in.Currency, in.Description = v.Currency, v.Description
		if v.Amount == "" {
			e.Add("amount", "choose an offer, or give the amount to pay")
		} else if a, err := money.ParseDecimal(v.Amount, v.Currency); err != nil {
			e.Add("amount", amountReason(err))
		} else {
			in.Amount = a
		}
	}
	for _, raw := range v.SystemIDs {
		if id := parseID(raw); id > 0 && !slices.Contains(in.PaymentSystemIDs, id) {
			in.PaymentSystemIDs = append(in.PaymentSystemIDs, id)
		}
	}
	if v.Expires != "" {
		d, err := time.Parse(time.DateOnly, v.Expires)
		if err != nil {
			e.Add("expires_at", "must be a date such as 2026-01-31")
		}
		in.ExpiresAt = d.Add(24*time.Hour - time.Second) // the end of that day, UTC
	}
	return in, e
}

// contactLinksURL is the list of the links of contact id.
func contactLinksURL(id int64) string {
	return "/admin/payment-links?" + url.Values{"contact_id": {itoa(id)}}.Encode()
}
