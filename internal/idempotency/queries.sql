-- name: KeyExpire :exec
DELETE FROM idempotency_keys WHERE api_key_id = $1 AND key = $2 AND created_at < $3;

-- name: KeyClaim :execrows
INSERT INTO idempotency_keys (api_key_id, key, method, path, request_hash)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT DO NOTHING;

-- name: KeyGet :one
SELECT * FROM idempotency_keys WHERE api_key_id = $1 AND key = $2;

-- name: KeyFinish :exec
UPDATE idempotency_keys SET status = $3, content_type = $4, response_body = $5
WHERE api_key_id = $1 AND key = $2 AND status IS NULL;

-- name: KeyRelease :exec
DELETE FROM idempotency_keys WHERE api_key_id = $1 AND key = $2 AND status IS NULL;

-- name: FormTokenClaim :execrows
INSERT INTO form_tokens (token) VALUES ($1) ON CONFLICT DO NOTHING;

-- name: FormTokenGet :one
SELECT result_url FROM form_tokens WHERE token = $1;

-- name: FormTokenFinish :exec
UPDATE form_tokens SET result_url = $2 WHERE token = $1;

-- name: FormTokenRelease :exec
DELETE FROM form_tokens WHERE token = $1 AND result_url IS NULL;

-- name: FormTokensPrune :exec
DELETE FROM form_tokens WHERE created_at < $1;
