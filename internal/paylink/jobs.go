package paylink

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// ExpireArgs is the River job that expires a link at its expiry; Create inserts it scheduled then. It survives
// restarts and runs in whichever process works the queue.
type ExpireArgs struct {
	LinkID int64 `json:"link_id"`
}

// Kind names the job in River's table.
func (ExpireArgs) Kind() string { return "paylink.expire" }

// InsertOpts are the job's defaults: one job per link.
func (ExpireArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// ExpireWorker works ExpireArgs jobs.
type ExpireWorker struct {
	river.WorkerDefaults[ExpireArgs]
	svc *Service
}

// NewExpireWorker returns the expiry worker of svc.
func NewExpireWorker(svc *Service) *ExpireWorker { return &ExpireWorker{svc: svc} }

// Register adds the worker to River's registry (internal/jobs calls it).
func (w *ExpireWorker) Register(ws *river.Workers) error { return river.AddWorkerSafely(ws, w) }

// Work expires the link if it is still active and due by the service's clock; a link whose expiry is still ahead
// (the clock of the process that scheduled it ran ahead) snoozes the job until then.
func (w *ExpireWorker) Work(ctx context.Context, job *river.Job[ExpireArgs]) error {
	l, err := w.svc.Get(ctx, job.Args.LinkID)
	if err != nil {
		return err
	}
	if l.Status != StatusActive {
		return nil
	}
	if left := l.ExpiresAt.Sub(w.svc.rec.clock()); left > 0 {
		return river.JobSnooze(left + time.Second)
	}
	_, err = w.svc.Expire(ctx, l.ID)
	return err
}

// SweepInterval is how often the sweep expires links whose own job was lost.
const SweepInterval = 15 * time.Minute

// SweepArgs is the periodic job that expires every active link past its expiry.
type SweepArgs struct{}

// Kind names the job in River's table.
func (SweepArgs) Kind() string { return "paylink.sweep" }

// SweepWorker works SweepArgs jobs.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	svc *Service
	log *slog.Logger
}

// NewSweepWorker returns the expiry sweep of svc.
func NewSweepWorker(svc *Service, log *slog.Logger) *SweepWorker {
	return &SweepWorker{svc: svc, log: log}
}

// Register adds the worker to River's registry (internal/jobs calls it).
func (w *SweepWorker) Register(ws *river.Workers) error { return river.AddWorkerSafely(ws, w) }

// PeriodicJob is the sweep's schedule: every SweepInterval and at start-up, enqueued by River's leader.
func (w *SweepWorker) PeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(SweepInterval),
		func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil },
		&river.PeriodicJobOpts{ID: SweepArgs{}.Kind(), RunOnStart: true})
}

// Work expires the links that are due.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	n, err := w.svc.ExpireDue(ctx)
	if n > 0 {
		w.log.Info("payment links expired by the sweep", "links", n)
	}
	return err
}
