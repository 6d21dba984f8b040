package server

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/paylink"
	"github.com/bursar/bursar/templates/admin"
)

// blankFieldRows is how many empty registration field rows the offer form offers for new fields.
const blankFieldRows = 3

func (s *Server) adminOffers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	f := offer.Filter{Status: q.Get("status"), Query: q.Get("q"), AfterID: after, Limit: adminPageSize}
	if !slices.Contains(offer.Statuses, f.Status) {
		f.Status = ""
	}
	offers, err := s.offers.Offers(r.Context(), f)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := admin.Offers{Page: s.adminPage(r, "Offers", "offers"), Query: f.Query, Status: f.Status, Statuses: offer.Statuses}
	for _, o := range offers {
		v.Rows = append(v.Rows, admin.OfferRow{ID: o.ID, Title: o.Title, Slug: o.Slug, Price: o.Price().Format("en"),
			Terms: offerTerms(o), Status: o.Status})
	}
	if len(offers) == adminPageSize {
		next := url.Values{"after": {itoa(offers[len(offers)-1].ID)}}
		for _, k := range []string{"q", "status"} {
			if q.Get(k) != "" {
				next.Set(k, q.Get(k))
			}
		}
		v.NextURL = "/admin/offers?" + next.Encode()
	}
	s.render(w, r, http.StatusOK, admin.OffersPage(v))
}

// offerFormView is the form showing in, with numbers as their decimal text.
func offerFormView(in offer.Input) admin.OfferForm {
	v := admin.OfferForm{Title: in.Title, Slug: in.Slug, Description: in.Description, Status: in.Status,
		Currency: in.Currency, Kind: in.Kind, Interval: in.Interval, GuestCheckout: in.GuestCheckout,
		Unlisted: in.Unlisted, Language: in.Language, SuccessURL: in.SuccessURL, SuccessMessage: in.SuccessMessage,
		FailureURL: in.FailureURL, FailureMessage: in.FailureMessage, ContactEmail: in.Contact.Email,
		ContactPhone: in.Contact.Phone, ContactNote: in.Contact.Note, ManualConfirmDays: strconv.Itoa(in.ManualConfirmDays),
		RefundAccess: in.RefundAccess, DisputeAccess: in.DisputeAccess}
	if in.Amount != 0 {
		v.Price = money.Money{Amount: in.Amount, Currency: in.Currency}.Decimal()
	}
	v.IntervalDays, v.Installments, v.AccessDays = optItoa(in.IntervalDays), optItoa(in.Installments), optItoa(in.AccessDays)
	v.IntervalCount, v.TrialDays, v.MaxCharges = strconv.Itoa(max(in.IntervalCount, 1)), optItoa(in.TrialDays), optItoa(in.MaxCharges)
	v.BillingEvery, v.BillingUnit, v.BillingDay = strconv.Itoa(in.BillingEvery), in.BillingUnit, optItoa(in.BillingDay)
	v.BillingPeriods, v.GraceDays, v.RemindDays = optItoa(in.BillingPeriods), strconv.Itoa(in.GraceDays), strconv.Itoa(in.RemindDays)
	v.UnlockByPart, v.BillingUnits = in.UnlockByPart, offer.BillingUnits
	if in.EnrollmentFee != 0 {
		v.EnrollmentFee = money.Money{Amount: in.EnrollmentFee, Currency: in.Currency}.Decimal()
	}
	for _, f := range in.RegistrationFields {
		v.Fields = append(v.Fields, admin.RegistrationFieldRow{Key: f.Key, Label: f.Label, Type: f.Type,
			Required: f.Required, Options: strings.Join(f.Options, "\n")})
	}
	return v
}

func optItoa(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// offerInputFrom reads the offer form onto base. Values that are not numbers are field errors in e; the form as
// typed is returned for showing back.
func offerInputFrom(r *http.Request, base offer.Input) (offer.Input, admin.OfferForm, check.Errors) {
	e := check.Errors{}
	pf := r.PostForm
	in := base
	in.Title, in.Slug, in.Description = pf.Get("title"), pf.Get("slug"), pf.Get("description")
	in.Currency = strings.ToUpper(strings.TrimSpace(pf.Get("currency")))
	in.Kind, in.Interval, in.Language = pf.Get("kind"), pf.Get("interval"), pf.Get("language")
	in.GuestCheckout = pf.Get("guest_checkout") != ""
	in.Unlisted = pf.Get("unlisted") != ""
	// A form without the policies (posted by a script written before they existed) keeps the offer's.
	if v, ok := pf["refund_access"]; ok {
		in.RefundAccess = strings.Join(v, ",")
	}
	if v, ok := pf["dispute_access"]; ok {
		in.DisputeAccess = strings.Join(v, ",")
	}
	in.SuccessURL, in.SuccessMessage = pf.Get("success_url"), pf.Get("success_message")
	in.FailureURL, in.FailureMessage = pf.Get("failure_url"), pf.Get("failure_message")
	in.Contact = offer.Contact{Email: pf.Get("contact_email"), Phone: pf.Get("contact_phone"), Note: pf.Get("contact_note")}
	in.ProductIDs = formIDs(e, pf["product_ids"], "product_ids")
	in.PaymentSystemIDs = formIDs(e, pf["payment_system_ids"], "payment_system_ids")
	in.Amount = 0
	if p := strings.TrimSpace(pf.Get("price")); p == "" {
		e.Add("price", "is required")
	} else if a, err := money.ParseDecimal(p, in.Currency); err != nil {
		e.Add("price", "must be an amount such as 49.90: "+amountReason(err))
	} else {
		in.Amount = a
	}
	in.IntervalDays = formInt(e, pf.Get("interval_days"), "interval_days", 0)
	in.IntervalCount = formInt(e, pf.Get("interval_count"), "interval_count", 1)
	in.TrialDays = formInt(e, pf.Get("trial_days"), "trial_days", 0)
	in.MaxCharges = formInt(e, pf.Get("max_charges"), "max_charges", 0)
	in.Installments = formInt(e, pf.Get("installments"), "installments", 0)
	in.AccessDays = formInt(e, pf.Get("access_days"), "access_days", 0)
	in.ManualConfirmDays = formInt(e, pf.Get("manual_confirm_days"), "manual_confirm_days", offer.DefaultManualConfirmDays)
	in.BillingEvery = formInt(e, pf.Get("billing_every"), "billing_every", offer.DefaultBillingEvery)
	in.BillingUnit = pf.Get("billing_unit")
	in.BillingDay = formInt(e, pf.Get("billing_day"), "billing_day", 0)
	in.BillingPeriods = formInt(e, pf.Get("billing_periods"), "billing_periods", 0)
	in.GraceDays = formInt(e, pf.Get("grace_days"), "grace_days", offer.DefaultGraceDays)
	in.RemindDays = formInt(e, pf.Get("remind_days"), "remind_days", offer.DefaultRemindDays)
	in.UnlockByPart = pf.Get("unlock_by_part") != ""
	in.EnrollmentFee = 0
	if p := strings.TrimSpace(pf.Get("enrollment_fee")); p != "" {
		if a, err := money.ParseDecimal(p, in.Currency); err != nil {
			e.Add("enrollment_fee", "must be an amount such as 20.00: "+amountReason(err))
		} else {
			in.EnrollmentFee = a
		}
	}
	in.RegistrationFields = []offer.RegistrationField{}
	for i := range offer.MaxRegistrationFields + blankFieldRows {
		field := func(name string) string { return pf.Get("rf_" + strconv.Itoa(i) + "_" + name) }
		f := offer.RegistrationField{Key: field("key"), Label: field("label"), Type: field("type"), Required: field("required") != ""}
		if strings.TrimSpace(f.Key) == "" && strings.TrimSpace(f.Label) == "" {
			continue
		}
		if f.Type == "select" {
			f.Options = strings.Split(strings.ReplaceAll(field("options"), "\r\n", "\n"), "\n")
		}
		in.RegistrationFields = append(in.RegistrationFields, f)
	}
	v := offerFormView(in)
	v.Price, v.IntervalDays, v.Installments = pf.Get("price"), pf.Get("interval_days"), pf.Get("installments")
	v.AccessDays, v.ManualConfirmDays = pf.Get("access_days"), pf.Get("manual_confirm_days")
	v.BillingEvery, v.BillingDay, v.BillingPeriods = pf.Get("billing_every"), pf.Get("billing_day"), pf.Get("billing_periods")
	v.EnrollmentFee, v.GraceDays, v.RemindDays = pf.Get("enrollment_fee"), pf.Get("grace_days"), pf.Get("remind_days")
	v.IntervalCount, v.TrialDays, v.MaxCharges = pf.Get("interval_count"), pf.Get("trial_days"), pf.Get("max_charges")
	return in, v, e
}

func formInt(e check.Errors, s, field string, empty int) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return empty
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		e.Add(field, "must be a whole number")
	}
	return n
}

func formIDs(e check.Errors, vals []string, field string) []int64 {
	ids := make([]int64, 0, len(vals))
	for _, s := range vals {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			e.Add(field, "holds a value that is not an id")
			continue
		}
		ids = append(ids, id)
	}
	return ids
}

// renderOfferForm completes v with the choices (active products plus those already chosen, every payment system)
// and renders it with status.
func (s *Server) renderOfferForm(w http.ResponseWriter, r *http.Request, status int, v admin.OfferForm, productIDs, systemIDs []int64) {
	ctx := r.Context()
	products, err := s.offers.Products(ctx, offer.ProductFilter{IncludeArchived: true})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, p := range products {
		chosen := slices.Contains(productIDs, p.ID)
		if p.ArchivedAt != nil && !chosen {
			continue
		}
		label := p.Name + " (" + p.Kind + ")"
		if p.ArchivedAt != nil {
			label += " — archived"
		}
		v.Products = append(v.Products, admin.Choice{ID: p.ID, Label: label, Selected: chosen})
	}
	systems, err := s.paymentSystems.List(ctx, 0, 1000)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, ps := range systems {
		label := ps.Name + " (" + ps.Type + ")"
		if !ps.Enabled {
			label += " — disabled"
		}
		note := "charges a saved card on schedule"
		if ps.Can(gateway.SavedCards) {
			note = "saves the card at the first payment for Bursar to charge on schedule: no free trial"
		}
		if !ps.Can(gateway.Recurring) {
			note = "cannot charge a saved card on schedule: sell recurring programmes through it as tuition (receipts by link)"
		}
		v.PaymentSystems = append(v.PaymentSystems, admin.Choice{ID: ps.ID, Label: label, Note: note,
			Selected: slices.Contains(systemIDs, ps.ID)})
	}
	v.Currencies, v.Languages, v.FieldTypes = money.Codes(), offer.Languages, offer.FieldTypes
	for range blankFieldRows {
		v.Fields = append(v.Fields, admin.RegistrationFieldRow{Type: "text"})
	}
	if msg, ok := v.Errors["amount"]; ok {
		v.Errors["price"] = msg
	}
	s.render(w, r, status, admin.OfferFormPage(v))
}

func (s *Server) adminOfferNew(w http.ResponseWriter, r *http.Request) {
	in := offer.NewInput()
	in.Currency = "EUR"
	v := offerFormView(in)
	v.Page, v.FormToken = s.adminPage(r, "New offer", "offers"), newFormToken()
	s.renderOfferForm(w, r, http.StatusOK, v, nil, nil)
}

func (s *Server) adminOfferCreate(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	in, v, e := offerInputFrom(r, offer.NewInput())
	err := e.Err()
	if err == nil {
		err = s.submitOnce(w, r, "Offer created.", func() (string, error) {
			o, err := s.offers.Create(r.Context(), in)
			if err != nil {
				return "", err
			}
			return "/admin/offers/" + itoa(o.ID), nil
		})
	} else {
		for k, msg := range in.Validate() {
			e.Add(k, msg)
		}
	}
	if err == nil {
		return
	}
	fe, ok := check.AsErrors(err)
	if !ok {
		s.htmlError(w, r, err)
		return
	}
	v.Page, v.FormToken, v.Errors = s.adminPage(r, "New offer", "offers"), newFormToken(), fe
	s.renderOfferForm(w, r, http.StatusUnprocessableEntity, v, in.ProductIDs, in.PaymentSystemIDs)
}

func (s *Server) adminOfferEdit(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	o, err := s.offers.Offer(r.Context(), id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	v := offerFormView(o.Input)
	v.Page, v.ID = s.adminPage(r, "Offer: "+o.Title, "offers"), o.ID
	if o.LinkOnly {
		// The link's own offer: the page says which link, with no form (offer.Update refuses it anyway).
		page, err := s.links.List(r.Context(), paylink.Filter{OfferID: o.ID, Limit: 1})
		if err != nil {
			s.htmlError(w, r, err)
			return
		}
		if len(page.Links) > 0 {
			v.LinkID = page.Links[0].ID
		}
		v.LinkOnly = true
		s.render(w, r, http.StatusOK, admin.OfferFormPage(v))
		return
	}
	s.renderOfferForm(w, r, http.StatusOK, v, o.ProductIDs, o.PaymentSystemIDs)
}

func (s *Server) adminOfferUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	_ = r.ParseForm()
	in, v, e := offerInputFrom(r, offer.NewInput())
	err = e.Err()
	if err == nil {
		_, err = s.offers.Update(r.Context(), id, func(cur *offer.Input) {
			status := cur.Status // the form does not change the status: the status buttons do
			*cur = in
			cur.Status = status
		})
	}
	if err == nil {
		s.flash(r, "Offer saved.")
		http.Redirect(w, r, "/admin/offers/"+itoa(id), http.StatusSeeOther)
		return
	}
	s.offerFormError(w, r, err, id, v, in)
}

// offerFormError shows the edit form of offer id again with the field messages of err (422), or answers the error.
func (s *Server) offerFormError(w http.ResponseWriter, r *http.Request, err error, id int64, v admin.OfferForm, in offer.Input) {
	fe, ok := check.AsErrors(err)
	if !ok {
		s.htmlError(w, r, err)
		return
	}
	cur, cerr := s.offers.Offer(r.Context(), id)
	if cerr != nil {
		s.htmlError(w, r, cerr)
		return
	}
	v.Page, v.ID, v.Status, v.Errors = s.adminPage(r, "Offer: "+cur.Title, "offers"), id, cur.Status, fe
	if v.Slug == "" {
		v.Slug = cur.Slug
	}
	s.renderOfferForm(w, r, http.StatusUnprocessableEntity, v, in.ProductIDs, in.PaymentSystemIDs)
}

func (s *Server) adminOfferStatus(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	o, err := s.offers.SetStatus(r.Context(), id, r.PostFormValue("status"))
	if err != nil {
		cur, cerr := s.offers.Offer(r.Context(), id)
		if cerr != nil {
			s.htmlError(w, r, cerr)
			return
		}
		s.offerFormError(w, r, err, id, offerFormView(cur.Input), cur.Input)
		return
	}
	s.flash(r, "Offer "+o.Title+" is now "+o.Status+".")
	http.Redirect(w, r, "/admin/offers/"+itoa(id), http.StatusSeeOther)
}
