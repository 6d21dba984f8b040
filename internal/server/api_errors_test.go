package server

import (
	"net/http"
	"strings"
	"testing"
)

// TestAPIBodyErrors: malformed bodies get problems that name the problem and reveal nothing internal.
func TestAPIBodyErrors(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	key := a.apiKey()
	tests := []struct {
		name, body string
		status     int
		want       string
	}{
		{"BadTime", `{"contact_id":1,"product_id":1,"ends_at":"tomorrow"}`, http.StatusUnprocessableEntity, "RFC 3339"},
		{"UnknownField", `{"contact_id":1,"product_id":1,"colour":"red"}`, http.StatusUnprocessableEntity, `"colour":"is not a known field"`},
		{"WrongType", `{"contact_id":"one","product_id":1}`, http.StatusUnprocessableEntity, `"contact_id":"must be a number"`},
		{"NotJSON", `{"contact_id":`, http.StatusBadRequest, "not valid JSON"},
		{"Empty", ``, http.StatusBadRequest, "empty"},
		{"TwoObjects", `{} {}`, http.StatusBadRequest, "single JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, raw := a.api(key, "POST", "/api/v1/access", tt.body, nil)
			wantStatus(t, res, raw, tt.status)
			if !strings.Contains(string(raw), tt.want) || strings.Contains(string(raw), "parsing time") {
				t.Fatalf("body %s", raw)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
		})
	}
}
