package order

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// The Transactions totals over long ranges (every date, at a big school's size: a million payments) from a daily
// and monthly rollup, exact at any moment (migration 00024, docs/PERFORMANCE.md).
//
// txn_daily holds, for each UTC day before txn_rollup.through, the sums of settled payments and succeeded refunds
// by currency, payment system and status, as of the snapshot txn_rollup.snap that RollupTransactions read them at;
// txn_monthly the same for whole months. Every payment and refund carries changed_xid, the top-level id of the
// transaction that inserted it or last changed a column the totals read (a column default and a trigger keep it).
// A day is dirty when a row on it was written by a transaction that snapshot does not see, or a row of it was
// deleted or moved to another day (the triggers note those in txn_rollup_dirty): the totals then read that day from
// the rows, as they read the days the rollup does not cover (today, partial days at the range's ends). Everything
// is read in one statement, so under one snapshot: for a day that is not dirty, the rows the reader sees are the
// rows the rollup summed, value for value, so the sums equal a direct sum whatever commits concurrently. Nothing is
// added to the payment and refund statements and no row is shared between writers; the cost of a read grows with
// the rows changed since the last rollup, which the periodic job (TxnRollupInterval) keeps small.

// TxnRollupInterval is how often the periodic job folds the days changed since the last rollup.
const TxnRollupInterval = 10 * time.Minute

// txnDirtyDays are two CTEs to follow st (the rollup's snapshot): dirty lists the days (kind, day) whose rows that
// snapshot does not all see: rows written since, refunds of payments changed since (a refund is filed under its
// payment's system), and deletions. The rows written since are the recent end of payments_changed_idx and
// refunds_changed_idx; a changed payment's refunds are looked up by their payment.
const txnDirtyDays = `dp AS MATERIALIZED (
		SELECT p.id, p.created_at FROM st JOIN payments p ON p.changed_xid >= @since::xid8
		WHERE NOT pg_visible_in_snapshot(p.changed_xid, st.snap)),
	dirty AS MATERIALIZED (
		SELECT 'payment'::text AS kind, (dp.created_at AT TIME ZONE 'UTC')::date AS day FROM dp
		UNION SELECT 'refund', (r.created_at AT TIME ZONE 'UTC')::date
			FROM st JOIN refunds r ON r.changed_xid >= @since::xid8
			WHERE NOT pg_visible_in_snapshot(r.changed_xid, st.snap)
		UNION SELECT 'refund', (r.created_at AT TIME ZONE 'UTC')::date
			FROM dp CROSS JOIN LATERAL (SELECT r.created_at FROM refunds r WHERE r.payment_id = dp.id OFFSET 0) r
		UNION SELECT kind, day FROM txn_rollup_dirty)`

// txnRollupTotals is TransactionTotals from the rollup. Arguments: @lo the first whole day of the range (NULL: no
// start), @hi the day the range ends before, at a midnight (NULL: no end), @from and @to the range as instants
// (NULL: open), @status, @currency, @system the filters (NULL: any), @payments and @refunds the branches wanted,
// @since the rollup snapshot's xmin as read just before (see txnDirtyDays).
//
// [l, h) is the run of whole days the rollup answers for; the rest of [From, To) is read from the rows in "live"
// time ranges, and so are the dirty days within [l, h). Each range is an index range scan of its own (LATERAL, kept
// apart by OFFSET 0 so that the planner, which cannot know how many ranges there are, does not turn it into a hash
// join over a whole table): settled payments from payments_settled_idx, succeeded refunds by their creation.
const txnRollupTotals = `WITH st AS MATERIALIZED (
		SELECT (SELECT snap FROM txn_rollup) AS snap, coalesce((SELECT through FROM txn_rollup), '-infinity') AS through),
	` + txnDirtyDays + `,
	b AS MATERIALIZED (
		SELECT x.l, x.h, (x.l::timestamp AT TIME ZONE 'UTC') AS lt, (x.h::timestamp AT TIME ZONE 'UTC') AS ht,
		       coalesce(@from::timestamptz, '-infinity') AS a, coalesce(@to::timestamptz, 'infinity') AS z,
		       coalesce((SELECT array_agg(day) FROM dirty WHERE kind = 'payment'), '{}') AS dpay,
		       coalesce((SELECT array_agg(day) FROM dirty WHERE kind = 'refund'), '{}') AS dref
		FROM st, LATERAL (SELECT coalesce(@lo::date, '-infinity') AS l) l0,
		     LATERAL (SELECT l0.l AS l, greatest(l0.l, least(coalesce(@hi::date, 'infinity'), st.through)) AS h) x),
	-- [ml, mh): the whole months within [l, h), read from txn_monthly but for the months with a dirty day
	mb AS MATERIALIZED (
		SELECT y.ml, greatest(y.ml, date_trunc('month', b.h)::date) AS mh
		FROM b, LATERAL (SELECT least(b.h, CASE WHEN date_trunc('month', b.l)::date = b.l THEN b.l
		                                       ELSE (date_trunc('month', b.l) + interval '1 month')::date END) AS ml) y),
	dm AS MATERIALIZED (
		SELECT DISTINCT d.kind, date_trunc('month', d.day)::date AS month FROM dirty d, mb
		WHERE d.day >= mb.ml AND d.day < mb.mh),
	-- the days read from txn_daily: before ml, from mh on, and in the months with a dirty day
	dr AS MATERIALIZED (
		SELECT k.kind, r.s, r.e FROM b, mb, (VALUES ('payment'), ('refund')) k(kind),
		     LATERAL (VALUES (b.l, mb.ml), (mb.mh, b.h)) r(s, e)
		WHERE r.s < r.e
		UNION ALL
		SELECT dm.kind, dm.month, (dm.month + interval '1 month')::date FROM dm),
	live AS MATERIALIZED (
		SELECT k.kind, r.s, r.e
		FROM b, (VALUES ('payment'), ('refund')) k(kind),
		     LATERAL (VALUES (b.a, least(b.lt, b.z)), (greatest(b.ht, b.a), b.z)) r(s, e)
		WHERE r.s < r.e
		UNION ALL
		SELECT d.kind, d.day::timestamp AT TIME ZONE 'UTC', (d.day + 1)::timestamp AT TIME ZONE 'UTC'
		FROM dirty d, b WHERE d.day >= b.l AND d.day < b.h),
	sums AS (
		SELECT t.currency, sum(t.n) FILTER (WHERE t.kind = 'payment') AS payment_count,
		       sum(t.amount) FILTER (WHERE t.kind = 'payment') AS payments, sum(t.fee) AS fees,
		       sum(t.net) FILTER (WHERE t.kind = 'payment') AS net,
		       sum(t.n) FILTER (WHERE t.kind = 'refund') AS refund_count,
		       sum(t.amount) FILTER (WHERE t.kind = 'refund') AS refunds
		FROM b, dr CROSS JOIN LATERAL (
			SELECT t.* FROM txn_daily t WHERE t.day >= dr.s AND t.day < dr.e AND t.kind = dr.kind OFFSET 0) t
		WHERE ((t.kind = 'payment' AND @payments::bool) OR (t.kind = 'refund' AND @refunds::bool))
		  AND (@status::text IS NULL OR t.status = @status) AND (@currency::text IS NULL OR t.currency = @currency)
		  AND (@system::bigint IS NULL OR t.payment_system_id = @system)
		  AND t.day <> ALL (CASE t.kind WHEN 'payment' THEN b.dpay ELSE b.dref END)
		GROUP BY t.currency
		UNION ALL
		SELECT m.currency, sum(m.n) FILTER (WHERE m.kind = 'payment'),
		       sum(m.amount) FILTER (WHERE m.kind = 'payment'), sum(m.fee),
		       sum(m.net) FILTER (WHERE m.kind = 'payment'),
		       sum(m.n) FILTER (WHERE m.kind = 'refund'),
		       sum(m.amount) FILTER (WHERE m.kind = 'refund')
		FROM mb JOIN txn_monthly m ON m.month >= mb.ml AND m.month < mb.mh
		WHERE ((m.kind = 'payment' AND @payments::bool) OR (m.kind = 'refund' AND @refunds::bool))
		  AND (@status::text IS NULL OR m.status = @status) AND (@currency::text IS NULL OR m.currency = @currency)
		  AND (@system::bigint IS NULL OR m.payment_system_id = @system)
		  AND NOT EXISTS (SELECT 1 FROM dm WHERE dm.kind = m.kind AND dm.month = m.month)
		GROUP BY m.currency
		UNION ALL
		SELECT p.currency, count(*), sum(p.amount), sum(p.fee), sum(p.net), 0, 0
		FROM live r CROSS JOIN LATERAL (
			SELECT p.currency, p.amount, p.fee, p.net FROM payments p
			WHERE p.created_at >= r.s AND p.created_at < r.e AND ` + settledPayments + `
			  AND (@status::text IS NULL OR p.status = @status) AND (@currency::text IS NULL OR p.currency = @currency)
			  AND (@system::bigint IS NULL OR p.payment_system_id = @system) OFFSET 0) p
		WHERE r.kind = 'payment' AND @payments::bool
		GROUP BY p.currency
		UNION ALL
		SELECT x.currency, 0, 0, 0, 0, count(*), sum(x.amount)
		FROM live r CROSS JOIN LATERAL (
			SELECT rf.currency, rf.amount FROM refunds rf
			WHERE rf.status = 'succeeded' AND rf.created_at >= r.s AND rf.created_at < r.e
			  AND (@status::text IS NULL OR rf.status = @status) AND (@currency::text IS NULL OR rf.currency = @currency)
			  AND (@system::bigint IS NULL
			       OR (SELECT p.payment_system_id FROM payments p WHERE p.id = rf.payment_id) = @system)
			OFFSET 0) x
		WHERE r.kind = 'refund' AND @refunds::bool
		GROUP BY x.currency)
	SELECT currency, coalesce(sum(payment_count), 0)::bigint, coalesce(sum(payments), 0)::bigint,
	       coalesce(sum(fees), 0)::bigint, (coalesce(sum(net), 0) - coalesce(sum(refunds), 0))::bigint,
	       coalesce(sum(refund_count), 0)::bigint, coalesce(sum(refunds), 0)::bigint
	FROM sums GROUP BY currency
	HAVING coalesce(sum(payment_count), 0) + coalesce(sum(refund_count), 0) > 0
	ORDER BY currency`

// rollupTotals is TransactionTotals for a filter without a search, from the rollup and the rows it does not cover.
func (s *Service) rollupTotals(ctx context.Context, f TxnFilter, withPayments, withRefunds bool) ([]TxnTotal, error) {
	var lo, hi, from, to, status, currency, system any
	if !f.From.IsZero() {
		from = f.From
		d := dateOf(f.From.UTC())
		if d.Before(f.From) {
			d = d.AddDate(0, 0, 1)
		}
		lo = d
	}
	if !f.To.IsZero() {
		to, hi = f.To, dateOf(f.To.UTC())
	}
	if f.Status != "" {
		status = f.Status
	}
	if f.Currency != "" {
		currency = f.Currency
	}
	if f.PaymentSystemID > 0 {
		system = f.PaymentSystemID
	}
	// The rollup's xmin, read first, lets the planner see how few rows changed since (a generic bound would have it
	// plan for a third of the table, and compile the plan with JIT). Rollups commit in the order of their snapshots,
	// so the one the statement then reads has an xmin at least this one: rows below it are in its snapshot anyway.
	// No rollup yet: every changed row is looked at (the statement may see a rollup committed meanwhile).
	since := "0"
	if err := s.db.QueryRow(ctx, `SELECT coalesce((SELECT pg_snapshot_xmin(snap)::text FROM txn_rollup), '0')`).
		Scan(&since); err != nil {
		return nil, fmt.Errorf("transaction totals: %w", err)
	}
	rows, err := s.db.Query(ctx, txnRollupTotals, pgx.NamedArgs{"lo": lo, "hi": hi, "from": from, "to": to,
		"status": status, "currency": currency, "system": system, "payments": withPayments, "refunds": withRefunds,
		"since": since})
	if err != nil {
		return nil, fmt.Errorf("transaction totals: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanTxnTotal)
	if err != nil {
		return nil, fmt.Errorf("transaction totals: %w", err)
	}
	return out, nil
}

func scanTxnTotal(row pgx.CollectableRow) (TxnTotal, error) {
	var t TxnTotal
	err := row.Scan(&t.Currency, &t.PaymentCount, &t.Payments, &t.Fees, &t.Net, &t.RefundCount, &t.Refunds)
	return t, err
}

// TxnRollup is what one RollupTransactions did.
type TxnRollup struct {
	Through time.Time // the rollup now covers the days before this one (UTC)
	Days    int       // (kind, day) pairs summed again
	Rows    int64     // txn_daily rows written
}

// RollupTransactions brings the daily rollup of the Transactions totals up to the days before now's UTC date: it
// sums again the days changed since the last rollup and the days it did not cover yet, and records the snapshot
// it read them at. It runs in one REPEATABLE READ transaction (every statement sees that snapshot); two at once
// cannot both commit (the second fails to serialize and the next run does its work). Its cost grows with the days
// changed since the last run; the first run sums every row.
func (s *Service) RollupTransactions(ctx context.Context, now time.Time) (TxnRollup, error) {
	through := dateOf(now.UTC())
	res := TxnRollup{Through: through}
	tx, err := s.db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return res, fmt.Errorf("rollup transactions: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck
	var (
		old   *time.Time
		since string
	)
	err = tx.QueryRow(ctx, `SELECT through, pg_snapshot_xmin(snap)::text FROM txn_rollup FOR UPDATE`).Scan(&old, &since)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return res, fmt.Errorf("rollup transactions: %w", err)
	}
	// The ranges to sum again, per kind: each dirty day before through, and the days from the old through on.
	type ranges struct{ starts, ends []time.Time }
	redo := map[string]*ranges{TxnPayment: {}, TxnRefund: {}}
	add := func(kind string, s, e time.Time) {
		if s.Before(e) {
			redo[kind].starts, redo[kind].ends = append(redo[kind].starts, s), append(redo[kind].ends, e)
		}
	}
	start := time.Time{} // the first day not covered; zero: none is
	if old != nil {
		start = *old
		rows, err := tx.Query(ctx, `WITH st AS MATERIALIZED (SELECT (SELECT snap FROM txn_rollup) AS snap), `+
			txnDirtyDays+` SELECT kind, day FROM dirty`, pgx.NamedArgs{"since": since})
		if err != nil {
			return res, fmt.Errorf("rollup transactions: %w", err)
		}
		type kd struct {
			kind string
			day  time.Time
		}
		dirty, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (kd, error) {
			var d kd
			err := row.Scan(&d.kind, &d.day)
			return d, err
		})
		if err != nil {
			return res, fmt.Errorf("rollup transactions: %w", err)
		}
		for _, d := range dirty {
			if d.day.Before(start) && d.day.Before(through) {
				add(d.kind, d.day, d.day.AddDate(0, 0, 1))
			}
		}
	}
	for _, kind := range []string{TxnPayment, TxnRefund} {
		if start.IsZero() {
			add(kind, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), through)
		} else {
			add(kind, start, through)
		}
		res.Days += len(redo[kind].starts)
	}
	// The days summed again lose their rows first; so do the days from through on (a clock moved back).
	if _, err := tx.Exec(ctx, `DELETE FROM txn_daily t WHERE t.day >= $1
		OR (t.kind = 'payment' AND EXISTS (SELECT 1 FROM unnest($2::timestamptz[], $3::timestamptz[]) r(s, e)
		                                   WHERE t.day >= (r.s AT TIME ZONE 'UTC')::date AND t.day < (r.e AT TIME ZONE 'UTC')::date))
		OR (t.kind = 'refund' AND EXISTS (SELECT 1 FROM unnest($4::timestamptz[], $5::timestamptz[]) r(s, e)
		                                  WHERE t.day >= (r.s AT TIME ZONE 'UTC')::date AND t.day < (r.e AT TIME ZONE 'UTC')::date))`,
		through, redo[TxnPayment].starts, redo[TxnPayment].ends, redo[TxnRefund].starts, redo[TxnRefund].ends); err != nil {
		return res, fmt.Errorf("rollup transactions: %w", err)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO txn_daily (day, kind, currency, payment_system_id, status, n, amount, fee, net)
		SELECT (p.created_at AT TIME ZONE 'UTC')::date, 'payment', p.currency, p.payment_system_id, p.status,
		       count(*), sum(p.amount), sum(p.fee), sum(p.net)
		FROM unnest($1::timestamptz[], $2::timestamptz[]) r(s, e) CROSS JOIN LATERAL (
			SELECT p.created_at, p.currency, p.payment_system_id, p.status, p.amount, p.fee, p.net FROM payments p
			WHERE p.created_at >= r.s AND p.created_at < r.e AND `+settledPayments+`) p
		GROUP BY 1, 3, 4, 5
		UNION ALL
		SELECT (rf.created_at AT TIME ZONE 'UTC')::date, 'refund', rf.currency, p.payment_system_id, rf.status,
		       count(*), sum(rf.amount), 0, 0
		FROM unnest($3::timestamptz[], $4::timestamptz[]) r(s, e) CROSS JOIN LATERAL (
			SELECT rf.created_at, rf.currency, rf.status, rf.amount, rf.payment_id FROM refunds rf
			WHERE rf.status = 'succeeded' AND rf.created_at >= r.s AND rf.created_at < r.e) rf
		JOIN payments p ON p.id = rf.payment_id
		GROUP BY 1, 3, 4, 5`,
		redo[TxnPayment].starts, redo[TxnPayment].ends, redo[TxnRefund].starts, redo[TxnRefund].ends)
	if err != nil {
		return res, fmt.Errorf("rollup transactions: %w", err)
	}
	res.Rows = tag.RowsAffected()
	// The months: every month a summed range touches is summed again from txn_daily, when it is whole.
	if _, err := tx.Exec(ctx, `DELETE FROM txn_monthly m WHERE m.month >= date_trunc('month', $1::date)
		OR (m.kind = 'payment' AND EXISTS (SELECT 1 FROM unnest($2::timestamptz[], $3::timestamptz[]) r(s, e)
		                                   WHERE m.month < (r.e AT TIME ZONE 'UTC') AND m.month + interval '1 month' > (r.s AT TIME ZONE 'UTC')))
		OR (m.kind = 'refund' AND EXISTS (SELECT 1 FROM unnest($4::timestamptz[], $5::timestamptz[]) r(s, e)
		                                  WHERE m.month < (r.e AT TIME ZONE 'UTC') AND m.month + interval '1 month' > (r.s AT TIME ZONE 'UTC')))`,
		through, redo[TxnPayment].starts, redo[TxnPayment].ends, redo[TxnRefund].starts, redo[TxnRefund].ends); err != nil {
		return res, fmt.Errorf("rollup transactions: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO txn_monthly (month, kind, currency, payment_system_id, status, n, amount, fee, net)
		SELECT date_trunc('month', t.day)::date, t.kind, t.currency, t.payment_system_id, t.status,
		       sum(t.n), sum(t.amount), sum(t.fee), sum(t.net)
		FROM txn_daily t
		WHERE t.day < date_trunc('month', $1::date)
		  AND ((t.kind = 'payment' AND EXISTS (SELECT 1 FROM unnest($2::timestamptz[], $3::timestamptz[]) r(s, e)
		        WHERE date_trunc('month', t.day) < (r.e AT TIME ZONE 'UTC')
		          AND date_trunc('month', t.day) + interval '1 month' > (r.s AT TIME ZONE 'UTC')))
		    OR (t.kind = 'refund' AND EXISTS (SELECT 1 FROM unnest($4::timestamptz[], $5::timestamptz[]) r(s, e)
		        WHERE date_trunc('month', t.day) < (r.e AT TIME ZONE 'UTC')
		          AND date_trunc('month', t.day) + interval '1 month' > (r.s AT TIME ZONE 'UTC'))))
		GROUP BY 1, 2, 3, 4, 5`,
		through, redo[TxnPayment].starts, redo[TxnPayment].ends, redo[TxnRefund].starts, redo[TxnRefund].ends); err != nil {
		return res, fmt.Errorf("rollup transactions: %w", err)
	}
	// The deletions this snapshot sees are in the sums now; the snapshot is the one every statement above read at.
	if _, err := tx.Exec(ctx, `DELETE FROM txn_rollup_dirty`); err != nil {
		return res, fmt.Errorf("rollup transactions: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO txn_rollup (snap, through, rolled_at) VALUES (pg_current_snapshot(), $1, $2)
		ON CONFLICT (one) DO UPDATE SET snap = excluded.snap, through = excluded.through, rolled_at = excluded.rolled_at`,
		through, now); err != nil {
		return res, fmt.Errorf("rollup transactions: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("rollup transactions: %w", err)
	}
	return res, nil
}

// TxnRollupArgs is the periodic River job that runs RollupTransactions.
type TxnRollupArgs struct{}

// Kind names the job in River's table.
func (TxnRollupArgs) Kind() string { return "order.rollup_transactions" }

// InsertOpts are the job's defaults: one attempt, since the next run is the retry.
func (TxnRollupArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

// TxnRollupWorker works TxnRollupArgs jobs.
type TxnRollupWorker struct {
	river.WorkerDefaults[TxnRollupArgs]
	svc *Service
	log *slog.Logger
	now func() time.Time
}

// NewTxnRollupWorker returns the rollup worker of svc; now is the clock (nil: time.Now).
func NewTxnRollupWorker(svc *Service, log *slog.Logger, now func() time.Time) *TxnRollupWorker {
	if now == nil {
		now = time.Now
	}
	return &TxnRollupWorker{svc: svc, log: log, now: now}
}

// Register adds the worker to River's registry (internal/jobs calls it).
func (w *TxnRollupWorker) Register(ws *river.Workers) error { return river.AddWorkerSafely(ws, w) }

// PeriodicJob is the rollup's schedule: every TxnRollupInterval, and once at start-up, enqueued by whichever process
// River elected leader. Add it to the working client's PeriodicJobs.
func (w *TxnRollupWorker) PeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(TxnRollupInterval),
		func() (river.JobArgs, *river.InsertOpts) { return TxnRollupArgs{}, nil },
		&river.PeriodicJobOpts{ID: TxnRollupArgs{}.Kind(), RunOnStart: true})
}

// Work runs one rollup.
func (w *TxnRollupWorker) Work(ctx context.Context, _ *river.Job[TxnRollupArgs]) error {
	r, err := w.svc.RollupTransactions(ctx, w.now())
	if err != nil {
		return err
	}
	w.log.Debug("transactions rolled up", "through", r.Through.Format(time.DateOnly), "days", r.Days, "rows", r.Rows)
	return nil
}
