package paylink_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/paylink"
)

// customInput is a custom amount for the fixture's contact, paid by card.
func (f *fixture) customInput(description string) paylink.Input {
	return paylink.Input{ContactID: f.contact.ID, Amount: 12050, Currency: "EUR", Description: description,
		PaymentSystemIDs: []int64{f.cards.ID}}
}

// offersNow counts the offers and their audit entries: the fixture's offer, plus any a custom amount left.
func (f *fixture) offersNow() (offers, audits int) {
	return f.count(`SELECT count(*) FROM offers`),
		f.count(`SELECT count(*) FROM audit_log WHERE action = 'offer.create'`)
}

// TestCustomOfferRollsBackWithTheLink: a custom amount's offer is made in the link's transaction, so a caller's
// rollback, a bad input or a failure later leaves neither link nor offer behind.
func TestCustomOfferRollsBackWithTheLink(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	offers, audits := f.offersNow()

	t.Run("CallerRollsBack", func(t *testing.T) {
		tx, err := f.pool.Begin(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		l, err := f.links.CreateTx(f.ctx, tx, f.customInput("Two private lessons"))
		if err != nil {
			t.Fatal(err)
		}
		var linkOnly bool // inside tx, the offer is there, made for the link
		if err := tx.QueryRow(f.ctx, `SELECT link_only FROM offers WHERE id = $1`, l.OfferID).Scan(&linkOnly); err != nil || !linkOnly {
			t.Fatalf("offer %d in tx: link_only %v, %v", l.OfferID, linkOnly, err)
		}
		if err := tx.Rollback(f.ctx); err != nil {
			t.Fatal(err)
		}
		if n := f.count(`SELECT count(*) FROM offers WHERE id = $1`, l.OfferID); n != 0 {
			t.Fatalf("the rolled back link's offer %d is still there", l.OfferID)
		}
	})

	t.Run("BadInput", func(t *testing.T) {
		disabled := f.system(gatewayStripe("Old cards"))
		if err := f.systems.SetEnabled(f.ctx, disabled.ID, false); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name  string
			edit  func(*paylink.Input)
			field string
		}{
			{"ExpiryInThePast", func(in *paylink.Input) { in.ExpiresAt = f.clock.Now().Add(-time.Minute) }, "expires_at"},
			{"DisabledSystem", func(in *paylink.Input) { in.PaymentSystemIDs = []int64{disabled.ID} }, "payment_system_ids"},
			{"SystemNotTakingCurrency", func(in *paylink.Input) { in.Currency = "JPY" }, "payment_system_ids"},
			{"UnknownContact", func(in *paylink.Input) { in.ContactID = 999999 }, "contact_id"},
			{"NoSystems", func(in *paylink.Input) { in.PaymentSystemIDs = nil }, "payment_system_ids"},
		}
		for _, tt := range tests {
			in := f.customInput("Lesson")
			tt.edit(&in)
			_, err := f.links.Create(f.ctx, in)
			if e, ok := check.AsErrors(err); !ok || e[tt.field] == "" {
				t.Errorf("%s: Create = %v; want a field error on %s", tt.name, err, tt.field)
			}
		}
	})

	t.Run("FailureAfterTheOffer", func(t *testing.T) {
		// The e-mail is queued after the offer and the link are written: its failure takes both back.
		deps := f.deps
		deps.Mailer = failingMailer{}
		svc, err := paylink.NewService(f.pool, audit.New(f.pool), paylink.Config{SecretKey: testKey,
			BaseURL: "https://school.test", Now: f.clock.Now}, deps)
		if err != nil {
			t.Fatal(err)
		}
		in := f.customInput("Exam fee")
		in.SendEmail = true
		if _, err := svc.Create(f.ctx, in); !errors.Is(err, errMailDown) {
			t.Fatalf("Create = %v; want the mailer's failure", err)
		}
	})

	if o, a := f.offersNow(); o != offers || a != audits {
		t.Fatalf("offers %d → %d, offer.create audits %d → %d: a link that was not made left its offer", offers, o, audits, a)
	}
	if n := f.count(`SELECT count(*) FROM payment_links`); n != 0 {
		t.Fatalf("%d links written", n)
	}
}

var errMailDown = errors.New("mail queue down")

type failingMailer struct{}

func (failingMailer) LinkEmailTx(context.Context, pgx.Tx, paylink.Email) error { return errMailDown }

// TestCustomOfferIsTheLinks: the offer made for a custom amount is link-only (unlisted, out of the catalog's
// lists, never edited), takes a description longer than an offer title, and no other link may sell it.
func TestCustomOfferIsTheLinks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	long := strings.TrimSpace(strings.Repeat("Lessons in May, June and July. ", 12)) // 371 characters: over 200
	l, err := f.links.Create(f.ctx, f.customInput(long))
	if err != nil {
		t.Fatal(err)
	}
	of, err := f.offers.Offer(f.ctx, l.OfferID)
	if err != nil || !of.LinkOnly || !of.Unlisted || len([]rune(of.Title)) > 200 ||
		!strings.HasPrefix(long, of.Title) || of.Description != long {
		t.Fatalf("its offer = %+v, %v", of, err)
	}
	if l.Title != long {
		t.Fatalf("the link's title %q: want the whole description", l.Title)
	}
	_, err = f.links.Create(f.ctx, paylink.Input{ContactID: f.contact.ID, OfferID: l.OfferID})
	if e, ok := check.AsErrors(err); !ok || !strings.Contains(e["offer_id"], "custom amount") {
		t.Fatalf("a link for another link's offer = %v; want a field error on offer_id", err)
	}
}
