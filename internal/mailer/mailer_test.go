package mailer_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/mailer"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/settings"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type env struct {
	pool   *pgxpool.Pool
	notify *notify.Service
	mailer *mailer.Mailer
}

func newEnv(t *testing.T) env {
	t.Helper()
	pool := dbtest.New(t)
	n := notify.NewService(pool)
	st := settings.NewService(pool, audit.New(pool))
	if _, err := st.Update(context.Background(), settings.School{Name: "Escuela <Sol>", ContactEmail: "hola@sol.test",
		Phone: "+34 600 123 456", WebsiteURL: "https://sol.test"}); err != nil {
		t.Fatal(err)
	}
	return env{pool: pool, notify: n, mailer: mailer.New(n, st, "https://pay.sol.test/")}
}

// inTx runs f in a committed transaction.
func (e env) inTx(t *testing.T, f func(tx pgx.Tx) error) {
	t.Helper()
	if err := pgx.BeginFunc(context.Background(), e.pool, f); err != nil {
		t.Fatal(err)
	}
}

func (e env) count(t *testing.T, key string) int {
	t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbound_emails WHERE dedup_key = $1`, key).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func testOrder(lang string) order.Order {
	return order.Order{ID: 42, Number: "B-000042", OfferTitle: `Go <b>desde cero</b>`, Language: lang,
		Price: money.New(4990, "EUR")}
}

func TestOrderEmails(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		kind    order.EmailKind
		lang    string
		subject string
		link    string
		text    string
	}{
		{order.EmailReceived, "es", "Hemos recibido tu pedido B-000042", "https://pay.sol.test/account/orders/B-000042", "49,90\u00a0€"},
		{order.EmailCompleted, "es", "Pago confirmado: pedido B-000042", "https://pay.sol.test/account", "Abrir tu cuenta"},
		{order.EmailRejected, "uk", "Замовлення B-000042 не підтверджено", "https://pay.sol.test/account/orders/B-000042", "Коментар: <i>no llegó</i>"},
		{order.EmailRefunded, "xx", "Order B-000042 has been refunded", "https://pay.sol.test/account/orders/B-000042", "€49.90"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			em := order.Email{Kind: tt.kind, Order: testOrder(tt.lang), To: "Ana@Example.test"}
			if tt.kind == order.EmailRejected {
				em.Comment = "<i>no llegó</i>"
			}
			// The same event twice, in two transactions: one e-mail.
			for range 2 {
				e.inTx(t, func(tx pgx.Tx) error { return e.mailer.OrderEmailTx(context.Background(), tx, em) })
			}
			key := "order:42:" + string(tt.kind)
			if n := e.count(t, key); n != 1 {
				t.Fatalf("%d outbox rows for %s, want 1", n, key)
			}
			m, err := e.notify.ByDedupKey(context.Background(), key)
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != tt.subject || m.To != "ana@example.test" || m.RelatedType != "order" || m.RelatedID != 42 {
				t.Fatalf("message %+v", m)
			}
			if !strings.Contains(m.Text, tt.link+"\n") || !strings.Contains(m.HTML, `href="`+tt.link+`"`) {
				t.Fatalf("link %s missing:\n%s", tt.link, m.Text)
			}
			if !strings.Contains(m.Text, tt.text) || !strings.Contains(m.Text, "Escuela <Sol>\nhttps://sol.test\nhola@sol.test") {
				t.Fatalf("text lacks %q or the school:\n%s", tt.text, m.Text)
			}
			if strings.Contains(m.HTML, "<b>desde") || strings.Contains(m.HTML, "<i>no") || !strings.Contains(m.HTML, "Escuela &lt;Sol&gt;") {
				t.Fatalf("user text not escaped:\n%s", m.HTML)
			}
		})
	}
}

func TestOrderEmailRollback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tx, err := e.pool.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.mailer.OrderEmailTx(context.Background(), tx, order.Email{Kind: order.EmailReceived, Order: testOrder("en"), To: "a@b.test"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := e.count(t, "order:42:received"); n != 0 {
		t.Fatalf("rolled-back e-mail kept: %d rows", n)
	}
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const token = "tok123-Ab9_kQ2mZx7LpR4sT0uVwY1"
	link := "https://pay.sol.test/account/reset/" + token
	for range 2 {
		e.inTx(t, func(tx pgx.Tx) error {
			return e.mailer.PasswordResetTx(context.Background(), tx, "ana@example.test", "fr", link)
		})
	}
	other := "https://pay.sol.test/account/reset/tok456"
	e.inTx(t, func(tx pgx.Tx) error {
		return e.mailer.PasswordResetTx(context.Background(), tx, "ana@example.test", "fr", other)
	})
	sum := sha256.Sum256([]byte(link))
	key := "password-reset:" + hex.EncodeToString(sum[:8])
	if n := e.count(t, key); n != 1 {
		t.Fatalf("%d rows for %s, want 1", n, key)
	}
	var total int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbound_emails WHERE dedup_key LIKE 'password-reset:%'`).Scan(&total); err != nil || total != 2 {
		t.Fatalf("%d reset e-mails, want 2 (%v)", total, err)
	}
	m, err := e.notify.ByDedupKey(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Réinitialisez votre mot de passe" || m.Language != "fr" || strings.Contains(m.Text, "tok456") {
		t.Fatalf("message %+v", m)
	}
	// The link is the e-mail's secret: the outbox shows a mask, and keeps link and token apart until delivery.
	if strings.Contains(m.Text+m.HTML, token) || !strings.Contains(m.Text, notify.SecretMask) ||
		!strings.Contains(m.HTML, `href="`+notify.SecretMask+`"`) {
		t.Fatalf("the outbox shows the link:\n%s\n%s", m.Text, m.HTML)
	}
	var secrets []string
	if err := e.pool.QueryRow(context.Background(), `SELECT secrets FROM outbound_emails WHERE dedup_key = $1`, key).Scan(&secrets); err != nil {
		t.Fatal(err)
	}
	if len(secrets) != 2 || secrets[0] != link || secrets[1] != token {
		t.Fatalf("secrets %q, want the link and its token", secrets)
	}
}

// TestWelcomeLinkIsSecret: the sign-in link of the welcome e-mail is masked in the outbox like a reset link.
func TestWelcomeLinkIsSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const token = "wel-Ab9_kQ2mZx7LpR4sT0uVwY1cD3eF"
	em := order.Email{Kind: order.EmailWelcome, Order: testOrder("en"), To: "ana@example.test",
		SignInURL: "https://pay.sol.test/account/welcome/" + token}
	e.inTx(t, func(tx pgx.Tx) error { return e.mailer.OrderEmailTx(context.Background(), tx, em) })
	m, err := e.notify.ByDedupKey(context.Background(), "order:42:welcome")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.Text+m.HTML, token) || !strings.Contains(m.Text, notify.SecretMask) {
		t.Fatalf("the outbox shows the sign-in link:\n%s", m.Text)
	}
}

func TestPlaceholderRecipientSkipped(t *testing.T) {
	t.Parallel()
	e := newEnv(t) // placeholder domain: the default placeholder.invalid
	e.inTx(t, func(tx pgx.Tx) error {
		return e.mailer.OrderEmailTx(context.Background(), tx, order.Email{Kind: order.EmailReceived, Order: testOrder("en"),
			To: "payer-7@Placeholder.invalid"})
	})
	if n := e.count(t, "order:42:received"); n != 0 {
		t.Fatalf("e-mail to a placeholder address enqueued: %d rows", n)
	}
}
