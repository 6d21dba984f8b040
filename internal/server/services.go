package server

import (
	"github.com/bursar/bursar/internal/audit"
)

// services are the domain modules the handlers call, one embedded struct per module group, each in its own file.
type services struct {
	catalogServices
	paymentServices
	crmServices
	notifyServices
}

func newServices(d Deps, al *audit.Log) (services, error) {
	ns, err := newNotifyServices(d)
	if err != nil {
		return services{}, err
	}
	return services{
		catalogServices: newCatalogServices(d, al),
		paymentServices: newPaymentServices(d, al),
		crmServices:     newCRMServices(d, al),
		notifyServices:  ns,
	}, nil
}
