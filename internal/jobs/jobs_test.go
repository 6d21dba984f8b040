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
