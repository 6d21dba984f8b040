-- name: AccountCreate :execrows
-- Adds the account of a contact; 0 rows when it has one already.
INSERT INTO accounts (contact_id, password_hash) VALUES ($1, $2)
ON CONFLICT (contact_id) DO NOTHING;

-- name: AccountGet :one
SELECT * FROM accounts WHERE contact_id = $1;

-- name: AccountSetPassword :one
-- Sets the password, creating the account when the contact has none; created says which.
INSERT INTO accounts (contact_id, password_hash) VALUES ($1, $2)
ON CONFLICT (contact_id) DO UPDATE SET password_hash = excluded.password_hash, password_changed_at = clock_timestamp()
RETURNING (xmax = 0) AS created;

-- name: AccountTouchSignIn :exec
UPDATE accounts SET last_sign_in_at = $2 WHERE contact_id = $1;

-- name: ResetCreate :exec
INSERT INTO password_resets (token_hash, contact_id, created_at, expires_at) VALUES ($1, $2, $3, $4);

-- name: ResetValid :one
-- A live password-reset link (a welcome link is not one).
SELECT contact_id FROM password_resets
WHERE token_hash = @token_hash AND purpose = 'reset' AND used_at IS NULL AND expires_at > @now;

-- name: ResetUse :one
-- Spends a live token of @purpose ('reset' or 'welcome'); no row when it is unknown, of another purpose, used or
-- expired (a second use loses the race here).
UPDATE password_resets SET used_at = @now
WHERE token_hash = @token_hash AND purpose = @purpose::text AND used_at IS NULL AND expires_at > @now
RETURNING contact_id;

-- name: ResetUseAllFor :exec
-- Spends every other live token of a contact once the password has been changed.
UPDATE password_resets SET used_at = @now WHERE contact_id = @contact_id AND used_at IS NULL;

-- name: ResetPrune :exec
DELETE FROM password_resets WHERE expires_at < $1;

-- name: RateEventTake :execrows
-- Records an event of bucket and key at @at when fewer than @max are recorded after @since: one row, or none when
-- the limit is reached.
INSERT INTO rate_events (bucket, key, at)
SELECT @bucket, @key, @at
WHERE (SELECT count(*) FROM rate_events e WHERE e.bucket = @bucket AND e.key = @key AND e.at > @since) < @max::bigint;

-- name: RateEventPrune :exec
DELETE FROM rate_events WHERE at < $1;

-- name: WelcomeCreate :exec
INSERT INTO password_resets (token_hash, contact_id, created_at, expires_at, purpose, offer_id)
VALUES (@token_hash, @contact_id, @created_at, @expires_at, 'welcome', @offer_id);

-- name: WelcomeValid :one
-- A live welcome link: its contact, whether that contact has an account, and the offer bought.
SELECT r.contact_id, coalesce(r.offer_id, 0)::bigint AS offer_id,
       EXISTS (SELECT 1 FROM accounts a WHERE a.contact_id = r.contact_id) AS has_account
FROM password_resets r
WHERE r.token_hash = @token_hash AND r.purpose = 'welcome' AND r.used_at IS NULL AND r.expires_at > @now;

-- name: WelcomeCreateMany :exec
-- WelcomeCreate for a batch of contacts (an import's welcome e-mails), one offer, in one statement.
INSERT INTO password_resets (token_hash, contact_id, created_at, expires_at, purpose, offer_id)
SELECT unnest(@token_hashes::bytea[]), unnest(@contact_ids::bigint[]), @created_at::timestamptz, @expires_at::timestamptz, 'welcome',
       sqlc.narg(offer_id)::bigint;
