package apiserver

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/agenttrace/agenttrace/internal/storage"
)

type openAPIDoc struct {
	OpenAPI string `json:"openapi"`
	Paths   map[string]map[string]struct {
		OperationID string `json:"operationId"`
		Parameters  []struct {
			Name     string `json:"name"`
			In       string `json:"in"`
			Required bool   `json:"required"`
		} `json:"parameters"`
		Responses map[string]struct {
			Content map[string]struct {
				Schema map[string]any `json:"schema"`
			} `json:"content"`
		} `json:"responses"`
	} `json:"paths"`
	Components struct {
		Schemas map[string]any `json:"schemas"`
	} `json:"components"`
}

// TestOpenAPIMatchesRoutes walks gin's registered routes and the served
// document: every route is documented with its path parameters, and the
// document has nothing the server does not serve.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := newTestServer(t, openSQLite(t), DefaultConfig())
	var doc openAPIDoc
	s.getJSON("/api/v1/openapi.json", http.StatusOK, &doc)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}
	served := map[string]bool{}
	pathParam := regexp.MustCompile(`:([a-z_]+)`)
	for _, r := range s.srv.engine.Routes() {
		path := pathParam.ReplaceAllString(r.Path, "{$1}")
		key := strings.ToLower(r.Method) + " " + path
		served[key] = true
		op, ok := doc.Paths[path][strings.ToLower(r.Method)]
		if !ok {
			t.Errorf("route %s %s is not in the OpenAPI document", r.Method, r.Path)
			continue
		}
		var wantParams, gotParams []string
		for _, m := range pathParam.FindAllStringSubmatch(r.Path, -1) {
			wantParams = append(wantParams, m[1])
		}
		for _, p := range op.Parameters {
			if p.In == "path" {
				gotParams = append(gotParams, p.Name)
				if !p.Required {
					t.Errorf("%s: path parameter %s not required", key, p.Name)
				}
			}
		}
		if !slices.Equal(wantParams, gotParams) {
			t.Errorf("%s: path parameters %v, document says %v", key, wantParams, gotParams)
		}
		if _, ok := op.Responses["200"]; !ok && r.Path != livePath {
			t.Errorf("%s: no 200 response", key)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if !served[method+" "+path] {
				t.Errorf("document has %s %s, which the server does not serve", method, path)
			}
		}
	}
	if len(served) != len(s.srv.routes) {
		t.Errorf("gin serves %d routes, the route table has %d", len(served), len(s.srv.routes))
	}
	// Every $ref resolves.
	raw := string(s.srv.openAPIDoc)
	for _, m := range regexp.MustCompile(`"#/components/schemas/([A-Za-z]+)"`).FindAllStringSubmatch(raw, -1) {
		if _, ok := doc.Components.Schemas[m[1]]; !ok {
			t.Errorf("dangling $ref %s", m[1])
		}
	}
}

// TestOpenAPIDescribesResponses checks the generated schemas against a
// real response: every field the server sends is a documented property.
func TestOpenAPIDescribesResponses(t *testing.T) {
	st := openSQLite(t)
	seed(t, st)
	s := newTestServer(t, st, DefaultConfig())
	var doc openAPIDoc
	s.getJSON("/api/v1/openapi.json", http.StatusOK, &doc)
	props := func(schema string) map[string]any {
		sch, _ := doc.Components.Schemas[schema].(map[string]any)
		p, _ := sch["properties"].(map[string]any)
		return p
	}
	for _, c := range []struct{ path, schema string }{
		{"/api/v1/spans/" + trResearch + "/" + sid(0x11), "Span"},
		{"/api/v1/traces/" + trResearch, "Trace"},
		{"/api/v1/sessions/" + sessAlpha, "Session"},
	} {
		var got map[string]any
		s.getJSON(c.path, http.StatusOK, &got)
		documented := props(c.schema)
		if len(documented) == 0 {
			t.Fatalf("schema %s missing", c.schema)
		}
		for k := range got {
			if _, ok := documented[k]; !ok {
				t.Errorf("%s sends %q, not in schema %s", c.path, k, c.schema)
			}
		}
	}
	if props("TreeNode")["children"] == nil || props("TreeNode")["span_id"] == nil {
		t.Errorf("TreeNode schema lacks embedded span fields or children: %v", props("TreeNode"))
	}
	var limit map[string]any
	for _, p := range doc.Paths["/api/v1/traces"]["get"].Parameters {
		if p.Name == "limit" {
			limit = map[string]any{"found": true}
		}
	}
	if limit == nil {
		t.Error("traces limit parameter not documented")
	}
	if !strings.Contains(string(s.srv.openAPIDoc), `"maximum": `+itoa(storage.MaxLimit)) {
		t.Error("limit maximum not documented")
	}
	var anyDoc map[string]any
	if err := json.Unmarshal(s.srv.openAPIDoc, &anyDoc); err != nil {
		t.Fatal(err)
	}
}
