-- Disputes and the access decisions of refunds and disputes (dispute.go, access_policy.go, access_exception.go).

-- name: ExceptionDisputeInsert :one
-- The first notification of a dispute opens its exception; a dispute seen before (its key taken) returns no row.
INSERT INTO payment_exceptions (kind, order_id, payment_system_id, gateway_event_id, gateway_ref, gateway_alt_ref,
                                amount, currency, note, dispute_ref, dispute_status, dispute_reason, dispute_stage,
                                dispute_at, evidence_due_at, outcome, access)
VALUES (@kind, @order_id, @payment_system_id, @gateway_event_id, @gateway_ref, @gateway_alt_ref, @amount, @currency,
        @note, @dispute_ref, @dispute_status, @dispute_reason, @dispute_stage, @dispute_at, @evidence_due_at, @outcome,
        @access)
ON CONFLICT (payment_system_id, dispute_ref) WHERE dispute_ref <> '' DO NOTHING
RETURNING *;

-- name: ExceptionDisputeLock :one
SELECT * FROM payment_exceptions WHERE payment_system_id = @payment_system_id AND dispute_ref = @dispute_ref FOR UPDATE;

-- name: ExceptionDisputeUpdate :one
-- A later state of the dispute (dispute.go decides it is later): its status, deadline and outcome.
UPDATE payment_exceptions
SET dispute_status = @dispute_status, dispute_reason = @dispute_reason, dispute_stage = @dispute_stage,
    dispute_at = @dispute_at, evidence_due_at = coalesce(sqlc.narg(evidence_due_at), evidence_due_at),
    outcome = @outcome, amount = CASE WHEN @amount::bigint > 0 THEN @amount::bigint ELSE amount END,
    currency = CASE WHEN @amount::bigint > 0 THEN @currency::text ELSE currency END
WHERE id = @id
RETURNING *;

-- name: ExceptionAccessInsert :one
-- A refund of an order whose offer asks a manager what to do with its access: an exception with access 'ask'.
INSERT INTO payment_exceptions (kind, order_id, payment_system_id, amount, currency, note, access)
VALUES ('refund_access', @order_id, @payment_system_id, @amount, @currency, @note, 'ask')
RETURNING *;

-- name: ExceptionSetAccess :one
-- A manager's access decision on an exception that asks for one; none when it asks for none (or was decided).
UPDATE payment_exceptions SET access = @access WHERE id = @id AND access = 'ask' RETURNING *;
