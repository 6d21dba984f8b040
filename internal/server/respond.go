package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/importer"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/templates/layout"
)

// render writes a templ component with status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		s.serverError(w, r, fmt.Errorf("render: %w", err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// serverError logs err once and answers a plain 500 page that reveals nothing.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	http.Error(w, "Something went wrong on our side. Please try again.", http.StatusInternalServerError)
}

// answer is what a response says about an error: its status, the words a person reads and, for bad input, a
// message per field. Only the messages typed errors carry for people are ever in it.
type answer struct {
	Status     int
	Message    string       // for people, shown as it is
	Fields     check.Errors // bad input: a message per field
	RetryAfter string       // seconds, when trying again later may work (503)
	Rows       []RowProblem // an import's bad rows, each with its fields
	Internal   bool         // the error is ours: logged once, its text never shown
}

// Messages for errors that carry none of their own.
const (
	msgNotFound = "The page you asked for does not exist or is no longer available."
	msgConflict = "This changed while you were looking at it; reload to see it as it is now."
	msgInternal = "Something went wrong on our side. Please try again."
	msgInvalid  = "Some fields are invalid."
)

// errorAnswer is the one mapping from errors to responses, for pages and the API alike: bad input
// (check.Errors) → 422 with its fields; a refund the gateway did not make (*order.RefundFailedError) → 503 when
// it could not be reached (try again in a minute), 409 when it cannot refund through its API, else 502; a state
// conflict (*check.StateError) → 409 with its message; not found → 404; any other conflict → 409 with a general
// message; anything else → 500, internal. The message is always data on a typed error, never err.Error().
func errorAnswer(err error) answer {
	if e, ok := check.AsErrors(err); ok {
		return answer{Status: http.StatusUnprocessableEntity, Message: msgInvalid, Fields: e}
	}
	var rows *importer.RowsError
	if errors.As(err, &rows) {
		return answer{Status: http.StatusUnprocessableEntity, Message: rows.Message(), Rows: rowProblems(rows.Rows)}
	}
	var fail *order.RefundFailedError
	if errors.As(err, &fail) {
		msg := fail.Reason() + "; nothing was refunded and nothing changed."
		switch {
		case errors.Is(fail, gateway.ErrUnavailable):
			return answer{Status: http.StatusServiceUnavailable, Message: msg + " Try again in a few minutes.", RetryAfter: "60"}
		case errors.Is(fail, gateway.ErrUnsupported):
			return answer{Status: http.StatusConflict, Message: msg}
		}
		return answer{Status: http.StatusBadGateway, Message: msg + " Check the payment in " + fail.System + "'s dashboard."}
	}
	if st, ok := check.AsState(err); ok {
		return answer{Status: http.StatusConflict, Message: st.Message}
	}
	switch {
	case errors.Is(err, gateway.ErrUnavailable):
		return answer{Status: http.StatusServiceUnavailable, RetryAfter: "60",
			Message: "The payment system could not be reached; nothing changed. Try again in a few minutes."}
	case errors.Is(err, check.ErrNotFound):
		return answer{Status: http.StatusNotFound, Message: msgNotFound}
	case errors.Is(err, check.ErrConflict):
		return answer{Status: http.StatusConflict, Message: msgConflict}
	}
	return answer{Status: http.StatusInternalServerError, Message: msgInternal, Internal: true}
}

// amountReason is what a person reads about an amount money.ParseDecimal refused: the reason it carries.
func amountReason(err error) string {
	var pe *money.ParseError
	if errors.As(err, &pe) {
		return pe.Reason
	}
	return "is not an amount"
}

// htmlError answers a page request that failed, as errorAnswer says: the 404 page, a plain page with the message
// (409, 422 listing the fields, 502, 503), or one slog.Error and a plain 500.
func (s *Server) htmlError(w http.ResponseWriter, r *http.Request, err error) {
	a := errorAnswer(err)
	switch {
	case a.Internal:
		s.serverError(w, r, err)
	case a.Status == http.StatusNotFound:
		s.notFound(w, r)
	default:
		s.warnAnswer(r, err, a)
		if a.RetryAfter != "" {
			w.Header().Set("Retry-After", a.RetryAfter)
		}
		http.Error(w, a.text(), a.Status)
	}
}

// warnAnswer logs an error answered with a 5xx that is not ours (a gateway that refused or could not be reached):
// what the gateway said is for the log, never for the page.
func (s *Server) warnAnswer(r *http.Request, err error, a answer) {
	if a.Status >= http.StatusInternalServerError {
		s.log.Warn("request failed at a gateway", "method", r.Method, "path", r.URL.Path, "status", a.Status, "err", err)
	}
}

// text is the answer as plain text: the message, then each field's message.
func (a answer) text() string {
	keys := make([]string, 0, len(a.Fields))
	for k := range a.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(a.Message)
	for _, k := range keys {
		b.WriteString("\n" + k + ": " + a.Fields[k])
	}
	return b.String()
}

// notFound is the 404 page.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusNotFound, notFoundPage())
}

func notFoundPage() templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		return layout.Bare("en", "Not found", "/static/public.css").Render(templ.WithChildren(ctx, templ.Raw(
			`<h1>Page not found</h1><p>The page you asked for does not exist or is no longer available.</p>`)), w)
	})
}

// Problem is an RFC 9457 problem document; Errors names bad fields, Rows an import's bad rows.
type Problem struct {
	Type   string            `json:"type"`
	Title  string            `json:"title"`
	Status int               `json:"status"`
	Detail string            `json:"detail,omitempty"`
	Errors map[string]string `json:"errors,omitempty"`
	Rows   []RowProblem      `json:"rows,omitempty"`
}

// RowProblem is a bad row of an imported file: its line and a message per column ("row" for the whole line).
type RowProblem struct {
	Line   int               `json:"line"`
	Errors map[string]string `json:"errors"`
}

// maxRowProblems bounds the rows a problem lists; its detail counts them all.
const maxRowProblems = 1000

func rowProblems(rows []importer.Row) []RowProblem {
	out := make([]RowProblem, 0, min(len(rows), maxRowProblems))
	for _, r := range rows[:min(len(rows), maxRowProblems)] {
		out = append(out, RowProblem{Line: r.Line, Errors: r.Errors})
	}
	return out
}

// problem writes p as application/problem+json.
func writeProblem(w http.ResponseWriter, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// apiError answers an API request that failed with the problem errorAnswer says: its message is the detail, its
// fields the errors; an internal error is logged once and its text never sent.
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	a := errorAnswer(err)
	p := Problem{Status: a.Status, Detail: a.Message, Errors: a.Fields, Rows: a.Rows}
	switch {
	case a.Internal:
		s.log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		p.Detail = "Something went wrong on our side."
	case a.Status == http.StatusNotFound:
		p.Detail = "Nothing exists at this address: check the id."
	case len(a.Fields) > 0 || len(a.Rows) > 0:
		p.Title = "Invalid input"
	default:
		s.warnAnswer(r, err, a)
	}
	if a.RetryAfter != "" {
		w.Header().Set("Retry-After", a.RetryAfter)
	}
	writeProblem(w, p)
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// maxJSONBody bounds API request bodies.
const maxJSONBody = 1 << 20

// decodeJSON reads one JSON object into v, rejecting unknown fields, trailing data and oversized bodies with a
// problem the client can act on. It returns false when it has answered.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeProblem(w, Problem{Status: http.StatusUnsupportedMediaType, Detail: "Send the body as application/json."})
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(body))
		err = dec.Decode(v)
		if err == nil && dec.More() {
			writeProblem(w, Problem{Status: http.StatusBadRequest, Detail: "The body must hold a single JSON object."})
			return false
		}
	}
	if err == nil {
		return knownJSON(w, body, v) && cleanJSON(w, body)
	}
	var (
		maxErr  *http.MaxBytesError
		typeErr *json.UnmarshalTypeError
		synErr  *json.SyntaxError
		timeErr *time.ParseError
	)
	switch {
	case errors.As(err, &maxErr):
		writeProblem(w, Problem{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("The body is larger than %d bytes.", maxJSONBody)})
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		writeProblem(w, Problem{Status: http.StatusUnprocessableEntity, Title: "Invalid input", Detail: "Some fields are invalid.",
			Errors: map[string]string{field: "must be " + jsonKind(typeErr.Type.Kind().String())}})
	case errors.As(err, &timeErr):
		writeProblem(w, Problem{Status: http.StatusUnprocessableEntity, Title: "Invalid input", Detail: "Some fields are invalid.",
			Errors: map[string]string{"body": "a date and time must be RFC 3339, such as 2026-11-23T10:00:00Z"}})
	case errors.As(err, &synErr), errors.Is(err, io.ErrUnexpectedEOF):
		writeProblem(w, Problem{Status: http.StatusBadRequest, Detail: "The body is not valid JSON."})
	case errors.Is(err, io.EOF):
		writeProblem(w, Problem{Status: http.StatusBadRequest, Detail: "The body is empty; send a JSON object."})
	default:
		// Anything else (a read timeout, a broken connection) says nothing of our internals.
		writeProblem(w, Problem{Status: http.StatusBadRequest, Detail: "The body could not be read; send one JSON object."})
	}
	return false
}

// knownJSON refuses a body (decoded into v already) that holds a key v has no field for, at any depth, with 422
// naming the key. encoding/json says so only in its error's text, which is not read: the keys are compared with
// v's type instead, as the decoder matches them. It returns false when it has answered.
func knownJSON(w http.ResponseWriter, body []byte, v any) bool {
	var x any
	if err := json.Unmarshal(body, &x); err != nil {
		return true // decoded into v already; a shape Unmarshal refuses has nothing to find
	}
	name, bad := unknownKey(x, reflect.TypeOf(v))
	if !bad {
		return true
	}
	writeProblem(w, Problem{Status: http.StatusUnprocessableEntity, Title: "Invalid input", Detail: "Some fields are invalid.",
		Errors: map[string]string{name: "is not a known field"}})
	return false
}

// unknownKey finds the first key of the decoded JSON value x (in sorted order) that type t has no field for.
func unknownKey(x any, t reflect.Type) (string, bool) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		return "", false // a type that reads its own JSON knows its own keys
	}
	switch x := x.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Map:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				if name, bad := unknownKey(x[k], t.Elem()); bad {
					return name, true
				}
			}
		case reflect.Struct:
			fields := jsonFields(t)
			for _, k := range slices.Sorted(maps.Keys(x)) {
				ft, ok := fields[strings.ToLower(k)]
				if !ok {
					return k, true
				}
				if name, bad := unknownKey(x[k], ft); bad {
					return name, true
				}
			}
		}
	case []any:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for _, e := range x {
				if name, bad := unknownKey(e, t.Elem()); bad {
					return name, true
				}
			}
		}
	}
	return "", false
}

// jsonFields maps the lower-cased JSON names of struct t's fields (those of embedded structs included) to their
// types, as encoding/json names them: the tag's name, else the field's; "-" and unexported fields are left out.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for _, f := range reflect.VisibleFields(t) {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case !f.IsExported() || name == "-":
			continue
		case f.Anonymous && name == "" && (f.Type.Kind() == reflect.Struct ||
			f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct):
			continue // its fields are visible fields of t
		case name == "":
			name = f.Name
		}
		out[strings.ToLower(name)] = f.Type
	}
	return out
}

// cleanJSON refuses a body whose strings hold a NUL byte (the JSON escape \u0000; invalid UTF-8 is already
// replaced by the decoder) with 422 naming the field, whatever field it is: PostgreSQL refuses NUL in text. It
// returns false when it has answered.
func cleanJSON(w http.ResponseWriter, body []byte) bool {
	if !bytes.Contains(body, []byte(`\u0000`)) {
		return true
	}
	var x any
	if err := json.Unmarshal(body, &x); err != nil {
		return true // decoded into the caller's value already; a shape Unmarshal refuses has nothing to find
	}
	field, bad := check.Unclean(x)
	if !bad {
		return true
	}
	if field == "" {
		field = "body"
	}
	writeProblem(w, Problem{Status: http.StatusUnprocessableEntity, Title: "Invalid input", Detail: "Some fields are invalid.",
		Errors: map[string]string{field: check.MsgNotText}})
	return false
}

func jsonKind(k string) string {
	switch k {
	case "int", "int32", "int64", "uint", "uint32", "uint64", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return "of another type"
}

// List is the envelope of every API list.
type List[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor,omitempty"`
}
