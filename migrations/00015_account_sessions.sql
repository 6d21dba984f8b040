-- +goose Up
-- When the password last changed: a student's session remembers the value it signed in under, so a password reset
-- signs every other session of the account out.
ALTER TABLE accounts ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now();

-- +goose Down
ALTER TABLE accounts DROP COLUMN password_changed_at;
