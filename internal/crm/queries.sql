-- name: ContactsCount :one
SELECT count(*) FROM contacts;

-- name: ContactCreate :one
INSERT INTO contacts (email, name, phone, custom_fields, placeholder)
VALUES (@email, @name, @phone, @custom_fields, @placeholder)
RETURNING *;

-- name: ContactGet :one
SELECT * FROM contacts WHERE id = @id;

-- name: ContactsByIDs :many
-- The contacts of a page of other records (orders, transactions), in one round trip.
SELECT * FROM contacts WHERE id = ANY(@ids::bigint[]);

-- name: ContactGetForUpdate :one
SELECT * FROM contacts WHERE id = @id FOR UPDATE;

-- name: ContactByEmail :one
SELECT * FROM contacts WHERE lower(email) = lower(@email);

-- name: ContactUpdate :one
UPDATE contacts
SET email = @email, name = @name, phone = @phone, custom_fields = @custom_fields, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: ContactDelete :one
DELETE FROM contacts WHERE id = @id RETURNING email;

-- name: NoteAdd :one
INSERT INTO contact_notes (contact_id, body, author) VALUES (@contact_id, @body, @author) RETURNING *;

-- name: NoteList :many
SELECT * FROM contact_notes WHERE contact_id = @contact_id ORDER BY id DESC LIMIT @lim;

-- name: EventAdd :exec
INSERT INTO contact_events (contact_id, kind, message, actor) VALUES (@contact_id, @kind, @message, @actor);

-- name: EventAddEmail :one
-- EventAdd that also returns the contact's e-mail, read by the same statement.
INSERT INTO contact_events (contact_id, kind, message, actor) VALUES (@contact_id, @kind, @message, @actor)
RETURNING (SELECT c.email FROM contacts c WHERE c.id = contact_events.contact_id)::text AS email;

-- name: EventList :many
SELECT * FROM contact_events WHERE contact_id = @contact_id ORDER BY id DESC LIMIT @lim;

-- name: ContactInsertIfAbsent :one
-- Adds a contact for a payer's e-mail unless one exists in any letter case (then no row: read it instead). Two
-- payments naming the same new e-mail at once both end with the one contact.
INSERT INTO contacts (email, name, placeholder)
VALUES (@email, @name, @placeholder)
ON CONFLICT ((lower(email))) DO NOTHING
RETURNING *;

-- name: ContactNameIfEmpty :execrows
UPDATE contacts SET name = @name, updated_at = now() WHERE id = @id AND name = '';

-- name: EventsAdd :exec
-- AddEventsTx: one actor's timeline lines in one statement (the arrays unnested side by side).
INSERT INTO contact_events (contact_id, kind, message, actor)
SELECT unnest(@contact_ids::bigint[]), unnest(@kinds::text[]), unnest(@messages::text[]), @actor::text;

-- name: ContactsInsertMany :many
-- UpsertManyTx: a batch's new contacts in one statement (the arrays unnested side by side); an e-mail that exists in
-- any letter case adds nothing (read by ContactsByEmails), and a concurrent insert of one waits, then adds nothing.
INSERT INTO contacts (email, name, phone)
SELECT unnest(@emails::text[]), unnest(@names::text[]), unnest(@phones::text[])
ON CONFLICT ((lower(email))) DO NOTHING
RETURNING *;

-- name: ContactsByEmails :many
-- The contacts of lower-cased e-mails, in one round trip.
SELECT * FROM contacts WHERE lower(email) = ANY(@emails::text[]);

-- name: ContactsSetNamePhone :many
-- UpsertManyTx: the batch's known contacts given their new name and phone in one statement.
UPDATE contacts AS c SET name = u.name, phone = u.phone, updated_at = now()
FROM (SELECT unnest(@ids::bigint[]) AS id, unnest(@names::text[]) AS name, unnest(@phones::text[]) AS phone) AS u
WHERE c.id = u.id
RETURNING c.*;
