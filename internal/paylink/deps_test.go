package paylink_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/paylink"
)

// TestNewServiceRefusesMissingDeps: a missing dependency, key or base URL is an error at start naming it.
func TestNewServiceRefusesMissingDeps(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	al := audit.New(f.pool)
	cfg := paylink.Config{SecretKey: testKey, BaseURL: "https://school.test"}
	full := f.deps
	tests := []struct {
		name string
		edit func(*paylink.Config, *paylink.Deps)
		want string
	}{
		{"Orders", func(_ *paylink.Config, d *paylink.Deps) { d.Orders = nil }, "Deps.Orders"},
		{"Offers", func(_ *paylink.Config, d *paylink.Deps) { d.Offers = nil }, "Deps.Offers"},
		{"Catalog", func(_ *paylink.Config, d *paylink.Deps) { d.Catalog = nil }, "Deps.Catalog"},
		{"Systems", func(_ *paylink.Config, d *paylink.Deps) { d.Systems = nil }, "Deps.Systems"},
		{"Contacts", func(_ *paylink.Config, d *paylink.Deps) { d.Contacts = nil }, "Deps.Contacts"},
		{"Mailer", func(_ *paylink.Config, d *paylink.Deps) { d.Mailer = nil }, "Deps.Mailer"},
		{"Jobs", func(_ *paylink.Config, d *paylink.Deps) { d.Jobs = nil }, "Deps.Jobs"},
		{"School", func(_ *paylink.Config, d *paylink.Deps) { d.School = nil }, "Deps.School"},
		{"ShortKey", func(c *paylink.Config, _ *paylink.Deps) { c.SecretKey = testKey[:16] }, "secret key"},
		{"NoBaseURL", func(c *paylink.Config, _ *paylink.Deps) { c.BaseURL = "" }, "base URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, d := cfg, full
			tt.edit(&c, &d)
			if _, err := paylink.NewService(f.pool, al, c, d); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewService = %v; want an error naming %s", err, tt.want)
			}
		})
	}
	if _, err := paylink.NewService(f.pool, al, cfg, full); err != nil {
		t.Fatal(err)
	}
}

// TestConfiguredExpiry: the service's default expiry (BURSAR_LINK_EXPIRY) applies when a link gives none.
func TestConfiguredExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	svc, err := paylink.NewService(f.pool, audit.New(f.pool), paylink.Config{SecretKey: testKey,
		BaseURL: "https://school.test", DefaultExpiry: 72 * time.Hour, Now: f.clock.Now}, f.deps)
	if err != nil {
		t.Fatal(err)
	}
	l, err := svc.Create(f.ctx, paylink.Input{ContactID: f.contact.ID, OfferID: f.offer.ID})
	if err != nil {
		t.Fatal(err)
	}
	if want := f.clock.Now().Add(72 * time.Hour); !l.ExpiresAt.Equal(want) {
		t.Fatalf("expires %v, want %v", l.ExpiresAt, want)
	}
	// A link made by this service opens with the other's key: the token is the server's, not the service's.
	if got, err := f.links.ByToken(f.ctx, l.Token); err != nil || got.ID != l.ID {
		t.Fatalf("ByToken = %v, %v", got.ID, err)
	}
}

// TestCreateTxRollsBackWithTheCaller: a link made inside another module's transaction is gone with its rollback,
// expiry job and timelines included, and there with its commit.
func TestCreateTxRollsBackWithTheCaller(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	errRollback := errors.New("the caller changed its mind")
	err := pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error {
		if _, err := f.links.CreateTx(f.ctx, tx, paylink.Input{ContactID: f.contact.ID, OfferID: f.offer.ID,
			SendEmail: true}); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	for _, q := range []string{`SELECT count(*) FROM payment_links`, `SELECT count(*) FROM payment_link_events`,
		`SELECT count(*) FROM river_job WHERE kind = 'paylink.expire'`,
		`SELECT count(*) FROM outbound_emails WHERE related_type = 'payment_link'`} {
		if n := f.count(q); n != 0 {
			t.Fatalf("%s = %d after the rollback", q, n)
		}
	}
	var l paylink.Link
	if err := pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error {
		l, err = f.links.CreateTx(f.ctx, tx, paylink.Input{ContactID: f.contact.ID, OfferID: f.offer.ID})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := f.get(l.ID); got.Status != paylink.StatusActive {
		t.Fatalf("committed link %s", got.Status)
	}
}
