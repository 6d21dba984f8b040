package offer_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/offer"
)

// TestCreateLinkOnlyManyTx: a batch of link-only offers is stored as CreateTx stores each (the same fields read
// back, payment systems in order, an audit entry each), in the inputs' order; a bad input, or inputs differing
// beyond a custom amount's fields, write nothing.
func TestCreateLinkOnlyManyTx(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	linkOnly := func(title, slug string, amount int64, currency string) offer.Input {
		in := f.input(title)
		in.Slug, in.Status, in.ProductIDs, in.LinkOnly, in.Unlisted = slug, offer.StatusPublished, nil, true, true
		in.Amount, in.Currency = amount, currency
		return in
	}
	ins := []offer.Input{linkOnly("Receipt — part 1", "link-aa01", 4900, "EUR"),
		linkOnly("Receipt — part 2", "link-aa02", 5100, "EUR"), linkOnly("Receipt — books", "link-aa03", 700, "USD")}
	ins[1].Language = "es"
	one := f.mustCreate(t, linkOnly("Alone", "link-aa00", 4900, "EUR"))
	var got []offer.Offer
	if err := pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error {
		var err error
		got, err = f.s.CreateLinkOnlyManyTx(f.ctx, tx, ins)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ins) {
		t.Fatalf("%d offers; want %d", len(got), len(ins))
	}
	alone, err := f.s.Offer(f.ctx, one.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range got {
		read, err := f.s.Offer(f.ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if read.Slug != ins[i].Slug || read.Title != ins[i].Title || read.Amount != ins[i].Amount ||
			read.Currency != ins[i].Currency || read.Language != ins[i].Language {
			t.Errorf("offer %d read back %+v; want input %+v", i, read.Input, ins[i])
		}
		// Beyond a custom amount's fields, it is the offer CreateTx made.
		a, b := read.Input, alone.Input
		a.Title, a.Slug, a.Amount, a.Currency, a.Language = b.Title, b.Slug, b.Amount, b.Currency, b.Language
		if !reflect.DeepEqual(a, b) {
			t.Errorf("offer %d differs from CreateTx's:\n%+v\n%+v", i, a, b)
		}
		if n := f.count(t, fmt.Sprintf("audit_log WHERE action = 'offer.create' AND entity_id = '%d'", o.ID)); n != 1 {
			t.Errorf("offer %d: %d audit entries", i, n)
		}
	}

	before := f.count(t, "offers")
	for name, edit := range map[string]func([]offer.Input){
		"NotLinkOnly":  func(b []offer.Input) { b[1].LinkOnly, b[1].Unlisted = false, false },
		"EmptyTitle":   func(b []offer.Input) { b[2].Title = "" },
		"OtherField":   func(b []offer.Input) { b[1].ManualConfirmDays = 9 },
		"SlugTaken":    func(b []offer.Input) { b[0].Slug = "link-aa00" },
		"NoSuchSystem": func(b []offer.Input) { b[2].PaymentSystemIDs = []int64{999999} },
	} {
		b := make([]offer.Input, len(ins))
		for i, in := range ins {
			in.Slug += "x"
			b[i] = in
		}
		edit(b)
		err := pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error {
			_, err := f.s.CreateLinkOnlyManyTx(f.ctx, tx, b)
			return err
		})
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if n := f.count(t, "offers"); n != before {
		t.Fatalf("bad batches left %d offers", n-before)
	}
}
