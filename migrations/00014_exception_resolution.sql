-- +goose Up
-- What the admin did about an exception is kept apart from what happened (the note written when it was opened).
ALTER TABLE payment_exceptions ADD COLUMN resolution text NOT NULL DEFAULT '';
-- The payment's second reference (Stripe's PaymentIntent), which the gateway's later refund notification names.
ALTER TABLE payment_exceptions ADD COLUMN gateway_alt_ref text NOT NULL DEFAULT '';
-- Money returned through the gateway from the inbox: the gateway's own refund notification that follows is known.
ALTER TABLE payment_exceptions ADD COLUMN refunded_amount bigint NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0);
CREATE INDEX payment_exceptions_ref_idx ON payment_exceptions (payment_system_id, gateway_ref) WHERE gateway_ref <> '';
CREATE INDEX payment_exceptions_alt_ref_idx ON payment_exceptions (payment_system_id, gateway_alt_ref)
    WHERE gateway_alt_ref <> '';

-- The Transactions screen pages payments and refunds by time.
CREATE INDEX payments_created_idx ON payments (created_at, id);
CREATE INDEX refunds_created_idx ON refunds (created_at, id);

-- +goose Down
DROP INDEX refunds_created_idx;
DROP INDEX payments_created_idx;
DROP INDEX payment_exceptions_alt_ref_idx;
DROP INDEX payment_exceptions_ref_idx;
ALTER TABLE payment_exceptions DROP COLUMN refunded_amount;
ALTER TABLE payment_exceptions DROP COLUMN gateway_alt_ref;
ALTER TABLE payment_exceptions DROP COLUMN resolution;
