package billing_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/jobs"
	"github.com/bursar/bursar/internal/offer"
)

// TestTwoRiverClientsIssueOnce: two River clients ("processes") working billing.issue jobs at once, four of them
// queued, issue each enrollment's due receipt once.
func TestTwoRiverClientsIssueOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Date(2027, 5, 5, 10, 0, 0, 0, madrid))
	of := f.newOffer(offer.Tuition, 4900, "EUR", 0, 1, nil)
	var ids []int64
	for i := range 10 {
		f.payer = f.newContact(fmt.Sprintf("r%d@example.com", i))
		en := f.enroll(of)
		if _, err := f.pay(en.Receipt); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, en.Enrollment.ID)
	}
	// Every job already queued (the links' expiries, the enrollments' expiries) is out of the way.
	if _, err := f.pool.Exec(context.Background(), `DELETE FROM river_job`); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(31 * 24 * time.Hour)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 2 {
		jc, err := jobs.New(f.pool, log, jobs.Config{FetchPollInterval: 20 * time.Millisecond, MaxWorkers: 2},
			billing.NewIssueWorker(f.bill, log), billing.NewRelinkWorker(f.bill), billing.NewExpirePendingWorker(f.bill))
		if err != nil {
			t.Fatal(err)
		}
		if err := jc.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = jc.Stop(context.Background()) })
	}
	err := pgx.BeginFunc(context.Background(), f.pool, func(tx pgx.Tx) error {
		for range 4 {
			if _, err := f.ins.InsertTx(context.Background(), tx, billing.IssueArgs{}, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for f.count(`SELECT count(*) FROM river_job WHERE kind = 'billing.issue' AND state = 'completed'`) < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("billing.issue jobs not all completed: %d", f.count(`SELECT count(*) FROM river_job WHERE kind = 'billing.issue' AND state = 'completed'`))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, id := range ids {
		if n := f.count(`SELECT count(*) FROM receipts WHERE enrollment_id = $1`, id); n != 2 {
			t.Fatalf("enrollment %d has %d receipts; want 2", id, n)
		}
	}
	if n := f.mails.count(billing.EmailIssued); n != 10 {
		t.Fatalf("%d issued e-mails; want 10", n)
	}
}
