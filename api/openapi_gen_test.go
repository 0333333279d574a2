package api

// This file regenerates openapi.json:
//
//	go test ./api -run TestOpenAPIGenerate -openapi.write
//
// The document is built from the server's registered routes (with their
// access), the writeRoutes table (the event each write appends and the path
// parameters it binds), the ledger's payload types and the handlers'
// response types by reflection, their doc comments, the ledger's enum lists,
// and the table of summaries below. TestOpenAPI (openapi_test.go) then holds
// the document to the handlers; when a route or a payload changes, add or
// edit its entry here and regenerate.

import (
	"bytes"
	"encoding"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/audit"
	"github.com/alliance-ledger/alliance/projections"
	"github.com/alliance-ledger/alliance/projections/evaluation"
	"github.com/alliance-ledger/alliance/projections/payout"
)

var writeOpenAPI = flag.Bool("openapi.write", false, "regenerate openapi.json from the routes, the handlers' types and the ledger's payloads")

// TestOpenAPIGenerate rewrites openapi.json when run with -openapi.write.
func TestOpenAPIGenerate(t *testing.T) {
	if !*writeOpenAPI {
		t.Skip("run with -openapi.write to regenerate openapi.json")
	}
	te := newTestEnv(t, false)
	b, err := generateOpenAPI(te.Server.Routes())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("openapi.json", b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// obj is a JSON object that keeps its keys in insertion order.
type obj struct {
	keys []string
	vals map[string]any
}

func newObj(kv ...any) *obj {
	o := &obj{vals: map[string]any{}}
	for i := 0; i+1 < len(kv); i += 2 {
		o.set(kv[i].(string), kv[i+1])
	}
	return o
}

func (o *obj) set(k string, v any) *obj {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
	return o
}

func (o *obj) get(k string) any { return o.vals[k] }

func (o *obj) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, err := encodeJSON(k)
		if err != nil {
			return nil, err
		}
		buf.Write(kb)
		buf.WriteByte(':')
		vb, err := encodeJSON(o.vals[k])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func ref(kind, name string) *obj { return newObj("$ref", "#/components/"+kind+"/"+name) }

// ---- schemas by reflection ----

var (
	typeTime        = reflect.TypeFor[time.Time]()
	typeRatio       = reflect.TypeFor[ledger.Ratio]()
	typeDate        = reflect.TypeFor[ledger.Date]()
	typeMoney       = reflect.TypeFor[ledger.Money]()
	typeRaw         = reflect.TypeFor[json.RawMessage]()
	typeHash        = reflect.TypeFor[tlog.Hash]()
	typeMarshaler   = reflect.TypeFor[json.Marshaler]()
	typeTextMarshal = reflect.TypeFor[encoding.TextMarshaler]()
)

const modulePath = "github.com/alliance-ledger/alliance"

// docPackages are the packages whose doc comments describe the schemas.
var docPackages = []string{"api", "ledger", "ledger/audit", "projections", "projections/payout", "projections/evaluation"}

// typeNames names components whose Go names collide.
var typeNames = map[reflect.Type]string{
	reflect.TypeFor[payout.Allocation](): "ComputedAllocation",
	reflect.TypeFor[commandBody]():       "Command",
}

// enums are the ledger's closed lists, by "package.Type.json_field".
var enums = map[string][]string{
	"ledger.AllianceFounded.type":           ledger.AllianceTypes,
	"ledger.AllianceFounded.legal_form":     ledger.LegalForms,
	"ledger.MemberAdmitted.kind":            ledger.MemberKinds,
	"ledger.MemberAdmitted.role":            ledger.MemberRoles,
	"ledger.MemberRoleChanged.role":         ledger.MemberRoles,
	"ledger.MemberDeparted.how":             ledger.DepartureKinds,
	"ledger.Agreement.ip_ownership":         ledger.IPOwnershipRules,
	"ledger.Distribution.method":            ledger.DistributionMethods,
	"ledger.Distribution.allowed":           ledger.DistributionMethods,
	"ledger.Distribution.kind_weights":      ledger.ContributionKinds,
	"ledger.Distribution.factor_weights":    ledger.Factors,
	"ledger.FactorAHP.factors":              ledger.Factors,
	"ledger.RiskRule.rule":                  ledger.RiskRules,
	"ledger.RiskRule.coefficients":          ledger.ContributionKinds,
	"ledger.Valuation.person_month_rates":   ledger.MemberKinds,
	"ledger.ProjectClosed.outcome":          ledger.ProjectOutcomes,
	"ledger.ContributionRecorded.kind":      ledger.ContributionKinds,
	"ledger.ContributionRecorded.valuation": ledger.ValuationMethods,
	"ledger.IPFiled.type":                   ledger.IPTypes,
	"ledger.IPStatusChanged.status":         ledger.IPStatuses,
	"ledger.FundingReceived.source":         ledger.FundingSources,
	"ledger.CostIncurred.category":          ledger.CostCategories,
	"ledger.PoolAssessed.method":            ledger.AssessmentMethods,
	"ledger.SchemeDimension.dimension":      ledger.EvaluationDimensions,
	"ledger.Weighting.method":               ledger.WeightingMethods,
	"ledger.Normalisation.kind":             ledger.NormalisationKinds,
	"api.payoutBody.method":                 ledger.DistributionMethods,
	"api.ResolutionBody.outcome":            ledger.DisputeOutcomes,
	"api.commandBody.type":                  ledger.EventTypes(),
	"api.TokenBody.role":                    Roles,
	"api.Principal.role":                    Roles,
	"projections.MemberFact.kind":           ledger.MemberKinds,
	"projections.MemberFact.role":           ledger.MemberRoles,
	"projections.MemberBalance.kind":        ledger.MemberKinds,
	"projections.MemberBalance.role":        ledger.MemberRoles,
	"projections.ContributionFact.kind":     ledger.ContributionKinds,
	"projections.AssetFact.type":            ledger.IPTypes,
	"projections.KindAmounts.kind":          ledger.ContributionKinds,
	"projections.ProjectRisk.rule":          ledger.RiskRules,
	"projections.KindWeight.kind":           ledger.ContributionKinds,
	"evaluation.DimensionResult.id":         ledger.EvaluationDimensions,
}

// optional lists payload fields without omitempty that a caller may leave
// out: the writer derives them.
var optional = map[string][]string{
	ledger.TypeAllianceFounded:      {"time_zone"},
	ledger.TypeAgreementSigned:      {"version"},
	ledger.TypeAgreementAmended:     {"version"},
	ledger.TypeContributionRecorded: {"value", "valuation", "counterparty"},
	ledger.TypeFundingReceived:      {"payer"},
	ledger.TypeEvaluationScheme:     {"version"},
}

// optionalNotes say what the writer derives when a caller leaves a field
// of optional out.
var optionalNotes = map[string]string{
	"time_zone":    "Optional: default Asia/Shanghai.",
	"version":      "Optional: the writer numbers the versions.",
	"value":        "Required without a quantity; with one, leave it out and the writer computes it.",
	"valuation":    "Optional: default declared (agreement-rate for person-months valued at the agreement's rate).",
	"counterparty": "Optional: default the custodian (or, when the custodian contributes, the chair or a vice-chair).",
	"payer":        "Required unless member names the paying member.",
}

const currencyPattern = "^[A-Z]{3}$"

type gen struct {
	comps *obj
	named map[reflect.Type]string
	types map[string]reflect.Type
	docs  map[string]string
	errs  []string
	// usedEnums are the keys of enums that named a field.
	usedEnums map[string]bool
}

func (g *gen) fail(format string, args ...any) { g.errs = append(g.errs, fmt.Sprintf(format, args...)) }

// typeKey is "package.Type", the key of docs and enums.
func typeKey(t reflect.Type) string {
	p, n := t.PkgPath(), t.Name()
	if i := strings.IndexByte(n, '['); i >= 0 {
		n = n[:i]
	}
	return p[strings.LastIndex(p, "/")+1:] + "." + n
}

// loadDocs reads the doc comments of the types and fields of the packages.
func (g *gen) loadDocs() error {
	g.docs = map[string]string{}
	fset := token.NewFileSet()
	for _, rel := range docPackages {
		files, err := filepath.Glob(filepath.Join("..", rel, "*.go"))
		if err != nil {
			return err
		}
		pkg := rel[strings.LastIndex(rel, "/")+1:]
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") && filepath.Base(f) != "openapi_gen_test.go" {
				continue
			}
			af, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
			if err != nil {
				return err
			}
			for _, d := range af.Decls {
				gd, ok := d.(*ast.GenDecl)
				if !ok || gd.Tok != token.TYPE {
					continue
				}
				for _, s := range gd.Specs {
					ts := s.(*ast.TypeSpec)
					doc := ts.Doc
					if doc == nil && len(gd.Specs) == 1 {
						doc = gd.Doc
					}
					key := pkg + "." + ts.Name.Name
					if doc != nil {
						g.docs[key] = commentText(doc)
					}
					st, ok := ts.Type.(*ast.StructType)
					if !ok {
						continue
					}
					for _, f := range st.Fields.List {
						c := f.Doc
						if c == nil {
							c = f.Comment
						}
						if c == nil {
							continue
						}
						for _, n := range f.Names {
							g.docs[key+"."+n.Name] = commentText(c)
						}
					}
				}
			}
		}
	}
	return nil
}

// sentence capitalises a description and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	if c := s[0]; c >= 'a' && c <= 'z' {
		s = string(c-'a'+'A') + s[1:]
	}
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, ")") && !strings.HasSuffix(s, "\"") {
		s += "."
	}
	return s
}

// commentText joins a comment's lines into paragraphs.
func commentText(c *ast.CommentGroup) string {
	paras := strings.Split(strings.TrimSpace(c.Text()), "\n\n")
	for i, p := range paras {
		paras[i] = strings.Join(strings.Fields(p), " ")
	}
	return strings.TrimSpace(strings.Join(paras, "\n\n"))
}

func (g *gen) schema(t reflect.Type) *obj {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case typeTime:
		return newObj("type", "string", "format", "date-time")
	case typeRatio:
		return g.builtin("Ratio", newObj("type", "string", "pattern", `^-?[0-9]+(\.[0-9]+)?(/[0-9]+)?$`, "maxLength", 64,
			"description", g.docs["ledger.Ratio"], "examples", []string{"0.25", "1/3", "12"}))
	case typeDate:
		return g.builtin("Date", newObj("type", "string", "format", "date", "description", "A calendar date (YYYY-MM-DD) with no time of day.", "examples", []string{"2025-03-01"}))
	case typeMoney:
		return g.builtin("Money", newObj("type", "object",
			"description", g.docs["ledger.Money"]+" Amounts are integers in the currency's minor unit (fen for CNY): 1234.56 CNY is {\"amount\": 123456, \"currency\": \"CNY\"}.",
			"required", []string{"amount", "currency"},
			"properties", newObj(
				"amount", newObj("type", "integer", "format", "int64", "description", "In minor units (fen, cents)."),
				"currency", newObj("type", "string", "pattern", currencyPattern, "description", "ISO 4217 code, e.g. CNY.")),
			"additionalProperties", false,
			"examples", []any{map[string]any{"amount": 500000000, "currency": "CNY"}}))
	case typeRaw:
		return newObj("description", "Any JSON value.")
	case typeHash:
		return g.builtin("Hash", newObj("type", "string", "format", "byte", "description", "A SHA-256 hash, base64-encoded (RFC 6962 tree hashes)."))
	}
	if t.Implements(typeMarshaler) || reflect.PointerTo(t).Implements(typeMarshaler) ||
		t.Implements(typeTextMarshal) || reflect.PointerTo(t).Implements(typeTextMarshal) {
		g.fail("%s marshals itself: give it a schema in gen.schema", t)
		return newObj()
	}
	switch t.Kind() {
	case reflect.String:
		return newObj("type", "string")
	case reflect.Bool:
		return newObj("type", "boolean")
	case reflect.Int, reflect.Int64:
		return newObj("type", "integer", "format", "int64")
	case reflect.Int8, reflect.Int16, reflect.Int32:
		return newObj("type", "integer", "format", "int32")
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return newObj("type", "integer", "minimum", 0)
	case reflect.Float32, reflect.Float64:
		return newObj("type", "number")
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return newObj("type", "string", "format", "byte")
		}
		return newObj("type", "array", "items", g.schema(t.Elem()))
	case reflect.Map:
		return newObj("type", "object", "additionalProperties", g.schema(t.Elem()))
	case reflect.Interface:
		return newObj()
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t, nil)
		}
		return ref("schemas", g.component(t, ""))
	}
	g.fail("no schema for %s", t)
	return newObj()
}

// builtin defines a hand-written component once.
func (g *gen) builtin(name string, s *obj) *obj {
	if g.comps.get(name) == nil {
		g.comps.set(name, s)
	}
	return ref("schemas", name)
}

// component defines the named struct type's component and returns its name.
func (g *gen) component(t reflect.Type, name string) string {
	if n, ok := g.named[t]; ok {
		return n
	}
	if name == "" {
		name = typeNames[t]
	}
	if name == "" {
		name = t.Name()
		if i := strings.IndexByte(name, '['); i >= 0 { // Page[pkg.T] -> TPage
			arg := strings.TrimSuffix(name[i+1:], "]")
			name = arg[strings.LastIndex(arg, ".")+1:] + name[:i]
		}
	}
	if other, ok := g.types[name]; ok && other != t {
		g.fail("component %s names both %s and %s: add one to typeNames", name, other, t)
	}
	g.named[t], g.types[name] = name, t
	g.comps.set(name, nil) // keep the position; filled below
	s := g.object(t, nil)
	if d := g.docs[typeKey(t)]; d != "" && s.get("description") == nil {
		s.set("description", d)
	}
	g.comps.set(name, s)
	return name
}

// field is one JSON property of a struct, encoding/json's way.
type field struct {
	name  string
	goF   reflect.StructField
	owner reflect.Type
	omit  bool
}

func jsonFields(t reflect.Type) []field {
	var out []field
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, jsonFields(ft)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		omit := slices.Contains(strings.Split(opts, ","), "omitempty") || slices.Contains(strings.Split(opts, ","), "omitzero")
		out = append(out, field{name: name, goF: f, owner: t, omit: omit})
	}
	return out
}

// object is a struct's schema; required, when not nil, replaces the
// fields without omitempty.
func (g *gen) object(t reflect.Type, required []string) *obj {
	props := newObj()
	var req []string
	for _, f := range jsonFields(t) {
		s := g.schema(f.goF.Type)
		key := ""
		if f.owner.Name() != "" {
			key = typeKey(f.owner) + "." + f.name
			if d := g.docs[typeKey(f.owner)+"."+f.goF.Name]; d != "" {
				s.set("description", sentence(d))
			}
		}
		if vals := enums[key]; len(vals) > 0 {
			g.usedEnums[key] = true
			switch {
			case s.get("type") == "string":
				s.set("enum", vals)
			case s.get("type") == "array":
				s.get("items").(*obj).set("enum", vals)
			case s.get("type") == "object":
				s.set("propertyNames", newObj("enum", vals))
			default:
				g.fail("enum for %s, which is not a string, list or map", key)
			}
		}
		if strings.HasSuffix(key, "currency") && s.get("type") == "string" {
			s.set("pattern", currencyPattern)
		}
		// The read side's views may leave a list or map nil, which
		// encodes as null; the ledger's payloads and the API's own
		// types do not.
		if k := f.goF.Type.Kind(); !f.omit && (k == reflect.Slice || k == reflect.Map) && f.goF.Type != typeRaw && mayBeNull(f.owner) {
			s.set("type", []string{s.get("type").(string), "null"})
		}
		props.set(f.name, s)
		if !f.omit {
			req = append(req, f.name)
		}
	}
	if required != nil {
		req = required
	}
	o := newObj("type", "object")
	if len(req) > 0 {
		o.set("required", req)
	}
	o.set("properties", props)
	return o
}

// mayBeNull reports whether a type's nil lists and maps encode as null:
// those of the read side's packages.
func mayBeNull(t reflect.Type) bool {
	p := t.PkgPath()
	return p != modulePath+"/ledger" && p != modulePath+"/api"
}

// ---- operations ----

// opMeta describes an operation beyond what the route table says.
type opMeta struct {
	id, tag, summary, desc string
	// query names components/parameters, or is an inline *obj.
	query []any
	// resp is a value of the 200 (or 201) body's type; respName names
	// the component of an anonymous type; respFn overrides both.
	resp     any
	respName string
	respFn   func(g *gen) *obj
	// body is a value of a non-event write's body type.
	body     any
	bodyName string
	// who refines who may call it; whoOnly replaces the access's text.
	who     string
	whoOnly bool
	// appends lists the events a non-event write appends.
	appends []string
	// retry describes a 200 answer to a repeated create; conflict
	// declares 409 on a route that does not append to the log.
	retry    string
	conflict bool
}

var (
	pointInTime = []any{"AsOfSeq", "AsOfTime", "MinSeq"}
	periodQ     = []any{"Period", "From", "To"}
	paging      = []any{"Limit", "Cursor"}
)

func cat(lists ...[]any) []any {
	var out []any
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func queryParam(name, desc string, schema *obj, required bool) *obj {
	p := newObj("name", name, "in", "query", "description", desc)
	if required {
		p.set("required", true)
	}
	return p.set("schema", schema)
}

const tokenManagers = "A secretariat token: one for every alliance manages every token; an alliance's secretariat manages the tokens of its alliance."

// commandBody is one command of a batch.
type commandBody struct {
	// The event type.
	Type string `json:"type"`
	// When the fact happened (RFC 3339); default: when it is recorded.
	OccurredAt time.Time `json:"occurred_at,omitzero"`
	// The event's payload: the fields of the body of the type's own route
	// (the schema named after the payload type, with Body), without
	// occurred_at.
	Payload struct{} `json:"payload"`
}

// eventsPage is the body of GET /events.
type eventsPage struct {
	// The events exactly as stored: each one's canonical bytes.
	Items []ledger.Event `json:"items"`
	// When set, the after= of the next page.
	NextAfter uint64 `json:"next_after,omitempty"`
}

var genDocs = map[string]string{
	"api.payoutBody":                    "The body of a payout preview or commit; every field is optional.",
	"ledger.EntryCorrected.Replacement": "The corrected entry's whole payload, of the entry's own type (the fields of that type's body, without occurred_at).",
	"api.payoutBody.Method":             "One of the methods the agreement in force allows; default: the agreement's own method.",
	"api.payoutBody.AsOfSeq":            "The position the allocation is computed as of; default: the latest.",
	"api.payoutBody.Seed":               "Seed of Shapley sampling beyond the exact limit; default: derived from the pool and its assessment.",
	"api.payoutBody.Samples":            "Samples of Shapley sampling beyond the exact limit; default: the sharing package's default.",
}

var opMetas = map[string]opMeta{
	"GET /healthz": {id: "getHealth", tag: "operations", summary: "Health check",
		desc: "Reports whether the ledger's NATS answers: 200 {\"status\": \"ok\"}, or 503 problem+json.",
		respFn: func(*gen) *obj {
			return jsonContent(newObj("type", "object", "properties", newObj("status", newObj("type", "string", "enum", []string{"ok"}))))
		}},
	"GET /metrics": {id: "getMetrics", tag: "operations", summary: "Prometheus metrics",
		desc:   "The server's metrics in the Prometheus text exposition format: HTTP request durations by route, append latency, commit and projection positions.",
		respFn: func(*gen) *obj { return newObj("text/plain", newObj("schema", newObj("type", "string"))) }},
	"GET /openapi.json": {id: "getOpenAPI", tag: "operations", summary: "This document",
		desc:   "The OpenAPI document describing every route of the API.",
		respFn: func(*gen) *obj { return jsonContent(newObj("type", "object")) }},

	"GET /v1/tokens": {id: "listTokens", tag: "tokens", summary: "List tokens",
		desc: "The tokens the caller manages, revoked ones included, oldest first. Secrets are never shown again.",
		who:  tokenManagers, whoOnly: true, resp: Page[Principal]{}},
	"POST /v1/tokens": {id: "createToken", tag: "tokens", summary: "Create a token",
		desc: "Creates a token for a principal; the answer carries its secret (token), shown this once.",
		who:  tokenManagers, whoOnly: true, body: TokenBody{}, bodyName: "TokenRequest", resp: CreatedToken{}},
	"DELETE /v1/tokens/{id}": {id: "revokeToken", tag: "tokens", summary: "Revoke a token",
		desc: "Revokes the token at once, everywhere; revoking twice is not an error. Answers with the revoked token's principal.",
		who:  tokenManagers, whoOnly: true, resp: Principal{}},

	"GET /v1/alliances": {id: "listAlliances", tag: "alliances", summary: "List the alliances the token can see",
		desc: "The alliances on the ledger the token can see (one for an alliance token, all for a token for every alliance), sorted by id.",
		who:  "Any token; each sees the alliances it is for.", whoOnly: true,
		query: paging, resp: Page[AllianceSummary]{}},
	"POST /v1/alliances": {id: "foundAlliance", tag: "alliances", summary: "Found an alliance",
		desc: "Starts a new alliance's log with alliance.founded and admits its first members (the custodian at least) in the same request. The body is the alliance.founded payload plus the new alliance's \"id\" (1-63 lowercase letters, digits, '_' or '-') and \"members\" (member.admitted payloads).",
		who:  "A secretariat token for the new alliance's id, or for every alliance.", appends: []string{ledger.TypeAllianceFounded, ledger.TypeMemberAdmitted}},
	"GET /v1/alliances/{alliance}": {id: "getAlliance", tag: "alliances", summary: "The alliance at a glance",
		desc:  "How many members, projects, IP assets, pools and disputes the alliance has as of a position, its founding facts and agreement version; event_types counts the events by type (as of the latest position only).",
		query: pointInTime, resp: Overview{}},
	"POST /v1/alliances/{alliance}/commands": {id: "appendCommands", tag: "alliances", summary: "Append several commands atomically",
		desc: "Appends the commands as one request: all of them or none. Each command is {type, occurred_at, payload}; each is authorised as if sent to its own route.",
		body: struct {
			Commands []commandBody `json:"commands"`
		}{}, bodyName: "CommandBatch",
		who: "Each command is authorised for the caller as on its own route: the secretariat appends anything; a member appends " + strings.Join(memberWritable, ", ") + " on its own behalf; an evaluator appends evaluation.rated; an auditor appends nothing."},

	"GET /v1/alliances/{alliance}/members": {id: "listMembers", tag: "members", summary: "List members",
		desc: "Every member admitted as of the position, departed ones included (active false).", query: cat(pointInTime, paging), resp: Page[projections.MemberFact]{}},
	"GET /v1/alliances/{alliance}/members/{member}/statement": {id: "getMemberStatement", tag: "members", summary: "A member's statement",
		desc: "The member's balance (by project and in total) and the contributions behind it, as of a position and for a business period.",
		who:  "A member reads only its own statement.", query: cat(pointInTime, periodQ), resp: Statement{}},
	"POST /v1/alliances/{alliance}/members":                    {id: "admitMember", tag: "members", summary: "Admit a member"},
	"POST /v1/alliances/{alliance}/members/{member}/role":      {id: "changeMemberRole", tag: "members", summary: "Change a member's role"},
	"POST /v1/alliances/{alliance}/members/{member}/departure": {id: "recordMemberDeparture", tag: "members", summary: "Record a member's departure"},

	"GET /v1/alliances/{alliance}/agreement": {id: "getAgreement", tag: "agreement", summary: "The agreement in force",
		desc: "The version of the alliance agreement in force at the position, and the position it was recorded at (since).", query: pointInTime, resp: AgreementView{}},
	"POST /v1/alliances/{alliance}/agreements":            {id: "signAgreement", tag: "agreement", summary: "Sign the alliance agreement"},
	"POST /v1/alliances/{alliance}/agreements/amendments": {id: "amendAgreement", tag: "agreement", summary: "Amend the agreement"},

	"GET /v1/alliances/{alliance}/projects": {id: "listProjects", tag: "projects", summary: "List projects",
		desc:  "Every project opened as of the position, with its participants and, once closed, when.",
		query: cat(pointInTime, paging), resp: Page[projections.ProjectFact]{}},
	"POST /v1/alliances/{alliance}/projects":                        {id: "openProject", tag: "projects", summary: "Open a joint project"},
	"POST /v1/alliances/{alliance}/projects/{project}/participants": {id: "changeProjectParticipants", tag: "projects", summary: "Replace a project's participants and budgets"},
	"POST /v1/alliances/{alliance}/projects/{project}/closure":      {id: "closeProject", tag: "projects", summary: "Close a project"},

	"GET /v1/alliances/{alliance}/contributions": {id: "listContributions", tag: "contributions", summary: "List contributions",
		desc: "Contributions recorded as of the position, with their status (recorded, confirmed, contested, reversed) and valuation.",
		who:  "A member sees its own contributions only (member= defaults to it; another member is 403).",
		query: cat(pointInTime, paging, []any{
			queryParam("project", "Only the contributions to this project.", newObj("type", "string"), false),
			queryParam("member", "Only this member's contributions.", newObj("type", "string"), false)}),
		resp: Page[projections.ContributionFact]{}},
	"POST /v1/alliances/{alliance}/contributions":                    {id: "recordContribution", tag: "contributions", summary: "Record a contribution"},
	"POST /v1/alliances/{alliance}/contributions/{seq}/confirmation": {id: "confirmContribution", tag: "contributions", summary: "Confirm a contribution"},
	"POST /v1/alliances/{alliance}/contributions/{seq}/contest":      {id: "contestContribution", tag: "contributions", summary: "Contest a contribution"},

	"GET /v1/alliances/{alliance}/ip": {id: "listIPAssets", tag: "ip", summary: "List IP assets and innovation outputs",
		desc:  "Every asset filed as of the position, with its owners' shares and its status then.",
		query: cat(pointInTime, paging), resp: Page[projections.AssetFact]{}},
	"POST /v1/alliances/{alliance}/ip":                         {id: "fileIPAsset", tag: "ip", summary: "File an IP asset or innovation output"},
	"POST /v1/alliances/{alliance}/ip/{asset}/status":          {id: "changeIPStatus", tag: "ip", summary: "Change an IP asset's status"},
	"POST /v1/alliances/{alliance}/ip/{asset}/licence-revenue": {id: "recordLicenceRevenue", tag: "ip", summary: "Record licence revenue of an asset"},

	"POST /v1/alliances/{alliance}/funding": {id: "recordFunding", tag: "money", summary: "Record funding received"},
	"POST /v1/alliances/{alliance}/costs":   {id: "recordCost", tag: "money", summary: "Record a project cost"},
	"POST /v1/alliances/{alliance}/losses":  {id: "recordLoss", tag: "money", summary: "Record a realised loss"},
	"GET /v1/alliances/{alliance}/balances": {id: "getBalances", tag: "money", summary: "Member balances",
		desc: "Each member's contributions (confirmed, unconfirmed, contested, by kind), funding paid, costs borne, payouts received and losses borne, by project and in total, plus the alliance's common funds.",
		who:  "A member sees the totals and its own row only.",
		query: cat(pointInTime, periodQ, []any{queryParam("member", "Only this member's row.", newObj("type", "string"), false),
			queryParam("detail", "totals (the default): each member's totals; projects: a row per member, project and currency as well.",
				newObj("type", "string", "enum", []any{"totals", "projects"}), false)}),
		respFn: func(g *gen) *obj {
			return jsonContent(newObj("oneOf", []any{g.schema(reflect.TypeFor[BalancesSummary]()), g.schema(reflect.TypeFor[projections.Balances]())}))
		}},
	"GET /v1/alliances/{alliance}/risk": {id: "getRisk", tag: "money", summary: "Risk shares",
		desc:  "Each project's at-risk investment and how its losses are shared under the agreement's risk rule.",
		query: cat(pointInTime, periodQ, []any{queryParam("project", "Only this project (404 if there is none).", newObj("type", "string"), false)}),
		resp:  projections.Risk{}},
	"GET /v1/alliances/{alliance}/outputs": {id: "getOutputs", tag: "ip", summary: "Innovation outputs",
		desc:  "IP assets and innovation outputs counted by member (weighted by ownership share), project, type, status and year, with licence revenue.",
		query: cat(pointInTime, periodQ), resp: projections.Outputs{}},

	"GET /v1/alliances/{alliance}/pools": {id: "listPools", tag: "pools", summary: "List benefit pools",
		desc:  "Every pool declared as of the position, with its assessment and payouts.",
		query: cat(pointInTime, paging), resp: Page[*projections.PoolFact]{}},
	"GET /v1/alliances/{alliance}/pools/{pool}": {id: "getPool", tag: "pools", summary: "A benefit pool",
		desc: "The pool with its assessment and payouts.", query: pointInTime, resp: projections.PoolFact{}},
	"POST /v1/alliances/{alliance}/pools":                    {id: "declarePool", tag: "pools", summary: "Declare a benefit pool"},
	"POST /v1/alliances/{alliance}/pools/{pool}/assessments": {id: "assessPool", tag: "pools", summary: "Record a pool's coalition values"},
	"POST /v1/alliances/{alliance}/pools/{pool}/preview": {id: "previewPayout", tag: "pools", summary: "Preview a pool's allocation",
		desc: "Computes how the pool would be shared, as of a position, with every input and each member's explanation. Nothing is appended.",
		body: payoutBody{}, bodyName: "PayoutRequest", resp: payout.Allocation{}},
	"POST /v1/alliances/{alliance}/pools/{pool}/payouts": {id: "commitPayout", tag: "pools", summary: "Commit a pool's payout",
		desc: "Computes the allocation as the preview does and appends it as payout.committed with every input. A pool is paid out once: committing it again answers 200 with the original receipt when the computation is the same (a retry), and 409 otherwise (reverse the payout first). Without as_of_seq, a retry computes as of the committed payout's position.",
		body: payoutBody{}, bodyName: "PayoutRequest",
		resp: struct {
			*payout.Allocation
			Committed ledger.Receipt `json:"committed"`
		}{}, respName: "CommittedPayout",
		who: "The alliance's secretariat.", appends: []string{ledger.TypePayoutCommitted}},
	"GET /v1/alliances/{alliance}/payouts/{seq}": {id: "getPayout", tag: "pools", summary: "A committed payout",
		desc:  "The payout (or payout adjustment) at seq as of the position, its reversal and settlement included, with its pool.",
		query: pointInTime, resp: PayoutView{}},
	"GET /v1/alliances/{alliance}/payouts/{seq}/explanation": {id: "explainPayout", tag: "pools", summary: "Recompute and explain a payout",
		desc:  "Recomputes the committed payout from the log and compares it with what was committed; in_force gives each member's amount after adjustments as of the position.",
		query: pointInTime, resp: Explanation{}},
	"POST /v1/alliances/{alliance}/payouts/{seq}/settlement": {id: "settlePayout", tag: "pools", summary: "Record that a payout was paid"},

	"GET /v1/alliances/{alliance}/disputes": {id: "listDisputes", tag: "disputes", summary: "List disputes",
		desc:  "Every dispute raised as of the position, with its resolution if any.",
		query: cat(pointInTime, paging), resp: Page[projections.DisputeFact]{}},
	"GET /v1/alliances/{alliance}/disputes/{seq}": {id: "getDispute", tag: "disputes", summary: "A dispute and its examination",
		desc:  "The dispute with the ledger's examination of its claim: the payout recomputed, the claimant's figures, or the contribution then and now.",
		query: pointInTime, resp: DisputeView{}},
	"POST /v1/alliances/{alliance}/disputes": {id: "raiseDispute", tag: "disputes", summary: "Raise a dispute"},
	"POST /v1/alliances/{alliance}/disputes/{seq}/resolution": {id: "resolveDispute", tag: "disputes", summary: "Resolve a dispute",
		desc: "Appends dispute.resolved; with \"adjust\": true, the disputed payout is recomputed as of as_of_seq and the payout.adjusted is appended with the resolution, in one request. Without an Idempotency-Key, the key defaults to the dispute, so a dispute is resolved once.",
		body: ResolutionBody{}, bodyName: "DisputeResolution",
		who: "The alliance's secretariat.", appends: []string{ledger.TypePayoutAdjusted, ledger.TypeDisputeResolved}},

	"POST /v1/alliances/{alliance}/entries/{seq}/reversal":   {id: "reverseEntry", tag: "corrections", summary: "Reverse an entry"},
	"POST /v1/alliances/{alliance}/entries/{seq}/correction": {id: "correctEntry", tag: "corrections", summary: "Correct an entry"},

	"GET /v1/alliances/{alliance}/evaluation": {id: "getEvaluation", tag: "evaluation", summary: "Evaluation report",
		desc: "Evaluates the alliance (or, with member=, one member) over a period by its evaluation scheme: indicators, weights, fuzzy memberships, score and band. The period is required: period=2025 (a year, 2025-Q3, 2025-07) or from and to.",
		who:  "A member may evaluate only itself with member=.",
		query: cat(pointInTime, periodQ, []any{
			queryParam("member", "Evaluate this member instead of the alliance.", newObj("type", "string"), false),
			queryParam("scheme", "The evaluation scheme's id; default: the alliance's scheme.", newObj("type", "string"), false)}),
		resp: evaluation.Report{}},
	"POST /v1/alliances/{alliance}/evaluation/schemes": {id: "adoptEvaluationScheme", tag: "evaluation", summary: "Adopt an evaluation scheme"},
	"POST /v1/alliances/{alliance}/evaluation/ratings": {id: "rateIndicator", tag: "evaluation", summary: "Record an expert rating"},

	"GET /v1/alliances/{alliance}/events": {id: "listEvents", tag: "log", summary: "Read the log",
		desc:  "The log itself: each event's exact stored bytes, from position after+1, limit at a time. Page on with after=next_after.",
		query: []any{"Limit", queryParam("after", "Start after this position (default 0: from the first event).", newObj("type", "integer", "minimum", 0), false)},
		resp:  eventsPage{}, respName: "EventPage"},
	"GET /v1/alliances/{alliance}/quarantine": {id: "getQuarantine", tag: "log", summary: "What the read side stepped over",
		desc: "Positions whose event did not decode, validate or fit, and stream messages that are not commits of the log.",
		resp: projections.Quarantine{}},
	"GET /v1/alliances/{alliance}/audit/checkpoints": {id: "listCheckpoints", tag: "audit", summary: "Signed checkpoints",
		desc: "Every signed checkpoint of the alliance's log (a signed note of the Merkle tree's size and root), oldest first, with the ledger's verifier key.",
		resp: struct {
			VerifierKey string           `json:"verifier_key,omitempty"`
			Items       []CheckpointView `json:"items"`
		}{}, respName: "CheckpointList"},
	"POST /v1/alliances/{alliance}/audit/cosignatures": {id: "cosignCheckpoint", tag: "audit", summary: "Co-sign a checkpoint",
		desc: "Stores a member's co-signature of a checkpoint the ledger signed and stored, made on the member's own machine with its own key (named member/{alliance}/{member}). Sending the same co-signature again answers 200 with the stored record; a member co-signs ever larger trees, so an older tree than one it co-signed is 409. This does not append to the log, and takes no Idempotency-Key.",
		who:  "A member token of the alliance, with the member's own key.", body: CosignBody{}, resp: audit.CosignatureRecord{},
		retry: "The member already co-signed this checkpoint with this key: the stored record.", conflict: true},
	"GET /v1/alliances/{alliance}/audit/checkpoints/latest": {id: "getLatestCheckpoint", tag: "audit", summary: "The latest signed checkpoint",
		desc: "404 when none is signed yet.", resp: CheckpointView{}},
	"GET /v1/alliances/{alliance}/audit/cosignatures": {id: "listCosignatures", tag: "audit", summary: "Checkpoint cosignatures",
		desc: "Members' cosignatures of checkpoints, oldest first.",
		resp: struct {
			Items []audit.CosignatureRecord `json:"items"`
		}{}, respName: "CosignatureList"},
	"GET /v1/alliances/{alliance}/audit/proofs/inclusion": {id: "proveInclusion", tag: "audit", summary: "Inclusion proof of an event",
		desc: "An RFC 6962 proof that the event at seq is in the tree of the given size, with the event's bytes (event) to hash.",
		query: []any{
			queryParam("seq", "The event's position.", newObj("type", "integer", "minimum", 1), true),
			queryParam("size", "The tree size (a checkpoint's size); default: the latest checkpoint's.", newObj("type", "integer", "minimum", 1), false)},
		resp: struct {
			audit.InclusionProof
			Event string `json:"event"`
		}{}, respName: "InclusionProof"},
	"GET /v1/alliances/{alliance}/audit/proofs/consistency": {id: "proveConsistency", tag: "audit", summary: "Consistency proof between two tree sizes",
		desc: "An RFC 6962 proof that the tree of size from is a prefix of the tree of size to: the log was only appended to. Here from and to are tree sizes, not dates.",
		query: []any{
			queryParam("from", "The older tree size.", newObj("type", "integer", "minimum", 1), true),
			queryParam("to", "The newer tree size; default: the latest checkpoint's.", newObj("type", "integer", "minimum", 1), false)},
		resp: audit.ConsistencyProof{}},

	"GET /v1/alliances/{alliance}/exports/{view}": {id: "exportView", tag: "exports", summary: "Download a view or the log",
		desc: "log: every event as JSON lines (application/x-ndjson), up to as_of_seq. balances, risk, outputs, payouts, statement: CSV (one table: the first, or table=NAME) or XLSX (every table), as of a position and for a period.",
		who:  "The log is for the secretariat, auditors and evaluators; a member exports the other views (balances with its own row only) and its own statement.",
		query: cat(pointInTime, periodQ, []any{
			queryParam("format", "csv (default) or xlsx; jsonl for the log.", newObj("type", "string", "enum", []string{"csv", "xlsx", "jsonl"}), false),
			queryParam("table", "The CSV's table (default: the first).", newObj("type", "string"), false),
			queryParam("member", "The statement's member (a member token defaults to its own).", newObj("type", "string"), false)}),
		respFn: func(*gen) *obj {
			return newObj(
				"text/csv", newObj("schema", newObj("type", "string")),
				"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", newObj("schema", newObj("type", "string", "format", "binary")),
				"application/x-ndjson", newObj("schema", newObj("type", "string")))
		}},
}

func jsonContent(schema *obj) *obj {
	return newObj("application/json", newObj("schema", schema))
}

// pathParams are the path parameters' descriptions and schemas.
func pathParam(name, pattern string) *obj {
	p := newObj("name", name, "in", "path", "required", true)
	idSchema := newObj("type", "string", "pattern", `^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$`)
	switch name {
	case "alliance":
		return ref("parameters", "Alliance")
	case "member":
		p.set("description", "The member's id.").set("schema", idSchema)
	case "project":
		p.set("description", "The project's id.").set("schema", idSchema)
	case "asset":
		p.set("description", "The IP asset's id.").set("schema", idSchema)
	case "pool":
		p.set("description", "The pool's id.").set("schema", idSchema)
	case "id":
		p.set("description", "The token's id, as the token list shows it.").set("schema", newObj("type", "string", "pattern", "^tok-[0-9a-f]{12}$"))
	case "view":
		p.set("description", "What to export.").set("schema", newObj("type", "string", "enum", exportViews))
	case "seq":
		what := "The log position of the event"
		switch {
		case strings.Contains(pattern, "/contributions/"):
			what = "The log position of the contribution.recorded"
		case strings.Contains(pattern, "/payouts/"):
			what = "The log position of the payout.committed"
		case strings.Contains(pattern, "/disputes/"):
			what = "The log position of the dispute.raised"
		case strings.Contains(pattern, "/entries/"):
			what = "The log position of the entry (a money fact: contribution, funding, cost, loss, licence revenue, payout)"
		}
		p.set("description", what+".").set("schema", newObj("type", "integer", "minimum", 1))
	default:
		p.set("schema", newObj("type", "string"))
	}
	return p
}

var pathParamRE = regexp.MustCompile(`\{([^}]+)\}`)

// whoMayAppend says who may append an event of type typ, asking authorize.
func whoMayAppend(typ string) string {
	var who []string
	for _, role := range Roles {
		p := &Principal{Role: role, Member: "\x00"}
		pl, _ := ledger.NewPayload(typ)
		prob := authorize(p, ledger.Command{Type: typ, Payload: pl})
		switch {
		case prob == nil && role == RoleSecretariat:
			who = append(who, "the alliance's secretariat")
		case prob == nil:
			who = append(who, "an evaluator")
		case role == RoleMember && strings.HasPrefix(prob.Field, "payload."):
			f := strings.TrimPrefix(prob.Field, "payload.")
			if f == "owners" {
				who = append(who, "a member, for an asset it co-owns (among owners)")
			} else {
				who = append(who, fmt.Sprintf("a member, on its own behalf (%s must be the token's member)", f))
			}
		}
	}
	return sentence(strings.Join(who, "; "))
}

func accessText(a Access) string {
	switch a {
	case Public:
		return "Anyone; no token."
	case Read:
		return "Any token that can see the alliance: its secretariat, auditors, evaluators and members (and tokens for every alliance)."
	case ReadAll:
		return "The alliance's secretariat, auditors and evaluators (and tokens for every alliance); not members."
	case Write:
		return "Decided per event: see below."
	case Operator:
		return "A secretariat token for every alliance (alliance \"*\")."
	}
	return ""
}

func generateOpenAPI(routes []Route) ([]byte, error) {
	g := &gen{comps: newObj(), named: map[reflect.Type]string{}, types: map[string]reflect.Type{}, usedEnums: map[string]bool{}}
	if err := g.loadDocs(); err != nil {
		return nil, err
	}
	for k, v := range genDocs {
		g.docs[k] = v
	}
	writes := map[string]writeRoute{}
	for _, wr := range writeRoutes {
		writes[alliancePath+wr.pattern] = wr
	}
	problem := g.component(reflect.TypeFor[Problem](), "")
	receipt := g.component(reflect.TypeFor[ledger.Receipt](), "Receipt")

	paths := newObj()
	tags := []string{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Pattern
		m, ok := opMetas[key]
		if !ok {
			g.fail("no opMetas entry for %s: add one", key)
			continue
		}
		if !slices.Contains(tags, m.tag) {
			tags = append(tags, m.tag)
		}
		op := newObj("tags", []string{m.tag}, "operationId", m.id, "summary", m.summary)
		wr, isEvent := writes[rt.Pattern]
		isEvent = isEvent && rt.Method == "POST"
		founding := rt.Method == "POST" && rt.Pattern == "/v1/alliances"
		evType := ""
		switch {
		case isEvent:
			evType = wr.typ
		case founding:
			evType = ledger.TypeAllianceFounded
		}
		desc := m.desc
		who := accessText(rt.Access)
		if evType != "" {
			pt, err := ledger.NewPayload(evType)
			if err != nil {
				return nil, err
			}
			if desc == "" {
				desc = g.docs[typeKey(reflect.TypeOf(pt).Elem())]
				desc += fmt.Sprintf("\n\nAppends one %s event. The body is its payload, plus an optional occurred_at (RFC 3339; default: when it is recorded).", evType)
				for _, b := range wr.binds {
					desc += fmt.Sprintf(" The path parameter %s fills the payload's %s.", b.param, b.field)
				}
			}
			if !founding {
				who = whoMayAppend(evType)
			}
		}
		if (rt.Access == Write || m.whoOnly) && m.who != "" {
			who = m.who
		} else if m.who != "" {
			who += " " + m.who
		}
		op.set("description", strings.TrimSpace(desc)+"\n\n**Who may call:** "+who)
		op.set("x-access", strings.ToLower(map[Access]string{Public: "public", Read: "read", ReadAll: "read-all", Write: "write", Operator: "operator"}[rt.Access]))
		if rt.Access == Public {
			op.set("security", []any{})
		}

		var params []any
		for _, sm := range pathParamRE.FindAllStringSubmatch(rt.Pattern, -1) {
			params = append(params, pathParam(sm[1], rt.Pattern))
		}
		for _, q := range m.query {
			switch q := q.(type) {
			case string:
				params = append(params, ref("parameters", q))
			case *obj:
				params = append(params, q)
			}
		}
		// isWrite: the route appends to an alliance's log.
		isWrite := appendsToLog(rt)
		if isWrite {
			params = append(params, ref("parameters", "IdempotencyKey"))
		}
		if len(params) > 0 {
			op.set("parameters", params)
		}

		// Request body.
		switch {
		case evType != "":
			name := g.payloadBody(evType, wr.binds, founding)
			op.set("requestBody", newObj("required", true, "content", jsonContent(ref("schemas", name))))
		case m.body != nil:
			name := g.component(reflect.TypeOf(m.body), m.bodyName)
			op.set("requestBody", newObj("required", m.bodyName != "PayoutRequest", "content", jsonContent(ref("schemas", name))))
		}

		// Responses.
		resps := newObj()
		if isWrite {
			var body *obj
			if m.resp != nil {
				body = g.respSchema(m)
			} else {
				body = ref("schemas", receipt)
			}
			resps.set("200", newObj("description", "A retry: the idempotency key was used before with the same body, and this is the original receipt (duplicate true).", "content", jsonContent(body)))
			resps.set("201", newObj("description", "Appended.", "content", jsonContent(body)))
		} else {
			var content *obj
			if m.respFn != nil {
				content = m.respFn(g)
			} else if m.resp != nil {
				content = jsonContent(g.respSchema(m))
			}
			code, d := "200", "OK."
			if rt.Method == "POST" && rt.Access == Write {
				code, d = "201", "Created."
			}
			if m.retry != "" {
				resps.set("200", newObj("description", m.retry, "content", content))
			}
			r := newObj("description", d)
			if content != nil {
				r.set("content", content)
			}
			resps.set(code, r)
		}
		if rt.Access != Public {
			resps.set("400", ref("responses", "BadRequest"))
			resps.set("401", ref("responses", "Unauthorized"))
			resps.set("403", ref("responses", "Forbidden"))
			if strings.Contains(rt.Pattern, "{") {
				resps.set("404", ref("responses", "NotFound"))
			}
		}
		if isWrite || m.conflict {
			resps.set("409", ref("responses", "Conflict"))
		}
		if rt.Method == "POST" {
			resps.set("413", ref("responses", "PayloadTooLarge"))
		}
		if strings.HasPrefix(rt.Pattern, "/v1/alliances") || rt.Pattern == "/healthz" {
			resps.set("503", ref("responses", "Unavailable"))
		}
		op.set("responses", resps)

		if evType != "" {
			op.set("x-ledger-event-type", evType)
		}
		if len(m.appends) > 0 {
			op.set("x-ledger-appends", m.appends)
		} else if evType != "" {
			op.set("x-ledger-appends", []string{evType})
		}

		pi, _ := paths.get(rt.Pattern).(*obj)
		if pi == nil {
			pi = newObj()
			paths.set(rt.Pattern, pi)
		}
		pi.set(strings.ToLower(rt.Method), op)
	}
	// Paths sorted, methods in a fixed order.
	sorted := newObj()
	keys := slices.Clone(paths.keys)
	slices.Sort(keys)
	for _, k := range keys {
		pi := paths.get(k).(*obj)
		out := newObj()
		for _, m := range []string{"get", "put", "post", "patch", "delete"} {
			if v := pi.get(m); v != nil {
				out.set(m, v)
			}
		}
		sorted.set(k, out)
	}

	problemResp := func(desc string) *obj {
		return newObj("description", desc, "content", newObj("application/problem+json", newObj("schema", ref("schemas", problem))))
	}
	params := newObj(
		"Alliance", newObj("name", "alliance", "in", "path", "required", true, "description", "The alliance's id.",
			"schema", newObj("type", "string", "pattern", "^[a-z0-9][a-z0-9_-]{0,62}$")),
		"AsOfSeq", queryParam("as_of_seq", "Answer as of this log position (default: the latest).", newObj("type", "integer", "minimum", 0), false),
		"AsOfTime", queryParam("as_of_time", "Answer as of the last event recorded at or before this time: RFC 3339, or a date (YYYY-MM-DD, the end of that day) in the alliance's time zone. Not with as_of_seq.", newObj("type", "string"), false),
		"MinSeq", queryParam("min_seq", "Wait (up to 10 s) until the projections have folded this position: pass a write's last_seq to read your own write.", newObj("type", "integer", "minimum", 0), false),
		"Period", queryParam("period", "The business period counted: a year (2025), a quarter (2025-Q3) or a month (2025-07), in the alliance's time zone. Not with from/to.", newObj("type", "string", "pattern", `^[0-9]{4}(-[Qq][1-4]|-[0-9]{2})?$`), false),
		"From", queryParam("from", "Count entries that occurred at or after this date or RFC 3339 time.", newObj("type", "string"), false),
		"To", queryParam("to", "Count entries that occurred before this RFC 3339 time, or up to the end of this date.", newObj("type", "string"), false),
		"Limit", queryParam("limit", "Items per page.", newObj("type", "integer", "minimum", 1, "maximum", maxLimit, "default", defaultLimit), false),
		"Cursor", queryParam("cursor", "next_cursor of the previous page: the next page of the same list as of the same position.", newObj("type", "string"), false),
		"IdempotencyKey", newObj("name", "Idempotency-Key", "in", "header", "description",
			"Makes a retry safe, forever: a request with a key the same token used before returns the original receipt (200, duplicate true) if the body is the same, and 409 if it is not. Keys are the caller's own: two tokens never collide.",
			"schema", newObj("type", "string", "maxLength", 150)),
	)
	responses := newObj(
		"BadRequest", problemResp("The request is invalid: field and rule say what is wrong."),
		"Unauthorized", problemResp("No valid token. Send Authorization: Bearer alt_...").set("headers", newObj("WWW-Authenticate", newObj("schema", newObj("type", "string")))),
		"Forbidden", problemResp("The token may not do this: another alliance's, or a role that may not."),
		"NotFound", problemResp("No such alliance, or no such thing in it."),
		"Conflict", problemResp("The command conflicts with the log (already done, or an idempotency key reused with another body)."),
		"PayloadTooLarge", problemResp("The body is over the server's limit (1 MiB by default)."),
		"Unavailable", problemResp("Not ready: the ledger's NATS does not answer, the projections did not catch up in time (retry), or no signing key."),
	)
	// Components sorted by name.
	schemas := newObj()
	ckeys := slices.Clone(g.comps.keys)
	slices.Sort(ckeys)
	for _, k := range ckeys {
		schemas.set(k, g.comps.get(k))
	}

	tagObjs := []any{}
	tagOrder := []string{"alliances", "members", "agreement", "projects", "contributions", "ip", "money", "pools", "disputes",
		"corrections", "evaluation", "log", "audit", "exports", "tokens", "operations"}
	tagDescs := map[string]string{
		"operations": "Health, metrics and this document.", "alliances": "Alliances and atomic batches of commands.",
		"members": "Member units and their statements.", "agreement": "The alliance agreement (联盟协议).",
		"projects": "Joint projects (联合攻关项目).", "contributions": "Contributions of cash and in kind, confirmed by a counterparty.",
		"ip": "IP assets and innovation outputs.", "money": "Funding, costs, losses, balances and risk shares.",
		"pools": "Benefit pools (收益池), their allocation and payouts.", "disputes": "Disputes (争议) and their resolution.",
		"corrections": "Reversals and corrections of money facts: nothing is deleted.", "evaluation": "Performance evaluation (绩效评价).",
		"log": "The log itself.", "tokens": "Bearer tokens and their principals.", "audit": "Signed checkpoints and Merkle proofs.", "exports": "CSV, XLSX and JSON-lines downloads.",
	}
	for _, tg := range tags {
		if !slices.Contains(tagOrder, tg) || tagDescs[tg] == "" {
			g.fail("tag %q: add it to tagOrder and tagDescs", tg)
		}
	}
	for _, tg := range tagOrder {
		if slices.Contains(tags, tg) {
			tagObjs = append(tagObjs, newObj("name", tg, "description", tagDescs[tg]))
		}
	}

	doc := newObj(
		"openapi", "3.1.0",
		"info", newObj("title", "Alliance ledger API", "version", "1.0.0",
			"description", "The collaboration ledger of an industrial technology innovation alliance: an append-only log of events (members, agreement, projects, contributions, IP, funding, pools and payouts, disputes, evaluation) and views computed from it as of any position.\n\n"+
				"Writes append events: each POST under /v1/alliances/{alliance} that names an x-ledger-event-type appends one event of that type; its body is the event's payload plus an optional occurred_at. A write answers 201 with a receipt (the positions first_seq..last_seq), or 200 with the original receipt for a retry with the same Idempotency-Key. Reads answer from projections as of the latest position, or as_of_seq / as_of_time; pass min_seq to read your own write.\n\n"+
				"Money is integers in minor units with a currency; shares, weights and quantities are exact decimals or fractions in strings. Errors are RFC 9457 problem+json with the field and the rule broken.\n\n"+
				"Tokens (alt_...) are made by `alliance token create` or POST /v1/tokens and carry a role: secretariat (administers an alliance, or every one with alliance \"*\"), member (writes on its own behalf, reads aggregates and its own detail), auditor (reads and verifies everything, writes nothing), evaluator (reads everything, records expert ratings)."),
		"servers", []any{newObj("url", "/")},
		"security", []any{newObj("bearerAuth", []string{})},
		"tags", tagObjs,
		"paths", sorted,
		"components", newObj(
			"securitySchemes", newObj("bearerAuth", newObj("type", "http", "scheme", "bearer", "bearerFormat", "alt_...",
				"description", "A token made by `alliance token create` or POST /v1/tokens: Authorization: Bearer alt_... (the dashboard's session cookie authenticates GET requests too, never writes).")),
			"parameters", params,
			"responses", responses,
			"schemas", schemas,
		),
	)
	for k := range enums {
		if !g.usedEnums[k] {
			g.fail("enums[%q] names no field of the document's schemas", k)
		}
	}
	for typ, fields := range optional {
		pl, err := ledger.NewPayload(typ)
		if err != nil {
			return nil, err
		}
		for _, f := range fields {
			if !slices.ContainsFunc(jsonFields(reflect.TypeOf(pl).Elem()), func(jf field) bool { return jf.name == f }) {
				g.fail("optional[%q] names %q, which is not a field of its payload", typ, f)
			}
		}
	}
	if len(g.errs) > 0 {
		slices.Sort(g.errs)
		return nil, fmt.Errorf("openapi: %s", strings.Join(g.errs, "\n"))
	}
	var buf bytes.Buffer
	b, err := encodeJSON(doc)
	if err != nil {
		return nil, err
	}
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func (g *gen) respSchema(m opMeta) *obj {
	t := reflect.TypeOf(m.resp)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return ref("schemas", g.component(t, m.respName))
}

// payloadBody defines the request body of a route appending typ: the
// payload's fields (path-bound ones optional), occurred_at and, to found
// an alliance, id.
func (g *gen) payloadBody(typ string, binds []bind, founding bool) string {
	pl, _ := ledger.NewPayload(typ)
	t := reflect.TypeOf(pl).Elem()
	name := t.Name() + "Body"
	if g.comps.get(name) != nil {
		return name
	}
	bound := map[string]string{}
	for _, b := range binds {
		bound[b.field] = b.param
	}
	req := []string{} // not nil: none may be required
	for _, f := range jsonFields(t) {
		if !f.omit && !slices.Contains(optional[typ], f.name) && bound[f.name] == "" {
			req = append(req, f.name)
		}
	}
	s := g.object(t, req)
	props := s.get("properties").(*obj)
	for field, param := range bound {
		p := props.get(field).(*obj)
		d, _ := p.get("description").(string)
		p.set("description", strings.TrimSpace(d+fmt.Sprintf(" Filled from the path parameter {%s}; a body that gives another value is refused.", param)))
	}
	for _, f := range optional[typ] {
		p := props.get(f).(*obj)
		if p.get("enum") != nil {
			// The writer derives an empty one: "" is as good as leaving it out.
			p.set("enum", append([]string{""}, p.get("enum").([]string)...))
		}
		d, _ := p.get("description").(string)
		p.set("description", strings.TrimSpace(d+" "+optionalNotes[f]))
	}
	props.set("occurred_at", newObj("type", "string", "format", "date-time",
		"description", "When the fact happened, in business time (RFC 3339); default: when it is recorded. The event's recorded_at is the server's clock."))
	if founding {
		np := newObj("id", newObj("type", "string", "pattern", "^[a-z0-9][a-z0-9_-]{0,62}$", "description", "The new alliance's id."))
		for _, k := range props.keys {
			np.set(k, props.get(k))
		}
		np.set("members", newObj("type", "array", "minItems", 1, "items", ref("schemas", g.component(reflect.TypeFor[ledger.MemberAdmitted](), "")),
			"description", "The members admitted with the founding, in the same request: member.admitted payloads, the custodian's at least."))
		s.set("properties", np)
		s.set("required", append(append([]string{"id"}, req...), "members"))
	}
	s.set("additionalProperties", false)
	desc := g.docs[typeKey(t)]
	if desc != "" {
		desc += "\n\n"
	}
	desc += fmt.Sprintf("The body of a %s write: the event's payload, plus occurred_at.", typ)
	s.set("description", desc)
	s.set("x-ledger-event-type", typ)
	g.comps.set(name, s)
	return name
}
