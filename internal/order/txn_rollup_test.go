package order_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"pgregory.net/rapid"

	"github.com/bursar/bursar/internal/order"
)

// The Transactions totals from the daily rollup (txn_rollup.go) are exact: after any sequence of payments and
// refunds inserted on any day, their statuses and amounts changed, rows deleted, rollups run at any time (the clock
// going back too) and writes committed or rolled back across a rollup, every filter's totals equal a direct sum over
// the rows the filter selects.

// txnRollupBase is the middle of the fixture's days.
var txnRollupBase = time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)

// directTotals sums the rows f selects, as the definition says: settled payments and succeeded refunds (a refund
// under its payment's system) recorded in [From, To), in the branches f's kind and status allow.
func directTotals(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, f order.TxnFilter) ([]order.TxnTotal, error) {
	pay := f.Kind != order.TxnRefund && (f.Status == "" || slices.Contains(order.PaymentStatuses, f.Status))
	ref := f.Kind != order.TxnPayment && (f.Status == "" || slices.Contains(order.RefundStatuses, f.Status))
	if !pay && !ref {
		return []order.TxnTotal{}, nil
	}
	var from, to, status, currency, system any
	if !f.From.IsZero() {
		from = f.From
	}
	if !f.To.IsZero() {
		to = f.To
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
	rows, err := q.Query(ctx, `SELECT currency, sum(pc)::bigint, sum(pa)::bigint, sum(fee)::bigint,
		(sum(net) - sum(ra))::bigint, sum(rc)::bigint, sum(ra)::bigint FROM (
		SELECT p.currency, 1 AS pc, p.amount AS pa, p.fee, p.net, 0 AS rc, 0 AS ra FROM payments p
		WHERE $1 AND p.status IN ('succeeded', 'refunded', 'partially_refunded')
		  AND ($3::text IS NULL OR p.status = $3) AND ($4::text IS NULL OR p.currency = $4)
		  AND ($5::bigint IS NULL OR p.payment_system_id = $5)
		  AND ($6::timestamptz IS NULL OR p.created_at >= $6) AND ($7::timestamptz IS NULL OR p.created_at < $7)
		UNION ALL
		SELECT r.currency, 0, 0, 0, 0, 1, r.amount FROM refunds r JOIN payments p ON p.id = r.payment_id
		WHERE $2 AND r.status = 'succeeded'
		  AND ($3::text IS NULL OR r.status = $3) AND ($4::text IS NULL OR r.currency = $4)
		  AND ($5::bigint IS NULL OR p.payment_system_id = $5)
		  AND ($6::timestamptz IS NULL OR r.created_at >= $6) AND ($7::timestamptz IS NULL OR r.created_at < $7)
		) t GROUP BY currency ORDER BY currency`, pay, ref, status, currency, system, from, to)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (order.TxnTotal, error) {
		var t order.TxnTotal
		err := row.Scan(&t.Currency, &t.PaymentCount, &t.Payments, &t.Fees, &t.Net, &t.RefundCount, &t.Refunds)
		return t, err
	})
}

func TestTxnRollupExact(t *testing.T) {
	f := newFixture(t, nil)
	ctx := f.ctx
	o := f.open()
	var systems []int64
	for _, typ := range []string{"manual", "stripe"} {
		var id int64
		if err := f.pool.QueryRow(ctx, `INSERT INTO payment_systems (type, name, mode, settings, enabled)
			VALUES ($1, $1 || ' rollup', 'live', '{}', true) RETURNING id`, typ).Scan(&id); err != nil {
			t.Fatal(err)
		}
		systems = append(systems, id)
	}
	// At a random instant within the fixture's days (and a little after), whole days mostly.
	instant := func(rt *rapid.T, label string) time.Time {
		// Around the month ends: 2026-04-30, 05-01, 05-31, 06-01, 06-02, 06-14, 06-15, 06-16, 06-30, 07-01, 07-02.
		day := rapid.SampledFrom([]int{-46, -45, -15, -14, -13, -1, 0, 1, 15, 16, 17}).Draw(rt, label+" day")
		secs := rapid.SampledFrom([]int{0, 0, 1, 3600, 43200, 86399}).Draw(rt, label+" second")
		return txnRollupBase.AddDate(0, 0, day).Add(time.Duration(secs) * time.Second)
	}
	paymentStatus := rapid.SampledFrom(order.PaymentStatuses)
	refundStatus := rapid.SampledFrom(order.RefundStatuses)
	currency := rapid.SampledFrom([]string{"EUR", "USD"})

	rapid.Check(t, func(rt *rapid.T) {
		// TRUNCATE clears the rollup too (its trigger): each run starts with no rollup. payment_proofs refer to payments.
		if _, err := f.pool.Exec(ctx, `TRUNCATE payments, refunds, payment_proofs`); err != nil {
			rt.Fatal(err)
		}
		if _, err := f.pool.Exec(ctx, `DELETE FROM txn_rollup_dirty`); err != nil {
			rt.Fatal(err)
		}
		var payments, refunds []int64
		// one random write, on the pool or inside an open transaction
		writeOne := func(rt *rapid.T, tx pgx.Tx) {
			exec := func(sql string, args ...any) {
				var err error
				if tx != nil {
					_, err = tx.Exec(ctx, sql, args...)
				} else {
					_, err = f.pool.Exec(ctx, sql, args...)
				}
				if err != nil {
					rt.Fatal(err)
				}
			}
			// insert runs an INSERT … RETURNING id and adds the id to ids (nothing inserted: a deleted payment's refund).
			insert := func(ids *[]int64, sql string, args ...any) {
				var id int64
				var err error
				if tx != nil {
					err = tx.QueryRow(ctx, sql, args...).Scan(&id)
				} else {
					err = f.pool.QueryRow(ctx, sql, args...).Scan(&id)
				}
				switch {
				case err == nil:
					*ids = append(*ids, id)
				case !errors.Is(err, pgx.ErrNoRows):
					rt.Fatal(err)
				}
			}
			kinds := []string{"payment", "payment", "refund", "refund"}
			if len(payments) > 0 {
				kinds = append(kinds, "payment status", "payment status", "payment amount", "payment system", "move payment", "delete payment")
			}
			if len(refunds) > 0 {
				kinds = append(kinds, "refund status", "refund amount")
			}
			switch rapid.SampledFrom(kinds).Draw(rt, "write") {
			case "payment":
				amount := rapid.Int64Range(1, 10000).Draw(rt, "amount")
				fee := rapid.Int64Range(0, amount).Draw(rt, "fee")
				insert(&payments, `INSERT INTO payments (order_id, payment_system_id, mode, status,
					amount, currency, fee, net, paid_on, created_at) VALUES ($1, $2, 'live', $3, $4, $5, $6, $7, $8::date, $8)
					RETURNING id`, o.ID, rapid.SampledFrom(systems).Draw(rt, "system"), paymentStatus.Draw(rt, "status"),
					amount, currency.Draw(rt, "currency"), fee, amount-fee, instant(rt, "recorded"))
			case "refund":
				if len(payments) == 0 {
					return
				}
				insert(&refunds, `INSERT INTO refunds (payment_id, amount, currency, status, created_at)
					SELECT id, $2, currency, $3, $4 FROM payments WHERE id = $1 RETURNING id`, rapid.SampledFrom(payments).Draw(rt, "payment"),
					rapid.Int64Range(1, 5000).Draw(rt, "refund amount"), refundStatus.Draw(rt, "refund status"),
					instant(rt, "refunded"))
			case "payment status":
				exec(`UPDATE payments SET status = $2, updated_at = now() WHERE id = $1`,
					rapid.SampledFrom(payments).Draw(rt, "payment"), paymentStatus.Draw(rt, "status"))
			case "payment amount":
				exec(`UPDATE payments SET amount = amount + 1, net = net + 1 WHERE id = $1`,
					rapid.SampledFrom(payments).Draw(rt, "payment"))
			case "payment system":
				exec(`UPDATE payments SET payment_system_id = $2 WHERE id = $1`,
					rapid.SampledFrom(payments).Draw(rt, "payment"), rapid.SampledFrom(systems).Draw(rt, "system"))
			case "move payment":
				exec(`UPDATE payments SET created_at = $2 WHERE id = $1`,
					rapid.SampledFrom(payments).Draw(rt, "payment"), instant(rt, "moved to"))
			case "delete payment":
				exec(`DELETE FROM payments WHERE id = $1`, rapid.SampledFrom(payments).Draw(rt, "payment"))
			case "refund status":
				exec(`UPDATE refunds SET status = $2 WHERE id = $1`, rapid.SampledFrom(refunds).Draw(rt, "refund"),
					refundStatus.Draw(rt, "refund status"))
			case "refund amount":
				exec(`UPDATE refunds SET amount = amount + 7 WHERE id = $1`, rapid.SampledFrom(refunds).Draw(rt, "refund"))
			}
		}
		rollup := func(rt *rapid.T) {
			if _, err := f.svc.RollupTransactions(ctx, instant(rt, "rollup at")); err != nil {
				rt.Fatal(err)
			}
		}
		check := func(rt *rapid.T) {
			var tf order.TxnFilter
			if rapid.Bool().Draw(rt, "from") {
				tf.From = instant(rt, "from at")
			}
			if rapid.Bool().Draw(rt, "to") {
				tf.To = instant(rt, "to at")
				if !tf.From.IsZero() && !tf.To.After(tf.From) {
					tf.To = tf.From.Add(time.Hour)
				}
			}
			tf.Kind = rapid.SampledFrom([]string{"", "", order.TxnPayment, order.TxnRefund}).Draw(rt, "kind")
			tf.Status = rapid.SampledFrom(append([]string{"", "", ""}, order.PaymentStatuses...)).Draw(rt, "filter status")
			tf.Currency = rapid.SampledFrom([]string{"", "", "EUR", "USD"}).Draw(rt, "filter currency")
			if rapid.Bool().Draw(rt, "filter system") {
				tf.PaymentSystemID = rapid.SampledFrom(systems).Draw(rt, "filter system id")
			}
			tf.Attempts = rapid.Bool().Draw(rt, "attempts")
			got, err := f.svc.TransactionTotals(ctx, tf)
			if err != nil {
				rt.Fatal(err)
			}
			want, err := directTotals(ctx, f.pool, tf)
			if err != nil {
				rt.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				rt.Fatalf("filter %+v: totals %v, direct sums %v", tf, got, want)
			}
		}
		steps := rapid.IntRange(5, 50).Draw(rt, "steps")
		for range steps {
			switch rapid.SampledFrom([]string{"write", "write", "write", "rollup", "across"}).Draw(rt, "step") {
			case "write":
				writeOne(rt, nil)
				check(rt)
			case "rollup":
				rollup(rt)
				check(rt)
			case "across":
				// A write whose transaction is open while a rollup reads (its snapshot does not see the write), then
				// commits or rolls back.
				tx, err := f.pool.Begin(ctx)
				if err != nil {
					rt.Fatal(err)
				}
				np, nr := len(payments), len(refunds)
				writeOne(rt, tx)
				rollup(rt)
				check(rt)
				if rapid.Bool().Draw(rt, "commit") {
					err = tx.Commit(ctx)
				} else {
					err = tx.Rollback(ctx)
					payments, refunds = payments[:np], refunds[:nr]
				}
				if err != nil {
					rt.Fatal(err)
				}
			}
		}
		check(rt)
		rollup(rt)
		check(rt)
	})
}
