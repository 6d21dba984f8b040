// Package jobs builds Bursar's River client: one per process, working the queue with every module's workers
// (e-mail now, order deadlines later), or insert-only for CLI commands that enqueue work for the server.
//
// Jobs are inserted inside the transaction of the change that causes them (InsertTx), and workers that write to the
// database complete their job in the same transaction (river.JobCompleteTx), so a rollback undoes both.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
)

// Registrar is a module's set of workers; it adds them to River's registry.
type Registrar interface {
	Register(w *river.Workers) error
}

// Config tunes the working client; the zero value is production's.
type Config struct {
	// MaxWorkers is how many jobs run at once in this process (default 10).
	MaxWorkers int
	// FetchPollInterval is how often the queue is polled when no insert notification arrives (River's default 1s;
	// tests use a few milliseconds).
	FetchPollInterval time.Duration
	// RetryPolicy replaces River's backoff (attempt⁴ seconds); tests use a short one.
	RetryPolicy river.ClientRetryPolicy
	// StopTimeout is how long Stop lets running jobs finish before cancelling them (default 30s).
	StopTimeout time.Duration
	// RescueAfter is how long a job may stay running before River's rescuer (run by the elected leader every 30s)
	// takes it for stuck — its process died — and retries it, or discards it after its last attempt
	// (DefaultRescueAfter). It should exceed every worker's Timeout (e-mail 2m, payment re-check its interval, 5m
	// by default; the others River's 1m JobTimeout, lowered to RescueAfter when that is shorter): a job still
	// running when rescued runs a second time alongside (an e-mail then goes out again with its same Message-ID).
	RescueAfter time.Duration
}

// DefaultRescueAfter is Config.RescueAfter when unset: above the longest worker timeout (the 5-minute payment
// re-check), and minutes instead of River's one-hour default, so an e-mail whose process was killed mid-send is
// retried soon.
const DefaultRescueAfter = 10 * time.Minute

// WithDefaults fills in unset values.
func (c Config) WithDefaults() Config {
	if c.MaxWorkers <= 0 {
		c.MaxWorkers = 10
	}
	if c.StopTimeout <= 0 {
		c.StopTimeout = 30 * time.Second
	}
	if c.RescueAfter <= 0 {
		c.RescueAfter = DefaultRescueAfter
	}
	return c
}

// Client is River's client for Bursar.
type Client struct {
	river *river.Client[pgx.Tx]
	log   *slog.Logger
	cfg   Config
}

// New returns a client that works the default queue with the workers of every registrar. Start it with Start.
func New(pool *pgxpool.Pool, log *slog.Logger, cfg Config, regs ...Registrar) (*Client, error) {
	cfg = cfg.WithDefaults()
	workers := river.NewWorkers()
	for _, r := range regs {
		if err := r.Register(workers); err != nil {
			return nil, fmt.Errorf("register workers: %w", err)
		}
	}
	rc, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger:            log,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.MaxWorkers}},
		Workers:           workers,
		FetchPollInterval: cfg.FetchPollInterval,
		FetchCooldown:     min(cfg.FetchPollInterval, river.FetchCooldownDefault),
		RetryPolicy:       cfg.RetryPolicy,
		// River refuses a rescue window below JobTimeout, the limit of workers without a Timeout of their own:
		// River's 1m, or the window when shorter.
		JobTimeout:           min(river.JobTimeoutDefault, cfg.RescueAfter),
		RescueStuckJobsAfter: cfg.RescueAfter,
	})
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return &Client{river: rc, log: log, cfg: cfg}, nil
}

// NewInserter returns an insert-only client: it enqueues jobs (in the caller's transaction) for the process that
// runs New's client; CLI commands use it.
func NewInserter(pool *pgxpool.Pool, log *slog.Logger) (*Client, error) {
	rc, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("river insert-only client: %w", err)
	}
	return &Client{river: rc, log: log, cfg: Config{}.WithDefaults()}, nil
}

// River is the underlying client (subscriptions in tests, job lookups).
func (c *Client) River() *river.Client[pgx.Tx] { return c.river }

// InsertTx inserts a job inside tx: it runs only if tx commits.
func (c *Client) InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return c.river.InsertTx(ctx, tx, args, opts)
}

// Start begins working jobs in the background and returns at once. Cancelling ctx stops the client abruptly
// (running jobs are cancelled); Stop is the graceful way.
func (c *Client) Start(ctx context.Context) error {
	if err := c.river.Start(ctx); err != nil {
		return fmt.Errorf("start jobs: %w", err)
	}
	c.log.Info("jobs started", "max_workers", c.cfg.MaxWorkers, "rescue_after", c.cfg.RescueAfter.String())
	return nil
}

// Stop stops fetching new jobs and waits for running ones, up to the configured StopTimeout or ctx's deadline,
// whichever comes first; jobs still running then are cancelled (River retries them later, on any process).
func (c *Client) Stop(ctx context.Context) error {
	soft, cancel := context.WithTimeout(ctx, c.cfg.StopTimeout)
	defer cancel()
	err := c.river.Stop(soft)
	if err == nil {
		c.log.Info("jobs stopped")
		return nil
	}
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("stop jobs: %w", err)
	}
	c.log.Warn("jobs still running at shutdown; cancelling them")
	hard, cancel2 := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel2()
	if err := c.river.StopAndCancel(hard); err != nil {
		return fmt.Errorf("stop jobs: %w", err)
	}
	return nil
}
