-- name: EmailInsert :one
-- Adds an e-mail to the outbox; a second e-mail with the same dedup key is dropped (no row returned).
INSERT INTO outbound_emails (dedup_key, to_address, subject, text_body, html_body, language, related_type, related_id,
                             secrets)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (dedup_key) DO NOTHING
RETURNING id;

-- name: EmailGet :one
SELECT * FROM outbound_emails WHERE id = $1;

-- name: EmailByDedupKey :one
SELECT * FROM outbound_emails WHERE dedup_key = $1;

-- name: EmailClaim :one
-- Marks an e-mail as being handed to SMTP and counts the attempt; nothing when it was already sent, logged or failed.
-- A row found still 'sending' was maybe sent by an attempt that died before recording it: the attempt counts as a
-- resend. The Message-ID is chosen once, by the first attempt (@message_id); a row first tried before message_id
-- existed keeps the id those attempts used (bursar.<id>.<created_at as Unix seconds>@<domain>).
UPDATE outbound_emails SET status = 'sending', attempts = attempts + 1,
    resends = resends + CASE WHEN status = 'sending' THEN 1 ELSE 0 END,
    message_id = CASE
        WHEN message_id <> '' THEN message_id
        WHEN attempts > 0 THEN 'bursar.' || id || '.' || floor(extract(epoch FROM created_at))::bigint || '@' || @domain::text
        ELSE @message_id::text
    END
WHERE id = @id AND status IN ('queued', 'sending')
RETURNING *;

-- name: EmailMarkDone :execrows
-- Records that the e-mail left: status is 'sent' or 'logged'.
UPDATE outbound_emails SET status = @status::text, sent_at = now(), last_error = ''
WHERE id = @id AND status = 'sending';

-- name: EmailMarkError :execrows
-- Records a failed attempt: back to 'queued' for the retry, or 'failed' after the last one.
UPDATE outbound_emails SET status = @status::text, last_error = @last_error
WHERE id = @id AND status = 'sending';

-- name: EmailList :many
-- Newest first, optionally one status, keyset by id.
SELECT * FROM outbound_emails
WHERE (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status)::text)
  AND (sqlc.narg(before_id)::bigint IS NULL OR id < sqlc.narg(before_id)::bigint)
ORDER BY id DESC
LIMIT @max_rows;

-- name: EmailForgetSecrets :exec
-- Drops the secrets of an e-mail once it was sent or logged: its stored bodies only hold their markers.
UPDATE outbound_emails SET secrets = '{}' WHERE id = $1;

-- name: AttachmentInsert :exec
INSERT INTO outbound_email_attachments (email_id, filename, content_type, data) VALUES ($1, $2, $3, $4);

-- name: AttachmentsOf :many
-- An e-mail's attachments with their data, in the order they were given (for the worker).
SELECT filename, content_type, data FROM outbound_email_attachments WHERE email_id = $1 ORDER BY id;

-- name: AttachmentInfos :many
-- The names, types and sizes of the attachments of some e-mails, without their data (for the admin outbox).
SELECT email_id, filename, content_type, octet_length(data)::bigint AS size
FROM outbound_email_attachments WHERE email_id = ANY(@email_ids::bigint[]) ORDER BY email_id, id;
