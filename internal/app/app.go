// Package app is Bursar's wiring, in one place: from the configuration it builds every domain service, the catalog
// cache, the gateway providers and River's workers. `bursar serve` starts what it builds; the HTTP server receives
// the built services and only routes, parses, calls and renders.
package app

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/account"
	"github.com/bursar/bursar/internal/apiview"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/catalogcache"
	"github.com/bursar/bursar/internal/config"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/fx"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/fondy"
	"github.com/bursar/bursar/internal/gateway/paypal"
	"github.com/bursar/bursar/internal/gateway/redsys"
	"github.com/bursar/bursar/internal/gateway/stripe"
	"github.com/bursar/bursar/internal/gateway/wayforpay"
	"github.com/bursar/bursar/internal/idempotency"
	"github.com/bursar/bursar/internal/importer"
	"github.com/bursar/bursar/internal/jobs"
	"github.com/bursar/bursar/internal/mailer"
	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/paylink"
	"github.com/bursar/bursar/internal/settings"
	"github.com/bursar/bursar/internal/staff"
	"github.com/bursar/bursar/internal/subscription"
	"github.com/bursar/bursar/internal/webhook"
)

// Deps are what the app is built from.
type Deps struct {
	Config config.Config
	Log    *slog.Logger
	Pool   *pgxpool.Pool
	// Jobs enqueues durable jobs in the caller's transaction; nil means an insert-only River client (the jobs are
	// then worked by whichever process runs the workers: see App.Jobs).
	Jobs notify.Inserter
}

// Services are the built domain services, the catalog cache and the gateway caller: what the HTTP server calls.
type Services struct {
	Audit          *audit.Log
	Staff          *staff.Service
	Idempotency    *idempotency.Store
	Offers         *offer.Service
	PaymentSystems *gateway.Service
	Contacts       *crm.Service
	Access         *access.Service
	Notify         *notify.Service
	Jobs           notify.Inserter // enqueues River jobs in the caller's transaction
	Settings       *settings.Service
	Rates          *fx.Service
	Mailer         *mailer.Mailer
	Accounts       *account.Service
	RateLimiter    *account.RateLimiter
	Orders         *order.Service
	PaymentLinks   *paylink.Service
	Billing        *billing.Service
	Subscriptions  *subscription.Service
	Imports        *importer.Service
	// Webhooks are the outgoing webhooks' endpoints and deliveries, and the events.Emitter modules call.
	Webhooks *webhook.Service
	Gateways gateway.Caller
	// Catalog keeps catalog reads and rendered public pages while its listener (App.Start) is live.
	Catalog *catalogcache.Cache
}

// App is the built application: its services, and the background work Start runs.
type App struct {
	Services Services
	cfg      config.Config
	log      *slog.Logger
	pool     *pgxpool.Pool
	stop     context.CancelFunc
	done     chan struct{}
}

// New builds every service in dependency order: a later service's constructor uses those built before it.
func New(d Deps) (*App, error) {
	al := audit.New(d.Pool)
	cache := catalogcache.New()
	s := Services{
		Audit:          al,
		Staff:          staff.NewService(d.Pool, al),
		Idempotency:    idempotency.New(d.Pool),
		PaymentSystems: gateway.NewService(d.Pool, al, d.Config.SecretKey),
		Settings:       settings.NewService(d.Pool, al),
		Rates:          fx.NewService(d.Pool, al),
		RateLimiter:    account.NewRateLimiter(d.Pool),
		Catalog:        cache,
		Jobs:           d.Jobs,
	}
	var err error
	if s.Jobs == nil {
		if s.Jobs, err = jobs.NewInserter(d.Pool, d.Log); err != nil {
			return nil, err
		}
	}
	s.Notify = notify.NewService(d.Pool)
	s.Mailer = mailer.New(s.Notify, catalogcache.School{Cache: cache, Settings: s.Settings}, d.Config.BaseURL)
	// Outgoing webhooks (issue 16), built before the modules that emit through them: secrets sealed with the
	// server's key, owners e-mailed when an endpoint is disabled, each event's object rendered as the API returns
	// it by view (internal/apiview), which reads through the module services once they are built (render.go).
	view := &apiview.Renderer{}
	if s.Webhooks, err = webhook.NewService(d.Pool, al, webhook.Config{SecretKey: d.Config.SecretKey,
		AllowPrivate: d.Config.WebhookAllowPrivate, Log: d.Log},
		webhook.Deps{Render: view.Render, Owners: s.Staff, Mailer: s.Mailer}); err != nil {
		return nil, err
	}
	// The modules emit their events into the webhooks' service in the transaction that causes them.
	emitter := s.Webhooks
	s.Contacts = crm.NewService(d.Pool, al, emitter)
	// Offers refuse paying without signing in unless one of their payment systems reports the payer's e-mail.
	if s.Offers, err = offer.NewService(d.Pool, al, s.PaymentSystems); err != nil {
		return nil, err
	}
	// Access writes to the contacts' timelines and names products through the catalog cache.
	if s.Access, err = access.NewService(d.Pool, al, s.Contacts,
		catalogcache.ProductNames{Cache: cache, Offers: s.Offers}, emitter); err != nil {
		return nil, err
	}
	if s.Accounts, err = account.NewService(d.Pool, al, s.Contacts, s.Mailer, d.Config.BaseURL); err != nil {
		return nil, err
	}
	s.Gateways = gateway.Caller{
		// The gateway providers by payment system type (manual has none: nothing to call).
		Registry: gateway.NewRegistry(
			stripe.New(stripe.Options{}),
			redsys.New(redsys.Options{}),
			fondy.New(fondy.Options{}),
			wayforpay.New(wayforpay.Options{}),
			paypal.New(paypal.Options{}),
		),
		Systems:  s.PaymentSystems,
		APIURLs:  d.Config.GatewayAPIURLs,
		Accounts: catalogcache.Accounts{Cache: cache},
	}
	// Payment links: tokens signed with the server's key, on the public URL; their side of the order completion
	// (a link's order paid, the contact's other links for the offer voided) is built first, for the orders.
	linkCfg := paylink.Config{SecretKey: d.Config.SecretKey, BaseURL: d.Config.BaseURL,
		DefaultExpiry: d.Config.LinkExpiry, Events: emitter}
	completions, err := paylink.NewCompletions(al, linkCfg, s.Contacts, s.Mailer)
	if err != nil {
		return nil, err
	}
	// Enrollments and receipts (internal/billing): a receipt is paid through its own payment link, so billing's side
	// of the order completion runs after the links'.
	billCfg := billing.Config{BaseURL: d.Config.BaseURL}
	billDeps := billing.Deps{Offers: catalogcache.Offers{Cache: cache, Offers: s.Offers},
		Systems:  catalogcache.Systems{Cache: cache, Systems: s.PaymentSystems},
		Contacts: s.Contacts, Access: s.Access, Welcome: s.Accounts,
		School: catalogcache.School{Cache: cache, Settings: s.Settings}, Mailer: s.Mailer, Jobs: s.Jobs,
		Events: emitter}
	billCompletions, err := billing.NewCompletions(al, billCfg, billDeps)
	if err != nil {
		return nil, err
	}
	// Subscriptions charged by the gateway: their notifications are applied inside the order's Ingest (each charge
	// an order completed through the one workflow), so they are built before the orders.
	if s.Subscriptions, err = subscription.NewService(d.Pool, al, subscription.Config{BaseURL: d.Config.BaseURL},
		subscription.Deps{Offers: catalogcache.Offers{Cache: cache, Offers: s.Offers},
			Systems:  catalogcache.Systems{Cache: cache, Systems: s.PaymentSystems},
			Gateways: s.Gateways, Contacts: s.Contacts, Access: s.Access, Mailer: s.Mailer, Jobs: s.Jobs,
			Events: emitter}); err != nil {
		return nil, err
	}
	// Orders reach, inside the order's transaction: catalog, payment systems, access, the contacts' timelines,
	// exchange rates, the order e-mails and River; and, for orders paid without signing in, the contacts found or
	// made by the payer's e-mail, the welcome links and the school's placeholder domain.
	if s.Orders, err = order.NewService(d.Pool, al, order.Deps{
		Offers:  catalogcache.Offers{Cache: cache, Offers: s.Offers},
		Systems: catalogcache.Systems{Cache: cache, Systems: s.PaymentSystems},
		Access:  s.Access, Timeline: s.Contacts,
		Rates: s.Rates, Mailer: s.Mailer, Jobs: s.Jobs,
		Payers: s.Contacts, Welcome: s.Accounts, School: s.Settings,
		Gateways: s.Gateways, Completions: order.AllCompletions{completions, billCompletions},
		Subscriptions: s.Subscriptions, Events: emitter,
	}); err != nil {
		return nil, err
	}
	if s.PaymentLinks, err = paylink.NewService(d.Pool, al, linkCfg, paylink.Deps{Orders: s.Orders,
		Offers: catalogcache.Offers{Cache: cache, Offers: s.Offers}, Catalog: s.Offers,
		Systems:  catalogcache.Systems{Cache: cache, Systems: s.PaymentSystems},
		Contacts: s.Contacts, Mailer: s.Mailer, Jobs: s.Jobs,
		School: catalogcache.School{Cache: cache, Settings: s.Settings}}); err != nil {
		return nil, err
	}
	billDeps.Links = s.PaymentLinks
	if s.Billing, err = billing.NewService(d.Pool, al, billCfg, billDeps); err != nil {
		return nil, err
	}
	// Imports of sales made elsewhere: contacts, grants, the contacts' timelines, welcome links and e-mails.
	if s.Imports, err = importer.NewService(d.Pool, al, importer.Config{}, importer.Deps{Contacts: s.Contacts,
		Access: s.Access, Products: s.Offers, School: catalogcache.School{Cache: cache, Settings: s.Settings},
		Welcome: s.Accounts, Mailer: s.Mailer, Events: emitter}); err != nil {
		return nil, err
	}
	fillRenderer(view, s)
	return &App{Services: s, cfg: d.Config, log: d.Log, pool: d.Pool}, nil
}

// Start runs the app's background work until Close: the listeners that keep the catalog cache and the webhooks'
// subscriptions fresh.
func (a *App) Start(ctx context.Context) {
	ctx, a.stop = context.WithCancel(context.WithoutCancel(ctx))
	a.done = make(chan struct{})
	hooks := make(chan struct{})
	go func() {
		defer close(hooks)
		a.Services.Webhooks.Run(ctx)
	}()
	go func() {
		defer close(a.done)
		a.Services.Catalog.Run(ctx, a.pool, a.log)
		<-hooks
	}()
}

// Close stops what Start started and waits for it.
func (a *App) Close() {
	if a.stop != nil {
		a.stop()
		<-a.done
	}
}
