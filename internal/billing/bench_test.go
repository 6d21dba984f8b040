package billing_test

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/mailer"
	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/settings"
)

// cachedSystems keeps payment systems read once, as the app's catalog cache does.
type cachedSystems struct {
	billing.Systems
	mu sync.Mutex
	m  map[int64]gateway.System
}

func (c *cachedSystems) Get(ctx context.Context, id int64) (gateway.System, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.m[id]; ok {
		return s, nil
	}
	s, err := c.Systems.Get(ctx, id)
	if err == nil {
		c.m[id] = s
	}
	return s, err
}

// BenchmarkIssue100k issues one period's receipts for BILLING_BENCH_N (default 100,000) active enrollments, each
// with its own payer, made by set-based SQL: every receipt with its payment link (and that link's offer), number,
// timelines, audit and e-mail in the outbox. It reports the seconds IssueDue took and the process's peak RSS
// (VmHWM). Run with `make bench-billing` (docs/PERFORMANCE.md).
func BenchmarkIssue100k(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("BILLING_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	start := time.Date(2027, 1, 10, 10, 0, 0, 0, madrid)
	f := newFixture(b, start)
	of := f.newOffer(offer.Tuition, 4900, "EUR", 0, 1, nil)
	ctx := context.Background()
	f.clock.Set(start.Add(30 * 24 * time.Hour))
	if _, err := f.pool.Exec(ctx, `
		INSERT INTO contacts (email) SELECT 'bench' || g || '@example.com' FROM generate_series(1, $1) g;
	`, n); err != nil {
		b.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `
		INSERT INTO enrollments (offer_id, kind, payer_id, learner_id, status, title, amount, currency, first_due,
		                         every, unit, day, periods, time_zone, grace_days, remind_days, payment_system_ids,
		                         language, next_period, next_issue_at, paid_through, activated_at, creator)
		SELECT $1, 'tuition', c.id, c.id, 'active', 'Spanish tuition', 4900, 'EUR', $2, 1, 'month', 0, 0,
		       'Europe/Madrid', 7, 3, ARRAY[$3::bigint], 'en', 1, $4, $5, $2, 'bench'
		FROM contacts c WHERE c.email LIKE 'bench%'`,
		of.ID, start, f.cards.ID, start.Add(24*24*time.Hour), start.Add(31*24*time.Hour)); err != nil {
		b.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	// A pool as the app's (BURSAR_DB_MAX_CONNS default) and the real mailer (the outbox), not the test's recorder.
	cfg := f.pool.Config().Copy()
	cfg.MaxConns = 10
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	al := audit.New(pool)
	st := settings.NewService(pool, al)
	d := f.deps
	d.Mailer = mailer.New(notify.NewService(pool), st, "https://school.test")
	d.Systems = &cachedSystems{Systems: d.Systems, m: map[int64]gateway.System{}}
	svc, err := billing.NewService(pool, al, f.cfg, d)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	t0 := time.Now()
	issued, err := svc.IssueDue(ctx)
	took := time.Since(t0)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if issued != n {
		b.Fatalf("issued %d; want %d", issued, n)
	}
	if got := f.count(`SELECT max(seq) FROM receipts WHERE year = 2027`); got != n {
		b.Fatalf("numbers: last %d; want %d", got, n)
	}
	// Every receipt has its own link, timeline lines, audit entry and one e-mail with its job, as one by one.
	for _, q := range []string{
		`SELECT count(*) FROM payment_links WHERE custom`,
		`SELECT count(DISTINCT offer_id) FROM payment_links`,
		`SELECT count(*) FROM enrollment_events WHERE kind = 'receipt.issued'`,
		`SELECT count(*) FROM contact_events WHERE kind = 'receipt.issued'`,
		`SELECT count(*) FROM audit_log WHERE action = 'receipt.issue'`,
		`SELECT count(*) FROM outbound_emails WHERE related_type = 'receipt'`,
		`SELECT count(*) FROM river_job WHERE kind = 'notify.email'`,
	} {
		if got := f.count(q); got != n {
			b.Fatalf("%s: %d; want %d", q, got, n)
		}
	}
	b.ReportMetric(took.Seconds(), "s/issue-run")
	b.ReportMetric(float64(n)/took.Seconds(), "receipts/s")
	b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
	for i := 1; i < b.N; i++ {
		_ = i // one run: issuing is not repeatable on the same data
	}
}

// peakRSSMB is the process's peak resident set size (VmHWM) in MB.
func peakRSSMB() float64 {
	fh, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}
