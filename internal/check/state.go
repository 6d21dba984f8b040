package check

import (
	"errors"
	"fmt"
	"time"
)

// StateError is a conflict a person can act on: the thing is in a state that does not allow the action, often
// because someone else decided first. Message is what a person reads, a whole sentence ("Order B-000012 was
// already rejected by ann@example.com at 2026-11-23 10:00 UTC."); internal/server shows it as it is, on the page
// and as the problem's detail, and never reads any other error's text.
type StateError struct {
	Message string    // the sentence a person reads
	Who     string    // who decided, when the conflict is a decision someone made ("" when unknown)
	When    time.Time // when they decided (zero when unknown)
	Err     error     // the kind, a module's sentinel such as order.ErrNotOpen; nil means ErrConflict
}

// Conflict makes a StateError of kind ErrConflict: modules declare their conflict sentinels with it, so that
// errors.Is finds them and a bare sentinel still reads well.
func Conflict(message string) *StateError { return &StateError{Message: message} }

// Conflictf makes a StateError of kind (a sentinel made with Conflict, or nil for ErrConflict) with a formatted
// message.
func Conflictf(kind error, format string, args ...any) *StateError {
	return &StateError{Message: fmt.Sprintf(format, args...), Err: kind}
}

// Error returns the message.
func (e *StateError) Error() string { return e.Message }

// Unwrap returns the kind and ErrConflict, so that errors.Is(err, ErrConflict) holds for every StateError.
func (e *StateError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrConflict}
	}
	return []error{e.Err, ErrConflict}
}

// AsState extracts the outermost StateError from err, if it carries one: the most specific message.
func AsState(err error) (*StateError, bool) {
	var e *StateError
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}
