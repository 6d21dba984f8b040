package server

import (
	"time"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/account"
	"github.com/bursar/bursar/internal/app"
	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/catalogcache"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/fx"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/importer"
	"github.com/bursar/bursar/internal/mailer"
	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/paylink"
	"github.com/bursar/bursar/internal/settings"
	"github.com/bursar/bursar/internal/subscription"
	"github.com/bursar/bursar/internal/webhook"
)

// services are the domain services the handlers call, built by app.New, with the server's own HTTP concerns: the
// description renderer and the rate limits of public forms.
type services struct {
	offers         *offer.Service
	markdown       *markdownRenderer
	paymentSystems *gateway.Service
	contacts       *crm.Service
	access         *access.Service
	notify         *notify.Service
	jobs           notify.Inserter // enqueues River jobs in the caller's transaction
	settings       *settings.Service
	rates          *fx.Service
	mailer         *mailer.Mailer
	orders         *order.Service
	links          *paylink.Service
	billing        *billing.Service // enrollments and receipts
	subscriptions  *subscription.Service
	imports        *importer.Service
	webhooks       *webhook.Service // outgoing webhooks' endpoints and delivery logs
	accounts       *account.Service
	rateLimiter    *account.RateLimiter
	postLimits     map[string]account.Limit // by form: signup, login, reset, checkout
	// gateways are the providers by payment system type (manual has none: nothing to call), asked what they can do;
	// only the order module calls them.
	gateways *gateway.Registry
	// published and systems read the catalog for the public pages and checkout through the process's catalog
	// cache (cleared in every process when a change commits; nothing cached while its listener is down).
	published catalogcache.Offers
	systems   catalogcache.Systems
	school    catalogcache.School
}

func newServices(s app.Services) services {
	return services{
		offers:         s.Offers,
		markdown:       newMarkdownRenderer(),
		paymentSystems: s.PaymentSystems,
		contacts:       s.Contacts,
		access:         s.Access,
		notify:         s.Notify,
		jobs:           s.Jobs,
		settings:       s.Settings,
		rates:          s.Rates,
		mailer:         s.Mailer,
		orders:         s.Orders,
		links:          s.PaymentLinks,
		billing:        s.Billing,
		subscriptions:  s.Subscriptions,
		imports:        s.Imports,
		webhooks:       s.Webhooks,
		accounts:       s.Accounts,
		rateLimiter:    s.RateLimiter,
		postLimits:     defaultPostLimits(),
		gateways:       s.Gateways.Registry,
		published:      catalogcache.Offers{Cache: s.Catalog, Offers: s.Offers},
		systems:        catalogcache.Systems{Cache: s.Catalog, Systems: s.PaymentSystems},
		school:         catalogcache.School{Cache: s.Catalog, Settings: s.Settings},
	}
}

// defaultPostLimits are per client address. They are generous enough for a class signing up together behind one
// school router, and far below what a script guessing passwords or spamming sign-ups needs; sign-in is further
// protected by the per-e-mail lockout.
func defaultPostLimits() map[string]account.Limit {
	return map[string]account.Limit{
		"signup":   {Max: 30, Window: 10 * time.Minute},
		"login":    {Max: 60, Window: 10 * time.Minute},
		"reset":    {Max: 10, Window: 10 * time.Minute},
		"welcome":  {Max: 30, Window: 10 * time.Minute},
		"checkout": {Max: 30, Window: 10 * time.Minute},
		"proof":    {Max: 30, Window: 10 * time.Minute},
	}
}
