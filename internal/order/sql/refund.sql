-- Refunds through the gateway, the order's raw gateway events and status re-checks.

-- name: RefundInsertPending :one
-- A refund about to be asked of the gateway: counted at once by every other refund of the payment.
INSERT INTO refunds (payment_id, amount, currency, comment, actor, status)
VALUES (@payment_id, @amount, @currency, @comment, @actor, 'pending')
RETURNING *;

-- name: RefundSucceed :execrows
UPDATE refunds SET status = 'succeeded', gateway_ref = @gateway_ref, updated_at = now()
WHERE id = @id AND status = 'pending';

-- name: RefundFail :execrows
UPDATE refunds SET status = 'failed', failure = @failure, updated_at = now()
WHERE id = @id AND status = 'pending';

-- name: RefundHeldSum :one
-- What is returned, or being returned, of a payment: succeeded refunds and those still waiting for the gateway.
SELECT coalesce(sum(amount), 0)::bigint AS held,
       coalesce(sum(amount) FILTER (WHERE status = 'pending'), 0)::bigint AS in_flight
FROM refunds WHERE payment_id = @payment_id AND status IN ('pending', 'succeeded');

-- name: RefundSucceededSum :one
SELECT coalesce(sum(amount), 0)::bigint FROM refunds WHERE payment_id = @payment_id AND status = 'succeeded';

-- name: RefundsOfOrder :many
SELECT r.* FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.order_id = @order_id ORDER BY r.id;

-- name: GatewayEventsOfOrder :many
-- The order's raw notifications (and status re-checks), newest first.
SELECT * FROM gateway_events WHERE order_id = @order_id ORDER BY id DESC LIMIT @lim;

-- name: PaymentMarkChecked :exec
UPDATE payments SET last_checked_at = now() WHERE id = @id;

-- name: PaymentsClaimRecheck :many
-- Claims up to lim gateway attempts of open orders still pending or processing since before created_before and not
-- asked about since checked_before, marking them checked now: a claimed attempt is not claimed again (by this or
-- another process) until the next interval.
UPDATE payments SET last_checked_at = now()
WHERE id IN (
    SELECT p.id FROM payments p JOIN orders o ON o.id = p.order_id
    WHERE p.status IN ('pending', 'processing') AND p.gateway_ref <> '' AND o.status = 'open'
      AND p.created_at <= @created_before::timestamptz
      AND (p.last_checked_at IS NULL OR p.last_checked_at <= @checked_before::timestamptz)
    ORDER BY p.last_checked_at NULLS FIRST, p.id
    LIMIT @lim
    FOR UPDATE OF p SKIP LOCKED)
RETURNING id, order_id;
