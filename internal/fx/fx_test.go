package fx_test

import (
	"context"
	"errors"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/fx"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
)

var _ order.Rates = (*fx.Service)(nil)

func TestMain(m *testing.M) { dbtest.Main(m) }

func newService(t *testing.T) (*fx.Service, *pgxpool.Pool, context.Context) {
	t.Helper()
	pool := dbtest.New(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorAdmin, ID: 1, Label: "owner@school.test"})
	return fx.NewService(pool, audit.New(pool)), pool, ctx
}

func mustSave(t *testing.T, s *fx.Service, ctx context.Context, base, quote, rate string) fx.Rate {
	t.Helper()
	r, _, err := s.Save(ctx, fx.NewRate{Base: base, Quote: quote, Rate: rate})
	if err != nil {
		t.Fatalf("save %s/%s %s: %v", base, quote, rate, err)
	}
	return r
}

func TestConvertTx(t *testing.T) {
	t.Parallel()
	s, pool, ctx := newService(t)
	mustSave(t, s, ctx, "EUR", "UAH", "41,25")
	mustSave(t, s, ctx, "EUR", "JPY", "160.5")
	mustSave(t, s, ctx, "USD", "KWD", "0.3075")
	mustSave(t, s, ctx, "USD", "EUR", "0.9")
	mustSave(t, s, ctx, "EUR", "USD", "1.2") // both directions set: the direct one wins
	tests := []struct {
		name string
		in   money.Money
		to   string
		want money.Money
	}{
		{"Direct", money.New(4000, "EUR"), "UAH", money.New(165000, "UAH")},
		{"HalfUp", money.New(4990, "EUR"), "UAH", money.New(205838, "UAH")}, // 205837.5
		{"InverseOnly", money.New(4125, "UAH"), "EUR", money.New(100, "EUR")},
		{"InverseRoundsDown", money.New(100000, "UAH"), "EUR", money.New(2424, "EUR")}, // 2424.24…
		{"InverseHalfUp", money.New(165, "UAH"), "EUR", money.New(4, "EUR")},           // 4.0
		{"ToJPY", money.New(1000, "EUR"), "JPY", money.New(1605, "JPY")},
		{"FromJPY", money.New(1605, "JPY"), "EUR", money.New(1000, "EUR")},
		{"FromJPYRounds", money.New(1, "JPY"), "EUR", money.New(1, "EUR")}, // 0.623… cents
		{"ToKWD", money.New(10000, "USD"), "KWD", money.New(30750, "KWD")},
		{"FromKWD", money.New(30750, "KWD"), "USD", money.New(10000, "USD")},
		{"DirectWinsOverInverse", money.New(1000, "EUR"), "USD", money.New(1200, "USD")},
		{"OtherDirection", money.New(1000, "USD"), "EUR", money.New(900, "EUR")},
		{"SameCurrency", money.New(4990, "EUR"), "EUR", money.New(4990, "EUR")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ConvertTx(ctx, pool, tt.in, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("%v → %s = %v, want %v", tt.in, tt.to, got, tt.want)
			}
		})
	}
}

func TestConvertTxErrors(t *testing.T) {
	t.Parallel()
	s, pool, ctx := newService(t)
	mustSave(t, s, ctx, "EUR", "UAH", "41.25")
	tests := []struct {
		name string
		in   money.Money
		to   string
		msg  string
	}{
		{"NoRate", money.New(100, "EUR"), "PLN", "no exchange rate from EUR to PLN: add one in Settings"},
		{"NoRateEitherWay", money.New(100, "GBP"), "UAH", "no exchange rate from GBP to UAH: add one in Settings"},
		{"UnknownCurrency", money.New(100, "EUR"), "XXX", "must be an ISO 4217 currency code such as EUR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.ConvertTx(ctx, pool, tt.in, tt.to)
			e, ok := check.AsErrors(err)
			if !ok || e["currency"] != tt.msg {
				t.Fatalf("err %v, want currency: %q", err, tt.msg)
			}
		})
	}
	_, err := s.ConvertTx(ctx, pool, money.New(money.MaxAmount, "EUR"), "UAH")
	if e, ok := check.AsErrors(err); !ok || e["amount"] == "" {
		t.Fatalf("overflow: %v", err)
	}
}

func TestConvertRounding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		amount int64
		rate   string
		want   int64
	}{
		{"HalfUp", 5, "0.5", 3},             // 2.5
		{"BelowHalf", 5, "0.49", 2},         // 2.45
		{"NegativeHalfAway", -5, "0.5", -3}, // -2.5
		{"NegativeBelowHalf", -5, "0.49", -2},
		{"Exact", 4, "0.5", 2},
		{"TinyRate", 1, "0.0000000001", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := new(big.Rat).SetString(tt.rate)
			got, err := fx.Convert(money.New(tt.amount, "EUR"), r, "USD")
			if err != nil || got.Amount != tt.want || got.Currency != "USD" {
				t.Fatalf("got %v, %v; want %d USD", got, err, tt.want)
			}
		})
	}
}

// TestConvertRoundTrip converts there and back with a rate and its inverse: the result differs from the start by
// no more than the two roundings can explain, whatever the exponents.
func TestConvertRoundTrip(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 7))
	codes := []string{"EUR", "UAH", "JPY", "KWD", "USD", "CLP", "BHD"}
	checked := 0
	for i := range 5000 {
		from, to := codes[rng.IntN(len(codes))], codes[rng.IntN(len(codes))]
		// A rate with up to 10 decimals between 0.0001 and 10000.
		rate := new(big.Rat).SetFrac(big.NewInt(rng.Int64N(100_000_000_000_000)+1_000_000), big.NewInt(10_000_000_000))
		amount := rng.Int64N(10_000_000) + 1
		there, err := fx.Convert(money.New(amount, from), rate, to)
		if e, ok := check.AsErrors(err); ok && e["amount"] != "" {
			continue // beyond money.MaxAmount: refused, nothing to round-trip
		}
		if err != nil {
			t.Fatal(err)
		}
		checked++
		back, err := fx.Convert(there, new(big.Rat).Inv(rate), from)
		if err != nil {
			t.Fatal(err)
		}
		// |back − amount| ≤ ½ + ½ · (1/rate) · 10^(exp(from) − exp(to)): the first rounding scaled back, plus the second.
		bound := new(big.Rat).Inv(rate)
		bound.Mul(bound, pow10(money.Exponent(from)-money.Exponent(to)))
		bound.Add(bound, big.NewRat(1, 1))
		bound.Mul(bound, big.NewRat(1, 2))
		diff := new(big.Rat).SetInt64(back.Amount - amount)
		diff.Abs(diff)
		if diff.Cmp(bound) > 0 {
			t.Fatalf("case %d: %d %s → %v at %s → %v: off by %s > %s", i, amount, from, there, rate.FloatString(10), back,
				diff.FloatString(3), bound.FloatString(3))
		}
	}
	if checked < 4000 {
		t.Fatalf("only %d of 5000 cases fit money.MaxAmount", checked)
	}
}

func pow10(n int) *big.Rat {
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(n, -n))), nil)
	if n < 0 {
		return new(big.Rat).SetFrac(big.NewInt(1), p)
	}
	return new(big.Rat).SetInt(p)
}

func TestSaveValidation(t *testing.T) {
	t.Parallel()
	s, pool, ctx := newService(t)
	tests := []struct {
		name  string
		in    fx.NewRate
		field string
	}{
		{"EmptyRate", fx.NewRate{Base: "EUR", Quote: "UAH", Rate: " "}, "rate"},
		{"Zero", fx.NewRate{Base: "EUR", Quote: "UAH", Rate: "0,00"}, "rate"},
		{"Negative", fx.NewRate{Base: "EUR", Quote: "UAH", Rate: "-41.25"}, "rate"},
		{"NotANumber", fx.NewRate{Base: "EUR", Quote: "UAH", Rate: "abc"}, "rate"},
		{"TwoSeparators", fx.NewRate{Base: "EUR", Quote: "UAH", Rate: "1.000,5"}, "rate"},
		{"Exponent", fx.NewRate{Base: "EUR", Quote: "UAH", Rate: "1e3"}, "rate"},
		{"TooManyDecimals", fx.NewRate{Base: "EUR", Quote: "UAH", Rate: "1.12345678901"}, "rate"},
		{"TooLarge", fx.NewRate{Base: "EUR", Quote: "UAH", Rate: "1000000000.01"}, "rate"},
		{"UnknownBase", fx.NewRate{Base: "EUE", Quote: "UAH", Rate: "41.25"}, "base"},
		{"EmptyQuote", fx.NewRate{Base: "EUR", Quote: "", Rate: "41.25"}, "quote"},
		{"SameCurrency", fx.NewRate{Base: "eur", Quote: "EUR", Rate: "1"}, "quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := s.Save(ctx, tt.in)
			if e, ok := check.AsErrors(err); !ok || e[tt.field] == "" {
				t.Fatalf("err %v, want a message on %s", err, tt.field)
			}
		})
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM exchange_rates`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows %d, %v", n, err)
	}
}

func TestSaveUpdateDelete(t *testing.T) {
	t.Parallel()
	s, pool, ctx := newService(t)
	r, inserted, err := s.Save(ctx, fx.NewRate{Base: " eur ", Quote: "uah", Rate: "41,2500"})
	if err != nil || !inserted {
		t.Fatalf("save: %v, inserted %v", err, inserted)
	}
	if r.Base != "EUR" || r.Quote != "UAH" || r.Rate != "41.25" || r.UpdatedBy != "owner@school.test" {
		t.Fatalf("saved %+v", r)
	}
	r2, inserted, err := s.Save(ctx, fx.NewRate{Base: "EUR", Quote: "UAH", Rate: "1 000 000 000"})
	if err != nil || inserted || r2.ID != r.ID || r2.Rate != "1000000000" {
		t.Fatalf("update: %+v, inserted %v, %v", r2, inserted, err)
	}
	mustSave(t, s, ctx, "EUR", "JPY", "0.0000000001")
	list, err := s.List(ctx)
	if err != nil || len(list) != 2 || list[0].Quote != "JPY" || list[0].Rate != "0.0000000001" {
		t.Fatalf("list %+v, %v", list, err)
	}
	if _, err := s.Delete(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, r.ID); !errors.Is(err, check.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.Get(ctx, r.ID); !errors.Is(err, check.ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	var actions []string
	rows, err := pool.Query(ctx, `SELECT action FROM audit_log WHERE entity = 'exchange_rate' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		actions = append(actions, a)
	}
	want := []string{"exchange_rate.create", "exchange_rate.update", "exchange_rate.create", "exchange_rate.delete"}
	if len(actions) != len(want) {
		t.Fatalf("audit %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Fatalf("audit %v, want %v", actions, want)
		}
	}
}
