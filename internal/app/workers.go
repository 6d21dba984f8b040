package app

import (
	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/jobs"
	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/paylink"
	"github.com/bursar/bursar/internal/subscription"
	"github.com/bursar/bursar/internal/webhook"
)

// Workers are River's workers of every module. A job enqueued by any process must find its worker in whichever
// process works the queue, so each working client registers them all.
type Workers struct {
	// Mail sends the outbox's e-mails.
	Mail *notify.Worker
	// Deadline rejects a manual order not confirmed in time; it is enqueued with each manual order.
	Deadline *order.DeadlineWorker
	// Recheck asks the gateways about payment attempts left pending longer than BURSAR_RECHECK_AFTER; its periodic
	// job runs every few minutes.
	Recheck *order.RecheckWorker
	// Sweep rejects manual orders past their deadline whose own deadline job was lost; its periodic job runs hourly.
	Sweep *order.SweepWorker
	// LinkExpire expires a payment link at its expiry; it is enqueued with each link.
	LinkExpire *paylink.ExpireWorker
	// LinkSweep expires payment links past their expiry whose own job was lost; its periodic job runs every 15
	// minutes.
	LinkSweep *paylink.SweepWorker
	// Rollups fold the days changed since the last run into the Transactions totals' daily rollup; its periodic job
	// runs every ten minutes and at start-up.
	Rollups *order.TxnRollupWorker
	// BillIssue issues the receipts due (every 15 minutes and at start-up); BillRemind sends the receipts'
	// reminders and suspends enrollments past their grace (hourly and at start-up); BillExpire drops a pending
	// enrollment whose first receipt was not paid in time; BillRelink makes a new link for what is left of a receipt
	// paid in part.
	BillIssue  *billing.IssueWorker
	BillRemind *billing.RemindWorker
	BillExpire *billing.ExpirePendingWorker
	BillRelink *billing.RelinkWorker
	// SubAct asks a gateway for a subscription's change decided in a transaction (a Stripe subscription that made
	// its plan's charges cancelled at its period's end); SubDrop drops pending subscriptions never confirmed
	// (hourly and at start-up).
	SubAct  *subscription.ActWorker
	SubDrop *subscription.DropPendingWorker
	// SubCharge charges the saved cards of the subscriptions Bursar schedules (WayForPay, Fondy) when due, every
	// ten minutes and at start-up.
	SubCharge *subscription.ChargeWorker
	// Webhook makes the tries of a webhook delivery (enqueued with each event, each resend and each test).
	Webhook *webhook.Worker
}

// Workers builds River's workers; sender delivers e-mails (nil: they are logged and kept in the admin outbox).
// A job whose process died is rescued (run again) after BURSAR_JOB_RESCUE_AFTER: an e-mail maybe sent goes out
// again with its same Message-ID. River waits for a job's own timeout too, so an SMTP conversation never outlasts
// the window: a short window (the chaos harness's) rescues e-mails that soon.
func (a *App) Workers(sender notify.Sender) Workers {
	s := a.Services
	return Workers{
		Mail:     notify.NewWorker(a.pool, sender, a.log).WithTimeout(min(notify.DefaultTimeout, a.jobsConfig().RescueAfter)),
		Deadline: order.NewDeadlineWorker(s.Orders),
		Recheck:  order.NewRecheckWorker(s.Orders, order.RecheckConfig{After: a.cfg.RecheckAfter}, a.log),
		Sweep:    order.NewSweepWorker(s.Orders, a.log),
		Rollups:  order.NewTxnRollupWorker(s.Orders, a.log, nil),

		LinkExpire: paylink.NewExpireWorker(s.PaymentLinks),
		LinkSweep:  paylink.NewSweepWorker(s.PaymentLinks, a.log),

		BillIssue:  billing.NewIssueWorker(s.Billing, a.log),
		BillRemind: billing.NewRemindWorker(s.Billing, a.log),
		BillExpire: billing.NewExpirePendingWorker(s.Billing),
		BillRelink: billing.NewRelinkWorker(s.Billing),

		SubAct:    subscription.NewActWorker(s.Subscriptions),
		SubDrop:   subscription.NewDropPendingWorker(s.Subscriptions, a.log),
		SubCharge: subscription.NewChargeWorker(s.Subscriptions, s.Orders, a.log),

		Webhook: s.Webhooks.Worker(),
	}
}

// Jobs builds the River client that works the queue with every worker (see Workers), and whose periodic jobs
// re-check stuck gateway payments every few minutes, sweep overdue manual orders every hour, roll up the
// Transactions totals every ten minutes and expire overdue payment links every 15 minutes, on whichever process
// River elects leader. Start it with its Start.
func (a *App) Jobs(sender notify.Sender) (*jobs.Client, error) {
	w := a.Workers(sender)
	jc, err := jobs.New(a.pool, a.log, a.jobsConfig(), w.Mail, w.Deadline, w.Recheck, w.Sweep, w.Rollups,
		w.LinkExpire, w.LinkSweep, w.BillIssue, w.BillRemind, w.BillExpire, w.BillRelink, w.SubAct, w.SubDrop, w.SubCharge, w.Webhook)
	if err != nil {
		return nil, err
	}
	jc.River().PeriodicJobs().Add(w.Recheck.PeriodicJob())
	jc.River().PeriodicJobs().Add(w.Sweep.PeriodicJob())
	jc.River().PeriodicJobs().Add(w.Rollups.PeriodicJob())
	jc.River().PeriodicJobs().Add(w.LinkSweep.PeriodicJob())
	jc.River().PeriodicJobs().Add(w.BillIssue.PeriodicJob())
	jc.River().PeriodicJobs().Add(w.BillRemind.PeriodicJob())
	jc.River().PeriodicJobs().Add(w.SubDrop.PeriodicJob())
	jc.River().PeriodicJobs().Add(w.SubCharge.PeriodicJob())
	return jc, nil
}

func (a *App) jobsConfig() jobs.Config {
	return jobs.Config{RescueAfter: a.cfg.JobRescueAfter}.WithDefaults()
}
