package offer

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
)

// Limits on an offer's lists.
const (
	MaxProducts           = 50
	MaxPaymentSystems     = 20
	MaxRegistrationFields = 30
	MaxFieldOptions       = 50
	MaxAccessDays         = 36500
	MaxIntervalDays       = 3650
)

var (
	fieldKeyRE = regexp.MustCompile(`^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$`)
	phoneRE    = regexp.MustCompile(`^\+?[0-9 ()\-.]{5,40}$`)
)

// reservedKeys are asked at every checkout already.
var reservedKeys = []string{"email", "password", "name"}

func (in *Input) normalize() {
	in.Title = strings.TrimSpace(in.Title)
	in.Slug = strings.TrimSpace(in.Slug)
	in.Description = strings.TrimSpace(in.Description)
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	in.Language = strings.TrimSpace(in.Language)
	in.SuccessURL = strings.TrimSpace(in.SuccessURL)
	in.FailureURL = strings.TrimSpace(in.FailureURL)
	in.SuccessMessage = strings.TrimSpace(in.SuccessMessage)
	in.FailureMessage = strings.TrimSpace(in.FailureMessage)
	in.Contact.Email = strings.TrimSpace(in.Contact.Email)
	in.Contact.Phone = strings.TrimSpace(in.Contact.Phone)
	in.Contact.Note = strings.TrimSpace(in.Contact.Note)
	// Settings of another kind mean nothing; drop them rather than store them.
	if in.Kind != Recurring {
		in.Interval = ""
	}
	if in.Interval != IntervalCustom {
		in.IntervalDays = 0
	}
	if in.Kind != Installments {
		in.Installments = 0
		in.UnlockByPart = false
	}
	in.BillingUnit = strings.ToLower(strings.TrimSpace(in.BillingUnit))
	if !Enrolled(in.Kind) {
		grace := in.GraceDays
		in.resetBilling()
		if in.Kind == Recurring {
			in.GraceDays = grace // a subscription's access outlasts a failed charge by the grace days
		}
	}
	if in.Kind != Recurring {
		in.IntervalCount, in.TrialDays, in.MaxCharges = 1, 0, 0
	} else if in.IntervalCount == 0 || in.Interval == IntervalCustom {
		in.IntervalCount = 1
	}
	if in.Kind != Tuition {
		in.BillingPeriods, in.EnrollmentFee = 0, 0
	}
	in.normalizeAccess()
	in.ProductIDs = uniqueIDs(in.ProductIDs)
	in.PaymentSystemIDs = uniqueIDs(in.PaymentSystemIDs)
	if in.RegistrationFields == nil {
		in.RegistrationFields = []RegistrationField{}
	}
	for i := range in.RegistrationFields {
		f := &in.RegistrationFields[i]
		f.Key, f.Label, f.Type = strings.TrimSpace(f.Key), strings.TrimSpace(f.Label), strings.TrimSpace(f.Type)
		if f.Type != "select" {
			f.Options = nil
		}
		opts := f.Options[:0:0]
		for _, o := range f.Options {
			if o = strings.TrimSpace(o); o != "" {
				opts = append(opts, o)
			}
		}
		f.Options = opts
	}
}

func uniqueIDs(ids []int64) []int64 {
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// Validate checks the fields that need no database. The slug may be empty: the service suggests one.
func (in Input) Validate() check.Errors {
	e := check.Errors{}
	e.Text("title", in.Title, true, 200)
	if in.Slug != "" {
		e.Slug("slug", in.Slug)
	}
	e.Text("description", in.Description, false, 20000)
	if !slices.Contains(Statuses, in.Status) {
		e.Add("status", "must be draft, published or archived")
	}
	for k, msg := range money.Check(in.Amount, in.Currency, false) {
		e.Add(k, msg)
	}
	in.validateKind(e)
	in.validateAccess(e)
	if in.AccessDays < 0 || in.AccessDays > MaxAccessDays {
		e.Add("access_days", fmt.Sprintf("must be empty (forever) or from 1 to %d days", MaxAccessDays))
	}
	validateIDs(e, "product_ids", in.ProductIDs, MaxProducts)
	// An unlisted offer is sold only by payment link and may grant nothing: a custom amount (a fee, an invoice).
	if len(in.ProductIDs) == 0 && !in.Unlisted {
		e.Add("product_ids", "choose at least one product")
	}
	if in.LinkOnly && !in.Unlisted {
		e.Add("unlisted", "an offer made for a payment link is sold only by that link")
	}
	validateIDs(e, "payment_system_ids", in.PaymentSystemIDs, MaxPaymentSystems)
	validateFields(e, in.RegistrationFields)
	if !slices.Contains(Languages, in.Language) {
		e.Add("language", "must be one of "+strings.Join(Languages, ", "))
	}
	e.URL("success_url", in.SuccessURL)
	e.URL("failure_url", in.FailureURL)
	e.Text("success_message", in.SuccessMessage, false, 2000)
	e.Text("failure_message", in.FailureMessage, false, 2000)
	e.Email("contact_email", in.Contact.Email, false)
	if in.Contact.Phone != "" && !phoneRE.MatchString(in.Contact.Phone) {
		e.Add("contact_phone", "must be a phone number: digits, spaces, ( ) - . and an optional leading +")
	}
	e.Text("contact_note", in.Contact.Note, false, 1000)
	if in.ManualConfirmDays < 1 || in.ManualConfirmDays > 365 {
		e.Add("manual_confirm_days", "must be from 1 to 365 days")
	}
	return e
}

func (in Input) validateKind(e check.Errors) {
	switch in.Kind {
	case OneTime:
	case Recurring:
		if !slices.Contains(Intervals, in.Interval) {
			e.Add("interval", "must be week, month, year or custom")
		} else if in.Interval == IntervalCustom && (in.IntervalDays < 1 || in.IntervalDays > MaxIntervalDays) {
			e.Add("interval_days", fmt.Sprintf("must be from 1 to %d days", MaxIntervalDays))
		}
		if in.IntervalCount < 1 || in.IntervalCount > MaxIntervalCount {
			e.Add("interval_count", fmt.Sprintf("must be from 1 to %d", MaxIntervalCount))
		}
		if in.TrialDays < 0 || in.TrialDays > MaxTrialDays {
			e.Add("trial_days", fmt.Sprintf("must be from 0 to %d days", MaxTrialDays))
		}
		if in.MaxCharges < 0 || in.MaxCharges > MaxCharges {
			e.Add("max_charges", fmt.Sprintf("must be from 0 (until cancelled) to %d", MaxCharges))
		}
		if in.GraceDays < 0 || in.GraceDays > MaxGraceDays {
			e.Add("grace_days", fmt.Sprintf("must be from 0 to %d days", MaxGraceDays))
		}
	case Installments:
		if in.Installments < MinInstallments || in.Installments > MaxInstallments {
			e.Add("installments", fmt.Sprintf("must be from %d to %d parts", MinInstallments, MaxInstallments))
		} else if in.Amount > 0 && in.Amount < int64(in.Installments) {
			e.Add("installments", "the price is too small to split into that many parts")
		}
		in.validateBilling(e)
	case Tuition:
		in.validateBilling(e)
	default:
		e.Add("kind", "must be one_time, recurring, installments or tuition")
		return
	}
	if in.Status == StatusPublished && !Sold(in.Kind) {
		e.Add("status", NotSoldMessage+"; keep the offer a draft")
	}
}

// validateBilling checks the schedule, fee, grace and reminders of a tuition or installments offer.
func (in Input) validateBilling(e check.Errors) {
	if in.BillingEvery < 1 || in.BillingEvery > MaxBillingEvery {
		e.Add("billing_every", fmt.Sprintf("must be from 1 to %d", MaxBillingEvery))
	}
	if !slices.Contains(BillingUnits, in.BillingUnit) {
		e.Add("billing_unit", "must be week, month or year")
	}
	switch {
	case in.BillingDay < 0 || in.BillingDay > 31:
		e.Add("billing_day", "must be a day of the month from 1 to 31, or empty for the day of enrollment")
	case in.BillingDay != 0 && in.BillingUnit != UnitMonth:
		e.Add("billing_day", "only a monthly schedule takes a day of the month")
	}
	if in.BillingPeriods < 0 || in.BillingPeriods > MaxBillingPeriods {
		e.Add("billing_periods", fmt.Sprintf("must be from 1 to %d periods, or empty until cancelled",
			MaxBillingPeriods))
	}
	if in.EnrollmentFee != 0 {
		// The fee is in the offer's currency: an unknown currency is the currency field's error already.
		if msg := money.Check(in.EnrollmentFee, in.Currency, true)["amount"]; msg != "" {
			e.Add("enrollment_fee", msg)
		}
	}
	if in.GraceDays < 0 || in.GraceDays > MaxGraceDays {
		e.Add("grace_days", fmt.Sprintf("must be from 0 to %d days", MaxGraceDays))
	}
	if in.RemindDays < 0 || in.RemindDays > MaxRemindDays {
		e.Add("remind_days", fmt.Sprintf("must be from 0 to %d days", MaxRemindDays))
	}
}

func validateIDs(e check.Errors, field string, ids []int64, limit int) {
	if len(ids) > limit {
		e.Add(field, fmt.Sprintf("may hold at most %d ids", limit))
	}
	for _, id := range ids {
		if id <= 0 {
			e.Add(field, fmt.Sprintf("%d is not an id", id))
		}
	}
}

func validateFields(e check.Errors, fields []RegistrationField) {
	const name = "registration_fields"
	if len(fields) > MaxRegistrationFields {
		e.Add(name, fmt.Sprintf("may hold at most %d fields", MaxRegistrationFields))
		return
	}
	seen := map[string]bool{}
	for i, f := range fields {
		row := fmt.Sprintf("field %d", i+1)
		switch {
		case !fieldKeyRE.MatchString(f.Key) || len(f.Key) > 40:
			e.Add(name, row+": the key must be snake_case (lowercase letters, digits, underscores), at most 40 characters")
		case slices.Contains(reservedKeys, f.Key):
			e.Add(name, row+": the key "+f.Key+" is asked at every checkout already")
		case seen[f.Key]:
			e.Add(name, row+": the key "+f.Key+" is used twice")
		case f.Label == "" || len([]rune(f.Label)) > 200:
			e.Add(name, row+": the label is required, at most 200 characters")
		case !slices.Contains(FieldTypes, f.Type):
			e.Add(name, row+": the type must be one of "+strings.Join(FieldTypes, ", "))
		case f.Type == "select" && len(f.Options) == 0:
			e.Add(name, row+": a select needs at least one option")
		case len(f.Options) > MaxFieldOptions:
			e.Add(name, fmt.Sprintf("%s: at most %d options", row, MaxFieldOptions))
		}
		for _, o := range f.Options {
			if len([]rune(o)) > 200 {
				e.Add(name, row+": an option is longer than 200 characters")
			}
		}
		seen[f.Key] = true
	}
}

// translit spells Cyrillic letters in Latin for slugs.
var translit = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'ґ': "g", 'д': "d", 'е': "e", 'ё': "e", 'є': "ye", 'ж': "zh", 'з': "z",
	'и': "i", 'і': "i", 'ї': "yi", 'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r",
	'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch", 'ъ': "",
	'ы': "y", 'ь': "", 'э': "e", 'ю': "yu", 'я': "ya", 'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o",
	'á': "a", 'à': "a", 'â': "a", 'ä': "a", 'ã': "a", 'å': "a", 'é': "e", 'è': "e", 'ê': "e", 'ë': "e", 'í': "i",
	'ì': "i", 'î': "i", 'ï': "i", 'ó': "o", 'ò': "o", 'ô': "o", 'ö': "o", 'õ': "o", 'ú': "u", 'ù': "u", 'û': "u",
	'ü': "u", 'ñ': "n", 'ç': "c", 'ý': "y", 'ÿ': "y", 'ł': "l", 'š': "s", 'ž': "z", 'č': "c", 'ř': "r", 'ě': "e",
}

// Slugify suggests a slug for title: lowercase ASCII words joined by hyphens, accents dropped, Cyrillic spelled in
// Latin; "offer" when nothing is left.
func Slugify(title string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(title) {
		switch {
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
		case translit[r] != "":
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteString(translit[r])
		default:
			if _, ok := translit[r]; !ok {
				hyphen = true
			}
		}
		if b.Len() >= 60 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 60 {
		s = strings.TrimRight(s[:60], "-")
	}
	if s == "" {
		return "offer"
	}
	return s
}
