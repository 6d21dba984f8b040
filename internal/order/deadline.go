package order

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/order/orderq"
)

// DeadlineArgs is the River job that rejects a manual order not decided by its deadline. It is inserted with the
// order, scheduled at the deadline; River keeps it in PostgreSQL, so it survives restarts, and locks it while one
// process works it.
type DeadlineArgs struct {
	OrderID int64 `json:"order_id"`
}

// Kind names the job in River's table.
func (DeadlineArgs) Kind() string { return "order.deadline" }

// InsertOpts are the job's defaults: one job per order, retried for about a day on database errors.
func (DeadlineArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// DeadlineWorker works DeadlineArgs jobs.
type DeadlineWorker struct {
	river.WorkerDefaults[DeadlineArgs]
	svc *Service
}

// NewDeadlineWorker returns the deadline worker of svc.
func NewDeadlineWorker(svc *Service) *DeadlineWorker { return &DeadlineWorker{svc: svc} }

// Register adds the worker to River's registry (internal/jobs calls it).
func (w *DeadlineWorker) Register(ws *river.Workers) error { return river.AddWorkerSafely(ws, w) }

// Work rejects the order if it is still open and its deadline has passed, completing the job in the same
// transaction. An order decided already makes the job a no-op; one whose deadline is still ahead (it moved) snoozes
// the job until then.
func (w *DeadlineWorker) Work(ctx context.Context, job *river.Job[DeadlineArgs]) error {
	var wait time.Duration
	err := pgx.BeginFunc(ctx, w.svc.db, func(tx pgx.Tx) error {
		_, pending, err := w.svc.expireTx(ctx, tx, job.Args.OrderID)
		if err != nil {
			return err
		}
		if pending > 0 {
			wait = pending
			return nil
		}
		if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
			return fmt.Errorf("complete deadline job %d: %w", job.ID, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if wait > 0 {
		return river.JobSnooze(wait)
	}
	return nil
}

// busyRetry is how soon the deadline looks again at an order a manager was deciding.
const busyRetry = 5 * time.Second

// systemCtx is ctx with the system as actor: the deadline decides, not whoever enqueued it.
func systemCtx(ctx context.Context) context.Context {
	return audit.WithActor(ctx, audit.Actor{Type: audit.ActorSystem, Label: "system"})
}

// expireTx rejects order id if it is open and past its deadline. It reports whether it did, and, when the order is
// open but its deadline is ahead (or a manager is deciding it this moment), how long to wait before looking again.
func (s *Service) expireTx(ctx context.Context, tx pgx.Tx, id int64) (bool, time.Duration, error) {
	ctx = systemCtx(ctx)
	o, err := lockedOrder(ctx, tx, id)
	if errors.Is(err, ErrBusy) {
		return false, busyRetry, nil // a manager is deciding it now; look again shortly
	}
	if errors.Is(err, check.ErrNotFound) {
		return false, 0, nil // the contact (and with them the order) was deleted
	}
	if err != nil {
		return false, 0, err
	}
	if o.Status != StatusOpen || o.DeadlineAt == nil {
		return false, 0, nil
	}
	if left := time.Until(*o.DeadlineAt); left > 0 {
		return false, left + time.Second, nil
	}
	reason := fmt.Sprintf("not confirmed within %d days", deadlineDays(o))
	r, err := orderq.New(tx).OrderExpireDue(ctx, orderq.OrderExpireDueParams{ID: id, DecidedBy: "system",
		DecisionNote: reason})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, 0, nil // decided a moment ago by a manager: they won
	}
	if err != nil {
		return false, 0, fmt.Errorf("expire order %d: %w", id, err)
	}
	if _, err := s.rejectedTx(ctx, tx, fromRow(r), rejection{event: EventExpired, reason: reason,
		action: "order.expire", details: map[string]any{"reason": reason}}); err != nil {
		return false, 0, err
	}
	return true, 0, nil
}

// deadlineDays is the confirmation window o was given, in whole days.
func deadlineDays(o Order) int {
	return int(math.Round(o.DeadlineAt.Sub(o.CreatedAt).Hours() / 24))
}

// Expire rejects order id if it is still open past its deadline; it reports whether it did. The deadline job calls
// the same code; this is for sweeps and tests.
func (s *Service) Expire(ctx context.Context, id int64) (bool, error) {
	var done bool
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var err error
		done, _, err = s.expireTx(ctx, tx, id)
		return err
	})
	return done, err
}

// ExpireOverdue rejects every open order past its deadline (a sweep that backs up the jobs, e.g. for orders made
// before a deadline was scheduled) and returns how many it rejected.
func (s *Service) ExpireOverdue(ctx context.Context) (int, error) {
	n := 0
	for {
		ids, err := orderq.New(s.db).OrdersOverdue(ctx, 100)
		if err != nil {
			return n, fmt.Errorf("overdue orders: %w", err)
		}
		progressed := false
		for _, id := range ids {
			done, err := s.Expire(ctx, id)
			if err != nil {
				return n, err
			}
			if done {
				n++
				progressed = true
			}
		}
		if len(ids) < 100 || !progressed {
			return n, nil
		}
	}
}

// SweepInterval is how often the overdue sweep runs.
const SweepInterval = time.Hour

// SweepArgs is the periodic River job that backs up the deadline jobs: it rejects every open order past its
// deadline (ExpireOverdue), for orders whose own job was lost or never scheduled; and it expires gateway orders
// abandoned at checkout (ExpireAbandoned).
type SweepArgs struct{}

// Kind names the job in River's table.
func (SweepArgs) Kind() string { return "order.sweep_overdue" }

// InsertOpts are the job's defaults: one attempt, since the next run is the retry.
func (SweepArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

// SweepWorker works SweepArgs jobs.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	svc *Service
	log *slog.Logger
}

// NewSweepWorker returns the overdue sweep of svc.
func NewSweepWorker(svc *Service, log *slog.Logger) *SweepWorker {
	return &SweepWorker{svc: svc, log: log}
}

// Register adds the worker to River's registry (internal/jobs calls it).
func (w *SweepWorker) Register(ws *river.Workers) error { return river.AddWorkerSafely(ws, w) }

// PeriodicJob is the sweep's schedule: every SweepInterval, and once at start-up, enqueued by whichever process
// River elected leader. Add it to the working client's PeriodicJobs.
func (w *SweepWorker) PeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(SweepInterval),
		func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil },
		&river.PeriodicJobOpts{ID: SweepArgs{}.Kind(), RunOnStart: true})
}

// Work rejects the overdue manual orders and expires the abandoned gateway orders, as the system.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	ctx = systemCtx(ctx)
	n, err := w.svc.ExpireOverdue(ctx)
	if n > 0 {
		w.log.Info("overdue orders rejected by the sweep", "orders", n)
	}
	if err != nil {
		return err
	}
	m, err := w.svc.ExpireAbandoned(ctx)
	if m > 0 {
		w.log.Info("abandoned gateway orders expired by the sweep", "orders", m)
	}
	return err
}

// AbandonAfter is how long a gateway order may stay open without a payment on its way before the sweep expires it:
// a checkout the payer left (Stripe's sessions expire after a day; PayPal's approvals after three hours).
const AbandonAfter = 7 * 24 * time.Hour

// ExpireAbandoned expires every gateway order open since more than AbandonAfter with no payment made or on its way
// (a visitor's order included: it has no contact), and returns how many. Its pending attempts fail. A payment that
// still arrives later for it becomes a late_payment exception, as for any final order.
func (s *Service) ExpireAbandoned(ctx context.Context) (int, error) {
	n := 0
	for {
		ids, err := orderq.New(s.db).OrdersAbandoned(ctx, orderq.OrdersAbandonedParams{
			Before: time.Now().Add(-AbandonAfter), Lim: 100})
		if err != nil {
			return n, fmt.Errorf("abandoned orders: %w", err)
		}
		for _, id := range ids {
			done, err := s.expireAbandoned(ctx, id)
			if err != nil {
				return n, err
			}
			if done {
				n++
			}
		}
		if len(ids) < 100 {
			return n, nil
		}
	}
}

// expireAbandoned expires order id if it is still open; it reports whether it did.
func (s *Service) expireAbandoned(ctx context.Context, id int64) (bool, error) {
	done := false
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		q := orderq.New(tx)
		note := fmt.Sprintf("not paid within %d days", int(AbandonAfter.Hours()/24))
		r, err := q.OrderExpireAbandoned(ctx, orderq.OrderExpireAbandonedParams{ID: id, DecidedBy: "system",
			DecisionNote: note})
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // paid, cancelled or decided meanwhile
		}
		if err != nil {
			return fmt.Errorf("expire order %d: %w", id, err)
		}
		o := fromRow(r)
		failed, err := q.PaymentsAbandon(ctx, orderq.PaymentsAbandonParams{OrderID: o.ID, Comment: "checkout abandoned"})
		if err != nil {
			return fmt.Errorf("attempts of order %d: %w", o.ID, err)
		}
		if err := s.eventsTx(ctx, tx, o, EventExpired, fmt.Sprintf("Order %s expired: %s", o.Number, note)); err != nil {
			return err
		}
		done = true
		if err := s.audit.RecordTx(ctx, tx, "order.expire", "order", o.ID, map[string]any{"number": o.Number,
			"reason": note}); err != nil {
			return err
		}
		evs := &events.Batch{}
		for _, id := range failed {
			evs.Add(events.Event{Type: events.PaymentFailed, ID: id})
		}
		evs.Add(events.Event{Type: events.OrderExpired, ID: o.ID})
		return evs.EmitTx(ctx, s.deps.Events, tx)
	})
	return done, err
}
