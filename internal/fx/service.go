package fx

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/fx/fxq"
	"github.com/bursar/bursar/internal/money"
)

// Service keeps the exchange rates and converts with them.
type Service struct {
	db    *pgxpool.Pool
	audit *audit.Log
}

// NewService returns the exchange rates on pool, auditing changes to al.
func NewService(pool *pgxpool.Pool, al *audit.Log) *Service { return &Service{db: pool, audit: al} }

// List returns every rate, by base and quote.
func (s *Service) List(ctx context.Context) ([]Rate, error) {
	rows, err := fxq.New(s.db).RateList(ctx)
	if err != nil {
		return nil, fmt.Errorf("list exchange rates: %w", err)
	}
	out := make([]Rate, len(rows))
	for i, r := range rows {
		out[i] = rate(fxq.RateGetRow(r))
	}
	return out, nil
}

// Get returns rate id or an error wrapping check.ErrNotFound.
func (s *Service) Get(ctx context.Context, id int64) (Rate, error) {
	r, err := fxq.New(s.db).RateGet(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Rate{}, notFound(id)
	}
	if err != nil {
		return Rate{}, fmt.Errorf("get exchange rate %d: %w", id, err)
	}
	return rate(r), nil
}

// Save adds the rate of a currency pair, or updates it when the pair has one; audited. It reports whether the
// rate is new. Bad input is a check.Errors on base, quote or rate.
func (s *Service) Save(ctx context.Context, n NewRate) (Rate, bool, error) {
	n = n.Normalize()
	canon, err := n.Validate()
	if err != nil {
		return Rate{}, false, err
	}
	var out Rate
	var inserted bool
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		r, err := fxq.New(tx).RatePut(ctx, fxq.RatePutParams{
			Base: n.Base, Quote: n.Quote, Rate: canon, UpdatedBy: audit.ActorFrom(ctx).Label,
		})
		if err != nil {
			return fmt.Errorf("save exchange rate %s/%s: %w", n.Base, n.Quote, err)
		}
		inserted = r.Inserted
		out = rate(fxq.RateGetRow{ID: r.ID, Base: r.Base, Quote: r.Quote, Rate: r.Rate, UpdatedAt: r.UpdatedAt, UpdatedBy: r.UpdatedBy})
		action := "exchange_rate.update"
		if inserted {
			action = "exchange_rate.create"
		}
		return s.audit.RecordTx(ctx, tx, action, "exchange_rate", out.ID, map[string]any{
			"base": out.Base, "quote": out.Quote, "rate": out.Rate,
		})
	})
	if err != nil {
		return Rate{}, false, err
	}
	return out, inserted, nil
}

// Delete removes rate id, audited; an unknown id is an error wrapping check.ErrNotFound.
func (s *Service) Delete(ctx context.Context, id int64) (Rate, error) {
	var out Rate
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		r, err := fxq.New(tx).RateDelete(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound(id)
		}
		if err != nil {
			return fmt.Errorf("delete exchange rate %d: %w", id, err)
		}
		out = rate(fxq.RateGetRow(r))
		return s.audit.RecordTx(ctx, tx, "exchange_rate.delete", "exchange_rate", id, map[string]any{
			"base": out.Base, "quote": out.Quote, "rate": out.Rate,
		})
	})
	return out, err
}

// Convert is ConvertTx on the pool.
func (s *Service) Convert(ctx context.Context, m money.Money, to string) (money.Money, error) {
	return s.ConvertTx(ctx, s.db, m, to)
}

// ConvertTx converts m into currency to with the school's rates, exactly (see Convert): the same currency is
// unchanged; otherwise the direct rate is used, or the inverse of the reverse rate when only that exists. With no
// rate it returns a check.Errors on "currency" that tells the admin what to add.
func (s *Service) ConvertTx(ctx context.Context, tx db.DBTX, m money.Money, to string) (money.Money, error) {
	if m.Currency == to {
		return m, nil
	}
	if !money.Known(to) {
		return money.Money{}, check.Field("currency", "must be an ISO 4217 currency code such as EUR")
	}
	rows, err := fxq.New(tx).RatePair(ctx, fxq.RatePairParams{FromCode: m.Currency, ToCode: to})
	if err != nil {
		return money.Money{}, fmt.Errorf("read exchange rate %s/%s: %w", m.Currency, to, err)
	}
	if len(rows) == 0 {
		return money.Money{}, missingRate(m.Currency, to)
	}
	r, ok := new(big.Rat).SetString(rows[0].Rate)
	if !ok || r.Sign() <= 0 {
		return money.Money{}, fmt.Errorf("exchange rate %d: bad value %q", rows[0].ID, rows[0].Rate)
	}
	if rows[0].Base != m.Currency { // only the reverse rate exists
		r.Inv(r)
	}
	return Convert(m, r, to)
}

func rate(r fxq.RateGetRow) Rate {
	return Rate{ID: r.ID, Base: r.Base, Quote: r.Quote, Rate: canonicalText(r.Rate), UpdatedAt: r.UpdatedAt, UpdatedBy: r.UpdatedBy}
}

func notFound(id int64) error { return fmt.Errorf("exchange rate %d: %w", id, check.ErrNotFound) }
