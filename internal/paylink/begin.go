package paylink

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/paylink/paylinkq"
	"github.com/bursar/bursar/internal/settings"
)

// View is what the payer's page shows of a link, at the moment it was read.
type View struct {
	Link Link
	// School is who asks for the money: its name and contact details (an expired or cancelled link's page says
	// whom to contact).
	School settings.School
	Status Status // as of now: an active link past its expiry is StatusExpired
	Title  string
	// Description is the offer's description (markdown: a page that shows it renders and sanitizes it); for a
	// custom amount, the amount's description (its Title).
	Description string
	// Contact is how the payer reaches the school about this link: the offer's contact details, or the school's
	// own when the offer gives none (a custom amount's offer never does).
	Contact offer.Contact
	Price   money.Money
	Expires time.Time
	Note    string
	Systems []SystemView // the allowed payment systems that are still enabled, in the link's order
	// Language is the page's language (the link's).
	Language string
}

// Payable reports whether the page should offer to pay (and to decline).
func (v View) Payable() bool { return v.Status == StatusActive && len(v.Systems) > 0 }

// SystemView is a payment system as the payer sees it; for the manual merchant, Description holds the bank details
// to pay to (the system's description, as on the checkout).
type SystemView struct {
	ID          int64
	Type        string
	Name        string
	Description string
	ImageURL    string
	Manual      bool
}

// View returns what the payer's page shows for tok; a wrong or tampered token is check.ErrNotFound. It records
// nothing (Open does).
func (s *Service) View(ctx context.Context, tok string) (View, error) {
	l, err := s.ByToken(ctx, tok)
	if err != nil {
		return View{}, err
	}
	return s.viewOf(ctx, l)
}

// viewOf is what the payer's page shows of l.
func (s *Service) viewOf(ctx context.Context, l Link) (View, error) {
	school, err := s.deps.School.GetTx(ctx, s.db)
	if err != nil {
		return View{}, err
	}
	of, err := s.deps.Offers.Offer(ctx, l.OfferID)
	if err != nil {
		return View{}, fmt.Errorf("offer of payment link %d: %w", l.ID, err)
	}
	v := View{Link: l, School: school, Description: of.Description, Contact: of.Contact,
		Status: l.StatusAt(s.rec.clock()), Title: l.Title, Price: l.Price, Expires: l.ExpiresAt, Note: l.Note,
		Language: l.Language}
	if v.Contact == (offer.Contact{}) {
		v.Contact = offer.Contact{Email: school.ContactEmail, Phone: school.Phone}
	}
	for _, id := range l.PaymentSystemIDs {
		sys, err := s.deps.Systems.Get(ctx, id)
		if errors.Is(err, check.ErrNotFound) {
			continue
		}
		if err != nil {
			return View{}, err
		}
		if !sys.Enabled {
			continue
		}
		v.Systems = append(v.Systems, SystemView{ID: sys.ID, Type: sys.Type, Name: sys.Name,
			Description: sys.Description, ImageURL: sys.ImageURL, Manual: sys.Type == gateway.TypeManual})
	}
	return v, nil
}

// Open records that the payer opened link tok's page: first and last opened (the first time also on the
// timelines), so the operator sees sent → opened → paid or declined. A wrong token is check.ErrNotFound.
func (s *Service) Open(ctx context.Context, tok string) (Link, error) {
	l, err := s.ByToken(ctx, tok)
	if err != nil {
		return Link{}, err
	}
	return s.open(ctx, l)
}

// open records that l's page was opened now.
func (s *Service) open(ctx context.Context, l Link) (Link, error) {
	ctx = audit.WithActor(ctx, payerActor(l))
	now := s.rec.clock()
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		first, err := paylinkq.New(tx).LinkOpened(ctx, paylinkq.LinkOpenedParams{ID: l.ID, Now: now})
		if err != nil {
			return fmt.Errorf("payment link %d opened: %w", l.ID, err)
		}
		if l.LastOpenedAt = &now; first {
			l.FirstOpenedAt = &now
			_, err = s.rec.eventTx(ctx, tx, l, EventOpened, fmt.Sprintf("Payment link %d opened by the payer", l.ID),
				"payment_link.open", nil)
		}
		return err
	})
	return l, err
}

// Payment is how the payer pays a link (Begin).
type Payment struct {
	PaymentSystemID int64 // one of the link's allowed systems
	// Checkout builds the gateway's checkout for the order's attempt (the return and notification URLs), as the
	// offer checkout does; gateways only.
	Checkout func(order.Attempt) gateway.Checkout
	// PaidOn and Comment are what the payer says of a bank transfer (the manual merchant only): the date paid (zero:
	// today) and the transfer's reference.
	PaidOn  time.Time
	Comment string
}

// Begun is a payment a link's Begin started.
type Begun struct {
	Link  Link
	Order order.Order
	// Redirect is where a gateway payment goes on (the gateway's page, or a form posted to it); empty for manual.
	Redirect gateway.Redirect
	// Manual is true for the manual merchant: the order waits for the school to confirm the transfer, and the page
	// shows Instructions (the bank details).
	Manual       bool
	Instructions string
	// RefNotStored is why the gateway's reference could not be stored, for the caller's log (see order.Started).
	RefNotStored error
}

// Begin starts paying the link tok names through p.PaymentSystemID, by its payer: an order for the link's offer
// and contact is opened (or the contact's open one reused: a double click gives one order) through the existing
// checkout — order.StartGateway for a gateway, order.OpenManual for the manual merchant — and tied to the link in
// the order's opening transaction, only while the link is active and unexpired (else nothing is made and the error
// is the ErrNotActive conflict). A gateway that times out leaves the attempt abandoned and the error wraps
// order.ErrGatewayDown: the payer can try again.
func (s *Service) Begin(ctx context.Context, tok string, p Payment) (Begun, error) {
	l, err := s.ByToken(ctx, tok)
	if err != nil {
		return Begun{}, err
	}
	ctx = audit.WithActor(ctx, payerActor(l))
	if now := s.rec.clock(); l.StatusAt(now) != StatusActive {
		return Begun{}, notActive(l, now)
	}
	if !contains(l.PaymentSystemIDs, p.PaymentSystemID) {
		return Begun{}, check.Field("payment_system_id", "is not one of this link's payment systems")
	}
	sys, err := s.deps.Systems.Get(ctx, p.PaymentSystemID)
	if errors.Is(err, check.ErrNotFound) || (err == nil && !sys.Enabled) {
		return Begun{}, check.Field("payment_system_id", "is not available any more")
	}
	if err != nil {
		return Begun{}, err
	}
	claim := s.claim(l, sys)
	if sys.Type == gateway.TypeManual {
		o, _, err := s.deps.Orders.OpenManual(ctx, order.NewManual{OfferID: l.OfferID, ContactID: l.ContactID,
			PaymentSystemID: sys.ID, PaidOn: p.PaidOn, Comment: p.Comment, Channel: order.ChannelLink, Claim: claim})
		if err != nil {
			return Begun{}, err
		}
		l.OrderID = o.ID
		return Begun{Link: l, Order: o, Manual: true, Instructions: sys.Description}, nil
	}
	if p.Checkout == nil {
		return Begun{}, errors.New("paylink: Begin through a gateway needs Payment.Checkout")
	}
	st, err := s.deps.Orders.StartGateway(ctx, order.NewGateway{OfferID: l.OfferID, ContactID: l.ContactID,
		PaymentSystemID: sys.ID, Channel: order.ChannelLink, Claim: claim}, p.Checkout)
	if st.Attempt.Order.ID != 0 {
		l.OrderID = st.Attempt.Order.ID
	}
	out := Begun{Link: l, Order: st.Attempt.Order, Redirect: st.Redirect, RefNotStored: st.RefNotStored}
	return out, err
}

// claim ties the order being opened to l inside its opening transaction, while l is active and unexpired; the
// timelines say a payment started.
func (s *Service) claim(l Link, sys gateway.System) order.Claim {
	return func(ctx context.Context, tx pgx.Tx, o order.Order) error {
		now := s.rec.clock()
		row, err := paylinkq.New(tx).LinkClaimOrder(ctx, paylinkq.LinkClaimOrderParams{ID: l.ID, OrderID: o.ID, Now: now})
		if errors.Is(err, pgx.ErrNoRows) {
			cur, err := s.get(ctx, tx, l.ID)
			if err != nil {
				return err
			}
			if cur.Status == StatusActive && cur.Expired(now) {
				cur.Status = StatusExpired
			}
			return notActive(cur, now)
		}
		if err != nil {
			return fmt.Errorf("tie order %s to payment link %d: %w", o.Number, l.ID, err)
		}
		cur := s.rec.link(row)
		msg := fmt.Sprintf("Payment of link %d started through %s: order %s", l.ID, sys.Name, o.Number)
		_, err = s.rec.eventTx(ctx, tx, cur, EventStarted, msg, "payment_link.begin", map[string]any{
			"order_id": o.ID, "number": o.Number, "payment_system_id": sys.ID})
		return err
	}
}
