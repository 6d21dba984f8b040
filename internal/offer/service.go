package offer

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/offer/offerq"
)

// Create adds an offer with its products and payment systems, all or nothing.
func (s *Service) Create(ctx context.Context, in Input) (Offer, error) {
	var o Offer
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var err error
		o, err = s.CreateTx(ctx, tx, in)
		return err
	})
	if err != nil {
		return Offer{}, err
	}
	return o, nil
}

// CreateTx is Create inside the caller's transaction tx, for a module that makes an offer as part of its own change
// (internal/paylink, for a custom amount): the same checks, the offer, its products, payment systems and audit entry
// commit or roll back with tx. Bad input is a check.Errors, found before anything is written except an unknown
// payment system (found by its foreign key): after an error, the caller rolls tx back.
func (s *Service) CreateTx(ctx context.Context, tx pgx.Tx, in Input) (Offer, error) {
	in.normalize()
	e := in.Validate()
	suggested := in.Slug == ""
	if suggested {
		in.Slug = Slugify(in.Title)
	}
	if err := checkProductsTx(ctx, tx, in, nil, e); err != nil {
		return Offer{}, err
	}
	if err := s.checkGuest(ctx, in, e); err != nil {
		return Offer{}, err
	}
	if err := s.checkRecurring(ctx, in, e); err != nil {
		return Offer{}, err
	}
	if err := e.Err(); err != nil {
		return Offer{}, err
	}
	row, err := saveOfferTx(ctx, tx, 0, &in, suggested)
	if err != nil {
		return Offer{}, err
	}
	if err := setLinksTx(ctx, tx, row.ID, in); err != nil {
		return Offer{}, err
	}
	o := Offer{ID: row.ID, Input: in, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}
	if err := s.audit.RecordTx(ctx, tx, "offer.create", "offer", o.ID, auditDetails(in)); err != nil {
		return Offer{}, err
	}
	return o, nil
}

// ErrLinkOnly is the conflict of editing an offer made for one payment link's custom amount (Input.LinkOnly): it is
// the link's, sold only by it; to change what the contact pays, cancel the link and make another.
var ErrLinkOnly = check.Conflict("This offer was made for a payment link's custom amount: it is sold only by " +
	"that link and cannot be edited. To change it, cancel the link and make another.")

// Update changes offer id: edit receives the current fields and changes those it means to, under a row lock, so a
// partial update never overwrites a concurrent one with stale values. Publishing is an update of Status. An offer
// made for a payment link (LinkOnly) is never changed: ErrLinkOnly.
func (s *Service) Update(ctx context.Context, id int64, edit func(*Input)) (Offer, error) {
	var o Offer
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		r, err := offerq.New(tx).OfferForUpdate(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return offerNotFound(id)
		}
		if err != nil {
			return err
		}
		cur, err := offerFrom(r.Offer, r.ProductIds, r.PaymentSystemIds)
		if err != nil {
			return err
		}
		if cur.LinkOnly {
			return ErrLinkOnly
		}
		in := cur.Input
		in.ProductIDs = slices.Clone(in.ProductIDs)
		in.PaymentSystemIDs = slices.Clone(in.PaymentSystemIDs)
		in.RegistrationFields = slices.Clone(in.RegistrationFields)
		edit(&in)
		in.normalize()
		e := in.Validate()
		suggested := in.Slug == ""
		if suggested {
			in.Slug = Slugify(in.Title)
		}
		if err := checkProductsTx(ctx, tx, in, cur.ProductIDs, e); err != nil {
			return err
		}
		if err := s.checkGuest(ctx, in, e); err != nil {
			return err
		}
		if err := s.checkRecurring(ctx, in, e); err != nil {
			return err
		}
		if err := e.Err(); err != nil {
			return err
		}
		row, err := saveOfferTx(ctx, tx, id, &in, suggested)
		if err != nil {
			return err
		}
		if err := setLinksTx(ctx, tx, id, in); err != nil {
			return err
		}
		o = Offer{ID: id, Input: in, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}
		details := auditDetails(in)
		if cur.Status != in.Status {
			details["previous_status"] = cur.Status
		}
		return s.audit.RecordTx(ctx, tx, "offer.update", "offer", id, details)
	})
	if err != nil {
		return Offer{}, err
	}
	return o, nil
}

// SetStatus publishes, unpublishes (back to draft) or archives offer id.
func (s *Service) SetStatus(ctx context.Context, id int64, status string) (Offer, error) {
	if !slices.Contains(Statuses, status) {
		return Offer{}, check.Field("status", "must be draft, published or archived")
	}
	return s.Update(ctx, id, func(in *Input) { in.Status = status })
}

func auditDetails(in Input) map[string]any {
	return map[string]any{"title": in.Title, "slug": in.Slug, "status": in.Status, "amount": in.Amount,
		"currency": in.Currency, "kind": in.Kind, "product_ids": in.ProductIDs, "payment_system_ids": in.PaymentSystemIDs,
		"refund_access": in.RefundAccess, "dispute_access": in.DisputeAccess}
}

// checkProductsTx checks that every product exists and that none is newly added while archived (those already in
// the offer, kept, may have been archived since), and that a published offer has an active product. It locks the
// products against a concurrent archive.
func checkProductsTx(ctx context.Context, tx pgx.Tx, in Input, kept []int64, e check.Errors) error {
	if len(in.ProductIDs) == 0 {
		return nil
	}
	rows, err := offerq.New(tx).ProductsForOffer(ctx, in.ProductIDs)
	if err != nil {
		return fmt.Errorf("check products: %w", err)
	}
	found := map[int64]bool{}
	active := 0
	for _, r := range rows {
		found[r.ID] = true
		switch {
		case r.ArchivedAt == nil:
			active++
		case !slices.Contains(kept, r.ID):
			e.Add("product_ids", fmt.Sprintf("product %d is archived", r.ID))
		}
	}
	for _, id := range in.ProductIDs {
		if !found[id] {
			e.Add("product_ids", fmt.Sprintf("there is no product %d", id))
		}
	}
	if in.Status == StatusPublished && active == 0 && len(rows) > 0 {
		e.Add("status", "an offer needs at least one product that is not archived to be published")
	}
	return nil
}

// setLinksTx replaces the offer's products and payment systems. An unknown payment system is a field error, found
// by the foreign key: this module does not read the payment systems' table.
func setLinksTx(ctx context.Context, tx pgx.Tx, id int64, in Input) error {
	q := offerq.New(tx)
	if err := q.OfferProductsClear(ctx, id); err != nil {
		return err
	}
	if err := q.OfferProductsAdd(ctx, offerq.OfferProductsAddParams{OfferID: id, ProductIds: in.ProductIDs}); err != nil {
		return fmt.Errorf("offer %d products: %w", id, err)
	}
	if err := q.OfferPaymentSystemsClear(ctx, id); err != nil {
		return err
	}
	err := q.OfferPaymentSystemsAdd(ctx, offerq.OfferPaymentSystemsAddParams{OfferID: id, PaymentSystemIds: in.PaymentSystemIDs})
	if isForeignKey(err, "offer_payment_systems_payment_system_id_fkey") {
		return check.Field("payment_system_ids", "holds an id that is not a payment system")
	}
	if err != nil {
		return fmt.Errorf("offer %d payment systems: %w", id, err)
	}
	return setAccessTx(ctx, tx, id, in)
}

// Offer returns offer id or an error wrapping check.ErrNotFound.
func (s *Service) Offer(ctx context.Context, id int64) (Offer, error) {
	r, err := offerq.New(s.db).OfferByID(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Offer{}, offerNotFound(id)
	}
	if err != nil {
		return Offer{}, err
	}
	return offerFrom(r.Offer, r.ProductIds, r.PaymentSystemIds)
}

// Offers lists the catalog's offers in id order, from f.AfterID on: those made for one payment link's custom
// amount (LinkOnly) are left out, as no one picks them; Offer still reads them.
func (s *Service) Offers(ctx context.Context, f Filter) ([]Offer, error) {
	rows, err := offerq.New(s.db).OfferList(ctx, offerq.OfferListParams{
		Status: f.Status, Query: likePattern(f.Query), AfterID: f.AfterID, Lim: pageSize(f.Limit),
	})
	if err != nil {
		return nil, fmt.Errorf("list offers: %w", err)
	}
	out := make([]Offer, len(rows))
	for i, r := range rows {
		if out[i], err = offerFrom(r.Offer, r.ProductIds, r.PaymentSystemIds); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PublishedPage returns the published offer with slug and its products' names in one query; a draft, archived or
// unknown offer is an error wrapping check.ErrNotFound.
func (s *Service) PublishedPage(ctx context.Context, slug string) (Page, error) {
	r, err := offerq.New(s.db).OfferPublishedBySlug(ctx, slug)
	if errors.Is(err, pgx.ErrNoRows) {
		return Page{}, offerNotFound(slug)
	}
	if err != nil {
		return Page{}, err
	}
	o, err := offerFrom(r.Offer, r.ProductIds, r.PaymentSystemIds)
	if err != nil {
		return Page{}, err
	}
	return Page{Offer: o, ProductNames: r.ProductNames}, nil
}
