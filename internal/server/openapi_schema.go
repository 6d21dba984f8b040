package server

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode"

	"github.com/bursar/bursar/internal/apiview"
)

// The JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of the API's bodies, derived by reflection from the very Go
// types the handlers decode and encode, so that the document cannot drift from the code: a field added to a type is
// in the document. encoding/json's rules are followed: the json tag names a field, "-" hides it, omitempty makes it
// optional, an embedded struct's fields are the outer struct's, a pointer may be null.
//
// A struct type becomes a component named after the Go type ("apiProductJSON" → "Product", "grantIn" → "GrantIn",
// offer.Contact → "OfferContact", apiview.Order → "Order"). As a response, every field without omitempty is required (encoding/json always
// writes it); as a request nothing is required (the handler reports a missing field as a 422 field error) and the
// component's name ends in "Input" unless the type's name already says it is one. Both forbid unknown properties:
// responses have none, and decodeJSON refuses them.

// schemaSet collects the named schemas (components/schemas) while operations' schemas are built.
type schemaSet struct {
	schemas map[string]map[string]any
	types   map[string]reflect.Type // which type owns each name, so that two types never share one
	err     error                   // the first type that has no schema
}

func newSchemaSet() *schemaSet {
	return &schemaSet{schemas: map[string]map[string]any{}, types: map[string]reflect.Type{}}
}

var (
	timeType        = reflect.TypeFor[time.Time]()
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	nullableIntType = reflect.TypeFor[nullableInt]()
	marshalerType   = reflect.TypeFor[json.Marshaler]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// of is the schema of t as a request body (in) or a response body.
func (s *schemaSet) of(t reflect.Type, in bool) map[string]any {
	if t.Kind() == reflect.Pointer {
		return nullable(s.of(t.Elem(), in))
	}
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case rawMessageType:
		return map[string]any{}
	case nullableIntType:
		return map[string]any{"type": []any{"integer", "null"}}
	}
	if t.Implements(marshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		s.fail(fmt.Errorf("openapi: %s reads or writes its own JSON: teach openapi_schema.go its schema", t))
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return map[string]any{"type": "integer"}
	case reflect.Int64, reflect.Uint64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Interface:
		return map[string]any{} // any JSON value
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": s.of(t.Elem(), in)}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			break
		}
		return map[string]any{"type": "object", "additionalProperties": s.of(t.Elem(), in)}
	case reflect.Struct:
		if t.Name() == "" || strings.Contains(t.Name(), "[") {
			return s.object(t, in) // anonymous or generic (List[T]): inline
		}
		name := schemaName(t, in)
		if owner, ok := s.types[name]; ok {
			if owner != t {
				s.fail(fmt.Errorf("openapi: %s and %s would both be the schema %s: rename one", owner, t, name))
			}
		} else {
			s.types[name] = t
			s.schemas[name] = nil // a recursive type finds its name taken
			s.schemas[name] = s.object(t, in)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	s.fail(fmt.Errorf("openapi: no JSON schema for %s", t))
	return map[string]any{}
}

func (s *schemaSet) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

// object is struct t's schema: its JSON fields as encoding/json sees them.
func (s *schemaSet) object(t reflect.Type, in bool) map[string]any {
	props := map[string]any{}
	var required []string
	for _, f := range reflect.VisibleFields(t) {
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		switch {
		case !f.IsExported() || name == "-":
			continue
		case f.Anonymous && name == "" && (f.Type.Kind() == reflect.Struct ||
			f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct):
			continue // its fields are visible fields of t
		case name == "":
			name = f.Name
		}
		if strings.Contains(opts, "string") {
			s.fail(fmt.Errorf("openapi: %s.%s has the ,string option, which openapi_schema.go does not know", t, f.Name))
		}
		props[name] = s.of(f.Type, in)
		if !in && !strings.Contains(","+opts+",", ",omitempty,") && !strings.Contains(","+opts+",", ",omitzero,") {
			required = append(required, name)
		}
	}
	o := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// nullable is schema s that also allows null.
func nullable(s map[string]any) map[string]any {
	switch t := s["type"].(type) {
	case string:
		c := make(map[string]any, len(s))
		for k, v := range s {
			c[k] = v
		}
		c["type"] = []any{t, "null"}
		return c
	case []any:
		return s // already a list of types, null among them
	}
	if len(s) == 0 {
		return s // anything, null included
	}
	return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
}

// schemaName is the component name of struct type t (see the file's comment).
func schemaName(t reflect.Type, in bool) string {
	n := strings.TrimPrefix(t.Name(), "api")
	n = strings.TrimSuffix(n, "JSON")
	r := []rune(n)
	r[0] = unicode.ToUpper(r[0])
	n = string(r)
	// The server's own types and internal/apiview's (the API's objects, shared with the webhooks) are named bare;
	// another package's type gets its package's name in front.
	if pkg := t.PkgPath(); pkg != reflect.TypeFor[Problem]().PkgPath() && pkg != reflect.TypeFor[apiview.Order]().PkgPath() {
		p := pkg[strings.LastIndex(pkg, "/")+1:]
		n = strings.ToUpper(p[:1]) + p[1:] + n
	}
	if in && !strings.HasSuffix(n, "In") && !strings.HasSuffix(n, "Input") && !strings.HasSuffix(n, "Request") &&
		!strings.HasSuffix(n, "Patch") {
		n += "Input"
	}
	return n
}
