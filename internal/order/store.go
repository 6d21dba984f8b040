package order

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order/orderq"
)

// contactRef is a contact id as the orders table holds it: NULL (0 here) for a visitor's order not paid yet.
func contactRef(id int64) *int64 {
	if id <= 0 {
		return nil
	}
	return &id
}

func fromRow(r orderq.Order) Order {
	var contactID int64
	if r.ContactID != nil {
		contactID = *r.ContactID
	}
	return Order{ID: r.ID, Number: r.Number, Status: Status(r.Status), OfferID: r.OfferID, OfferTitle: r.OfferTitle,
		ContactID: contactID, PaymentSystemID: r.PaymentSystemID, Price: money.New(r.Amount, r.Currency),
		ListPrice: money.New(r.ListAmount, r.ListCurrency), Language: r.Language, Channel: r.Channel,
		CreatedAt: r.CreatedAt, DeadlineAt: r.DeadlineAt, DecidedAt: r.DecidedAt, DecidedBy: r.DecidedBy,
		DecisionNote: r.DecisionNote, UpdatedAt: r.UpdatedAt}
}

func paymentFromRow(r orderq.Payment) Payment {
	return Payment{ID: r.ID, OrderID: r.OrderID, PaymentSystemID: r.PaymentSystemID, Mode: r.Mode, Status: r.Status,
		Amount: money.New(r.Amount, r.Currency), Fee: r.Fee, Net: r.Net, PaidOn: r.PaidOn, Comment: r.Comment,
		GatewayRef: r.GatewayRef, PayerEmail: r.PayerEmail, CreatedAt: r.CreatedAt}
}

// getOrder reads order id with its payments.
func getOrder(ctx context.Context, tx db.DBTX, id int64) (Order, error) {
	r, err := orderq.New(tx).OrderGet(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Order{}, NotFoundError(id)
	}
	if err != nil {
		return Order{}, fmt.Errorf("read order %d: %w", id, err)
	}
	o := fromRow(r)
	return o, attachPayments(ctx, tx, []*Order{&o})
}

// attachPayments fills in the payments of orders with one query.
func attachPayments(ctx context.Context, tx db.DBTX, orders []*Order) error {
	if len(orders) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(orders))
	byID := make(map[int64]*Order, len(orders))
	for _, o := range orders {
		ids = append(ids, o.ID)
		byID[o.ID] = o
		o.Payments = []Payment{}
	}
	rows, err := orderq.New(tx).PaymentsForOrders(ctx, ids)
	if err != nil {
		return fmt.Errorf("read payments: %w", err)
	}
	for _, r := range rows {
		o := byID[r.OrderID]
		o.Payments = append(o.Payments, paymentFromRow(r))
	}
	return nil
}

// where builds a WHERE clause from conditions; values are always arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, v any) {
	w.args = append(w.args, v)
	w.conds = append(w.conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(w.args))))
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

func limitOf(n int) int {
	if n <= 0 {
		return 50
	}
	return min(n, MaxList)
}

const orderColumns = `id, number, status, offer_id, offer_title, contact_id, payment_system_id, amount, currency,
	list_amount, list_currency, language, channel, deadline_at, decided_at, decided_by, decision_note, created_at,
	updated_at`

// listOrders is the keyset-paged admin list: newest first, each filter backed by an index on (column, id). With a
// date range it is ordered by (created_at, id), the index the range is read from (orders_created_id_idx), with the
// same cursor: the page after order BeforeID starts below that order's (created_at, id).
func listOrders(ctx context.Context, tx db.DBTX, f Filter) (Page, error) {
	var w where
	if f.Status != "" {
		w.add("status = ?", string(f.Status))
	}
	if f.OfferID > 0 {
		w.add("offer_id = ?", f.OfferID)
	}
	if f.PaymentSystemID > 0 {
		w.add("payment_system_id = ?", f.PaymentSystemID)
	}
	if f.ContactID > 0 {
		w.add("contact_id = ?", f.ContactID)
	}
	if !f.From.IsZero() {
		w.add("created_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		w.add("created_at < ?", f.To)
	}
	byTime := !f.From.IsZero() || !f.To.IsZero()
	order := " ORDER BY id DESC"
	if byTime {
		order = " ORDER BY created_at DESC, id DESC"
	}
	switch {
	case f.BeforeID > 0 && byTime:
		w.add("(created_at, id) < (SELECT created_at, id FROM orders WHERE id = ?)", f.BeforeID)
	case f.BeforeID > 0:
		w.add("id < ?", f.BeforeID)
	}
	limit := limitOf(f.Limit)
	rows, err := tx.Query(ctx, "SELECT "+orderColumns+" FROM orders"+w.sql()+order+" LIMIT "+strconv.Itoa(limit+1),
		w.args...)
	if err != nil {
		return Page{}, fmt.Errorf("list orders: %w", err)
	}
	rs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[orderq.Order])
	if err != nil {
		return Page{}, fmt.Errorf("list orders: %w", err)
	}
	var p Page
	if len(rs) > limit {
		rs = rs[:limit]
		p.NextBeforeID = rs[limit-1].ID
	}
	p.Orders = make([]Order, len(rs))
	ptrs := make([]*Order, len(rs))
	for i, r := range rs {
		p.Orders[i] = fromRow(r)
		ptrs[i] = &p.Orders[i]
	}
	return p, attachPayments(ctx, tx, ptrs)
}

// listPayments is the Payments tab: newest first, keyset by payment id; with a date range ordered by
// (created_at, id), the index the range is read from (payments_created_idx), the cursor staying a payment id.
func listPayments(ctx context.Context, tx db.DBTX, f PaymentFilter) (PaymentPage, error) {
	var w where
	if f.Status != "" {
		w.add("p.status = ?", f.Status)
	}
	if f.PaymentSystemID > 0 {
		w.add("p.payment_system_id = ?", f.PaymentSystemID)
	}
	if f.ContactID > 0 {
		w.add("o.contact_id = ?", f.ContactID)
	}
	if !f.From.IsZero() {
		w.add("p.created_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		w.add("p.created_at < ?", f.To)
	}
	byTime := !f.From.IsZero() || !f.To.IsZero()
	order := " ORDER BY p.id DESC"
	if byTime {
		order = " ORDER BY p.created_at DESC, p.id DESC"
	}
	switch {
	case f.BeforeID > 0 && byTime:
		w.add("(p.created_at, p.id) < (SELECT created_at, id FROM payments WHERE id = ?)", f.BeforeID)
	case f.BeforeID > 0:
		w.add("p.id < ?", f.BeforeID)
	}
	limit := limitOf(f.Limit)
	rows, err := tx.Query(ctx, `SELECT p.id, p.order_id, p.payment_system_id, p.status, p.amount, p.currency, p.fee,
		p.net, p.paid_on, p.comment, p.gateway_ref, p.payer_email, p.created_at, o.number, o.status, coalesce(o.contact_id, 0),
		o.offer_title
		FROM payments p JOIN orders o ON o.id = p.order_id`+w.sql()+order+" LIMIT "+strconv.Itoa(limit+1), w.args...)
	if err != nil {
		return PaymentPage{}, fmt.Errorf("list payments: %w", err)
	}
	defer rows.Close()
	var out []PaymentRow
	for rows.Next() {
		var (
			r        PaymentRow
			amount   int64
			currency string
			status   string
		)
		if err := rows.Scan(&r.ID, &r.OrderID, &r.PaymentSystemID, &r.Status, &amount, &currency, &r.Fee, &r.Net,
			&r.PaidOn, &r.Comment, &r.GatewayRef, &r.PayerEmail, &r.CreatedAt, &r.OrderNumber, &status,
			&r.ContactID, &r.OfferTitle); err != nil {
			return PaymentPage{}, fmt.Errorf("list payments: %w", err)
		}
		r.Amount, r.OrderStatus = money.New(amount, currency), Status(status)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return PaymentPage{}, fmt.Errorf("list payments: %w", err)
	}
	var p PaymentPage
	if len(out) > limit {
		out = out[:limit]
		p.NextBeforeID = out[limit-1].ID
	}
	p.Payments = out
	return p, nil
}
