package offer_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
)

type fixture struct {
	s      *offer.Service
	ctx    context.Context
	pool   *pgxpool.Pool
	course offer.Product
	ps     int64 // a payment system
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	pool := dbtest.New(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorSystem, Label: "test"})
	f := fixture{s: mustService(t, pool), ctx: ctx, pool: pool}
	f.course = mustProduct(t, f.s, ctx, offer.ProductInput{Name: "Spanish A1", Kind: offer.KindCourse})
	if err := pool.QueryRow(ctx, `INSERT INTO payment_systems (type, name) VALUES ('manual','Bank transfer') RETURNING id`).Scan(&f.ps); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f fixture) input(title string) offer.Input {
	in := offer.NewInput()
	in.Title, in.Amount, in.Currency = title, 4900, "EUR"
	in.ProductIDs = []int64{f.course.ID}
	in.PaymentSystemIDs = []int64{f.ps}
	return in
}

func (f fixture) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(f.ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOfferValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	archived := mustProduct(t, f.s, f.ctx, offer.ProductInput{Name: "Old", Kind: offer.KindWebinar})
	if _, err := f.s.ArchiveProduct(f.ctx, archived.ID); err != nil {
		t.Fatal(err)
	}
	field := func(key, typ string) offer.RegistrationField {
		return offer.RegistrationField{Key: key, Label: "L", Type: typ}
	}
	tests := []struct {
		name  string
		edit  func(*offer.Input)
		field string
	}{
		{"EmptyTitle", func(in *offer.Input) { in.Title = " " }, "title"},
		{"LongTitle", func(in *offer.Input) { in.Title = strings.Repeat("t", 201) }, "title"},
		{"BadSlug", func(in *offer.Input) { in.Slug = "Not A Slug" }, "slug"},
		{"LongDescription", func(in *offer.Input) { in.Description = strings.Repeat("d", 20001) }, "description"},
		{"BadStatus", func(in *offer.Input) { in.Status = "live" }, "status"},
		{"ZeroAmount", func(in *offer.Input) { in.Amount = 0 }, "amount"},
		{"NegativeAmount", func(in *offer.Input) { in.Amount = -100 }, "amount"},
		{"UnknownCurrency", func(in *offer.Input) { in.Currency = "XYZ" }, "currency"},
		{"BadKind", func(in *offer.Input) { in.Kind = "weekly" }, "kind"},
		{"RecurringNoInterval", func(in *offer.Input) { in.Kind = offer.Recurring }, "interval"},
		{"CustomNoDays", func(in *offer.Input) { in.Kind, in.Interval = offer.Recurring, offer.IntervalCustom }, "interval_days"},
		{"OneInstallment", func(in *offer.Input) { in.Kind, in.Installments = offer.Installments, 1 }, "installments"},
		{"TooManyInstallments", func(in *offer.Input) { in.Kind, in.Installments = offer.Installments, 37 }, "installments"},
		{"PublishedRecurringNoSystem", func(in *offer.Input) {
			in.Status, in.Kind, in.Interval = offer.StatusPublished, offer.Recurring, offer.IntervalMonth
			in.PaymentSystemIDs = nil
		}, "payment_system_ids"},
		{"IntervalCountZero", func(in *offer.Input) {
			in.Kind, in.Interval, in.IntervalCount = offer.Recurring, offer.IntervalWeek, -1
		}, "interval_count"},
		{"IntervalCountTooMany", func(in *offer.Input) {
			in.Kind, in.Interval, in.IntervalCount = offer.Recurring, offer.IntervalWeek, offer.MaxIntervalCount+1
		}, "interval_count"},
		{"TrialTooLong", func(in *offer.Input) {
			in.Kind, in.Interval, in.TrialDays = offer.Recurring, offer.IntervalMonth, offer.MaxTrialDays+1
		}, "trial_days"},
		{"MaxChargesNegative", func(in *offer.Input) {
			in.Kind, in.Interval, in.MaxCharges = offer.Recurring, offer.IntervalMonth, -1
		}, "max_charges"},
		{"InstallmentsPriceBelowParts", func(in *offer.Input) {
			in.Kind, in.Installments, in.Amount = offer.Installments, 3, 2
		}, "installments"},
		{"EveryZero", tuition(func(in *offer.Input) { in.BillingEvery = 0 }), "billing_every"},
		{"EveryTooMany", tuition(func(in *offer.Input) { in.BillingEvery = 121 }), "billing_every"},
		{"InstallmentsEveryZero", func(in *offer.Input) {
			in.Kind, in.Installments, in.BillingEvery = offer.Installments, 3, 0
		}, "billing_every"},
		{"BadUnit", tuition(func(in *offer.Input) { in.BillingUnit = "day" }), "billing_unit"},
		{"DayTooLate", tuition(func(in *offer.Input) { in.BillingDay = 32 }), "billing_day"},
		{"DayNegative", tuition(func(in *offer.Input) { in.BillingDay = -1 }), "billing_day"},
		{"DayWeekly", tuition(func(in *offer.Input) { in.BillingUnit, in.BillingDay = offer.UnitWeek, 5 }), "billing_day"},
		{"DayYearly", tuition(func(in *offer.Input) { in.BillingUnit, in.BillingDay = offer.UnitYear, 5 }), "billing_day"},
		{"PeriodsNegative", tuition(func(in *offer.Input) { in.BillingPeriods = -1 }), "billing_periods"},
		{"PeriodsTooMany", tuition(func(in *offer.Input) { in.BillingPeriods = 1201 }), "billing_periods"},
		{"FeeNegative", tuition(func(in *offer.Input) { in.EnrollmentFee = -1 }), "enrollment_fee"},
		{"FeeTooLarge", tuition(func(in *offer.Input) { in.EnrollmentFee = money.MaxAmount + 1 }), "enrollment_fee"},
		{"GraceNegative", tuition(func(in *offer.Input) { in.GraceDays = -1 }), "grace_days"},
		{"GraceTooLong", tuition(func(in *offer.Input) { in.GraceDays = 366 }), "grace_days"},
		{"RemindNegative", tuition(func(in *offer.Input) { in.RemindDays = -1 }), "remind_days"},
		{"RemindTooEarly", tuition(func(in *offer.Input) { in.RemindDays = 61 }), "remind_days"},
		{"NegativeAccess", func(in *offer.Input) { in.AccessDays = -1 }, "access_days"},
		{"NoProducts", func(in *offer.Input) { in.ProductIDs = nil }, "product_ids"},
		{"UnknownProduct", func(in *offer.Input) { in.ProductIDs = []int64{f.course.ID, 999999} }, "product_ids"},
		{"ArchivedProduct", func(in *offer.Input) { in.ProductIDs = []int64{archived.ID} }, "product_ids"},
		{"UnknownPaymentSystem", func(in *offer.Input) { in.PaymentSystemIDs = []int64{999999} }, "payment_system_ids"},
		{"FieldKeyNotSnake", func(in *offer.Input) {
			in.RegistrationFields = []offer.RegistrationField{field("Company Name", "text")}
		}, "registration_fields"},
		{"FieldKeyTwice", func(in *offer.Input) {
			in.RegistrationFields = []offer.RegistrationField{field("company", "text"), field("company", "email")}
		}, "registration_fields"},
		{"FieldBadType", func(in *offer.Input) { in.RegistrationFields = []offer.RegistrationField{field("age", "number")} }, "registration_fields"},
		{"SelectNoOptions", func(in *offer.Input) { in.RegistrationFields = []offer.RegistrationField{field("level", "select")} }, "registration_fields"},
		{"FieldReserved", func(in *offer.Input) { in.RegistrationFields = []offer.RegistrationField{field("email", "email")} }, "registration_fields"},
		{"BadLanguage", func(in *offer.Input) { in.Language = "de" }, "language"},
		{"BadSuccessURL", func(in *offer.Input) { in.SuccessURL = "javascript:alert(1)" }, "success_url"},
		{"BadContactEmail", func(in *offer.Input) { in.Contact.Email = "school@" }, "contact_email"},
		{"BadContactPhone", func(in *offer.Input) { in.Contact.Phone = "call me" }, "contact_phone"},
		{"ConfirmDaysZero", func(in *offer.Input) { in.ManualConfirmDays = 0 }, "manual_confirm_days"},
		{"ConfirmDaysTooMany", func(in *offer.Input) { in.ManualConfirmDays = 366 }, "manual_confirm_days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := f.input("Spanish A1, monthly")
			tt.edit(&in)
			_, err := f.s.Create(f.ctx, in)
			wantField(t, err, tt.field)
		})
	}
	for _, table := range []string{"offers", "offer_products", "offer_payment_systems"} {
		if n := f.count(t, table); n != 0 {
			t.Errorf("bad input left %d rows in %s", n, table)
		}
	}
}

// tuition makes an input a monthly tuition before edit.
func tuition(edit func(*offer.Input)) func(*offer.Input) {
	return func(in *offer.Input) {
		in.Kind = offer.Tuition
		edit(in)
	}
}

// TestOfferBillingRoundTrip: a tuition's and an installment plan's billing settings are stored and read back as
// set; settings of another kind are dropped, and a one-time offer keeps the defaults.
func TestOfferBillingRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := f.input("Academy, monthly")
	in.Kind, in.Status = offer.Tuition, offer.StatusPublished
	in.BillingEvery, in.BillingUnit, in.BillingDay, in.BillingPeriods = 2, " Month ", 31, 10
	in.EnrollmentFee, in.GraceDays, in.RemindDays = 2000, 0, 60
	in.UnlockByPart, in.Installments = true, 4 // installments only: dropped
	o, err := f.s.Create(f.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.s.Offer(f.ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := [...]any{2, offer.UnitMonth, 31, 10, int64(2000), 0, 60, false, 0, offer.StatusPublished}
	if have := [...]any{got.BillingEvery, got.BillingUnit, got.BillingDay, got.BillingPeriods, got.EnrollmentFee,
		got.GraceDays, got.RemindDays, got.UnlockByPart, got.Installments, got.Status}; have != want {
		t.Fatalf("tuition read back %v, want %v", have, want)
	}

	got, err = f.s.Update(f.ctx, o.ID, func(in *offer.Input) {
		in.Kind, in.Installments, in.Amount, in.UnlockByPart = offer.Installments, 3, 30000, true
		in.BillingUnit, in.BillingDay, in.GraceDays, in.RemindDays = offer.UnitWeek, 0, 5, 1
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err = f.s.Offer(f.ctx, got.ID); err != nil {
		t.Fatal(err)
	}
	want = [...]any{2, offer.UnitWeek, 0, 0, int64(0), 5, 1, true, 3, offer.StatusPublished}
	if have := [...]any{got.BillingEvery, got.BillingUnit, got.BillingDay, got.BillingPeriods, got.EnrollmentFee,
		got.GraceDays, got.RemindDays, got.UnlockByPart, got.Installments, got.Status}; have != want {
		t.Fatalf("installments read back %v, want %v", have, want)
	}

	got, err = f.s.Update(f.ctx, o.ID, func(in *offer.Input) { in.Kind = offer.OneTime })
	if err != nil {
		t.Fatal(err)
	}
	if got, err = f.s.Offer(f.ctx, got.ID); err != nil {
		t.Fatal(err)
	}
	def := offer.NewInput()
	want = [...]any{def.BillingEvery, def.BillingUnit, 0, 0, int64(0), def.GraceDays, def.RemindDays, false, 0,
		offer.StatusPublished}
	if have := [...]any{got.BillingEvery, got.BillingUnit, got.BillingDay, got.BillingPeriods, got.EnrollmentFee,
		got.GraceDays, got.RemindDays, got.UnlockByPart, got.Installments, got.Status}; have != want {
		t.Fatalf("one-time read back %v, want %v", have, want)
	}
	if want := [...]any{1, "month", 7, 3}; [...]any{def.BillingEvery, def.BillingUnit, def.GraceDays, def.RemindDays} != want {
		t.Fatalf("defaults %+v", def)
	}
}

func TestOfferCreateAndSlug(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := f.input("Español A1 — mensual")
	in.Kind, in.Interval = offer.Recurring, offer.IntervalMonth
	in.Installments = 5 // meaningless for recurring: dropped
	in.RegistrationFields = []offer.RegistrationField{{Key: "level", Label: "Level", Type: "select", Options: []string{"A1", " ", "B1"}, Required: true}}
	o, err := f.s.Create(f.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if o.Slug != "espanol-a1-mensual" || o.Installments != 0 || o.Status != offer.StatusDraft {
		t.Fatalf("created %+v", o.Input)
	}
	got, err := f.s.Offer(f.ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Interval != offer.IntervalMonth || len(got.RegistrationFields) != 1 || len(got.RegistrationFields[0].Options) != 2 ||
		got.ManualConfirmDays != 30 || got.AccessDays != 0 || got.PaymentSystemIDs[0] != f.ps || got.ProductIDs[0] != f.course.ID {
		t.Fatalf("read back %+v", got.Input)
	}

	t.Run("SuggestedSlugGetsSuffix", func(t *testing.T) {
		o2, err := f.s.Create(f.ctx, f.input("Español A1 — mensual"))
		if err != nil || o2.Slug != "espanol-a1-mensual-2" {
			t.Fatalf("slug %q, err %v", o2.Slug, err)
		}
	})
	t.Run("DuplicateSlugIsFieldError", func(t *testing.T) {
		dup := f.input("Another")
		dup.Slug = "espanol-a1-mensual"
		_, err := f.s.Create(f.ctx, dup)
		wantField(t, err, "slug")
		other, _ := f.s.Create(f.ctx, f.input("Other"))
		_, err = f.s.Update(f.ctx, other.ID, func(in *offer.Input) { in.Slug = "espanol-a1-mensual" })
		wantField(t, err, "slug")
	})
	t.Run("Cyrillic", func(t *testing.T) {
		if s := offer.Slugify("Курс українська мова!"); s != "kurs-ukrayinska-mova" {
			t.Fatalf("slug %q", s)
		}
		if s := offer.Slugify("!!!"); s != "offer" {
			t.Fatalf("slug %q", s)
		}
	})
	t.Run("Audited", func(t *testing.T) {
		var n int
		if err := f.pool.QueryRow(f.ctx, "SELECT count(*) FROM audit_log WHERE action = 'offer.create' AND entity_id = $1::bigint::text", o.ID).Scan(&n); err != nil || n != 1 {
			t.Fatalf("audit entries %d, %v", n, err)
		}
	})
}

func TestOfferPublishRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o, err := f.s.Create(f.ctx, f.input("Spanish A1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.PublishedPage(f.ctx, o.Slug); !errors.Is(err, check.ErrNotFound) {
		t.Fatalf("draft page: %v", err)
	}
	if _, err := f.s.SetStatus(f.ctx, o.ID, offer.StatusPublished); err != nil {
		t.Fatal(err)
	}
	p, err := f.s.PublishedPage(f.ctx, o.Slug)
	if err != nil || len(p.ProductNames) != 1 || p.ProductNames[0] != "Spanish A1" {
		t.Fatalf("published page %+v, %v", p.ProductNames, err)
	}
	if _, err := f.s.SetStatus(f.ctx, o.ID, "live"); err == nil {
		t.Fatal("unknown status accepted")
	}

	// With its only product archived the offer keeps working as it is, but cannot be published again.
	if _, err := f.s.SetStatus(f.ctx, o.ID, offer.StatusDraft); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ArchiveProduct(f.ctx, f.course.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Update(f.ctx, o.ID, func(in *offer.Input) { in.Title = "Spanish A1 (old)" }); err != nil {
		t.Fatalf("edit with a kept archived product: %v", err)
	}
	_, err = f.s.SetStatus(f.ctx, o.ID, offer.StatusPublished)
	wantField(t, err, "status")

	if _, err := f.s.SetStatus(f.ctx, o.ID, offer.StatusArchived); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.PublishedPage(f.ctx, o.Slug); !errors.Is(err, check.ErrNotFound) {
		t.Fatalf("archived page: %v", err)
	}
	if _, err := f.s.SetStatus(f.ctx, 999999, offer.StatusDraft); !errors.Is(err, check.ErrNotFound) {
		t.Fatalf("unknown offer: %v", err)
	}
}

func TestOfferListKeyset(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var ids []int64
	for i, title := range []string{"Spanish A1", "Spanish A2", "French A1", "Spanish B1", "Spanish B2"} {
		o, err := f.s.Create(f.ctx, f.input(title))
		if err != nil {
			t.Fatal(err)
		}
		if i != 2 && i != 3 {
			if _, err := f.s.SetStatus(f.ctx, o.ID, offer.StatusPublished); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, o.ID)
	}
	var got []int64
	after := int64(0)
	for range 10 {
		page, err := f.s.Offers(f.ctx, offer.Filter{Status: offer.StatusPublished, Query: "spanish", AfterID: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page {
			got = append(got, o.ID)
			if len(o.ProductIDs) != 1 || len(o.PaymentSystemIDs) != 1 {
				t.Fatalf("list row lacks links: %+v", o.Input)
			}
		}
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].ID
	}
	want := []int64{ids[0], ids[1], ids[4]}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("got %v, want %v", got, want)
	}
	bySlug, _ := f.s.Offers(f.ctx, offer.Filter{Query: "french-a1"})
	if len(bySlug) != 1 || bySlug[0].ID != ids[2] {
		t.Fatalf("search by slug: %+v", bySlug)
	}
}

// TestOfferRecurringPublishGuard: a recurring offer is sold only through payment systems that charge a saved card
// on schedule (the real gateway service tells): with Stripe it publishes; with WayForPay or Fondy too, but with no
// free trial (their first payment saves the card); with Redsys (or a manual system) it is refused with the reason
// and what to do instead, even as a draft; a published one needs such a system; nothing is written by a refusal.
func TestOfferRecurringPublishGuard(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s, err := offer.NewService(f.pool, audit.New(f.pool), gateway.NewService(f.pool, audit.New(f.pool), make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	system := func(typ, name string) int64 {
		var id int64
		if err := f.pool.QueryRow(f.ctx, `INSERT INTO payment_systems (type, name) VALUES ($1, $2) RETURNING id`,
			typ, name).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	stripe, paypal := system(gateway.TypeStripe, "Stripe"), system(gateway.TypePayPal, "PayPal")
	wfp, fondy := system(gateway.TypeWayForPay, "WayForPay"), system(gateway.TypeFondy, "Fondy")
	redsys := system(gateway.TypeRedsys, "Redsys")
	monthly := func(title string, systems ...int64) offer.Input {
		in := f.input(title)
		in.Kind, in.Interval, in.IntervalCount, in.TrialDays, in.MaxCharges = offer.Recurring, offer.IntervalMonth, 3, 14, 4
		in.PaymentSystemIDs = systems
		return in
	}

	t.Run("StripePublishes", func(t *testing.T) {
		o, err := s.Create(f.ctx, monthly("Spanish A1 quarterly", stripe, paypal))
		if err != nil {
			t.Fatal(err)
		}
		if o, err = s.SetStatus(f.ctx, o.ID, offer.StatusPublished); err != nil || o.Status != offer.StatusPublished {
			t.Fatalf("publish with Stripe: %q, %v", o.Status, err)
		}
		got, err := s.Offer(f.ctx, o.ID)
		if err != nil || got.IntervalCount != 3 || got.TrialDays != 14 || got.MaxCharges != 4 {
			t.Fatalf("read back %+v, %v", got.Input, err)
		}
	})
	t.Run("SavedCardsWithoutTrialPublish", func(t *testing.T) {
		in := monthly("Spanish A1 by WayForPay", wfp, fondy, stripe)
		in.TrialDays, in.Status = 0, offer.StatusPublished
		o, err := s.Create(f.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.Offer(f.ctx, o.ID); err != nil || got.Status != offer.StatusPublished || len(got.PaymentSystemIDs) != 3 {
			t.Fatalf("read back %+v, %v", got.Input, err)
		}
	})
	offers, audits := f.count(t, "offers"), f.count(t, "audit_log")
	t.Run("RedsysRefused", func(t *testing.T) {
		for _, systems := range [][]int64{{redsys}, {stripe, redsys}, {f.ps, stripe}} {
			in := monthly("Spanish A1 by Redsys", systems...)
			in.TrialDays = 0
			_, err := s.Create(f.ctx, in)
			wantField(t, err, "payment_system_ids")
			e, _ := check.AsErrors(err)
			if !strings.Contains(e["payment_system_ids"], "cannot charge a saved card on schedule here: sell this "+
				"programme as tuition") || strings.Contains(e["payment_system_ids"], "Stripe") {
				t.Fatalf("systems %v: message %q", systems, e["payment_system_ids"])
			}
		}
		_, err := s.Create(f.ctx, monthly("Spanish A1 by Redsys", redsys))
		if e, _ := check.AsErrors(err); e["payment_system_ids"] != offer.NotRecurringMessage("Redsys") {
			t.Fatalf("message %q", e["payment_system_ids"])
		}
	})
	t.Run("TrialThroughSavedCardsRefused", func(t *testing.T) {
		tests := []struct {
			name    string
			systems []int64
			want    string
		}{
			{"WayForPay", []int64{wfp}, "WayForPay cannot start a free trial: the first payment saves the payer's " +
				"card; set no trial, or sell through Stripe or PayPal"},
			{"WithStripe", []int64{stripe, fondy, wfp}, offer.NoTrialMessage("Fondy", "WayForPay")},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.Create(f.ctx, monthly("Spanish A1 with a trial", tt.systems...))
				e, _ := check.AsErrors(err)
				if e["trial_days"] != tt.want || len(e) != 1 {
					t.Fatalf("errors %v, want trial_days %q alone", err, tt.want)
				}
			})
		}
		if got := offer.NoTrialMessage("Fondy", "WayForPay"); !strings.HasPrefix(got, "Fondy and WayForPay cannot") {
			t.Errorf("two names: %q", got)
		}
	})
	t.Run("PublishedNeedsASystem", func(t *testing.T) {
		in := monthly("Spanish A1 with no system")
		in.Status = offer.StatusPublished
		_, err := s.Create(f.ctx, in)
		wantField(t, err, "payment_system_ids")
	})
	t.Run("EditRefused", func(t *testing.T) {
		o, err := s.Create(f.ctx, monthly("Spanish A1 monthly", stripe))
		if err != nil {
			t.Fatal(err)
		}
		offers++
		audits++
		_, err = s.Update(f.ctx, o.ID, func(in *offer.Input) { in.PaymentSystemIDs = []int64{redsys} })
		wantField(t, err, "payment_system_ids")
		// Adding WayForPay to an offer with a trial is refused on the trial.
		_, err = s.Update(f.ctx, o.ID, func(in *offer.Input) { in.PaymentSystemIDs = append(in.PaymentSystemIDs, wfp) })
		wantField(t, err, "trial_days")
		if got, _ := s.Offer(f.ctx, o.ID); len(got.PaymentSystemIDs) != 1 || got.PaymentSystemIDs[0] != stripe {
			t.Fatalf("systems after a refused edit: %v", got.PaymentSystemIDs)
		}
		// The same programme as tuition, billed by receipts, is sold through Redsys.
		if _, err = s.Update(f.ctx, o.ID, func(in *offer.Input) {
			in.Kind, in.PaymentSystemIDs, in.Status = offer.Tuition, []int64{redsys}, offer.StatusPublished
		}); err != nil {
			t.Fatalf("as tuition: %v", err)
		}
		audits++
	})
	if n := f.count(t, "offers"); n != offers {
		t.Errorf("refusals left %d offers, want %d", n, offers)
	}
	if n := f.count(t, "audit_log"); n != audits {
		t.Errorf("refusals left %d audit entries, want %d", n, audits)
	}
}

// TestOfferEnrolledCanBePublished: tuition and installment offers are sold by enrollment, so they may be published.
func TestOfferEnrolledCanBePublished(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, kind := range []string{offer.Tuition, offer.Installments} {
		if !offer.Sold(kind) || !offer.Enrolled(kind) {
			t.Fatalf("%s: Sold %v, Enrolled %v", kind, offer.Sold(kind), offer.Enrolled(kind))
		}
		in := f.input("Academy " + kind)
		in.Kind, in.Installments = kind, 3
		o, err := f.s.Create(f.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if o, err = f.s.SetStatus(f.ctx, o.ID, offer.StatusPublished); err != nil || o.Status != offer.StatusPublished {
			t.Fatalf("publish %s: %q, %v", kind, o.Status, err)
		}
	}
	for _, kind := range []string{offer.OneTime, offer.Recurring} {
		if offer.Enrolled(kind) {
			t.Errorf("%s is enrolled", kind)
		}
	}
	if !offer.Sold(offer.Recurring) || !offer.Subscribed(offer.Recurring) {
		t.Error("recurring is not sold by subscription")
	}
}
