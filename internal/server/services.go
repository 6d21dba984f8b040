package server

import (
	"github.com/bursar/bursar/internal/audit"
)

// services are the domain modules the handlers call, one embedded struct per module group, each in its own file.
type services struct {
	catalogServices
	paymentServices
	crmServices
}

func newServices(d Deps, al *audit.Log) services {
	return services{
		catalogServices: newCatalogServices(d, al),
		paymentServices: newPaymentServices(d, al),
		crmServices:     newCRMServices(d, al),
	}
}
