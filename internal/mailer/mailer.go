// Package mailer renders Bursar's e-mails (templates/email) and enqueues them on the durable outbox (internal/notify).
// It is the adapter that lets domain modules send e-mail without importing templates.
package mailer
