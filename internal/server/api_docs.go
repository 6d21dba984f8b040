package server

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/bursar/bursar/templates/admin"
)

// apiDocs is GET /api/docs: the OpenAPI document as a page, rendered here from the document itself (the operations
// in apiOps' order), with the admin's stylesheet, no script and nothing from a CDN. It is public, as the document is.
// The admin is in English and so is this reference.
func (s *Server) apiDocs(w http.ResponseWriter, r *http.Request) {
	v, err := apiDocsView()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	s.render(w, r, http.StatusOK, admin.APIDocsPage(v))
}

// docSchema is the part of a JSON Schema the page shows.
type docSchema struct {
	Ref        string               `json:"$ref"`
	Type       any                  `json:"type"` // a string or a list of strings
	Format     string               `json:"format"`
	Enum       []any                `json:"enum"`
	Items      *docSchema           `json:"items"`
	Additional *docSchema           `json:"additionalProperties"`
	AnyOf      []docSchema          `json:"anyOf"`
	Properties map[string]docSchema `json:"properties"`
	Required   []string             `json:"required"`
}

// UnmarshalJSON reads a schema, where additionalProperties may also be false.
func (d *docSchema) UnmarshalJSON(b []byte) error {
	if string(b) == "false" || string(b) == "true" {
		return nil
	}
	type plain docSchema
	return json.Unmarshal(b, (*plain)(d))
}

type docMedia struct {
	Schema *docSchema `json:"schema"`
}

type docOperation struct {
	Summary     string `json:"summary"`
	Description string `json:"description"`
	Scope       string `json:"x-scope"`
	Parameters  []struct {
		Ref         string    `json:"$ref"`
		Name        string    `json:"name"`
		In          string    `json:"in"`
		Description string    `json:"description"`
		Required    bool      `json:"required"`
		Schema      docSchema `json:"schema"`
	} `json:"parameters"`
	RequestBody *struct {
		Required bool                `json:"required"`
		Content  map[string]docMedia `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Ref         string              `json:"$ref"`
		Description string              `json:"description"`
		Content     map[string]docMedia `json:"content"`
	} `json:"responses"`
}

type docDocument struct {
	Paths      map[string]map[string]docOperation `json:"paths"`
	Components struct {
		Schemas   map[string]docSchema `json:"schemas"`
		Responses map[string]struct {
			Description string              `json:"description"`
			Content     map[string]docMedia `json:"content"`
		} `json:"responses"`
	} `json:"components"`
}

// apiDocsView is the page's view of the served document.
func apiDocsView() (admin.APIDocs, error) {
	b, err := openAPIDocument()
	if err != nil {
		return admin.APIDocs{}, err
	}
	var doc docDocument
	if err := json.Unmarshal(b, &doc); err != nil {
		return admin.APIDocs{}, err
	}
	var v admin.APIDocs
	groups := map[string]int{}
	for _, op := range apiOps() {
		path := "/api/v1" + op.Path
		d := doc.Paths[path][strings.ToLower(op.Method)]
		tag := strings.Split(strings.Trim(op.Path, "/"), "/")[0]
		if _, ok := groups[tag]; !ok {
			groups[tag] = len(v.Groups)
			v.Groups = append(v.Groups, admin.APIDocGroup{Name: tag})
		}
		o := admin.APIDocOp{ID: strings.ToLower(op.Method) + strings.NewReplacer("/", "-", "{", "", "}", "", ".", "-").Replace(op.Path),
			Method: op.Method, Path: path, Summary: d.Summary, Description: d.Description, Scope: d.Scope}
		for _, p := range d.Parameters {
			if p.Ref != "" {
				o.Params = append(o.Params, admin.APIDocParam{Name: "Idempotency-Key", In: "header", Type: "string",
					Description: "Any unique string (at most 255 characters): a retry with the same key does nothing twice."})
				continue
			}
			o.Params = append(o.Params, admin.APIDocParam{Name: p.Name, In: p.In, Type: docType(p.Schema).Text,
				Description: p.Description, Required: p.Required})
		}
		if rb := d.RequestBody; rb != nil {
			o.BodyNeeded = rb.Required
			o.Body = docMedias(rb.Content)
		}
		for _, st := range slices.Sorted(maps.Keys(d.Responses)) {
			res := d.Responses[st]
			desc, content := res.Description, res.Content
			if res.Ref != "" {
				c := doc.Components.Responses[res.Ref[strings.LastIndex(res.Ref, "/")+1:]]
				desc, content = c.Description, c.Content
			}
			if n, err := strconv.Atoi(st); err == nil && desc == http.StatusText(n) {
				desc = ""
			}
			o.Responses = append(o.Responses, admin.APIDocResponse{Status: st + " " + docStatusText(st), Description: desc,
				Media: docMedias(content)})
		}
		v.Groups[groups[tag]].Ops = append(v.Groups[groups[tag]].Ops, o)
	}
	for _, name := range slices.Sorted(maps.Keys(doc.Components.Schemas)) {
		sc := doc.Components.Schemas[name]
		s := admin.APIDocSchema{Name: name}
		for _, f := range slices.Sorted(maps.Keys(sc.Properties)) {
			s.Fields = append(s.Fields, admin.APIDocField{Name: f, Type: docType(sc.Properties[f]),
				Required: slices.Contains(sc.Required, f)})
		}
		v.Schemas = append(v.Schemas, s)
	}
	return v, nil
}

func docStatusText(st string) string {
	n, _ := strconv.Atoi(st)
	return http.StatusText(n)
}

func docMedias(content map[string]docMedia) []admin.APIDocMedia {
	var out []admin.APIDocMedia
	for _, t := range slices.Sorted(maps.Keys(content)) {
		m := admin.APIDocMedia{Type: t}
		if sc := content[t].Schema; sc != nil {
			m.Schema = docType(*sc)
		}
		out = append(out, m)
	}
	return out
}

// docType is a schema in words.
func docType(s docSchema) admin.APIDocType {
	switch {
	case s.Ref != "":
		name := s.Ref[strings.LastIndex(s.Ref, "/")+1:]
		return admin.APIDocType{Text: name, Ref: name}
	case len(s.AnyOf) > 0:
		var parts []string
		ref := ""
		for _, a := range s.AnyOf {
			t := docType(a)
			parts = append(parts, t.Text)
			if t.Ref != "" {
				ref = t.Ref
			}
		}
		return admin.APIDocType{Text: strings.Join(parts, " | "), Ref: ref}
	}
	var types []string
	switch t := s.Type.(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			if str, ok := x.(string); ok {
				types = append(types, str)
			}
		}
	}
	if len(types) == 0 {
		return admin.APIDocType{Text: "any"}
	}
	ref := ""
	for i, t := range types {
		switch {
		case t == "array" && s.Items != nil:
			it := docType(*s.Items)
			types[i], ref = "array of "+it.Text, it.Ref
		case t == "object" && s.Additional != nil && s.Properties == nil:
			it := docType(*s.Additional)
			types[i], ref = "object of "+it.Text, it.Ref
		case t == "object" && s.Properties != nil:
			types[i] = "object" // an inline object: a list's page
			if d, ok := s.Properties["data"]; ok {
				it := docType(d)
				types[i], ref = "list: data "+it.Text+", next_cursor", it.Ref
			}
		case s.Format != "" && t != "null":
			types[i] = t + " (" + s.Format + ")"
		}
	}
	text := strings.Join(types, " | ")
	if len(s.Enum) > 0 {
		var vals []string
		for _, e := range s.Enum {
			b, _ := json.Marshal(e)
			vals = append(vals, string(b))
		}
		text += ": one of " + strings.Join(vals, ", ")
	}
	return admin.APIDocType{Text: text, Ref: ref}
}
