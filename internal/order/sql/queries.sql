-- name: OrderInsertOpen :one
-- Opens an order unless the contact already has an open one for the offer (then no row comes back).
INSERT INTO orders (offer_id, offer_title, contact_id, payment_system_id, amount, currency, list_amount,
                    list_currency, language, channel, deadline_at)
VALUES (@offer_id, @offer_title, @contact_id, @payment_system_id, @amount, @currency, @list_amount,
        @list_currency, @language, @channel, @deadline_at)
ON CONFLICT (contact_id, offer_id) WHERE status = 'open' DO NOTHING
RETURNING *;

-- name: OrderOpenFor :one
SELECT * FROM orders WHERE contact_id = @contact_id AND offer_id = @offer_id AND status = 'open';

-- name: OrderGet :one
SELECT * FROM orders WHERE id = @id;

-- name: OrderByNumber :one
SELECT * FROM orders WHERE number = @number;

-- name: OrderComplete :one
-- An order completes (completeTx, the one completion workflow) from the status it is expected in (open; refunded,
-- rejected… when an exception's payment reinstates it): at its price (a manager's correction, or the amount an
-- accepted exception reported), through the payment system that took the money.
UPDATE orders
SET status = 'completed', amount = @amount, currency = @currency, payment_system_id = @payment_system_id,
    decided_at = now(), decided_by = @decided_by, decision_note = @decision_note, updated_at = now()
WHERE id = @id AND status = @from_status
RETURNING *;

-- name: OrderReject :one
UPDATE orders
SET status = 'rejected', decided_at = now(), decided_by = @decided_by, decision_note = @decision_note,
    updated_at = now()
WHERE id = @id AND status = 'open'
RETURNING *;

-- name: OrderExpireDue :one
-- The deadline: rejects the order only while it is still open and its deadline has passed.
UPDATE orders
SET status = 'rejected', decided_at = now(), decided_by = @decided_by, decision_note = @decision_note,
    updated_at = now()
WHERE id = @id AND status = 'open' AND deadline_at <= now()
RETURNING *;

-- name: OrderRefund :one
UPDATE orders
SET status = 'refunded', decided_by = @decided_by, decision_note = @decision_note, updated_at = now()
WHERE id = @id AND status = 'completed'
RETURNING *;

-- name: OrdersForContact :many
SELECT * FROM orders WHERE contact_id = @contact_id ORDER BY id DESC LIMIT @lim;

-- name: OrdersOverdue :many
SELECT id FROM orders WHERE status = 'open' AND deadline_at <= now() ORDER BY deadline_at LIMIT @lim;

-- name: PaymentInsert :one
INSERT INTO payments (order_id, payment_system_id, mode, status, amount, currency, fee, net, paid_on, comment,
                      gateway_ref, payer_email)
VALUES (@order_id, @payment_system_id, @mode, @status, @amount, @currency, @fee, @net, @paid_on, @comment, @gateway_ref,
        @payer_email)
RETURNING *;

-- name: PaymentsForOrder :many
SELECT * FROM payments WHERE order_id = @order_id ORDER BY id;

-- name: PaymentsForOrders :many
SELECT * FROM payments WHERE order_id = ANY(@order_ids::bigint[]) ORDER BY id;

-- name: PaymentLatest :one
SELECT * FROM payments WHERE order_id = @order_id AND status = @status ORDER BY id DESC LIMIT 1;

-- name: PaymentSucceed :execrows
-- A payment becomes succeeded (succeedPaymentTx): the comment is replaced only when set_comment; a gateway reference,
-- a payer's e-mail and a second reference only when given (the second one only when there is none yet).
UPDATE payments
SET status = 'succeeded', amount = @amount, currency = @currency, fee = @fee, net = @net, paid_on = @paid_on,
    comment = CASE WHEN @set_comment::bool THEN @comment::text ELSE comment END,
    gateway_ref = CASE WHEN @gateway_ref::text = '' THEN gateway_ref ELSE @gateway_ref::text END,
    payer_email = CASE WHEN @payer_email::text = '' THEN payer_email ELSE @payer_email::text END,
    gateway_alt_ref = CASE WHEN gateway_alt_ref = '' THEN @gateway_alt_ref::text ELSE gateway_alt_ref END,
    updated_at = now()
WHERE id = @id AND status = ANY(@from_statuses::text[]);

-- name: PaymentSetStatus :execrows
UPDATE payments SET status = @status, updated_at = now() WHERE id = @id AND status = @from_status;

-- name: RefundInsert :one
INSERT INTO refunds (payment_id, amount, currency, comment, actor, gateway_ref)
VALUES (@payment_id, @amount, @currency, @comment, @actor, @gateway_ref)
RETURNING *;

-- name: RefundKnown :one
-- Whether the one refund a gateway reports (by its id, or, while Bursar's own request is still in flight, by its
-- amount) is one Bursar has recorded or is making.
SELECT EXISTS (SELECT 1 FROM refunds WHERE payment_id = @payment_id AND status IN ('pending', 'succeeded')
               AND (gateway_ref = @gateway_ref OR (status = 'pending' AND amount = @amount)))::boolean;

-- name: RefundsForOrder :many
SELECT r.* FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.order_id = @order_id ORDER BY r.id;

-- name: OrderEventAdd :exec
INSERT INTO order_events (order_id, kind, message, actor) VALUES (@order_id, @kind, @message, @actor);

-- name: OrderEventsAdd :exec
-- Several lines of one order's timeline by one actor in one statement, in the order given, with the grants the
-- order made or extended (none when the arrays are empty; a grant remembered already is kept).
WITH g AS (
    INSERT INTO order_grants (order_id, grant_id, product_id, created)
    SELECT @order_id, unnest(@grant_ids::bigint[]), unnest(@product_ids::bigint[]), unnest(@created::boolean[])
    ON CONFLICT DO NOTHING
)
INSERT INTO order_events (order_id, kind, message, actor)
SELECT @order_id, unnest(@kinds::text[]), unnest(@messages::text[]), @actor;

-- name: OrderEvents :many
SELECT * FROM order_events WHERE order_id = @order_id ORDER BY id;

-- name: OrderGrants :many
SELECT * FROM order_grants WHERE order_id = @order_id ORDER BY grant_id;

-- name: OrderLockWait :one
-- A webhook waits for the order's lock (a manager deciding it, or another notification of the same payment).
SELECT * FROM orders WHERE id = @id FOR UPDATE;

-- name: PaymentByRef :one
-- The payment a gateway reference (or its second reference) names.
SELECT * FROM payments
WHERE payment_system_id = @payment_system_id AND (gateway_ref = @ref OR gateway_alt_ref = @ref)
ORDER BY id DESC LIMIT 1;

-- name: PaymentAttachRef :execrows
UPDATE payments SET gateway_ref = @gateway_ref, updated_at = now()
WHERE id = @id AND gateway_ref = '' AND status = 'pending';

-- name: PaymentSetAltRef :exec
UPDATE payments SET gateway_alt_ref = @gateway_alt_ref, updated_at = now()
WHERE id = @id AND gateway_alt_ref = '';

-- name: PaymentFailAttempt :execrows
UPDATE payments SET status = 'failed', comment = @comment, updated_at = now()
WHERE id = @id AND status IN ('pending', 'processing');

-- name: GatewayEventInsert :one
-- Stores a verified notification once; a second delivery gets no row back.
INSERT INTO gateway_events (payment_system_id, event_id, type, kind, body)
VALUES (@payment_system_id, @event_id, @type, @kind, @body)
ON CONFLICT (payment_system_id, event_id) DO NOTHING
RETURNING id;

-- name: GatewayEventInsertDone :one
-- Stores a verified notification once, as applied (result, order) in the same transaction; a second delivery gets
-- no row back (the transaction that applied it is then rolled back).
INSERT INTO gateway_events (payment_system_id, event_id, type, kind, body, processed_at, result, order_id)
VALUES (@payment_system_id, @event_id, @type, @kind, @body, now(), @result, @order_id)
ON CONFLICT (payment_system_id, event_id) DO NOTHING
RETURNING id;

-- name: GatewayEventID :one
-- The stored notification of a system with a gateway event id, if any, unless it failed to apply (a later delivery
-- or a replay applies that one).
SELECT id FROM gateway_events
WHERE payment_system_id = @payment_system_id AND event_id = @event_id AND result <> 'apply_failed';

-- name: GatewayEventProcessed :exec
UPDATE gateway_events SET processed_at = now(), result = @result, order_id = @order_id WHERE id = @id;

-- name: GatewayEventsForOrder :many
SELECT * FROM gateway_events WHERE order_id = @order_id ORDER BY id;

-- name: ExceptionInsert :one
INSERT INTO payment_exceptions (kind, order_id, payment_system_id, gateway_event_id, gateway_ref, gateway_alt_ref,
                                amount, currency, note)
VALUES (@kind, @order_id, @payment_system_id, @gateway_event_id, @gateway_ref, @gateway_alt_ref, @amount, @currency,
        @note)
RETURNING *;

-- name: ExceptionResolve :one
UPDATE payment_exceptions SET status = 'resolved', resolution = @resolution, resolved_by = @resolved_by, resolved_at = now()
WHERE id = @id AND status = 'open'
RETURNING *;

-- name: ExceptionGet :one
SELECT * FROM payment_exceptions WHERE id = @id;

-- name: PaymentGet :one
SELECT * FROM payments WHERE id = @id;

-- name: OrderSetContact :execrows
-- Names the contact of a visitor's order once its payment has named the payer; only an order without one.
UPDATE orders SET contact_id = @contact_id, updated_at = now() WHERE id = @id AND contact_id IS NULL;

-- name: ExceptionsRefundedFor :one
-- Money returned through the gateway from the inbox for the payment the references name.
SELECT coalesce(sum(refunded_amount), 0)::bigint FROM payment_exceptions
WHERE payment_system_id = @payment_system_id AND refunded_amount > 0
  AND (gateway_ref = ANY(@refs::text[]) OR gateway_alt_ref = ANY(@refs::text[]));

-- name: OrderCounts :one
-- The admin dashboard's figures, each counted from its own index (index-only scans), never the whole table: the open
-- orders from orders_status_idx, the week's completions from the recent end of orders_completed_idx. Exact at the
-- instant of the snapshot, with nothing to keep in step when an order changes.
SELECT (SELECT count(*) FROM orders WHERE status = 'open')::bigint AS open,
       (SELECT count(*) FROM orders
        WHERE status = 'completed' AND decided_at > now() - interval '7 days')::bigint AS completed_week;

-- name: OrdersAbandoned :many
-- Gateway orders (no deadline) still open since before @before with no payment on its way or made: candidates for
-- expiry.
SELECT o.id FROM orders o
WHERE o.status = 'open' AND o.deadline_at IS NULL AND o.created_at < @before
  AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id
                  AND (p.status IN ('processing', 'succeeded', 'refunded', 'partially_refunded')
                       OR (p.status = 'pending' AND p.created_at >= @before)))
ORDER BY o.id LIMIT @lim;

-- name: OrderExpireAbandoned :one
-- Expires an abandoned gateway order, only while it is still open.
UPDATE orders
SET status = 'expired', decided_at = now(), decided_by = @decided_by, decision_note = @decision_note, updated_at = now()
WHERE id = @id AND status = 'open' AND deadline_at IS NULL
RETURNING *;

-- name: PaymentsAbandon :exec
-- The attempts of an expired order that never finished.
UPDATE payments SET status = 'failed', comment = @comment, updated_at = now()
WHERE order_id = @order_id AND status = 'pending';

-- name: OrderLockShared :one
-- Locks an order against a webhook or a decision (which take FOR UPDATE) without blocking a new payment attempt's
-- insert (FOR KEY SHARE through its foreign key): a payment link's cancel (CancelOpenTx).
SELECT * FROM orders WHERE id = @id FOR NO KEY UPDATE;

-- name: OrderCancel :one
-- An open order is cancelled (a payment link cancelled, declined or expired); a payment that still arrives for it is
-- a late payment exception.
UPDATE orders
SET status = 'cancelled', decided_at = now(), decided_by = @decided_by, decision_note = @decision_note,
    updated_at = now()
WHERE id = @id AND status = 'open'
RETURNING *;
