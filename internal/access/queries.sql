-- name: AccessGrantsCount :one
SELECT count(*) FROM access_grants;

-- name: GrantCreate :one
-- starts_at: when given (a sale made elsewhere, imported with its date), else now.
INSERT INTO access_grants (contact_id, product_id, source, source_ref, transferred_from, starts_at, ends_at)
VALUES (@contact_id, @product_id, @source, @source_ref, sqlc.narg(transferred_from),
        coalesce(sqlc.narg(starts_at)::timestamptz, now()), sqlc.narg(ends_at))
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

-- name: GrantLockPairs :exec
-- GrantLockPair for a batch's pairs, in one statement, in (contact, product) order: two batches sharing pairs take
-- their locks in the same order and cannot deadlock.
SELECT pg_advisory_xact_lock(hashtextextended('access_grant:' || s.contact_id || ':' || s.product_id, 0))
FROM (SELECT DISTINCT u.contact_id, u.product_id
      FROM (SELECT unnest(@contact_ids::bigint[]) AS contact_id, unnest(@product_ids::bigint[]) AS product_id) AS u
      ORDER BY u.contact_id, u.product_id) AS s;

-- name: GrantsActiveForPairs :many
-- GrantActiveFor for a batch's pairs: every grant in force of each pair (the caller keeps the latest end), locked.
SELECT g.* FROM access_grants g
JOIN (SELECT unnest(@contact_ids::bigint[]) AS contact_id, unnest(@product_ids::bigint[]) AS product_id) AS u
  ON g.contact_id = u.contact_id AND g.product_id = u.product_id
WHERE g.revoked_at IS NULL AND g.starts_at <= clock_timestamp() AND (g.ends_at IS NULL OR g.ends_at > clock_timestamp())
ORDER BY g.id
FOR UPDATE OF g;

-- name: GrantsCreateMany :many
-- GrantCreate for a batch, in one statement: starts_at where @has_starts[i], else now; ends_at NULL (forever)
-- where not @has_ends[i]; transferred_from NULL where 0.
INSERT INTO access_grants (contact_id, product_id, source, source_ref, transferred_from, starts_at, ends_at)
SELECT u.contact_id, u.product_id, u.source, u.source_ref, nullif(u.transferred_from, 0),
       CASE WHEN u.has_start THEN u.starts_at ELSE now() END, CASE WHEN u.has_end THEN u.ends_at END
FROM (SELECT unnest(@contact_ids::bigint[]) AS contact_id, unnest(@product_ids::bigint[]) AS product_id,
             unnest(@sources::text[]) AS source, unnest(@source_refs::text[]) AS source_ref,
             unnest(@transferred_froms::bigint[]) AS transferred_from, unnest(@has_starts::boolean[]) AS has_start,
             unnest(@starts_ats::timestamptz[]) AS starts_at, unnest(@has_ends::boolean[]) AS has_end,
             unnest(@ends_ats::timestamptz[]) AS ends_at) AS u
RETURNING *;

-- name: GrantsSetEnds :many
-- GrantSetEnd for a batch: ends_at NULL (forever) where not @has_ends[i].
UPDATE access_grants AS g SET ends_at = CASE WHEN u.has_end THEN u.ends_at END
FROM (SELECT unnest(@ids::bigint[]) AS id, unnest(@has_ends::boolean[]) AS has_end,
             unnest(@ends_ats::timestamptz[]) AS ends_at) AS u
WHERE g.id = u.id AND g.revoked_at IS NULL
RETURNING g.*;
