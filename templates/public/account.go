package public

import (
	"strings"

	"github.com/a-h/templ"

	"github.com/bursar/bursar/internal/i18n"
)

// Student is the signed-in student shown in the page header; a zero Student shows no header.
type Student struct {
	Email string
}

// Question is one registration field of an offer as the sign-up form shows it.
type Question struct {
	Name     string // the form field's name
	Label    string
	Type     string // text, email, phone, textarea, select
	Required bool
	Options  []string
	Value    string
}

// SignUp is the sign-up page, on its own or for an offer's checkout.
type SignUp struct {
	Lang        string
	Intro       string // why the account is asked for, "" when not from checkout
	Next        string
	Offer       string // the offer's slug when signing up from its checkout
	FormToken   string
	Email       string
	Name        string
	Questions   []Question
	Errors      map[string]string // by field name, translated
	EmailExists bool              // the e-mail has an account: the form links to sign-in
	LoginURL    string
}

// Login is the sign-in page.
type Login struct {
	Lang      string
	Intro     string
	Email     string
	Next      string
	Error     string
	Flash     string
	SignUpURL string
	ResetURL  string
}

// ResetRequest is the "forgot your password" page.
type ResetRequest struct {
	Lang  string
	Email string
	Error string
	Sent  bool
	Claim bool // a sign-up with a known contact's e-mail: a link to finish it was sent there
}

// ResetToken is the page a reset link opens: a new password, or why the link no longer works.
type ResetToken struct {
	Lang    string
	Action  string
	Invalid bool
	Error   string
}

// Message is a page with a title, a text and a way back (not available yet, too many attempts).
type Message struct {
	Lang     string
	Title    string
	Body     string
	BackURL  string
	BackText string
	TestID   string
}

// Cabinet is the student's account page.
type Cabinet struct {
	Lang      string
	Student   Student
	Name      string
	Flash     string
	Products  []CabinetProduct
	Orders    []CabinetOrder
	Languages []LangLink
	// Enrollments the student learns in or pays for, and Receipts they pay (each section shown when not empty).
	Enrollments []CabinetEnrollment
	Receipts    []CabinetReceipt
	// Subscriptions the student pays (shown when not empty; managed on /account/subscriptions).
	Subscriptions []CabinetSubscription
}

// CabinetProduct is a product the student has access to now.
type CabinetProduct struct {
	Name   string
	URL    string // external LMS address, "" when none
	Access string // "until 2026-12-31" or "Lifetime access"
	Paused string // "Access paused" while its enrollment waits for an overdue receipt; the link is not offered then
}

// CabinetOrder is one of the student's orders.
type CabinetOrder struct {
	Number string
	URL    string
	Offer  string
	Amount string
	Status string
	Date   string
}

// LangLink switches the cabinet's language.
type LangLink struct {
	Lang    string
	Name    string
	URL     string
	Current bool
}

// OrderStatus is the page of one of the student's orders: "payment is being processed" while it is open.
type OrderStatus struct {
	Lang         string
	Student      Student
	Flash        string
	Number       string
	Offer        string
	Amount       string
	Status       string
	Open         bool
	ConfirmDays  int
	ContactEmail string
	ContactPhone string
	ContactNote  string
	// ProofForm is the proof-of-payment upload of an open manual order (nil when the order takes none).
	ProofForm *ProofForm
	Proofs    []ProofRow // the proofs the student has sent, newest first
}

// ProofForm is the upload of a proof of payment: the date paid, the transfer's reference and the file.
type ProofForm struct {
	Action    string
	Date      string // YYYY-MM-DD
	MaxDate   string // today
	Reference string
	Errors    map[string]string
}

// firstError is the first field of the proof form with an error, which gets the focus when the form comes back.
func firstError(errs map[string]string) string {
	for _, f := range []string{"paid_on", "reference", "file"} {
		if errs[f] != "" {
			return f
		}
	}
	return ""
}

// ProofRow is one proof of payment the student has sent.
type ProofRow struct {
	FileName  string
	Size      string // "120 KB"
	Type      string // JPEG, PNG, PDF
	PaidOn    string
	Reference string
}

// fieldAttrs links an input to its hint and error message for screen readers.
func fieldAttrs(name, hint, errMsg string, required bool) templ.Attributes {
	a := templ.Attributes{}
	var ids []string
	if hint != "" {
		ids = append(ids, name+"-hint")
	}
	if errMsg != "" {
		ids = append(ids, name+"-error")
		a["aria-invalid"] = "true"
	}
	if len(ids) > 0 {
		a["aria-describedby"] = strings.Join(ids, " ")
	}
	if required {
		a["required"] = true
	}
	return a
}

func inputType(questionType string) string {
	switch questionType {
	case "email":
		return "email"
	case "phone":
		return "tel"
	}
	return "text"
}

func autocomplete(questionType string) string {
	switch questionType {
	case "email":
		return "email"
	case "phone":
		return "tel"
	}
	return "on"
}

// Welcome is the page the sign-in link e-mailed after paying without signing in opens: a password and the
// registration fields for a new account, a button for an existing one, or why the link no longer works.
type Welcome struct {
	Lang       string
	Action     string
	Email      string
	HasAccount bool
	Invalid    bool
	Name       string
	Questions  []Question
	Errors     map[string]string // by field name, translated
	LoginURL   string
}

// backText is text, or "Back to the offer" in lang when it is empty.
func backText(lang, text string) string {
	if text != "" {
		return text
	}
	return i18n.T(lang, i18n.BackToOffer)
}
