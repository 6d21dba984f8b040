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
UPDATE orders
SET status = 'completed', amount = @amount, currency = @currency, decided_at = now(), decided_by = @decided_by,
    decision_note = @decision_note, updated_at = now()
WHERE id = @id AND status = 'open'
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
INSERT INTO payments (order_id, payment_system_id, status, amount, currency, fee, net, paid_on, comment,
                      gateway_ref, payer_email)
VALUES (@order_id, @payment_system_id, @status, @amount, @currency, @fee, @net, @paid_on, @comment, @gateway_ref,
        @payer_email)
RETURNING *;

-- name: PaymentsForOrder :many
SELECT * FROM payments WHERE order_id = @order_id ORDER BY id;

-- name: PaymentsForOrders :many
SELECT * FROM payments WHERE order_id = ANY(@order_ids::bigint[]) ORDER BY id;

-- name: PaymentLatest :one
SELECT * FROM payments WHERE order_id = @order_id AND status = @status ORDER BY id DESC LIMIT 1;

-- name: PaymentSucceed :execrows
UPDATE payments
SET status = 'succeeded', amount = @amount, currency = @currency, fee = @fee, net = @net, paid_on = @paid_on,
    comment = @comment, updated_at = now()
WHERE id = @id AND status = 'pending';

-- name: PaymentSetStatus :execrows
UPDATE payments SET status = @status, updated_at = now() WHERE id = @id AND status = @from_status;

-- name: RefundInsert :one
INSERT INTO refunds (payment_id, amount, currency, comment, actor)
VALUES (@payment_id, @amount, @currency, @comment, @actor)
RETURNING *;

-- name: RefundsForOrder :many
SELECT r.* FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.order_id = @order_id ORDER BY r.id;

-- name: OrderEventAdd :exec
INSERT INTO order_events (order_id, kind, message, actor) VALUES (@order_id, @kind, @message, @actor);

-- name: OrderEvents :many
SELECT * FROM order_events WHERE order_id = @order_id ORDER BY id;

-- name: OrderGrantAdd :exec
INSERT INTO order_grants (order_id, grant_id, product_id, created) VALUES (@order_id, @grant_id, @product_id, @created)
ON CONFLICT DO NOTHING;

-- name: OrderGrants :many
SELECT * FROM order_grants WHERE order_id = @order_id ORDER BY grant_id;
