package server

import (
	"net/http"
	"strings"

	"github.com/bursar/bursar/internal/check"
)

// refuseUnclean answers bad input before any handler sees it: a path, query parameter, form value or API
// Idempotency-Key holding a NUL byte or invalid UTF-8 (check.Clean), which PostgreSQL would refuse with a server
// error. A bad path or key is 400; a bad parameter or form field is 422 naming the field, as problem+json under
// /api/. Webhook bodies are left to their
// provider's verification (gateway.Event.Validate), JSON bodies to decodeJSON.
func (s *Server) refuseUnclean(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api := strings.HasPrefix(r.URL.Path, "/api/")
		webhook := strings.HasPrefix(r.URL.Path, "/webhooks/")
		if !check.Clean(r.URL.Path) {
			if api {
				writeProblem(w, Problem{Status: http.StatusBadRequest, Detail: "The path " + check.MsgNotText + "."})
				return
			}
			http.Error(w, "Bad request: the address "+check.MsgNotText+".", http.StatusBadRequest)
			return
		}
		if api && !check.Clean(r.Header.Get("Idempotency-Key")) {
			// Stored as text with the response; Go's server lets bytes above 0x7f through in header values.
			writeProblem(w, Problem{Status: http.StatusBadRequest, Detail: "Idempotency-Key " + check.MsgNotText + "."})
			return
		}
		var field string
		var bad bool
		if r.URL.RawQuery != "" { // parsing an empty query would still allocate its map
			field, bad = check.Unclean(r.URL.Query())
		}
		if !bad && !api && !webhook && hasForm(r) {
			// Parsed once here (limitForm bounds the body); handlers read the same values from r.PostForm. A body
			// that cannot be read is left to the handler, which sees the same empty form it saw before.
			if err := r.ParseForm(); err == nil {
				field, bad = check.Unclean(r.PostForm)
			}
		}
		if !bad {
			next.ServeHTTP(w, r)
			return
		}
		if field == "" {
			field = "query"
		}
		switch {
		case api:
			s.apiError(w, r, check.Field(field, check.MsgNotText))
		case webhook:
			http.Error(w, "notification rejected: "+field+" "+check.MsgNotText, http.StatusBadRequest)
		default:
			s.htmlError(w, r, check.Field(field, check.MsgNotText))
		}
	})
}

// hasForm reports whether r carries an urlencoded form body.
func hasForm(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
	}
	return false
}

// strictTransportSecurity tells browsers to use https only (HSTS, a year, subdomains included) on every response
// when the configured public URL is https; over plain http the header would mean nothing and is not sent.
func (s *Server) strictTransportSecurity(next http.Handler) http.Handler {
	if !s.cfg.SecureCookies() { // the public URL is https
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		next.ServeHTTP(w, r)
	})
}
