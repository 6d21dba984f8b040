package server

import (
	"bytes"
	"net/http"
	"sync"
	"time"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/catalogcache"
	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/templates/public"
)

// markdownRenderer turns offer descriptions into sanitized HTML. It remembers recent results by their source text,
// so an edit can never show a stale description, and forgets everything when it holds too many.
type markdownRenderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
	mu     sync.RWMutex
	cache  map[string]string
}

const markdownCacheSize = 256

func newMarkdownRenderer() *markdownRenderer {
	return &markdownRenderer{md: goldmark.New(), policy: bluemonday.UGCPolicy(), cache: map[string]string{}}
}

// HTML renders src (markdown; raw HTML in it is dropped by goldmark and by the sanitizer).
func (m *markdownRenderer) HTML(src string) (string, error) {
	if src == "" {
		return "", nil
	}
	m.mu.RLock()
	out, ok := m.cache[src]
	m.mu.RUnlock()
	if ok {
		return out, nil
	}
	var buf bytes.Buffer
	if err := m.md.Convert([]byte(src), &buf); err != nil {
		return "", err
	}
	out = m.policy.Sanitize(buf.String())
	m.mu.Lock()
	if len(m.cache) >= markdownCacheSize {
		clear(m.cache)
	}
	m.cache[src] = out
	m.mu.Unlock()
	return out, nil
}

// publicOffer is GET /o/{slug}: a published offer's page in its language. Two queries: the offer with its
// products' names, and its payment systems.
func (s *Server) publicOffer(w http.ResponseWriter, r *http.Request) {
	slug := chiURLParam(r, "slug")
	w.Header()["Cache-Control"] = headerNoCache
	page, gen, ok := s.pages.Page("offer:" + slug)
	if ok {
		w.Header().Set("Content-Type", page.ContentType)
		_, _ = w.Write(page.Body)
		return
	}
	p, err := s.published.PublishedPage(r.Context(), slug)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	systems, err := s.paymentSystems.Systems(r.Context(), p.PaymentSystemIDs)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	desc, err := s.markdown.HTML(p.Description)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := public.Offer{Lang: p.Language, Title: p.Title, Price: p.Price().Format(p.Language), Terms: offerTerms(p.Offer),
		Access: accessText(p.Language, p.AccessDays), DescriptionHTML: desc, Products: p.ProductNames,
		ContactEmail: p.Contact.Email, ContactPhone: p.Contact.Phone, ContactNote: p.Contact.Note}
	if !offer.Sold(p.Kind) {
		// Published before such offers were refused: promise neither its terms nor a way to pay.
		v.Terms, systems = "", nil
	}
	subscribed := offer.Subscribed(p.Kind)
	if subscribed && v.Terms != "" {
		// A subscription: its promises, and a Subscribe button only for the systems that charge on schedule.
		v.Subscription = subscriptionTerms(p.Offer)
		v.Access = "" // access lasts as long as the subscription is paid, not the offer's access days
	}
	for _, ps := range systems {
		if !ps.Enabled || (subscribed && !canSubscribe(ps)) {
			continue
		}
		v.PaymentSystems = append(v.PaymentSystems, public.PaymentOption{Name: ps.Name, Description: ps.Description,
			ImageURL: ps.ImageURL, PayURL: checkoutURL(p, ps.ID), Subscribe: subscribed})
	}
	if offer.Enrolled(p.Kind) {
		// Sold by enrollment: the page says what is billed and when, and its button leads to the enrollment form,
		// where the payer picks how to pay.
		if v.Terms, err = s.offerBilling(r, p.Offer); err != nil {
			s.serverError(w, r, err)
			return
		}
		if len(v.PaymentSystems) > 0 {
			v.EnrollURL = offerEnrollURL(p.Slug)
		}
	}
	var buf bytes.Buffer
	if err := public.OfferPage(v).Render(r.Context(), &buf); err != nil {
		s.serverError(w, r, err)
		return
	}
	if offer.Enrolled(p.Kind) {
		// Its dates follow today's date in the school's time zone: rendered on every view, never cached.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(buf.Bytes())
		return
	}
	page = catalogcache.Page{Body: buf.Bytes(), ContentType: "text/html; charset=utf-8"}
	s.pages.PutPage("offer:"+slug, gen, page)
	w.Header().Set("Content-Type", page.ContentType)
	_, _ = w.Write(page.Body)
}

// offerTerms says how the price is paid, in the offer's language.
func offerTerms(o offer.Offer) string {
	lang := o.Language
	switch o.Kind {
	case offer.Recurring:
		return offerPeriod(lang, o)
	case offer.Tuition:
		return perPeriod(lang, o.BillingEvery, o.BillingUnit)
	case offer.Installments:
		n := max(o.Installments, 1)
		part := o.Price() // the largest part: billing.Split's first, as the receipts will ask
		if parts, err := billing.Split(o.Price(), n); err == nil {
			part = parts[0]
		}
		return i18n.F(lang, i18n.InNInstallments, n) + " " + i18n.F(lang, i18n.InstallmentOf, part.Format(lang))
	default:
		return i18n.T(lang, i18n.OneTime)
	}
}

func accessText(lang string, days int) string {
	if days == 0 {
		return i18n.T(lang, i18n.AccessForever)
	}
	return i18n.F(lang, i18n.AccessDays, days)
}

// offerBilling is billingSentence for an enrollment starting now, in the school's time zone.
func (s *Server) offerBilling(r *http.Request, o offer.Offer) (string, error) {
	sc, err := s.school.GetTx(r.Context(), s.pool)
	if err != nil {
		return "", err
	}
	loc, err := time.LoadLocation(sc.Timezone)
	if err != nil {
		loc = time.UTC // settings validate the name; a zone missing from this system's database reads as UTC
	}
	return billingSentence(o, s.now(), loc)
}
