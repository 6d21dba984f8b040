package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/jobs"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type pingArgs struct {
	N int `json:"n"`
}

func (pingArgs) Kind() string { return "test.ping" }

// pingWorker reports each job it works and, when block is set, waits for release before finishing.
type pingWorker struct {
	river.WorkerDefaults[pingArgs]
	done    chan int
	block   chan struct{}
	release chan struct{}
}

func (w *pingWorker) Register(ws *river.Workers) error { return river.AddWorkerSafely(ws, w) }

func (w *pingWorker) Work(ctx context.Context, job *river.Job[pingArgs]) error {
	if w.block != nil {
		close(w.block)
		<-w.release
	}
	w.done <- job.Args.N
	return nil
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestInserterFeedsWorkingClient is the CLI-and-server split: an insert-only client enqueues inside a transaction,
// the server's client works the job; a rolled-back insert is never worked.
func TestInserterFeedsWorkingClient(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	w := &pingWorker{done: make(chan int, 4)}
	jc, err := jobs.New(pool, discard(), jobs.Config{FetchPollInterval: 20 * time.Millisecond}, w)
	if err != nil {
		t.Fatal(err)
	}
	if err := jc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = jc.Stop(context.Background()) })
	ins, err := jobs.NewInserter(pool, discard())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	errAbort := errors.New("abort")
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := ins.InsertTx(ctx, tx, pingArgs{N: 1}, nil); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatal(err)
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := ins.InsertTx(ctx, tx, pingArgs{N: 2}, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-w.done:
		if n != 2 {
			t.Fatalf("worked job %d, want only the committed job 2", n)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the committed job was not worked")
	}
}

// TestStopWaitsForRunningJob checks the graceful shutdown: Stop returns only after the running job finished.
func TestStopWaitsForRunningJob(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	w := &pingWorker{done: make(chan int, 1), block: make(chan struct{}), release: make(chan struct{})}
	jc, err := jobs.New(pool, discard(), jobs.Config{FetchPollInterval: 20 * time.Millisecond}, w)
	if err != nil {
		t.Fatal(err)
	}
	if err := jc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := jc.River().Insert(context.Background(), pingArgs{N: 7}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.block:
	case <-time.After(15 * time.Second):
		t.Fatal("job did not start")
	}
	stopped := make(chan error, 1)
	go func() { stopped <- jc.Stop(context.Background()) }()
	close(w.release)
	if err := <-stopped; err != nil {
		t.Fatalf("Stop: %v", err)
	}
	select {
	case n := <-w.done:
		if n != 7 {
			t.Fatalf("job %d", n)
		}
	default:
		t.Fatal("Stop returned before the running job finished")
	}
}

func TestNewRejectsDuplicateWorker(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	w := &pingWorker{done: make(chan int, 1)}
	if _, err := jobs.New(pool, discard(), jobs.Config{}, w, w); err == nil {
		t.Fatal("two workers for one kind: no error")
	}
}

// TestRescueStuckJobs plays a process killed mid-job: its jobs stay running in River's table. The rescuer (run by
// the leader as soon as the client starts) retries those running longer than the rescue window — minutes by default,
// not River's hour — and leaves alone those still inside it (a live process may be working them).
func TestRescueStuckJobs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		rescueAfter     time.Duration
		stuck, younger  time.Duration // how long ago each job started
		wantRescueAfter time.Duration
	}{
		{"Default", 0, 11 * time.Minute, 9 * time.Minute, jobs.DefaultRescueAfter},
		{"Configured", 30 * time.Second, time.Minute, 10 * time.Second, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := (jobs.Config{RescueAfter: tt.rescueAfter}).WithDefaults().RescueAfter; got != tt.wantRescueAfter {
				t.Fatalf("RescueAfter = %s, want %s", got, tt.wantRescueAfter)
			}
			pool := dbtest.New(t)
			w := &pingWorker{done: make(chan int, 2)}
			jc, err := jobs.New(pool, discard(), jobs.Config{FetchPollInterval: 20 * time.Millisecond,
				RescueAfter: tt.rescueAfter, RetryPolicy: retryNow{}}, w)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			started := map[int]time.Duration{1: tt.stuck, 2: tt.younger}
			ids := map[int]int64{}
			for n, ago := range started {
				res, err := jc.River().Insert(ctx, pingArgs{N: n}, nil)
				if err != nil {
					t.Fatal(err)
				}
				ids[n] = res.Job.ID
				// What a SIGKILLed process leaves behind: running, attempted long ago, by a client that is gone.
				if _, err := pool.Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1,
					attempted_at = now() - make_interval(secs => $2), attempted_by = '{dead-process}' WHERE id = $1`,
					res.Job.ID, ago.Seconds()); err != nil {
					t.Fatal(err)
				}
			}
			if err := jc.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = jc.Stop(context.Background()) })
			select {
			case n := <-w.done:
				if n != 1 {
					t.Fatalf("worked job %d, want the stuck job 1", n)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("the job running for %s was not rescued with a %s window", tt.stuck, tt.wantRescueAfter)
			}
			// The rescuer looked at both jobs in the pass that rescued job 1.
			younger, err := jc.River().JobGet(ctx, ids[2])
			if err != nil {
				t.Fatal(err)
			}
			if younger.State != "running" {
				t.Fatalf("job running for %s is %s, want left running", tt.younger, younger.State)
			}
		})
	}
}

// retryNow schedules a retry at once (the rescuer's retries follow the retry policy).
type retryNow struct{}

func (retryNow) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }
