package paylink_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/paylink"
)

// TestCreateManyTx: a batch of custom amounts' links (as the batch issue of receipts makes them) are links like
// CreateTx's: each with its own link-only offer, token and page, its timeline, its contact's line and audit entries,
// and paying one completes it through its offer. A bad input in the batch writes nothing.
func TestCreateManyTx(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := f.newContact("other@example.com")
	offers, audits := f.offersNow()
	ins := []paylink.Input{
		{ContactID: f.contact.ID, Amount: 4900, Currency: "EUR", Description: "Receipt — Spanish, part 1 of 3",
			PaymentSystemIDs: []int64{f.cards.ID}, Language: "es"},
		{ContactID: other.ID, Amount: 5100, Currency: "EUR", Description: "Receipt — Spanish, part 2 of 3",
			PaymentSystemIDs: []int64{f.cards.ID}},
		{ContactID: f.contact.ID, Amount: 700, Currency: "EUR", Description: "Receipt — Books",
			PaymentSystemIDs: []int64{f.cards.ID}, ExpiresAt: f.clock.Now().Add(paylink.MaxExpiry - time.Minute).Truncate(time.Second)},
	}
	var links []paylink.Link
	if err := pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error {
		var err error
		links, err = f.links.CreateManyTx(f.ctx, tx, ins)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(links) != len(ins) {
		t.Fatalf("%d links; want %d", len(links), len(ins))
	}
	for i, l := range links {
		in := ins[i]
		got := f.get(l.ID)
		if got.ContactID != in.ContactID || got.Price.Amount != in.Amount || got.Title != in.Description ||
			!got.Custom || got.Status != paylink.StatusActive || got.Token != l.Token || got.URL != l.URL ||
			fmt.Sprint(got.PaymentSystemIDs) != fmt.Sprint(in.PaymentSystemIDs) {
			t.Errorf("link %d = %+v; want input %+v (returned %+v)", i, got, in, l)
		}
		if want := map[bool]string{true: in.Language, false: "en"}[in.Language != ""]; got.Language != want {
			t.Errorf("link %d language %q; want %q", i, got.Language, want)
		}
		if !in.ExpiresAt.IsZero() && !got.ExpiresAt.Equal(in.ExpiresAt) {
			t.Errorf("link %d expires %v; want %v", i, got.ExpiresAt, in.ExpiresAt)
		}
		if n := f.count(`SELECT count(*) FROM offers WHERE id = $1 AND link_only AND unlisted AND status = 'published'
			AND amount = $2 AND description = $3`, l.OfferID, in.Amount, in.Description); n != 1 {
			t.Errorf("link %d: its offer %d is not its link-only offer", i, l.OfferID)
		}
		if n := f.count(`SELECT count(*) FROM offer_payment_systems WHERE offer_id = $1 AND payment_system_id = $2
			AND position = 1`, l.OfferID, f.cards.ID); n != 1 {
			t.Errorf("link %d: its offer's payment systems are not the link's", i)
		}
		if n := f.count(`SELECT count(*) FROM payment_link_events WHERE link_id = $1 AND kind = $2`, l.ID,
			paylink.EventCreated); n != 1 {
			t.Errorf("link %d: %d created lines on its timeline; want 1", i, n)
		}
		if n := f.count(`SELECT count(*) FROM audit_log WHERE action = 'payment_link.create' AND entity_id = $1
			AND details->>'contact_id' = $2 AND actor_label = 'ann@school.test'`, fmt.Sprint(l.ID),
			fmt.Sprint(in.ContactID)); n != 1 {
			t.Errorf("link %d: %d audit entries; want 1", i, n)
		}
	}
	if n := f.count(`SELECT count(*) FROM contact_events WHERE contact_id = $1 AND kind = $2`, f.contact.ID,
		paylink.EventCreated); n != 2 {
		t.Errorf("%d lines on the contact's timeline; want 2", n)
	}
	if o, a := f.offersNow(); o != offers+3 || a != audits+3 {
		t.Errorf("offers %d → %d, offer.create audits %d → %d; want 3 more each", offers, o, audits, a)
	}
	// Paying the first completes it, through its own offer.
	b := f.begin(links[0])
	if out, err := f.paid(b, "evt_many"); err != nil || out.Result != order.ResultCompleted {
		t.Fatalf("paid: %+v, %v", out, err)
	}
	if got := f.get(links[0].ID); got.Status != paylink.StatusPaid {
		t.Fatalf("link after payment: %s; want paid", got.Status)
	}

	// One bad input: nothing written.
	before := f.count(`SELECT count(*) FROM payment_links`)
	offers, audits = f.offersNow()
	bad := append([]paylink.Input(nil), ins...)
	bad[1].ContactID = 999999
	err := pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error {
		_, err := f.links.CreateManyTx(f.ctx, tx, bad)
		return err
	})
	if e, ok := check.AsErrors(err); !ok || e["contact_id"] == "" {
		t.Fatalf("CreateManyTx with an unknown contact = %v; want a field error on contact_id", err)
	}
	if n := f.count(`SELECT count(*) FROM payment_links`); n != before {
		t.Fatalf("%d links written by a bad batch", n-before)
	}
	if o, a := f.offersNow(); o != offers || a != audits {
		t.Fatalf("a bad batch left offers (%d → %d) or their audits (%d → %d)", offers, o, audits, a)
	}
}
