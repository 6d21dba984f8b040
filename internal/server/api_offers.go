package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/offer"
)

// apiOfferJSON is an offer in the API. access_days null is forever; interval, interval_days and installments are
// null when the kind does not use them.
type apiOfferJSON struct {
	ID                int64   `json:"id"`
	Title             string  `json:"title"`
	Slug              string  `json:"slug"`
	Status            string  `json:"status"`
	Amount            int64   `json:"amount"`
	Currency          string  `json:"currency"`
	ProductIDs        []int64 `json:"product_ids"`
	PaymentSystemIDs  []int64 `json:"payment_system_ids"`
	GuestCheckout     bool    `json:"guest_checkout"`
	Unlisted          bool    `json:"unlisted"`
	LinkOnly          bool    `json:"link_only"` // made for one payment link's custom amount
	ManualConfirmDays int     `json:"manual_confirm_days"`
	AccessDays        *int    `json:"access_days"`
	Language          string  `json:"language"`
	Kind              string  `json:"kind"`
	Interval          *string `json:"interval"`
	IntervalDays      *int    `json:"interval_days"`
	Installments      *int    `json:"installments"`
	// Recurring offers: charged every interval_count intervals (1 for custom), after trial_days free days, at most
	// max_charges times (0: until cancelled); grace_days below is how long access outlasts a failed charge.
	IntervalCount int `json:"interval_count"`
	TrialDays     int `json:"trial_days"`
	MaxCharges    int `json:"max_charges"`
	// The billing of tuition and installments; other kinds hold the defaults.
	BillingEvery       int                       `json:"billing_every"`
	BillingUnit        string                    `json:"billing_unit"`
	BillingDay         int                       `json:"billing_day"`     // 0: the day of enrollment
	BillingPeriods     int                       `json:"billing_periods"` // 0: until cancelled
	EnrollmentFee      int64                     `json:"enrollment_fee"`
	GraceDays          int                       `json:"grace_days"`
	RemindDays         int                       `json:"remind_days"`
	UnlockByPart       bool                      `json:"unlock_by_part"`
	Description        string                    `json:"description"`
	RegistrationFields []offer.RegistrationField `json:"registration_fields"`
	SuccessURL         string                    `json:"success_url"`
	SuccessMessage     string                    `json:"success_message"`
	FailureURL         string                    `json:"failure_url"`
	FailureMessage     string                    `json:"failure_message"`
	Contact            offer.Contact             `json:"contact"`
	// What a refund and a dispute of an order do to its access: revoke, keep or ask (a manager decides).
	RefundAccess  string    `json:"refund_access"`
	DisputeAccess string    `json:"dispute_access"`
	URL           string    `json:"url"` // the public page, served only when published
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func nilIfZero[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

func (s *Server) offerJSON(o offer.Offer) apiOfferJSON {
	return apiOfferJSON{ID: o.ID, Title: o.Title, Slug: o.Slug, Status: o.Status, Amount: o.Amount, Currency: o.Currency,
		ProductIDs: o.ProductIDs, PaymentSystemIDs: o.PaymentSystemIDs, GuestCheckout: o.GuestCheckout,
		Unlisted: o.Unlisted, LinkOnly: o.LinkOnly, ManualConfirmDays: o.ManualConfirmDays, AccessDays: nilIfZero(o.AccessDays), Language: o.Language, Kind: o.Kind,
		Interval: nilIfZero(o.Interval), IntervalDays: nilIfZero(o.IntervalDays), Installments: nilIfZero(o.Installments),
		IntervalCount: o.IntervalCount, TrialDays: o.TrialDays, MaxCharges: o.MaxCharges,
		Description: o.Description, RegistrationFields: o.RegistrationFields, SuccessURL: o.SuccessURL,
		SuccessMessage: o.SuccessMessage, FailureURL: o.FailureURL, FailureMessage: o.FailureMessage, Contact: o.Contact,
		URL: strings.TrimRight(s.cfg.BaseURL, "/") + "/o/" + o.Slug, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
		BillingEvery: o.BillingEvery, BillingUnit: o.BillingUnit, BillingDay: o.BillingDay,
		BillingPeriods: o.BillingPeriods, EnrollmentFee: o.EnrollmentFee, GraceDays: o.GraceDays,
		RemindDays: o.RemindDays, UnlockByPart: o.UnlockByPart, RefundAccess: o.RefundAccess,
		DisputeAccess: o.DisputeAccess}
}

// nullableInt is an int field of a PATCH body that tells absent (Set false) from null (Set, Value nil).
type nullableInt struct {
	Set   bool
	Value *int
}

// UnmarshalJSON reads a number or null.
func (n *nullableInt) UnmarshalJSON(b []byte) error {
	n.Set = true
	if bytes.Equal(b, []byte("null")) {
		n.Value = nil
		return nil
	}
	return json.Unmarshal(b, &n.Value)
}

// apiOfferRequest is the body of POST and PATCH: absent fields keep their value (PATCH) or their default (POST).
type apiOfferRequest struct {
	Title              *string                    `json:"title"`
	Slug               *string                    `json:"slug"`
	Description        *string                    `json:"description"`
	Status             *string                    `json:"status"`
	Amount             *int64                     `json:"amount"`
	Currency           *string                    `json:"currency"`
	Kind               *string                    `json:"kind"`
	Interval           *string                    `json:"interval"`
	IntervalDays       nullableInt                `json:"interval_days"`
	Installments       nullableInt                `json:"installments"`
	IntervalCount      *int                       `json:"interval_count"`
	TrialDays          *int                       `json:"trial_days"`
	MaxCharges         *int                       `json:"max_charges"`
	AccessDays         nullableInt                `json:"access_days"`
	BillingEvery       *int                       `json:"billing_every"`
	BillingUnit        *string                    `json:"billing_unit"`
	BillingDay         *int                       `json:"billing_day"`
	BillingPeriods     *int                       `json:"billing_periods"`
	EnrollmentFee      *int64                     `json:"enrollment_fee"`
	GraceDays          *int                       `json:"grace_days"`
	RemindDays         *int                       `json:"remind_days"`
	UnlockByPart       *bool                      `json:"unlock_by_part"`
	ProductIDs         *[]int64                   `json:"product_ids"`
	PaymentSystemIDs   *[]int64                   `json:"payment_system_ids"`
	GuestCheckout      *bool                      `json:"guest_checkout"`
	Unlisted           *bool                      `json:"unlisted"`
	RegistrationFields *[]offer.RegistrationField `json:"registration_fields"`
	Language           *string                    `json:"language"`
	SuccessURL         *string                    `json:"success_url"`
	SuccessMessage     *string                    `json:"success_message"`
	FailureURL         *string                    `json:"failure_url"`
	FailureMessage     *string                    `json:"failure_message"`
	Contact            *offer.Contact             `json:"contact"`
	ManualConfirmDays  *int                       `json:"manual_confirm_days"`
	RefundAccess       *string                    `json:"refund_access"`
	DisputeAccess      *string                    `json:"dispute_access"`
}

func setNullable(dst *int, n nullableInt) {
	if !n.Set {
		return
	}
	*dst = 0
	if n.Value != nil {
		*dst = *n.Value
		if *dst == 0 {
			*dst = -1 // 0 is not a valid count: let Validate name the field instead of reading it as "none"
		}
	}
}

func (b apiOfferRequest) apply(in *offer.Input) {
	setIf(&in.Title, b.Title)
	setIf(&in.Slug, b.Slug)
	setIf(&in.Description, b.Description)
	setIf(&in.Status, b.Status)
	setIf(&in.Amount, b.Amount)
	setIf(&in.Currency, b.Currency)
	setIf(&in.Kind, b.Kind)
	setIf(&in.Interval, b.Interval)
	setNullable(&in.IntervalDays, b.IntervalDays)
	setNullable(&in.Installments, b.Installments)
	setIf(&in.IntervalCount, b.IntervalCount)
	setIf(&in.TrialDays, b.TrialDays)
	setIf(&in.MaxCharges, b.MaxCharges)
	setNullable(&in.AccessDays, b.AccessDays)
	setIf(&in.BillingEvery, b.BillingEvery)
	setIf(&in.BillingUnit, b.BillingUnit)
	setIf(&in.BillingDay, b.BillingDay)
	setIf(&in.BillingPeriods, b.BillingPeriods)
	setIf(&in.EnrollmentFee, b.EnrollmentFee)
	setIf(&in.GraceDays, b.GraceDays)
	setIf(&in.RemindDays, b.RemindDays)
	setIf(&in.UnlockByPart, b.UnlockByPart)
	setIf(&in.ProductIDs, b.ProductIDs)
	setIf(&in.PaymentSystemIDs, b.PaymentSystemIDs)
	setIf(&in.GuestCheckout, b.GuestCheckout)
	setIf(&in.Unlisted, b.Unlisted)
	setIf(&in.RegistrationFields, b.RegistrationFields)
	setIf(&in.Language, b.Language)
	setIf(&in.SuccessURL, b.SuccessURL)
	setIf(&in.SuccessMessage, b.SuccessMessage)
	setIf(&in.FailureURL, b.FailureURL)
	setIf(&in.FailureMessage, b.FailureMessage)
	setIf(&in.Contact, b.Contact)
	setIf(&in.ManualConfirmDays, b.ManualConfirmDays)
	setIf(&in.RefundAccess, b.RefundAccess)
	setIf(&in.DisputeAccess, b.DisputeAccess)
}

func (s *Server) apiOffers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := pageLimit(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	after, err := decodeCursor(q.Get("cursor"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	status := q.Get("status")
	if status != "" && !slices.Contains(offer.Statuses, status) {
		s.apiError(w, r, check.Field("status", "must be draft, published or archived"))
		return
	}
	offers, err := s.offers.Offers(r.Context(), offer.Filter{Status: status, Query: q.Get("q"), AfterID: after, Limit: limit + 1})
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := List[apiOfferJSON]{Data: make([]apiOfferJSON, 0, min(len(offers), limit))}
	for i, o := range offers {
		if i == limit {
			out.NextCursor = encodeCursor(offers[i-1].ID)
			break
		}
		out.Data = append(out.Data, s.offerJSON(o))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiOfferCreate(w http.ResponseWriter, r *http.Request) {
	var b apiOfferRequest
	if !decodeJSON(w, r, &b) {
		return
	}
	in := offer.NewInput()
	b.apply(&in)
	o, err := s.offers.Create(r.Context(), in)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/offers/"+itoa(o.ID))
	writeJSON(w, http.StatusCreated, s.offerJSON(o))
}

func (s *Server) apiOffer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	o, err := s.offers.Offer(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.offerJSON(o))
}

func (s *Server) apiOfferUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var b apiOfferRequest
	if !decodeJSON(w, r, &b) {
		return
	}
	o, err := s.offers.Update(r.Context(), id, b.apply)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.offerJSON(o))
}
