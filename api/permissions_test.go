package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestPermissionMatrix sends every write route as every role. Refused
// roles get 403; allowed ones get past authorisation (the bodies are
// incomplete, so they fail validation instead); nothing reaches the log.
func TestPermissionMatrix(t *testing.T) {
	te := newTestEnv(t, true)
	before := te.last(sampleAlliance)
	params := map[string]string{"alliance": sampleAlliance, "seq": "21", "member": "M03", "project": "P1",
		"asset": "IP-001", "pool": "POOL-P1-LICENSING", "id": "tok-000000000000"}
	memberRoutes := map[string]bool{
		"/v1/alliances/{alliance}/contributions":                    true,
		"/v1/alliances/{alliance}/contributions/{seq}/confirmation": true,
		"/v1/alliances/{alliance}/contributions/{seq}/contest":      true,
		"/v1/alliances/{alliance}/ip":                               true,
		"/v1/alliances/{alliance}/disputes":                         true,
	}
	// ownBody is an incomplete body a member sends on its own behalf (or on
	// another's, with who = M03).
	ownBody := func(pattern, who string) map[string]any {
		switch {
		case strings.HasSuffix(pattern, "/contributions"):
			return map[string]any{"member": who}
		case strings.HasSuffix(pattern, "/ip"):
			return map[string]any{"owners": []any{map[string]any{"member": who, "share": "1"}}}
		}
		return map[string]any{"by": who}
	}
	roles := []string{"operator", "secretariat", "auditor", "evaluator", "M02", "other"}
	checked := 0
	for _, rt := range te.Server.Routes() {
		if rt.Access != Write {
			continue
		}
		path := rt.Pattern
		for k, v := range params {
			path = strings.ReplaceAll(path, "{"+k+"}", v)
		}
		for _, role := range roles {
			var body any = map[string]any{}
			switch rt.Pattern {
			case "/v1/alliances":
				body = map[string]any{"id": sampleAlliance}
			case "/v1/tokens":
				body = map[string]any{"role": "member", "alliance": sampleAlliance, "member": "M09", "name": "matrix " + role}
			case "/v1/alliances/{alliance}/commands":
				body = map[string]any{"commands": []any{map[string]any{"type": "funding.received", "payload": map[string]any{}}}}
			}
			if role == "M02" && memberRoutes[rt.Pattern] {
				body = ownBody(rt.Pattern, "M03")
			}
			allowed := false
			switch {
			case rt.Pattern == "/v1/alliances/{alliance}/audit/cosignatures":
				// Members co-sign, each with its own key; nobody else.
				allowed = role == "M02"
			case role == "operator", role == "secretariat":
				allowed = true
			case role == "evaluator":
				allowed = rt.Pattern == "/v1/alliances/{alliance}/evaluation/ratings"
			case role == "other":
				// Another alliance's secretariat manages its own tokens; this
				// id is nobody's, so it is told so.
				allowed = rt.Pattern == "/v1/tokens/{id}"
			}
			r := te.do(rt.Method, path, role, body, "Idempotency-Key", "matrix-"+role)
			name := fmt.Sprintf("%s %s as %s", rt.Method, rt.Pattern, role)
			switch {
			case !allowed && r.Status != http.StatusForbidden:
				t.Errorf("%s: status %d, want 403: %s", name, r.Status, r.Body)
			case allowed && (r.Status == http.StatusForbidden || r.Status == http.StatusUnauthorized):
				t.Errorf("%s: status %d, want it past authorisation: %s", name, r.Status, r.Body)
			case r.Status >= 400:
				if p := r.Problem(t); p.Detail == "" {
					t.Errorf("%s: problem without detail", name)
				}
			}
			checked++
			if role == "M02" && memberRoutes[rt.Pattern] {
				// On its own behalf the member is let through to validation.
				r := te.do(rt.Method, path, role, ownBody(rt.Pattern, "M02"))
				if r.Status == http.StatusForbidden || r.Status == http.StatusUnauthorized || r.Status < 400 {
					t.Errorf("%s on its own behalf (incomplete body): status %d, want a validation failure: %s", name, r.Status, r.Body)
				}
			}
			if r := te.do(rt.Method, path, "", body); r.Status != http.StatusUnauthorized {
				t.Errorf("%s %s without a token: status %d, want 401", rt.Method, rt.Pattern, r.Status)
			}
		}
	}
	if checked < 6*25 {
		t.Fatalf("only %d role × route pairs checked", checked)
	}
	if n := te.last(sampleAlliance); n != before {
		t.Fatalf("the matrix appended: the log went from %d to %d", before, n)
	}
}

// A member reads aggregates and its own statement, not another member's.
func TestMemberReadsOnlyItsOwn(t *testing.T) {
	te := newTestEnv(t, true)
	base := "/v1/alliances/" + sampleAlliance
	for _, path := range []string{"/members/M03/statement", "/balances?member=M03", "/contributions?member=M03",
		"/exports/statement?member=M03", "/exports/log", "/events", "/quarantine", "/evaluation?period=2025&member=M03"} {
		if r := te.do("GET", base+path, "M02", nil); r.Status != http.StatusForbidden {
			t.Errorf("M02 GET %s: status %d, want 403: %s", path, r.Status, r.Body)
		}
	}
	for _, path := range []string{"/members/M02/statement", "/balances", "/contributions", "/exports/statement", "/risk", "/outputs"} {
		if r := te.do("GET", base+path, "M02", nil); r.Status != http.StatusOK {
			t.Errorf("M02 GET %s: status %d, want 200: %s", path, r.Status, r.Body)
		}
	}
	var b struct {
		Members []struct {
			Member string `json:"member"`
		} `json:"members"`
		Totals []map[string]any `json:"totals"`
	}
	te.do("GET", base+"/balances", "M02", nil).JSON(t, &b)
	if len(b.Members) != 1 || b.Members[0].Member != "M02" || len(b.Totals) == 0 {
		t.Errorf("M02's balances show members %+v and %d totals: want its own row and the alliance totals", b.Members, len(b.Totals))
	}
	var page Page[map[string]any]
	te.do("GET", base+"/contributions?limit=1000", "M02", nil).JSON(t, &page)
	if len(page.Items) == 0 {
		t.Fatal("M02 sees no contributions of its own")
	}
	for _, c := range page.Items {
		if c["member"] != "M02" {
			t.Fatalf("M02 sees %v's contribution at %v", c["member"], c["seq"])
		}
	}
	// The auditor sees every member.
	te.do("GET", base+"/balances", "auditor", nil).JSON(t, &b)
	if len(b.Members) < 10 {
		t.Errorf("the auditor sees %d members' balances", len(b.Members))
	}
	if r := te.do("GET", base+"/balances", "other", nil); r.Status != http.StatusForbidden {
		t.Errorf("another alliance's secretariat: status %d, want 403", r.Status)
	}
}

// The dashboard's session cookie reads but never writes: a cross-site form
// posted with a member's cookie appends nothing.
func TestCookieDoesNotWrite(t *testing.T) {
	te := newTestEnv(t, true)
	before := te.last(sampleAlliance)
	path := "/v1/alliances/" + sampleAlliance + "/contributions"
	body := map[string]any{"member": "M02", "kind": "cash", "value": money(100), "valuation": "declared", "counterparty": "M01"}
	r := te.do("POST", path, "", body, "Cookie", sessionCookie+"="+te.Token["M02"])
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("a write with the session cookie: status %d, want 401", r.Status)
	}
	if n := te.last(sampleAlliance); n != before {
		t.Fatalf("a write with the session cookie appended (%d -> %d)", before, n)
	}
	if r := te.do("GET", path, "", nil, "Cookie", sessionCookie+"="+te.Token["M02"]); r.Status != http.StatusOK {
		t.Fatalf("a read with the session cookie: status %d", r.Status)
	}
}
