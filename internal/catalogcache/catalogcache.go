// Package catalogcache keeps the catalog's reads and rendered public pages in the process's memory for as long as
// the process listens for catalog changes and hears none: any committed change to offers, products, payment systems
// or settings — by any process — clears every process's cache.
package catalogcache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Channel is the PostgreSQL channel that triggers on the catalog tables notify on commit
// (migrations/00010_catalog_notify.sql).
const Channel = "bursar_catalog"

// Cache keeps rendered public offer pages and catalog reads in memory for as long as this process listens on
// Channel and hears nothing. Any change to offers, products, payment systems or settings — by any process — clears every
// process's cache when it commits. While the listener is not connected, nothing is cached, so a page is never
// served stale because a notification was missed.
type Cache struct {
	mu sync.RWMutex
	// values holds the rendered pages and the catalog reads (a payment system with its opened credentials, an
	// offer, product names, the school's settings) by key, in one namespace: "offer:<slug>" is a page,
	// "offer-id:…", "offer-slug:…", "payment-system:…" and the like are reads.
	values map[string]any
	live   bool   // the listener is connected and listening
	gen    uint64 // bumped by every clear: a page rendered before a clear is not stored after it
	syncs  map[string]chan struct{}
}

// Page is a rendered 200 response.
type Page struct {
	Body        []byte
	ContentType string
}

// maxCached bounds memory: the cache is cleared when it holds this many pages and reads (at ~20 KB a page, 80 MB
// if all were pages; catalog reads are far smaller).
const maxCached = 4000

// New returns an empty cache; it caches nothing until Run's listener is connected.
func New() *Cache {
	return &Cache{values: map[string]any{}, syncs: map[string]chan struct{}{}}
}

// Page returns the cached page for key and the generation to pass to PutPage when rendering it instead.
func (c *Cache) Page(key string) (Page, uint64, bool) {
	v, gen, ok := c.getValue(key)
	p, isPage := v.(Page)
	return p, gen, ok && isPage
}

// PutPage stores a page rendered at generation gen, unless the cache was cleared since or is not live.
func (c *Cache) PutPage(key string, gen uint64, p Page) {
	c.putValue(key, gen, p)
}

// getValue returns the cached value for key and the generation to pass to putValue when reading it instead.
func (c *Cache) getValue(key string) (any, uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.values[key]
	return v, c.gen, ok && c.live
}

// putValue stores a value read at generation gen, unless the cache was cleared since or is not live.
func (c *Cache) putValue(key string, gen uint64, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || c.gen != gen {
		return
	}
	if len(c.values) >= maxCached {
		clear(c.values)
	}
	c.values[key] = v
}

// Cached returns the value of key from the cache, or reads it with read and caches it. Values must be treated as
// read-only by every caller: they are shared.
func Cached[T any](c *Cache, key string, read func() (T, error)) (T, error) {
	if c == nil {
		return read()
	}
	v, gen, ok := c.getValue(key)
	if ok {
		if t, ok := v.(T); ok {
			return t, nil
		}
	}
	t, err := read()
	if err == nil {
		c.putValue(key, gen, t)
	}
	return t, err
}

// reset drops every page and value and sets whether the listener is live.
func (c *Cache) reset(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.values)
	c.gen++
	c.live = live
}

// Run listens on Channel until ctx ends, reconnecting with a growing pause after failures.
func (c *Cache) Run(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) {
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := c.listen(ctx, pool)
		c.reset(false)
		if ctx.Err() != nil {
			return
		}
		log.Warn("page cache listener lost; pages are not cached until it is back", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(pause*2, 10*time.Second)
	}
}

func (c *Cache) listen(ctx context.Context, pool *pgxpool.Pool) error {
	pc, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection carries a LISTEN: it leaves the pool and is closed at the end.
	conn := pc.Hijack()
	defer conn.Close(context.WithoutCancel(ctx)) //nolint:errcheck
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	c.reset(true)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Payload != "" {
			c.mu.Lock()
			if ch, ok := c.syncs[n.Payload]; ok {
				close(ch)
				delete(c.syncs, n.Payload)
			}
			c.mu.Unlock()
			continue
		}
		c.reset(true)
	}
}

// Sync returns once this process's listener has handled every catalog change committed before the call: it sends
// a marker through the channel and waits for it (notifications arrive in commit order). A marker sent before the
// listener's LISTEN took effect is lost, so it is sent again every 100 ms until one comes back. Tests use it instead
// of sleeping; it fails with ctx when the listener is down.
func (c *Cache) Sync(ctx context.Context, pool *pgxpool.Pool) error {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	token := "sync:" + hex.EncodeToString(b)
	ch := make(chan struct{})
	c.mu.Lock()
	c.syncs[token] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.syncs, token)
		c.mu.Unlock()
	}()
	resend := time.NewTicker(100 * time.Millisecond)
	defer resend.Stop()
	for {
		if _, err := pool.Exec(ctx, "SELECT pg_notify($1, $2)", Channel, token); err != nil {
			return err
		}
		select {
		case <-ch:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-resend.C:
		}
	}
}
