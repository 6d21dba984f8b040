package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/idempotency"
	"github.com/bursar/bursar/internal/importer"
	"github.com/bursar/bursar/internal/staff"
)

func chiURLParam(r *http.Request, name string) string { return chi.URLParam(r, name) }

// statusRecorder remembers the status a handler wrote, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests logs each request at debug level and failures at warn, and turns panics into a 500.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", v)
				if rec.status == 0 {
					http.Error(rec, "Something went wrong on our side. Please try again.", http.StatusInternalServerError)
				}
			}
			level := slog.LevelDebug
			if rec.status >= 500 {
				level = slog.LevelWarn
			}
			// Checked first: the arguments of a record nobody logs would still be built (allocated) on every request.
			if s.log.Enabled(r.Context(), level) {
				s.log.Log(r.Context(), level, "http", "method", r.Method, "path", r.URL.Path, "status", rec.status,
					"bytes", rec.bytes, "ms", time.Since(start).Milliseconds())
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// securityHeaders sets headers every response should carry.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// What h.Set would store, without a new slice per header per request; the slices are never written to.
		h["X-Content-Type-Options"] = headerNosniff
		h["Referrer-Policy"] = headerReferrerPolicy
		h["X-Frame-Options"] = headerDeny
		h["Content-Security-Policy"] = headerCSP
		next.ServeHTTP(w, r)
	})
}

// Header values set on every response (securityHeaders) or on the public pages, built once, never written to.
// Canonical keys, as Header.Set would make them.
var (
	headerVaryCookie     = []string{"Cookie"}
	headerNoCache        = []string{"no-cache"}
	headerNosniff        = []string{"nosniff"}
	headerReferrerPolicy = []string{"strict-origin-when-cross-origin"}
	headerDeny           = []string{"DENY"}
	headerCSP            = []string{"default-src 'self'; img-src 'self' https: data:; frame-src https://www.youtube-nocookie.com https://player.vimeo.com; object-src 'none'; base-uri 'none'; form-action 'self' https:; frame-ancestors 'none'"}
)

// sessionsIfCookie is s.sessions.LoadAndSave for a handler that never reads or writes the session (the cached public
// offer page). A request with the session cookie goes through LoadAndSave and idleSessions (a signed-in visitor's
// use is recorded, as on every page). One without it gets what LoadAndSave would give it — "Vary: Cookie", an empty session
// nobody writes to, so nothing saved and no cookie set — without building that empty session on every request.
func (s *Server) sessionsIfCookie(next http.Handler) http.Handler {
	withSession := s.sessions.LoadAndSave(s.idleSessions(next))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := r.Cookie(s.sessions.Cookie.Name); err == nil {
			withSession.ServeHTTP(w, r)
			return
		}
		if h := w.Header(); len(h["Vary"]) == 0 {
			h["Vary"] = headerVaryCookie
		} else {
			h.Add("Vary", "Cookie")
		}
		next.ServeHTTP(w, r)
	})
}

// clientIP is the address of the client as the server sees it.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type adminKey struct{}

// adminFrom returns the signed-in admin user of an /admin request.
func adminFrom(ctx context.Context) staff.User {
	u, _ := ctx.Value(adminKey{}).(staff.User)
	return u
}

// requireAdmin lets through only a signed-in, enabled admin user, and makes them the audit actor.
func (s *Server) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := s.sessions.GetInt64(r.Context(), sessionAdminID)
		if id == 0 {
			s.redirectToLogin(w, r)
			return
		}
		u, err := s.staff.User(r.Context(), id)
		if err != nil || u.DisabledAt != nil {
			if err != nil && !errors.Is(err, staff.ErrNotFound) {
				s.serverError(w, r, err)
				return
			}
			_ = s.sessions.Destroy(r.Context())
			s.redirectToLogin(w, r)
			return
		}
		ctx := context.WithValue(r.Context(), adminKey{}, u)
		ctx = audit.WithActor(ctx, audit.Actor{Type: audit.ActorAdmin, ID: u.ID, Label: u.Email})
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *Server) redirectToLogin(w http.ResponseWriter, r *http.Request) {
	next := ""
	if r.Method == http.MethodGet {
		next = "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, "/admin/login"+next, http.StatusSeeOther)
}

// requireOwner lets through only owners.
func requireOwner(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !adminFrom(r.Context()).IsOwner() {
			http.Error(w, "Only an owner can do this.", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type apiKeyCtx struct{}

// requireAPIKey authenticates "Authorization: Bearer <key>" and makes the key the audit actor; the OpenAPI
// document (publicAPIPath) is public.
func (s *Server) requireAPIKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if publicAPIPath(r.Method, apiRoutePath(r)) {
			next.ServeHTTP(w, r)
			return
		}
		const prefix = "Bearer "
		h := r.Header.Get("Authorization")
		if !strings.HasPrefix(h, prefix) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="bursar"`)
			writeProblem(w, Problem{Status: http.StatusUnauthorized, Detail: "Send an API key as 'Authorization: Bearer <key>'."})
			return
		}
		k, err := s.staff.AuthenticateAPIKey(r.Context(), strings.TrimSpace(h[len(prefix):]))
		if errors.Is(err, staff.ErrBadAPIKey) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="bursar", error="invalid_token"`)
			writeProblem(w, Problem{Status: http.StatusUnauthorized, Detail: "The API key is unknown or revoked."})
			return
		}
		if errors.Is(err, staff.ErrAPIKeyExpired) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="bursar", error="invalid_token", error_description="The API key has expired"`)
			writeProblem(w, Problem{Status: http.StatusUnauthorized, Detail: "The API key has expired."})
			return
		}
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), apiKeyCtx{}, k)
		ctx = audit.WithActor(ctx, audit.Actor{Type: audit.ActorAPI, ID: k.ID, Label: k.Name})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// bufferedResponse captures a handler's response so it can be stored before it is sent.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
func (b *bufferedResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

// idempotent honours Idempotency-Key on POST: the first request's response is stored and replayed to retries;
// a retry while the first is running gets 409, and the key reused for another request gets 422.
func (s *Server) idempotent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if r.Method != http.MethodPost || key == "" {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > 255 {
			writeProblem(w, Problem{Status: http.StatusBadRequest, Detail: "Idempotency-Key must be at most 255 characters."})
			return
		}
		limit := int64(maxJSONBody)
		if isImportUpload(r) {
			limit = importer.MaxFileSize + importEnvelope
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			writeProblem(w, Problem{Status: http.StatusRequestEntityTooLarge, Detail: "The body is too large."})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.New()
		sum.Write([]byte(r.Method + " " + r.URL.RequestURI() + "\n"))
		sum.Write(body)
		k, _ := r.Context().Value(apiKeyCtx{}).(staff.APIKey)
		ctx := r.Context()
		prev, err := s.idem.Claim(ctx, k.ID, key, r.Method, r.URL.RequestURI(), sum.Sum(nil))
		switch {
		case errors.Is(err, idempotency.ErrInFlight):
			writeProblem(w, Problem{Status: http.StatusConflict, Detail: "A request with this Idempotency-Key is still being processed; retry later."})
			return
		case errors.Is(err, idempotency.ErrMismatch):
			writeProblem(w, Problem{Status: http.StatusUnprocessableEntity, Detail: "This Idempotency-Key was already used with a different request."})
			return
		case err != nil:
			s.apiError(w, r, err)
			return
		case prev != nil:
			w.Header().Set("Content-Type", prev.ContentType)
			if prev.Location != "" {
				w.Header().Set("Location", prev.Location)
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(prev.Status)
			_, _ = w.Write(prev.Body)
			return
		}
		buf := &bufferedResponse{header: w.Header()}
		func() {
			defer func() {
				if v := recover(); v != nil {
					_ = s.idem.Release(context.WithoutCancel(ctx), k.ID, key)
					panic(v)
				}
			}()
			next.ServeHTTP(buf, r)
		}()
		if buf.status == 0 {
			buf.status = http.StatusOK
		}
		if buf.status >= 500 {
			// Our failure: the client may retry with the same key.
			_ = s.idem.Release(context.WithoutCancel(ctx), k.ID, key)
		} else if err := s.idem.Finish(context.WithoutCancel(ctx), k.ID, key, idempotency.Response{
			Status: buf.status, ContentType: w.Header().Get("Content-Type"), Location: w.Header().Get("Location"), Body: buf.body.Bytes()}); err != nil {
			s.log.Error("store idempotent response", "err", err)
		}
		w.WriteHeader(buf.status)
		_, _ = w.Write(buf.body.Bytes())
	})
}

// limitForm bounds form bodies (maxBody: a megabyte, a proof-of-payment upload its file's limit).
func limitForm(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && !strings.HasPrefix(r.URL.Path, "/api/") && !strings.HasPrefix(r.URL.Path, "/webhooks/") {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody(r))
		}
		next.ServeHTTP(w, r)
	})
}
