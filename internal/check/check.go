// Package check holds the error kinds every domain module shares — not found, conflict, invalid input — and the
// field checks used to build them, so that internal/server can map them to responses in one place.
package check

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// ErrNotFound is wrapped by every module's not-found error; the server answers 404.
var ErrNotFound = errors.New("not found")

// ErrConflict is wrapped by errors about a state that changed under the caller (someone else decided first).
var ErrConflict = errors.New("conflict")

// Errors is invalid input: a message per field name. A nil or empty Errors is no error.
type Errors map[string]string

// Error lists the fields and their problems in a stable order.
func (e Errors) Error() string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+e[k])
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records msg for field unless the field already has a message.
func (e Errors) Add(field, msg string) {
	if _, ok := e[field]; !ok {
		e[field] = msg
	}
}

// Err returns e as an error, or nil when it holds no message.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// Field makes an Errors with one message.
func Field(field, msg string) Errors { return Errors{field: msg} }

// AsErrors extracts the field errors from err, if it carries any.
func AsErrors(err error) (Errors, bool) {
	var e Errors
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Text checks a trimmed string's length in characters; required means at least one. Text that is not Clean is
// refused first, whatever its length.
func (e Errors) Text(field, v string, required bool, max int) {
	n := utf8.RuneCountInString(v)
	switch {
	case !Clean(v):
		e.Add(field, MsgNotText)
	case required && strings.TrimSpace(v) == "":
		e.Add(field, "is required")
	case n > max:
		e.Add(field, fmt.Sprintf("must be at most %d characters", max))
	}
}

// Email checks an e-mail address (a bare address, no display name).
func (e Errors) Email(field, v string, required bool) {
	if v == "" {
		if required {
			e.Add(field, "is required")
		}
		return
	}
	if len(v) > 254 {
		e.Add(field, "must be at most 254 characters")
		return
	}
	if !Clean(v) {
		e.Add(field, MsgNotText)
		return
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || a.Name != "" || !strings.Contains(v[strings.LastIndex(v, "@")+1:], ".") {
		e.Add(field, "is not a valid e-mail address")
	}
}

var slugRE = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// Slug checks a URL slug: lowercase letters, digits and single hyphens, 1–80 characters.
func (e Errors) Slug(field, v string) {
	switch {
	case v == "":
		e.Add(field, "is required")
	case len(v) > 80:
		e.Add(field, "must be at most 80 characters")
	case !slugRE.MatchString(v):
		e.Add(field, "may contain only lowercase letters, digits and single hyphens")
	}
}

// URL checks an optional absolute http(s) URL.
func (e Errors) URL(field, v string) {
	if v == "" {
		return
	}
	if len(v) > 2000 {
		e.Add(field, "must be at most 2000 characters")
		return
	}
	if !Clean(v) {
		e.Add(field, MsgNotText)
		return
	}
	if !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") || strings.ContainsAny(v, " \t\r\n<>\"") || len(v) < 10 {
		e.Add(field, "must be an absolute http(s) URL")
	}
}

// NormalizeEmail is the form in which e-mail addresses are compared and stored: trimmed and lower-cased.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
