-- Attachments of outbox e-mails (a paid receipt's PDF): stored with the e-mail, in the same transaction, so the
-- worker sends exactly what was enqueued; dropped with their e-mail.

-- +goose Up
CREATE TABLE outbound_email_attachments (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email_id     bigint NOT NULL REFERENCES outbound_emails (id) ON DELETE CASCADE,
    filename     text   NOT NULL CHECK (filename <> ''),
    content_type text   NOT NULL,
    data         bytea  NOT NULL
);
CREATE INDEX outbound_email_attachments_email_idx ON outbound_email_attachments (email_id, id);

-- +goose Down
DROP TABLE outbound_email_attachments;
