package order_test

import (
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/order"
)

// TestNewServiceRefusesMissingDeps: a dependency left out is an error at start naming it, never an effect (an
// e-mail, a deadline job, a conversion) silently skipped later.
func TestNewServiceRefusesMissingDeps(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	al := audit.New(f.pool)
	tests := []struct {
		name string
		drop func(*order.Deps)
	}{
		{"Offers", func(d *order.Deps) { d.Offers = nil }},
		{"Systems", func(d *order.Deps) { d.Systems = nil }},
		{"Access", func(d *order.Deps) { d.Access = nil }},
		{"Timeline", func(d *order.Deps) { d.Timeline = nil }},
		{"Rates", func(d *order.Deps) { d.Rates = nil }},
		{"Mailer", func(d *order.Deps) { d.Mailer = nil }},
		{"Jobs", func(d *order.Deps) { d.Jobs = nil }},
		{"Payers", func(d *order.Deps) { d.Payers = nil }},
		{"Welcome", func(d *order.Deps) { d.Welcome = nil }},
		{"School", func(d *order.Deps) { d.School = nil }},
		{"Gateways", func(d *order.Deps) { d.Gateways = nil }},
		{"Completions", func(d *order.Deps) { d.Completions = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := f.deps
			tt.drop(&d)
			svc, err := order.NewService(f.pool, al, d)
			if err == nil || !strings.Contains(err.Error(), "Deps."+tt.name+" ") {
				t.Fatalf("NewService without %s = %v, %v; want an error naming Deps.%s", tt.name, svc, err, tt.name)
			}
		})
	}
	t.Run("TypedNil", func(t *testing.T) {
		t.Parallel()
		d := f.deps
		var grants *access.Service
		d.Access = grants
		if _, err := order.NewService(f.pool, al, d); err == nil || !strings.Contains(err.Error(), "Deps.Access ") {
			t.Fatalf("NewService with a nil *Service as Access: %v; want an error naming Deps.Access", err)
		}
	})
	t.Run("NoPool", func(t *testing.T) {
		t.Parallel()
		if _, err := order.NewService(nil, al, f.deps); err == nil || !strings.Contains(err.Error(), "pool") {
			t.Fatalf("NewService without a pool: %v; want an error naming the pool", err)
		}
	})
	t.Run("NoAudit", func(t *testing.T) {
		t.Parallel()
		if _, err := order.NewService(f.pool, nil, f.deps); err == nil || !strings.Contains(err.Error(), "audit") {
			t.Fatalf("NewService without an audit log: %v; want an error naming the audit log", err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		d := f.deps
		if _, err := order.NewService(f.pool, al, d); err != nil {
			t.Fatal(err)
		}
	})
}
