// Package mailer renders Bursar's e-mails (templates/email) and enqueues them on the durable outbox (internal/notify).
// It is the adapter that lets domain modules send e-mail without importing templates.
package mailer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/account"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/paylink"
	"github.com/bursar/bursar/internal/settings"
	"github.com/bursar/bursar/templates/email"
)

var (
	_ order.Mailer   = (*Mailer)(nil)
	_ account.Mailer = (*Mailer)(nil)
	_ paylink.Mailer = (*Mailer)(nil)
)

// Mailer renders e-mails in the recipient's language with the school's name and contact details, and enqueues
// them in the caller's transaction, deduplicated by the event that causes them.
type Mailer struct {
	notify   *notify.Service
	settings School
	baseURL  string
}

// School reads the school's settings inside the caller's transaction (internal/settings, possibly cached).
type School interface {
	GetTx(ctx context.Context, tx db.DBTX) (settings.School, error)
}

// New returns a Mailer that enqueues on n, reads the school from st and builds links on baseURL.
func New(n *notify.Service, st School, baseURL string) *Mailer {
	return &Mailer{notify: n, settings: st, baseURL: strings.TrimRight(baseURL, "/")}
}

// OrderEmailTx renders e in its order's language and enqueues it once per order and kind
// (dedup key "order:<id>:<kind>"). An e-mail to the school's placeholder domain is dropped.
func (m *Mailer) OrderEmailTx(ctx context.Context, tx pgx.Tx, e order.Email) error {
	school, placeholder, err := m.school(ctx, tx)
	if err != nil {
		return err
	}
	o, lng := e.Order, lang(e.Order.Language)
	link := m.baseURL + "/account/orders/" + url.PathEscape(o.Number)
	var secrets []string
	switch e.Kind {
	case order.EmailCompleted:
		link = m.baseURL + "/account"
	case order.EmailWelcome:
		link, secrets = e.SignInURL, linkSecrets(e.SignInURL)
	}
	r, err := email.Order(ctx, email.OrderEmail{
		School:     school,
		Lang:       lng,
		Kind:       email.OrderKind(e.Kind),
		Number:     o.Number,
		OfferTitle: o.OfferTitle,
		Amount:     o.Price.Format(lng),
		Link:       link,
		Comment:    e.Comment,
	})
	if err != nil {
		return fmt.Errorf("render %s e-mail of order %d: %w", e.Kind, o.ID, err)
	}
	return m.enqueue(ctx, tx, notify.Email{
		DedupKey: fmt.Sprintf("order:%d:%s", o.ID, e.Kind), To: e.To, Language: lng,
		RelatedType: "order", RelatedID: o.ID, Secrets: secrets,
	}, r, placeholder)
}

// PasswordResetTx renders the password-reset e-mail carrying link in lang and enqueues it once per link
// (dedup key "password-reset:<first 16 hex digits of the link's SHA-256>"). The link is a secret of the e-mail:
// staff never read it in the outbox.
func (m *Mailer) PasswordResetTx(ctx context.Context, tx pgx.Tx, to, language, link string) error {
	lng := lang(language)
	school, placeholder, err := m.school(ctx, tx)
	if err != nil {
		return err
	}
	r, err := email.PasswordReset(ctx, email.PasswordResetEmail{School: school, Lang: lng, Link: link})
	if err != nil {
		return fmt.Errorf("render password-reset e-mail: %w", err)
	}
	sum := sha256.Sum256([]byte(link))
	return m.enqueue(ctx, tx, notify.Email{
		DedupKey: "password-reset:" + hex.EncodeToString(sum[:8]), To: to, Language: lng,
		Secrets: linkSecrets(link),
	}, r, placeholder)
}

// linkSecrets are the secrets of an e-mail carrying the single-use link: the link and its last path segment (the
// token), so the token stays hidden even where a template were to show it apart from the link. Any later link a
// staff member has no business using (a sign-in or payment link) is marked the same way.
func linkSecrets(link string) []string {
	s := []string{link}
	if i := strings.LastIndexByte(link, '/'); i >= 0 && len(link)-i-1 >= notify.MinSecret {
		s = append(s, link[i+1:])
	}
	return s
}

// enqueue puts the rendered e-mail on the outbox, except to a placeholder address (a payer who gave no e-mail gets
// one at the school's placeholder domain, which never receives mail).
func (m *Mailer) enqueue(ctx context.Context, tx pgx.Tx, e notify.Email, r email.Rendered, domain string) error {
	e.Subject, e.Text, e.HTML = r.Subject, r.Text, r.HTML
	return m.enqueueRendered(ctx, tx, e, domain)
}

// placeholder reports whether to is a placeholder contact's address (never e-mailed).
func placeholder(to, domain string) bool {
	at := strings.LastIndexByte(to, '@')
	return at >= 0 && strings.EqualFold(to[at+1:], domain)
}

// enqueueRendered is enqueue of an e-mail already rendered into e.
func (m *Mailer) enqueueRendered(ctx context.Context, tx pgx.Tx, e notify.Email, placeholderDomain string) error {
	if placeholder(e.To, placeholderDomain) {
		return nil
	}
	if err := m.notify.EnqueueTx(ctx, tx, e); err != nil {
		return fmt.Errorf("enqueue e-mail %s: %w", e.DedupKey, err)
	}
	return nil
}

// school is the sender shown in e-mails and the placeholder e-mail domain, read in the caller's transaction.
func (m *Mailer) school(ctx context.Context, tx pgx.Tx) (email.School, string, error) {
	s, err := m.settings.GetTx(ctx, tx)
	if err != nil {
		return email.School{}, "", err
	}
	return email.School{Name: s.Name, URL: s.WebsiteURL, Email: s.ContactEmail, Phone: s.Phone}, s.PlaceholderDomain, nil
}

// lang is the language an e-mail is written in: one of the five Bursar speaks, English otherwise.
func lang(l string) string {
	l = strings.ToLower(strings.TrimSpace(l))
	if i := strings.IndexByte(l, '-'); i > 0 {
		l = l[:i]
	}
	for _, v := range settings.Languages {
		if l == v {
			return l
		}
	}
	return "en"
}

// LinkEmailTx renders the payment-link e-mail e in its link's language and enqueues it once per e.DedupKey: the
// link to its payer (the link is the e-mail's secret: staff never read it in the outbox), or a paid or declined
// notice to the operator who made it, pointing at the link's admin page (/admin/payment-links/<id>).
func (m *Mailer) LinkEmailTx(ctx context.Context, tx pgx.Tx, e paylink.Email) error {
	s, err := m.settings.GetTx(ctx, tx)
	if err != nil {
		return err
	}
	school := email.School{Name: s.Name, URL: s.WebsiteURL, Email: s.ContactEmail, Phone: s.Phone}
	l, lng := e.Link, lang(e.Link.Language)
	v := email.LinkEmail{School: school, Lang: lng, Kind: email.LinkKind(e.Kind), Title: l.Title,
		Amount: l.Price.Format(lng), Expires: expiry(l.ExpiresAt, s.Timezone),
		Link: m.baseURL + "/admin/payment-links/" + strconv.FormatInt(l.ID, 10)}
	var secrets []string
	switch e.Kind {
	case paylink.EmailLink:
		v.Link, v.Note, secrets = l.URL, l.Note, linkSecrets(l.URL)
	case paylink.EmailDeclined:
		v.Note = l.DeclineReason
	}
	r, err := email.PaymentLink(ctx, v)
	if err != nil {
		return fmt.Errorf("render %s e-mail of payment link %d: %w", e.Kind, l.ID, err)
	}
	return m.enqueue(ctx, tx, notify.Email{DedupKey: e.DedupKey, To: e.To, Language: lng,
		RelatedType: "payment_link", RelatedID: l.ID, Secrets: secrets}, r, s.PlaceholderDomain)
}

// expiry is t in the school's time zone (UTC when it has none or an unknown one), with the zone's name.
func expiry(t time.Time, zone string) string {
	loc, err := time.LoadLocation(zone)
	if zone == "" || err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}
