package paylink

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/paylink/paylinkq"
)

// linkColumns are payment_links' columns in paylinkq.PaymentLink's order.
const linkColumns = `id, contact_id, offer_id, custom, title, amount, currency, payment_system_ids, language, note, status,
	decline_reason, order_id, voided_by, creator_type, creator_id, creator_label, expires_at, first_opened_at,
	last_opened_at, decided_at, decided_by, created_at, updated_at`

// List returns one page of links under f, newest first (with a date range, by creation time).
func (s *Service) List(ctx context.Context, f Filter) (Page, error) {
	if f.Status != "" && !contains(Statuses, f.Status) {
		return Page{}, check.Field("status", "must be one of active, paid, cancelled, declined, expired, voided")
	}
	if f.CreatorType != "" && f.CreatorType != "admin" && f.CreatorType != "api" {
		return Page{}, check.Field("creator", "must be admin:<id> or api:<id>")
	}
	var (
		conds []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.Replace(cond, "?", "$"+strconv.Itoa(len(args)), 1))
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	if f.ContactID > 0 {
		add("contact_id = ?", f.ContactID)
	}
	if f.OfferID > 0 {
		add("offer_id = ?", f.OfferID)
	}
	if f.CreatorType != "" {
		add("creator_type = ?", f.CreatorType)
		add("creator_id = ?", f.CreatorID)
	}
	if !f.From.IsZero() {
		add("created_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		add("created_at < ?", f.To)
	}
	byTime := !f.From.IsZero() || !f.To.IsZero()
	orderBy := " ORDER BY id DESC"
	if byTime {
		orderBy = " ORDER BY created_at DESC, id DESC"
	}
	switch {
	case f.BeforeID > 0 && byTime:
		add("(created_at, id) < (SELECT created_at, id FROM payment_links WHERE id = ?)", f.BeforeID)
	case f.BeforeID > 0:
		add("id < ?", f.BeforeID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, MaxList)
	sql := "SELECT " + linkColumns + " FROM payment_links"
	if len(conds) > 0 {
		sql += " WHERE " + strings.Join(conds, " AND ")
	}
	rows, err := s.db.Query(ctx, sql+orderBy+" LIMIT "+strconv.Itoa(limit+1), args...)
	if err != nil {
		return Page{}, fmt.Errorf("list payment links: %w", err)
	}
	rs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[paylinkq.PaymentLink])
	if err != nil {
		return Page{}, fmt.Errorf("list payment links: %w", err)
	}
	var p Page
	if len(rs) > limit {
		rs = rs[:limit]
		p.NextBeforeID = rs[limit-1].ID
	}
	p.Links = make([]Link, len(rs))
	for i, r := range rs {
		p.Links[i] = s.rec.link(r)
	}
	return p, nil
}
