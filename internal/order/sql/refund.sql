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

-- name: RefundsClaimPending :many
-- Claims up to lim refunds still pending since before created_before, not handed to a human and not claimed since
-- checked_before, marking them claimed now (updated_at): a claimed refund is not claimed again, by this or another
-- process, until the next interval. The gateway is asked after this commits, never inside it.
UPDATE refunds SET updated_at = now()
WHERE id IN (
    SELECT r.id FROM refunds r
    WHERE r.status = 'pending' AND r.handed_over_at IS NULL AND r.created_at <= @created_before::timestamptz
      AND r.updated_at <= @checked_before::timestamptz
    ORDER BY r.updated_at, r.id
    LIMIT @lim
    FOR UPDATE SKIP LOCKED)
RETURNING *;

-- name: RefundHandOver :execrows
-- A pending refund the gateway cannot be asked about again: a human settles it; it stays pending (counted).
UPDATE refunds SET handed_over_at = now(), updated_at = now()
WHERE id = @id AND status = 'pending' AND handed_over_at IS NULL;

-- name: ExceptionRefundIntent :execrows
-- Records that exception id's money is about to be refunded through the gateway with key: a second request meanwhile
-- finds it pending.
UPDATE payment_exceptions
SET refund_status = 'pending', refund_key = @refund_key, refund_note = @refund_note, refund_actor = @refund_actor,
    refund_requested_at = now(), refund_checked_at = now()
WHERE id = @id AND status = 'open' AND refund_status = '';

-- name: ExceptionRefundClear :execrows
-- The gateway did not make the refund: the exception is as it was before the intent.
UPDATE payment_exceptions
SET refund_status = '', refund_key = '', refund_note = '', refund_actor = '', refund_requested_at = NULL,
    refund_checked_at = NULL
WHERE id = @id AND refund_status = 'pending' AND refund_key = @refund_key;

-- name: ExceptionRefundDone :one
-- The gateway made the refund asked with refund_key: the intent is settled and the money counted as returned (the
-- caller resolves the exception in the same transaction, unless an admin resolved it meanwhile).
UPDATE payment_exceptions SET refund_status = '', refunded_amount = refunded_amount + @amount
WHERE id = @id AND refund_status = 'pending' AND refund_key = @refund_key
RETURNING *;

-- name: ExceptionRefundUnconfirmed :execrows
-- The gateway cannot be asked again about a pending exception refund: a human checks its dashboard, as the note
-- now says.
UPDATE payment_exceptions SET refund_status = 'unconfirmed', note = left(note || @addendum::text, 2000)
WHERE id = @id AND refund_status = 'pending' AND refund_key = @refund_key;

-- name: ExceptionsClaimRefundPending :many
-- Claims up to lim exceptions whose refund has been pending since before requested_before and not claimed since
-- checked_before, marking them claimed now (see RefundsClaimPending).
UPDATE payment_exceptions SET refund_checked_at = now()
WHERE id IN (
    SELECT x.id FROM payment_exceptions x
    WHERE x.refund_status = 'pending' AND x.refund_requested_at <= @requested_before::timestamptz
      AND x.refund_checked_at <= @checked_before::timestamptz
    ORDER BY x.refund_checked_at, x.id
    LIMIT @lim
    FOR UPDATE SKIP LOCKED)
RETURNING *;

-- name: RefundGet :one
-- One refund with its payment's order (an event's object).
SELECT sqlc.embed(r), p.order_id FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.id = @id;
