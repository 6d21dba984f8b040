-- name: EndpointNextID :one
SELECT nextval(pg_get_serial_sequence('webhook_endpoints', 'id'))::bigint;

-- name: EndpointInsert :one
INSERT INTO webhook_endpoints (id, url, description, types, enabled, secret_sealed, secret_prefix, created_at, updated_at)
VALUES (@id, @url, @description, @types::text[], @enabled, @secret_sealed, @secret_prefix, @now, @now)
RETURNING *;

-- name: EndpointUpdate :one
UPDATE webhook_endpoints
SET url = @url, description = @description, types = @types::text[], enabled = @enabled,
    disabled_reason = CASE WHEN @enabled::boolean THEN '' ELSE disabled_reason END,
    failing_since = CASE WHEN @enabled::boolean AND NOT enabled THEN NULL ELSE failing_since END,
    updated_at = @now
WHERE id = @id
RETURNING *;

-- name: EndpointRotate :one
UPDATE webhook_endpoints
SET previous_secret_sealed = CASE WHEN @keep_previous::boolean THEN secret_sealed END,
    previous_until = CASE WHEN @keep_previous::boolean THEN @previous_until::timestamptz END,
    secret_sealed = @secret_sealed, secret_prefix = @secret_prefix, updated_at = @now
WHERE id = @id
RETURNING *;

-- name: EndpointDelete :execrows
DELETE FROM webhook_endpoints WHERE id = @id;

-- name: EndpointByID :one
SELECT * FROM webhook_endpoints WHERE id = @id;

-- name: EndpointLock :one
SELECT * FROM webhook_endpoints WHERE id = @id FOR UPDATE;

-- name: EndpointList :many
SELECT * FROM webhook_endpoints ORDER BY id;

-- name: SubscribedTypes :many
SELECT DISTINCT unnest(types)::text AS type FROM webhook_endpoints WHERE enabled;

-- name: EndpointFailed :one
UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, @now::timestamptz)
WHERE id = @id
RETURNING failing_since::timestamptz AS failing_since, enabled;

-- name: EndpointSucceeded :exec
UPDATE webhook_endpoints SET failing_since = NULL WHERE id = @id AND failing_since IS NOT NULL;

-- name: EndpointDisable :execrows
UPDATE webhook_endpoints SET enabled = false, disabled_reason = @reason, updated_at = @now
WHERE id = @id AND enabled;

-- name: DeliveriesCancelPending :execrows
UPDATE webhook_deliveries SET status = 'cancelled', next_at = NULL, updated_at = @now
WHERE endpoint_id = @endpoint_id AND status = 'pending';

-- name: DeliveryForWork :one
SELECT d.id, d.status, d.attempts, d.endpoint_id, ev.msg_id, ev.type, ev.payload, ev.created_at AS event_at,
       e.url, e.enabled, e.secret_sealed, e.previous_secret_sealed, e.previous_until
FROM webhook_deliveries d
JOIN webhook_events ev ON ev.id = d.event_id
JOIN webhook_endpoints e ON e.id = d.endpoint_id
WHERE d.id = @id;

-- name: AttemptInsert :exec
INSERT INTO webhook_attempts (delivery_id, at, status_code, error, response_body, duration_us)
VALUES (@delivery_id, @at, @status_code, @error, @response_body, @duration_us);

-- name: DeliveryRecord :one
UPDATE webhook_deliveries
SET attempts = attempts + 1,
    status = CASE WHEN @succeeded::boolean THEN 'succeeded'
                  WHEN status = 'pending' AND @final::boolean THEN 'failed'
                  ELSE status END,
    next_at = CASE WHEN @succeeded::boolean OR @final::boolean OR status <> 'pending' THEN NULL
                   ELSE sqlc.narg(next_at)::timestamptz END,
    updated_at = @now
WHERE id = @id
RETURNING status;

-- name: DeliveryResend :one
UPDATE webhook_deliveries SET next_at = @now, updated_at = @now WHERE id = @id RETURNING id;

-- name: DeliveryGet :one
SELECT d.*, ev.msg_id, ev.type, ev.payload
FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id
WHERE d.id = @id;

-- name: DeliveryList :many
SELECT d.*, ev.msg_id, ev.type
FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id
WHERE d.endpoint_id = @endpoint_id
  AND (sqlc.narg(status)::text IS NULL OR d.status = sqlc.narg(status)::text)
  AND (@before::bigint = 0 OR d.id < @before::bigint)
ORDER BY d.id DESC
LIMIT @lim;

-- name: AttemptsOf :many
SELECT * FROM webhook_attempts WHERE delivery_id = @delivery_id ORDER BY id DESC;
