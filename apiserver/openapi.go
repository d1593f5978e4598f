package apiserver

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"
)

// The OpenAPI document is generated from the route table (paths, methods,
// parameters with their validation rules) and from the response types by
// reflection (their json and doc tags), so it always describes what the
// server does.

func (s *Server) openAPI(c *gin.Context, _ *args) {
	c.Data(http.StatusOK, mimeJSON, s.openAPIDoc)
}

type jsonObject = map[string]any

func (s *Server) openAPIDocument() []byte {
	g := &schemaGen{schemas: jsonObject{}}
	errRef := g.schema(reflect.TypeFor[errorBody]())
	errResp := func(desc string) jsonObject {
		return jsonObject{"description": desc, "content": jsonObject{mimeJSON: jsonObject{"schema": errRef}}}
	}
	paths := jsonObject{}
	for i := range s.routes {
		r := &s.routes[i]
		op := jsonObject{"operationId": r.op, "tags": []string{r.tag}, "summary": r.summary}
		var params []jsonObject
		for _, p := range r.pathParams {
			params = append(params, p.openAPI("path"))
		}
		for _, p := range r.query {
			params = append(params, p.openAPI("query"))
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		ok := jsonObject{"description": "OK"}
		if r.response != nil {
			ok["content"] = jsonObject{mimeJSON: jsonObject{"schema": g.schema(reflect.TypeOf(r.response))}}
		} else {
			content := jsonObject{}
			for _, m := range r.produces {
				content[m] = jsonObject{"schema": jsonObject{"type": "string", "format": "binary"}}
			}
			ok["content"] = content
		}
		responses := jsonObject{"200": ok}
		if r.path == livePath {
			responses = jsonObject{
				"101": jsonObject{"description": "Switching Protocols; the server then sends liveMessage JSON text messages",
					"content": ok["content"]},
				"426": errResp("Not a WebSocket upgrade request"),
			}
		}
		if len(params) > 0 {
			responses["400"] = errResp("A parameter is malformed, out of range or unknown")
		}
		if !r.public {
			responses["401"] = errResp("Missing or invalid API key")
			responses["403"] = errResp("The key may not call this endpoint or see the project asked for, or the Host is not allowed")
			responses["429"] = errResp("The key's rate limit is spent; retry after the Retry-After header's seconds")
			op["security"] = []jsonObject{{"bearer": []string{}}, {"apiKey": []string{}}}
		} else {
			op["security"] = []jsonObject{}
		}
		if len(r.pathParams) > 0 {
			responses["404"] = errResp("No such " + strings.TrimSuffix(r.pathParams[len(r.pathParams)-1].name, "_id"))
		}
		responses["500"] = errResp("Server failure")
		op["responses"] = responses
		path := openAPIPath(r.path)
		item, _ := paths[path].(jsonObject)
		if item == nil {
			item = jsonObject{}
			paths[path] = item
		}
		item[strings.ToLower(r.method)] = op
	}
	doc := jsonObject{
		"openapi": "3.0.3",
		"info": jsonObject{
			"title":   "AgentTrace API",
			"version": s.version,
			"description": "Read API of AgentTrace. Times are Unix nanoseconds and RFC 3339; ids are lowercase hex; " +
				"costs are USD and null when unpriced. Errors are {\"error\":{\"code\",\"message\"}}.",
		},
		"paths": paths,
		"components": jsonObject{
			"schemas": g.schemas,
			"securitySchemes": jsonObject{
				"bearer": jsonObject{"type": "http", "scheme": "bearer"},
				"apiKey": jsonObject{"type": "apiKey", "in": "header", "name": "X-API-Key"},
			},
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err) // the document is built from static data
	}
	return b
}

// openAPIPath turns gin's /a/:b into OpenAPI's /a/{b}.
func openAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

func (p *param) openAPI(in string) jsonObject {
	var schema jsonObject
	switch p.kind {
	case kindTraceID:
		schema = jsonObject{"type": "string", "pattern": "^([0-9a-fA-F]{32}|[0-9a-fA-F-]{36})$"}
	case kindSpanID:
		schema = jsonObject{"type": "string", "pattern": "^[0-9a-fA-F]{16}$"}
	case kindTime:
		schema = jsonObject{"type": "string", "example": "24h"}
	case kindDuration:
		schema = jsonObject{"type": "string", "example": "1.5s"}
	case kindInt:
		schema = jsonObject{"type": "integer", "format": "int64", "minimum": p.min, "maximum": p.max}
	case kindFloat:
		schema = jsonObject{"type": "number", "minimum": 0}
	case kindBool:
		schema = jsonObject{"type": "boolean"}
	case kindEnum:
		schema = jsonObject{"type": "string", "enum": p.enum}
	case kindProject:
		schema = jsonObject{"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]*$", "maxLength": p.max}
	default:
		max := p.max
		if max == 0 {
			max = defaultTextMax
		}
		schema = jsonObject{"type": "string", "minLength": 1, "maxLength": max}
	}
	if p.def != "" {
		schema["default"] = p.def
	}
	return jsonObject{"name": p.name, "in": in, "required": in == "path" || p.required,
		"description": p.desc, "schema": schema}
}

// schemaGen derives JSON schemas from the response types: named structs
// become components referenced by $ref (which also ends recursion, as in
// the tree's children).
type schemaGen struct {
	schemas jsonObject
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

func (g *schemaGen) schema(t reflect.Type) jsonObject {
	switch {
	case t == rawMessageType:
		return jsonObject{"description": "any JSON value"}
	case t.Kind() == reflect.Pointer:
		inner := g.schema(t.Elem())
		if _, isRef := inner["$ref"]; isRef {
			return jsonObject{"allOf": []jsonObject{inner}, "nullable": true}
		}
		inner["nullable"] = true
		return inner
	case t.Kind() == reflect.Slice:
		return jsonObject{"type": "array", "items": g.schema(t.Elem())}
	case t.Kind() == reflect.Map:
		return jsonObject{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case t.Kind() == reflect.Struct:
		name := schemaName(t)
		ref := jsonObject{"$ref": "#/components/schemas/" + name}
		if _, done := g.schemas[name]; !done {
			g.schemas[name] = jsonObject{} // placeholder against recursion
			props, required := jsonObject{}, []string{}
			g.fields(t, props, &required)
			obj := jsonObject{"type": "object", "properties": props}
			if len(required) > 0 {
				obj["required"] = required
			}
			g.schemas[name] = obj
		}
		return ref
	case t.Kind() == reflect.String:
		return jsonObject{"type": "string"}
	case t.Kind() == reflect.Bool:
		return jsonObject{"type": "boolean"}
	case t.Kind() == reflect.Float64 || t.Kind() == reflect.Float32:
		return jsonObject{"type": "number"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return jsonObject{"type": "integer", "format": "int64"}
	}
	return jsonObject{}
}

func (g *schemaGen) fields(t reflect.Type, props jsonObject, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, props, required)
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		sch := g.schema(f.Type)
		if d := f.Tag.Get("doc"); d != "" {
			if _, isRef := sch["$ref"]; isRef {
				sch = jsonObject{"allOf": []jsonObject{sch}}
			}
			sch["description"] = d
		}
		props[name] = sch
		if !strings.Contains(opts, "omitempty") {
			*required = append(*required, name)
		}
	}
}

// schemaName names a View type's schema: traceView → Trace.
func schemaName(t reflect.Type) string {
	n := strings.TrimSuffix(t.Name(), "View")
	r := []rune(n)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}
