package crm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm/crmq"
	"github.com/bursar/bursar/internal/db"
)

// errDuplicateEmail is what the unique index on lower(email) becomes.
var errDuplicateEmail = check.Field("email", "a contact with this e-mail already exists")

func notFound(id int64) error { return fmt.Errorf("contact %d: %w", id, check.ErrNotFound) }

// storeErr maps the database's answers to the module's errors.
func storeErr(id int64, err error) error {
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return notFound(id)
	case errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "contacts_email_key":
		return errDuplicateEmail
	}
	return err
}

func fromRow(r crmq.Contact) (Contact, error) {
	c := Contact{ID: r.ID, Email: r.Email, Name: r.Name, Phone: r.Phone, Placeholder: r.Placeholder,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, CustomFields: map[string]string{}}
	if len(r.CustomFields) > 0 {
		if err := json.Unmarshal(r.CustomFields, &c.CustomFields); err != nil {
			return Contact{}, fmt.Errorf("contact %d custom fields: %w", r.ID, err)
		}
	}
	return c, nil
}

func getContact(ctx context.Context, tx db.DBTX, id int64, forUpdate bool) (Contact, error) {
	q := crmq.New(tx)
	var (
		r   crmq.Contact
		err error
	)
	if forUpdate {
		r, err = q.ContactGetForUpdate(ctx, id)
	} else {
		r, err = q.ContactGet(ctx, id)
	}
	if err != nil {
		return Contact{}, storeErr(id, err)
	}
	return fromRow(r)
}

func insertContact(ctx context.Context, tx db.DBTX, in Input, placeholder bool) (Contact, error) {
	cf, err := json.Marshal(in.CustomFields)
	if err != nil {
		return Contact{}, err
	}
	r, err := crmq.New(tx).ContactCreate(ctx, crmq.ContactCreateParams{
		Email: in.Email, Name: in.Name, Phone: in.Phone, CustomFields: cf, Placeholder: placeholder})
	if err != nil {
		return Contact{}, storeErr(0, err)
	}
	return fromRow(r)
}

func updateContact(ctx context.Context, tx db.DBTX, id int64, in Input) (Contact, error) {
	cf, err := json.Marshal(in.CustomFields)
	if err != nil {
		return Contact{}, err
	}
	r, err := crmq.New(tx).ContactUpdate(ctx, crmq.ContactUpdateParams{
		ID: id, Email: in.Email, Name: in.Name, Phone: in.Phone, CustomFields: cf})
	if err != nil {
		return Contact{}, storeErr(id, err)
	}
	return fromRow(r)
}

// searchExpr is the expression of contacts_search_idx; searching with ILIKE on it lets the trigram index serve.
const searchExpr = `(lower(email) || ' ' || lower(name) || ' ' || phone)`

// likePattern makes a "contains" ILIKE pattern from typed text, its wildcards escaped.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(q)) + "%"
}

// listContacts runs the dynamic list query: filters are appended as SQL fragments, their values as arguments.
func listContacts(ctx context.Context, tx db.DBTX, f Filter) ([]Contact, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.BeforeID > 0 {
		where = append(where, "id < "+arg(f.BeforeID))
	}
	if f.Email != "" {
		where = append(where, "lower(email) = lower("+arg(strings.TrimSpace(f.Email))+")")
	}
	const cols = "id, email, name, phone, custom_fields, placeholder, created_at, updated_at"
	sql := "SELECT " + cols + " FROM contacts"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		sql = searchContacts(sql, cols, len(where) > 0, arg(likePattern(q)), arg(f.Limit+1))
	} else {
		sql += " ORDER BY id DESC LIMIT " + arg(f.Limit+1)
	}
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	recs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[crmq.Contact])
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	out := make([]Contact, 0, len(recs))
	for _, r := range recs {
		c, err := fromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// searchWindow is how many of the newest contacts a search looks through one by one before it asks the trigram
// index for the older matches.
const searchWindow = 2000

// searchContacts is the list query base (the contacts the other filters select; filtered says whether it has a
// WHERE) narrowed to those matching the ILIKE pattern, newest first, limit rows. Which plan is fast depends on
// where the matches are, which no estimate knows: a common fragment is found by walking the newest contacts by id,
// a rare one by the trigram index, and a fragment of middling frequency whose matches are all old (5% of contacts,
// the newest 70,000 ids back) took 680 ms by the walk, which the planner chose. So the query does both, each where
// it is cheap: it walks the newest searchWindow contacts, and only when they hold less than a page does it collect
// the older matches through contacts_search_idx (the gate is a one-time filter: that scan does not run otherwise),
// their ids only, in a CTE of their own (with the order and limit inside, the planner would walk the key again),
// and reads the newest of them.
func searchContacts(base, cols string, filtered bool, pattern, limit string) string {
	and := " WHERE "
	if filtered {
		and = " AND "
	}
	return `WITH w AS MATERIALIZED (` + base + ` ORDER BY id DESC LIMIT ` + strconv.Itoa(searchWindow) + `),
		hit AS MATERIALIZED (SELECT ` + cols + ` FROM w WHERE ` + searchExpr + ` ILIKE ` + pattern + `
			ORDER BY id DESC LIMIT ` + limit + `),
		older AS MATERIALIZED (SELECT id FROM (` + base + and + searchExpr + ` ILIKE ` + pattern + `
			AND id < (SELECT min(id) FROM w)
			AND (SELECT count(*) FROM hit) < ` + limit + ` AND (SELECT count(*) FROM w) = ` + strconv.Itoa(searchWindow) + `) o)
		SELECT * FROM hit UNION ALL SELECT ` + cols + ` FROM contacts
			WHERE id IN (SELECT id FROM older ORDER BY id DESC LIMIT ` + limit + `)
		ORDER BY id DESC LIMIT ` + limit
}

func addEvent(ctx context.Context, tx db.DBTX, contactID int64, kind, message, actor string) error {
	err := crmq.New(tx).EventAdd(ctx, crmq.EventAddParams{ContactID: contactID, Kind: kind, Message: message, Actor: actor})
	return eventErr(contactID, kind, err)
}

// addEventEmail is addEvent that returns the contact's e-mail, from the same statement.
func addEventEmail(ctx context.Context, tx db.DBTX, contactID int64, kind, message, actor string) (string, error) {
	email, err := crmq.New(tx).EventAddEmail(ctx, crmq.EventAddEmailParams{ContactID: contactID, Kind: kind,
		Message: message, Actor: actor})
	return email, eventErr(contactID, kind, err)
}

// eventErr is addEvent's error from the insert's: an unknown contact is not found.
func eventErr(contactID int64, kind string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return notFound(contactID)
	}
	if err != nil {
		return fmt.Errorf("timeline event %s: %w", kind, err)
	}
	return nil
}
