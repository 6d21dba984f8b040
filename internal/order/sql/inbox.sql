-- The exceptions inbox's apply-to-another-order and reinstate actions, and the replay of stored notifications.

-- name: ExceptionResolveIdle :one
-- Resolves an exception that is open and not being refunded (apply, reinstate): a second click, another admin or a
-- refund under way finds no row.
UPDATE payment_exceptions SET status = 'resolved', resolution = @resolution, resolved_by = @resolved_by, resolved_at = now()
WHERE id = @id AND status = 'open' AND refund_status = ''
RETURNING *;

-- name: OrdersApplyCandidates :many
-- The open orders of a contact that cost exactly amount in currency, but one (the exception's own), newest first.
SELECT * FROM orders
WHERE contact_id = @contact_id AND status = 'open' AND amount = @amount AND currency = @currency AND id <> @except_id
ORDER BY id DESC
LIMIT @lim;

-- name: PaymentMove :execrows
-- Moves a payment attempt that never settled (its reference names money applied to another order) to that order.
UPDATE payments SET order_id = @to_order_id, updated_at = now()
WHERE id = @id AND order_id = @from_order_id AND status IN ('pending', 'processing', 'failed');

-- name: GatewayEventFailed :exec
-- Records that applying a verified notification failed: stored once with what the provider read and the error; a
-- notification stored already as failed counts one more failure. One applied already is left alone.
INSERT INTO gateway_events (payment_system_id, event_id, type, kind, body, result, order_id, apply_error, failures,
                            failed_at, event)
VALUES (@payment_system_id, @event_id, @type, @kind, @body, 'apply_failed', @order_id, @apply_error, 1, now(), @event)
ON CONFLICT (payment_system_id, event_id) DO UPDATE
SET apply_error = excluded.apply_error, failures = gateway_events.failures + 1, failed_at = now(),
    order_id = coalesce(gateway_events.order_id, excluded.order_id)
WHERE gateway_events.result = 'apply_failed';

-- name: GatewayEventFailedAgain :exec
-- A replay of a failed notification failed again.
UPDATE gateway_events SET apply_error = @apply_error, failures = failures + 1, failed_at = now()
WHERE id = @id AND result = 'apply_failed';

-- name: GatewayEventClaimFailed :one
-- Claims a notification stored as failed, for the transaction about to apply it (a later delivery, a replay): the
-- row stays locked until it commits, and a second claim made meanwhile then finds it applied (no row).
UPDATE gateway_events SET result = 'applying'
WHERE payment_system_id = @payment_system_id AND event_id = @event_id AND result = 'apply_failed'
RETURNING id;

-- name: GatewayEventLock :one
-- A stored notification, locked for a replay.
SELECT * FROM gateway_events WHERE id = @id FOR UPDATE;
