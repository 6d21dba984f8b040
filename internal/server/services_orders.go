package server

import (
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/order"
)

type orderServices struct {
	orders *order.Service
}

// newOrderServices wires orders to the modules their effects reach, each used inside the order's transaction:
// catalog, payment systems, access, the contacts' timelines, exchange rates, the order e-mails and River; and, for
// orders paid without signing in, the contacts found or made by the payer's e-mail, the welcome links and the
// school's placeholder domain. Accounts must be built before orders.
func newOrderServices(d Deps, al *audit.Log, svc *services) orderServices {
	return orderServices{orders: order.NewService(d.Pool, al, order.Deps{
		Offers: svc.offers, Systems: svc.paymentSystems, Access: svc.access, Timeline: svc.contacts,
		Rates: svc.rates, Mailer: svc.mailer, Jobs: svc.jobs,
		Payers: svc.contacts, Welcome: svc.accounts, School: svc.settings,
	})}
}

// OrderDeadlineWorker is the River worker that rejects manual orders not confirmed in time. Register it with the
// process's working River client (jobs.New(pool, log, cfg, notify.NewWorker(...), srv.OrderDeadlineWorker())):
// the job is enqueued with each manual order and must find its worker in whichever process works the queue.
func (s *Server) OrderDeadlineWorker() *order.DeadlineWorker {
	return order.NewDeadlineWorker(s.orders)
}
