-- +goose Up
-- What a refund or a dispute does to the access an order granted, per offer (PRODUCT.md "Beyond the peers" 7):
-- revoke at once (the behaviour before this migration, for refunds), keep, or ask a manager (an exception with the
-- actions revoke and keep). Disputes have their own setting: a refund is the school's decision, a dispute the
-- payer's claim the school may still win; the default asks a manager.
ALTER TABLE offers
    ADD COLUMN refund_access  text NOT NULL DEFAULT 'revoke' CHECK (refund_access IN ('revoke', 'keep', 'ask')),
    ADD COLUMN dispute_access text NOT NULL DEFAULT 'ask' CHECK (dispute_access IN ('revoke', 'keep', 'ask'));

-- Disputes and chargebacks (Stripe charge.dispute.*, PayPal CUSTOMER.DISPUTE.*): one exception per dispute, kept up
-- to date by its later notifications, which may arrive in any order: dispute_at is the time of the state recorded
-- (the event's, or the dispute's own update_time), dispute_stage how far it has gone, and a notification of an earlier
-- stage, or older at the same stage, changes nothing. access is the access decision an exception asks for ('ask') or records ('revoked', 'kept').
ALTER TABLE payment_exceptions
    ADD COLUMN dispute_ref     text        NOT NULL DEFAULT '', -- the gateway's dispute id (dp_…, PP-D-…)
    ADD COLUMN dispute_status  text        NOT NULL DEFAULT '', -- as the gateway says (needs_response, UNDER_REVIEW, won…)
    ADD COLUMN dispute_reason  text        NOT NULL DEFAULT '',
    ADD COLUMN dispute_stage   smallint    NOT NULL DEFAULT 0 CHECK (dispute_stage BETWEEN 0 AND 3), -- 1 open, 2 under review, 3 closed
    ADD COLUMN dispute_at      timestamptz,
    ADD COLUMN evidence_due_at timestamptz,
    ADD COLUMN outcome         text        NOT NULL DEFAULT '' CHECK (outcome IN ('', 'won', 'lost', 'withdrawn', 'other')),
    ADD COLUMN access          text        NOT NULL DEFAULT '' CHECK (access IN ('', 'ask', 'revoked', 'kept'));
CREATE UNIQUE INDEX payment_exceptions_dispute_key ON payment_exceptions (payment_system_id, dispute_ref)
    WHERE dispute_ref <> '';
CREATE INDEX payment_exceptions_access_ask_idx ON payment_exceptions (order_id) WHERE access = 'ask';

ALTER TABLE payment_exceptions DROP CONSTRAINT payment_exceptions_kind_check;
ALTER TABLE payment_exceptions ADD CONSTRAINT payment_exceptions_kind_check
    CHECK (kind IN ('amount_mismatch', 'currency_mismatch', 'late_payment', 'no_email', 'outside_refund',
                    'unknown_order', 'foreign_system', 'refund_unconfirmed', 'dispute', 'refund_access'));

-- +goose Down
DELETE FROM payment_exceptions WHERE kind IN ('dispute', 'refund_access');
ALTER TABLE payment_exceptions DROP CONSTRAINT payment_exceptions_kind_check;
ALTER TABLE payment_exceptions ADD CONSTRAINT payment_exceptions_kind_check
    CHECK (kind IN ('amount_mismatch', 'currency_mismatch', 'late_payment', 'no_email', 'outside_refund',
                    'unknown_order', 'foreign_system', 'refund_unconfirmed'));
DROP INDEX payment_exceptions_access_ask_idx;
DROP INDEX payment_exceptions_dispute_key;
ALTER TABLE payment_exceptions DROP COLUMN access, DROP COLUMN outcome, DROP COLUMN evidence_due_at,
    DROP COLUMN dispute_at, DROP COLUMN dispute_stage, DROP COLUMN dispute_reason, DROP COLUMN dispute_status, DROP COLUMN dispute_ref;
ALTER TABLE offers DROP COLUMN dispute_access, DROP COLUMN refund_access;
