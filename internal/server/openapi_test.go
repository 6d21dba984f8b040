package server

import (
	"encoding/json"
	stdhtml "html"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// TestOpenAPICoversRouter walks the real router: every /api/v1 route is in the OpenAPI document, and every
// operation the document has is routed. A route added without its apiOp (or an apiOp left behind) fails here.
func TestOpenAPICoversRouter(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	routes, ok := a.srv.Handler().(chi.Routes)
	if !ok {
		t.Fatal("the handler is not a chi router")
	}
	routed := map[string]bool{}
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if strings.HasPrefix(route, "/api/v1/") {
			routed[method+" "+route] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	doc := fetchOpenAPI(t, a)
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	for _, r := range slices.Sorted(mapKeys(routed)) {
		if !documented[r] {
			t.Errorf("%s is routed but not in the OpenAPI document: add its apiOp (docs/API.md, \"OpenAPI document\")", r)
		}
	}
	for _, d := range slices.Sorted(mapKeys(documented)) {
		if !routed[d] {
			t.Errorf("%s is in the OpenAPI document but not routed: remove its apiOp or fix its method or path", d)
		}
	}
	if len(routed) < 50 {
		t.Errorf("walked only %d /api/v1 routes", len(routed))
	}
}

// TestOpenAPIDocument checks what the document promises beyond its routes: it is public, OpenAPI 3.1, each
// operation names its scope as requireScope decides it, POSTs take an Idempotency-Key, errors are problem
// documents with the real Problem's fields, lists take the cursor, files are answered by their media types.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	doc := fetchOpenAPI(t, a)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	for path, item := range doc.Paths {
		for method, op := range item {
			name := strings.ToUpper(method) + " " + path
			rel := strings.TrimPrefix(path, "/api/v1")
			if publicAPIPath(strings.ToUpper(method), rel) {
				continue
			}
			want := apiOp{Method: strings.ToUpper(method), Path: rel}.scope()
			if op.Scope != want || !strings.Contains(op.Description, want) {
				t.Errorf("%s: x-scope %q, want %q in x-scope and the description", name, op.Scope, want)
			}
			for _, st := range []string{"401", "403"} {
				if op.Responses[st] == nil {
					t.Errorf("%s: no %s response", name, st)
				}
			}
			if method == "post" && !slices.ContainsFunc(op.Parameters, func(p map[string]any) bool {
				return p["$ref"] == "#/components/parameters/IdempotencyKey"
			}) {
				t.Errorf("%s: no Idempotency-Key parameter", name)
			}
		}
	}
	list := doc.Paths["/api/v1/orders"]["get"]
	if !slices.ContainsFunc(list.Parameters, func(p map[string]any) bool { return p["name"] == "cursor" }) {
		t.Error("GET /api/v1/orders has no cursor parameter")
	}
	pdf := doc.Paths["/api/v1/receipts/{id}/document.pdf"]["get"].Responses["200"]
	if !strings.Contains(string(mustJSON(t, pdf)), "application/pdf") {
		t.Errorf("the receipt's document is not application/pdf: %s", mustJSON(t, pdf))
	}
	problem := string(mustJSON(t, doc.Components.Schemas["Problem"]))
	for _, f := range []string{`"errors"`, `"rows"`, `"detail"`, `"status"`} {
		if !strings.Contains(problem, f) {
			t.Errorf("the Problem schema lacks %s: %s", f, problem)
		}
	}
	if !strings.Contains(string(mustJSON(t, doc.Components.Responses["422"])), "application/problem+json") {
		t.Error("422 is not a problem document")
	}
}

// openAPIDoc is the part of the document the tests read.
type openAPIDoc struct {
	OpenAPI    string                                 `json:"openapi"`
	Paths      map[string]map[string]openAPIOperation `json:"paths"`
	Components struct {
		Schemas   map[string]any `json:"schemas"`
		Responses map[string]any `json:"responses"`
	} `json:"components"`
}

type openAPIOperation struct {
	Scope       string           `json:"x-scope"`
	Description string           `json:"description"`
	Parameters  []map[string]any `json:"parameters"`
	Responses   map[string]any   `json:"responses"`
}

// fetchOpenAPI gets the document as a client does, with no API key.
func fetchOpenAPI(t *testing.T, a *testApp) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	res, raw := a.api("", "GET", "/api/v1/openapi.json", nil, &doc)
	wantStatus(t, res, raw, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	return doc
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestAPIDocsPage reads the reference page as a person would: every operation is on it with its scope, and its
// schemas; it loads nothing from elsewhere and needs no script.
func TestAPIDocsPage(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	res, err := http.Get(a.ts.URL + "/api/docs")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	wantStatus(t, res, raw, http.StatusOK)
	page := string(raw)
	for _, op := range apiOps() {
		if !strings.Contains(page, stdhtml.EscapeString(op.Method+" /api/v1"+op.Path)) {
			t.Errorf("the page lacks %s %s", op.Method, op.Path)
		}
		if sc := op.scope(); sc != "" && !strings.Contains(page, "Scope: `"+sc+"`") {
			t.Errorf("the page does not name %s %s's scope %s", op.Method, op.Path, sc)
		}
	}
	for _, want := range []string{`id="schema-Problem"`, `id="schema-Order"`, `href="#schema-Product"`,
		"application/problem+json", "application/pdf", "Idempotency-Key", "422 Unprocessable Entity"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, bad := range []string{"<script", `src="http`, `href="http`} {
		if strings.Contains(page, bad) {
			t.Errorf("the page holds %s", bad)
		}
	}
}
