-- name: AccessGrantsCount :one
SELECT count(*) FROM access_grants;

-- name: GrantCreate :one
INSERT INTO access_grants (contact_id, product_id, source, source_ref, transferred_from, ends_at)
VALUES (@contact_id, @product_id, @source, @source_ref, sqlc.narg(transferred_from), sqlc.narg(ends_at))
RETURNING *;

-- name: GrantGet :one
SELECT * FROM access_grants WHERE id = @id;

-- name: GrantLockPair :exec
-- Serialises grants of one product to one contact, so two concurrent grants extend one row instead of making two.
SELECT pg_advisory_xact_lock(hashtextextended('access_grant:' || @contact_id::bigint || ':' || @product_id::bigint, 0));

-- name: GrantActiveFor :one
-- The active grant of a product to a contact with the latest end (forever first), locked for extension. Active
-- at clock_timestamp(), the time this runs (after GrantLockPair), not now(): a grant committed by a transaction
-- that started after the caller's has starts_at after the caller's now(), and must still be found.
SELECT * FROM access_grants
WHERE contact_id = @contact_id AND product_id = @product_id AND revoked_at IS NULL
  AND starts_at <= clock_timestamp() AND (ends_at IS NULL OR ends_at > clock_timestamp())
ORDER BY ends_at DESC NULLS FIRST, id
LIMIT 1
FOR UPDATE;

-- name: GrantSetEnd :one
UPDATE access_grants SET ends_at = sqlc.narg(ends_at) WHERE id = @id AND revoked_at IS NULL RETURNING *;

-- name: GrantRevoke :one
-- Revokes a grant that is not revoked yet; no row means someone else already did (or it does not exist).
UPDATE access_grants SET revoked_at = now(), revoke_reason = @reason
WHERE id = @id AND revoked_at IS NULL
RETURNING *;

-- name: GrantRevokeActive :one
-- Revokes a grant that is still in force (not revoked, not expired): the first step of a transfer.
UPDATE access_grants SET revoked_at = now(), revoke_reason = @reason
WHERE id = @id AND revoked_at IS NULL AND (ends_at IS NULL OR ends_at > now())
RETURNING *;

-- name: GrantsForContact :many
SELECT * FROM access_grants WHERE contact_id = @contact_id ORDER BY id DESC;

-- name: GrantsActiveForContact :many
-- A paused grant (its enrollment suspended or paused) gives no access.
SELECT * FROM access_grants
WHERE contact_id = @contact_id AND revoked_at IS NULL AND paused_at IS NULL AND starts_at <= now() AND (ends_at IS NULL OR ends_at > now())
ORDER BY id DESC;

-- name: GrantsPause :many
-- Pauses grants not revoked and not paused yet; the ones returned changed.
UPDATE access_grants SET paused_at = now(), pause_reason = @reason
WHERE id = ANY(@ids::bigint[]) AND revoked_at IS NULL AND paused_at IS NULL
RETURNING *;

-- name: GrantsResume :many
UPDATE access_grants SET paused_at = NULL, pause_reason = ''
WHERE id = ANY(@ids::bigint[]) AND paused_at IS NOT NULL
RETURNING *;

-- name: GrantsEnd :many
-- Ends grants not revoked at end (a cancelled enrollment: the end of its paid period); paused ones resume until then.
UPDATE access_grants SET ends_at = @ends_at::timestamptz, paused_at = NULL, pause_reason = ''
WHERE id = ANY(@ids::bigint[]) AND revoked_at IS NULL
RETURNING *;
