package server

import (
	"time"

	"github.com/bursar/bursar/internal/account"
	"github.com/bursar/bursar/internal/audit"
)

// accountServices: students' accounts and the rate limits of public forms.
type accountServices struct {
	accounts    *account.Service
	rateLimiter *account.RateLimiter
	postLimits  map[string]account.Limit // by form: signup, login, reset, checkout
}

func newAccountServices(d Deps, al *audit.Log, svc *services) (accountServices, error) {
	accounts, err := account.NewService(d.Pool, al, svc.contacts, svc.mailer, d.Config.BaseURL)
	return accountServices{
		accounts:    accounts,
		rateLimiter: account.NewRateLimiter(d.Pool),
		postLimits:  defaultPostLimits(),
	}, err
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
	}
}
