package server

import (
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/catalogcache"
)

// services are the domain modules the handlers call, one embedded struct per module group, each in its own file.
// Groups are built in dependency order: a later group's constructor may use the services built before it.
type services struct {
	catalogServices
	paymentServices
	crmServices
	notifyServices
	settingsServices
	orderServices
	accountServices
	gatewayServices
}

func newServices(d Deps, al *audit.Log, pages *catalogcache.Cache) (*services, error) {
	svc := &services{
		catalogServices: newCatalogServices(d, al),
		paymentServices: newPaymentServices(d, al),
	}
	var err error
	if svc.crmServices, err = newCRMServices(d, al, pages); err != nil {
		return nil, err
	}
	if svc.notifyServices, err = newNotifyServices(d); err != nil {
		return nil, err
	}
	svc.settingsServices = newSettingsServices(d, al, svc, pages)
	if svc.accountServices, err = newAccountServices(d, al, svc); err != nil {
		return nil, err
	}
	if svc.orderServices, err = newOrderServices(d, al, svc, pages); err != nil {
		return nil, err
	}
	svc.gatewayServices = newGatewayServices(d)
	svc.offers.UsePayerEmails(svc.paymentSystems)
	return svc, nil
}
