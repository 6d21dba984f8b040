package order

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
)

// Transactions: every payment and every refund, across payment systems, newest first. The filters are dynamic, so
// the query is written here with its values always as arguments.

// Transaction kinds.
const (
	TxnPayment = "payment"
	TxnRefund  = "refund"
)

// Txn is one transaction: a payment (attempt) or a refund.
type Txn struct {
	Kind            string // payment or refund
	ID              int64  // the payment's or the refund's id
	PaymentID       int64  // the payment (a refund's: the payment it returns money of)
	OrderID         int64
	OrderNumber     string
	ContactID       int64 // 0 for a visitor's order not paid yet
	PaymentSystemID int64
	GatewayRef      string // the payment's gateway reference
	RefundRef       string // a refund's own gateway id (Stripe re_…), when the gateway made it
	Amount          money.Money
	Fee             int64 // minor units of Amount.Currency; 0 for refunds
	Net             int64 // what the school keeps: amount less fee, or minus the amount refunded
	Status          string
	PaidOn          time.Time // payments: the date paid (the payer's, for manual payments); zero for refunds
	At              time.Time // when it was recorded
}

// TxnFilter narrows Transactions. Zero values do not filter.
type TxnFilter struct {
	PaymentSystemID int64
	Kind            string // payment or refund
	// Status is a payment status, or a refund's (pending, succeeded, failed). Without it, failed and pending payment
	// attempts and failed refunds are left out unless Attempts is set.
	Status   string
	Attempts bool
	Currency string
	From, To time.Time // recorded in [From, To)
	// Search is a gateway reference (a payment's, its second one, or a refund's) or an order number, exactly.
	Search string
	Cursor string // TxnPage.NextCursor of the previous page
	Limit  int    // default 50, at most MaxList
}

// TxnPage is one page of transactions, newest first; NextCursor is "" on the last page.
type TxnPage struct {
	Txns       []Txn
	NextCursor string
}

// TxnTotal is the money of the filtered transactions in one currency: money is never summed across currencies.
// Only money that moved counts: settled payments (succeeded, refunded, partially refunded) and succeeded refunds.
type TxnTotal struct {
	Currency     string
	Payments     int64 // amounts paid
	Refunds      int64 // amounts refunded
	Fees         int64 // fees of the payments
	Net          int64 // payments less fees less refunds
	PaymentCount int64
	RefundCount  int64
}

// RefundStatuses lists the statuses a refund has.
var RefundStatuses = []string{RefundPending, RefundSucceeded, RefundFailed}

// txnCursor is a position in the list: (recorded, kind, id) of the last transaction shown. At the same instant
// refunds come before payments.
type txnCursor struct {
	at   time.Time
	kind string
	id   int64
}

func (c txnCursor) String() string {
	k := "p"
	if c.kind == TxnRefund {
		k = "r"
	}
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "t:%d:%s:%d", c.at.UnixMicro(), k, c.id))
}

// parseTxnCursor reads a cursor made by txnCursor.String; ok is false for "" (the first page).
func parseTxnCursor(s string) (c txnCursor, ok bool, err error) {
	if s == "" {
		return txnCursor{}, false, nil
	}
	bad := check.Field("cursor", "is not a cursor this list returned")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return txnCursor{}, false, bad
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != 4 || parts[0] != "t" || (parts[2] != "p" && parts[2] != "r") {
		return txnCursor{}, false, bad
	}
	us, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || id <= 0 {
		return txnCursor{}, false, bad
	}
	c = txnCursor{at: time.UnixMicro(us).UTC(), kind: TxnPayment, id: id}
	if parts[2] == "r" {
		c.kind = TxnRefund
	}
	return c, true, nil
}

// validate checks f and reads its cursor.
func (f *TxnFilter) validate() (txnCursor, bool, error) {
	e := check.Errors{}
	if f.Kind != "" && f.Kind != TxnPayment && f.Kind != TxnRefund {
		e.Add("kind", "must be payment or refund")
	}
	if f.Status != "" && !slices.Contains(PaymentStatuses, f.Status) && !slices.Contains(RefundStatuses, f.Status) {
		e.Add("status", "must be one of "+strings.Join(PaymentStatuses, ", "))
	}
	f.Currency = strings.ToUpper(strings.TrimSpace(f.Currency))
	if f.Currency != "" && !money.Known(f.Currency) {
		e.Add("currency", "must be an ISO 4217 currency code such as EUR")
	}
	if f.PaymentSystemID < 0 {
		e.Add("payment_system_id", "must be a positive whole number")
	}
	f.Search = strings.TrimSpace(f.Search)
	e.Text("q", f.Search, false, 200)
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		e.Add("to", "must be after the start date")
	}
	c, ok, err := parseTxnCursor(f.Cursor)
	if err != nil {
		e.Add("cursor", "is not a cursor this list returned")
	}
	return c, ok, e.Err()
}

// txnQuery builds the two branches of the list (payments, refunds) with their arguments.
type txnQuery struct {
	args []any
}

func (q *txnQuery) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// settledPayments is the condition on payments p of money that arrived, written out as payments_settled_idx's
// predicate so the planner can read the totals from that index alone.
const settledPayments = "p.status IN ('succeeded', 'refunded', 'partially_refunded')"

// visiblePayments are the payment statuses listed without "show failed attempts".
var visiblePayments = []string{PaymentSucceeded, PaymentProcessing, PaymentRefunded, PaymentPartiallyRefunded}

// visibleRefunds are the refund statuses listed without "show failed attempts".
var visibleRefunds = []string{RefundPending, RefundSucceeded}

// conds is the WHERE of one branch: statuses is the branch's status condition when f names none (nil: any).
func (q *txnQuery) conds(f TxnFilter, status, currency, created, id string, statuses []string) []string {
	var c []string
	switch {
	case f.Status != "":
		c = append(c, status+" = "+q.arg(f.Status))
	case statuses != nil:
		c = append(c, status+" = ANY("+q.arg(statuses)+"::text[])")
	}
	if f.PaymentSystemID > 0 {
		c = append(c, "p.payment_system_id = "+q.arg(f.PaymentSystemID))
	}
	if f.Currency != "" {
		c = append(c, currency+" = "+q.arg(f.Currency))
	}
	if !f.From.IsZero() {
		c = append(c, created+" >= "+q.arg(f.From))
	}
	if !f.To.IsZero() {
		c = append(c, created+" < "+q.arg(f.To))
	}
	if f.Search != "" {
		s := q.arg(f.Search)
		if strings.HasPrefix(id, "r.") {
			// A refund of a payment the search finds, or the refund's own reference: each side read from an index.
			c = append(c, "(r.payment_id = ANY(ARRAY(SELECT p2.id FROM payments p2 WHERE "+paymentSearch("p2", s)+
				")) OR (r.gateway_ref = "+s+" AND r.gateway_ref <> ''))")
		} else {
			c = append(c, "("+paymentSearch("p", s)+")")
		}
	}
	return c
}

// paymentSearch is the condition on payments alias that finds the order numbered s or a gateway reference s: three
// index lookups (orders' number, payments_ref_idx, payments_alt_ref_idx) that the planner ORs as bitmaps.
func paymentSearch(alias, s string) string {
	return alias + ".order_id = (SELECT id FROM orders WHERE number = upper(" + s + ")) OR (" +
		alias + ".gateway_ref = " + s + " AND " + alias + ".gateway_ref <> '') OR (" +
		alias + ".gateway_alt_ref = " + s + " AND " + alias + ".gateway_alt_ref <> '')"
}

// branches says which of the two branches can hold what f selects: a status may be a payment's, a refund's or
// both (pending, succeeded, failed), and a branch that cannot match is not queried at all.
func (f TxnFilter) branches() (payments, refunds bool) {
	payments, refunds = f.Kind != TxnRefund, f.Kind != TxnPayment
	if f.Status != "" {
		payments = payments && slices.Contains(PaymentStatuses, f.Status)
		refunds = refunds && slices.Contains(RefundStatuses, f.Status)
	}
	return payments, refunds
}

func whereOf(c []string) string {
	if len(c) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c, " AND ")
}

const (
	paymentBranch = `SELECT 'payment'::text AS kind, p.id, p.id AS payment_id, p.order_id, o.number,
		coalesce(o.contact_id, 0) AS contact_id, p.payment_system_id, p.gateway_ref, ''::text AS refund_ref, p.amount,
		p.currency, p.fee, p.net, p.status, p.paid_on, p.created_at AS at
		FROM payments p JOIN orders o ON o.id = p.order_id`
	refundBranch = `SELECT 'refund'::text AS kind, r.id, r.payment_id, p.order_id, o.number,
		coalesce(o.contact_id, 0) AS contact_id, p.payment_system_id, p.gateway_ref, r.gateway_ref AS refund_ref,
		r.amount, r.currency, 0::bigint AS fee, -r.amount AS net, r.status, NULL::date AS paid_on, r.created_at AS at
		FROM refunds r JOIN payments p ON p.id = r.payment_id JOIN orders o ON o.id = p.order_id`
)

// statusSet is what a branch lists when the filter names no status.
func statusSet(f TxnFilter, visible []string) []string {
	if f.Attempts {
		return nil
	}
	return visible
}

// Transactions returns one page of payments and refunds, newest first.
func (s *Service) Transactions(ctx context.Context, f TxnFilter) (TxnPage, error) {
	cur, paged, err := f.validate()
	if err != nil {
		return TxnPage{}, err
	}
	limit := limitOf(f.Limit)
	var (
		q        txnQuery
		branches []string
	)
	lim := strconv.Itoa(limit + 1)
	withPayments, withRefunds := f.branches()
	if !withPayments && !withRefunds {
		return TxnPage{Txns: []Txn{}}, nil
	}
	if withPayments {
		c := q.conds(f, "p.status", "p.currency", "p.created_at", "p.id", statusSet(f, visiblePayments))
		if paged {
			// Payments recorded at the cursor's instant come after its refunds.
			after := cur.id
			if cur.kind == TxnRefund {
				after = math.MaxInt64
			}
			c = append(c, "(p.created_at, p.id) < ("+q.arg(cur.at)+", "+q.arg(after)+")")
		}
		branches = append(branches, "("+paymentBranch+whereOf(c)+" ORDER BY p.created_at DESC, p.id DESC LIMIT "+lim+")")
	}
	if withRefunds {
		c := q.conds(f, "r.status", "r.currency", "r.created_at", "r.id", statusSet(f, visibleRefunds))
		if paged {
			after := cur.id
			if cur.kind == TxnPayment {
				after = 0 // every refund of that instant was shown before the payment
			}
			c = append(c, "(r.created_at, r.id) < ("+q.arg(cur.at)+", "+q.arg(after)+")")
		}
		branches = append(branches, "("+refundBranch+whereOf(c)+" ORDER BY r.created_at DESC, r.id DESC LIMIT "+lim+")")
	}
	sql := "SELECT * FROM (" + strings.Join(branches, " UNION ALL ") + ") t ORDER BY at DESC, kind DESC, id DESC LIMIT " + lim
	rows, err := s.db.Query(ctx, sql, q.args...)
	if err != nil {
		return TxnPage{}, fmt.Errorf("list transactions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Txn, error) {
		var (
			t        Txn
			currency string
			paidOn   *time.Time
		)
		err := row.Scan(&t.Kind, &t.ID, &t.PaymentID, &t.OrderID, &t.OrderNumber, &t.ContactID, &t.PaymentSystemID,
			&t.GatewayRef, &t.RefundRef, &t.Amount.Amount, &currency, &t.Fee, &t.Net, &t.Status, &paidOn, &t.At)
		t.Amount.Currency = currency
		if paidOn != nil {
			t.PaidOn = *paidOn
		}
		return t, err
	})
	if err != nil {
		return TxnPage{}, fmt.Errorf("list transactions: %w", err)
	}
	var p TxnPage
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		p.NextCursor = txnCursor{at: last.At, kind: last.Kind, id: last.ID}.String()
	}
	p.Txns = out
	return p, nil
}

// TransactionTotals sums the money of every transaction f selects (its cursor and limit aside), per currency,
// sorted by currency. Without a search the sums come from the daily rollup (txn_rollup.go) for the whole days it
// covers and has not seen change, and from the rows for the rest (today, partial days, days changed since): exact,
// and their cost does not grow with the range. A search (an order number or a gateway reference, a few rows) is
// summed from the rows it finds: orders only to search by order number (a lookup), payments under refunds only for
// a payment system.
func (s *Service) TransactionTotals(ctx context.Context, f TxnFilter) ([]TxnTotal, error) {
	f.Cursor = ""
	if _, _, err := f.validate(); err != nil {
		return nil, err
	}
	var (
		q        txnQuery
		branches []string
	)
	withPayments, withRefunds := f.branches()
	if !withPayments && !withRefunds {
		return []TxnTotal{}, nil
	}
	if f.Search == "" {
		return s.rollupTotals(ctx, f, withPayments, withRefunds)
	}
	if withPayments {
		c := q.conds(f, "p.status", "p.currency", "p.created_at", "p.id", statusSet(f, visiblePayments))
		c = append(c, settledPayments)
		branches = append(branches, `SELECT p.currency, count(*) AS payment_count, sum(p.amount) AS payments,
			sum(p.fee) AS fees, sum(p.net) AS net, 0::bigint AS refund_count, 0::numeric AS refunds
			FROM payments p`+whereOf(c)+" GROUP BY p.currency")
	}
	if withRefunds {
		c := q.conds(f, "r.status", "r.currency", "r.created_at", "r.id", statusSet(f, visibleRefunds))
		c = append(c, "r.status = "+q.arg(RefundSucceeded))
		from := " FROM refunds r"
		if f.PaymentSystemID > 0 {
			from += " JOIN payments p ON p.id = r.payment_id"
		}
		branches = append(branches, `SELECT r.currency, 0::bigint AS payment_count, 0::numeric AS payments,
			0::numeric AS fees, 0::numeric AS net, count(*) AS refund_count, sum(r.amount) AS refunds`+from+
			whereOf(c)+" GROUP BY r.currency")
	}
	sql := `SELECT currency, sum(payment_count)::bigint, sum(payments)::bigint, sum(fees)::bigint,
		(sum(net) - sum(refunds))::bigint, sum(refund_count)::bigint, sum(refunds)::bigint
		FROM (` + strings.Join(branches, " UNION ALL ") + `) t GROUP BY currency ORDER BY currency`
	rows, err := s.db.Query(ctx, sql, q.args...)
	if err != nil {
		return nil, fmt.Errorf("transaction totals: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanTxnTotal)
	if err != nil {
		return nil, fmt.Errorf("transaction totals: %w", err)
	}
	return out, nil
}
