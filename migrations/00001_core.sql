-- +goose Up
-- Staff who sign in to /admin. Owners manage staff and settings; managers run the school day to day.
CREATE TABLE admin_users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text        NOT NULL,
    name          text        NOT NULL DEFAULT '',
    role          text        NOT NULL CHECK (role IN ('owner', 'manager')),
    password_hash text        NOT NULL,
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX admin_users_email_key ON admin_users (lower(email));

-- scs/pgxstore's session table.
CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   bytea       NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- Sign-in attempts, for rate limits and lockouts shared by every Bursar process.
CREATE TABLE login_attempts (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope     text        NOT NULL, -- 'email' or 'ip'
    key       text        NOT NULL,
    succeeded boolean     NOT NULL,
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_key_idx ON login_attempts (scope, key, at);

-- API keys: only a SHA-256 of the key is kept.
CREATE TABLE api_keys (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text        NOT NULL,
    prefix       text        NOT NULL,
    key_hash     bytea       NOT NULL UNIQUE,
    created_by   bigint REFERENCES admin_users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- Who changed what, when: admin screens, the API, the CLI and the system itself.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_type  text        NOT NULL CHECK (actor_type IN ('admin', 'api', 'cli', 'system')),
    actor_id    bigint,
    actor_label text        NOT NULL DEFAULT '',
    action      text        NOT NULL,
    entity      text        NOT NULL,
    entity_id   text        NOT NULL DEFAULT '',
    details     jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);

-- Idempotency-Key replay store for POSTs of the JSON API.
CREATE TABLE idempotency_keys (
    api_key_id    bigint      NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    key           text        NOT NULL,
    method        text        NOT NULL,
    path          text        NOT NULL,
    request_hash  bytea       NOT NULL,
    status        integer,              -- NULL while the first request is in flight
    content_type  text        NOT NULL DEFAULT '',
    location      text        NOT NULL DEFAULT '',
    response_body bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (api_key_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- One-time tokens of admin and public create forms: a double-submitted form creates one record and both
-- submissions land on it.
CREATE TABLE form_tokens (
    token      text PRIMARY KEY,
    result_url text,                 -- NULL while the first submission is in flight
    created_at timestamptz NOT NULL DEFAULT now()
);

-- School-wide settings (name, contact details, default language).
CREATE TABLE settings (
    key        text PRIMARY KEY,
    value      jsonb       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE settings;
DROP TABLE form_tokens;
DROP TABLE idempotency_keys;
DROP TABLE audit_log;
DROP TABLE api_keys;
DROP TABLE login_attempts;
DROP TABLE sessions;
DROP TABLE admin_users;
