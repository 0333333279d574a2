package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
)

// step is one write of the lifecycle scenario: who succeeds with which
// body, who is refused, and how the body breaks a rule.
type step struct {
	name  string
	path  string // under /v1/alliances/acme, or "/v1/alliances" itself
	token string
	body  func(sc *scenario) map[string]any
	// denied get 403 with this body (their own principal, the same body).
	denied []string
	// breaks returns a copy of the body that breaks a rule, and the field
	// the problem must name.
	breaks func(b map[string]any) (map[string]any, string)
	// keep names the receipt's first position for later steps.
	keep string
}

type scenario struct {
	te   *testEnv
	seqs map[string]uint64
	// sample payloads, read from the sample alliance's log
	samples map[string]map[string]any
}

func money(amount int64) map[string]any { return map[string]any{"amount": amount, "currency": "CNY"} }

func clone(b map[string]any) map[string]any {
	j, _ := json.Marshal(b)
	var out map[string]any
	_ = json.Unmarshal(j, &out)
	return out
}

func with(b map[string]any, kv ...any) map[string]any {
	out := clone(b)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// breaking returns a breaks function that sets field to a bad value.
func breaking(field string, bad any) func(map[string]any) (map[string]any, string) {
	return func(b map[string]any) (map[string]any, string) { return with(b, field, bad), "payload." + field }
}

func lifecycle() []step {
	return []step{
		{name: "found", path: "/v1/alliances", token: "ops", denied: []string{"other", "acme-aud", "A02"},
			body: func(*scenario) map[string]any {
				return map[string]any{"id": "acme", "name": "测试联盟", "type": "industry-chain", "legal_form": "non-legal-person",
					"base_currency": "CNY", "time_zone": "Asia/Shanghai", "custodian": "A01", "occurred_at": "2024-01-02T09:00:00+08:00",
					"members": []any{map[string]any{"member": "A01", "name": "成员A01", "kind": "university", "role": "vice-chair"}}}
			},
			breaks: breaking("type", "guild")},
		admit("A02", "enterprise", "chair"), admit("A03", "enterprise", "ordinary"),
		admit("A04", "research-institute", "ordinary"),
		{name: "sign agreement", path: "/agreements", token: "acme-sec", denied: []string{"A02", "acme-aud", "acme-eval", "other"},
			body: func(sc *scenario) map[string]any {
				b := sc.sample(ledger.TypeAgreementSigned)
				delete(b, "version")
				return with(b, "signatories", []string{"A01", "A02", "A03", "A04"}, "effective_date", "2024-01-10",
					"occurred_at", "2024-01-10T10:00:00+08:00")
			},
			breaks: breaking("distribution", map[string]any{"method": "lottery"})},
		{name: "amend agreement", path: "/agreements/amendments", token: "acme-sec", denied: []string{"A02", "acme-aud"},
			body: func(sc *scenario) map[string]any {
				b := sc.sample(ledger.TypeAgreementSigned)
				delete(b, "version")
				return with(b, "signatories", []string{"A01", "A02", "A03", "A04"}, "effective_date", "2024-02-01",
					"reason", "risk coefficients revised", "occurred_at", "2024-02-01T10:00:00+08:00")
			},
			breaks: breaking("reason", "")},
		{name: "open project", path: "/projects", token: "acme-sec", denied: []string{"A02", "acme-eval"},
			body: func(*scenario) map[string]any {
				return map[string]any{"project": "P1", "name": "固态电解质", "lead": "A02", "start": "2024-02-10",
					"participants": []any{map[string]any{"member": "A02", "budget": money(50_000_000)}, map[string]any{"member": "A03", "budget": money(30_000_000)}},
					"occurred_at":  "2024-02-10T09:00:00+08:00"}
			},
			breaks: breaking("lead", "Z99")},
		{name: "change participants", path: "/projects/P1/participants", token: "acme-sec", denied: []string{"A02"},
			body: func(*scenario) map[string]any {
				return map[string]any{"participants": []any{map[string]any{"member": "A02", "budget": money(50_000_000)},
					map[string]any{"member": "A03", "budget": money(30_000_000)}, map[string]any{"member": "A04", "budget": money(10_000_000)}},
					"occurred_at": "2024-03-01T09:00:00+08:00"}
			},
			breaks: breaking("project", "P2")},
		{name: "member records own contribution", path: "/contributions", token: "A02", keep: "c-a02",
			denied: []string{"A03", "acme-aud", "acme-eval", "other"},
			body: func(*scenario) map[string]any {
				return map[string]any{"member": "A02", "project": "P1", "kind": "cash", "value": money(2_000_000), "valuation": "declared",
					"counterparty": "A01", "occurred_at": "2024-03-05T09:00:00+08:00"}
			},
			breaks: breaking("kind", "goodwill")},
		{name: "contribution for A02 to confirm", path: "/contributions", token: "acme-sec", keep: "c-a03",
			body: func(*scenario) map[string]any {
				return map[string]any{"member": "A03", "project": "P1", "kind": "equipment", "value": money(900_000), "valuation": "book-value",
					"counterparty": "A02", "occurred_at": "2024-03-06T09:00:00+08:00"}
			},
			breaks: breaking("value", money(-5))},
		{name: "counterparty confirms", path: "/contributions/{c-a03}/confirmation", token: "A02", denied: []string{"A03", "acme-aud"},
			body: func(*scenario) map[string]any {
				return map[string]any{"by": "A02", "occurred_at": "2024-03-07T09:00:00+08:00"}
			},
			breaks: breaking("contribution", 999999)},
		{name: "member contests", path: "/contributions/{c-a02}/contest", token: "A03", denied: []string{"A02", "acme-aud"},
			body: func(*scenario) map[string]any {
				return map[string]any{"by": "A03", "reason": "no bank record", "occurred_at": "2024-03-08T09:00:00+08:00"}
			},
			breaks: breaking("reason", "")},
		{name: "member files co-owned IP", path: "/ip", token: "A02", denied: []string{"A04", "acme-aud", "acme-eval"},
			body: func(*scenario) map[string]any {
				return map[string]any{"asset": "IP-1", "type": "patent-invention", "title": "一种固态电解质", "project": "P1",
					"owners":      []any{map[string]any{"member": "A02", "share": "0.6"}, map[string]any{"member": "A03", "share": "0.4"}},
					"occurred_at": "2024-04-01T09:00:00+08:00"}
			},
			breaks: func(b map[string]any) (map[string]any, string) {
				return with(b, "owners", []any{map[string]any{"member": "A02", "share": "0.6"}, map[string]any{"member": "A03", "share": "0.3"}}), "payload.owners"
			}},
		{name: "IP granted", path: "/ip/IP-1/status", token: "acme-sec", denied: []string{"A02"},
			body: func(*scenario) map[string]any {
				return map[string]any{"status": "granted", "occurred_at": "2024-09-01T09:00:00+08:00"}
			},
			breaks: breaking("status", "pending")},
		{name: "IP licensed", path: "/ip/IP-1/status", token: "acme-sec", denied: []string{"A03"},
			body: func(*scenario) map[string]any {
				return map[string]any{"status": "licensed", "counterparty": "某企业", "occurred_at": "2024-09-20T09:00:00+08:00"}
			},
			breaks: breaking("asset", "IP-2")},
		{name: "licence revenue", path: "/ip/IP-1/licence-revenue", token: "acme-sec", denied: []string{"A02"},
			body: func(*scenario) map[string]any {
				return map[string]any{"licensee": "某企业", "amount": money(3_000_000), "occurred_at": "2024-10-01T09:00:00+08:00"}
			},
			breaks: breaking("amount", money(0))},
		{name: "funding", path: "/funding", token: "acme-sec", denied: []string{"A02", "acme-eval"},
			body: func(*scenario) map[string]any {
				return map[string]any{"source": "government-grant", "payer": "市科委", "amount": money(10_000_000), "project": "P1",
					"occurred_at": "2024-04-02T09:00:00+08:00"}
			},
			breaks: breaking("source", "lottery")},
		{name: "cost", path: "/costs", token: "acme-sec", denied: []string{"A02"},
			body: func(*scenario) map[string]any {
				return map[string]any{"project": "P1", "category": "materials", "amount": money(400_000), "borne_by": "A02",
					"occurred_at": "2024-04-03T09:00:00+08:00"}
			},
			breaks: breaking("category", "parties")},
		{name: "loss", path: "/losses", token: "acme-sec", denied: []string{"A02"},
			body: func(*scenario) map[string]any {
				return map[string]any{"project": "P1", "amount": money(100_000), "reason": "scrapped batch", "occurred_at": "2024-04-04T09:00:00+08:00"}
			},
			breaks: breaking("project", "P404")},
		{name: "declare pool", path: "/pools", token: "acme-sec", denied: []string{"A02", "acme-aud"},
			body: func(*scenario) map[string]any {
				return map[string]any{"pool": "POOL-1", "amount": money(1_000_001), "project": "P1", "source": "licence fees",
					"members": []string{"A02", "A03", "A04"}, "occurred_at": "2024-11-01T09:00:00+08:00"}
			},
			breaks: breaking("amount", money(-1))},
		{name: "assess pool", path: "/pools/POOL-1/assessments", token: "acme-sec", denied: []string{"A02"},
			body: func(*scenario) map[string]any {
				c := func(v int64, ms ...string) map[string]any { return map[string]any{"members": ms, "value": money(v)} }
				return map[string]any{"assessor": "expert panel", "method": "expert-panel", "players": []string{"A02", "A03", "A04"},
					"coalitions": []any{c(100_000, "A02"), c(100_000, "A03"), c(100_000, "A04"), c(700_000, "A02", "A03"),
						c(500_000, "A02", "A04"), c(400_000, "A03", "A04"), c(1_100_000, "A02", "A03", "A04")},
					"occurred_at": "2024-11-02T09:00:00+08:00"}
			},
			breaks: breaking("method", "dice")},
		{name: "commit payout", path: "/pools/POOL-1/payouts", token: "acme-sec", keep: "payout", denied: []string{"A02", "acme-aud", "acme-eval"},
			body:   func(*scenario) map[string]any { return map[string]any{"method": "shapley"} },
			breaks: func(b map[string]any) (map[string]any, string) { return with(b, "method", "lottery"), "method" }},
		{name: "settle payout", path: "/payouts/{payout}/settlement", token: "acme-sec", denied: []string{"A02"},
			body:   func(*scenario) map[string]any { return map[string]any{"reference": "BATCH-1"} },
			breaks: breaking("payout", 999999)},
		{name: "member raises dispute", path: "/disputes", token: "A03", keep: "dispute", denied: []string{"A02", "acme-aud"},
			body: func(sc *scenario) map[string]any {
				return map[string]any{"subject": sc.seqs["payout"], "by": "A03", "claim": "my share is too low"}
			},
			breaks: breaking("claim", "")},
		{name: "resolve dispute", path: "/disputes/{dispute}/resolution", token: "acme-sec", denied: []string{"A03", "acme-aud"},
			body: func(*scenario) map[string]any {
				return map[string]any{"outcome": "rejected", "resolution": "the assessment stands"}
			},
			breaks: func(b map[string]any) (map[string]any, string) { return with(b, "outcome", "maybe"), "payload.outcome" }},
		{name: "correct entry", path: "/entries/{c-a02}/correction", token: "acme-sec", denied: []string{"A02"},
			body: func(*scenario) map[string]any {
				return map[string]any{"reason": "bank record shows 1.8M", "replacement": map[string]any{"member": "A02", "project": "P1", "kind": "cash",
					"value": money(1_800_000), "valuation": "declared", "counterparty": "A01"}}
			},
			breaks: breaking("reason", "")},
		{name: "reverse entry", path: "/entries/{c-a03}/reversal", token: "acme-sec", denied: []string{"A02"},
			body:   func(*scenario) map[string]any { return map[string]any{"reason": "recorded twice"} },
			breaks: breaking("reason", "")},
		{name: "close project", path: "/projects/P1/closure", token: "acme-sec", denied: []string{"A02"},
			body:   func(*scenario) map[string]any { return map[string]any{"outcome": "completed"} },
			breaks: breaking("outcome", "abandoned-ish")},
		{name: "adopt evaluation scheme", path: "/evaluation/schemes", token: "acme-sec", denied: []string{"acme-eval", "A02"},
			body: func(sc *scenario) map[string]any {
				b := sc.sample(ledger.TypeEvaluationScheme)
				return with(b, "scheme", "acme-annual", "version", 1)
			},
			breaks: breaking("scheme", "")},
		{name: "evaluator rates", path: "/evaluation/ratings", token: "acme-eval", denied: []string{"A02", "acme-aud"},
			body: func(sc *scenario) map[string]any {
				return map[string]any{"indicator": "operating_mechanism", "rater": "expert committee", "from": "2024-01-01", "to": "2024-12-31",
					"memberships": []string{"0.2", "0.5", "0.3", "0", "0"}}
			},
			breaks: func(b map[string]any) (map[string]any, string) {
				return with(b, "memberships", []string{"0.9", "0.5", "0.3", "0", "0"}), "payload.memberships"
			}},
		{name: "change role", path: "/members/A03/role", token: "acme-sec", denied: []string{"A03"},
			body:   func(*scenario) map[string]any { return map[string]any{"role": "council"} },
			breaks: breaking("role", "emperor")},
		{name: "member departs", path: "/members/A04/departure", token: "acme-sec", denied: []string{"A04"},
			body:   func(*scenario) map[string]any { return map[string]any{"how": "withdrew", "reason": "strategy"} },
			breaks: breaking("how", "vanished")},
		{name: "commands batch", path: "/commands", token: "acme-sec", denied: []string{"A02", "acme-aud"},
			body: func(*scenario) map[string]any {
				f := func(amount int64) map[string]any {
					return map[string]any{"type": "funding.received", "payload": map[string]any{"source": "member-dues", "payer": "A02", "member": "A02", "amount": money(amount)}}
				}
				return map[string]any{"commands": []any{f(100_000), f(200_000)}}
			},
			breaks: func(b map[string]any) (map[string]any, string) {
				out := clone(b)
				cmds := out["commands"].([]any)
				cmds[1].(map[string]any)["payload"].(map[string]any)["source"] = "lottery"
				return out, "commands[1].payload.source"
			}},
	}
}

func admit(id, kind, role string) step {
	return step{name: "admit " + id, path: "/members", token: "acme-sec", denied: []string{"A02", "acme-aud", "acme-eval", "other"},
		body: func(*scenario) map[string]any {
			return map[string]any{"member": id, "name": "成员" + id, "kind": kind, "role": role, "occurred_at": "2024-01-03T09:00:00+08:00"}
		},
		breaks: breaking("kind", "guild")}
}

// sample returns the first payload of an event type in the sample log.
func (sc *scenario) sample(typ string) map[string]any {
	b, ok := sc.samples[typ]
	if !ok {
		sc.te.t.Fatalf("the sample log has no %s", typ)
	}
	return clone(b)
}

func (sc *scenario) path(p string) string {
	if p == "/v1/alliances" {
		return p
	}
	for k, v := range sc.seqs {
		p = strings.ReplaceAll(p, "{"+k+"}", fmt.Sprint(v))
	}
	return "/v1/alliances/acme" + p
}

// TestWriteRoutes walks an alliance's life through every write route: for
// each, no token is 401, a refused role is 403, a broken rule is 400 naming
// the field, the write itself is 201 with its positions, a retry with the
// same Idempotency-Key is 200 with the same positions, and the same key
// with another body is 409. Nothing is appended by any refusal.
func TestWriteRoutes(t *testing.T) {
	te := newTestEnv(t, true)
	ctx := context.Background()
	for name, p := range map[string]Principal{
		"ops":       {Role: RoleSecretariat, Alliance: AnyAlliance, Name: "ops"},
		"acme-sec":  {Role: RoleSecretariat, Alliance: "acme", Name: "acme secretariat"},
		"acme-aud":  {Role: RoleAuditor, Alliance: "acme", Name: "acme auditor"},
		"acme-eval": {Role: RoleEvaluator, Alliance: "acme", Name: "acme evaluator"},
		"A02":       {Role: RoleMember, Alliance: "acme", Member: "A02", Name: "A02"},
		"A03":       {Role: RoleMember, Alliance: "acme", Member: "A03", Name: "A03"},
		"A04":       {Role: RoleMember, Alliance: "acme", Member: "A04", Name: "A04"},
	} {
		secret, _, err := te.Tokens.Create(ctx, p, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		te.Token[name] = secret
	}
	waitTokens(t, te)
	sc := &scenario{te: te, seqs: map[string]uint64{}, samples: sampleFirstPayloads(t, te)}
	last := func() uint64 {
		n, err := te.Store.Last(ctx, "acme")
		if err != nil && !strings.Contains(err.Error(), "not found") {
			t.Fatal(err)
		}
		return n
	}
	for i, st := range lifecycle() {
		path := sc.path(st.path)
		body := st.body(sc)
		key := fmt.Sprintf("step-%d", i)
		before := last()
		nothingAppended := func(what string) {
			t.Helper()
			if n := last(); n != before {
				t.Fatalf("%s: %s appended: the log went from %d to %d", st.name, what, before, n)
			}
		}

		if r := te.do("POST", path, "", body, "Idempotency-Key", key); r.Status != http.StatusUnauthorized {
			t.Fatalf("%s without a token: status %d, want 401: %s", st.name, r.Status, r.Body)
		} else if r.Problem(t).Title == "" {
			t.Fatalf("%s: 401 without a problem title", st.name)
		}
		nothingAppended("a request without a token")
		if r := te.do("POST", path, "alt_notatoken", body); r.Status != http.StatusUnauthorized {
			t.Fatalf("%s with an unknown token: status %d, want 401", st.name, r.Status)
		}
		for _, who := range st.denied {
			r := te.do("POST", path, who, body, "Idempotency-Key", key+"-"+who)
			if r.Status != http.StatusForbidden {
				t.Fatalf("%s as %s: status %d, want 403: %s", st.name, who, r.Status, r.Body)
			}
			if p := r.Problem(t); p.Detail == "" {
				t.Fatalf("%s as %s: a 403 that does not say why", st.name, who)
			}
			nothingAppended("a request refused to " + who)
		}
		if st.breaks != nil {
			bad, field := st.breaks(body)
			r := te.do("POST", path, st.token, bad, "Idempotency-Key", key+"-bad")
			if r.Status != http.StatusBadRequest && r.Status != http.StatusNotFound && r.Status != http.StatusConflict {
				t.Fatalf("%s with a broken rule: status %d, want 400: %s", st.name, r.Status, r.Body)
			}
			if p := r.Problem(t); !strings.HasPrefix(p.Field, field) || p.Rule == "" {
				t.Fatalf("%s with a broken rule: problem names field %q (rule %q), want %q", st.name, p.Field, p.Rule, field)
			}
			nothingAppended("a request that breaks a rule")
		}
		unknown := with(body, "no_such_field", 1)
		if r := te.do("POST", path, st.token, unknown); r.Status != http.StatusBadRequest {
			t.Fatalf("%s with an unknown field: status %d, want 400: %s", st.name, r.Status, r.Body)
		}
		nothingAppended("a request with an unknown field")

		r := te.do("POST", path, st.token, body, "Idempotency-Key", key)
		if r.Status != http.StatusCreated {
			t.Fatalf("%s as %s: status %d, want 201: %s", st.name, st.token, r.Status, r.Body)
		}
		var rc struct {
			ledger.Receipt
			Committed *ledger.Receipt `json:"committed"`
		}
		r.JSON(t, &rc)
		if rc.Committed != nil {
			rc.Receipt = *rc.Committed
		}
		if rc.First != before+1 || rc.Last != last() {
			t.Fatalf("%s: receipt %d-%d, but the log went from %d to %d", st.name, rc.First, rc.Last, before, last())
		}
		if st.keep != "" {
			sc.seqs[st.keep] = rc.First
		}
		after := last()
		again := te.do("POST", path, st.token, body, "Idempotency-Key", key)
		var rc2 struct {
			ledger.Receipt
			Committed *ledger.Receipt `json:"committed"`
		}
		again.JSON(t, &rc2)
		if rc2.Committed != nil {
			rc2.Receipt = *rc2.Committed
		}
		if again.Status != http.StatusOK || !rc2.Duplicate || rc2.First != rc.First || rc2.Last != rc.Last {
			t.Fatalf("%s retried: status %d, receipt %+v, want 200 with the first receipt %+v", st.name, again.Status, rc2.Receipt, rc.Receipt)
		}
		if n := last(); n != after {
			t.Fatalf("%s: the retry appended (%d -> %d)", st.name, after, n)
		}
		if st.path != "/pools/POOL-1/payouts" && st.path != "/disputes/{dispute}/resolution" {
			other := with(body, "occurred_at", "2024-12-30T09:00:00+08:00")
			if st.path == "/commands" {
				other = clone(body)
				other["commands"].([]any)[0].(map[string]any)["occurred_at"] = "2024-12-30T09:00:00+08:00"
			}
			if r := te.do("POST", path, st.token, other, "Idempotency-Key", key); r.Status != http.StatusConflict {
				t.Fatalf("%s: the same key with another body: status %d, want 409: %s", st.name, r.Status, r.Body)
			}
			if n := last(); n != after {
				t.Fatalf("%s: a conflicting retry appended", st.name)
			}
		}
	}
	// Every event records the principal who appended it.
	r := te.do("GET", "/v1/alliances/acme/events?limit=1000", "acme-aud", nil)
	var page struct {
		Items []ledger.Event `json:"items"`
	}
	r.JSON(t, &page)
	if uint64(len(page.Items)) != last() {
		t.Fatalf("events lists %d of %d", len(page.Items), last())
	}
	for _, e := range page.Items {
		if !strings.Contains(e.Actor, "#tok-") {
			t.Fatalf("event %d (%s) records actor %q, not a token's principal", e.Seq, e.Type, e.Actor)
		}
	}
	if a := page.Items[6].Actor; !strings.HasPrefix(a, "member:A02/") && page.Items[6].Type == ledger.TypeContributionRecorded {
		t.Fatalf("the member's own contribution records actor %q", a)
	}
}

func waitTokens(t *testing.T, te *testEnv) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, secret := range te.Token {
		for {
			if _, ok := te.Tokens.Lookup(secret); ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("tokens not seen by the watch")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// sampleFirstPayloads reads the sample log through the API and keeps the
// first payload of each event type.
func sampleFirstPayloads(t *testing.T, te *testEnv) map[string]map[string]any {
	out := map[string]map[string]any{}
	after := uint64(0)
	for {
		r := te.do("GET", fmt.Sprintf("/v1/alliances/%s/events?limit=1000&after=%d", sampleAlliance, after), "auditor", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("events: %d %s", r.Status, r.Body)
		}
		var page struct {
			Items []struct {
				Type    string         `json:"type"`
				Payload map[string]any `json:"payload"`
			} `json:"items"`
			NextAfter uint64 `json:"next_after"`
		}
		r.JSON(t, &page)
		for _, e := range page.Items {
			if _, ok := out[e.Type]; !ok {
				out[e.Type] = e.Payload
			}
		}
		if page.NextAfter == 0 {
			return out
		}
		after = page.NextAfter
	}
}

// Bodies that are not one JSON object are refused with a 400, and append
// nothing, on the routes that decode a payload directly as on the others.
func TestMalformedBodies(t *testing.T) {
	te := newTestEnv(t, true)
	before := te.last(sampleAlliance)
	for _, path := range []string{"/contributions", "/ip/IP-001/status", "/commands", "/pools/POOL-P1-LICENSING/preview"} {
		for _, body := range []string{`[1]`, `null`, `"x"`, `{"member":"M02"} {"member":"M03"}`, `{"member":`, "\xff\xfe"} {
			r := te.do("POST", "/v1/alliances/"+sampleAlliance+path, "secretariat", body)
			if r.Status != http.StatusBadRequest {
				t.Errorf("POST %s with %q: status %d, want 400: %s", path, body, r.Status, r.Body)
			}
		}
	}
	if n := te.last(sampleAlliance); n != before {
		t.Fatalf("malformed bodies appended (%d -> %d)", before, n)
	}
	big := `{"member":"M02","description":"` + strings.Repeat("x", 2<<20) + `"}`
	if r := te.do("POST", "/v1/alliances/"+sampleAlliance+"/contributions", "secretariat", big); r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 2 MiB body: status %d, want 413", r.Status)
	}
}

// Payouts are committed by the ledger's own computation, never from figures
// a caller posts as a raw command.
func TestRawPayoutsRefused(t *testing.T) {
	te := newTestEnv(t, true)
	before := te.last(sampleAlliance)
	for _, typ := range []string{ledger.TypePayoutCommitted, ledger.TypePayoutAdjusted} {
		body := map[string]any{"commands": []any{map[string]any{"type": typ, "payload": map[string]any{}}}}
		r := te.do("POST", "/v1/alliances/"+sampleAlliance+"/commands", "secretariat", body)
		if r.Status != http.StatusBadRequest || r.Problem(t).Field != "commands[0].type" {
			t.Fatalf("a raw %s: %d %s", typ, r.Status, r.Body)
		}
	}
	if n := te.last(sampleAlliance); n != before {
		t.Fatalf("a raw payout appended (%d -> %d)", before, n)
	}
}

// A payout "as of the latest" sees every write acknowledged before it was
// asked for: a pool declared and at once paid out is found, however far
// behind the projections are when the payout request arrives.
func TestPayoutSeesTheWritesBeforeIt(t *testing.T) {
	te := newTestEnv(t, true)
	base := "/v1/alliances/" + sampleAlliance
	for i := range 20 {
		pool := fmt.Sprintf("POOL-RYW-%d", i)
		if r := te.do("POST", base+"/pools", "secretariat", map[string]any{"pool": pool, "amount": money(100_000), "project": "P1", "source": "test"}); r.Status != 201 {
			t.Fatalf("declare %s: %d %s", pool, r.Status, r.Body)
		}
		if r := te.do("POST", base+"/pools/"+pool+"/preview", "secretariat", map[string]any{"method": "proportional"}); r.Status != 200 {
			t.Fatalf("preview %s right after declaring it: %d %s", pool, r.Status, r.Body)
		}
		if r := te.do("POST", base+"/pools/"+pool+"/payouts", "secretariat", map[string]any{"method": "proportional"}); r.Status != 201 {
			t.Fatalf("pay out %s right after declaring it: %d %s", pool, r.Status, r.Body)
		}
	}
}

// An append's receipt is written byte for byte as encoding/json writes it.
func TestReceiptEncoding(t *testing.T) {
	at := time.Date(2026, 11, 27, 8, 30, 15, 123456789, time.UTC)
	for _, rc := range []ledger.Receipt{
		{Alliance: "yrd-battery", First: 1, Last: 1, RecordedAt: at},
		{Alliance: "a_1", First: 18446744073709551615, Last: 18446744073709551615, RecordedAt: at.Truncate(time.Second)},
		{Alliance: "yrd-battery", First: 7, Last: 9, Duplicate: true},
		{Alliance: "yrd-battery", First: 7, Last: 9, RecordedAt: at.In(time.FixedZone("CST", 8*3600)), Duplicate: true},
		{Alliance: "yrd-battery", First: 7, Last: 9, RecordedAt: at.In(time.FixedZone("odd", 8*3600+17))},
		{Alliance: "yrd-battery", First: 7, Last: 9, RecordedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Alliance: "<not an id>", First: 1, Last: 2},
	} {
		want, err := json.Marshal(rc)
		got, ok := appendReceipt(nil, rc)
		if !ok {
			// Left to writeJSON: only what appendReceipt cannot write alike.
			if err == nil && ledger.ValidAllianceID(rc.Alliance) && rc.RecordedAt.Year() <= 9999 {
				if _, off := rc.RecordedAt.Zone(); off%60 == 0 {
					t.Errorf("%+v: left to encoding/json", rc)
				}
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: written, but encoding/json refuses it: %v", rc, err)
			continue
		}
		if string(got) != string(want)+"\n" {
			t.Errorf("%+v:\n got %s\nwant %s", rc, got, want)
		}
	}
}
