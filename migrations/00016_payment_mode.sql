-- A notification settles only what its own payment system started: each payment records the mode (test or live)
-- of the payment system it went through when it was made, and a new exception kind names a notification from a
-- payment system (or mode) the order was never paid through.

-- +goose Up
ALTER TABLE payments ADD COLUMN mode text NOT NULL DEFAULT 'test' CHECK (mode IN ('test', 'live'));
UPDATE payments p SET mode = s.mode FROM payment_systems s WHERE s.id = p.payment_system_id AND p.mode <> s.mode;
ALTER TABLE payments ALTER COLUMN mode DROP DEFAULT;

ALTER TABLE payment_exceptions DROP CONSTRAINT payment_exceptions_kind_check;
ALTER TABLE payment_exceptions ADD CONSTRAINT payment_exceptions_kind_check
    CHECK (kind IN ('amount_mismatch', 'currency_mismatch', 'late_payment', 'no_email', 'outside_refund',
                    'unknown_order', 'foreign_system'));

-- +goose Down
DELETE FROM payment_exceptions WHERE kind = 'foreign_system';
ALTER TABLE payment_exceptions DROP CONSTRAINT payment_exceptions_kind_check;
ALTER TABLE payment_exceptions ADD CONSTRAINT payment_exceptions_kind_check
    CHECK (kind IN ('amount_mismatch', 'currency_mismatch', 'late_payment', 'no_email', 'outside_refund',
                    'unknown_order'));
ALTER TABLE payments DROP COLUMN mode;
