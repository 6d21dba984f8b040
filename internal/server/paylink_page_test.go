package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/stripemock"
	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/order/prooftest"
	"github.com/bursar/bursar/internal/paylink"
)

// linkFixture is an unlisted offer paid by bank transfer (with its bank details) or by card, a contact, and a way
// to make payment links for them.
type linkFixture struct {
	a       *testApp
	bank    gateway.System
	offer   offer.Offer
	contact crm.Contact
}

func newLinkFixture(t testing.TB, a *testApp, systems ...gateway.System) linkFixture {
	t.Helper()
	f := linkFixture{a: a}
	var err error
	f.bank, err = a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypeManual, Name: "Transferencia",
		Description: "IBAN ES91 2100 0418 4502 0005 1332", Enabled: true,
		Settings: map[string]any{"supported_currencies": []any{"EUR"}}})
	if err != nil {
		t.Fatal(err)
	}
	ids := []int64{f.bank.ID}
	for _, s := range systems {
		ids = append(ids, s.ID)
	}
	f.offer = a.offer(func(in *offer.Input) {
		in.Title, in.Slug, in.Unlisted, in.PaymentSystemIDs = "Español A1", "espanol-a1", true, ids
		in.Contact = offer.Contact{Email: "hola@school.test", Phone: "+34 600 000 000"}
	})
	if f.contact, err = a.srv.contacts.Create(a.ctx(), crm.Input{Email: "payer@example.com"}); err != nil {
		t.Fatal(err)
	}
	return f
}

// link makes an active link to f's offer for f's contact, in Spanish, and returns its page's path.
func (f linkFixture) link(edit ...func(*paylink.Input)) (paylink.Link, string) {
	f.a.t.Helper()
	in := paylink.Input{ContactID: f.contact.ID, OfferID: f.offer.ID, Language: "es", Note: "Como hablamos por teléfono"}
	for _, e := range edit {
		e(&in)
	}
	l, err := f.a.srv.links.Create(f.a.ctx(), in)
	if err != nil {
		f.a.t.Fatal(err)
	}
	return l, strings.TrimPrefix(l.URL, f.a.srv.cfg.BaseURL)
}

// payNowForm is where the first "Pay now" of the link's page posts, and its form token.
func payNowForm(a *testApp, c *http.Client, page string) (action, token string) {
	a.t.Helper()
	_, doc := a.get(c, page)
	form := doc.Find("[data-testid=payment-system] form").First()
	return form.AttrOr("action", ""), form.Find("input[name=form_token]").AttrOr("value", "")
}

func (f linkFixture) status(id int64) paylink.Status {
	f.a.t.Helper()
	l, err := f.a.srv.links.Get(f.a.ctx(), id)
	if err != nil {
		f.a.t.Fatal(err)
	}
	return l.StatusAt(f.a.srv.links.Now())
}

func TestPayLinkPage(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	f := newLinkFixture(t, a)
	l, page := f.link()
	c := a.client()

	res, doc := a.get(c, page)
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("page: status %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	if doc.Find("html").AttrOr("lang", "") != "es" || doc.Find("[data-testid=link-title]").Text() != "Español A1" ||
		!strings.Contains(doc.Find("[data-testid=link-amount]").Text(), "49") ||
		doc.Find("[data-testid=link-note]").Text() == "" || doc.Find("[data-testid=link-expires]").Text() == "" ||
		!strings.Contains(doc.Find("[data-testid=link-school]").Text(), "My school") ||
		doc.Find("[data-testid=school-contact]").Length() != 1 || doc.Find("h1").Length() != 1 {
		t.Error("the page lacks the school, what is paid, the amount, the expiry, the note or the contact, or is not in Spanish")
	}
	if n := doc.Find("[data-testid=pay-now]").Length(); n != 1 || doc.Find("[data-testid=decline-form]").Length() != 1 ||
		doc.Find("label[for=reason]").Length() != 1 {
		t.Errorf("%d pay buttons; want 1 and a labelled decline form", n)
	}
	if got, _ := a.srv.links.Get(a.ctx(), l.ID); got.FirstOpenedAt == nil || got.LastOpenedAt == nil {
		t.Error("opening the page was not recorded")
	}
	if n := a.count("SELECT count(*) FROM payment_link_events WHERE link_id = $1 AND kind = 'link.opened'", l.ID); n != 1 {
		t.Errorf("%d opened events", n)
	}
	a.get(c, page)
	if n := a.count("SELECT count(*) FROM payment_link_events WHERE link_id = $1 AND kind = 'link.opened'", l.ID); n != 1 {
		t.Errorf("%d opened events after a second visit; want the first only", n)
	}
	if n := a.count("SELECT count(*) FROM sessions"); n != 0 {
		t.Errorf("%d sessions made by the payer's page", n)
	}
}

func TestPayLinkNotFound(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	f := newLinkFixture(t, a)
	_, page := f.link()
	tok := strings.TrimPrefix(page, "/pay/")
	last := "A"
	if tok[len(tok)-1] == 'A' {
		last = "B"
	}
	tampered := tok[:len(tok)-1] + last // the same id, another MAC
	body := func(path string, post bool) (int, string) {
		var res *http.Response
		var err error
		if post {
			res, err = a.client().PostForm(a.ts.URL+path, url.Values{"reason": {"x"}})
		} else {
			res, err = a.client().Get(a.ts.URL + path)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	_, wrong := body("/pay/nonsense", false)
	for _, path := range []string{"/pay/nonsense", "/pay/" + tampered, "/pay/" + tok + "x", "/pay/" + tampered + "/paid"} {
		if st, b := body(path, false); st != http.StatusNotFound || b != wrong {
			t.Errorf("GET %s: %d, or not the same answer as a wrong token", path, st)
		}
	}
	for _, path := range []string{"/pay/" + tampered + "/decline", "/pay/" + tampered + "/pay?system=1", "/pay/" + tampered + "/proofs"} {
		if st, b := body(path, true); st != http.StatusNotFound || b != wrong {
			t.Errorf("POST %s: %d, or not the same answer as a wrong token", path, st)
		}
	}
	if n := a.count("SELECT count(*) FROM payment_links WHERE status <> 'active' OR first_opened_at IS NOT NULL"); n != 0 {
		t.Errorf("a wrong token changed %d links", n)
	}
}

func TestPayLinkDecline(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	f := newLinkFixture(t, a)
	l, page := f.link()
	c := a.client()
	res := a.postForm(c, page+"/decline", url.Values{"reason": {"Ya lo pagué en efectivo"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page {
		t.Fatalf("decline: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	got, _ := a.srv.links.Get(a.ctx(), l.ID)
	if got.Status != paylink.StatusDeclined || got.DeclineReason != "Ya lo pagué en efectivo" {
		t.Errorf("link %s, reason %q", got.Status, got.DeclineReason)
	}
	_, doc := a.get(c, page)
	if doc.Find("[data-testid=link-declined]").Length() != 1 || doc.Find("[data-testid=pay-now]").Length() != 0 ||
		doc.Find("[data-testid=decline-form]").Length() != 0 {
		t.Error("a declined link's page does not say so, or still offers to pay or decline")
	}
	// A second decline (another tab) changes nothing and lands on the page.
	if res := a.postForm(c, page+"/decline", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("second decline: %d", res.StatusCode)
	}
	// Paying a declined link makes nothing.
	res = a.postForm(c, page+"/pay?system="+itoa(f.bank.ID), url.Values{"form_token": {"t1"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page || a.count("SELECT count(*) FROM orders") != 0 {
		t.Errorf("pay after decline: %d to %q with %d orders", res.StatusCode, res.Header.Get("Location"), a.count("SELECT count(*) FROM orders"))
	}
}

func TestPayLinkStates(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	f := newLinkFixture(t, a)
	c := a.client()
	cancelled, cpage := f.link()
	if _, err := a.srv.links.Cancel(a.ctx(), cancelled.ID, "sent by mistake"); err != nil {
		t.Fatal(err)
	}
	expired, epage := f.link()
	if _, err := a.pool.Exec(a.ctx(), "UPDATE payment_links SET expires_at = now() - interval '1 minute' WHERE id = $1", expired.ID); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, page, testID string
		contact            bool
	}{
		{"Cancelled", cpage, "link-cancelled", false},
		{"Expired", epage, "link-expired", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, doc := a.get(c, tt.page)
			if res.StatusCode != http.StatusOK || doc.Find("[data-testid="+tt.testID+"]").Length() != 1 ||
				doc.Find("[data-testid=pay-now]").Length() != 0 || doc.Find("[data-testid=decline-form]").Length() != 0 {
				t.Errorf("status %d; want the %s message and no way to pay or decline", res.StatusCode, tt.testID)
			}
			if tt.contact && !strings.Contains(doc.Find("[data-testid=school-contact]").Text(), "hola@school.test") {
				t.Error("no school contact details")
			}
		})
	}
}

// TestPayLinkBankTransfer pays a link by bank transfer: one order for a double click, the bank details and the
// proof form on the link's page, a PDF receipt stored on the order, and once the manager approves, the page says
// the link is paid.
func TestPayLinkBankTransfer(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	f := newLinkFixture(t, a)
	l, page := f.link()
	c := a.client()
	action, token := payNowForm(a, c, page)
	var where []string
	for range 2 {
		res := a.postForm(c, action, url.Values{"form_token": {token}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("pay now: %d", res.StatusCode)
		}
		where = append(where, res.Header.Get("Location"))
	}
	if where[0] != page || where[1] != page {
		t.Errorf("pay now went to %q", where)
	}
	if n := a.count("SELECT count(*) FROM orders WHERE contact_id = $1 AND channel = 'link'", f.contact.ID); n != 1 {
		t.Fatalf("%d orders after a double click", n)
	}
	_, doc := a.get(c, page)
	if !strings.Contains(doc.Find("[data-testid=bank-details]").Text(), "IBAN ES91") ||
		doc.Find("[data-testid=proof-form]").AttrOr("action", "") != page+"/proofs" ||
		doc.Find("[data-testid=pay-now]").Length() != 0 {
		t.Fatal("after pay now the page does not show the bank details and the proof form")
	}

	// A disguised file is refused with the form shown again; a PDF is stored.
	res, doc := a.postProof(c, page+"/proofs", today(), "TR-1", &upload{"recibo.pdf", "application/pdf", prooftest.PNG(1)})
	if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("#file-error").Length() != 1 ||
		doc.Find("#reference").AttrOr("value", "") != "TR-1" {
		t.Errorf("disguised upload: %d, or the form is not shown again with its message", res.StatusCode)
	}
	res, doc = a.postProof(c, page+"/proofs", today(), "", &upload{"scan.pdf", "application/pdf", prooftest.Sized(order.MaxProofSize + 1)})
	if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("#file-error").Length() != 1 {
		t.Errorf("oversized upload: %d, or no message on the file", res.StatusCode)
	}
	if n := a.count("SELECT count(*) FROM payment_proofs"); n != 0 {
		t.Errorf("%d proofs stored after refused uploads", n)
	}
	// A scan of a few megabytes is taken (the form's body may be as large as the largest file), then the receipt.
	res, _ = a.postProof(c, page+"/proofs", today(), "", &upload{"scan.pdf", "application/pdf", prooftest.Sized(3 << 20)})
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("a 3 MB scan: %d", res.StatusCode)
	}
	res, _ = a.postProof(c, page+"/proofs", today(), "TR-1", &upload{"recibo.pdf", "application/pdf", prooftest.PDF("transfer")})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page+"?sent=proof" {
		t.Fatalf("proof: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if n := a.count("SELECT count(*) FROM payment_proofs"); n != 2 {
		t.Errorf("%d proofs stored", n)
	}
	_, doc = a.get(c, page+"?sent=proof")
	if doc.Find("[data-testid=flash]").Length() != 1 || !strings.Contains(doc.Find("[data-testid=proofs]").Text(), "recibo.pdf") {
		t.Error("the page does not confirm the proof or list it")
	}

	got, _ := a.srv.links.Get(a.ctx(), l.ID)
	if _, err := a.srv.orders.Approve(a.ctx(), got.OrderID, order.Adjustment{}); err != nil {
		t.Fatal(err)
	}
	if st := f.status(l.ID); st != paylink.StatusPaid {
		t.Errorf("link %s after approval", st)
	}
	_, doc = a.get(c, page)
	if doc.Find("[data-testid=link-paid]").Length() != 1 {
		t.Error("the paid link's page does not say it was paid")
	}
}

func TestPayLinkStripe(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	sf := newStripeFixture(t, a)
	f := newLinkFixture(t, a, sf.sys)
	l, page := f.link(func(in *paylink.Input) { in.PaymentSystemIDs = []int64{sf.sys.ID} })
	c := a.client()
	action, token := payNowForm(a, c, page)
	res := a.postForm(c, action, url.Values{"form_token": {token}})
	first := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(first, "https://") {
		t.Fatalf("pay now: %d to %q", res.StatusCode, first)
	}
	if res := a.postForm(c, action, url.Values{"form_token": {token}}); res.Header.Get("Location") != first {
		t.Errorf("double click went to %q, want %q", res.Header.Get("Location"), first)
	}
	if n := a.count("SELECT count(*) FROM orders"); n != 1 {
		t.Errorf("%d orders", n)
	}
	res, doc := a.get(c, page+"/paid?attempt=1")
	if res.StatusCode != http.StatusOK || doc.Find("[data-testid=payment-confirming]").Length() != 1 ||
		doc.Find("[data-testid=order-status]").Length() != 1 || doc.Find("[data-testid=back-link]").AttrOr("href", "") != page {
		t.Errorf("return page: %d, or no order status or way back", res.StatusCode)
	}
	_, doc = a.get(c, page+"/cancelled")
	if doc.Find("[data-testid=retry-link]").AttrOr("href", "") != page {
		t.Error("the cancelled page offers no retry")
	}
	if st := f.status(l.ID); st != paylink.StatusActive {
		t.Errorf("link %s after the return pages", st)
	}
}

func TestPayLinkGatewayDown(t *testing.T) {
	t.Parallel()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":{"message":"boom","type":"api_error"}}`, http.StatusInternalServerError)
	}))
	t.Cleanup(down.Close)
	a := newGatewayApp(t, down.URL)
	sf := newStripeFixture(t, a)
	f := newLinkFixture(t, a, sf.sys)
	l, page := f.link(func(in *paylink.Input) { in.PaymentSystemIDs = []int64{sf.sys.ID} })
	c := a.client()
	action, token := payNowForm(a, c, page)
	res, doc := a.postFormDoc(c, action, url.Values{"form_token": {token}})
	if res.StatusCode != http.StatusServiceUnavailable || doc.Find("[data-testid=gateway-unavailable]").Length() != 1 ||
		doc.Find("[data-testid=retry-link]").AttrOr("href", "") != page {
		t.Fatalf("status %d; want 503 with a retry to the link's page", res.StatusCode)
	}
	if n := a.count("SELECT count(*) FROM payments WHERE status <> 'failed'"); n != 0 {
		t.Errorf("%d attempts left pending", n)
	}
	if st := f.status(l.ID); st != paylink.StatusActive {
		t.Errorf("link %s after the gateway failed", st)
	}
	_, doc = a.get(c, page)
	if doc.Find("[data-testid=pay-now]").Length() != 1 {
		t.Error("the payer cannot try again")
	}
}

// TestPayLinkPageRoundTrips counts the database work of the payer's page as a running server does it (warm
// catalog cache): one read of the link; the open is written only when the last recorded one is older than
// paylink.OpenedResolution (the first visit here).
func TestPayLinkPageRoundTrips(t *testing.T) {
	t.Parallel()
	pool, counter := dbtest.NewCounted(t)
	a := newTestAppOn(t, pool)
	a.syncPages()
	f := newLinkFixture(t, a)
	_, page := f.link()
	c := a.client()
	a.get(c, page) // the first opening: recorded
	var trace []string
	counter.Trace = func(l string) { trace = append(trace, l) }
	before := counter.Read()
	if res, _ := a.get(c, page); res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	got := counter.Read().Sub(before)
	counter.Trace = nil
	t.Logf("payer's page: %d transactions, %d statements", got.Transactions, got.Statements)
	if got.Transactions > 1 || got.Statements > 1 {
		t.Errorf("payer's page: %d transactions and %d statements, budget 1 and 1:\n%s", got.Transactions,
			got.Statements, strings.Join(trace, "\n"))
	}
}

// TestPayLinkLanguages shows the page in each language a link can have.
func TestPayLinkLanguages(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	f := newLinkFixture(t, a)
	for _, lang := range paylink.Languages {
		t.Run(lang, func(t *testing.T) {
			_, page := f.link(func(in *paylink.Input) { in.Language = lang })
			_, doc := a.get(a.client(), page)
			want := i18n.F(lang, i18n.LinkPayNow, f.bank.Name)
			if doc.Find("html").AttrOr("lang", "") != lang || doc.Find("[data-testid=pay-now]").Text() != want ||
				doc.Find("[data-testid=decline-open]").Text() != i18n.T(lang, i18n.LinkDecline) {
				t.Errorf("lang %q, pay now %q; want %s and %q", doc.Find("html").AttrOr("lang", ""),
					doc.Find("[data-testid=pay-now]").Text(), lang, want)
			}
		})
	}
}
