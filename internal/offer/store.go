package offer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/bursar/bursar/internal/check"

	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/offer/offerq"
)

func productFrom(r offerq.Product) Product {
	p := Product{ID: r.ID, Name: r.Name, Kind: r.Kind, Description: r.Description, ExternalURL: r.ExternalUrl,
		ExternalID: r.ExternalID, ArchivedAt: r.ArchivedAt, CreatedAt: r.CreatedAt}
	if r.ParentID != nil {
		p.ParentID = *r.ParentID
	}
	return p
}

// likePattern escapes LIKE wildcards in a search typed by a person.
func likePattern(q string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.TrimSpace(q))
}

func productByID(ctx context.Context, q db.DBTX, id int64) (Product, error) {
	r, err := offerq.New(q).ProductByID(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Product{}, productNotFound(id)
	}
	if err != nil {
		return Product{}, err
	}
	return productFrom(r), nil
}

// offerFrom maps a row and its links to an Offer.
func offerFrom(r offerq.Offer, productIDs, paymentSystemIDs []int64) (Offer, error) {
	o := Offer{ID: r.ID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Input: Input{
		Title: r.Title, Slug: r.Slug, Description: r.Description, Status: r.Status, Amount: r.Amount,
		Currency: r.Currency, Kind: r.Kind, Interval: r.RecurringInterval, IntervalDays: intOf(r.RecurringDays),
		Installments: intOf(r.Installments), AccessDays: intOf(r.AccessDays), GuestCheckout: r.GuestCheckout,
		Unlisted: r.Unlisted, LinkOnly: r.LinkOnly, Language: r.Language, SuccessURL: r.SuccessUrl, FailureURL: r.FailureUrl, SuccessMessage: r.SuccessMessage,
		FailureMessage: r.FailureMessage, ManualConfirmDays: int(r.ManualConfirmDays),
		Contact:    Contact{Email: r.ContactEmail, Phone: r.ContactPhone, Note: r.ContactNote},
		ProductIDs: nonNil(productIDs), PaymentSystemIDs: nonNil(paymentSystemIDs),
		BillingEvery: int(r.BillingEvery), BillingUnit: r.BillingUnit, BillingDay: int(r.BillingDay),
		BillingPeriods: int(r.BillingPeriods), EnrollmentFee: r.EnrollmentFee, GraceDays: int(r.GraceDays),
		RemindDays: int(r.RemindDays), UnlockByPart: r.UnlockByPart,
		RefundAccess: r.RefundAccess, DisputeAccess: r.DisputeAccess,
		IntervalCount: int(r.RecurringCount), TrialDays: int(r.TrialDays), MaxCharges: int(r.MaxCharges),
	}}
	if err := json.Unmarshal(r.RegistrationFields, &o.RegistrationFields); err != nil {
		return Offer{}, fmt.Errorf("offer %d registration fields: %w", r.ID, err)
	}
	if o.RegistrationFields == nil {
		o.RegistrationFields = []RegistrationField{}
	}
	return o, nil
}

func nonNil(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

func intOf(p *int32) int {
	if p == nil {
		return 0
	}
	return int(*p)
}

// optInt stores 0 as NULL.
func optInt(n int) *int32 {
	if n == 0 {
		return nil
	}
	v := int32(n)
	return &v
}

func createParams(in Input) (offerq.OfferCreateParams, error) {
	fields, err := json.Marshal(in.RegistrationFields)
	if err != nil {
		return offerq.OfferCreateParams{}, err
	}
	return offerq.OfferCreateParams{
		Title: in.Title, Slug: in.Slug, Description: in.Description, Status: in.Status, Amount: in.Amount,
		Currency: in.Currency, Kind: in.Kind, RecurringInterval: in.Interval, RecurringDays: optInt(in.IntervalDays),
		Installments: optInt(in.Installments), AccessDays: optInt(in.AccessDays), GuestCheckout: in.GuestCheckout,
		RegistrationFields: fields, Language: in.Language, SuccessUrl: in.SuccessURL, FailureUrl: in.FailureURL,
		SuccessMessage: in.SuccessMessage, FailureMessage: in.FailureMessage, ContactEmail: in.Contact.Email,
		ContactPhone: in.Contact.Phone, ContactNote: in.Contact.Note, ManualConfirmDays: int32(in.ManualConfirmDays),
		Unlisted: in.Unlisted, LinkOnly: in.LinkOnly, BillingEvery: int32(in.BillingEvery),
		BillingUnit: in.BillingUnit, BillingDay: int32(in.BillingDay), BillingPeriods: int32(in.BillingPeriods),
		EnrollmentFee: in.EnrollmentFee, GraceDays: int32(in.GraceDays), RemindDays: int32(in.RemindDays),
		UnlockByPart: in.UnlockByPart, RecurringCount: int32(in.IntervalCount), TrialDays: int32(in.TrialDays),
		MaxCharges: int32(in.MaxCharges),
	}, nil
}

func updateParams(id int64, p offerq.OfferCreateParams) offerq.OfferUpdateParams {
	return offerq.OfferUpdateParams{
		ID: id, Title: p.Title, Slug: p.Slug, Description: p.Description, Status: p.Status, Amount: p.Amount,
		Currency: p.Currency, Kind: p.Kind, RecurringInterval: p.RecurringInterval, RecurringDays: p.RecurringDays,
		Installments: p.Installments, AccessDays: p.AccessDays, GuestCheckout: p.GuestCheckout,
		RegistrationFields: p.RegistrationFields, Language: p.Language, SuccessUrl: p.SuccessUrl,
		FailureUrl: p.FailureUrl, SuccessMessage: p.SuccessMessage, FailureMessage: p.FailureMessage,
		ContactEmail: p.ContactEmail, ContactPhone: p.ContactPhone, ContactNote: p.ContactNote,
		ManualConfirmDays: p.ManualConfirmDays, Unlisted: p.Unlisted, BillingEvery: p.BillingEvery,
		BillingUnit: p.BillingUnit, BillingDay: p.BillingDay, BillingPeriods: p.BillingPeriods,
		EnrollmentFee: p.EnrollmentFee, GraceDays: p.GraceDays, RemindDays: p.RemindDays, UnlockByPart: p.UnlockByPart,
		RecurringCount: p.RecurringCount, TrialDays: p.TrialDays, MaxCharges: p.MaxCharges,
	}
}

// saveOfferTx inserts (id 0) or updates the offer row in a savepoint, so that a taken slug can be retried. A taken
// slug is a field error when the admin chose it; a suggested one gets a numeric suffix.
func saveOfferTx(ctx context.Context, tx pgx.Tx, id int64, in *Input, suggested bool) (offerq.OfferCreateRow, error) {
	base := in.Slug
	for n := 2; ; n++ {
		row, err := saveOfferOnce(ctx, tx, id, *in)
		if !isUnique(err, "offers_slug_key") {
			return row, err
		}
		if !suggested || n > 50 {
			return row, check.Field("slug", "is already used by another offer")
		}
		suffix := "-" + strconv.Itoa(n)
		in.Slug = strings.TrimRight(base[:min(len(base), 80-len(suffix))], "-") + suffix
	}
}

func saveOfferOnce(ctx context.Context, tx pgx.Tx, id int64, in Input) (offerq.OfferCreateRow, error) {
	p, err := createParams(in)
	if err != nil {
		return offerq.OfferCreateRow{}, err
	}
	var row offerq.OfferCreateRow
	err = pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
		q := offerq.New(sp)
		if id == 0 {
			row, err = q.OfferCreate(ctx, p)
			return err
		}
		u, err := q.OfferUpdate(ctx, updateParams(id, p))
		row = offerq.OfferCreateRow{ID: id, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
		return err
	})
	return row, err
}

// isUnique reports whether err is a unique violation of constraint.
func isUnique(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == constraint
}

// isForeignKey reports whether err is a foreign key violation of constraint.
func isForeignKey(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503" && pe.ConstraintName == constraint
}
