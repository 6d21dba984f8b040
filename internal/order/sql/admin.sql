-- The admin's payment-exceptions inbox and what an admin does about an exception. (The Transactions list filters
-- dynamically: it is hand-written in txn.go.)

-- name: ExceptionsInbox :many
-- Exceptions with their order's number and status, open ones first, then newest first: keyset on (open, id), the
-- first page starting at (true, max bigint).
SELECT sqlc.embed(x), coalesce(o.number, '')::text AS order_number, coalesce(o.status, '')::text AS order_status,
       coalesce(o.contact_id, 0)::bigint AS contact_id
FROM payment_exceptions x
LEFT JOIN orders o ON o.id = x.order_id
WHERE (@status::text = '' OR x.status = @status::text)
  AND (@kind::text = '' OR x.kind = @kind::text)
  AND ((x.status = 'open'), x.id) < (@before_open::boolean, @before_id::bigint)
ORDER BY (x.status = 'open') DESC, x.id DESC
LIMIT @lim;

-- name: ExceptionItem :one
SELECT sqlc.embed(x), coalesce(o.number, '')::text AS order_number, coalesce(o.status, '')::text AS order_status,
       coalesce(o.contact_id, 0)::bigint AS contact_id
FROM payment_exceptions x
LEFT JOIN orders o ON o.id = x.order_id
WHERE x.id = @id;

-- name: ExceptionLock :one
-- Locks an exception while an admin's action on it (a refund through the gateway) runs. It does not wait: a second
-- click made meanwhile is told at once that someone is acting on it, and holds no connection while the gateway is
-- asked.
SELECT * FROM payment_exceptions WHERE id = @id FOR UPDATE NOWAIT;

-- name: ExceptionsOpenCount :one
SELECT count(*) FROM payment_exceptions WHERE status = 'open';

-- name: GatewayEventGet :one
SELECT * FROM gateway_events WHERE id = @id;

