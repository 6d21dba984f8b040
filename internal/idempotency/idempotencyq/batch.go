package idempotencyq

import "github.com/jackc/pgx/v5"

// Written by hand (sqlc generates no batch of mixed queries): a generated statement queued on a caller's batch.

// QueueFormTokenFinish queues FormTokenFinish on b.
func QueueFormTokenFinish(b *pgx.Batch, arg FormTokenFinishParams) *pgx.QueuedQuery {
	return b.Queue(formTokenFinish, arg.Token, arg.ResultUrl)
}

// QueueFormTokenRelease queues FormTokenRelease on b.
func QueueFormTokenRelease(b *pgx.Batch, token string) *pgx.QueuedQuery {
	return b.Queue(formTokenRelease, token)
}
