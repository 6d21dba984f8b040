package notify

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// MaxAttempts is how often an e-mail is tried before it is marked failed. With River's backoff (attempt⁴ seconds)
// the last try comes about eleven hours after the first, which rides out an ordinary SMTP outage.
const MaxAttempts = 12

// EmailArgs is the River job that sends one outbox e-mail.
type EmailArgs struct {
	EmailID int64 `json:"email_id"`
}

// Kind names the job in River's table.
func (EmailArgs) Kind() string { return "notify.email" }

// InsertOpts are the job's defaults: unique by e-mail, so even a second insert for one outbox row is dropped.
func (EmailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: MaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// Sender delivers one e-mail; *SMTP is the real one.
type Sender interface {
	// Send delivers m with m.MessageID as its Message-ID.
	Send(ctx context.Context, m Message) error
	// Domain is the right-hand side of the Message-IDs of its e-mails (the From address's domain).
	Domain() string
}

// Worker sends outbox e-mails: through sender, or, when sender is nil, by logging them and marking them logged.
type Worker struct {
	river.WorkerDefaults[EmailArgs]
	db      *pgxpool.Pool
	sender  Sender
	domain  string // of Message-IDs
	timeout time.Duration
	log     *slog.Logger
}

// NewWorker returns the e-mail worker; a nil sender keeps e-mails in the outbox as logged.
func NewWorker(pool *pgxpool.Pool, sender Sender, log *slog.Logger) *Worker {
	w := &Worker{db: pool, sender: sender, domain: "localhost", log: log}
	if sender != nil {
		w.domain = sender.Domain()
	}
	return w
}

// Register adds the worker to River's registry (internal/jobs calls it).
func (w *Worker) Register(ws *river.Workers) error { return river.AddWorkerSafely(ws, w) }

// DefaultTimeout bounds one SMTP conversation unless WithTimeout says otherwise.
const DefaultTimeout = 2 * time.Minute

// WithTimeout makes d (when positive) the bound of one SMTP conversation, and returns w.
func (w *Worker) WithTimeout(d time.Duration) *Worker {
	if d > 0 {
		w.timeout = d
	}
	return w
}

// Timeout bounds one SMTP conversation: DefaultTimeout, or what WithTimeout set. River also waits this long before
// it takes the job of a process that died for stuck.
func (w *Worker) Timeout(*river.Job[EmailArgs]) time.Duration {
	if w.timeout > 0 {
		return w.timeout
	}
	return DefaultTimeout
}

// Work sends the e-mail once. The row is first marked sending in its own committed transaction, with the attempt
// counted and its Message-ID fixed (so a crash during the SMTP conversation leaves a trace), then sent, then marked
// sent together with the job's completion. A row found still sending was maybe sent by an attempt that died (a job
// River rescued): it is sent again with the same Message-ID and counted as a resend. A row already sent, logged or
// failed is left alone: a retried or duplicated job sends nothing.
func (w *Worker) Work(ctx context.Context, job *river.Job[EmailArgs]) error {
	m, err := claimEmail(ctx, w.db, job.Args.EmailID, newMessageID(job.Args.EmailID, w.domain), w.domain)
	if errors.Is(err, errNotClaimable) {
		return nil
	}
	if err != nil {
		return err
	}
	if m.Resends > 0 {
		w.log.Warn("e-mail maybe sent by an attempt that did not finish; sending it with the same Message-ID",
			"email_id", m.ID, "message_id", m.MessageID, "attempt", m.Attempts, "resends", m.Resends)
	}
	if m.Attachments, err = attachmentsOf(ctx, w.db, m.ID); err != nil {
		return err
	}
	done := StatusSent
	if w.sender == nil {
		done = StatusLogged
		w.log.Info("e-mail logged (no SMTP server configured)", "email_id", m.ID, "to", m.To, "subject", m.Subject,
			"dedup_key", m.DedupKey)
		w.log.Debug("e-mail body", "email_id", m.ID, "text", m.masked().Text)
	} else if err := w.sender.Send(ctx, m.revealed()); err != nil {
		return w.failed(ctx, job, m, err)
	}
	return pgx.BeginFunc(ctx, w.db, func(tx pgx.Tx) error {
		if err := markDone(ctx, tx, m.ID, done); err != nil {
			return err
		}
		if err := forgetSecrets(ctx, tx, m.ID); err != nil {
			return err
		}
		if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
			return fmt.Errorf("complete e-mail job %d: %w", job.ID, err)
		}
		return nil
	})
}

// failed records a failed attempt and tells River what to do: retry with backoff, or stop after the last attempt
// or an error no retry can fix.
func (w *Worker) failed(ctx context.Context, job *river.Job[EmailArgs], m Message, sendErr error) error {
	final := job.Attempt >= job.MaxAttempts || isPermanent(sendErr)
	st := StatusQueued
	if final {
		st = StatusFailed
	}
	// Record the error even when the job's context is ending (timeout, shutdown).
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := markError(rctx, w.db, m.ID, st, sendErr.Error()); err != nil {
		w.log.Error("record e-mail failure", "email_id", m.ID, "err", err)
	}
	w.log.Warn("e-mail not sent", "email_id", m.ID, "attempt", job.Attempt, "final", final, "err", sendErr)
	if final && isPermanent(sendErr) {
		return river.JobCancel(sendErr)
	}
	return sendErr
}

// newMessageID returns a Message-ID (without the angle brackets) for outbox e-mail id's first attempt: the id
// names the row, the random part keeps two databases (a restored copy, a staging one) from ever sharing one.
func newMessageID(id int64, domain string) string {
	return "bursar." + strconv.FormatInt(id, 10) + "." + strings.ToLower(rand.Text()) + "@" + domain
}
