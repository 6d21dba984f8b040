// Package idempotency keeps the responses of API POSTs sent with an Idempotency-Key, so a client that retries (a
// timeout, a crash, a second click) gets the first response instead of a second effect.
package idempotency

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/idempotency/idempotencyq"
)

// TTL is how long a key is remembered (at least: expired keys and form tokens are forgotten now and then).
const TTL = 24 * time.Hour

// pruneNow decides whether this finished request also forgets the expired keys or tokens: every 100th of the
// store, so a request costs one round trip less and the tables still stay at about a day of rows, with no
// sweeper process.
func (s *Store) pruneNow() bool { return s.finished.Add(1)%100 == 0 }

// StaleAfter is how long a first request may hold its key unanswered before a retry takes it over: longer than
// any request may run (the server's write timeout is 60 s), so only a request whose process died is taken over.
const StaleAfter = 2 * time.Minute

// Errors of Claim.
var (
	ErrInFlight = errors.New("idempotency: a request with this key is still being processed")
	ErrMismatch = errors.New("idempotency: this key was used with a different request")
)

// Response is a stored response.
type Response struct {
	Status      int
	ContentType string
	Location    string
	Body        []byte
}

// Store claims and completes keys.
type Store struct {
	db       db.DBTX
	finished atomic.Uint64 // requests finished, for pruneNow
}

// New returns a Store on pool.
func New(pool db.DBTX) *Store { return &Store{db: pool} }

// Claim takes key for a request whose method, path and body hash to hash. It returns (nil, nil) when the caller
// owns the key and must run the request and then Finish or Release it; the stored response when the request was
// already answered; ErrInFlight or ErrMismatch otherwise.
func (s *Store) Claim(ctx context.Context, apiKeyID int64, key, method, path string, hash []byte) (*Response, error) {
	q := idempotencyq.New(s.db)
	if err := q.KeyExpire(ctx, idempotencyq.KeyExpireParams{ApiKeyID: apiKeyID, Key: key, CreatedAt: time.Now().Add(-TTL)}); err != nil {
		return nil, err
	}
	n, err := q.KeyClaim(ctx, idempotencyq.KeyClaimParams{ApiKeyID: apiKeyID, Key: key, Method: method, Path: path,
		RequestHash: hash, StaleBefore: time.Now().Add(-StaleAfter)})
	if err != nil {
		return nil, err
	}
	if n == 1 {
		return nil, nil
	}
	row, err := q.KeyGet(ctx, idempotencyq.KeyGetParams{ApiKeyID: apiKeyID, Key: key})
	if errors.Is(err, pgx.ErrNoRows) {
		// Released between our insert and select: let the client retry.
		return nil, ErrInFlight
	}
	if err != nil {
		return nil, err
	}
	if string(row.RequestHash) != string(hash) || row.Method != method || row.Path != path {
		return nil, ErrMismatch
	}
	if row.Status == nil {
		return nil, ErrInFlight
	}
	return &Response{Status: int(*row.Status), ContentType: row.ContentType, Location: row.Location, Body: row.ResponseBody}, nil
}

// Finish stores the response of a claimed key.
func (s *Store) Finish(ctx context.Context, apiKeyID int64, key string, r Response) error {
	st := int32(r.Status)
	q := idempotencyq.New(s.db)
	if err := q.KeyFinish(ctx, idempotencyq.KeyFinishParams{ApiKeyID: apiKeyID, Key: key, Status: &st, ContentType: r.ContentType,
		Location: r.Location, ResponseBody: r.Body}); err != nil {
		return err
	}
	if !s.pruneNow() {
		return nil
	}
	return q.KeysPrune(ctx, time.Now().Add(-TTL))
}

// Release forgets a claimed key whose request failed on our side, so the client may retry it.
func (s *Store) Release(ctx context.Context, apiKeyID int64, key string) error {
	return idempotencyq.New(s.db).KeyRelease(ctx, idempotencyq.KeyReleaseParams{ApiKeyID: apiKeyID, Key: key})
}

// ErrFormInFlight says the same form is being submitted a second time while the first submission runs.
var ErrFormInFlight = errors.New("idempotency: this form is already being submitted")

// ClaimForm takes a form's one-time token. It returns "" when the caller owns it (run, then FinishForm or
// ReleaseForm), the URL the first submission led to when it already finished, or ErrFormInFlight.
func (s *Store) ClaimForm(ctx context.Context, token string) (string, error) {
	q := idempotencyq.New(s.db)
	n, err := q.FormTokenClaim(ctx, token)
	if err != nil {
		return "", err
	}
	if n == 1 {
		return "", nil
	}
	u, err := q.FormTokenGet(ctx, token)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && u == nil) {
		return "", ErrFormInFlight
	}
	if err != nil {
		return "", err
	}
	return *u, nil
}

// FormDone is ClaimFormTx's refusal of a token another submission has claimed: URL is where that submission led
// ("" while it is still in flight: Err is then ErrFormInFlight).
type FormDone struct{ URL string }

func (e *FormDone) Error() string {
	if e.URL == "" {
		return ErrFormInFlight.Error()
	}
	return "idempotency: this form was submitted before"
}

// Unwrap makes a submission still in flight match ErrFormInFlight.
func (e *FormDone) Unwrap() error {
	if e.URL == "" {
		return ErrFormInFlight
	}
	return nil
}

// ClaimFormTx takes a form's one-time token inside tx, the transaction that makes the form's record, so the token
// is claimed exactly when the record commits: a failed record leaves it free, and of two submissions at once the
// second waits here for the first's transaction and then finds its token. resultURL is where the submission leads
// when known now ("" for a result known only after the commit: FinishForm or QueueFinishForm records it). A token
// already claimed is a *FormDone, which the caller returns to roll its transaction back.
func (s *Store) ClaimFormTx(ctx context.Context, tx db.DBTX, token, resultURL string) error {
	q := idempotencyq.New(tx)
	var (
		n   int64
		err error
	)
	if resultURL == "" {
		n, err = q.FormTokenClaim(ctx, token)
	} else {
		n, err = q.FormTokenClaimDone(ctx, idempotencyq.FormTokenClaimDoneParams{Token: token, ResultUrl: &resultURL})
	}
	if err != nil {
		return err
	}
	if n == 1 {
		if resultURL != "" && s.pruneNow() {
			return q.FormTokensPrune(ctx, time.Now().Add(-TTL))
		}
		return nil
	}
	u, err := q.FormTokenGet(ctx, token)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && u == nil) {
		return &FormDone{}
	}
	if err != nil {
		return err
	}
	return &FormDone{URL: *u}
}

// QueueFinishForm queues FinishForm's statement on b, the caller's batch (one round trip with the caller's own
// statements; the expired tokens are pruned by FinishForm and ClaimFormTx only).
func (s *Store) QueueFinishForm(b *pgx.Batch, token, resultURL string) {
	idempotencyq.QueueFormTokenFinish(b, idempotencyq.FormTokenFinishParams{Token: token, ResultUrl: &resultURL})
}

// QueueReleaseForm queues ReleaseForm's statement on b, the caller's batch.
func (s *Store) QueueReleaseForm(b *pgx.Batch, token string) {
	idempotencyq.QueueFormTokenRelease(b, token)
}

// FinishForm records where a form's submission led.
func (s *Store) FinishForm(ctx context.Context, token, resultURL string) error {
	q := idempotencyq.New(s.db)
	if err := q.FormTokenFinish(ctx, idempotencyq.FormTokenFinishParams{Token: token, ResultUrl: &resultURL}); err != nil {
		return err
	}
	if !s.pruneNow() {
		return nil
	}
	return q.FormTokensPrune(ctx, time.Now().Add(-TTL))
}

// ReleaseForm frees a token whose submission was refused (bad input), so the corrected form can be sent.
func (s *Store) ReleaseForm(ctx context.Context, token string) error {
	return idempotencyq.New(s.db).FormTokenRelease(ctx, token)
}
