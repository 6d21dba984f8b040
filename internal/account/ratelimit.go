package account

import (
	"context"
	"math/rand/v2"
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
	db  *pgxpool.Pool
	now func() time.Time
}

// NewRateLimiter returns a RateLimiter on pool.
func NewRateLimiter(pool *pgxpool.Pool) *RateLimiter { return &RateLimiter{db: pool, now: time.Now} }

// Allow records one event for key in bucket and reports whether it is within l. Refused events are not recorded,
// so a client that keeps trying is let in again once its window has passed.
func (r *RateLimiter) Allow(ctx context.Context, bucket, key string, l Limit) (bool, error) {
	q := accountq.New(r.db)
	now := r.now()
	n, err := q.RateEventCount(ctx, accountq.RateEventCountParams{Bucket: bucket, Key: key, At: now.Add(-l.Window)})
	if err != nil {
		return false, err
	}
	if n >= int64(l.Max) {
		return false, nil
	}
	if err := q.RateEventAdd(ctx, accountq.RateEventAddParams{Bucket: bucket, Key: key, At: now}); err != nil {
		return false, err
	}
	// Now and then, forget events older than any window: cheap, and no sweeper process is needed.
	if rand.IntN(200) == 0 {
		if err := q.RateEventPrune(ctx, now.Add(-24*time.Hour)); err != nil {
			return false, err
		}
	}
	return true, nil
}
