package check_test

import (
	"net/url"
	"testing"

	"github.com/bursar/bursar/internal/check"
)

func TestClean(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"Empty", "", true},
		{"Text", "Ana Pérez ✓", true},
		{"NUL", "a\x00b", false},
		{"InvalidUTF8", "a\xffb", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := check.Clean(tt.in); got != tt.want {
				t.Errorf("Clean(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestValidatorsRefuseNUL: every field check refuses a NUL byte or invalid UTF-8 as bad input, whatever else the
// value is (before, Text let a NUL through and PostgreSQL answered with a server error).
func TestValidatorsRefuseNUL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		check func(e check.Errors)
	}{
		{"Text", func(e check.Errors) { e.Text("f", "Ana\x00", true, 100) }},
		{"TextInvalidUTF8", func(e check.Errors) { e.Text("f", "Ana\xc3", true, 100) }},
		{"TextTooLongAndNUL", func(e check.Errors) { e.Text("f", "\x00abc", false, 2) }},
		{"Email", func(e check.Errors) { e.Email("f", "ana\x00@example.com", true) }},
		{"URL", func(e check.Errors) { e.URL("f", "https://example.com/\x00") }},
		{"Slug", func(e check.Errors) { e.Slug("f", "a\x00b") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := check.Errors{}
			tt.check(e)
			if e["f"] == "" {
				t.Fatalf("no error for field f: %v", e)
			}
			if tt.name != "Slug" && e["f"] != check.MsgNotText {
				t.Errorf("message %q, want %q", e["f"], check.MsgNotText)
			}
		})
	}
}

func TestUnclean(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        any
		wantField string
		wantBad   bool
	}{
		{"CleanJSON", map[string]any{"name": "Ana", "tags": []any{"a", "b"}, "n": 1.0}, "", false},
		{"String", "a\x00", "", true},
		{"Field", map[string]any{"name": "Ana", "note": "x\x00"}, "note", true},
		{"Nested", map[string]any{"custom_fields": map[string]any{"level": "B\x00"}}, "custom_fields.level", true},
		{"InList", map[string]any{"items": []any{"ok", "b\xff"}}, "items.1", true},
		{"Key", map[string]any{"a\x00b": "v"}, "ab", true},
		{"Form", url.Values{"q": {"ok"}, "status": {"open", "paid\x00"}}, "status", true},
		{"CleanForm", url.Values{"q": {"Pérez"}}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			field, bad := check.Unclean(tt.in)
			if field != tt.wantField || bad != tt.wantBad {
				t.Errorf("Unclean = %q, %v; want %q, %v", field, bad, tt.wantField, tt.wantBad)
			}
		})
	}
}
