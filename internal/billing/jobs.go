package billing

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// The River jobs of billing: each survives restarts and runs in whichever process works the queue.

// ExpirePendingArgs drops a pending enrollment whose first receipt was not paid by its expiry (Enroll schedules it
// then).
type ExpirePendingArgs struct {
	EnrollmentID int64 `json:"enrollment_id"`
}

// Kind names the job in River's table.
func (ExpirePendingArgs) Kind() string { return "billing.expire_pending" }

// InsertOpts are the job's defaults: one job per enrollment.
func (ExpirePendingArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// ExpirePendingWorker works ExpirePendingArgs jobs.
type ExpirePendingWorker struct {
	river.WorkerDefaults[ExpirePendingArgs]
	svc *Service
}

// NewExpirePendingWorker returns the worker of svc.
func NewExpirePendingWorker(svc *Service) *ExpirePendingWorker { return &ExpirePendingWorker{svc: svc} }

// Register adds the worker to River's registry.
func (w *ExpirePendingWorker) Register(ws *river.Workers) error { return river.AddWorkerSafely(ws, w) }

// RetryLater is how long an expiry waits for a payment on its way (or a clock running behind) before it looks again.
const RetryLater = time.Hour

// Work drops the enrollment when it is still pending past its expiry; one whose first payment is on its way, or
// whose expiry is still ahead, is looked at again later.
func (w *ExpirePendingWorker) Work(ctx context.Context, job *river.Job[ExpirePendingArgs]) error {
	e, err := w.svc.Get(ctx, job.Args.EnrollmentID)
	if err != nil || e.Status != EnrollmentPending {
		return err
	}
	if e.ExpiresAt != nil {
		if left := e.ExpiresAt.Sub(w.svc.core().now()); left > 0 {
			return river.JobSnooze(left + time.Second)
		}
	}
	done, err := w.svc.ExpirePending(ctx, e.ID)
	if err != nil {
		return err
	}
	if !done {
		return river.JobSnooze(RetryLater)
	}
	return nil
}

// RelinkArgs makes a new link for what is left of a partially paid receipt (the completion that recorded the part
// cannot make links in its transaction).
type RelinkArgs struct {
	ReceiptID int64 `json:"receipt_id"`
}

// Kind names the job in River's table.
func (RelinkArgs) Kind() string { return "billing.relink" }

// InsertOpts are the job's defaults.
func (RelinkArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

// RelinkWorker works RelinkArgs jobs.
type RelinkWorker struct {
	river.WorkerDefaults[RelinkArgs]
	svc *Service
}

// NewRelinkWorker returns the worker of svc.
func NewRelinkWorker(svc *Service) *RelinkWorker { return &RelinkWorker{svc: svc} }

// Register adds the worker to River's registry.
func (w *RelinkWorker) Register(ws *river.Workers) error { return river.AddWorkerSafely(ws, w) }

// Work makes the new link and e-mails it.
func (w *RelinkWorker) Work(ctx context.Context, job *river.Job[RelinkArgs]) error {
	_, err := w.svc.Relink(ctx, job.Args.ReceiptID)
	return err
}

// IssueInterval is how often billing.issue runs; RemindInterval how often billing.remind does.
const (
	IssueInterval  = 15 * time.Minute
	RemindInterval = time.Hour
)

// IssueArgs is the periodic job issuing the receipts due (IssueDue).
type IssueArgs struct{}

// Kind names the job in River's table.
func (IssueArgs) Kind() string { return "billing.issue" }

// IssueWorker works IssueArgs jobs.
type IssueWorker struct {
	river.WorkerDefaults[IssueArgs]
	svc *Service
	log *slog.Logger
}

// NewIssueWorker returns the issuing job of svc.
func NewIssueWorker(svc *Service, log *slog.Logger) *IssueWorker {
	return &IssueWorker{svc: svc, log: log}
}

// Register adds the worker to River's registry.
func (w *IssueWorker) Register(ws *river.Workers) error { return river.AddWorkerSafely(ws, w) }

// PeriodicJob is the schedule: every IssueInterval and at start-up, enqueued by River's leader.
func (w *IssueWorker) PeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(IssueInterval),
		func() (river.JobArgs, *river.InsertOpts) { return IssueArgs{}, nil },
		&river.PeriodicJobOpts{ID: IssueArgs{}.Kind(), RunOnStart: true})
}

// Work issues what is due.
func (w *IssueWorker) Work(ctx context.Context, _ *river.Job[IssueArgs]) error {
	n, err := w.svc.IssueDue(ctx)
	if n > 0 {
		w.log.Info("receipts issued", "receipts", n)
	}
	return err
}

// RemindArgs is the periodic job sending reminders and suspending (Remind).
type RemindArgs struct{}

// Kind names the job in River's table.
func (RemindArgs) Kind() string { return "billing.remind" }

// RemindWorker works RemindArgs jobs.
type RemindWorker struct {
	river.WorkerDefaults[RemindArgs]
	svc *Service
	log *slog.Logger
}

// NewRemindWorker returns the reminding job of svc.
func NewRemindWorker(svc *Service, log *slog.Logger) *RemindWorker {
	return &RemindWorker{svc: svc, log: log}
}

// Register adds the worker to River's registry.
func (w *RemindWorker) Register(ws *river.Workers) error { return river.AddWorkerSafely(ws, w) }

// PeriodicJob is the schedule: every RemindInterval and at start-up.
func (w *RemindWorker) PeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(RemindInterval),
		func() (river.JobArgs, *river.InsertOpts) { return RemindArgs{}, nil },
		&river.PeriodicJobOpts{ID: RemindArgs{}.Kind(), RunOnStart: true})
}

// Work sends the reminders due.
func (w *RemindWorker) Work(ctx context.Context, _ *river.Job[RemindArgs]) error {
	n, err := w.svc.Remind(ctx)
	if n > 0 {
		w.log.Info("billing reminders", "changes", n)
	}
	return err
}
