package server

import (
	"context"
	"testing"

	"github.com/bursar/bursar/internal/app"
	"github.com/bursar/bursar/internal/catalogcache"
	"github.com/bursar/bursar/internal/offer"
)

// TestPageCacheAcrossProcesses: two servers (two processes) on one database; a page cached by one is dropped when
// the other changes the offer, and a server whose listener is down caches nothing.
func TestPageCacheAcrossProcesses(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	o := a.offer(func(in *offer.Input) { in.Slug = "cached" })
	// The other process's app is not started: its cache has no listener.
	otherApp, err := app.New(app.Deps{Config: a.srv.cfg, Log: a.srv.log, Pool: a.pool})
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(Deps{Config: a.srv.cfg, Log: a.srv.log, Pool: a.pool, Services: otherApp.Services})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := a.srv.pages.Sync(ctx, a.pool); err != nil { // the listener is live
		t.Fatal(err)
	}
	a.get(a.client(), "/o/cached")
	if _, _, ok := a.srv.pages.Page("offer:cached"); !ok {
		t.Fatal("the page was not cached while the listener is live")
	}
	if _, err := other.offers.Update(a.ctx(), o.ID, func(in *offer.Input) { in.Amount = 12345 }); err != nil {
		t.Fatal(err)
	}
	if err := a.srv.pages.Sync(ctx, a.pool); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := a.srv.pages.Page("offer:cached"); ok {
		t.Fatal("the page stayed cached after another process changed the offer")
	}
	_, doc := a.get(a.client(), "/o/cached")
	if got := doc.Find("[data-testid=offer-price]").Text(); got != "€123.45" {
		t.Fatalf("price %q", got)
	}

	// A server whose listener is not running serves fresh pages and keeps none.
	other.pages.PutPage("offer:cached", 0, catalogcache.Page{Body: []byte("stale")})
	if _, _, ok := other.pages.Page("offer:cached"); ok {
		t.Fatal("a server without a listener cached a page")
	}
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	if err := other.pages.Sync(stopped, a.pool); err == nil {
		t.Fatal("sync without a listener returned")
	}
}
