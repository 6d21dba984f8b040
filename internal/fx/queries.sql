-- name: RateList :many
SELECT id, base, quote, rate::text AS rate, updated_at, updated_by
FROM exchange_rates ORDER BY base, quote;

-- name: RateGet :one
SELECT id, base, quote, rate::text AS rate, updated_at, updated_by
FROM exchange_rates WHERE id = $1;

-- name: RatePair :many
-- The direct rate and the reverse one, direct first.
SELECT id, base, quote, rate::text AS rate, updated_at, updated_by
FROM exchange_rates
WHERE (base = sqlc.arg(from_code) AND quote = sqlc.arg(to_code))
   OR (base = sqlc.arg(to_code) AND quote = sqlc.arg(from_code))
ORDER BY (base = sqlc.arg(from_code)) DESC;

-- name: RatePut :one
INSERT INTO exchange_rates (base, quote, rate, updated_by)
VALUES (sqlc.arg(base), sqlc.arg(quote), sqlc.arg(rate)::text::numeric, sqlc.arg(updated_by))
ON CONFLICT (base, quote) DO UPDATE
SET rate = EXCLUDED.rate, updated_by = EXCLUDED.updated_by, updated_at = now()
RETURNING id, base, quote, rate::text AS rate, updated_at, updated_by, (xmax = 0) AS inserted;

-- name: RateDelete :one
DELETE FROM exchange_rates WHERE id = $1
RETURNING id, base, quote, rate::text AS rate, updated_at, updated_by;
