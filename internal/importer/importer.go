// Package importer brings in sales made elsewhere (issue 16, F10): a CSV file of who bought which product, checked
// row by row (Preview), then committed (Commit): each row's contact is created or updated (internal/crm), the
// product granted with source import (internal/access), the payment made elsewhere optionally written on the
// contact's timeline, and a welcome e-mail with a sign-in link optionally sent (internal/account, the mailer).
//
// A sale is keyed by its external reference, e-mail and product: a row whose key was imported before changes
// nothing, so importing the same file twice is harmless. The commit runs in batches of rows, each batch one
// transaction; a commit that stops midway (a crash, a lost connection) is finished by committing again, which
// skips the rows already in. A file with any bad row commits nothing.
package importer

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Limits on a file.
const (
	MaxFileSize = 32 << 20 // bytes
	MaxRows     = 200_000
	MaxRef      = 150 // characters of an external reference
)

// Columns of the file, as its first line names them (letter case, spaces and hyphens aside; "e-mail" is email).
const (
	ColEmail    = "email"
	ColName     = "name"
	ColPhone    = "phone"
	ColProduct  = "product" // the product's id, or its exact name
	ColStart    = "start"
	ColEnd      = "end"
	ColAmount   = "amount"
	ColCurrency = "currency"
	ColRef      = "external_reference"
)

// Required are the columns a file must have.
var Required = []string{ColEmail, ColProduct, ColRef}

// Columns are every column the importer reads, in the order the preview shows them; others are ignored.
var Columns = []string{ColEmail, ColName, ColPhone, ColProduct, ColStart, ColEnd, ColAmount, ColCurrency, ColRef}

// aliases are other names people give the columns.
var aliases = map[string]string{
	"e_mail": ColEmail, "product_id": ColProduct, "starts_at": ColStart, "ends_at": ColEnd,
	"external_ref": ColRef, "reference": ColRef,
}

// EventExternalPayment is the timeline kind of a payment made elsewhere, written with the option RecordPayments.
const EventExternalPayment = "payment.external"

// Row is one line of the file as checked.
type Row struct {
	Line        int // the line number in the file (the header is line 1)
	Email       string
	Name        string
	Phone       string
	ProductID   int64
	ProductName string
	Product     string     // the cell as written
	Start       time.Time  // when the sale's access starts: the cell, or the check's time when empty
	StartGiven  bool       // the file gave the start: a new grant starts then (else when committed)
	End         *time.Time // nil: forever
	Amount      int64      // minor units; 0 with no amount
	Currency    string
	Ref         string
	// Errors is a message per column of what is wrong; "row" for the line as a whole.
	Errors map[string]string
	// Imported says the row's sale was imported before: committing it changes nothing.
	Imported bool
}

// Preview is a file as checked: every row, and the counts.
type Preview struct {
	Delimiter rune
	Rows      []Row
	Bad       int // rows with errors
	Imported  int // rows imported before
}

// New is the number of rows a commit would bring in.
func (p Preview) New() int { return len(p.Rows) - p.Bad - p.Imported }

// BadRows are the rows with errors, in file order.
func (p Preview) BadRows() []Row {
	var out []Row
	for _, r := range p.Rows {
		if len(r.Errors) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// RowsError refuses a commit because rows have errors; nothing was committed.
type RowsError struct {
	Rows []Row // the bad rows, with their Errors
}

// Error says how many rows are bad.
func (e *RowsError) Error() string {
	return fmt.Sprintf("importer: %d rows have errors", len(e.Rows))
}

// Message is what a person reads: nothing was imported, and why.
func (e *RowsError) Message() string {
	if len(e.Rows) == 1 {
		return "1 row has errors; nothing was imported. Correct it and upload the file again."
	}
	return fmt.Sprintf("%d rows have errors; nothing was imported. Correct them and upload the file again.", len(e.Rows))
}

// Options choose what a commit does besides contacts and grants.
type Options struct {
	Welcome        bool // e-mail each contact a sign-in link to the products imported for them
	RecordPayments bool // write the payment made elsewhere (amount, reference) on the contact's timeline
}

// Result counts what a commit did.
type Result struct {
	ImportID  int64
	Rows      int
	Created   int // contacts created
	Updated   int // contacts whose name or phone changed
	Granted   int // rows that gave a new grant (a product the contact did not have in force)
	Extended  int // rows that lengthened or kept a grant the contact had
	Unchanged int // rows imported before: nothing done
	Errors    int // bad rows (a refused commit)
}

// Import is a file uploaded, and what its last commit did.
type Import struct {
	ID          int64
	FileName    string
	Rows        int
	BadRows     int
	Committed   bool
	Options     Options
	Result      Result
	CreatedBy   string
	CreatedAt   time.Time
	CommittedAt *time.Time
}

// Welcome is the e-mail that tells a contact what was imported for them, with a single-use sign-in link.
type Welcome struct {
	ImportID  int64
	ContactID int64
	To        string
	Name      string
	Language  string
	Products  []string
	SignInURL string
}

// DedupKey is the welcome's key in the outbox: one per import and contact.
func (w Welcome) DedupKey() string {
	return fmt.Sprintf("import:%d:welcome:%d", w.ImportID, w.ContactID)
}

// header maps each known column to its index; the unknown ones are ignored.
func header(cells []string) (map[string]int, []string) {
	idx := map[string]int{}
	for i, c := range cells {
		name := strings.ToLower(strings.TrimSpace(c))
		name = strings.NewReplacer(" ", "_", "-", "_").Replace(name)
		if a, ok := aliases[name]; ok {
			name = a
		}
		if _, dup := idx[name]; !dup {
			idx[name] = i
		}
	}
	var missing []string
	for _, c := range Required {
		if _, ok := idx[c]; !ok {
			missing = append(missing, c)
		}
	}
	sort.Strings(missing)
	return idx, missing
}
