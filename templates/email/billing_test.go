package email

import (
	"context"
	"html"
	"strings"
	"testing"
)

func TestBillingEveryKindAndLanguage(t *testing.T) {
	t.Parallel()
	for _, lang := range langs {
		for _, kind := range BillingKinds {
			t.Run(lang+"/"+string(kind), func(t *testing.T) {
				t.Parallel()
				link := "https://pay.school.test/pay/AAAAAAAAAAxR3m0aFh0b8WvQJk2rYl9e"
				v := BillingEmail{School: School{Name: "Sol", Email: "hola@sol.test"}, Lang: lang, Kind: kind,
					Title: evil, Number: "R-2027-000123", Period: "1–31 March 2027", Amount: "49,90 €",
					Left: "19,90 €", Due: "1 March 2027", PayBy: "8 March 2027", Attached: kind == BillingPaid,
					Link: link, Action: ActionPay}
				r, err := Billing(context.Background(), v)
				if err != nil {
					t.Fatal(err)
				}
				tx := billingCatalog[lang]
				k := tx.kinds[kind]
				if strings.Contains(r.Subject, "{") || r.Subject == "" {
					t.Errorf("subject %q", r.Subject)
				}
				if strings.Contains(k.subject, "{number}") != strings.Contains(r.Subject, "R-2027-000123") {
					t.Errorf("subject %q lacks the receipt's number", r.Subject)
				}
				for _, want := range []string{`<html lang="` + lang + `">`, `href="` + link + `"`, html.EscapeString(tx.actions[ActionPay]),
					"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co"} {
					if !strings.Contains(r.HTML, want) {
						t.Errorf("HTML lacks %q", want)
					}
				}
				if strings.Contains(r.HTML, "<script>") || strings.Contains(r.HTML, "{") && strings.Contains(r.HTML, "{title}") {
					t.Errorf("user text not escaped or a placeholder left:\n%s", r.HTML)
				}
				lead := strings.NewReplacer("{title}", evil, "{due}", "1 March 2027", "{grace}", "8 March 2027").Replace(k.lead)
				want := []string{lead, link, tx.what + ": " + evil}
				switch kind {
				case BillingWelcome, BillingResumed:
				case BillingIssued, BillingPaid:
					want = append(want, tx.number+": R-2027-000123", tx.amount+": 49,90 €", tx.period+": 1–31 March 2027")
				default:
					want = append(want, tx.number+": R-2027-000123", tx.left+": 19,90 €")
				}
				if kind == BillingOverdue {
					want = append(want, tx.payBy+": 8 March 2027", tx.due+": 1 March 2027")
				}
				if kind == BillingPaid {
					want = append(want, tx.attached)
				}
				for _, w := range want {
					if !strings.Contains(r.Text, w) {
						t.Errorf("text lacks %q:\n%s", w, r.Text)
					}
				}
				if strings.Contains(r.Text, "{") {
					t.Errorf("a placeholder left in the text:\n%s", r.Text)
				}
			})
		}
	}
	if _, err := Billing(context.Background(), BillingEmail{Kind: "nope", Action: ActionPay}); err == nil {
		t.Error("an unknown kind rendered")
	}
	if _, err := Billing(context.Background(), BillingEmail{Kind: BillingPaid, Action: "nope"}); err == nil {
		t.Error("an unknown action rendered")
	}
}

// TestBillingPartAndEmptyRows: an installment's period is its part, and values the mailer left empty are not listed.
func TestBillingPartAndEmptyRows(t *testing.T) {
	t.Parallel()
	r, err := Billing(context.Background(), BillingEmail{School: School{Name: "Sol"}, Lang: "uk", Kind: BillingSuspended,
		Title: "Гітара", Part: true, Period: "2 з 3", Left: "", Link: "https://school.test/account", Action: ActionAccount})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Платіж: 2 з 3", "Відкрити особистий кабінет: https://school.test/account"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, r.Text)
		}
	}
	if strings.Contains(r.Text, "Залишилося сплатити") || strings.Contains(r.Text, "Квитанція:") {
		t.Errorf("empty rows listed:\n%s", r.Text)
	}
}

func TestBillingCatalogComplete(t *testing.T) {
	t.Parallel()
	for _, lang := range langs {
		bt, ok := billingCatalog[lang]
		if !ok {
			t.Errorf("billing e-mails lack %s", lang)
			continue
		}
		for _, s := range []string{bt.hello, bt.what, bt.number, bt.period, bt.part, bt.amount, bt.left, bt.due, bt.payBy, bt.attached} {
			if s == "" {
				t.Errorf("%s lacks a label: %+v", lang, bt)
			}
		}
		for _, a := range []BillingAction{ActionPay, ActionSignIn, ActionAccount} {
			if bt.actions[a] == "" {
				t.Errorf("%s lacks action %s", lang, a)
			}
		}
		for _, k := range BillingKinds {
			kt := bt.kinds[k]
			if kt.subject == "" || kt.lead == "" {
				t.Errorf("%s/%s incomplete: %+v", lang, k, kt)
			}
			// Every language names the same things in a kind's texts as English does.
			en := billingCatalog["en"].kinds[k]
			for _, ph := range []string{"{number}", "{title}", "{due}", "{grace}"} {
				if strings.Contains(en.subject, ph) != strings.Contains(kt.subject, ph) || strings.Contains(en.lead, ph) != strings.Contains(kt.lead, ph) {
					t.Errorf("%s/%s: %s used unlike English", lang, k, ph)
				}
			}
		}
	}
}
