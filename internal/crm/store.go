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
	if q := strings.TrimSpace(f.Query); q != "" {
		where = append(where, searchExpr+" ILIKE "+arg(likePattern(q)))
	}
	sql := "SELECT id, email, name, phone, custom_fields, placeholder, created_at, updated_at FROM contacts"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY id DESC LIMIT " + arg(f.Limit+1)
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
