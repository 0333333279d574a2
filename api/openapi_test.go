package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/alliance-ledger/alliance/ledger"
)

// The OpenAPI document as the test reads it: only what it checks.
type oaDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Info       struct{ Title, Version string }       `json:"info"`
	Servers    []struct{ URL string }                `json:"servers"`
	Security   []map[string][]string                 `json:"security"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas         map[string]*oaSchema       `json:"schemas"`
		Parameters      map[string]*oaParam        `json:"parameters"`
		Responses       map[string]json.RawMessage `json:"responses"`
		SecuritySchemes map[string]struct {
			Type, Scheme string
		} `json:"securitySchemes"`
	} `json:"components"`
}

type oaOp struct {
	OperationID string                     `json:"operationId"`
	Summary     string                     `json:"summary"`
	Description string                     `json:"description"`
	Parameters  []*oaParam                 `json:"parameters"`
	RequestBody *oaBody                    `json:"requestBody"`
	Responses   map[string]json.RawMessage `json:"responses"`
	// Security is nil when the operation inherits the document's.
	Security  *[]map[string][]string `json:"security"`
	EventType string                 `json:"x-ledger-event-type"`
	Access    string                 `json:"x-access"`
}

type oaParam struct {
	Ref      string    `json:"$ref"`
	Name     string    `json:"name"`
	In       string    `json:"in"`
	Required bool      `json:"required"`
	Schema   *oaSchema `json:"schema"`
}

type oaBody struct {
	Required bool `json:"required"`
	Content  map[string]struct {
		Schema *oaSchema `json:"schema"`
	} `json:"content"`
}

type oaSchema struct {
	Ref        string               `json:"$ref"`
	Type       any                  `json:"type"`
	Properties map[string]*oaSchema `json:"properties"`
	Required   []string             `json:"required"`
}

// notAppending are the writes under /v1/alliances that do not append to
// the log, and so take no Idempotency-Key: a co-signature is stored with
// the audit records, and sending it again finds it.
var notAppending = map[string]bool{
	"POST " + alliancePath + "/audit/cosignatures": true,
}

// appendsToLog reports whether a route appends to an alliance's log.
func appendsToLog(rt Route) bool {
	return rt.Method == "POST" && rt.Access == Write && strings.HasPrefix(rt.Pattern, "/v1/alliances") &&
		!notAppending[rt.Method+" "+rt.Pattern]
}

// httpMethods are the keys of a path item that are operations.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

var pathParamPattern = regexp.MustCompile(`\{([^}]+)\}`)

// openAPIOps is every operation of the document, by "METHOD /path".
func openAPIOps(t *testing.T, doc *oaDoc) map[string]*oaOp {
	t.Helper()
	ops := map[string]*oaOp{}
	for path, item := range doc.Paths {
		for method, raw := range item {
			if !slices.Contains(httpMethods, method) {
				continue
			}
			var op oaOp
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", strings.ToUpper(method), path, err)
			}
			ops[strings.ToUpper(method)+" "+path] = &op
		}
	}
	return ops
}

func (d *oaDoc) param(t *testing.T, p *oaParam) *oaParam {
	t.Helper()
	if p.Ref == "" {
		return p
	}
	name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/")
	if !ok || d.Components.Parameters[name] == nil {
		t.Fatalf("parameter $ref %s does not resolve", p.Ref)
	}
	return d.Components.Parameters[name]
}

func (d *oaDoc) schema(t *testing.T, s *oaSchema) *oaSchema {
	t.Helper()
	for s != nil && s.Ref != "" {
		name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/")
		if !ok || d.Components.Schemas[name] == nil {
			t.Fatalf("schema $ref %s does not resolve", s.Ref)
		}
		s = d.Components.Schemas[name]
	}
	return s
}

// bodySchema is the operation's application/json request body schema.
func (d *oaDoc) bodySchema(t *testing.T, key string, op *oaOp) *oaSchema {
	t.Helper()
	if op.RequestBody == nil || op.RequestBody.Content["application/json"].Schema == nil {
		t.Errorf("%s: no application/json request body", key)
		return nil
	}
	return d.schema(t, op.RequestBody.Content["application/json"].Schema)
}

// jsonNames lists the JSON property names of a struct type, as
// encoding/json names them (embedded structs flattened).
func jsonNames(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if ft := f.Type; f.Anonymous && name == "" && (ft.Kind() == reflect.Struct || ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct) {
			out = append(out, jsonNames(ft)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestOpenAPI holds openapi.json and the server's routes to each other,
// both ways. Regenerate the document with
// go test ./api -run TestOpenAPIGenerate -openapi.write.
func TestOpenAPI(t *testing.T) {
	var doc oaDoc
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	ops := openAPIOps(t, &doc)
	te := newTestEnv(t, false)
	routes := te.Server.Routes()
	byKey := map[string]Route{}
	for _, rt := range routes {
		byKey[rt.Method+" "+rt.Pattern] = rt
	}

	t.Run("Document", func(t *testing.T) {
		if !strings.HasPrefix(doc.OpenAPI, "3.") {
			t.Errorf("openapi %q, want 3.x", doc.OpenAPI)
		}
		if doc.Info.Title == "" || doc.Info.Version == "" {
			t.Errorf("info needs a title and a version: %+v", doc.Info)
		}
		if bs := doc.Components.SecuritySchemes["bearerAuth"]; bs.Type != "http" || bs.Scheme != "bearer" {
			t.Errorf("securitySchemes.bearerAuth is %+v, want http bearer", bs)
		}
		if len(doc.Security) != 1 || doc.Security[0]["bearerAuth"] == nil {
			t.Errorf("the global security is %v, want bearerAuth", doc.Security)
		}
		// Every $ref resolves, and operationIds are unique.
		var root any
		if err := json.Unmarshal(openAPIDocument, &root); err != nil {
			t.Fatal(err)
		}
		var walk func(v any, at string)
		walk = func(v any, at string) {
			switch v := v.(type) {
			case map[string]any:
				if r, ok := v["$ref"].(string); ok && !resolves(root, r) {
					t.Errorf("%s: $ref %s does not resolve", at, r)
				}
				for k, x := range v {
					walk(x, at+"/"+k)
				}
			case []any:
				for _, x := range v {
					walk(x, at)
				}
			}
		}
		walk(root, "#")
		ids := map[string]string{}
		for key, op := range ops {
			if op.OperationID == "" || op.Summary == "" || op.Description == "" {
				t.Errorf("%s needs an operationId, a summary and a description", key)
			}
			if other, dup := ids[op.OperationID]; dup {
				t.Errorf("operationId %s names both %s and %s", op.OperationID, other, key)
			}
			ids[op.OperationID] = key
		}
	})

	t.Run("Routes", func(t *testing.T) {
		for _, rt := range routes {
			if ops[rt.Method+" "+rt.Pattern] == nil {
				t.Errorf("route %s %s is not in openapi.json", rt.Method, rt.Pattern)
			}
		}
		for _, key := range keysOf(ops) {
			if _, ok := byKey[key]; !ok {
				t.Errorf("openapi.json describes %s, which the server does not register", key)
			}
		}
	})

	t.Run("EventBodies", func(t *testing.T) {
		want := map[string]writeRoute{}
		for _, wr := range writeRoutes {
			want["POST "+alliancePath+wr.pattern] = wr
		}
		want["POST /v1/alliances"] = writeRoute{typ: ledger.TypeAllianceFounded}
		for _, key := range keysOf(want) {
			wr := want[key]
			op := ops[key]
			if op == nil {
				continue // reported by Routes
			}
			if op.EventType != wr.typ {
				t.Errorf("%s appends %s, but its x-ledger-event-type is %q", key, wr.typ, op.EventType)
				continue
			}
			pl, err := ledger.NewPayload(wr.typ)
			if err != nil {
				t.Fatal(err)
			}
			fields := append(jsonNames(reflect.TypeOf(pl)), "occurred_at")
			if key == "POST /v1/alliances" {
				fields = append(fields, "id", "members") // see foundAlliance
			}
			slices.Sort(fields)
			s := doc.bodySchema(t, key, op)
			if s == nil {
				continue
			}
			if got := keysOf(s.Properties); !slices.Equal(got, fields) {
				t.Errorf("%s: the body's properties are %v; the %s payload has %v", key, got, wr.typ, fields)
			}
			for _, r := range s.Required {
				if s.Properties[r] == nil {
					t.Errorf("%s: required %q is not a property", key, r)
				}
				if r == "occurred_at" {
					t.Errorf("%s: occurred_at is optional", key)
				}
				for _, b := range wr.binds {
					if r == b.field {
						t.Errorf("%s: %q is filled from the path {%s}, so it cannot be required in the body", key, r, b.param)
					}
				}
			}
		}
		for _, key := range keysOf(ops) {
			if ops[key].EventType != "" && want[key].typ == "" {
				t.Errorf("%s names x-ledger-event-type %s, but does not append one event of its body", key, ops[key].EventType)
			}
		}
		// The other writes whose handlers decode a named type.
		named := map[string]reflect.Type{
			"POST " + alliancePath + "/pools/{pool}/preview":      reflect.TypeFor[payoutBody](),
			"POST " + alliancePath + "/pools/{pool}/payouts":      reflect.TypeFor[payoutBody](),
			"POST " + alliancePath + "/audit/cosignatures":        reflect.TypeFor[CosignBody](),
			"POST " + alliancePath + "/disputes/{seq}/resolution": reflect.TypeFor[ResolutionBody](),
			"POST /v1/tokens": reflect.TypeFor[TokenBody](),
		}
		for _, key := range keysOf(named) {
			op := ops[key]
			if op == nil {
				continue
			}
			if s := doc.bodySchema(t, key, op); s != nil {
				want := jsonNames(named[key])
				slices.Sort(want)
				if got := keysOf(s.Properties); !slices.Equal(got, want) {
					t.Errorf("%s: the body's properties are %v, the handler decodes %v", key, got, want)
				}
			}
		}
	})

	t.Run("PathParameters", func(t *testing.T) {
		for _, key := range keysOf(ops) {
			op := ops[key]
			_, path, _ := strings.Cut(key, " ")
			var inPath []string
			for _, m := range pathParamPattern.FindAllStringSubmatch(path, -1) {
				inPath = append(inPath, m[1])
			}
			var declared []string
			seen := map[string]bool{}
			for _, p := range op.Parameters {
				p = doc.param(t, p)
				if seen[p.In+" "+p.Name] {
					t.Errorf("%s declares %s parameter %s twice", key, p.In, p.Name)
				}
				seen[p.In+" "+p.Name] = true
				if p.Schema == nil {
					t.Errorf("%s: parameter %s has no schema", key, p.Name)
				}
				if p.In != "path" {
					continue
				}
				declared = append(declared, p.Name)
				if !p.Required {
					t.Errorf("%s: path parameter %s must be required", key, p.Name)
				}
			}
			for _, n := range inPath {
				if !slices.Contains(declared, n) {
					t.Errorf("%s: path parameter {%s} is not declared", key, n)
				}
			}
			for _, n := range declared {
				if !slices.Contains(inPath, n) {
					t.Errorf("%s declares path parameter %s, which is not in the path", key, n)
				}
			}
		}
	})

	t.Run("Served", func(t *testing.T) {
		r := te.do("GET", "/openapi.json", "", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("GET /openapi.json: %d", r.Status)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET /openapi.json: Content-Type %q, want application/json", ct)
		}
		if !bytes.Equal(r.Body, openAPIDocument) {
			t.Errorf("GET /openapi.json serves %d bytes, not the embedded document's %d", len(r.Body), len(openAPIDocument))
		}
	})

	t.Run("Security", func(t *testing.T) {
		access := map[Access]string{Public: "public", Read: "read", ReadAll: "read-all", Write: "write", Operator: "operator"}
		for _, rt := range routes {
			key := rt.Method + " " + rt.Pattern
			op := ops[key]
			if op == nil {
				continue // reported by Routes
			}
			if op.Access != access[rt.Access] {
				t.Errorf("%s: x-access %q, but the route's access is %s", key, op.Access, access[rt.Access])
			}
			if rt.Access == Public {
				if op.Security == nil || len(*op.Security) != 0 {
					t.Errorf("%s is public: it must declare security []", key)
				}
				continue
			}
			if op.Security != nil && len(*op.Security) == 0 {
				t.Errorf("%s needs a token, but declares security []", key)
			}
			for _, code := range []string{"401", "403"} {
				if op.Responses[code] == nil {
					t.Errorf("%s needs a token, but does not declare the %s response", key, code)
				}
			}
			// A write to an alliance's log takes an idempotency key.
			if appendsToLog(rt) {
				has := slices.ContainsFunc(op.Parameters, func(p *oaParam) bool {
					p = doc.param(t, p)
					return p.In == "header" && p.Name == "Idempotency-Key"
				})
				if !has {
					t.Errorf("%s appends to the log, but does not declare the Idempotency-Key header", key)
				}
			}
		}
	})
}

// resolves reports whether a local $ref points at something in root.
func resolves(root any, ref string) bool {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false
	}
	v := root
	for _, part := range strings.Split(rest, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = m[part]; !ok {
			return false
		}
	}
	return true
}
