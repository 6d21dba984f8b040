package access_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/offer"
)

// TestGrantTxOneConnection: a grant inside the caller's transaction needs no second connection (an order's
// fulfilment holds one; with every connection held, a second one would never come).
func TestGrantTxOneConnection(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	pool, err := db.Open(context.Background(), url+sep+"pool_max_conns=1")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	al := audit.New(pool)
	contacts := crm.NewService(pool, al, nil)
	catalog := newCatalog(t, pool, al)
	svc, err := access.NewService(pool, al, contacts, catalog, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := contacts.Create(context.Background(), crm.Input{Email: "one@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := catalog.CreateProduct(context.Background(), offer.ProductInput{Name: "Course", Kind: "course"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, _, err := svc.GrantTx(ctx, tx, access.NewGrant{ContactID: c.ID, ProductID: p.ID, Source: access.SourceManual})
		return err
	})
	if err != nil {
		t.Fatalf("grant with one connection: %v", err)
	}
	events, err := contacts.Events(context.Background(), c.ID, 10)
	if err != nil || len(events) == 0 || !strings.Contains(events[0].Message, "Course") {
		t.Fatalf("timeline %+v %v", events, err)
	}
}
