package gateway

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
)

// Redacted replaces what Redact masks.
const Redacted = "[redacted]"

// minSecret is the shortest credential value Redact masks by value: shorter ones (Fondy's public test key "test")
// would mask ordinary words.
const minSecret = 6

var (
	// authRE is an Authorization value as a gateway may echo it (stripe-mock repeats the whole header).
	authRE = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[^\s'",;)]+`)
	// tokenRE is a run that may be a key: letters, digits and the base64, base64url and id punctuation.
	tokenRE = regexp.MustCompile(`[A-Za-z0-9+/=_-]{16,}`)
	// secretPrefixes start keys that are secret whatever follows (Stripe secret and restricted keys, webhook
	// secrets); the prefix is kept to say which kind of key it was.
	secretPrefixes = []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"}
)

// Redact returns s with anything that looks like a key or secret masked, so a gateway's error text can be logged
// or shown: every value of secrets (a payment system's credentials) of at least six characters, Stripe-style keys
// (sk_live_…, sk_test_…, rk_…, whsec_…), Bearer and Basic credentials, runs of 32 or more hex digits, and runs
// of 40 or more base64 characters without an underscore (gateway ids such as cs_test_… keep theirs, and stay
// readable).
func Redact(s string, secrets ...string) string {
	vals := slices.DeleteFunc(slices.Clone(secrets), func(v string) bool { return len(v) < minSecret })
	slices.SortFunc(vals, func(a, b string) int { return cmp.Compare(len(b), len(a)) }) // longest first
	for _, v := range vals {
		s = strings.ReplaceAll(s, v, Redacted)
	}
	s = authRE.ReplaceAllString(s, "$1 "+Redacted)
	return tokenRE.ReplaceAllStringFunc(s, redactToken)
}

func redactToken(t string) string {
	for _, p := range secretPrefixes {
		if strings.HasPrefix(t, p) {
			return p + Redacted
		}
	}
	switch {
	case len(t) >= 32 && strings.Trim(t, "0123456789abcdefABCDEF") == "":
		return Redacted
	case len(t) >= 40 && !strings.Contains(t, "_") && strings.ContainsAny(t, "0123456789") &&
		strings.IndexFunc(t, func(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' }) >= 0:
		return Redacted
	}
	return t
}

// redactedError is a provider's error with its text redacted; errors.Is and errors.As still see what it wraps.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactError returns err with its text passed through Redact with the account's credentials; nil stays nil.
func redactError(err error, acct Account) error {
	if err == nil {
		return nil
	}
	secrets := make([]string, 0, len(acct.Credentials))
	for _, v := range acct.Credentials {
		secrets = append(secrets, v)
	}
	msg := Redact(err.Error(), secrets...)
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}
