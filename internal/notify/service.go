package notify

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/bursar/bursar/internal/check"
)

// Inserter inserts River jobs inside a transaction: a *river.Client[pgx.Tx] or a *jobs.Client (insert-only is
// enough; the process that works the queue may be another one). The modules that schedule jobs take one; the
// outbox writes its e-mail jobs with its rows (emailWithJob).
type Inserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Service is the outbox: it enqueues e-mails and lists them for the admin.
type Service struct {
	db *pgxpool.Pool
}

// NewService returns the outbox on pool. Its e-mail jobs (EmailArgs) are worked by the River client that registers
// its Worker (internal/jobs), in this process or another one.
func NewService(pool *pgxpool.Pool) *Service { return &Service{db: pool} }

// EnqueueTx adds e to the outbox inside the caller's transaction and inserts the job that sends it in the same
// transaction: a rollback drops both. An e-mail whose dedup key is already in the outbox is ignored (nil error), so
// one event never yields two e-mails.
func (s *Service) EnqueueTx(ctx context.Context, tx pgx.Tx, e Email) error {
	e = e.normalize()
	if err := e.Validate(); err != nil {
		return err
	}
	_, _, err := insertEmail(ctx, tx, e.sealed())
	return err
}

// EnqueueManyTx is EnqueueTx for many e-mails (a batch of receipts): each is checked as EnqueueTx checks it (the
// first bad one is the error, nothing written), then those without attachments are added with their River jobs in
// one statement, once per dedup key as EnqueueTx does (a key already in the outbox, or twice in es, adds nothing and
// no job); those with attachments one by one.
func (s *Service) EnqueueManyTx(ctx context.Context, tx pgx.Tx, es []Email) error {
	plain := make([]Email, 0, len(es))
	for i, e := range es {
		e = e.normalize()
		if err := e.Validate(); err != nil {
			return fmt.Errorf("e-mail [%d] %q: %w", i, e.DedupKey, err)
		}
		if len(e.Attachments) > 0 {
			if _, _, err := insertEmail(ctx, tx, e.sealed()); err != nil {
				return err
			}
			continue
		}
		plain = append(plain, e.sealed())
	}
	return insertEmails(ctx, tx, plain)
}

// Enqueue adds e to the outbox in a transaction of its own (for e-mails that are not part of a larger change).
func (s *Service) Enqueue(ctx context.Context, e Email) error {
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error { return s.EnqueueTx(ctx, tx, e) })
}

// Message returns outbox e-mail id, its secrets masked, or an error wrapping check.ErrNotFound.
func (s *Service) Message(ctx context.Context, id int64) (Message, error) {
	m, err := getEmail(ctx, s.db, id)
	return m.masked(), err
}

// ByDedupKey returns the e-mail enqueued for an event, its secrets masked, or an error wrapping check.ErrNotFound.
func (s *Service) ByDedupKey(ctx context.Context, key string) (Message, error) {
	m, err := emailByDedupKey(ctx, s.db, key)
	return m.masked(), err
}

// List returns a page of the outbox, newest first, secrets masked; an unknown status is a field error on "status".
func (s *Service) List(ctx context.Context, f Filter) (Page, error) {
	if f.Status != "" && !f.Status.Valid() {
		return Page{}, check.Field("status", "is not a known status")
	}
	if f.Limit <= 0 || f.Limit > MaxListLimit {
		f.Limit = MaxListLimit
	}
	page, err := listEmails(ctx, s.db, f)
	for i := range page.Messages {
		page.Messages[i] = page.Messages[i].masked()
	}
	return page, err
}
