package paylink

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/paylink/paylinkq"
)

// CreateManyTx is CreateTx for many custom amounts at once, made by a module inside its own transaction tx (a batch
// of receipts): the links come back in the inputs' order, each as valid as one CreateTx makes (its link-only offer,
// token, page, completion through its offer). Each input is checked as CreateTx checks it, with reads outside tx:
// the contacts in one read, the payment systems once per distinct currency and set of systems. Then the offers are
// made in one batch (offer.CreateLinkOnlyManyTx), the links in one statement, their timeline lines in one, their
// contacts' lines in one and their audit entries in one. Bad input is a check.Errors of the first bad input (wrapped
// with its index); nothing is written then.
//
// Unlike CreateTx it schedules no expiry job per link: these links live long (a receipt's, up to MaxExpiry) and the
// periodic sweep (SweepArgs, every SweepInterval) expires them, at most SweepInterval late. Only custom amounts
// (OfferID 0) are taken.
func (s *Service) CreateManyTx(ctx context.Context, tx pgx.Tx, ins []Input) ([]Link, error) {
	if len(ins) == 0 {
		return nil, nil
	}
	now := s.rec.clock()
	n := len(ins)
	ids := make([]int64, 0, n)
	for _, in := range ins {
		ids = append(ids, in.ContactID)
	}
	contacts, err := s.deps.Contacts.ContactsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	systems := map[string][]int64{} // the checked systems, by currency and the systems asked for
	p := paylinkq.LinksInsertCustomParams{ContactIds: make([]int64, n), OfferIds: make([]int64, n),
		Titles: make([]string, n), Amounts: make([]int64, n), Currencies: make([]string, n),
		PaymentSystemIds: make([]string, n), Languages: make([]string, n), Notes: make([]string, n),
		ExpiresAt: make([]time.Time, n), Now: now}
	ois := make([]offer.Input, n)
	for i, in := range ins {
		e := in.validate(now)
		if in.OfferID != 0 {
			e.Add("offer_id", "must be 0: CreateManyTx makes custom amounts' links only")
		}
		if _, bad := e["contact_id"]; !bad {
			if _, ok := contacts[in.ContactID]; !ok {
				e.Add("contact_id", "no contact has this id")
			}
		}
		key := in.Currency + fmt.Sprint(in.PaymentSystemIDs)
		sys, ok := systems[key]
		if !ok && len(e) == 0 {
			if sys, err = s.systems(ctx, in, offer.Offer{}, e); err != nil {
				return nil, err
			}
			if len(e) == 0 {
				systems[key] = sys
			}
		}
		if err := e.Err(); err != nil {
			return nil, fmt.Errorf("payment link [%d]: %w", i, err)
		}
		lang := in.Language
		if lang == "" || !contains(Languages, lang) {
			lang = "en"
		}
		exp := in.ExpiresAt
		if exp.IsZero() {
			exp = now.Add(s.rec.expiry)
		}
		p.ContactIds[i], p.Titles[i], p.Amounts[i], p.Currencies[i] = in.ContactID, in.Description, in.Amount, in.Currency
		p.PaymentSystemIds[i], p.Languages[i], p.Notes[i], p.ExpiresAt[i] = pgIDs(sys), lang, in.Note, exp
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("custom offer slug: %w", err)
		}
		oi := offer.NewInput()
		oi.Title, oi.Description = truncate(in.Description, maxOfferTitle), in.Description
		oi.Slug, oi.Status, oi.Unlisted, oi.LinkOnly = "link-"+hex.EncodeToString(b[:]), offer.StatusPublished, true, true
		oi.Amount, oi.Currency, oi.Language, oi.PaymentSystemIDs = in.Amount, in.Currency, lang, sys
		ois[i] = oi
	}
	offers, err := s.deps.Catalog.CreateLinkOnlyManyTx(ctx, tx, ois)
	if err != nil {
		return nil, fmt.Errorf("custom amounts' offers: %w", err)
	}
	at := make(map[int64]int, n)
	for i, of := range offers {
		p.OfferIds[i], at[of.ID] = of.ID, i
	}
	actor := audit.ActorFrom(ctx)
	p.CreatorType, p.CreatorLabel = actor.Type, actor.Label
	if actor.ID != 0 {
		p.CreatorID = &actor.ID
	}
	q := paylinkq.New(tx)
	rows, err := q.LinksInsertCustom(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("insert %d payment links: %w", n, err)
	}
	if len(rows) != n {
		return nil, fmt.Errorf("insert %d payment links: %d rows", n, len(rows))
	}
	out := make([]Link, n)
	ev := paylinkq.LinkEventsAddParams{LinkIds: make([]int64, n), Kinds: make([]string, n),
		Messages: make([]string, n), Actor: actor.Label, Now: now}
	lines := make([]crm.Event, n)
	entries := make([]audit.Entry, n)
	for _, row := range rows {
		i, ok := at[row.OfferID]
		if !ok {
			return nil, fmt.Errorf("insert payment links: offer %d returned was not given", row.OfferID)
		}
		l := s.rec.link(row)
		out[i] = l
		msg := fmt.Sprintf("Payment link %d created for %s (%s), until %s", l.ID, l.Title, l.Price,
			l.ExpiresAt.Format("2006-01-02 15:04 UTC"))
		ev.LinkIds[i], ev.Kinds[i], ev.Messages[i] = l.ID, EventCreated, msg
		lines[i] = crm.Event{ContactID: l.ContactID, Kind: EventCreated, Message: msg}
		entries[i] = audit.Entry{Action: "payment_link.create", Entity: "payment_link",
			EntityID: strconv.FormatInt(l.ID, 10), Details: map[string]any{"offer_id": l.OfferID,
				"amount": l.Price.Amount, "currency": l.Price.Currency, "payment_system_ids": l.PaymentSystemIDs,
				"expires_at": l.ExpiresAt, "language": l.Language, "contact_id": l.ContactID}}
	}
	if err := q.LinkEventsAdd(ctx, ev); err != nil {
		return nil, fmt.Errorf("%d payment links' timelines: %w", n, err)
	}
	if err := s.deps.Contacts.AddEventsTx(ctx, tx, lines); err != nil {
		return nil, fmt.Errorf("payment links' contacts' timelines: %w", err)
	}
	if err := s.rec.audit.RecordManyTx(ctx, tx, entries); err != nil {
		return nil, err
	}
	for i, in := range ins {
		if in.SendEmail {
			if err := s.sendTx(ctx, tx, out[i]); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// pgIDs is ids as PostgreSQL's text of a bigint array, "{1,2}".
func pgIDs(ids []int64) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	b.WriteByte('}')
	return b.String()
}
