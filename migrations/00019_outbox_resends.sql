-- +goose Up
-- Crash-safe e-mail: every SMTP attempt of one outbox row carries the Message-ID stored here (chosen, once, by the
-- first attempt, committed before the SMTP conversation), and an attempt that finds the row still 'sending' (the
-- process died between the SMTP server's acceptance and the 'sent' mark: "maybe sent") is counted in resends.
ALTER TABLE outbound_emails
    ADD COLUMN message_id text    NOT NULL DEFAULT '',
    ADD COLUMN resends    integer NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE outbound_emails
    DROP COLUMN resends,
    DROP COLUMN message_id;
