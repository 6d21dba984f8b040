-- +goose Up
-- The e-mail outbox: every e-mail Bursar sends, written in the transaction of the event that causes it and sent by a
-- durable River job. The dedup key names the event ("order:123:completed"), so one event never yields two e-mails.
CREATE TABLE outbound_emails (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedup_key    text        NOT NULL,
    to_address   text        NOT NULL,
    subject      text        NOT NULL,
    text_body    text        NOT NULL,
    html_body    text        NOT NULL DEFAULT '',
    language     text        NOT NULL DEFAULT 'en',
    -- queued: waiting for the job; sending: handed to SMTP, not yet confirmed; sent: the server accepted it;
    -- logged: no SMTP server is configured, so it was only logged; failed: gave up after the last attempt.
    status       text        NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'sending', 'sent', 'logged', 'failed')),
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text        NOT NULL DEFAULT '',
    related_type text        NOT NULL DEFAULT '',
    related_id   bigint,
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz,
    CONSTRAINT outbound_emails_dedup_key UNIQUE (dedup_key)
);
CREATE INDEX outbound_emails_status_idx ON outbound_emails (status, id);
CREATE INDEX outbound_emails_related_idx ON outbound_emails (related_type, related_id) WHERE related_id IS NOT NULL;

-- +goose Down
DROP TABLE outbound_emails;
