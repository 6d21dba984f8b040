package order_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/riverqueue/river"

	"github.com/bursar/bursar/internal/order"
)

// TestSweepJob: an open manual order past its deadline whose own deadline job was lost is rejected by the hourly
// sweep, as the deadline job would have; orders within their deadline are left alone.
func TestSweepJob(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	lost := f.open()
	future := f.open2("later@example.com")
	if _, err := f.pool.Exec(f.ctx, "DELETE FROM river_job WHERE kind = 'order.deadline'"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(f.ctx, "UPDATE orders SET created_at = created_at - interval '30 days', deadline_at = deadline_at - interval '30 days' WHERE id = $1", lost.ID); err != nil {
		t.Fatal(err)
	}
	w := order.NewSweepWorker(f.svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if pj := w.PeriodicJob(); pj == nil {
		t.Fatal("no periodic job")
	}
	if err := w.Work(f.ctx, &river.Job[order.SweepArgs]{}); err != nil {
		t.Fatal(err)
	}
	got, _ := f.svc.Get(f.ctx, lost.ID)
	if got.Status != order.StatusRejected || got.DecidedBy != "system" || f.mails(lost.ID, order.EmailRejected) != 1 {
		t.Errorf("lost order %s by %q, %d rejection e-mails; want rejected by system, 1", got.Status, got.DecidedBy,
			f.mails(lost.ID, order.EmailRejected))
	}
	if fu, _ := f.svc.Get(f.ctx, future.ID); fu.Status != order.StatusOpen {
		t.Errorf("order within its deadline = %s", fu.Status)
	}
	// A second run finds nothing to do.
	if err := w.Work(f.ctx, &river.Job[order.SweepArgs]{}); err != nil || f.mails(lost.ID, order.EmailRejected) != 1 {
		t.Errorf("second sweep: %v, %d e-mails", err, f.mails(lost.ID, order.EmailRejected))
	}
}
