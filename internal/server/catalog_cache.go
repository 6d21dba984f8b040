package server

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/settings"
)

// The notification path reads the same catalog rows for every payment: the payment system and its credentials,
// the offer, the product names, the school's settings. These readers keep them in the process's catalog cache
// (pageCache), which every process clears when a change to offers, products, payment systems or settings commits,
// and which caches nothing while its listener is down. What they return is shared: callers must not change it.

// cachedOffers reads offers for the order module's notification path.
type cachedOffers struct {
	c   *pageCache
	svc *offer.Service
}

// Offer implements order.Offers.
func (o cachedOffers) Offer(ctx context.Context, id int64) (offer.Offer, error) {
	return cached(o.c, "offer-id:"+strconv.FormatInt(id, 10), func() (offer.Offer, error) { return o.svc.Offer(ctx, id) })
}

// cachedProductNames names products for access's timeline messages.
type cachedProductNames struct {
	c   *pageCache
	svc *offer.Service
}

// ProductNamesTx implements access.Products.
func (p cachedProductNames) ProductNamesTx(ctx context.Context, tx db.DBTX, ids []int64) (map[int64]string, error) {
	key := make([]string, len(ids))
	for i, id := range slices.Sorted(slices.Values(ids)) {
		key[i] = strconv.FormatInt(id, 10)
	}
	return cached(p.c, "product-names:"+strings.Join(key, ","), func() (map[int64]string, error) {
		return p.svc.ProductNamesTx(ctx, tx, ids)
	})
}

// cachedSchool reads the school's settings for e-mails.
type cachedSchool struct {
	c   *pageCache
	svc *settings.Service
}

// GetTx implements mailer.School.
func (s cachedSchool) GetTx(ctx context.Context, tx db.DBTX) (settings.School, error) {
	return cached(s.c, "school", func() (settings.School, error) { return s.svc.GetTx(ctx, tx) })
}

// systemAccount is a payment system with what its provider needs to call the gateway.
type systemAccount struct {
	sys  gateway.System
	acct gateway.Account
}

// webhookAccount is payment system id with its opened credentials, for verifying its notifications.
func (s *Server) webhookAccount(ctx context.Context, id int64) (gateway.System, gateway.Account, error) {
	sa, err := cached(s.pages, "payment-system:"+strconv.FormatInt(id, 10), func() (systemAccount, error) {
		sys, err := s.paymentSystems.Get(ctx, id)
		if err != nil {
			return systemAccount{}, err
		}
		acct, err := s.gatewayAccount(ctx, s.paymentSystems, sys)
		if err != nil {
			return systemAccount{}, fmt.Errorf("payment system %d: %w", id, err)
		}
		return systemAccount{sys: sys, acct: acct}, nil
	})
	return sa.sys, sa.acct, err
}
