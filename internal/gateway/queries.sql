-- name: PaymentSystemsCount :one
SELECT count(*) FROM payment_systems;

-- name: PaymentSystemCreate :one
INSERT INTO payment_systems (type, name, description, image_url, mode, settings, enabled)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id, created_at;

-- name: PaymentSystemSetCredentials :execrows
UPDATE payment_systems SET credentials_sealed = $2, credential_names = @names::text[] WHERE id = $1;

-- name: PaymentSystemGet :one
SELECT *
FROM payment_systems WHERE id = $1;

-- name: PaymentSystemGetForUpdate :one
SELECT *
FROM payment_systems WHERE id = $1 FOR UPDATE;

-- name: PaymentSystemsByIDs :many
SELECT *
FROM payment_systems WHERE id = ANY(@ids::bigint[]);

-- name: PaymentSystemsList :many
SELECT *
FROM payment_systems
WHERE id > @after_id
ORDER BY id
LIMIT @max_rows;

-- name: PaymentSystemUpdate :execrows
UPDATE payment_systems
SET name = $2, description = $3, image_url = $4, mode = $5, settings = $6, enabled = $7,
    credentials_sealed = $8, credential_names = @names::text[], updated_at = now()
WHERE id = $1;

-- name: PaymentSystemSetEnabled :execrows
UPDATE payment_systems SET enabled = @enabled, updated_at = now()
WHERE id = @id AND enabled <> @enabled;

-- name: PaymentSystemExists :one
SELECT EXISTS (SELECT 1 FROM payment_systems WHERE id = $1);
