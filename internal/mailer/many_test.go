package mailer_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/receiptdoc"
)

// TestBillingEmailsTx: the batch queues each e-mail exactly as BillingEmailTx queues it alone (same subject, bodies,
// secrets masked, relation, attachments), once per dedup key.
func TestBillingEmailsTx(t *testing.T) {
	t.Parallel()
	e := madridEnv(t)
	ctx := context.Background()
	var batch, alone []billing.Email
	for _, lang := range receiptdoc.Languages {
		for _, kind := range []billing.EmailKind{billing.EmailIssued, billing.EmailOverdue, billing.EmailPaid,
			billing.EmailWelcome, billing.EmailResumed} {
			em := billingEmail(kind, lang)
			batch = append(batch, em)
			em.DedupKey += ":alone"
			alone = append(alone, em)
		}
	}
	batch = append(batch, batch[0]) // twice in the batch: queued once
	e.inTx(t, func(tx pgx.Tx) error { return e.mailer.BillingEmailsTx(ctx, tx, batch) })
	e.inTx(t, func(tx pgx.Tx) error { return e.mailer.BillingEmailsTx(ctx, tx, batch[:3]) }) // again: nothing new
	for _, em := range alone {
		e.inTx(t, func(tx pgx.Tx) error { return e.mailer.BillingEmailTx(ctx, tx, em) })
	}
	for i, em := range alone {
		key := batch[i].DedupKey
		if n := e.count(t, key); n != 1 {
			t.Fatalf("%s: %d outbox rows, want 1", key, n)
		}
		got, err := e.notify.ByDedupKey(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		want, err := e.notify.ByDedupKey(ctx, em.DedupKey)
		if err != nil {
			t.Fatal(err)
		}
		if got.To != want.To || got.Subject != want.Subject || got.Text != want.Text || got.HTML != want.HTML ||
			got.Language != want.Language || got.RelatedType != want.RelatedType || got.RelatedID != want.RelatedID ||
			len(got.Attachments) != len(want.Attachments) {
			t.Errorf("%s: batch %+v\nalone %+v", key, got, want)
		}
	}
}
