package gateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/bursar/bursar/internal/check"
)

// ErrNoSuchSystem says a notification names no payment system that takes notifications: none has its id, it is
// disabled, or its type has no provider (the manual merchant). Nothing was written.
var ErrNoSuchSystem = errors.New("gateway: no enabled payment system with a gateway has this id")

// ErrRejected says a notification was not authentic or could not be read (ErrSignature, ErrInvalidEvent or the
// provider's own parse error are wrapped). Nothing was written.
var ErrRejected = errors.New("gateway: notification rejected")

// AccountCache keeps payment systems with their opened credentials between notifications, by system id: Account
// returns the cached account of id or, when it has none, read's answer (which it may keep). A nil AccountCache
// keeps nothing.
type AccountCache interface {
	Account(id int64, read func() (Account, error)) (Account, error)
}

// Caller calls payment systems' gateways: through the provider of the system's type, with the system's opened
// credentials and the configured API base. It is the one way Bursar reaches a gateway; the order module receives
// it once (order.Deps.Gateways). The zero value is not usable: Registry and Systems are required.
type Caller struct {
	// Registry holds the providers by payment system type.
	Registry *Registry
	// Systems reads the payment systems and opens their credentials.
	Systems *Service
	// APIURLs overrides each provider's API base (BURSAR_<TYPE>_API_URL), by type.
	APIURLs map[string]string
	// Accounts, when set, keeps the accounts notifications are verified with (the catalog cache); nil reads them
	// for every notification.
	Accounts AccountCache
}

// Account is what sys's provider needs to call its gateway: sys, its opened credentials (through Accounts when
// set) and the API base. The credentials must never be logged or rendered.
func (c Caller) Account(ctx context.Context, sys System) (Account, error) {
	if c.Accounts == nil {
		return c.open(ctx, sys)
	}
	acct, err := c.Accounts.Account(sys.ID, func() (Account, error) { return c.open(ctx, sys) })
	acct.System = sys // the caller's copy of the system, whatever the cache holds
	return acct, err
}

// open is sys's account with its credentials read and opened now.
func (c Caller) open(ctx context.Context, sys System) (Account, error) {
	creds, err := c.Systems.Credentials(ctx, sys.ID)
	if err != nil {
		return Account{}, fmt.Errorf("credentials of payment system %d: %w", sys.ID, err)
	}
	return Account{System: sys, Credentials: creds, APIURL: c.APIURLs[sys.Type]}, nil
}

// Provider is sys's provider and account; a type without a provider cannot be asked (ErrUnsupported).
func (c Caller) Provider(ctx context.Context, sys System) (Provider, Account, error) {
	p, ok := c.Registry.Provider(sys.Type)
	if !ok {
		return nil, Account{}, fmt.Errorf("payment systems of type %s: %w", sys.Type, ErrUnsupported)
	}
	acct, err := c.Account(ctx, sys)
	if err != nil {
		return nil, Account{}, err
	}
	return p, acct, nil
}

// Begin starts a payment at sys's gateway.
func (c Caller) Begin(ctx context.Context, sys System, co Checkout) (Redirect, error) {
	p, acct, err := c.Provider(ctx, sys)
	if err != nil {
		return Redirect{}, err
	}
	return p.Begin(ctx, acct, co)
}

// Refund asks sys's gateway to return money.
func (c Caller) Refund(ctx context.Context, sys System, r RefundRequest) (RefundResult, error) {
	p, acct, err := c.Provider(ctx, sys)
	if err != nil {
		return RefundResult{}, err
	}
	return p.Refund(ctx, acct, r)
}

// Status asks sys's gateway what became of the payment it knows as ref.
func (c Caller) Status(ctx context.Context, sys System, ref string) (Event, error) {
	p, acct, err := c.Provider(ctx, sys)
	if err != nil {
		return Event{}, err
	}
	return p.Status(ctx, acct, ref)
}

// Verify authenticates and parses a notification addressed to payment system systemID. Its errors:
// ErrNoSuchSystem (no such enabled system with a provider), ErrUnavailable (verifying needs the gateway and it did
// not answer: the gateway delivers again), ErrRejected (not authentic or unreadable); any other is Bursar's own
// (the database). The system is returned whenever it was found, for the caller's logs.
func (c Caller) Verify(ctx context.Context, systemID int64, in Inbound) (System, Event, error) {
	acct, err := c.accountByID(ctx, systemID)
	if errors.Is(err, ErrNoSuchSystem) {
		return System{}, Event{}, err
	}
	if err != nil {
		return System{}, Event{}, fmt.Errorf("payment system %d: %w", systemID, err)
	}
	sys := acct.System
	p, ok := c.Registry.Provider(sys.Type)
	if !ok {
		return sys, Event{}, fmt.Errorf("payment system %d of type %s: %w", sys.ID, sys.Type, ErrNoSuchSystem)
	}
	ev, err := p.Verify(ctx, acct, in)
	switch {
	case errors.Is(err, ErrUnavailable):
		return sys, Event{}, err
	case err != nil:
		return sys, Event{}, fmt.Errorf("%w: %w", ErrRejected, err)
	case ev.ID == "":
		return sys, Event{}, fmt.Errorf("%w: the notification has no event id", ErrRejected)
	}
	return sys, ev, nil
}

// accountByID is the enabled payment system systemID with its opened credentials, through the cache when there is
// one.
func (c Caller) accountByID(ctx context.Context, systemID int64) (Account, error) {
	read := func() (Account, error) {
		sys, err := c.Systems.Get(ctx, systemID)
		if err != nil {
			return Account{}, err
		}
		return c.open(ctx, sys)
	}
	var (
		acct Account
		err  error
	)
	if c.Accounts != nil {
		acct, err = c.Accounts.Account(systemID, read)
	} else {
		acct, err = read()
	}
	switch {
	case errors.Is(err, check.ErrNotFound), err == nil && !acct.System.Enabled:
		return Account{}, ErrNoSuchSystem
	case err != nil:
		return Account{}, err
	}
	return acct, nil
}
