package access

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/bursar/bursar/internal/access/accessq"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db"
)

func notFound(id int64) error { return fmt.Errorf("access grant %d: %w", id, check.ErrNotFound) }

// storeErr maps the database's answers to the module's errors; the foreign keys tell unknown contacts and products.
func storeErr(id int64, err error) error {
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return notFound(id)
	case errors.As(err, &pgErr) && pgErr.Code == "23503" && pgErr.ConstraintName == "access_grants_contact_id_fkey":
		return check.Field("contact_id", "no contact has this id")
	case errors.As(err, &pgErr) && pgErr.Code == "23503" && pgErr.ConstraintName == "access_grants_product_id_fkey":
		return check.Field("product_id", "no product has this id")
	}
	return err
}

func fromRow(r accessq.AccessGrant) Grant {
	g := Grant{ID: r.ID, ContactID: r.ContactID, ProductID: r.ProductID, Source: r.Source, SourceRef: r.SourceRef,
		StartsAt: r.StartsAt, EndsAt: r.EndsAt, RevokedAt: r.RevokedAt, RevokeReason: r.RevokeReason, CreatedAt: r.CreatedAt,
		PausedAt: r.PausedAt, PauseReason: r.PauseReason}
	if r.TransferredFrom != nil {
		g.TransferredFrom = *r.TransferredFrom
	}
	return g
}

func fromRows(rs []accessq.AccessGrant) []Grant {
	out := make([]Grant, 0, len(rs))
	for _, r := range rs {
		out = append(out, fromRow(r))
	}
	return out
}

func getGrant(ctx context.Context, tx db.DBTX, id int64) (Grant, error) {
	r, err := accessq.New(tx).GrantGet(ctx, id)
	if err != nil {
		return Grant{}, storeErr(id, err)
	}
	return fromRow(r), nil
}

// activeGrant returns the contact's grant of product in force with the latest end, locked; ok is false when none.
func activeGrant(ctx context.Context, tx db.DBTX, contactID, productID int64) (Grant, bool, error) {
	r, err := accessq.New(tx).GrantActiveFor(ctx, accessq.GrantActiveForParams{ContactID: contactID, ProductID: productID})
	if errors.Is(err, pgx.ErrNoRows) {
		return Grant{}, false, nil
	}
	if err != nil {
		return Grant{}, false, fmt.Errorf("active grant: %w", err)
	}
	return fromRow(r), true, nil
}

func insertGrant(ctx context.Context, tx db.DBTX, n NewGrant, end *time.Time) (Grant, error) {
	p := accessq.GrantCreateParams{ContactID: n.ContactID, ProductID: n.ProductID, Source: n.Source,
		SourceRef: n.SourceRef, StartsAt: n.StartsAt, EndsAt: end}
	if n.TransferredFrom > 0 {
		p.TransferredFrom = &n.TransferredFrom
	}
	r, err := accessq.New(tx).GrantCreate(ctx, p)
	if err != nil {
		return Grant{}, storeErr(0, err)
	}
	return fromRow(r), nil
}

// revokeGrant revokes grant id if it is not revoked (and, when inForce, not expired). When the conditional update
// touches no row it tells why: not found, already revoked, or expired.
func revokeGrant(ctx context.Context, tx db.DBTX, id int64, reason string, inForce bool) (Grant, error) {
	q := accessq.New(tx)
	var (
		r   accessq.AccessGrant
		err error
	)
	if inForce {
		r, err = q.GrantRevokeActive(ctx, accessq.GrantRevokeActiveParams{ID: id, Reason: reason})
	} else {
		r, err = q.GrantRevoke(ctx, accessq.GrantRevokeParams{ID: id, Reason: reason})
	}
	if errors.Is(err, pgx.ErrNoRows) {
		g, gerr := getGrant(ctx, tx, id)
		switch {
		case gerr != nil:
			return Grant{}, gerr
		case g.RevokedAt != nil:
			return Grant{}, fmt.Errorf("access grant %d: %w", id, ErrRevoked)
		default:
			return Grant{}, fmt.Errorf("access grant %d: %w", id, ErrExpired)
		}
	}
	if err != nil {
		return Grant{}, fmt.Errorf("revoke access grant %d: %w", id, err)
	}
	return fromRow(r), nil
}
