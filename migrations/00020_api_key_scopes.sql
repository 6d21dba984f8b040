-- API keys get scopes and an optional expiry. A scope is '*' (full access) or '<group>:read' / '<group>:write' over
-- the API's resource groups (see internal/staff/apikey.go); keys made before scopes existed keep full access.

-- +goose Up
ALTER TABLE api_keys ADD COLUMN scopes text[] NOT NULL DEFAULT '{*}',
                     ADD COLUMN expires_at timestamptz;
-- The default is for the rows that exist now; a new key always names its scopes.
ALTER TABLE api_keys ALTER COLUMN scopes DROP DEFAULT;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_check CHECK (cardinality(scopes) > 0);

-- +goose Down
ALTER TABLE api_keys DROP COLUMN expires_at, DROP COLUMN scopes;
