package notify_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/notify"
)

// TestEnqueueManyTx: a batch of e-mails is added once per dedup key, as EnqueueTx adds them (a key already in the
// outbox, or twice in the batch, adds nothing), each new row with its one River job, secrets sealed; one bad e-mail
// writes nothing.
func TestEnqueueManyTx(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.New(t)
	svc := notify.NewService(pool)
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	mail := func(key, text string, secrets ...string) notify.Email {
		return notify.Email{DedupKey: key, To: "ana@example.com", Subject: "Receipt", Text: text,
			HTML: "<p>" + text + "</p>", RelatedType: "receipt", RelatedID: 7, Secrets: secrets}
	}
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return svc.EnqueueTx(ctx, tx, mail("k:a", "first")) }); err != nil {
		t.Fatal(err)
	}
	secret := "https://school.test/pay/0123456789abcdefghij"
	batch := []notify.Email{mail("k:a", "again"), mail("k:b", "bee"), mail("k:b", "bee twice"),
		mail("k:c", "pay at "+secret, secret), {DedupKey: "k:d", To: "bo@example.com", Subject: "Hi", Text: "plain"}}
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return svc.EnqueueManyTx(ctx, tx, batch) }); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT count(*) FROM outbound_emails`); n != 4 {
		t.Fatalf("%d e-mails in the outbox; want 4 (a, b, c, d)", n)
	}
	if n := count(`SELECT count(*) FROM river_job WHERE kind = $1`, notify.EmailArgs{}.Kind()); n != 4 {
		t.Fatalf("%d e-mail jobs; want one per e-mail, 4", n)
	}
	if n := count(`SELECT count(*) FROM outbound_emails e JOIN river_job j ON j.kind = $1
		AND (j.args->>'email_id')::bigint = e.id`, notify.EmailArgs{}.Kind()); n != 4 {
		t.Fatalf("%d e-mails with their job; want 4", n)
	}
	if n := count(`SELECT count(*) FROM outbound_emails WHERE dedup_key = 'k:a' AND text_body = 'first'`); n != 1 {
		t.Fatal("the e-mail already in the outbox was replaced")
	}
	if n := count(`SELECT count(*) FROM outbound_emails WHERE dedup_key = 'k:b' AND text_body = 'bee'
		AND related_type = 'receipt' AND related_id = 7`); n != 1 {
		t.Fatal("the batch's first e-mail of a key is not the one kept")
	}
	if n := count(`SELECT count(*) FROM outbound_emails WHERE dedup_key = 'k:d' AND related_id IS NULL
		AND secrets = '{}' AND language = 'en'`); n != 1 {
		t.Fatal("an e-mail without relation, secrets or language is not stored as EnqueueTx stores it")
	}
	var text string
	var secrets []string
	if err := pool.QueryRow(ctx, `SELECT text_body, secrets FROM outbound_emails WHERE dedup_key = 'k:c'`).Scan(&text,
		&secrets); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, secret) || len(secrets) != 1 || secrets[0] != secret {
		t.Fatalf("secret not sealed: text %q, secrets %q", text, secrets)
	}
	m, err := svc.ByDedupKey(ctx, "k:c")
	if err != nil || strings.Contains(m.Text, secret) {
		t.Fatalf("masked message: %q, %v", m.Text, err)
	}

	bad := []notify.Email{mail("k:e", "fine"), {DedupKey: "k:f", Subject: "No address", Text: "x"}}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return svc.EnqueueManyTx(ctx, tx, bad) })
	if e, ok := check.AsErrors(err); !ok || e["to"] == "" {
		t.Fatalf("EnqueueManyTx with no address = %v; want a field error on to", err)
	}
	if n := count(`SELECT count(*) FROM outbound_emails`); n != 4 {
		t.Fatalf("a bad batch wrote %d e-mails", n-4)
	}
}
