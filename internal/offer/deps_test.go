package offer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/offer"
)

// anyPayerEmail says every payment system reports the payer's e-mail, charges a saved card on schedule and can
// start a free trial (the rules themselves are tested through the real payment systems:
// TestOfferRecurringPublishGuard, internal/server).
type anyPayerEmail struct{}

func (anyPayerEmail) ReportPayerEmail(context.Context, []int64) (bool, error) { return true, nil }

func (anyPayerEmail) NotRecurring(context.Context, []int64) ([]string, error) { return nil, nil }

func (anyPayerEmail) NoTrial(context.Context, []int64) ([]string, error) { return nil, nil }

// mustService is offer.NewService on pool with anyPayerEmail.
func mustService(t *testing.T, pool *pgxpool.Pool) *offer.Service {
	t.Helper()
	s, err := offer.NewService(pool, audit.New(pool), anyPayerEmail{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// NewService refuses to start without what it needs, instead of silently allowing paying without signing in
// through systems that cannot report the payer.
func TestNewServiceRefusesMissingDeps(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	al := audit.New(pool)
	for _, tt := range []struct {
		name  string
		build func() (*offer.Service, error)
		want  string
	}{
		{"Pool", func() (*offer.Service, error) { return offer.NewService(nil, al, anyPayerEmail{}) }, "pool"},
		{"Audit", func() (*offer.Service, error) { return offer.NewService(pool, nil, anyPayerEmail{}) }, "audit"},
		{"PayerEmails", func() (*offer.Service, error) { return offer.NewService(pool, al, nil) }, "payer"},
	} {
		if _, err := tt.build(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s missing: %v, want an error naming the %s", tt.name, err, tt.want)
		}
	}
}
