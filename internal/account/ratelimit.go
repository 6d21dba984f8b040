package account

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/account/accountq"
)

// Limit is at most Max events per key in any Window.
type Limit struct {
	Max    int
	Window time.Duration
}

// RateLimiter counts public form posts per bucket and client address in PostgreSQL, so every Bursar process
// behind a load balancer shares the count.
type RateLimiter struct {
	db     *pgxpool.Pool
	now    func() time.Time
	events atomic.Uint64
}

// NewRateLimiter returns a RateLimiter on pool.
func NewRateLimiter(pool *pgxpool.Pool) *RateLimiter { return &RateLimiter{db: pool, now: time.Now} }

// Allow records one event for key in bucket and reports whether it is within l. Refused events are not recorded,
// so a client that keeps trying is let in again once its window has passed.
func (r *RateLimiter) Allow(ctx context.Context, bucket, key string, l Limit) (bool, error) {
	q := accountq.New(r.db)
	now := r.now()
	// One statement counts and records: a form post costs the database one round trip here.
	n, err := q.RateEventTake(ctx, accountq.RateEventTakeParams{Bucket: bucket, Key: key, At: now,
		Since: now.Add(-l.Window), Max: int64(l.Max)})
	if err != nil || n == 0 {
		return false, err
	}
	// Every 200th event of a process also forgets events older than any window: no sweeper process is needed.
	if r.events.Add(1)%200 == 0 {
		if err := q.RateEventPrune(ctx, now.Add(-24*time.Hour)); err != nil {
			return false, err
		}
	}
	return true, nil
}
