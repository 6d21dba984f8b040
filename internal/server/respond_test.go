package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
)

// TestErrorAnswer: the one mapping from errors to responses, as pages and as problems. A person reads only the
// message a typed error carries; an internal error is logged once and its text is never sent.
func TestErrorAnswer(t *testing.T) {
	t.Parallel()
	decided := &check.StateError{Message: "Order B-000012 was already rejected by ann@example.com at 2026-11-23 10:00 UTC.",
		Who: "ann@example.com", When: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), Err: order.ErrNotOpen}
	tests := []struct {
		name       string
		err        error
		status     int
		message    string            // in the page and the problem's detail
		fields     map[string]string // in the problem's errors
		retryAfter string
		logged     string // what the log holds and no response does
	}{
		{name: "StateError", err: fmt.Errorf("approve order 12: %w", decided), status: http.StatusConflict,
			message: decided.Message},
		{name: "Sentinel", err: fmt.Errorf("access grant 7: %w", check.Conflict("This access was revoked already.")),
			status: http.StatusConflict, message: "This access was revoked already."},
		{name: "ConflictWithoutMessage", err: fmt.Errorf("mark e-mail 3 sent: row 3 gone: %w", check.ErrConflict),
			status: http.StatusConflict, message: msgConflict},
		{name: "Errors", err: fmt.Errorf("offer: %w", check.Field("price", "is required")),
			status: http.StatusUnprocessableEntity, message: msgInvalid, fields: map[string]string{"price": "is required"}},
		{name: "NotFound", err: fmt.Errorf("order 99 (secret-id-99): %w", check.ErrNotFound), status: http.StatusNotFound,
			logged: "secret-id-99"},
		{name: "RefundUnavailable", err: &order.RefundFailedError{System: "Cards", Amount: money.New(1000, "EUR"),
			Err: fmt.Errorf("dial tcp 10.0.0.1: %w", gateway.ErrUnavailable)}, status: http.StatusServiceUnavailable,
			message:    "Cards could not be reached; nothing was refunded and nothing changed. Try again in a few minutes.",
			retryAfter: "60", logged: "10.0.0.1"},
		{name: "RefundRefused", err: &order.RefundFailedError{System: "Cards", Amount: money.New(1000, "EUR"),
			Err: errors.New("stripe: card_declined sk_test_123")}, status: http.StatusBadGateway,
			message: "Cards refused the refund; nothing was refunded and nothing changed. Check the payment in Cards's dashboard.",
			logged:  "sk_test_123"},
		{name: "Internal", err: errors.New("pq: relation orders_secret does not exist"), status: http.StatusInternalServerError,
			logged: "orders_secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			s := &Server{log: slog.New(slog.NewTextHandler(&logs, nil))}
			r := httptest.NewRequest(http.MethodPost, "/admin/orders/12/approve", nil)

			page := httptest.NewRecorder()
			s.htmlError(page, r, tt.err)
			if page.Code != tt.status {
				t.Errorf("page status %d, want %d", page.Code, tt.status)
			}
			if tt.message != "" && !strings.Contains(page.Body.String(), tt.message) {
				t.Errorf("page %q lacks %q", page.Body.String(), tt.message)
			}
			for f, m := range tt.fields {
				if !strings.Contains(page.Body.String(), f+": "+m) {
					t.Errorf("page %q lacks field %s", page.Body.String(), f)
				}
			}

			api := httptest.NewRecorder()
			s.apiError(api, r, tt.err)
			var p Problem
			if err := json.Unmarshal(api.Body.Bytes(), &p); err != nil {
				t.Fatalf("problem %q: %v", api.Body.String(), err)
			}
			if api.Code != tt.status || p.Status != tt.status || api.Header().Get("Content-Type") != "application/problem+json" {
				t.Errorf("problem %d %s, want %d", api.Code, api.Body.String(), tt.status)
			}
			if tt.message != "" && p.Detail != tt.message {
				t.Errorf("detail %q, want %q", p.Detail, tt.message)
			}
			if len(p.Errors) != len(tt.fields) {
				t.Errorf("errors %v, want %v", p.Errors, tt.fields)
			}
			for f, m := range tt.fields {
				if p.Errors[f] != m {
					t.Errorf("errors[%s] = %q, want %q", f, p.Errors[f], m)
				}
			}
			if got := api.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}

			if tt.logged != "" {
				if strings.Contains(page.Body.String(), tt.logged) || strings.Contains(api.Body.String(), tt.logged) {
					t.Errorf("the response shows %q: %q / %q", tt.logged, page.Body.String(), api.Body.String())
				}
			}
			if tt.status == http.StatusInternalServerError {
				if n := strings.Count(logs.String(), "level=ERROR"); n != 2 { // once per request: page, then API
					t.Errorf("%d errors logged, want 2: %s", n, logs.String())
				}
				if !strings.Contains(logs.String(), tt.logged) {
					t.Errorf("the log lacks the error: %s", logs.String())
				}
			}
		})
	}
}

// TestStateError: a StateError is a conflict of its kind, and the outermost one's message is what people read.
func TestStateError(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("reject: %w", check.Conflictf(order.ErrNotOpen, "Order %s is already %s.", "B-000001", "completed"))
	if !errors.Is(err, check.ErrConflict) || !errors.Is(err, order.ErrNotOpen) || errors.Is(err, order.ErrBusy) {
		t.Errorf("kinds of %v", err)
	}
	if st, ok := check.AsState(err); !ok || st.Message != "Order B-000001 is already completed." {
		t.Errorf("message %v", st)
	}
	if st, ok := check.AsState(fmt.Errorf("x: %w", order.ErrBusy)); !ok || st.Message == "" {
		t.Errorf("a bare sentinel has no message: %v", st)
	}
}

// TestUnknownKey: the keys a body holds are compared with the type it is decoded into, at any depth, as
// encoding/json matches them (tag name, else field name, case-insensitively), without reading its error's text.
func TestUnknownKey(t *testing.T) {
	t.Parallel()
	type item struct {
		SKU   string `json:"sku"`
		Count int
	}
	type base struct {
		ID int64 `json:"id"`
	}
	type body struct {
		base
		Name   string            `json:"name,omitempty"`
		Items  []item            `json:"items"`
		Tags   map[string]string `json:"tags"`
		When   *time.Time        `json:"when"`
		Extra  any               `json:"extra"`
		Secret string            `json:"-"`
	}
	tests := []struct {
		name, body, want string
	}{
		{"Known", `{"id":1,"NAME":"a","items":[{"sku":"x","count":2}],"tags":{"any":"x"},"when":"2026-01-01T00:00:00Z","extra":{"k":1}}`, ""},
		{"Top", `{"id":1,"colour":"red"}`, "colour"},
		{"Nested", `{"items":[{"sku":"x"},{"size":3}]}`, "size"},
		{"Ignored", `{"Secret":"s"}`, "Secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var x any
			if err := json.Unmarshal([]byte(tt.body), &x); err != nil {
				t.Fatal(err)
			}
			got, bad := unknownKey(x, reflect.TypeFor[*body]())
			if got != tt.want || bad != (tt.want != "") {
				t.Errorf("unknownKey = %q, %v; want %q", got, bad, tt.want)
			}
		})
	}
}
