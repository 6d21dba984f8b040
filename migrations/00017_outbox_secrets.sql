-- +goose Up
-- Single-use links (password reset, welcome, later payment links) are never readable by staff. An e-mail's bodies
-- are stored with each secret its sender marked replaced by a marker (U+E000 "secret <n>" U+E001, n counting from 0);
-- the secrets themselves are kept apart in `secrets`, in marker order, only until the e-mail is sent or logged.
-- The admin outbox shows a mask in place of every marker.
ALTER TABLE outbound_emails ADD COLUMN secrets text[] NOT NULL DEFAULT '{}';

-- E-mails written before carry their reset or welcome link in full: hide its token. One still waiting for delivery
-- keeps the token apart so that it is still sent; a delivered or failed one keeps nothing.
UPDATE outbound_emails o SET
    secrets   = CASE WHEN o.status IN ('queued', 'sending') THEN ARRAY[t.token] ELSE '{}' END,
    text_body = replace(o.text_body, t.token, E'\uE000secret 0\uE001'),
    html_body = replace(o.html_body, t.token, E'\uE000secret 0\uE001')
FROM (SELECT id, (regexp_match(text_body || ' ' || html_body, '/account/(?:reset|welcome)/([A-Za-z0-9_-]{20,})'))[1] AS token
      FROM outbound_emails) t
WHERE o.id = t.id AND t.token IS NOT NULL;

-- +goose Down
-- Secrets still kept (e-mails not yet delivered) go back into the bodies; delivered ones stay masked for good.
-- +goose StatementBegin
DO $$
DECLARE
    n integer := coalesce((SELECT max(cardinality(secrets)) FROM outbound_emails), 0);
BEGIN
    FOR i IN 1..n LOOP
        UPDATE outbound_emails
        SET text_body = replace(text_body, E'\uE000secret ' || (i - 1) || E'\uE001', secrets[i]),
            html_body = replace(html_body, E'\uE000secret ' || (i - 1) || E'\uE001', replace(secrets[i], '&', '&amp;'))
        WHERE cardinality(secrets) >= i;
    END LOOP;
END $$;
-- +goose StatementEnd
UPDATE outbound_emails
SET text_body = regexp_replace(text_body, E'\uE000secret [0-9]+\uE001', '(single-use link hidden)', 'g'),
    html_body = regexp_replace(html_body, E'\uE000secret [0-9]+\uE001', '(single-use link hidden)', 'g');
ALTER TABLE outbound_emails DROP COLUMN secrets;
