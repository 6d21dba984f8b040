// Package crm is the school's contacts: payers and students, their custom fields, notes and internal timeline.
package crm

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bursar/bursar/internal/check"
)

// Limits on contact fields.
const (
	MaxName        = 200
	MaxPhone       = 40
	MaxCustomKeys  = 30
	MaxCustomKey   = 50
	MaxCustomValue = 1000
	MaxNote        = 5000
	MaxQuery       = 200
)

// Timeline event kinds written by this package; other modules add their own (access.granted, order.completed…).
const (
	EventCreated = "contact.created"
	EventUpdated = "contact.updated"
	EventNote    = "note.added"
)

// Contact is a person the school deals with.
type Contact struct {
	ID           int64
	Email        string
	Name         string
	Phone        string
	CustomFields map[string]string
	Placeholder  bool // the e-mail was made up because the gateway returned none
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Input is what a person types to create a contact.
type Input struct {
	Email        string
	Name         string
	Phone        string
	CustomFields map[string]string
}

// Patch changes some fields of a contact; nil fields stay as they are. CustomFields, when set, replaces the map.
type Patch struct {
	Email        *string
	Name         *string
	Phone        *string
	CustomFields *map[string]string
}

// Filter narrows List. Email matches exactly (case-insensitively); Query matches a fragment of e-mail, name or phone.
type Filter struct {
	Email    string
	Query    string
	BeforeID int64 // keyset cursor: contacts older than this id
	Limit    int
}

// Page is one page of contacts, newest first; NextBeforeID is the cursor of the next page, 0 on the last.
type Page struct {
	Contacts     []Contact
	NextBeforeID int64
}

// Note is a staff note on a contact.
type Note struct {
	ID        int64
	ContactID int64
	Body      string
	Author    string
	CreatedAt time.Time
}

// Event is one line of a contact's internal timeline.
type Event struct {
	ID        int64
	ContactID int64
	Kind      string
	Message   string
	Actor     string
	CreatedAt time.Time
}

var (
	phoneRE     = regexp.MustCompile(`^[0-9 +()\-]+$`)
	customKeyRE = regexp.MustCompile(`^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$`)
)

// normalize trims the input and lower-cases the e-mail, the form in which it is stored.
func (in Input) normalize() Input {
	in.Email = check.NormalizeEmail(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	in.Phone = strings.TrimSpace(in.Phone)
	if in.CustomFields == nil {
		in.CustomFields = map[string]string{}
	}
	return in
}

// Validate checks a normalized input and names every bad field.
func (in Input) Validate() error {
	e := check.Errors{}
	e.Email("email", in.Email, true)
	e.Text("name", in.Name, false, MaxName)
	e.Text("phone", in.Phone, false, MaxPhone)
	if _, bad := e["phone"]; !bad && in.Phone != "" && (!phoneRE.MatchString(in.Phone) || !strings.ContainsAny(in.Phone, "0123456789")) {
		e.Add("phone", "may contain only digits, spaces and + ( ) -")
	}
	if msg := validateCustom(in.CustomFields); msg != "" {
		e.Add("custom_fields", msg)
	}
	return e.Err()
}

func validateCustom(m map[string]string) string {
	if len(m) > MaxCustomKeys {
		return fmt.Sprintf("may hold at most %d fields", MaxCustomKeys)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case len(k) > MaxCustomKey:
			return fmt.Sprintf("field name %q must be at most %d characters", k, MaxCustomKey)
		case !customKeyRE.MatchString(k):
			return fmt.Sprintf("field name %q must be snake_case (lowercase letters, digits, single underscores)", k)
		case !check.Clean(m[k]):
			return fmt.Sprintf("field %q %s", k, check.MsgNotText)
		case utf8.RuneCountInString(m[k]) > MaxCustomValue:
			return fmt.Sprintf("field %q must be at most %d characters", k, MaxCustomValue)
		}
	}
	return ""
}

// ParseCustomFields reads the admin form's "key: value" lines; blank lines are skipped.
func ParseCustomFields(text string) (map[string]string, error) {
	m := map[string]string{}
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return nil, check.Field("custom_fields", fmt.Sprintf("line %d: write each field as key: value", i+1))
		}
		k = strings.TrimSpace(k)
		if _, dup := m[k]; dup {
			return nil, check.Field("custom_fields", fmt.Sprintf("line %d: field %q is given twice", i+1, k))
		}
		m[k] = strings.TrimSpace(v)
	}
	return m, nil
}

// FormatCustomFields writes fields as "key: value" lines sorted by key, the form ParseCustomFields reads.
func FormatCustomFields(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, m[k])
	}
	return b.String()
}

// apply returns the input c would have after p.
func (p Patch) apply(c Contact) Input {
	in := Input{Email: c.Email, Name: c.Name, Phone: c.Phone, CustomFields: c.CustomFields}
	if p.Email != nil {
		in.Email = *p.Email
	}
	if p.Name != nil {
		in.Name = *p.Name
	}
	if p.Phone != nil {
		in.Phone = *p.Phone
	}
	if p.CustomFields != nil {
		in.CustomFields = *p.CustomFields
	}
	return in.normalize()
}

// ErrHasOrders refuses to delete a contact who has orders: payment history is kept. Move their access to another
// contact instead.
var ErrHasOrders = check.Conflict("This contact has orders, so it is kept with its payment history. To give the " +
	"access to someone else, transfer it.")
