package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/templates/admin"
)

const contactsPageSize = 50

func contactURL(id int64) string { return "/admin/contacts/" + itoa(id) }

func (s *Server) adminContacts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	v := admin.ContactList{Page: s.adminPage(r, "Contacts", "contacts"), Query: q.Get("q")}
	page, err := s.contacts.List(r.Context(), crm.Filter{Query: v.Query, BeforeID: before, Limit: contactsPageSize})
	if e, ok := check.AsErrors(err); ok {
		v.Error = e["q"]
		s.render(w, r, http.StatusUnprocessableEntity, admin.ContactsPage(v))
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, c := range page.Contacts {
		v.Rows = append(v.Rows, admin.ContactRow{ID: c.ID, Email: c.Email, Name: c.Name, Phone: c.Phone,
			Created: c.CreatedAt.UTC().Format(timeFormat), Placeholder: c.Placeholder})
	}
	if page.NextBeforeID != 0 {
		next := url.Values{"before": {itoa(page.NextBeforeID)}}
		if v.Query != "" {
			next.Set("q", v.Query)
		}
		v.NextURL = "/admin/contacts?" + next.Encode()
	}
	s.render(w, r, http.StatusOK, admin.ContactsPage(v))
}

func (s *Server) adminContactNew(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, admin.ContactNewPage(admin.ContactNew{
		Page: s.adminPage(r, "New contact", "contacts"), Token: newFormToken()}))
}

// contactForm reads the contact form; custom fields come as "key: value" lines.
func contactForm(r *http.Request) (admin.ContactFields, crm.Input, error) {
	f := admin.ContactFields{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"),
		Phone: r.PostFormValue("phone"), CustomFields: r.PostFormValue("custom_fields")}
	cf, err := crm.ParseCustomFields(f.CustomFields)
	in := crm.Input{Email: f.Email, Name: f.Name, Phone: f.Phone, CustomFields: cf}
	if err != nil {
		// Report the other fields' problems together with the custom fields'.
		e, _ := check.AsErrors(err)
		probe := in
		probe.Email = check.NormalizeEmail(probe.Email)
		if verr, ok := check.AsErrors(probe.Validate()); ok {
			for k, m := range verr {
				e.Add(k, m)
			}
		}
		return f, in, e
	}
	return f, in, nil
}

func (s *Server) adminContactCreate(w http.ResponseWriter, r *http.Request) {
	f, in, err := contactForm(r)
	if err == nil {
		err = s.submitOnce(w, r, "Contact created.", func() (string, error) {
			c, err := s.contacts.Create(r.Context(), in)
			if err != nil {
				return "", err
			}
			return contactURL(c.ID), nil
		})
	}
	if e, ok := check.AsErrors(err); ok {
		s.render(w, r, http.StatusUnprocessableEntity, admin.ContactNewPage(admin.ContactNew{
			Page: s.adminPage(r, "New contact", "contacts"), Form: f, Errors: e, Token: r.PostFormValue("form_token")}))
		return
	}
	if err != nil {
		s.htmlError(w, r, err)
	}
}

func (s *Server) adminContactCard(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.renderCard(w, r, id, http.StatusOK, nil)
}

// renderCard shows contact id's card with status; adjust fills in what a failed form needs to show.
func (s *Server) renderCard(w http.ResponseWriter, r *http.Request, id int64, status int, adjust func(*admin.ContactCard)) {
	v, err := s.contactCard(r, id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	if adjust != nil {
		adjust(&v)
	}
	s.render(w, r, status, admin.ContactCardPage(v))
}

func (s *Server) contactCard(r *http.Request, id int64) (admin.ContactCard, error) {
	ctx := r.Context()
	c, err := s.contacts.Contact(ctx, id)
	if err != nil {
		return admin.ContactCard{}, err
	}
	v := admin.ContactCard{Page: s.adminPage(r, c.Email, "contacts"), ID: c.ID, LinksURL: contactLinksURL(c.ID), Email: c.Email, Name: c.Name,
		Phone: c.Phone, Created: c.CreatedAt.UTC().Format(timeFormat), Placeholder: c.Placeholder,
		Edit:      admin.ContactFields{Email: c.Email, Name: c.Name, Phone: c.Phone, CustomFields: crm.FormatCustomFields(c.CustomFields)},
		NoteToken: newFormToken(), GrantToken: newFormToken(), Errors: map[string]string{}}
	keys := make([]string, 0, len(c.CustomFields))
	for k := range c.CustomFields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v.Custom = append(v.Custom, admin.KeyValue{Key: k, Value: c.CustomFields[k]})
	}
	notes, err := s.contacts.Notes(ctx, id, 200)
	if err != nil {
		return v, err
	}
	for _, n := range notes {
		v.Notes = append(v.Notes, admin.NoteRow{At: n.CreatedAt.UTC().Format(timeFormat), Author: n.Author, Body: n.Body})
	}
	events, err := s.contacts.Events(ctx, id, 200)
	if err != nil {
		return v, err
	}
	for _, e := range events {
		v.Timeline = append(v.Timeline, admin.EventRow{At: e.CreatedAt.UTC().Format(timeFormat), Kind: e.Kind, Message: e.Message, Actor: e.Actor})
	}
	if v.Grants, err = s.grantRows(ctx, id); err != nil {
		return v, err
	}
	orders, err := s.orders.ForContact(ctx, id)
	if err != nil {
		return v, err
	}
	for _, o := range orders {
		v.Orders = append(v.Orders, admin.OrderRow{ID: o.ID, Number: o.Number, Status: string(o.Status),
			Offer: o.OfferTitle, ContactID: o.ContactID, Amount: o.Price.Format("en"),
			Created: o.CreatedAt.UTC().Format(timeFormat)})
	}
	if v.Enrollments, err = s.contactEnrollments(ctx, id); err != nil {
		return v, err
	}
	if v.Subscriptions, err = s.contactSubscriptions(ctx, id); err != nil {
		return v, err
	}
	products, err := s.offers.Products(ctx, offer.ProductFilter{Limit: offer.MaxList})
	if err != nil {
		return v, err
	}
	for _, p := range products {
		v.Products = append(v.Products, admin.Option{Value: itoa(p.ID), Label: p.Name})
	}
	return v, nil
}

func (s *Server) grantRows(ctx context.Context, contactID int64) ([]admin.GrantRow, error) {
	grants, err := s.access.ForContact(ctx, contactID)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(grants))
	for _, g := range grants {
		ids = append(ids, g.ProductID)
	}
	names, err := s.offers.ProductNames(ctx, ids)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	rows := make([]admin.GrantRow, 0, len(grants))
	for _, g := range grants {
		row := admin.GrantRow{ID: g.ID, Product: names[g.ProductID], Source: g.Source, SourceRef: g.SourceRef,
			Starts: g.StartsAt.UTC().Format(timeFormat), Ends: "forever", RevokeReason: g.RevokeReason,
			TransferredFrom: g.TransferredFrom, Active: g.ActiveAt(now), Status: grantStatus(g, now)}
		if row.Product == "" {
			row.Product = "product #" + itoa(g.ProductID)
		}
		if g.EndsAt != nil {
			row.Ends = g.EndsAt.UTC().Format(timeFormat)
		}
		if g.RevokedAt != nil {
			row.Revoked = g.RevokedAt.UTC().Format(timeFormat)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func grantStatus(g access.Grant, now time.Time) string {
	switch {
	case g.RevokedAt != nil:
		return "revoked"
	case g.PausedAt != nil:
		return "paused" // its enrollment is suspended or paused: no access meanwhile
	case g.StartsAt.After(now):
		return "scheduled"
	case g.EndsAt != nil && !g.EndsAt.After(now):
		return "expired"
	}
	return "active"
}

func (s *Server) adminContactUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	f, in, err := contactForm(r)
	if err == nil {
		_, err = s.contacts.Update(r.Context(), id, crm.Patch{Email: &in.Email, Name: &in.Name, Phone: &in.Phone, CustomFields: &in.CustomFields})
	}
	if e, ok := check.AsErrors(err); ok {
		s.renderCard(w, r, id, http.StatusUnprocessableEntity, func(v *admin.ContactCard) {
			v.Edit, v.EditOpen, v.Errors = f, true, e
		})
		return
	}
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.flash(r, "Contact saved.")
	http.Redirect(w, r, contactURL(id), http.StatusSeeOther)
}

func (s *Server) adminContactDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	c, err := s.contacts.Contact(r.Context(), id)
	if err == nil {
		err = s.contacts.Delete(r.Context(), id)
	}
	if errors.Is(err, crm.ErrHasOrders) {
		s.flash(r, errorAnswer(err).Message)
		http.Redirect(w, r, "/admin/contacts/"+itoa(id), http.StatusSeeOther)
		return
	}
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.flash(r, "Contact "+c.Email+" deleted.")
	http.Redirect(w, r, "/admin/contacts", http.StatusSeeOther)
}

func (s *Server) adminContactNote(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	body := r.PostFormValue("body")
	err = s.submitOnce(w, r, "Note added.", func() (string, error) {
		if _, err := s.contacts.AddNote(r.Context(), id, body); err != nil {
			return "", err
		}
		return contactURL(id) + "#notes", nil
	})
	if e, ok := check.AsErrors(err); ok {
		s.renderCard(w, r, id, http.StatusUnprocessableEntity, func(v *admin.ContactCard) {
			v.Errors, v.NoteBody, v.NoteToken = e, body, r.PostFormValue("form_token")
		})
		return
	}
	if err != nil {
		s.htmlError(w, r, err)
	}
}
