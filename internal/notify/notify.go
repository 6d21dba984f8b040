// Package notify sends Bursar's e-mail through a durable outbox.
//
// A workflow that must tell someone about an event (an order completed, a password reset) calls EnqueueTx inside its
// own transaction: the e-mail is written to the outbound_emails table and a River job is inserted in the same
// transaction, so rolling back the event also drops the e-mail, and committing it guarantees the e-mail will be
// attempted even if the process dies right after. Each e-mail carries a dedup key naming its event: enqueuing the
// same key twice is a no-op, so one event never yields two e-mails.
//
// Delivery is at least once and never twice for the same event, with one honest exception: SMTP has no idempotency,
// so if the process dies after the SMTP server acknowledged DATA and before the "sent" mark is committed, the retry
// (River rescues the stuck job after jobs.Config.RescueAfter, minutes) sends the e-mail again. Before each SMTP
// conversation the outbox row is marked "sending", its attempt counted and its Message-ID fixed, in a committed
// transaction; an attempt that finds the row still "sending" treats it as maybe sent: it sends again with that same
// Message-ID, which lets receiving servers and clients collapse the duplicate, and counts a resend (Message.Resends,
// shown in the admin outbox). A row already sent, logged or failed is never sent again.
package notify

import (
	"fmt"
	"mime"
	"strings"
	"time"
	"unicode"

	"github.com/bursar/bursar/internal/check"
)

// Status is where an e-mail is in the outbox.
type Status string

// Statuses of an outbox e-mail.
const (
	StatusQueued  Status = "queued"  // waiting for its job (also between retries)
	StatusSending Status = "sending" // handed to SMTP, not yet confirmed
	StatusSent    Status = "sent"    // the SMTP server accepted it
	StatusLogged  Status = "logged"  // no SMTP server is configured: only logged, kept for the admin outbox
	StatusFailed  Status = "failed"  // gave up after the last attempt
)

// Statuses lists every status, for filters.
var Statuses = []Status{StatusQueued, StatusSending, StatusSent, StatusLogged, StatusFailed}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Limits on e-mail fields.
const (
	MaxDedupKey    = 200
	MaxSubject     = 300
	MaxBody        = 1 << 20 // bytes, for each of the text and HTML bodies
	MaxRelatedType = 50
	MaxListLimit   = 100
	// MaxAttachments bounds the number of an e-mail's attachments, MaxAttachmentBytes their size together, and
	// MaxFilename an attachment's name (in bytes).
	MaxAttachments     = 10
	MaxAttachmentBytes = 10 << 20
	MaxFilename        = 200
)

// Attachment is a file sent with an e-mail (a paid receipt's PDF). It is stored with the e-mail's outbox row, in
// the same transaction, and sent as a MIME attachment.
type Attachment struct {
	Filename    string // shown to the recipient: no path, no line break
	ContentType string // a MIME type, "application/pdf"
	Data        []byte // nil in the messages Service returns (they carry Size)
	// Size is the size of Data in bytes: set by the outbox when it reads an attachment without its data (the
	// admin outbox shows it); ignored when enqueuing.
	Size int
}

// Email is an e-mail to enqueue: already rendered (see templates/email) in the recipient's language.
type Email struct {
	// DedupKey names the event that causes the e-mail, e.g. "order:123:completed"; the same key is sent once.
	DedupKey string
	To       string
	Subject  string
	Text     string // the plain-text part (required)
	HTML     string // the HTML part; empty sends a text-only e-mail
	Language string // BCP 47 tag of the text, "en" when empty
	// RelatedType and RelatedID name the record the e-mail is about ("order", 123), for the admin outbox.
	RelatedType string
	RelatedID   int64
	// Secrets are values in Text and HTML only the recipient may read, such as a single-use link and its token
	// (see SecretMask): staff see a mask in their place, and they are forgotten once the e-mail is delivered.
	Secrets []string
	// Attachments are sent with the e-mail, in this order.
	Attachments []Attachment
}

func (e Email) normalize() Email {
	e.DedupKey = strings.TrimSpace(e.DedupKey)
	e.To = check.NormalizeEmail(e.To)
	e.Subject = strings.TrimSpace(e.Subject)
	e.Language = strings.TrimSpace(e.Language)
	if e.Language == "" {
		e.Language = "en"
	}
	return e
}

// Validate names each bad field. A header can never be smuggled in through the subject: line breaks are refused.
func (e Email) Validate() error {
	errs := check.Errors{}
	errs.Text("dedup_key", e.DedupKey, true, MaxDedupKey)
	errs.Email("to", e.To, true)
	errs.Text("subject", e.Subject, true, MaxSubject)
	if strings.ContainsAny(e.Subject, "\r\n") {
		errs.Add("subject", "must be one line")
	}
	if strings.TrimSpace(e.Text) == "" {
		errs.Add("text", "is required")
	} else if len(e.Text) > MaxBody {
		errs.Add("text", "is too long")
	}
	if len(e.HTML) > MaxBody {
		errs.Add("html", "is too long")
	}
	errs.Text("language", e.Language, true, 20)
	errs.Text("related_type", e.RelatedType, false, MaxRelatedType)
	validateSecrets(e.Secrets, errs.Add)
	validateAttachments(e.Attachments, errs.Add)
	return errs.Err()
}

// validateAttachments reports, on "attachments", too many or too large attachments, a name that is empty, too long
// or not a plain file name, and a content type that is not a MIME type.
func validateAttachments(as []Attachment, add func(field, msg string)) {
	if len(as) > MaxAttachments {
		add("attachments", fmt.Sprintf("must be at most %d", MaxAttachments))
		return
	}
	total := 0
	for i, a := range as {
		switch {
		case strings.TrimSpace(a.Filename) == "":
			add("attachments", fmt.Sprintf("attachment %d has no file name", i+1))
		case len(a.Filename) > MaxFilename:
			add("attachments", fmt.Sprintf("attachment %d: the file name is too long", i+1))
		case strings.ContainsAny(a.Filename, `/\`) || strings.ContainsFunc(a.Filename, unicode.IsControl):
			add("attachments", fmt.Sprintf("attachment %d: the file name must be a plain name", i+1))
		}
		if _, _, err := mime.ParseMediaType(a.ContentType); err != nil || !strings.Contains(a.ContentType, "/") {
			add("attachments", fmt.Sprintf("attachment %d: %q is not a MIME type", i+1, a.ContentType))
		}
		if len(a.Data) == 0 {
			add("attachments", fmt.Sprintf("attachment %d is empty", i+1))
		}
		total += len(a.Data)
	}
	if total > MaxAttachmentBytes {
		add("attachments", fmt.Sprintf("must be at most %d bytes together", MaxAttachmentBytes))
	}
}

// Message is an e-mail in the outbox.
type Message struct {
	ID          int64
	DedupKey    string
	To          string
	Subject     string
	Text        string
	HTML        string
	Language    string
	Status      Status
	Attempts    int
	LastError   string
	RelatedType string
	RelatedID   int64 // 0 when none
	CreatedAt   time.Time
	SentAt      time.Time // zero until sent or logged
	// MessageID is the Message-ID of every SMTP attempt of this e-mail (without the angle brackets): chosen and
	// stored by the first attempt, before the SMTP conversation, so a resend after a crash is recognisably the same
	// message. Empty until the first attempt.
	MessageID string
	// Resends counts the attempts that found the e-mail still sending — an earlier attempt died between the SMTP
	// conversation and recording its outcome — and so may have delivered it a second time (same Message-ID).
	Resends int
	// Attachments are the e-mail's files: names, types and sizes in what Service returns; with their data in what
	// the worker sends.
	Attachments []Attachment
	// secrets are the values of the markers in Text and HTML, kept until delivery (see secret.go). Only the worker
	// sees them: every Service method returns messages masked.
	secrets []string
}

// Filter narrows List.
type Filter struct {
	Status   Status // "" for every status
	BeforeID int64  // keyset cursor: e-mails older than this id
	Limit    int
}

// Page is one page of the outbox, newest first; NextBeforeID is the cursor of the next page, 0 on the last.
type Page struct {
	Messages     []Message
	NextBeforeID int64
}
