package server

import (
	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/catalogcache"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/offer"
)

type crmServices struct {
	contacts *crm.Service
	access   *access.Service
}

// newCRMServices wires contacts and access; access writes to the contacts' timelines and names products through
// the catalog (a stateless service on the same pool, so this group does not depend on the catalog group's wiring).
func newCRMServices(d Deps, al *audit.Log, pages *catalogcache.Cache) (crmServices, error) {
	contacts := crm.NewService(d.Pool, al)
	grants, err := access.NewService(d.Pool, al, contacts, catalogcache.ProductNames{Cache: pages, Offers: offer.NewService(d.Pool, al)})
	return crmServices{contacts: contacts, access: grants}, err
}
