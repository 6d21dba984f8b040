-- name: KeyExpire :exec
DELETE FROM idempotency_keys WHERE api_key_id = $1 AND key = $2 AND created_at < $3;

-- name: KeyClaim :execrows
-- A key whose first request never finished (the process died) is taken over once it is older than @stale_before.
INSERT INTO idempotency_keys AS k (api_key_id, key, method, path, request_hash)
VALUES (@api_key_id, @key, @method, @path, @request_hash)
ON CONFLICT (api_key_id, key) DO UPDATE SET created_at = now()
WHERE k.status IS NULL AND k.created_at < @stale_before AND k.request_hash = excluded.request_hash;

-- name: KeyGet :one
SELECT * FROM idempotency_keys WHERE api_key_id = $1 AND key = $2;

-- name: KeyFinish :exec
UPDATE idempotency_keys SET status = $3, content_type = $4, location = $5, response_body = $6
WHERE api_key_id = $1 AND key = $2 AND status IS NULL;

-- name: KeysPrune :exec
DELETE FROM idempotency_keys WHERE created_at < $1;

-- name: KeyRelease :exec
DELETE FROM idempotency_keys WHERE api_key_id = $1 AND key = $2 AND status IS NULL;

-- name: FormTokenClaim :execrows
INSERT INTO form_tokens (token) VALUES ($1) ON CONFLICT DO NOTHING;

-- name: FormTokenClaimDone :execrows
-- Claims a token with its result already known (inside the transaction that made the result).
INSERT INTO form_tokens (token, result_url) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- name: FormTokenGet :one
SELECT result_url FROM form_tokens WHERE token = $1;

-- name: FormTokenFinish :exec
UPDATE form_tokens SET result_url = $2 WHERE token = $1;

-- name: FormTokenRelease :exec
DELETE FROM form_tokens WHERE token = $1 AND result_url IS NULL;

-- name: FormTokensPrune :exec
DELETE FROM form_tokens WHERE created_at < $1;
