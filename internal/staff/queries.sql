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

-- name: OwnerEmails :many
SELECT email FROM admin_users WHERE role = 'owner' AND disabled_at IS NULL ORDER BY id;
