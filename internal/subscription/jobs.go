package subscription

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/bursar/bursar/internal/audit"

	"github.com/bursar/bursar/internal/subscription/subscriptionq"
)

// ActArgs asks the gateway for a change of a subscription outside the transaction that decided it (a Stripe
// subscription that made its plan's number of charges is cancelled at its period's end).
type ActArgs struct {
	SubscriptionID int64  `json:"subscription_id"`
	Action         string `json:"action"`
	Note           string `json:"note"`
}

// Kind names the job in River's table.
func (ActArgs) Kind() string { return "subscription.act" }

// InsertOpts are the job's defaults: one job per subscription and action.
func (ActArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// ActWorker works ActArgs jobs.
type ActWorker struct {
	river.WorkerDefaults[ActArgs]
	svc *Service
}

// NewActWorker returns the worker of svc.
func NewActWorker(svc *Service) *ActWorker { return &ActWorker{svc: svc} }

// Register adds the worker to River's registry.
func (w *ActWorker) Register(ws *river.Workers) error { return river.AddWorkerSafely(ws, w) }

// Work asks for the change; a subscription no longer live needs none.
func (w *ActWorker) Work(ctx context.Context, job *river.Job[ActArgs]) error {
	ctx = audit.WithActor(ctx, audit.Actor{Type: audit.ActorSystem, Label: "subscription job"})
	_, err := w.svc.Act(ctx, job.Args.SubscriptionID, Action{Kind: job.Args.Action, Note: job.Args.Note})
	if errors.Is(err, ErrNotLive) {
		return nil
	}
	return err
}

// DropInterval is how often the pending subscriptions are looked at.
const DropInterval = time.Hour

// DropPendingArgs is the periodic job dropping pending subscriptions never confirmed (DropPending).
type DropPendingArgs struct{}

// Kind names the job in River's table.
func (DropPendingArgs) Kind() string { return "subscription.drop_pending" }

// DropPendingWorker works DropPendingArgs jobs.
type DropPendingWorker struct {
	river.WorkerDefaults[DropPendingArgs]
	svc *Service
	log *slog.Logger
}

// NewDropPendingWorker returns the dropping job of svc.
func NewDropPendingWorker(svc *Service, log *slog.Logger) *DropPendingWorker {
	return &DropPendingWorker{svc: svc, log: log}
}

// Register adds the worker to River's registry.
func (w *DropPendingWorker) Register(ws *river.Workers) error { return river.AddWorkerSafely(ws, w) }

// PeriodicJob is the schedule: every DropInterval and at start-up, enqueued by River's leader.
func (w *DropPendingWorker) PeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(DropInterval),
		func() (river.JobArgs, *river.InsertOpts) { return DropPendingArgs{}, nil },
		&river.PeriodicJobOpts{ID: DropPendingArgs{}.Kind(), RunOnStart: true})
}

// Work drops what is due.
func (w *DropPendingWorker) Work(ctx context.Context, _ *river.Job[DropPendingArgs]) error {
	n, err := w.svc.DropPending(ctx)
	if n > 0 && w.log != nil {
		w.log.Info("pending subscriptions dropped", "subscriptions", n)
	}
	return err
}

// DropPending deletes the pending subscriptions untouched for Config.PendingFor: intents whose payer never
// finished the gateway's checkout (no charge, no gateway reference: nothing else names them). Each is deleted
// with its own timeline; the contact's timeline and the audit log keep a line. A gateway notification naming one
// later (a checkout finished after all) finds no subscription and opens an unknown_subscription exception.
func (s *Service) DropPending(ctx context.Context) (int, error) {
	before := s.now().Add(-s.cfg.PendingFor)
	rs, err := subscriptionq.New(s.db).SubscriptionsPendingBefore(ctx, subscriptionq.SubscriptionsPendingBeforeParams{
		Before: before, Max: MaxList})
	if err != nil {
		return 0, fmt.Errorf("pending subscriptions: %w", err)
	}
	n := 0
	for _, r := range rs {
		sub := fromRow(r)
		err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
			_, err := subscriptionq.New(tx).SubscriptionDeletePending(ctx, subscriptionq.SubscriptionDeletePendingParams{
				ID: sub.ID, Before: before})
			if errors.Is(err, pgx.ErrNoRows) {
				return nil // confirmed or touched meanwhile
			}
			if err != nil {
				return fmt.Errorf("drop subscription %s: %w", sub.Number, err)
			}
			n++
			msg := fmt.Sprintf("Subscription %s to %s dropped: the payer did not finish the checkout", sub.Number,
				sub.OfferTitle)
			if err := s.deps.Contacts.AddEventTx(ctx, tx, sub.ContactID, EventDropped, msg); err != nil {
				return err
			}
			return s.audit.RecordTx(ctx, tx, "subscription.drop", "subscription", sub.ID, map[string]any{
				"number": sub.Number, "contact_id": sub.ContactID, "offer_id": sub.OfferID})
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// ChargeArgs is the periodic job charging the saved cards of the subscriptions Bursar schedules (ChargeDue).
type ChargeArgs struct{}

// Kind names the job in River's table.
func (ChargeArgs) Kind() string { return "subscription.charge" }

// ChargeWorker works ChargeArgs jobs.
type ChargeWorker struct {
	river.WorkerDefaults[ChargeArgs]
	svc   *Service
	notes Notes
	log   *slog.Logger
}

// NewChargeWorker returns the charge job of svc; notes applies the gateways' answers (order.Service).
func NewChargeWorker(svc *Service, notes Notes, log *slog.Logger) *ChargeWorker {
	return &ChargeWorker{svc: svc, notes: notes, log: log}
}

// Register adds the worker to River's registry.
func (w *ChargeWorker) Register(ws *river.Workers) error { return river.AddWorkerSafely(ws, w) }

// PeriodicJob is the schedule: every ChargeEvery and at start-up, enqueued by River's leader.
func (w *ChargeWorker) PeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(ChargeEvery),
		func() (river.JobArgs, *river.InsertOpts) { return ChargeArgs{}, nil },
		&river.PeriodicJobOpts{ID: ChargeArgs{}.Kind(), RunOnStart: true})
}

// Work charges what is due.
func (w *ChargeWorker) Work(ctx context.Context, _ *river.Job[ChargeArgs]) error {
	ctx = audit.WithActor(ctx, audit.Actor{Type: audit.ActorSystem, Label: "subscription charge job"})
	sum, err := w.svc.ChargeDue(ctx, w.notes)
	if w.log != nil && sum != (ChargeSummary{}) {
		w.log.Info("saved-card subscriptions charged", "charged", sum.Charged, "declined", sum.Declined,
			"ended", sum.Ended, "asked", sum.Asked, "unavailable", sum.Unavailable)
	}
	return err
}
