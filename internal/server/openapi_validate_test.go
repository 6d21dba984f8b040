package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
)

// Every API test validates its real requests and responses against the OpenAPI document: newTestAppOn serves the
// test server's handler through validateAPI, so no test can forget it. The validator is libopenapi-validator: it
// reads OpenAPI 3.1 natively and checks bodies with a JSON Schema 2020-12 validator (type lists with "null", const,
// prefixItems), and it checks the document itself against the 3.1 meta-schema (TestOpenAPIDocumentValid).
//
// The rules, for each /api/v1 exchange:
//   - the response (status, Content-Type, body) must be one the document lists for the operation;
//   - a request the document refuses (a missing field type, a bad parameter, no API key) must be refused by the
//     server too (4xx): a server that accepts what the document forbids means the document is wrong;
//   - a request to a path or method the document does not have must be answered 404 or 405 problem+json.

// apiValidator is the document's validator, built once; libopenapi-validator is used under a lock, its caches not
// being documented as safe for concurrent use.
var apiValidator = sync.OnceValues(func() (*lockedValidator, error) {
	b, err := openAPIDocument()
	if err != nil {
		return nil, err
	}
	doc, err := libopenapi.NewDocument(b)
	if err != nil {
		return nil, err
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		return nil, fmt.Errorf("openapi validator: %v", errs)
	}
	return &lockedValidator{v: v}, nil
})

type lockedValidator struct {
	mu sync.Mutex
	v  validator.Validator
}

// validateAPI is h with every /api/v1 exchange checked against the document; a mismatch fails t. The response is
// held until it is checked, so the test still runs when a mismatch is reported.
func validateAPI(t testing.TB, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/v1/") || r.Method == http.MethodHead {
			h.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("OpenAPI check: read the request: %v", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)

		for _, p := range checkAPIExchange(r, body, rec) {
			t.Errorf("OpenAPI: %s %s → %d: %s\n  request body: %.300s\n  response body: %.500s",
				r.Method, r.URL.RequestURI(), rec.Code, p, body, rec.Body.Bytes())
		}
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// checkAPIExchange is what is wrong with an exchange by the rules above.
func checkAPIExchange(r *http.Request, body []byte, rec *httptest.ResponseRecorder) []string {
	lv, err := apiValidator()
	if err != nil {
		return []string{err.Error()}
	}
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	res := &http.Response{StatusCode: rec.Code, Header: rec.Header().Clone(), Request: req,
		Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes()))}

	lv.mu.Lock()
	_, reqErrs := lv.v.ValidateHttpRequestSync(req)
	req.Body = io.NopCloser(bytes.NewReader(body))
	var resErrs []*verrors.ValidationError
	unknown := false
	for _, e := range reqErrs {
		unknown = unknown || e.IsPathMissingError() || e.IsOperationMissingError()
	}
	if !unknown {
		_, resErrs = lv.v.ValidateHttpResponse(req, res)
	}
	lv.mu.Unlock()

	var out []string
	switch {
	case unknown:
		if (rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed) ||
			rec.Header().Get("Content-Type") != "application/problem+json" {
			out = append(out, "the document has no such operation, yet the answer is not a 404 or 405 problem: "+
				describe(reqErrs))
		}
		return out
	case len(reqErrs) > 0 && rec.Code < 400:
		out = append(out, "the document refuses this request, yet the server accepted it: "+describe(reqErrs))
	}
	if len(resErrs) > 0 {
		out = append(out, "the response is not one the document has: "+describe(resErrs))
	}
	return out
}

// describe is validation errors as one line each.
func describe(errs []*verrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "\n    - %s: %s", e.Message, e.Reason)
		for _, s := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n        %s at %s", s.Reason, s.FieldPath)
		}
	}
	return b.String()
}

// TestOpenAPIDocumentValid checks the document against the OpenAPI 3.1 meta-schema.
func TestOpenAPIDocumentValid(t *testing.T) {
	t.Parallel()
	lv, err := apiValidator()
	if err != nil {
		t.Fatal(err)
	}
	lv.mu.Lock()
	ok, errs := lv.v.ValidateDocument()
	lv.mu.Unlock()
	if !ok {
		t.Fatalf("the OpenAPI document is not valid OpenAPI 3.1:%s", describe(errs))
	}
}

// TestOpenAPIValidationCatches proves the check bites: a response that breaks the document, a request the document
// refuses but the server accepted, and an unknown operation answered 200 are each reported; the real exchange is not.
func TestOpenAPIValidationCatches(t *testing.T) {
	t.Parallel()
	exchange := func(method, target, reqBody string, status int, ct, resBody string) []string {
		r := httptest.NewRequest(method, target, strings.NewReader(reqBody))
		r.Header.Set("Authorization", "Bearer bsr_x")
		if reqBody != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", ct)
		rec.WriteHeader(status)
		_, _ = rec.WriteString(resBody)
		return checkAPIExchange(r, []byte(reqBody), rec)
	}
	product := `{"id":1,"name":"Go","kind":"course","description":"","parent_id":null,"external_url":"",` +
		`"external_id":"","archived_at":null,"created_at":"2026-12-03T10:00:00Z"}`
	if p := exchange("GET", "/api/v1/products/1", "", 200, "application/json", product); len(p) > 0 {
		t.Errorf("a good exchange was reported: %v", p)
	}
	for name, p := range map[string][]string{
		"a field of the wrong type": exchange("GET", "/api/v1/products/1", "", 200, "application/json",
			strings.Replace(product, `"id":1`, `"id":"1"`, 1)),
		"a missing field": exchange("GET", "/api/v1/products/1", "", 200, "application/json",
			strings.Replace(product, `"name":"Go",`, "", 1)),
		"an undocumented field": exchange("GET", "/api/v1/products/1", "", 200, "application/json",
			strings.Replace(product, `"id":1`, `"id":1,"secret":"x"`, 1)),
		"a time that is not RFC 3339": exchange("GET", "/api/v1/products/1", "", 200, "application/json",
			strings.Replace(product, `"2026-12-03T10:00:00Z"`, `"yesterday"`, 1)),
		"an undocumented status": exchange("GET", "/api/v1/products/1", "", 418, "application/json", product),
		"a request refused by the document, accepted": exchange("POST", "/api/v1/products", `{"name":5}`, 201,
			"application/json", product),
		"an unknown operation answered 200": exchange("GET", "/api/v1/nothing-here", "", 200, "application/json", "{}"),
		"an error that is not a problem":    exchange("GET", "/api/v1/products/1", "", 404, "application/json", `{"error":"x"}`),
	} {
		if len(p) == 0 {
			t.Errorf("%s was not reported", name)
		}
	}
}
