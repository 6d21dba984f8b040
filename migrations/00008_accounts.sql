-- +goose Up
-- Students' accounts: a contact with a password and a cabinet. Deleting the contact deletes the account.
CREATE TABLE accounts (
    contact_id      bigint      PRIMARY KEY REFERENCES contacts (id) ON DELETE CASCADE,
    password_hash   text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_sign_in_at timestamptz
);

-- Password links: only a SHA-256 of the token is kept; a link works once, for an hour. A link to a contact without
-- an account creates the account when used: it is how a contact someone else created (an admin, a payment) is
-- claimed, by proving the e-mail.
CREATE TABLE password_resets (
    token_hash bytea       PRIMARY KEY,
    contact_id bigint      NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX password_resets_contact_idx ON password_resets (contact_id);

-- Rate limits on public form posts: one row per post, counted over a sliding window per bucket and client address.
CREATE TABLE rate_events (
    bucket text        NOT NULL,
    key    text        NOT NULL,
    at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rate_events_key_idx ON rate_events (bucket, key, at);

-- +goose Down
DROP TABLE rate_events;
DROP TABLE password_resets;
DROP TABLE accounts;
