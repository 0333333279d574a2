package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
)

// fuzzEnv is a server over an embedded JetStream holding the sample
// alliance, as newTestEnv builds it, but owned by a testing.TB: a fuzz
// target builds it once per process, on its *testing.F, and every input
// goes to the same handler.
type fuzzEnv struct {
	store   *natsstore.Store
	handler http.Handler
	token   map[string]string // "secretariat", "M01"
}

func newFuzzEnv(tb testing.TB) *fuzzEnv {
	tb.Helper()
	te := newTestEnv(tb, true)
	return &fuzzEnv{store: te.Store, handler: te.Server.Handler(),
		token: map[string]string{"secretariat": te.Token["secretariat"], "M01": te.Token["M01"]}}
}

// fuzzRoute is a POST route a body is fuzzed against: its path with the
// alliance filled in and at most one other parameter, and the payload
// field that parameter names (for seeds).
type fuzzRoute struct {
	path  string
	typ   string // the event it appends, "" for the routes with bodies of their own
	param string // the path parameter, if any
	field string // the payload field the parameter fills
}

func fuzzRoutes() []fuzzRoute {
	prefix := "/v1/alliances/" + sampleAlliance
	var out []fuzzRoute
	for _, wr := range writeRoutes {
		r := fuzzRoute{path: prefix + wr.pattern, typ: wr.typ}
		if len(wr.binds) > 0 {
			r.param, r.field = wr.binds[0].param, wr.binds[0].field
		}
		out = append(out, r)
	}
	return append(out,
		fuzzRoute{path: "/v1/alliances", typ: ledger.TypeAllianceFounded},
		fuzzRoute{path: prefix + "/commands"},
		fuzzRoute{path: prefix + "/pools/{pool}/preview", param: "pool"},
		fuzzRoute{path: prefix + "/pools/{pool}/payouts", param: "pool"},
		fuzzRoute{path: prefix + "/disputes/{seq}/resolution", param: "seq"},
		fuzzRoute{path: prefix + "/audit/cosignatures"},
	)
}

// FuzzWriteBodies posts the fuzzer's body to a write route of a server
// holding the sample alliance (the route, and the token, chosen by the
// first argument; the path parameter by the second). Whatever the body:
// no 5xx; every 4xx is problem+json with a title and its status; and a
// request that did not succeed appended nothing to the log. Seeds: the
// sample's own payloads on their routes (mostly refused as duplicates by
// now, a few accepted), and testdata/fuzz/FuzzWriteBodies.
func FuzzWriteBodies(f *testing.F) {
	routes := fuzzRoutes()
	byType := map[string]int{}
	for i, r := range routes {
		if r.typ != "" {
			byType[r.typ] = i
		}
	}
	// One seed per event type from the sample, with its path parameter.
	seeded := map[string]bool{}
	for _, req := range sampleRequests() {
		for _, c := range req.Commands {
			i, ok := byType[c.Type]
			if !ok || seeded[c.Type] {
				continue
			}
			seeded[c.Type] = true
			body, err := json.Marshal(c.Payload)
			if err != nil {
				f.Fatal(err)
			}
			param := ""
			if r := routes[i]; r.field != "" {
				var m map[string]json.RawMessage
				if err := json.Unmarshal(body, &m); err != nil {
					f.Fatal(err)
				}
				param = strings.Trim(string(m[r.field]), `"`)
			}
			f.Add(uint8(i), param, body)
		}
	}
	f.Add(uint8(byType[ledger.TypeContributionRecorded]), "", []byte(`{"member":"M01","kind":"cash","value":{"amount":100,"currency":"CNY"},"occurred_at":"2025-01-01T00:00:00Z"}`))
	f.Add(uint8(byType[ledger.TypeContributionRecorded]+128), "", []byte(`{"member":"M02","kind":"cash","value":{"amount":100,"currency":"CNY"}}`))
	f.Add(uint8(byType[ledger.TypeIPFiled]), "", []byte(`{"asset":"IP-FZ","type":"paper","title":"t","owners":[{"member":"M01","share":"1/3"},{"member":"M02","share":"1/3"}]}`))
	f.Add(uint8(len(routes)-5), "", []byte(`{"commands":[{"type":"loss.realized","payload":{"project":"P1","amount":{"amount":1,"currency":"CNY"},"reason":"r"}},{"type":"nope","payload":{}}]}`))
	f.Add(uint8(len(routes)-3), "POOL-Y3-SERVICES", []byte(`{"method":"shapley"}`))
	f.Add(uint8(len(routes)-4), "POOL-P1-LICENSING", []byte(`{"method":"nash","as_of":1}`))
	f.Add(uint8(len(routes)-6), "", []byte(`{"id":"yrd-battery","name":"x"}`))
	f.Add(uint8(0), "", []byte(``))
	f.Add(uint8(1), "M01", []byte(`{"role":"council"} {}`))
	f.Add(uint8(9), "18446744073709551616", []byte(`{"by":"M01"}`))

	env := newFuzzEnv(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, route uint8, param string, body []byte) {
		r := routes[int(route&0x7f)%len(routes)]
		token := env.token["secretariat"]
		if route&0x80 != 0 {
			token = env.token["M01"]
		}
		path := r.path
		if r.param != "" {
			seg := param
			if seg == "" || seg == "." || seg == ".." {
				seg = "x"
			}
			// PathEscape keeps the parameter one segment the mux matches.
			path = strings.Replace(path, "{"+r.param+"}", escapeSegment(seg), 1)
		}
		before, err := env.store.Last(ctx, sampleAlliance)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		env.handler.ServeHTTP(rec, req)
		status := rec.Code
		if status >= 500 {
			t.Fatalf("POST %s %q: status %d: %s", path, body, status, rec.Body.Bytes())
		}
		if status >= 400 {
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("POST %s %q: status %d with content type %q: %s", path, body, status, ct, rec.Body.Bytes())
			}
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("POST %s %q: status %d, problem does not decode: %v\n%s", path, body, status, err, rec.Body.Bytes())
			}
			if p.Title == "" || p.Status != status {
				t.Fatalf("POST %s %q: status %d with problem %+v", path, body, status, p)
			}
		}
		if status < 200 || status > 299 {
			after, err := env.store.Last(ctx, sampleAlliance)
			if err != nil {
				t.Fatal(err)
			}
			if after != before {
				t.Fatalf("POST %s %q: status %d, but the log went from %d to %d", path, body, status, before, after)
			}
		}
	})
}

// escapeSegment escapes a path parameter so that it stays one segment,
// whatever bytes it holds.
func escapeSegment(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%")
		b.WriteString(strings.ToUpper(string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15])))
	}
	return b.String()
}
