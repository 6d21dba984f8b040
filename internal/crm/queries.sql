-- name: ContactsCount :one
SELECT count(*) FROM contacts;
