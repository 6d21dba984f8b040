package server

import (
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/paylink"
)

// BenchmarkPayLinkPage compares the payer's page of a payment link (GET /pay/{token}) with a bare Go handler that
// serves the same bytes, in one run, both through real HTTP on loopback. Unlike the offer page it is never cached:
// every request checks the token, reads the link, records the open (one UPDATE in its own transaction) and renders
// the page with new form tokens; the school's settings, the offer and the payment systems come from the catalog
// cache. docs/PERFORMANCE.md reports the ratio of the rates (goal ≥ 30%).
func BenchmarkPayLinkPage(b *testing.B) {
	a := newTestApp(b)
	f := newLinkFixture(b, a)
	l, err := a.srv.links.Create(a.ctx(), paylink.Input{ContactID: f.contact.ID, OfferID: f.offer.ID, Language: "es",
		Note: "Como hablamos por teléfono: el curso de septiembre."})
	if err != nil {
		b.Fatal(err)
	}
	benchAgainstBare(b, a, strings.TrimPrefix(l.URL, a.srv.cfg.BaseURL))
}
