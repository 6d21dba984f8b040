package server

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/bursar/bursar/internal/staff"
)

// The OpenAPI 3.1 document of /api/v1, built from apiOps (the table of operations in openapi_ops_*.go) and the Go
// types the handlers decode and encode (openapi_schema.go). TestOpenAPICoversRouter holds the table and the router
// to each other both ways; every API test validates its requests and responses against the document
// (openapi_validate_test.go). How to document a new route: docs/API.md, "OpenAPI document".

// apiOp documents one /api/v1 route.
type apiOp struct {
	Method      string // as routes.go registers it: http.MethodGet…
	Path        string // the chi pattern relative to /api/v1: "/products/{id}"
	Summary     string
	Description string     // optional, Markdown
	Query       []apiParam // query parameters
	// PathText are the path parameters that are text (a currency code), by name; every other one is an id.
	PathText []apiParam
	// Body is a value of the Go type the handler decodes the JSON body into; nil when it reads none.
	Body         any
	BodyOptional bool     // the body may be left out (the handler reads it only when there is one)
	BodyTypes    []string // a file body's media types (its schema is a string), instead of JSON
	// Response is a value of the Go type the handler encodes on success; nil when the body is a file (Files).
	Response any
	Status   int // the success status; 200 when 0
	// Also are more success statuses, each with the Go type of its body, or nil for Response's (an access grant:
	// 201 made, 200 already there).
	Also   map[int]any
	Files  []string // the media types of a file answered on success (application/pdf)
	Errors []int    // error statuses beyond those every such operation has (see apiOp.errors)
	Public bool     // needs no API key (the document itself)
}

// apiParam is a query parameter.
type apiParam struct {
	Name        string
	Type        string // integer, string or boolean
	Description string
	Enum        []string
	Min, Max    int // bounds of an integer, when Max > 0
	Default     any
}

// pageParams are the parameters of every list: limit and the cursor of the next page (List.NextCursor).
var pageParams = []apiParam{
	{Name: "limit", Type: "integer", Min: 1, Max: 200, Default: 50, Description: "The page's size."},
	{Name: "cursor", Type: "string", Description: "The `next_cursor` of the previous page; leave out for the first page. Opaque."},
}

// paged is params after the pagination parameters.
func paged(params ...apiParam) []apiParam { return slices.Concat(pageParams, params) }

// apiOps is every documented /api/v1 operation. A new resource adds its table here.
func apiOps() []apiOp {
	return slices.Concat(docOps(), catalogOps(), contactOps(), orderOps(), billingOps(), exceptionOps(), subscriptionOps(), adminOps(),
		inboxOps(), webhookOps())
}

// docOps documents the document.
func docOps() []apiOp {
	return []apiOp{{Method: http.MethodGet, Path: "/openapi.json", Summary: "This OpenAPI document", Public: true,
		Description: "The OpenAPI 3.1 document of this API, served without an API key. A readable page of it is at `/api/docs`.",
		Files:       []string{"application/json"}}}
}

// publicAPIPath reports whether a /api/v1 request (its route pattern, relative to /api/v1) needs no API key.
func publicAPIPath(method, route string) bool {
	return (method == http.MethodGet || method == http.MethodHead) && route == "/openapi.json"
}

// scope is the scope the operation needs ("" for a public one).
func (op apiOp) scope() string {
	if op.Public {
		return ""
	}
	level := staff.LevelRead
	if op.Method != http.MethodGet && op.Method != http.MethodHead {
		level = staff.LevelWrite
	}
	return staff.Scope(apiGroup(op.Path), level)
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// errors is every error status the operation answers: 400 for a path or query that is not text (refuseUnclean),
// 401 and 403 (a key and its scope), 404 for an id in the path, the body's 400, 413, 415 and 422, 422 for query
// parameters, the Idempotency-Key's 400, 409 and 422 on POST, and the operation's own.
func (op apiOp) errors() []int {
	st := []int{http.StatusBadRequest}
	if !op.Public {
		st = append(st, http.StatusUnauthorized, http.StatusForbidden)
	}
	if strings.Contains(op.Path, "{") {
		st = append(st, http.StatusNotFound)
	}
	if op.Body != nil || op.BodyTypes != nil {
		st = append(st, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType,
			http.StatusUnprocessableEntity)
	}
	if len(op.Query) > 0 {
		st = append(st, http.StatusUnprocessableEntity)
	}
	if op.Method == http.MethodPost {
		st = append(st, http.StatusBadRequest, http.StatusConflict, http.StatusUnprocessableEntity)
	}
	st = append(st, op.Errors...)
	slices.Sort(st)
	return slices.Compact(st)
}

// problemResponses describes each error status; the body is always a Problem.
var problemResponses = map[int]string{
	http.StatusBadRequest: "The request is malformed: the path or query is not text (a NUL byte, invalid UTF-8), " +
		"the body is not one JSON object, or the Idempotency-Key is longer than 255 characters.",
	http.StatusUnauthorized: "No API key, or an unknown, revoked or expired one (`WWW-Authenticate` says which).",
	http.StatusForbidden:    "The API key lacks the scope this operation needs (named in `detail` and `WWW-Authenticate`).",
	http.StatusNotFound:     "Nothing exists at this address: check the id.",
	http.StatusConflict: "The resource is not in a state that allows this (the `detail` says why), or a request with " +
		"the same Idempotency-Key is still being processed.",
	http.StatusRequestEntityTooLarge: "The body is larger than the limit (1 MiB for JSON).",
	http.StatusUnsupportedMediaType:  "The body's Content-Type is not one this operation reads.",
	http.StatusUnprocessableEntity: "Bad input: `errors` maps each bad field to a message (an import's bad rows are " +
		"in `rows`), or the Idempotency-Key was already used with a different request.",
	http.StatusBadGateway:         "The payment system refused the operation; nothing changed.",
	http.StatusServiceUnavailable: "The payment system could not be reached; nothing changed. Retry after `Retry-After` seconds.",
}

// openAPIDocument is the document as JSON, built once.
var openAPIDocument = sync.OnceValues(func() ([]byte, error) {
	doc, err := buildOpenAPI(apiOps())
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(doc, "", "  ")
})

// apiOpenAPI is GET /api/v1/openapi.json.
func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) {
	b, err := openAPIDocument()
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(b)
}

// buildOpenAPI is the document of ops.
func buildOpenAPI(ops []apiOp) (map[string]any, error) {
	set := newSchemaSet()
	problem := set.of(reflect.TypeFor[Problem](), false)
	paths := map[string]map[string]any{}
	tags := map[string]bool{}
	for _, op := range ops {
		p := "/api/v1" + op.Path
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		m := strings.ToLower(op.Method)
		if paths[p][m] != nil {
			return nil, fmt.Errorf("openapi: %s %s is documented twice", op.Method, p)
		}
		tag := strings.Split(strings.Trim(op.Path, "/"), "/")[0]
		tags[tag] = true
		paths[p][m] = operation(set, op, tag)
	}
	if set.err != nil {
		return nil, set.err
	}
	responses := map[string]any{}
	for st, desc := range problemResponses {
		res := map[string]any{"description": desc,
			"content": map[string]any{"application/problem+json": map[string]any{"schema": problem}}}
		switch st {
		case http.StatusUnauthorized, http.StatusForbidden:
			res["headers"] = map[string]any{"WWW-Authenticate": map[string]any{"schema": map[string]any{"type": "string"}}}
		case http.StatusServiceUnavailable:
			res["headers"] = map[string]any{"Retry-After": map[string]any{"schema": map[string]any{"type": "string"}}}
		}
		responses[strconv.Itoa(st)] = res
	}
	tagList := []any{}
	for _, t := range slices.Sorted(maps.Keys(tags)) {
		tagList = append(tagList, map[string]any{"name": t})
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Bursar API", "version": "1",
			"description": "The JSON API of Bursar. Conventions (money in minor units, timestamps, errors, " +
				"pagination, idempotency) are in docs/API.md."},
		"tags":     tagList,
		"paths":    paths,
		"security": []any{map[string]any{"apiKey": []any{}}},
		"components": map[string]any{
			"schemas":   set.schemas,
			"responses": responses,
			"securitySchemes": map[string]any{"apiKey": map[string]any{"type": "http", "scheme": "bearer",
				"bearerFormat": "bsr_… API key",
				"description": "An API key (`bsr_` and 43 characters) made by `bursar apikey create` or on the admin's " +
					"API keys screen. Its scopes decide what it reaches: GET needs `<group>:read`, every other method " +
					"`<group>:write`; each operation names its scope in `x-scope`."}},
			"parameters": map[string]any{"IdempotencyKey": map[string]any{"name": "Idempotency-Key", "in": "header",
				"description": "Any unique string (at most 255 characters): a retry with the same key and request " +
					"gets the first response again (`Idempotent-Replayed: true`) and does nothing twice.",
				"schema": map[string]any{"type": "string", "maxLength": 255}}},
		},
	}, nil
}

// operation is op as an OpenAPI operation object.
func operation(set *schemaSet, op apiOp, tag string) map[string]any {
	o := map[string]any{"summary": op.Summary, "tags": []any{tag},
		"operationId": strings.ToLower(op.Method) + strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_", ".", "_").Replace(op.Path)}
	desc := op.Description
	if sc := op.scope(); sc != "" {
		o["x-scope"] = sc
		o["security"] = []any{map[string]any{"apiKey": []any{sc}}}
		desc = strings.TrimSpace(desc + "\n\nScope: `" + sc + "`.")
	} else {
		o["security"] = []any{}
	}
	o["description"] = desc
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(op.Path, -1) {
		p := map[string]any{"name": m[1], "in": "path", "required": true,
			"schema": map[string]any{"type": "integer", "format": "int64", "minimum": 1}}
		if i := slices.IndexFunc(op.PathText, func(q apiParam) bool { return q.Name == m[1] }); i >= 0 {
			p["schema"], p["description"] = map[string]any{"type": "string"}, op.PathText[i].Description
		}
		params = append(params, p)
	}
	for _, q := range op.Query {
		sch := map[string]any{"type": q.Type}
		if len(q.Enum) > 0 {
			sch["enum"] = q.Enum
		}
		if q.Max > 0 {
			sch["minimum"], sch["maximum"] = q.Min, q.Max
		}
		if q.Default != nil {
			sch["default"] = q.Default
		}
		params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Description, "schema": sch})
	}
	if op.Method == http.MethodPost {
		params = append(params, map[string]any{"$ref": "#/components/parameters/IdempotencyKey"})
	}
	if len(params) > 0 {
		o["parameters"] = params
	}
	switch {
	case op.Body != nil:
		o["requestBody"] = map[string]any{"required": !op.BodyOptional, "content": map[string]any{
			"application/json": map[string]any{"schema": set.of(reflect.TypeOf(op.Body), true)}}}
	case op.BodyTypes != nil:
		content := map[string]any{}
		for _, t := range op.BodyTypes {
			content[t] = map[string]any{"schema": map[string]any{"type": "string"}}
		}
		o["requestBody"] = map[string]any{"required": true, "content": content}
	}
	status := op.Status
	if status == 0 {
		status = http.StatusOK
	}
	res := map[string]any{}
	bodies := map[int]any{status: op.Response}
	for st, b := range op.Also {
		if b == nil {
			b = op.Response
		}
		bodies[st] = b
	}
	for _, st := range slices.Sorted(maps.Keys(bodies)) {
		r := map[string]any{"description": http.StatusText(st)}
		content := map[string]any{}
		if bodies[st] != nil {
			content["application/json"] = map[string]any{"schema": set.of(reflect.TypeOf(bodies[st]), false)}
		}
		for _, f := range op.Files {
			content[f] = map[string]any{}
		}
		if len(content) > 0 {
			r["content"] = content
		}
		res[strconv.Itoa(st)] = r
	}
	for _, st := range op.errors() {
		res[strconv.Itoa(st)] = map[string]any{"$ref": "#/components/responses/" + strconv.Itoa(st)}
	}
	o["responses"] = res
	return o
}
