package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
)

// benchGet fetches url in parallel over loopback HTTP with keep-alive, failing on any other status than 200.
func benchGet(b *testing.B, url string) {
	b.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}
	c := &http.Client{Transport: tr}
	b.Cleanup(tr.CloseIdleConnections)
	b.ReportAllocs()
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
	res, err := http.Get(a.ts.URL + "/o/curso")
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

	b.Run("bare", func(b *testing.B) { benchGet(b, bare.URL+"/o/curso") })
	b.Run("bursar", func(b *testing.B) { benchGet(b, a.ts.URL+"/o/curso") })
}
