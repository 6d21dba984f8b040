-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- People the school deals with: payers and students.
CREATE TABLE contacts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text        NOT NULL,
    name          text        NOT NULL DEFAULT '',
    phone         text        NOT NULL DEFAULT '',
    custom_fields jsonb       NOT NULL DEFAULT '{}',
    placeholder   boolean     NOT NULL DEFAULT false, -- e-mail made up because the gateway returned none
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX contacts_email_key ON contacts (lower(email));
CREATE INDEX contacts_search_idx ON contacts USING gin ((lower(email) || ' ' || lower(name) || ' ' || phone) gin_trgm_ops);

CREATE TABLE contact_notes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id bigint      NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    body       text        NOT NULL,
    author     text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_notes_contact_idx ON contact_notes (contact_id, id);

-- The contact's internal timeline: every change that concerns them (never shown to the student).
CREATE TABLE contact_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id bigint      NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    kind       text        NOT NULL,
    message    text        NOT NULL,
    actor      text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_events_contact_idx ON contact_events (contact_id, id);

-- +goose Down
DROP TABLE contact_events;
DROP TABLE contact_notes;
DROP TABLE contacts;
