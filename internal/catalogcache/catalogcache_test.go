package catalogcache

import (
	"context"
	"log/slog"
	"testing"

	"github.com/bursar/bursar/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestCacheClearsOnNotify: a live listener keeps pages and values until a catalog change is heard; without a
// listener, nothing is kept.
func TestCacheClearsOnNotify(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	c := New()
	c.PutPage("p", 0, Page{Body: []byte("stale")})
	if _, _, ok := c.Page("p"); ok {
		t.Fatal("a cache without a listener kept a page")
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx, pool, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() { cancel(); <-done })
	if err := c.Sync(ctx, pool); err != nil {
		t.Fatal(err)
	}
	_, gen, _ := c.Page("p")
	c.PutPage("p", gen, Page{Body: []byte("page")})
	reads := 0
	read := func() (int, error) { reads++; return reads, nil }
	if v, _ := Cached(c, "v", read); v != 1 {
		t.Fatalf("first read %d", v)
	}
	if v, _ := Cached(c, "v", read); v != 1 {
		t.Fatalf("cached read %d, want the first", v)
	}
	if p, _, ok := c.Page("p"); !ok || string(p.Body) != "page" {
		t.Fatalf("page %q, %v", p.Body, ok)
	}
	if _, err := pool.Exec(ctx, "SELECT pg_notify($1, '')", Channel); err != nil { // what the catalog triggers send
		t.Fatal(err)
	}
	if err := c.Sync(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := c.Page("p"); ok {
		t.Fatal("the page stayed cached after a catalog change")
	}
	if v, _ := Cached(c, "v", read); v != 2 {
		t.Fatalf("read after a change %d, want a fresh one", v)
	}
}
