package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/config"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/scale"
	"github.com/bursar/bursar/internal/staff"
)

// The admin screens and API lists at a big school's size (issue 12): BenchmarkScreens fills (or finds) a database
// of scale.Size{Orders: 1,000,000} kept between runs (bursar_bench_scale) and a fresh one of 1,000 orders on the
// same server, serves each through the real router, and asks every screen 50 times in turn, one request at a time,
// the two databases interleaved request by request, printing each screen's p50 and p95 at both sizes and the
// database round trips of one request. docs/PERFORMANCE.md has the figures and the plans.
//
// Every list, total and dashboard figure has a line here; a screen that a later issue adds gets its line in
// benchScreens.

const (
	benchScaleOrders = 1_000_000
	benchSmallOrders = 1_000
	benchRequests    = 50
	benchWarmup      = 3
	benchKeptName    = "bursar_bench_scale"
)

// benchFacts are the ids and values the screens' URLs need, read from each database.
type benchFacts struct {
	midOrderID   int64  // an order halfway through the ids: a deep page starts before it
	orderID      int64  // a completed order, for its page
	orderNumber  string // its number, for the Transactions search
	contactID    int64  // its contact, for the card and the access list
	contactEmail string
	stripeID     int64  // the Stripe payment system
	monthFrom    string // a month of dates three months back
	monthTo      string
	searchFrag   string // part of an e-mail, for the contacts search
	// oldFrag is a fragment of middling frequency whose matches are all old: at 1,000,000 orders, "student12" is in
	// 5% of the contacts' e-mails, the newest of them 70,000 ids back.
	oldFrag string
}

type benchScreen struct {
	name string
	api  bool
	path func(f benchFacts) string
}

func fixed(p string) func(benchFacts) string { return func(benchFacts) string { return p } }

var benchScreens = []benchScreen{
	{name: "admin dashboard", path: fixed("/admin")},
	{name: "orders", path: fixed("/admin/orders")},
	{name: "orders status=completed", path: fixed("/admin/orders?status=completed")},
	{name: "orders status=open", path: fixed("/admin/orders?status=open")},
	{name: "orders e-mail", path: func(f benchFacts) string { return "/admin/orders?email=" + url.QueryEscape(f.contactEmail) }},
	{name: "orders date range (a month)", path: func(f benchFacts) string {
		return "/admin/orders?from=" + f.monthFrom + "&to=" + f.monthTo
	}},
	{name: "orders refunded + date range", path: func(f benchFacts) string {
		return "/admin/orders?status=refunded&from=" + f.monthFrom + "&to=" + f.monthTo
	}},
	{name: "orders deep page", path: func(f benchFacts) string { return "/admin/orders?before=" + itoa(f.midOrderID) }},
	{name: "payments tab", path: fixed("/admin/orders?tab=payments")},
	{name: "payments tab date range", path: func(f benchFacts) string {
		return "/admin/orders?tab=payments&from=" + f.monthFrom + "&to=" + f.monthTo
	}},
	{name: "order page", path: func(f benchFacts) string { return "/admin/orders/" + itoa(f.orderID) }},
	{name: "transactions (last 30 days)", path: fixed("/admin/transactions")},
	{name: "transactions status=refunded", path: fixed("/admin/transactions?status=refunded")},
	{name: "transactions kind=refund", path: fixed("/admin/transactions?kind=refund")},
	{name: "transactions date range (a month)", path: func(f benchFacts) string {
		return "/admin/transactions?from=" + f.monthFrom + "&to=" + f.monthTo
	}},
	{name: "transactions order number", path: func(f benchFacts) string {
		return "/admin/transactions?from=&q=" + url.QueryEscape(f.orderNumber)
	}},
	{name: "transactions attempts", path: fixed("/admin/transactions?attempts=1")},
	{name: "transactions currency=USD", path: fixed("/admin/transactions?currency=USD")},
	{name: "transactions Stripe", path: func(f benchFacts) string {
		return "/admin/transactions?payment_system_id=" + itoa(f.stripeID)
	}},
	{name: "transactions all time (from= cleared)", path: fixed("/admin/transactions?from=")},
	{name: "transactions all time status=refunded", path: fixed("/admin/transactions?from=&status=refunded")},
	{name: "transactions all time kind=refund", path: fixed("/admin/transactions?from=&kind=refund")},
	{name: "transactions all time Stripe", path: func(f benchFacts) string {
		return "/admin/transactions?from=&payment_system_id=" + itoa(f.stripeID)
	}},
	{name: "transactions all time currency=USD", path: fixed("/admin/transactions?from=&currency=USD")},
	{name: "contacts", path: fixed("/admin/contacts")},
	{name: "contacts search", path: func(f benchFacts) string { return "/admin/contacts?q=" + f.searchFrag }},
	{name: "contacts search, old matches", path: func(f benchFacts) string { return "/admin/contacts?q=" + f.oldFrag }},
	{name: "contact card", path: func(f benchFacts) string { return "/admin/contacts/" + itoa(f.contactID) }},
	{name: "exceptions", path: fixed("/admin/exceptions")},
	{name: "outbox", path: fixed("/admin/outbox")},
	{name: "audit log", path: fixed("/admin/audit")},
	{name: "offers", path: fixed("/admin/offers")},
	{name: "payment links", path: fixed("/admin/payment-links")},
	{name: "payment links status=active", path: fixed("/admin/payment-links?status=active")},
	{name: "API orders", api: true, path: fixed("/api/v1/orders")},
	{name: "API orders status=refunded", api: true, path: fixed("/api/v1/orders?status=refunded")},
	{name: "API orders e-mail", api: true, path: func(f benchFacts) string {
		return "/api/v1/orders?email=" + url.QueryEscape(f.contactEmail)
	}},
	{name: "API order", api: true, path: func(f benchFacts) string { return "/api/v1/orders/" + itoa(f.orderID) }},
	{name: "API transactions", api: true, path: fixed("/api/v1/transactions")},
	{name: "API transactions status=refunded", api: true, path: fixed("/api/v1/transactions?status=refunded")},
	{name: "API transactions order number", api: true, path: func(f benchFacts) string {
		return "/api/v1/transactions?q=" + url.QueryEscape(f.orderNumber)
	}},
	{name: "API contacts", api: true, path: fixed("/api/v1/contacts")},
	{name: "API contacts search", api: true, path: func(f benchFacts) string { return "/api/v1/contacts?q=" + f.searchFrag }},
	{name: "API contacts search, old matches", api: true, path: func(f benchFacts) string {
		return "/api/v1/contacts?q=" + f.oldFrag
	}},
	{name: "API contact access", api: true, path: func(f benchFacts) string {
		return "/api/v1/contacts/" + itoa(f.contactID) + "/access"
	}},
	{name: "API payment exceptions", api: true, path: fixed("/api/v1/payment-exceptions")},
	{name: "API payment links", api: true, path: fixed("/api/v1/payment-links")},
}

// roundTrips counts a request's database round trips: the handler's context carries the counter, the pool's
// tracer adds to it.
type roundTrips struct{}

type roundTripKey struct{}

func (roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	if n, ok := ctx.Value(roundTripKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	return ctx
}

func (roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// benchSite is one database served through the real router, with a signed-in owner and an API key.
type benchSite struct {
	ts    *httptest.Server
	admin *http.Client
	key   string
	facts benchFacts
	trips atomic.Int64 // the round trips of the request being served
}

func newBenchSite(b *testing.B, dbURL string) *benchSite {
	b.Helper()
	ctx := context.Background()
	pool, err := db.Open(ctx, dbURL, func(c *pgxpool.Config) { c.ConnConfig.Tracer = roundTrips{} })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg, err := config.Config{DataDir: b.TempDir(), BaseURL: "http://127.0.0.1"}.WithDefaults()
	if err != nil {
		b.Fatal(err)
	}
	srv, _ := newServer(b, Deps{Config: cfg, Log: log, Pool: pool})
	s := &benchSite{}
	h := srv.Handler()
	s.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), roundTripKey{}, &s.trips)))
	}))
	b.Cleanup(s.ts.Close)
	a := &testApp{t: b, srv: srv, ts: s.ts, pool: pool}
	// The kept database keeps its bench owner from run to run.
	email := "bench-owner@school.test"
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM admin_users WHERE lower(email) = $1)`, email).Scan(&exists); err != nil {
		b.Fatal(err)
	}
	if !exists {
		a.createAdmin(email, staff.RoleOwner)
	}
	s.admin = a.signIn(email)
	s.key = a.apiKey()
	s.facts = readBenchFacts(b, pool)
	// As serve's periodic job does at start: the Transactions totals' rollup up to today.
	if _, err := srv.orders.RollupTransactions(ctx, time.Now()); err != nil {
		b.Fatal(err)
	}
	return s
}

func readBenchFacts(b *testing.B, pool *pgxpool.Pool) benchFacts {
	b.Helper()
	ctx := context.Background()
	var f benchFacts
	if err := pool.QueryRow(ctx, `SELECT (SELECT id FROM orders ORDER BY id OFFSET (SELECT count(*) / 2 FROM orders) LIMIT 1),
		o.id, o.number, c.id, c.email, (SELECT min(id) FROM payment_systems WHERE type = 'stripe')
		FROM orders o JOIN contacts c ON c.id = o.contact_id
		WHERE o.status = 'completed' ORDER BY o.id DESC LIMIT 1`).Scan(&f.midOrderID, &f.orderID, &f.orderNumber,
		&f.contactID, &f.contactEmail, &f.stripeID); err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	f.monthFrom = now.AddDate(0, 0, -90).Format(time.DateOnly)
	f.monthTo = now.AddDate(0, 0, -61).Format(time.DateOnly)
	f.searchFrag = "student1234"
	f.oldFrag = "student12"
	return f
}

// get asks for path once and returns how long it took and its round trips.
func (s *benchSite) get(b *testing.B, sc benchScreen) (time.Duration, int64) {
	b.Helper()
	req, err := http.NewRequest(http.MethodGet, s.ts.URL+sc.path(s.facts), nil)
	if err != nil {
		b.Fatal(err)
	}
	c := s.admin
	if sc.api {
		c = http.DefaultClient
		req.Header.Set("Authorization", "Bearer "+s.key)
	}
	s.trips.Store(0)
	t0 := time.Now()
	res, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	took := time.Since(t0)
	if res.StatusCode != http.StatusOK {
		b.Fatalf("%s %s: status %d", sc.name, req.URL, res.StatusCode)
	}
	return took, s.trips.Load()
}

// benchServer is the PostgreSQL server both databases live on: TEST_DATABASE_URL's, or a private cluster kept in
// bin/bench-postgres at the repository's root (started if needed, stopped after the run; `make clean` removes it).
func benchServer(b *testing.B) string {
	b.Helper()
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	c, err := db.NewCluster(filepath.Join("..", "..", "bin", "bench-postgres"))
	if err == nil {
		err = c.Start(context.Background())
	}
	if err != nil {
		b.Skipf("no PostgreSQL for the scale benchmark: %v", err)
	}
	b.Cleanup(func() { _ = c.Stop() })
	return c.URL("postgres")
}

func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

func BenchmarkScreens(b *testing.B) {
	ctx := context.Background()
	server := benchServer(b)
	// testing keeps only ten lines of a benchmark's log: the report goes to stdout.
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))
	t0 := time.Now()
	largeURL, err := scale.Ensure(ctx, scale.Kept{AdminURL: server, Name: benchKeptName,
		Size: scale.Size{Orders: benchScaleOrders}, MaxAge: 7 * 24 * time.Hour, Log: log})
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("kept database %s (1,000,000 orders) ready in %s\n", benchKeptName, time.Since(t0).Round(time.Second))
	smallName := fmt.Sprintf("bursar_bench_small_%d", time.Now().UnixNano())
	smallURL, err := scale.Ensure(ctx, scale.Kept{AdminURL: server, Name: smallName, Size: scale.Size{Orders: benchSmallOrders}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if admin, err := db.Open(context.Background(), server); err == nil {
			_, _ = admin.Exec(context.Background(), `DROP DATABASE IF EXISTS "`+smallName+`" WITH (FORCE)`)
			admin.Close()
		}
	})
	small, large := newBenchSite(b, smallURL), newBenchSite(b, largeURL)

	var out strings.Builder
	tw := tabwriter.NewWriter(&out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "screen\tp50 1k\tp95 1k\tp50 1M\tp95 1M\tqueries 1k\tqueries 1M\t\n")
	b.ResetTimer()
	for _, sc := range benchScreens {
		for range benchWarmup {
			small.get(b, sc)
			large.get(b, sc)
		}
		var ds, dl []time.Duration
		var qs, ql int64
		for range benchRequests {
			d, q := small.get(b, sc)
			ds, qs = append(ds, d), max(qs, q)
			d, q = large.get(b, sc)
			dl, ql = append(dl, d), max(ql, q)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t\n", sc.name, ms(quantile(ds, 0.5)), ms(quantile(ds, 0.95)),
			ms(quantile(dl, 0.5)), ms(quantile(dl, 0.95)), qs, ql)
	}
	b.StopTimer()
	_ = tw.Flush()
	fmt.Printf("%d sequential requests per screen and size, the sizes interleaved, milliseconds; queries: database "+
		"round trips of one request (the most seen)\n%s", benchRequests, out.String())
}
