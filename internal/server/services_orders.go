package server

import (
	"context"
	"fmt"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/catalogcache"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/order"
)

type orderServices struct {
	orders *order.Service
}

// newOrderServices wires orders to the modules their effects reach, each used inside the order's transaction:
// catalog, payment systems, access, the contacts' timelines, exchange rates, the order e-mails and River; and, for
// orders paid without signing in, the contacts found or made by the payer's e-mail, the welcome links and the
// school's placeholder domain. Accounts must be built before orders; a missing one is an error.
func newOrderServices(d Deps, al *audit.Log, svc *services, pages *catalogcache.Cache) (orderServices, error) {
	orders, err := order.NewService(d.Pool, al, order.Deps{
		Offers: svc.offers, Systems: svc.paymentSystems, Access: svc.access, Timeline: svc.contacts,
		Rates: svc.rates, Mailer: svc.mailer, Jobs: svc.jobs,
		Payers: svc.contacts, Welcome: svc.accounts, School: svc.settings,
		NotificationOffers: catalogcache.Offers{Cache: pages, Offers: svc.offers},
	})
	return orderServices{orders: orders}, err
}

// OrderDeadlineWorker is the River worker that rejects manual orders not confirmed in time. Register it with the
// process's working River client (jobs.New(pool, log, cfg, notify.NewWorker(...), srv.OrderDeadlineWorker())):
// the job is enqueued with each manual order and must find its worker in whichever process works the queue.
func (s *Server) OrderDeadlineWorker() *order.DeadlineWorker {
	return order.NewDeadlineWorker(s.orders)
}

// gatewayCaller calls payment systems' gateways for the order module (order.Refunder, order.StatusAsker): through
// the provider of the system's type, with the system's opened credentials and the configured API base.
type gatewayCaller struct {
	g       gatewayServices
	systems *gateway.Service
}

// gatewayCaller is the server's gateway caller.
func (s *Server) gatewayCaller() gatewayCaller {
	return gatewayCaller{g: s.gatewayServices, systems: s.paymentSystems}
}

// provider is sys's provider and account; a type without a provider cannot be asked (gateway.ErrUnsupported).
func (c gatewayCaller) provider(ctx context.Context, sys gateway.System) (gateway.Provider, gateway.Account, error) {
	p, ok := c.g.gateways.Provider(sys.Type)
	if !ok {
		return nil, gateway.Account{}, fmt.Errorf("payment systems of type %s: %w", sys.Type, gateway.ErrUnsupported)
	}
	acct, err := c.g.gatewayAccount(ctx, c.systems, sys)
	if err != nil {
		return nil, gateway.Account{}, err
	}
	return p, acct, nil
}

// Refund implements order.Refunder.
func (c gatewayCaller) Refund(ctx context.Context, sys gateway.System, r gateway.RefundRequest) (gateway.RefundResult, error) {
	p, acct, err := c.provider(ctx, sys)
	if err != nil {
		return gateway.RefundResult{}, err
	}
	return p.Refund(ctx, acct, r)
}

// Status implements order.StatusAsker.
func (c gatewayCaller) Status(ctx context.Context, sys gateway.System, ref string) (gateway.Event, error) {
	p, acct, err := c.provider(ctx, sys)
	if err != nil {
		return gateway.Event{}, err
	}
	return p.Status(ctx, acct, ref)
}

// RecheckWorker is the River worker that asks the gateways about payment attempts left pending longer than
// BURSAR_RECHECK_AFTER. Register it with the process's working River client and add its PeriodicJob to the
// client's periodic jobs (River runs those on the elected leader only).
func (s *Server) RecheckWorker() *order.RecheckWorker {
	return order.NewRecheckWorker(s.orders, s.gatewayCaller(), order.RecheckConfig{After: s.cfg.RecheckAfter}, s.log)
}

// OrderSweepWorker is the River worker of the hourly sweep that rejects manual orders past their deadline whose own
// deadline job was lost; add its PeriodicJob to the working client.
func (s *Server) OrderSweepWorker() *order.SweepWorker {
	return order.NewSweepWorker(s.orders, s.log)
}
