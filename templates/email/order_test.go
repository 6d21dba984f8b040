package email

import (
	"context"
	"html"
	"strings"
	"testing"
)

var langs = []string{"en", "es", "fr", "ru", "uk"}

const evil = `<script>alert("x")</script> & Co`

func TestOrderEveryKindAndLanguage(t *testing.T) {
	t.Parallel()
	for _, lang := range langs {
		for _, kind := range OrderKinds {
			t.Run(lang+"/"+string(kind), func(t *testing.T) {
				t.Parallel()
				link := "https://pay.school.test/account/orders/B-000042"
				v := OrderEmail{School: School{Name: "Sol", URL: "https://sol.test", Email: "hola@sol.test", Phone: "+34 600"},
					Lang: lang, Kind: kind, Number: "B-000042", OfferTitle: evil, Amount: "49,90 €", Link: link, Comment: evil}
				r, err := Order(context.Background(), v)
				if err != nil {
					t.Fatal(err)
				}
				k := orderCatalog[lang].kinds[kind]
				if !strings.Contains(r.Subject, "B-000042") || !strings.HasPrefix(r.Subject, strings.Split(k.subject, "%s")[0]) {
					t.Errorf("subject %q", r.Subject)
				}
				for _, want := range []string{`<html lang="` + lang + `">`, `href="` + link + `"`, html.EscapeString(k.lead), "49,90 €", "B-000042",
					"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co", "mailto:hola@sol.test", "+34 600"} {
					if !strings.Contains(r.HTML, want) {
						t.Errorf("HTML lacks %q", want)
					}
				}
				if strings.Contains(r.HTML, "<script>") {
					t.Errorf("user text not escaped:\n%s", r.HTML)
				}
				for _, want := range []string{k.lead, link, evil, "49,90 €", "hola@sol.test"} {
					if !strings.Contains(r.Text, want) {
						t.Errorf("text lacks %q:\n%s", want, r.Text)
					}
				}
			})
		}
	}
}

func TestOrderTexts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, lang string
		kind       OrderKind
		subject    string
	}{
		{"Spanish", "es", OrderReceived, "Hemos recibido tu pedido B-1"},
		{"Ukrainian", "uk", OrderCompleted, "Оплату підтверджено: замовлення B-1"},
		{"Regional", "fr-CA", OrderRefunded, "La commande B-1 a été remboursée"},
		{"Fallback", "de", OrderRejected, "Order B-1 was not confirmed"},
		{"Empty", "", OrderReceived, "We have received your order B-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Order(context.Background(), OrderEmail{School: School{Name: "S"}, Lang: tt.lang, Kind: tt.kind,
				Number: "B-1", OfferTitle: "Go", Amount: "€1.00", Link: "https://x.test/account"})
			if err != nil {
				t.Fatal(err)
			}
			if r.Subject != tt.subject {
				t.Fatalf("subject %q, want %q", r.Subject, tt.subject)
			}
		})
	}
	r, err := Order(context.Background(), OrderEmail{School: School{Name: "S"}, Kind: OrderRejected, Number: "B-1", Link: "https://x.test"})
	if err != nil || strings.Contains(r.HTML, `data-testid="email-comment"`) || strings.Contains(r.Text, "Comment:") {
		t.Fatalf("an empty comment is shown: %v\n%s", err, r.Text)
	}
	if _, err := Order(context.Background(), OrderEmail{Kind: "lost"}); err == nil {
		t.Fatal("unknown kind rendered")
	}
}

func TestPasswordResetEveryLanguage(t *testing.T) {
	t.Parallel()
	link := "https://pay.school.test/account/reset?token=abc&x=1"
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			r, err := PasswordReset(context.Background(), PasswordResetEmail{School: School{Name: evil}, Lang: lang, Link: link})
			if err != nil {
				t.Fatal(err)
			}
			tx := resetCatalog[lang]
			if r.Subject != tx.subject {
				t.Errorf("subject %q, want %q", r.Subject, tx.subject)
			}
			for _, want := range []string{`href="https://pay.school.test/account/reset?token=abc&amp;x=1"`, html.EscapeString(tx.expiry), "&lt;script&gt;"} {
				if !strings.Contains(r.HTML, want) {
					t.Errorf("HTML lacks %q", want)
				}
			}
			if strings.Contains(r.HTML, "<script>") {
				t.Errorf("school name not escaped")
			}
			if !strings.Contains(r.Text, link) || !strings.Contains(r.Text, tx.expiry) {
				t.Errorf("text %q", r.Text)
			}
		})
	}
}

func TestCatalogsComplete(t *testing.T) {
	t.Parallel()
	for _, lang := range langs {
		if _, ok := resetCatalog[lang]; !ok {
			t.Errorf("password reset lacks %s", lang)
		}
		ot, ok := orderCatalog[lang]
		if !ok {
			t.Errorf("order e-mails lack %s", lang)
			continue
		}
		for _, k := range OrderKinds {
			kt := ot.kinds[k]
			if kt.lead == "" || kt.action == "" || strings.Count(kt.subject, "%s") != 1 {
				t.Errorf("%s/%s incomplete: %+v", lang, k, kt)
			}
		}
	}
}
