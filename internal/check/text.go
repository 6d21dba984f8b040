package check

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MsgNotText is the message for input that is not Clean.
const MsgNotText = "must be text without NUL bytes (valid UTF-8)"

// Clean reports whether s can be stored and shown as text: valid UTF-8 without NUL bytes. PostgreSQL refuses
// both in text columns, so input that is not Clean is bad input (422/400), never a server error.
func Clean(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// Unclean finds the first string in v that is not Clean and names where it is: v is a decoded JSON value
// (map[string]any, []any, string, numbers), url.Values (a query or a form) or a string. Map keys are checked
// too. The name is a dotted path ("custom_fields.level", "items.2"); "" for v itself. ok is false when all is Clean.
func Unclean(v any) (field string, ok bool) {
	return unclean("", v)
}

func unclean(path string, v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return path, !Clean(x)
	case []string:
		// A form field's values: the field is named, not the value's position.
		for _, s := range x {
			if !Clean(s) {
				return path, true
			}
		}
	case []any:
		for i, e := range x {
			if f, bad := unclean(join(path, strconv.Itoa(i), true), e); bad {
				return f, true
			}
		}
	case map[string]any:
		for _, k := range sortedKeys(x) {
			if !Clean(k) {
				return join(path, cleaned(k), true), true
			}
			if f, bad := unclean(join(path, k, true), x[k]); bad {
				return f, true
			}
		}
	case url.Values:
		return unclean(path, map[string][]string(x))
	case map[string][]string:
		for _, k := range sortedKeys(x) {
			if !Clean(k) {
				return join(path, cleaned(k), true), true
			}
			if f, bad := unclean(join(path, k, true), x[k]); bad {
				return f, true
			}
		}
	}
	return "", false
}

// join appends name to path when add is set.
func join(path, name string, add bool) string {
	switch {
	case !add:
		return path
	case path == "":
		return name
	}
	return path + "." + name
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// cleaned is s without NUL bytes and invalid UTF-8, to name a bad key in a message.
func cleaned(s string) string { return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "") }
