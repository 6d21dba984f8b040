package paylink

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/paylink/paylinkq"
)

// Create makes an active link for in, made by the actor in ctx (an operator or an API key), with its expiry job,
// both timelines and the audit entry, in one transaction. Bad input is a check.Errors naming every field: no
// contact or an unknown one, an unknown offer, one not on sale or one made for another link's custom amount, an
// amount ≤ 0 or over the limit, an unknown currency, an expiry in the past, a payment system the offer does not
// list (or disabled, or, for a custom amount, not taking its currency). Nothing is written then.
func (s *Service) Create(ctx context.Context, in Input) (Link, error) {
	var out Link
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var err error
		out, err = s.CreateTx(ctx, tx, in)
		return err
	})
	return out, err
}

// CreateTx is Create inside the caller's transaction tx, for a module that issues links as part of its own change
// (a receipt, an installment): the link, its expiry job, timelines, audit and e-mail commit or roll back with tx.
// The input is checked first with reads outside tx; then a custom amount's offer is made in tx too, so a bad input
// writes nothing and a rollback of tx leaves neither link nor offer.
func (s *Service) CreateTx(ctx context.Context, tx pgx.Tx, in Input) (Link, error) {
	now := s.rec.clock()
	e := in.validate(now)
	if _, bad := e["contact_id"]; !bad {
		if _, err := s.deps.Contacts.Contact(ctx, in.ContactID); errors.Is(err, check.ErrNotFound) {
			e.Add("contact_id", "no contact has this id")
		} else if err != nil {
			return Link{}, err
		}
	}
	p := paylinkq.LinkInsertParams{ContactID: in.ContactID, Title: in.Description, Amount: in.Amount,
		Currency: in.Currency, Language: in.Language, Note: in.Note, ExpiresAt: in.ExpiresAt, Now: now}
	var of offer.Offer
	if in.OfferID > 0 {
		var err error
		of, err = s.deps.Offers.Offer(ctx, in.OfferID)
		switch {
		case errors.Is(err, check.ErrNotFound):
			e.Add("offer_id", "no offer has this id")
		case err != nil:
			return Link{}, err
		case of.LinkOnly:
			e.Add("offer_id", "was made for another link's custom amount: give the amount and description instead")
		case offer.Enrolled(of.Kind):
			e.Add("offer_id", offer.EnrolledMessage)
		case offer.Subscribed(of.Kind):
			e.Add("offer_id", offer.SubscribedMessage)
		case !offer.Sold(of.Kind):
			e.Add("offer_id", offer.NotSoldMessage)
		case of.Status != offer.StatusPublished:
			e.Add("offer_id", "is not on sale: publish it (unlisted, to sell it only by link)")
		default:
			p.OfferID, p.Title, p.Amount, p.Currency = of.ID, of.Title, of.Amount, of.Currency
			if p.Language == "" {
				p.Language = of.Language
			}
		}
	}
	ids, err := s.systems(ctx, in, of, e)
	if err != nil {
		return Link{}, err
	}
	if err := e.Err(); err != nil {
		return Link{}, err
	}
	p.PaymentSystemIds = ids
	if p.Language == "" || !contains(Languages, p.Language) {
		p.Language = "en"
	}
	if p.ExpiresAt.IsZero() {
		p.ExpiresAt = now.Add(s.rec.expiry)
	}
	if in.OfferID == 0 {
		if p.OfferID, err = s.customOffer(ctx, tx, in, p); err != nil {
			return Link{}, err
		}
		p.Custom = true
	}
	actor := audit.ActorFrom(ctx)
	p.CreatorType, p.CreatorLabel = actor.Type, actor.Label
	if actor.ID != 0 {
		p.CreatorID = &actor.ID
	}
	row, err := paylinkq.New(tx).LinkInsert(ctx, p)
	if err != nil {
		return Link{}, fmt.Errorf("insert payment link: %w", err)
	}
	out := s.rec.link(row)
	if _, err := s.deps.Jobs.InsertTx(ctx, tx, ExpireArgs{LinkID: out.ID},
		&river.InsertOpts{ScheduledAt: out.ExpiresAt}); err != nil {
		return Link{}, fmt.Errorf("schedule expiry of payment link %d: %w", out.ID, err)
	}
	msg := fmt.Sprintf("Payment link %d created for %s (%s), until %s", out.ID, out.Title, out.Price,
		out.ExpiresAt.Format("2006-01-02 15:04 UTC"))
	if _, err := s.rec.eventTx(ctx, tx, out, EventCreated, msg, "payment_link.create", map[string]any{
		"offer_id": out.OfferID, "amount": out.Price.Amount, "currency": out.Price.Currency,
		"payment_system_ids": out.PaymentSystemIDs, "expires_at": out.ExpiresAt, "language": out.Language}); err != nil {
		return Link{}, err
	}
	if in.SendEmail {
		if err := s.sendTx(ctx, tx, out); err != nil {
			return Link{}, err
		}
	}
	return out, nil
}

// customOffer makes, in tx, the offer a custom amount is sold through, so that paying it is an order like any other
// (priced, paid, completed and e-mailed by internal/order): published, one-time, no products, the description (cut
// to an offer title's length for the title), the link's payment systems and language. It is link-only: unlisted (no
// public page), out of the catalog's lists and pickers, never edited; its slug is random, so it never takes a slug
// the school may want.
func (s *Service) customOffer(ctx context.Context, tx pgx.Tx, in Input, p paylinkq.LinkInsertParams) (int64, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, fmt.Errorf("custom offer slug: %w", err)
	}
	oi := offer.NewInput()
	oi.Title, oi.Description = truncate(in.Description, maxOfferTitle), in.Description
	oi.Slug, oi.Status, oi.Unlisted, oi.LinkOnly = "link-"+hex.EncodeToString(b[:]), offer.StatusPublished, true, true
	oi.Amount, oi.Currency, oi.Language, oi.PaymentSystemIDs = p.Amount, p.Currency, p.Language, p.PaymentSystemIds
	of, err := s.deps.Catalog.CreateTx(ctx, tx, oi)
	if err != nil {
		return 0, fmt.Errorf("custom amount's offer: %w", err)
	}
	return of.ID, nil
}

// maxOfferTitle is the longest title internal/offer takes, in bytes here (so at most as many characters).
const maxOfferTitle = 200

// systems checks in's payment systems, or picks the default: the offer's enabled ones. For a custom amount they
// must be given, enabled, and take its currency.
func (s *Service) systems(ctx context.Context, in Input, of offer.Offer, e check.Errors) ([]int64, error) {
	if _, bad := e["payment_system_ids"]; bad {
		return nil, nil
	}
	custom := in.OfferID == 0
	ids := in.PaymentSystemIDs
	if len(ids) == 0 {
		if custom {
			e.Add("payment_system_ids", "choose the payment systems a custom amount may be paid through")
			return nil, nil
		}
		if of.ID == 0 {
			return nil, nil // the offer is bad already
		}
		ids = of.PaymentSystemIDs
	}
	var ok []int64
	for _, id := range ids {
		sys, err := s.deps.Systems.Get(ctx, id)
		switch {
		case errors.Is(err, check.ErrNotFound):
			e.Add("payment_system_ids", fmt.Sprintf("no payment system has id %d", id))
			return nil, nil
		case err != nil:
			return nil, err
		case !custom && of.ID != 0 && !contains(of.PaymentSystemIDs, id):
			e.Add("payment_system_ids", fmt.Sprintf("%s is not one of the offer's payment systems", sys.Name))
			return nil, nil
		case !sys.Enabled && len(in.PaymentSystemIDs) > 0:
			e.Add("payment_system_ids", fmt.Sprintf("%s is disabled", sys.Name))
			return nil, nil
		case !sys.Enabled:
			continue // the offer's disabled systems are left out of the default
		case custom && sys.TransactionCurrency(in.Currency) != in.Currency:
			e.Add("payment_system_ids", fmt.Sprintf("%s does not take %s", sys.Name, in.Currency))
			return nil, nil
		case sys.Type != gateway.TypeManual && !custom && sys.TransactionCurrency(of.Currency) == "":
			e.Add("payment_system_ids", fmt.Sprintf("%s does not take %s", sys.Name, of.Currency))
			return nil, nil
		}
		ok = append(ok, id)
	}
	if len(ok) == 0 && of.ID != 0 {
		e.Add("payment_system_ids", "the offer has no enabled payment system")
	}
	return ok, nil
}
