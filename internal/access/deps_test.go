package access_test

import (
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/offer"
)

// TestNewServiceRefusesMissingDeps: a dependency left out is an error at start naming it, not timelines that
// silently say "product #5" instead of the product's name.
func TestNewServiceRefusesMissingDeps(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	al := audit.New(pool)
	contacts := crm.NewService(pool, al, nil)
	catalog := newCatalog(t, pool, al)
	var noCatalog *offer.Service
	tests := []struct {
		name     string
		contacts access.Contacts
		products access.Products
	}{
		{"contacts", nil, catalog},
		{"products", contacts, nil},
		{"products", contacts, noCatalog}, // a nil pointer in the interface is missing too
	}
	for _, tt := range tests {
		if _, err := access.NewService(pool, al, tt.contacts, tt.products, nil); err == nil ||
			!strings.Contains(err.Error(), tt.name+" is required") {
			t.Errorf("NewService without %s: %v; want an error naming %s", tt.name, err, tt.name)
		}
	}
	if _, err := access.NewService(pool, al, contacts, catalog, nil); err != nil {
		t.Fatal(err)
	}
}
