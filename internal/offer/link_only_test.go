package offer_test

import (
	"errors"
	"testing"

	"github.com/bursar/bursar/internal/offer"
)

// TestCreateTxCommitsWithTheCaller: CreateTx writes the offer, its links and its audit entry in the caller's
// transaction, with Create's checks: a rollback leaves nothing, nor does a bad input, even one found by the
// database after the offer's row was written.
func TestCreateTxCommitsWithTheCaller(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tx, err := f.pool.Begin(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	o, err := f.s.CreateTx(f.ctx, tx, f.input("Spanish A1"))
	if err != nil || o.ID == 0 {
		t.Fatalf("CreateTx = %+v, %v", o, err)
	}
	if err := tx.Rollback(f.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Offer(f.ctx, o.ID); err == nil {
		t.Fatalf("offer %d is there after its transaction rolled back", o.ID)
	}

	// Create's checks: one found before anything is written, one found by a foreign key after the offer's row.
	for name, edit := range map[string]func(*offer.Input){
		"EmptyTitle":    func(in *offer.Input) { in.Title = "" },
		"UnknownSystem": func(in *offer.Input) { in.PaymentSystemIDs = []int64{999999} },
	} {
		tx, err := f.pool.Begin(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		in := f.input("Spanish A2")
		edit(&in)
		_, err = f.s.CreateTx(f.ctx, tx, in)
		_ = tx.Rollback(f.ctx)
		if name == "EmptyTitle" {
			wantField(t, err, "title")
		} else {
			wantField(t, err, "payment_system_ids")
		}
	}
	if n, a := f.count(t, "offers"), f.count(t, "audit_log WHERE action = 'offer.create'"); n != 0 || a != 0 {
		t.Fatalf("%d offers, %d audit entries left behind", n, a)
	}

	tx, err = f.pool.Begin(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o, err = f.s.CreateTx(f.ctx, tx, f.input("Spanish A1")); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(f.ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := f.s.Offer(f.ctx, o.ID); err != nil || got.Title != "Spanish A1" || len(got.ProductIDs) != 1 {
		t.Fatalf("committed offer = %+v, %v", got, err)
	}
	if a := f.count(t, "audit_log WHERE action = 'offer.create'"); a != 1 {
		t.Fatalf("%d offer.create audit entries, want 1", a)
	}
}

// TestLinkOnlyOffer: an offer made for a payment link's custom amount is always unlisted, left out of the
// catalog's list (whatever the filter), read by id, and never edited, by the service or by plain SQL.
func TestLinkOnlyOffer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	listed := f.mustCreate(t, f.input("Spanish A1"))

	in := f.input("Two private lessons")
	in.Slug, in.Status, in.ProductIDs, in.LinkOnly = "link-0a1b2c", offer.StatusPublished, nil, true
	_, err := f.s.Create(f.ctx, in)
	wantField(t, err, "unlisted")
	in.Unlisted = true
	own := f.mustCreate(t, in)

	for _, flt := range []offer.Filter{{}, {Status: offer.StatusPublished}, {Query: "private"}, {Query: "link-0a1b2c"}} {
		list, err := f.s.Offers(f.ctx, flt)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range list {
			if o.ID == own.ID {
				t.Errorf("Offers(%+v) lists the link's offer", flt)
			}
		}
		if flt == (offer.Filter{}) && (len(list) != 1 || list[0].ID != listed.ID) {
			t.Errorf("Offers() = %d offers; want the catalog's one", len(list))
		}
	}
	if got, err := f.s.Offer(f.ctx, own.ID); err != nil || !got.LinkOnly || !got.Unlisted {
		t.Fatalf("Offer = %+v, %v", got, err)
	}

	_, err = f.s.Update(f.ctx, own.ID, func(in *offer.Input) { in.Unlisted, in.Amount = false, 1 })
	if !errors.Is(err, offer.ErrLinkOnly) {
		t.Fatalf("Update = %v; want ErrLinkOnly", err)
	}
	if _, err = f.s.SetStatus(f.ctx, own.ID, offer.StatusArchived); !errors.Is(err, offer.ErrLinkOnly) {
		t.Fatalf("SetStatus = %v; want ErrLinkOnly", err)
	}
	if _, err := f.pool.Exec(f.ctx, `UPDATE offers SET unlisted = false WHERE id = $1`, own.ID); err == nil {
		t.Fatal("the database let the link's offer be listed")
	}
	got, err := f.s.Offer(f.ctx, own.ID)
	if err != nil || !got.Unlisted || got.Amount != own.Amount || got.Status != offer.StatusPublished {
		t.Fatalf("after the refused edits: %+v, %v", got, err)
	}
	if a := f.count(t, "audit_log WHERE action = 'offer.update'"); a != 0 {
		t.Fatalf("%d offer.update audit entries for refused edits", a)
	}
}

func (f fixture) mustCreate(t *testing.T, in offer.Input) offer.Offer {
	t.Helper()
	o, err := f.s.Create(f.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return o
}
