package catalogcache

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/settings"
)

// The notification path reads the same catalog rows for every payment: the payment system and its credentials,
// the offer, the product names, the school's settings. These readers keep them in the process's Cache, which every process clears when a change to offers, products, payment systems or settings commits,
// and which caches nothing while its listener is down. What they return is shared: callers must not change it.

// Offers reads offers for checkout and the order module.
type Offers struct {
	Cache  *Cache
	Offers *offer.Service
}

// Offer implements order.Offers.
func (o Offers) Offer(ctx context.Context, id int64) (offer.Offer, error) {
	return Cached(o.Cache, "offer-id:"+strconv.FormatInt(id, 10), func() (offer.Offer, error) { return o.Offers.Offer(ctx, id) })
}

// PublishedPage is offer.Service.PublishedPage, cached: the published offer with slug and its products' names.
func (o Offers) PublishedPage(ctx context.Context, slug string) (offer.Page, error) {
	return Cached(o.Cache, "offer-slug:"+slug, func() (offer.Page, error) { return o.Offers.PublishedPage(ctx, slug) })
}

// Systems reads payment systems (without their credentials) for checkout and the order module.
type Systems struct {
	Cache   *Cache
	Systems *gateway.Service
}

// Get implements order.Systems.
func (s Systems) Get(ctx context.Context, id int64) (gateway.System, error) {
	return Cached(s.Cache, "payment-system-id:"+strconv.FormatInt(id, 10), func() (gateway.System, error) {
		return s.Systems.Get(ctx, id)
	})
}

// ProductNames names products for access's timeline messages.
type ProductNames struct {
	Cache  *Cache
	Offers *offer.Service
}

// ProductNamesTx implements access.Products.
func (p ProductNames) ProductNamesTx(ctx context.Context, tx db.DBTX, ids []int64) (map[int64]string, error) {
	key := make([]string, len(ids))
	for i, id := range slices.Sorted(slices.Values(ids)) {
		key[i] = strconv.FormatInt(id, 10)
	}
	return Cached(p.Cache, "product-names:"+strings.Join(key, ","), func() (map[int64]string, error) {
		return p.Offers.ProductNamesTx(ctx, tx, ids)
	})
}

// School reads the school's settings for e-mails.
type School struct {
	Cache    *Cache
	Settings *settings.Service
}

// GetTx implements mailer.School.
func (s School) GetTx(ctx context.Context, tx db.DBTX) (settings.School, error) {
	return Cached(s.Cache, "school", func() (settings.School, error) { return s.Settings.GetTx(ctx, tx) })
}

// Accounts keeps payment systems with their opened credentials for verifying notifications (gateway.AccountCache).
type Accounts struct {
	Cache *Cache
}

// Account implements gateway.AccountCache.
func (a Accounts) Account(id int64, read func() (gateway.Account, error)) (gateway.Account, error) {
	return Cached(a.Cache, "payment-system:"+strconv.FormatInt(id, 10), read)
}
