package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/templates/admin"
)

// manualChoices lists the offers a manager can book a manual payment for (those sold once, with an enabled manual
// system) and the enabled manual systems.
func (s *Server) manualChoices(ctx context.Context) (offers, systems []admin.Option, err error) {
	all, err := s.paymentSystems.All(ctx)
	if err != nil {
		return nil, nil, err
	}
	manual := map[int64]bool{}
	for _, sys := range all {
		if sys.Type == gateway.TypeManual && sys.Enabled {
			manual[sys.ID] = true
			systems = append(systems, admin.Option{Value: itoa(sys.ID), Label: sys.Name})
		}
	}
	list, err := s.offers.Offers(ctx, offer.Filter{Limit: offer.MaxList})
	if err != nil {
		return nil, nil, err
	}
	for _, o := range list {
		if !offer.Sold(o.Kind) || offer.Enrolled(o.Kind) || offer.Subscribed(o.Kind) {
			continue // order refuses it on every channel (recurring; tuition and installments are enrolled)
		}
		for _, id := range o.PaymentSystemIDs {
			if manual[id] {
				offers = append(offers, admin.Option{Value: itoa(o.ID), Label: o.Title + " (" + o.Price().Format("en") + ", " + o.Status + ")"})
				break
			}
		}
	}
	return offers, systems, nil
}

func (s *Server) renderOrderNew(w http.ResponseWriter, r *http.Request, status int, v admin.OrderNew) {
	var err error
	if v.Offers, v.Systems, err = s.manualChoices(r.Context()); err != nil {
		s.serverError(w, r, err)
		return
	}
	v.Page = s.adminPage(r, "New manual payment", "orders")
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	s.render(w, r, status, admin.OrderNewPage(v))
}

func (s *Server) adminOrderNew(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := admin.OrderNew{Token: newFormToken(), OfferID: q.Get("offer_id"), PaidOn: time.Now().UTC().Format(time.DateOnly)}
	if id := parseID(q.Get("contact_id")); id > 0 {
		c, err := s.contacts.Contact(r.Context(), id)
		if err != nil {
			s.htmlError(w, r, err)
			return
		}
		v.ContactEmail = c.Email
	}
	s.renderOrderNew(w, r, http.StatusOK, v)
}

func (s *Server) adminOrderCreate(w http.ResponseWriter, r *http.Request) {
	v := admin.OrderNew{Token: r.PostFormValue("form_token"), ContactEmail: strings.TrimSpace(r.PostFormValue("contact_email")),
		OfferID: r.PostFormValue("offer_id"), SystemID: r.PostFormValue("payment_system_id"),
		PaidOn: strings.TrimSpace(r.PostFormValue("paid_on")), Comment: r.PostFormValue("comment")}
	n, e := s.manualForm(r.Context(), v)
	err := e.Err()
	if err == nil {
		err = s.submitOnce(w, r, "Order opened: confirm or reject the payment below.", func() (string, error) {
			o, err := s.orders.CreateManual(r.Context(), n)
			if err != nil {
				return "", err
			}
			return orderURL(o.ID), nil
		})
	}
	if ce, ok := check.AsErrors(err); ok {
		if msg, bad := ce["contact_id"]; bad {
			ce.Add("contact_email", msg)
		}
		v.Errors = ce
		s.renderOrderNew(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	if err != nil {
		s.htmlError(w, r, err)
	}
}

// formContact is the id of the contact an admin form names by e-mail in its contact_email field, or 0 with the
// field's message added to e.
func (s *Server) formContact(ctx context.Context, email string, e check.Errors) int64 {
	switch c, err := s.contacts.ByEmail(ctx, email); {
	case email == "":
		e.Add("contact_email", "is required")
	case errors.Is(err, check.ErrNotFound):
		e.Add("contact_email", "no contact has this e-mail: create the contact first")
	case err != nil:
		e.Add("contact_email", "could not be looked up, try again")
	default:
		return c.ID
	}
	return 0
}

// manualForm turns the new-manual-payment form into a NewManual, naming what cannot be read.
func (s *Server) manualForm(ctx context.Context, v admin.OrderNew) (order.NewManual, check.Errors) {
	n := order.NewManual{Comment: v.Comment, Channel: order.ChannelAdmin}
	e := check.Errors{}
	n.ContactID = s.formContact(ctx, v.ContactEmail, e)
	if n.OfferID = parseID(v.OfferID); n.OfferID <= 0 {
		e.Add("offer_id", "choose an offer")
	}
	if v.SystemID != "" {
		if n.PaymentSystemID = parseID(v.SystemID); n.PaymentSystemID <= 0 {
			e.Add("payment_system_id", "choose a payment system")
		}
	}
	if v.PaidOn != "" {
		d, err := time.Parse(time.DateOnly, v.PaidOn)
		if err != nil {
			e.Add("paid_on", "must be a date such as 2026-01-31")
		}
		n.PaidOn = d
	}
	return n, e
}
