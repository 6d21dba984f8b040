package server

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/bursar/bursar/internal/staff"
)

// apiGroup is the resource group (one of staff.APIGroups) whose scope a /api/v1 path needs, path being relative to
// /api/v1 ("/orders/7/refund") or a route pattern ("/orders/{id}/refund"); "" for a path in no group.
// TestAPIRoutesHaveScopes walks the router so that no route is left out.
func apiGroup(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	switch segs[0] {
	case "products", "offers", "payment-systems":
		return "catalog"
	case "contacts":
		if len(segs) >= 3 && segs[2] == "access" {
			return "access" // a contact's grants are read with the access scope
		}
		return "contacts"
	case "access", "imports":
		return "access" // an import grants access
	case "orders", "manual-payments", "payment-links":
		return "orders"
	case "enrollments", "receipts":
		return "billing"
	case "subscriptions":
		return "subscriptions"
	case "payment-exceptions":
		return "exceptions"
	case "transactions":
		return "transactions"
	case "webhook-endpoints", "webhook-deliveries":
		return "webhooks"
	case "settings", "exchange-rates":
		return "settings"
	case "audit-log":
		return "audit"
	}
	return ""
}

// apiRoutePath is the path a /api/v1 request is routed on, relative to /api/v1 (it may differ from URL.Path when
// the path holds escapes).
func apiRoutePath(r *http.Request) string {
	if rctx := chi.RouteContext(r.Context()); rctx != nil && rctx.RoutePath != "" {
		return rctx.RoutePath
	}
	return r.URL.Path
}

// requireScope lets a request through only when the authenticated key's scopes cover it: GET and HEAD need
// "<group>:read", every other method "<group>:write"; the document (publicAPIPath) needs none. A path in no group
// is answered 404 here, so a route added without a group is unreachable rather than open.
func (s *Server) requireScope(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := apiRoutePath(r)
		if publicAPIPath(r.Method, path) {
			next.ServeHTTP(w, r)
			return
		}
		group := apiGroup(path)
		if group == "" {
			writeProblem(w, Problem{Status: http.StatusNotFound, Detail: "No such endpoint."})
			return
		}
		write := r.Method != http.MethodGet && r.Method != http.MethodHead
		k, _ := r.Context().Value(apiKeyCtx{}).(staff.APIKey)
		if !k.Scopes.Allows(group, write) {
			level := staff.LevelRead
			if write {
				level = staff.LevelWrite
			}
			need := staff.Scope(group, level)
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="bursar", error="insufficient_scope", scope=%q`, need))
			writeProblem(w, Problem{Status: http.StatusForbidden,
				Detail: fmt.Sprintf("This API key lacks the scope %s (its scopes: %s).", need, k.Scopes)})
			return
		}
		next.ServeHTTP(w, r)
	})
}
