package email

import (
	"context"
	"html"
	"strings"
	"testing"
)

func TestPaymentLinkEveryKindAndLanguage(t *testing.T) {
	t.Parallel()
	for _, lang := range langs {
		for _, kind := range LinkKinds {
			t.Run(lang+"/"+string(kind), func(t *testing.T) {
				t.Parallel()
				link := "https://pay.school.test/pay/AAAAAAAAAAxR3m0aFh0b8WvQJk2rYl9e"
				v := LinkEmail{School: School{Name: "Sol", Email: "hola@sol.test"}, Lang: lang, Kind: kind,
					Title: evil, Amount: "49,90 €", Expires: "2026-12-10 13:00 CET", Note: evil, Link: link}
				r, err := PaymentLink(context.Background(), v)
				if err != nil {
					t.Fatal(err)
				}
				tx := linkCatalog[lang]
				k := tx.kinds[kind]
				if !strings.HasPrefix(r.Subject, strings.Split(k.subject, "%s")[0]) || !strings.Contains(r.Subject, evil) {
					t.Errorf("subject %q", r.Subject)
				}
				for _, want := range []string{`<html lang="` + lang + `">`, `href="` + link + `"`, html.EscapeString(k.lead),
					"49,90 €", "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co"} {
					if !strings.Contains(r.HTML, want) {
						t.Errorf("HTML lacks %q", want)
					}
				}
				if strings.Contains(r.HTML, "<script>") {
					t.Errorf("user text not escaped:\n%s", r.HTML)
				}
				if got := strings.Contains(r.Text, "2026-12-10 13:00 CET"); got != (kind == LinkRequest) {
					t.Errorf("expiry shown %v in the %s e-mail:\n%s", got, kind, r.Text)
				}
				label := tx.note
				if kind == LinkDeclined {
					label = tx.reason
				}
				for _, want := range []string{k.lead, link, label + ": " + evil, "49,90 €"} {
					if !strings.Contains(r.Text, want) {
						t.Errorf("text lacks %q:\n%s", want, r.Text)
					}
				}
			})
		}
	}
	if _, err := PaymentLink(context.Background(), LinkEmail{Kind: "nope"}); err == nil {
		t.Error("an unknown kind rendered")
	}
}

func TestPaymentLinkCatalogComplete(t *testing.T) {
	t.Parallel()
	for _, lang := range langs {
		lt, ok := linkCatalog[lang]
		if !ok || lt.hello == "" || lt.what == "" || lt.amount == "" || lt.expires == "" || lt.note == "" || lt.reason == "" {
			t.Errorf("payment-link e-mails lack %s", lang)
			continue
		}
		for _, k := range LinkKinds {
			kt := lt.kinds[k]
			if kt.lead == "" || kt.action == "" || strings.Count(kt.subject, "%s") != 1 {
				t.Errorf("%s/%s incomplete: %+v", lang, k, kt)
			}
		}
	}
}
