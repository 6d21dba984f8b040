package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/templates/admin"
)

// grantableProduct checks that product id exists and is not archived, naming the field on failure.
func (s *Server) grantableProduct(ctx context.Context, field string, id int64) error {
	if id <= 0 {
		return check.Field(field, "is required")
	}
	p, err := s.offers.Product(ctx, id)
	if errors.Is(err, check.ErrNotFound) {
		return check.Field(field, "no product has this id")
	}
	if err != nil {
		return err
	}
	if p.ArchivedAt != nil {
		return check.Field(field, "is archived; restore it before granting access")
	}
	return nil
}

// parseGrantForm reads the grant form: a product and an optional number of days (empty: forever).
func parseGrantForm(r *http.Request, contactID int64) (admin.GrantFields, access.NewGrant, error) {
	f := admin.GrantFields{ProductID: r.PostFormValue("product_id"), Days: strings.TrimSpace(r.PostFormValue("days"))}
	n := access.NewGrant{ContactID: contactID, Source: access.SourceManual, SourceRef: adminFrom(r.Context()).Email}
	e := check.Errors{}
	if f.ProductID == "" {
		e.Add("product_id", "choose a product")
	} else if id, err := strconv.ParseInt(f.ProductID, 10, 64); err != nil || id <= 0 {
		e.Add("product_id", "no product has this id")
	} else {
		n.ProductID = id
	}
	if f.Days != "" {
		d, err := strconv.Atoi(f.Days)
		if err != nil || d < 1 || d > access.MaxDays {
			e.Add("days", "must be a whole number of days from 1 to "+strconv.Itoa(access.MaxDays)+", or empty for forever")
		}
		n.Days = d
	}
	return f, n, e.Err()
}

func (s *Server) adminAccessGrant(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	f, n, err := parseGrantForm(r, id)
	if err == nil {
		err = s.grantableProduct(r.Context(), "product_id", n.ProductID)
	}
	if err == nil {
		err = s.submitOnce(w, r, "Access granted.", func() (string, error) {
			if _, _, err := s.access.Grant(r.Context(), n); err != nil {
				return "", err
			}
			return contactURL(id) + "#access", nil
		})
	}
	if e, ok := check.AsErrors(err); ok {
		s.renderCard(w, r, id, http.StatusUnprocessableEntity, func(v *admin.ContactCard) {
			v.Errors, v.GrantForm, v.GrantToken = e, f, r.PostFormValue("form_token")
		})
		return
	}
	if err != nil {
		s.htmlError(w, r, err)
	}
}

func (s *Server) adminAccessRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	g, err := s.access.Get(r.Context(), id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	_, err = s.access.Revoke(r.Context(), id, r.PostFormValue("reason"))
	if s.grantActionFailed(w, r, g, err, "") {
		return
	}
	s.flash(r, "Access revoked.")
	http.Redirect(w, r, contactURL(g.ContactID)+"#access", http.StatusSeeOther)
}

func (s *Server) adminAccessTransfer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	g, err := s.access.Get(r.Context(), id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	toEmail := strings.TrimSpace(r.PostFormValue("to_email"))
	e := check.Errors{}
	e.Email("to_email", check.NormalizeEmail(toEmail), true)
	err = e.Err()
	if err == nil {
		to, ferr := s.contacts.ByEmail(r.Context(), toEmail)
		switch {
		case errors.Is(ferr, check.ErrNotFound):
			err = check.Field("to_email", "no contact has this e-mail; create the contact first")
		case ferr != nil:
			err = ferr
		default:
			_, err = s.access.Transfer(r.Context(), id, to.ID)
		}
	}
	if s.grantActionFailed(w, r, g, err, toEmail) {
		return
	}
	s.flash(r, "Access transferred to "+toEmail+".")
	http.Redirect(w, r, contactURL(g.ContactID)+"#access", http.StatusSeeOther)
}

// grantActionFailed answers a failed revoke or transfer of g with the card, the message next to the grant, and
// reports whether it did.
func (s *Server) grantActionFailed(w http.ResponseWriter, r *http.Request, g access.Grant, err error, toEmail string) bool {
	if err == nil {
		return false
	}
	var msg string
	status := http.StatusUnprocessableEntity
	if e, ok := check.AsErrors(err); ok {
		for _, k := range []string{"to_email", "to_contact_id", "reason"} {
			if m, ok := e[k]; ok {
				msg = fieldLabel(k) + " " + m
				break
			}
		}
	}
	if msg == "" {
		// Revoked or expired already: the error says so, for people.
		a := errorAnswer(err)
		if a.Status != http.StatusConflict {
			s.htmlError(w, r, err)
			return true
		}
		msg, status = a.Message, a.Status
	}
	s.renderCard(w, r, g.ContactID, status, func(v *admin.ContactCard) {
		v.ErrGrantID, v.ErrGrantMsg = g.ID, msg
		for i := range v.Grants {
			if v.Grants[i].ID == g.ID {
				v.Grants[i].TransferEmail = toEmail
			}
		}
	})
	return true
}

func fieldLabel(k string) string {
	switch k {
	case "to_email", "to_contact_id":
		return "Target contact:"
	case "reason":
		return "Reason:"
	}
	return k + ":"
}
