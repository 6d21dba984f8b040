package mailer_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/receiptdoc"
	"github.com/bursar/bursar/internal/subscription"
)

// TestSubscriptionEmails: the past-due and cancelled e-mails in every language, enqueued once per subscription,
// kind and key, about the subscription, with the update link (past due), the access's end in the school's time zone
// and the cabinet.
func TestSubscriptionEmails(t *testing.T) {
	t.Parallel()
	e := madridEnv(t)
	madrid, _ := time.LoadLocation("Europe/Madrid")
	until := time.Date(2027, 4, 7, 23, 30, 0, 0, time.UTC) // the 8th in Madrid
	for i, lang := range receiptdoc.Languages {
		id := int64(7 + i)
		for _, kind := range []string{subscription.EmailPastDue, subscription.EmailCancelled} {
			t.Run(lang+"/"+kind, func(t *testing.T) {
				em := subscription.Email{Kind: kind, To: "ana@example.test", Language: lang, SubscriptionID: id,
					Number: "S-000007", OfferTitle: "Guitar monthly", Amount: "19,00 €",
					UpdateURL: "https://invoice.stripe.test/i/" + lang, AccessUntil: &until,
					CabinetURL: "https://pay.sol.test/account", Key: "in_" + lang}
				if kind == subscription.EmailCancelled {
					em.UpdateURL, em.Key = "", ""
				}
				for range 2 {
					e.inTx(t, func(tx pgx.Tx) error { return e.mailer.SubscriptionEmailTx(context.Background(), tx, em) })
				}
				key := "subscription:" + strconv.FormatInt(id, 10) + ":" + kind
				if em.Key != "" {
					key += ":" + em.Key
				}
				if n := e.count(t, key); n != 1 {
					t.Fatalf("%d outbox rows, want 1", n)
				}
				m, err := e.notify.ByDedupKey(context.Background(), key)
				if err != nil {
					t.Fatal(err)
				}
				if m.To != "ana@example.test" || m.Language != lang || m.RelatedType != "subscription" ||
					m.RelatedID != id || !strings.Contains(m.Subject, "Guitar monthly") {
					t.Fatalf("message %+v", m)
				}
				for _, want := range []string{"S-000007", "19,00 €", "https://pay.sol.test/account",
					receiptdoc.Date(lang, until, madrid)} {
					if !strings.Contains(m.Text, want) {
						t.Errorf("text lacks %q:\n%s", want, m.Text)
					}
				}
				if got := strings.Contains(m.Text, "https://invoice.stripe.test/i/"+lang); got != (kind == subscription.EmailPastDue) {
					t.Errorf("update link shown %v:\n%s", got, m.Text)
				}
			})
		}
	}
	err := pgx.BeginFunc(context.Background(), e.pool, func(tx pgx.Tx) error {
		return e.mailer.SubscriptionEmailTx(context.Background(), tx, subscription.Email{Kind: "bogus", To: "a@b.test"})
	})
	if err == nil {
		t.Fatal("an unknown kind was queued")
	}
}
