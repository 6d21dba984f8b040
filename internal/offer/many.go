package offer

import (
	"context"
	"fmt"
	"reflect"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/offer/offerq"
)

// CreateLinkOnlyManyTx is CreateTx for many link-only offers at once (internal/paylink making a batch of custom
// amounts' links, for a batch of receipts): the same checks for each, then the offers in one statement, their payment
// systems in one and their audit entries in one, in the caller's transaction. Each input must be LinkOnly, with a
// slug given and no products, and all must differ only in title, slug, description, amount, currency and language
// (what a custom amount's link sets); the offers come back in the inputs' order. Bad input is a check.Errors (the
// first bad input's, its fields prefixed by "[i]."), found before anything is written except an unknown payment
// system (found by its foreign key): after an error, the caller rolls tx back.
func (s *Service) CreateLinkOnlyManyTx(ctx context.Context, tx pgx.Tx, ins []Input) ([]Offer, error) {
	if len(ins) == 0 {
		return nil, nil
	}
	n := len(ins)
	p := offerq.OffersCreateManyParams{Titles: make([]string, n), Slugs: make([]string, n),
		Descriptions: make([]string, n), Amounts: make([]int64, n), Currencies: make([]string, n),
		Languages: make([]string, n)}
	var (
		shared  offerq.OfferCreateParams
		checked = map[string]bool{} // the payment systems' checks (checkGuest) already made, by their ids
	)
	for i := range ins {
		in := &ins[i]
		in.normalize()
		e := in.Validate()
		switch {
		case !in.LinkOnly:
			e.Add("link_only", "must be set: only link-only offers are made in a batch")
		case in.Slug == "":
			e.Add("slug", "is required in a batch")
		case len(in.ProductIDs) > 0:
			e.Add("product_ids", "must be empty for a link-only offer made in a batch")
		}
		key := fmt.Sprint(in.PaymentSystemIDs)
		if !checked[key] {
			if err := s.checkGuest(ctx, *in, e); err != nil {
				return nil, err
			}
			checked[key] = len(e) == 0
		}
		if err := e.Err(); err != nil {
			return nil, fmt.Errorf("offer [%d]: %w", i, err)
		}
		cp, err := createParams(*in)
		if err != nil {
			return nil, err
		}
		p.Titles[i], p.Slugs[i], p.Descriptions[i], p.Amounts[i], p.Currencies[i], p.Languages[i] =
			cp.Title, cp.Slug, cp.Description, cp.Amount, cp.Currency, cp.Language
		cp.Title, cp.Slug, cp.Description, cp.Amount, cp.Currency, cp.Language = "", "", "", 0, "", ""
		if i == 0 {
			shared = cp
		} else if !reflect.DeepEqual(cp, shared) {
			return nil, fmt.Errorf("offer: CreateLinkOnlyManyTx: input %d differs from the first beyond title, slug, "+
				"description, amount, currency and language", i)
		}
	}
	p.Status, p.Kind, p.RecurringInterval, p.RecurringDays = shared.Status, shared.Kind, shared.RecurringInterval,
		shared.RecurringDays
	p.Installments, p.AccessDays, p.GuestCheckout = shared.Installments, shared.AccessDays, shared.GuestCheckout
	p.RegistrationFields, p.SuccessUrl, p.FailureUrl = shared.RegistrationFields, shared.SuccessUrl, shared.FailureUrl
	p.SuccessMessage, p.FailureMessage = shared.SuccessMessage, shared.FailureMessage
	p.ContactEmail, p.ContactPhone, p.ContactNote = shared.ContactEmail, shared.ContactPhone, shared.ContactNote
	p.ManualConfirmDays, p.Unlisted, p.LinkOnly = shared.ManualConfirmDays, shared.Unlisted, shared.LinkOnly
	p.BillingEvery, p.BillingUnit, p.BillingDay = shared.BillingEvery, shared.BillingUnit, shared.BillingDay
	p.BillingPeriods, p.EnrollmentFee, p.GraceDays = shared.BillingPeriods, shared.EnrollmentFee, shared.GraceDays
	p.RemindDays, p.UnlockByPart = shared.RemindDays, shared.UnlockByPart
	q := offerq.New(tx)
	rows, err := q.OffersCreateMany(ctx, p)
	if isUnique(err, "offers_slug_key") {
		return nil, check.Field("slug", "is already used by another offer")
	}
	if err != nil {
		return nil, fmt.Errorf("insert %d offers: %w", n, err)
	}
	if len(rows) != n {
		return nil, fmt.Errorf("insert %d offers: %d rows", n, len(rows))
	}
	at := make(map[string]int, n)
	for i, slug := range p.Slugs {
		at[slug] = i
	}
	out := make([]Offer, n)
	var sys offerq.OffersPaymentSystemsAddManyParams
	entries := make([]audit.Entry, n)
	for _, r := range rows {
		i, ok := at[r.Slug]
		if !ok {
			return nil, fmt.Errorf("insert offers: slug %q returned was not given", r.Slug)
		}
		out[i] = Offer{ID: r.ID, Input: ins[i], CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
		for pos, id := range ins[i].PaymentSystemIDs {
			sys.OfferIds = append(sys.OfferIds, r.ID)
			sys.PaymentSystemIds = append(sys.PaymentSystemIds, id)
			sys.Positions = append(sys.Positions, int32(pos+1))
		}
		entries[i] = audit.Entry{Action: "offer.create", Entity: "offer", EntityID: strconv.FormatInt(r.ID, 10),
			Details: auditDetails(ins[i])}
	}
	err = q.OffersPaymentSystemsAddMany(ctx, sys)
	if isForeignKey(err, "offer_payment_systems_payment_system_id_fkey") {
		return nil, check.Field("payment_system_ids", "holds an id that is not a payment system")
	}
	if err != nil {
		return nil, fmt.Errorf("payment systems of %d offers: %w", n, err)
	}
	if err := s.audit.RecordManyTx(ctx, tx, entries); err != nil {
		return nil, err
	}
	return out, nil
}
