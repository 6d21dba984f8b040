-- +goose Up
-- Paying without authorization (F2): a visitor's order has no contact until the gateway's verified payment names
-- one (found or created by the payer's e-mail, or a placeholder when the gateway returned none).
ALTER TABLE orders ALTER COLUMN contact_id DROP NOT NULL;
-- An order without a contact must be a checkout order still waiting for its payment, or one a payment settled.
ALTER TABLE orders ADD CONSTRAINT orders_guest_checkout CHECK (contact_id IS NOT NULL OR channel = 'checkout');

-- Welcome links: the single-use sign-in link e-mailed after paying without authorization. Its first use asks a new
-- contact for a password and the registration fields of the offer bought (offer_id), or signs an existing account
-- in. Kept apart from reset links by purpose: a welcome link lives longer (days, not an hour).
ALTER TABLE password_resets ADD COLUMN purpose text NOT NULL DEFAULT 'reset' CHECK (purpose IN ('reset', 'welcome'));
ALTER TABLE password_resets ADD COLUMN offer_id bigint;

-- +goose Down
ALTER TABLE password_resets DROP COLUMN offer_id;
ALTER TABLE password_resets DROP COLUMN purpose;
DELETE FROM orders WHERE contact_id IS NULL;
ALTER TABLE orders DROP CONSTRAINT orders_guest_checkout;
ALTER TABLE orders ALTER COLUMN contact_id SET NOT NULL;
