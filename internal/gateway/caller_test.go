package gateway

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/money"
)

// verifyProvider is a stripe-typed provider whose Verify answers what the test sets, and counts its calls.
type verifyProvider struct {
	ev    Event
	err   error
	calls int
}

func (p *verifyProvider) Type() string { return TypeStripe }
func (p *verifyProvider) Begin(context.Context, Account, Checkout) (Redirect, error) {
	return Redirect{}, ErrUnsupported
}
func (p *verifyProvider) Verify(_ context.Context, acct Account, _ Inbound) (Event, error) {
	p.calls++
	if acct.Credentials["secret_key"] != "sk_test_caller" {
		return Event{}, errors.New("verifyProvider: credentials not opened")
	}
	return p.ev, p.err
}
func (p *verifyProvider) Refund(context.Context, Account, RefundRequest) (RefundResult, error) {
	return RefundResult{}, ErrUnsupported
}
func (p *verifyProvider) Status(context.Context, Account, string) (Event, error) {
	return Event{}, ErrUnsupported
}

// countingCache is an AccountCache that keeps every account and counts the reads it could not answer.
type countingCache struct {
	kept  map[int64]Account
	reads int
}

func (c *countingCache) Account(id int64, read func() (Account, error)) (Account, error) {
	if a, ok := c.kept[id]; ok {
		return a, nil
	}
	c.reads++
	a, err := read()
	if err == nil {
		c.kept[id] = a
	}
	return a, err
}

// Verify finds the enabled system with a provider, opens its credentials, and classifies every failure so that
// the webhook can answer 404, 503 or 400 without reading error texts.
func TestCallerVerify(t *testing.T) {
	t.Parallel()
	s := newService(t)
	ctx := context.Background()
	card, err := s.Create(ctx, stripeInput("sk_test_caller"))
	if err != nil {
		t.Fatal(err)
	}
	off := stripeInput("sk_test_caller")
	off.Enabled = false
	disabled, err := s.Create(ctx, off)
	if err != nil {
		t.Fatal(err)
	}
	bank, err := s.Create(ctx, manualInput())
	if err != nil {
		t.Fatal(err)
	}
	prov := &verifyProvider{}
	cache := &countingCache{kept: map[int64]Account{}}
	c := Caller{Registry: NewRegistry(prov), Systems: s, Accounts: cache}
	in := Inbound{Header: func(string) string { return "" }, Body: []byte(`{}`), Received: time.Now()}

	for _, tt := range []struct {
		name string
		id   int64
	}{{"Unknown", card.ID + 1000}, {"Disabled", disabled.ID}, {"Manual", bank.ID}} {
		if _, _, err := c.Verify(ctx, tt.id, in); !errors.Is(err, ErrNoSuchSystem) {
			t.Errorf("%s: Verify = %v, want ErrNoSuchSystem", tt.name, err)
		}
	}
	if prov.calls != 0 {
		t.Errorf("the provider was asked %d times about systems it does not serve", prov.calls)
	}

	prov.ev = Event{ID: "evt_1", Type: "checkout.session.completed", Kind: EventPaid, Ref: "cs_1",
		Amount: money.New(4900, "EUR")}
	sys, ev, err := c.Verify(ctx, card.ID, in)
	if err != nil || sys.ID != card.ID || ev.ID != "evt_1" {
		t.Fatalf("Verify = %+v, %+v, %v; want the event of system %d", sys, ev, err, card.ID)
	}
	if _, _, err := c.Verify(ctx, card.ID, in); err != nil || cache.reads != 4 {
		t.Errorf("second Verify: %v with %d cache misses; want the account kept after the first", err, cache.reads)
	}

	for _, tt := range []struct {
		name string
		ev   Event
		err  error
		want error
	}{
		{"Forged", Event{}, ErrSignature, ErrRejected},
		{"Unreadable", Event{}, errors.New("stripe: not JSON"), ErrRejected},
		{"NoEventID", Event{Type: "x", Kind: EventIgnored}, nil, ErrRejected},
		{"GatewayDown", Event{}, ErrUnavailable, ErrUnavailable},
	} {
		prov.ev, prov.err = tt.ev, tt.err
		sys, _, err := c.Verify(ctx, card.ID, in)
		if !errors.Is(err, tt.want) || (tt.err != nil && !errors.Is(err, tt.err)) || sys.ID != card.ID {
			t.Errorf("%s: Verify = %v (system %d), want %v wrapping %v and the system", tt.name, err, sys.ID, tt.want, tt.err)
		}
	}
	if errors.Is(ErrUnavailable, ErrRejected) {
		t.Error("an unavailable gateway must not read as a rejected notification")
	}
}
