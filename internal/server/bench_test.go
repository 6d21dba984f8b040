package server

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
)

// benchGet fetches url in parallel over loopback HTTP with keep-alive, failing on any other status than 200.
// benchClients is how many clients per core benchGet runs at once (8 on 2 cores). With one per core, a page that
// reads the database spends most of a request waiting on the round trip while both cores sit half idle (the
// process used 0.9 of 2 cores on the payment link page), so the rate measured the loopback latency more than what
// the server can serve; a page is served to many payers at once.
const benchClients = 4

func benchGet(b *testing.B, url string) {
	b.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}
	c := &http.Client{Transport: tr}
	b.Cleanup(tr.CloseIdleConnections)
	b.ReportAllocs()
	b.SetParallelism(benchClients)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := c.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
}

// BenchmarkOfferPage compares the public offer page with a bare Go handler that serves the same bytes, in one run,
// both through real HTTP on loopback. docs/PERFORMANCE.md reports the ratio of their rates.
func BenchmarkOfferPage(b *testing.B) {
	a := newTestApp(b)
	ctx := a.ctx()
	sys, err := a.srv.paymentSystems.Create(ctx, gateway.Input{Type: "manual", Name: "Bank transfer", Enabled: true,
		Description: "Pay by bank transfer.", Settings: map[string]any{"supported_currencies": []any{"EUR"}}})
	if err != nil {
		b.Fatal(err)
	}
	p, err := a.srv.offers.CreateProduct(ctx, offer.ProductInput{Name: "Spanish A1", Kind: "course"})
	if err != nil {
		b.Fatal(err)
	}
	in := offer.NewInput()
	in.Title, in.Slug, in.Language, in.Status = "Curso de español A1", "curso", "es", offer.StatusPublished
	in.Amount, in.Currency, in.ProductIDs, in.PaymentSystemIDs = 14900, "EUR", []int64{p.ID}, []int64{sys.ID}
	in.Description = "Aprende **español** desde cero:\n\n- 24 lecciones\n- club de conversación\n- certificado"
	in.Contact = offer.Contact{Email: "hola@academia.example", Phone: "+34 910 000 000"}
	if _, err := a.srv.offers.Create(ctx, in); err != nil {
		b.Fatal(err)
	}
	benchAgainstBare(b, a, "/o/curso")
}

// benchAgainstBare measures GET path on a's server against a bare Go handler serving the same bytes and headers
// (as path answered once), in one run, both through real HTTP on loopback: sub-benchmarks bare and bursar.
func benchAgainstBare(b *testing.B, a *testApp, path string) {
	b.Helper()
	res, err := http.Get(a.ts.URL + path)
	if err != nil {
		b.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	header := res.Header.Clone()
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		_, _ = w.Write(page)
	}))
	b.Cleanup(bare.Close)

	b.Run("bare", func(b *testing.B) { benchGet(b, bare.URL+path) })
	b.Run("bursar", func(b *testing.B) { benchGet(b, a.ts.URL+path) })
}

// BenchmarkCheckout measures orders created per second through HTTP: POST /api/v1/manual-payments, each for a new
// contact, runs the whole order-opening transaction (order, pending payment, order event, contact timeline,
// 'received' e-mail in the outbox with its River job, the deadline job, audit) — the same service call as the
// student's checkout form. The baseline in the same run is an authenticated API read (GET /api/v1/offers/{id}).
func BenchmarkCheckout(b *testing.B) {
	a := newTestApp(b)
	ctx := a.ctx()
	sys, err := a.srv.paymentSystems.Create(ctx, gateway.Input{Type: "manual", Name: "Bank transfer", Enabled: true,
		Settings: map[string]any{"supported_currencies": []any{"EUR"}, "fee_percent": "1.5"}})
	if err != nil {
		b.Fatal(err)
	}
	p, err := a.srv.offers.CreateProduct(ctx, offer.ProductInput{Name: "Spanish A1", Kind: "course"})
	if err != nil {
		b.Fatal(err)
	}
	in := offer.NewInput()
	in.Title, in.Slug, in.Status = "Spanish A1", "spanish-a1", offer.StatusPublished
	in.Amount, in.Currency, in.ProductIDs, in.PaymentSystemIDs = 14900, "EUR", []int64{p.ID}, []int64{sys.ID}
	o, err := a.srv.offers.Create(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	key := a.apiKey()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	c := &http.Client{Transport: tr}
	b.Cleanup(tr.CloseIdleConnections)
	do := func(req *http.Request, want int) error {
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := c.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			return fmt.Errorf("%s %s: status %d", req.Method, req.URL.Path, res.StatusCode)
		}
		return nil
	}

	b.Run("read-baseline", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequest("GET", a.ts.URL+"/api/v1/offers/"+itoa(o.ID), nil)
				if err := do(req, http.StatusOK); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("order", func(b *testing.B) {
		var first int64
		if err := a.pool.QueryRow(ctx, `WITH c AS (INSERT INTO contacts (email) SELECT 'bench-' || g || '-' || gen_random_uuid() || '@example.org'
			FROM generate_series(1, $1::int) g RETURNING id) SELECT min(id) FROM c`, b.N).Scan(&first); err != nil {
			b.Fatal(err)
		}
		var next atomic.Int64
		next.Store(first - 1)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				body := fmt.Sprintf(`{"contact_id":%d,"offer_id":%d,"comment":"bench"}`, next.Add(1), o.ID)
				req, _ := http.NewRequest("POST", a.ts.URL+"/api/v1/manual-payments", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				if err := do(req, http.StatusCreated); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
	})
}

// discardWriter is a ResponseWriter that keeps only the headers: the handler's own cost, without a socket.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

// BenchmarkOfferPageHandler is the offer page's request path without sockets: the router and every middleware
// serving the cached page (bursar) against the bare handler writing the same bytes and headers, each called
// directly. It shows what the middleware costs per request and what it allocates (make load measures the same
// through real sockets, docs/PERFORMANCE.md).
func BenchmarkOfferPageHandler(b *testing.B) {
	a := newTestApp(b)
	ctx := a.ctx()
	sys, err := a.srv.paymentSystems.Create(ctx, gateway.Input{Type: "manual", Name: "Bank transfer", Enabled: true,
		Settings: map[string]any{"supported_currencies": []any{"EUR"}}})
	if err != nil {
		b.Fatal(err)
	}
	p, err := a.srv.offers.CreateProduct(ctx, offer.ProductInput{Name: "Spanish A1", Kind: "course"})
	if err != nil {
		b.Fatal(err)
	}
	in := offer.NewInput()
	in.Title, in.Slug, in.Language, in.Status = "Curso de español A1", "curso", "es", offer.StatusPublished
	in.Amount, in.Currency, in.ProductIDs, in.PaymentSystemIDs = 14900, "EUR", []int64{p.ID}, []int64{sys.ID}
	if _, err := a.srv.offers.Create(ctx, in); err != nil {
		b.Fatal(err)
	}
	h := a.srv.Handler()
	req := httptest.NewRequest(http.MethodGet, "/o/curso", nil)
	req.RemoteAddr = "127.0.0.1:40000"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("status %d", rec.Code)
	}
	page, header := rec.Body.Bytes(), rec.Header().Clone()
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		_, _ = w.Write(page)
	})
	for _, tt := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"bursar", h}} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := &discardWriter{h: http.Header{}}
				tt.h.ServeHTTP(w, req)
			}
		})
	}
}
