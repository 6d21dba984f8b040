package server

import (
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/order"
)

type orderServices struct {
	orders *order.Service
}

func newOrderServices(d Deps, al *audit.Log, svc *services) orderServices {
	return orderServices{orders: order.NewService(d.Pool, al, order.Deps{
		Offers: svc.offers, Systems: svc.paymentSystems, Access: svc.access, Timeline: svc.contacts, Jobs: svc.jobs,
	})}
}
