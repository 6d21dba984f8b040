-- name: UserCreate :one
INSERT INTO admin_users (email, name, role, password_hash)
VALUES ($1, $2, $3, $4)
RETURNING *;

-- name: UserByEmail :one
SELECT * FROM admin_users WHERE lower(email) = lower($1);

-- name: UserByID :one
SELECT * FROM admin_users WHERE id = $1;

-- name: UserList :many
SELECT * FROM admin_users ORDER BY id;

-- name: UserSetRole :execrows
UPDATE admin_users SET role = $2 WHERE id = $1;

-- name: UserSetDisabled :execrows
UPDATE admin_users SET disabled_at = CASE WHEN @disabled::boolean THEN now() ELSE NULL END WHERE id = @id;

-- name: UserCountActiveOwners :one
SELECT count(*) FROM admin_users WHERE role = 'owner' AND disabled_at IS NULL;

-- name: LoginAttemptLock :exec
-- Queues sign-in attempts on one scope and key, in every process, until the caller's transaction ends.
SELECT pg_advisory_xact_lock(hashtextextended('login_attempt:' || @scope::text || ':' || @key::text, 0));

-- name: LoginAttemptBegin :one
-- Records an attempt as a failure before its password is checked; LoginAttemptsSucceed flips it when it was right.
INSERT INTO login_attempts (scope, key, succeeded, at) VALUES ($1, $2, false, $3) RETURNING id;

-- name: LoginAttemptsSucceed :exec
UPDATE login_attempts SET succeeded = true WHERE id = ANY(@ids::bigint[]);

-- name: LoginFailuresSince :one
-- Failures for key since @since; with @resets, only those after its last success. A client address's count never
-- resets on a success: someone guessing other people's passwords could otherwise interleave sign-ins of their own.
SELECT count(*) FROM login_attempts a
WHERE a.scope = @scope AND a.key = @key AND NOT a.succeeded AND a.at > @since
  AND (NOT @resets::boolean OR a.at > coalesce((SELECT max(s.at) FROM login_attempts s
                       WHERE s.scope = @scope AND s.key = @key AND s.succeeded), '-infinity'));

-- name: LoginLastFailure :one
SELECT coalesce(max(at), '-infinity')::timestamptz FROM login_attempts
WHERE scope = $1 AND key = $2 AND NOT succeeded;

-- name: LoginAttemptsPrune :execrows
DELETE FROM login_attempts WHERE at < $1;

-- name: APIKeyCreate :one
INSERT INTO api_keys (name, prefix, key_hash, created_by, scopes, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *;

-- name: APIKeyByHash :one
SELECT * FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL;

-- name: APIKeyTouch :execrows
-- Records a key's use unless one was recorded after @since: one write per key per interval, however busy.
UPDATE api_keys SET last_used_at = @now::timestamptz
WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @since::timestamptz);

-- name: APIKeyList :many
SELECT * FROM api_keys ORDER BY id DESC;

-- name: APIKeyRevoke :execrows
UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL;
