-- +goose Up
-- Subscriptions through gateways that save the payer's card and charge it when Bursar asks (WayForPay's recToken,
-- Fondy's rectoken; gateway.SavedCards): Bursar owns their schedule. The first payment, on the gateway's page,
-- saves the card; each later period is charged by the charge job with no payer present.

-- card_token: the saved card the gateway returned with the last paid charge (useless without the payment system's
-- secret key, which stays sealed). next_charge_at: when the charge job looks at the subscription next (the
-- period's end, a retry after a failed charge, or the end of one cancelling); NULL when nothing is due (gateway
-- schedules, paused, cancelled, ended). retries: failed charges since the last paid one.
ALTER TABLE subscriptions
    ADD COLUMN card_token     text        NOT NULL DEFAULT '',
    ADD COLUMN next_charge_at timestamptz,
    ADD COLUMN retries        integer     NOT NULL DEFAULT 0;
CREATE INDEX subscriptions_next_charge_idx ON subscriptions (next_charge_at) WHERE next_charge_at IS NOT NULL;

-- Each charge Bursar asks of a saved-card gateway, written before the call (the intent): its reference (the
-- gateway's order reference), the period it pays. 'sent' until an answer settles it ('answered'); one left 'sent'
-- (a crash or a timeout) is asked about by the charge job. The first payment on the gateway's page has one too,
-- with no period (it starts when paid).
CREATE TABLE subscription_attempts (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id   bigint      NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    payment_system_id bigint      NOT NULL REFERENCES payment_systems (id),
    ref               text        NOT NULL,
    kind              text        NOT NULL CHECK (kind IN ('checkout', 'charge')),
    period_start      timestamptz,
    period_end        timestamptz,
    amount            bigint      NOT NULL CHECK (amount > 0),
    currency          text        NOT NULL,
    status            text        NOT NULL DEFAULT 'sent' CHECK (status IN ('sent', 'answered')),
    asked_at          timestamptz, -- when the charge job last asked the gateway about it
    created_at        timestamptz NOT NULL DEFAULT now(),
    answered_at       timestamptz,
    CONSTRAINT subscription_attempts_ref_key UNIQUE (payment_system_id, ref)
);
CREATE INDEX subscription_attempts_sent_idx ON subscription_attempts (created_at) WHERE status = 'sent';
CREATE INDEX subscription_attempts_subscription_idx ON subscription_attempts (subscription_id, id);

-- +goose Down
DROP TABLE subscription_attempts;
DROP INDEX subscriptions_next_charge_idx;
ALTER TABLE subscriptions DROP COLUMN retries, DROP COLUMN next_charge_at, DROP COLUMN card_token;
