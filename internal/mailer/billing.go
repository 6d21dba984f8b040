package mailer

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/internal/receiptdoc"
	"github.com/bursar/bursar/internal/settings"
	"github.com/bursar/bursar/templates/email"
)

// BillingEmailTx renders the billing e-mail e (a receipt to its payer, the welcome to a learner) in e.Language and
// enqueues it once per e.DedupKey, about the receipt (or the enrollment when there is none).
//
// A receipt's e-mail (issued, due soon, due today, overdue, and the suspension when its receipt is still open)
// carries the receipt's payment link, and the welcome the learner's single-use sign-in link: both are secrets of the
// e-mail, which staff never read in the outbox. Without them the button opens the student's cabinet (/account).
// The paid e-mail attaches the receipt's PDF (receiptdoc.PDF of e.Document, named "<number>.pdf") when e.Document
// is set. Amounts are formatted for the language, dates in the school's time zone.
func (m *Mailer) BillingEmailTx(ctx context.Context, tx pgx.Tx, e billing.Email) error {
	s, err := m.settings.GetTx(ctx, tx)
	if err != nil {
		return err
	}
	n, err := m.billingEmail(ctx, s, e)
	if err != nil {
		return err
	}
	return m.enqueueRendered(ctx, tx, n, s.PlaceholderDomain)
}

// BillingEmailsTx is BillingEmailTx for many e-mails (a batch of receipts): the school's settings read once, each
// e-mail rendered, and all enqueued in one statement (notify.EnqueueManyTx), once per dedup key each.
func (m *Mailer) BillingEmailsTx(ctx context.Context, tx pgx.Tx, es []billing.Email) error {
	if len(es) == 0 {
		return nil
	}
	s, err := m.settings.GetTx(ctx, tx)
	if err != nil {
		return err
	}
	out := make([]notify.Email, 0, len(es))
	for _, e := range es {
		n, err := m.billingEmail(ctx, s, e)
		if err != nil {
			return err
		}
		if !placeholder(n.To, s.PlaceholderDomain) {
			out = append(out, n)
		}
	}
	if err := m.notify.EnqueueManyTx(ctx, tx, out); err != nil {
		return fmt.Errorf("enqueue %d billing e-mails: %w", len(out), err)
	}
	return nil
}

// billingEmail is e rendered for the school s, ready for the outbox.
func (m *Mailer) billingEmail(ctx context.Context, s settings.School, e billing.Email) (notify.Email, error) {
	lng := lang(e.Language)
	v := email.BillingEmail{School: email.School{Name: s.Name, URL: s.WebsiteURL, Email: s.ContactEmail, Phone: s.Phone},
		Lang: lng, Kind: email.BillingKind(e.Kind), Title: e.Enrollment.Title, Link: m.baseURL + "/account",
		Action: email.ActionAccount}
	r := e.Receipt
	if r.Number != "" {
		doc := receiptdoc.Build(billing.Document{School: s, Enrollment: e.Enrollment, Receipt: r, Language: lng})
		v.Number, v.Period, v.Part = r.Number, doc.Period, e.Enrollment.Kind == billing.KindInstallments
		v.Amount, v.Left, v.Due = doc.Amount, doc.Left, doc.Due
		if r.Title != "" {
			v.Title = r.Title
		}
		if !r.GraceUntil.IsZero() {
			// GraceUntil is the moment the enrollment is suspended: the last day to pay is the one before it.
			v.PayBy = receiptdoc.Date(lng, r.GraceUntil.Add(-time.Nanosecond), receiptdoc.Location(s.Timezone))
		}
	}
	var secrets []string
	switch e.Kind {
	case billing.EmailIssued, billing.EmailDueSoon, billing.EmailDueToday, billing.EmailOverdue, billing.EmailSuspended:
		if r.PayURL != "" {
			v.Link, v.Action, secrets = r.PayURL, email.ActionPay, linkSecrets(r.PayURL)
		}
	case billing.EmailWelcome:
		if e.SignInURL != "" {
			v.Link, v.Action, secrets = e.SignInURL, email.ActionSignIn, linkSecrets(e.SignInURL)
		}
	}
	var files []notify.Attachment
	if e.Kind == billing.EmailPaid && e.Document != nil {
		pdf, err := receiptdoc.PDF(*e.Document)
		if err != nil {
			return notify.Email{}, fmt.Errorf("receipt %d's PDF: %w", r.ID, err)
		}
		files = append(files, notify.Attachment{Filename: pdfName(e.Document.Receipt.Number), ContentType: "application/pdf", Data: pdf})
		v.Attached = true
	}
	rendered, err := email.Billing(ctx, v)
	if err != nil {
		return notify.Email{}, fmt.Errorf("render %s e-mail of enrollment %d: %w", e.Kind, e.Enrollment.ID, err)
	}
	related, id := "enrollment", e.Enrollment.ID
	if r.ID != 0 {
		related, id = "receipt", r.ID
	}
	return notify.Email{DedupKey: e.DedupKey, To: e.To, Language: lng, RelatedType: related, RelatedID: id,
		Secrets: secrets, Attachments: files, Subject: rendered.Subject, Text: rendered.Text, HTML: rendered.HTML}, nil
}

// pdfName is a receipt's PDF's file name, "R-2027-000123.pdf" ("receipt.pdf" without a number).
func pdfName(number string) string {
	if number == "" {
		return "receipt.pdf"
	}
	return number + ".pdf"
}
