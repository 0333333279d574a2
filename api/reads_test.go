package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/audit"
	"github.com/alliance-ledger/alliance/projections"
	"github.com/alliance-ledger/alliance/projections/export"
)

// readCase is a GET route with parameters that succeed on the sample, and
// a query that breaks a rule.
type readCase struct {
	pattern string
	path    string // with parameters filled in
	bad     string // query that must be a 400, "" if the route has none
}

func readCases(t *testing.T, te *testEnv) []readCase {
	base := "/v1/alliances/" + sampleAlliance
	// A committed payout and a dispute of the sample.
	var payoutSeq, disputeSeq uint64
	var pools Page[projections.PoolFact]
	te.do("GET", base+"/pools", "auditor", nil).JSON(t, &pools)
	for _, p := range pools.Items {
		for _, po := range p.Payouts {
			if po.Adjusts == 0 && payoutSeq == 0 {
				payoutSeq = po.Seq
			}
		}
	}
	var disputes Page[projections.DisputeFact]
	te.do("GET", base+"/disputes", "auditor", nil).JSON(t, &disputes)
	if len(disputes.Items) > 0 {
		disputeSeq = disputes.Items[0].Seq
	}
	if payoutSeq == 0 || disputeSeq == 0 {
		t.Fatalf("the sample has no payout (%d) or dispute (%d)", payoutSeq, disputeSeq)
	}
	return []readCase{
		{"/v1/alliances", "/v1/alliances", "limit=0"},
		{"/v1/alliances/{alliance}", base, "as_of_seq=99999999"},
		{"/v1/alliances/{alliance}/members", base + "/members", "cursor=bogus"},
		{"/v1/alliances/{alliance}/members/{member}/statement", base + "/members/M02/statement", "period=2025-13"},
		{"/v1/alliances/{alliance}/agreement", base + "/agreement", "as_of_time=yesterday"},
		{"/v1/alliances/{alliance}/projects", base + "/projects", "limit=5000"},
		{"/v1/alliances/{alliance}/contributions", base + "/contributions?project=P1", "as_of_seq=x"},
		{"/v1/alliances/{alliance}/ip", base + "/ip", "min_seq=-1"},
		{"/v1/alliances/{alliance}/balances", base + "/balances?period=2025", "from=2025-13-01"},
		{"/v1/alliances/{alliance}/risk", base + "/risk", "period=2025&from=2025-01-01"},
		{"/v1/alliances/{alliance}/outputs", base + "/outputs", "to=tomorrow"},
		{"/v1/alliances/{alliance}/pools", base + "/pools", "as_of_seq=1&as_of_time=2025-01-01"},
		{"/v1/alliances/{alliance}/pools/{pool}", base + "/pools/" + pools.Items[0].ID, "as_of_seq=99999999"},
		{"/v1/alliances/{alliance}/payouts/{seq}", base + fmt.Sprintf("/payouts/%d", payoutSeq), "as_of_seq=99999999"},
		{"/v1/alliances/{alliance}/payouts/{seq}/explanation", base + fmt.Sprintf("/payouts/%d/explanation", payoutSeq), "as_of_seq=99999999"},
		{"/v1/alliances/{alliance}/disputes", base + "/disputes", "limit=-1"},
		{"/v1/alliances/{alliance}/disputes/{seq}", base + fmt.Sprintf("/disputes/%d", disputeSeq), "as_of_seq=99999999"},
		{"/v1/alliances/{alliance}/evaluation", base + "/evaluation?period=2024", "period=someday"},
		{"/v1/alliances/{alliance}/events", base + "/events?limit=10", "after=x"},
		{"/v1/alliances/{alliance}/quarantine", base + "/quarantine", ""},
		{"/v1/alliances/{alliance}/audit/checkpoints", base + "/audit/checkpoints", ""},
		{"/v1/alliances/{alliance}/audit/checkpoints/latest", base + "/audit/checkpoints/latest", ""},
		{"/v1/alliances/{alliance}/audit/cosignatures", base + "/audit/cosignatures", ""},
		{"/v1/alliances/{alliance}/audit/proofs/inclusion", base + "/audit/proofs/inclusion?seq=5", "seq=0"},
		{"/v1/alliances/{alliance}/audit/proofs/consistency", base + "/audit/proofs/consistency?from=10", "from=x"},
		{"/v1/alliances/{alliance}/exports/{view}", base + "/exports/balances?format=csv", "format=pdf"},
		{"/v1/tokens", "/v1/tokens", ""},
	}
}

// addQuery sets the parameters of q on path, replacing any it has.
func addQuery(path, q string) string {
	p, query, _ := strings.Cut(path, "?")
	vs, _ := url.ParseQuery(query)
	add, _ := url.ParseQuery(q)
	for k, v := range add {
		vs[k] = v
	}
	return p + "?" + vs.Encode()
}

// TestReadRoutes: every GET route answers 200 to the auditor, 401 without
// a token, 403 to another alliance's secretariat, and 400 with the field
// named for a parameter that breaks a rule.
func TestReadRoutes(t *testing.T) {
	te := newTestEnv(t, true)
	signCheckpoint(t, te)
	covered := map[string]bool{}
	for _, rc := range readCases(t, te) {
		covered[rc.pattern] = true
		reader := "auditor"
		if rc.pattern == "/v1/tokens" {
			reader = "secretariat"
		}
		if r := te.do("GET", rc.path, reader, nil); r.Status != http.StatusOK {
			t.Errorf("GET %s as %s: status %d: %s", rc.path, reader, r.Status, r.Body)
		} else if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("GET %s: content type %q", rc.path, ct)
		}
		if r := te.do("GET", rc.path, "", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("GET %s without a token: status %d, want 401", rc.path, r.Status)
		}
		if rc.pattern != "/v1/alliances" && rc.pattern != "/v1/tokens" {
			if r := te.do("GET", rc.path, "other", nil); r.Status != http.StatusForbidden {
				t.Errorf("GET %s as another alliance's secretariat: status %d, want 403", rc.path, r.Status)
			}
		}
		if rc.bad != "" {
			r := te.do("GET", addQuery(rc.path, rc.bad), reader, nil)
			if r.Status != http.StatusBadRequest {
				t.Errorf("GET %s: status %d, want 400: %s", addQuery(rc.path, rc.bad), r.Status, r.Body)
				continue
			}
			if p := r.Problem(t); p.Field == "" || p.Rule == "" {
				t.Errorf("GET %s?%s: problem %+v names no field and rule", rc.path, rc.bad, p)
			}
		}
	}
	for _, rt := range te.Server.Routes() {
		if rt.Method == "GET" && rt.Access != Public && !covered[rt.Pattern] {
			t.Errorf("GET %s has no read case", rt.Pattern)
		}
	}
	if r := te.do("GET", "/v1/alliances/nosuch/balances", "operator", nil); r.Status != http.StatusNotFound {
		t.Errorf("an unknown alliance: status %d, want 404", r.Status)
	}
	if r := te.do("GET", "/v1/nothing", "operator", nil); r.Status != http.StatusNotFound || r.Problem(t).Status != 404 {
		t.Errorf("an unknown route: status %d, want a 404 problem", r.Status)
	}
}

func signCheckpoint(t *testing.T, te *testEnv) {
	t.Helper()
	err := te.Server.withCheckpointer(t.Context(), sampleAlliance, func(cp *audit.Checkpointer) error {
		_, _, err := cp.Checkpoint(t.Context(), te.Server.cfg.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The views over HTTP are the projections' views, as of any position.
func TestViewsAsOf(t *testing.T) {
	te := newTestEnv(t, true)
	last := te.last(sampleAlliance)
	base := "/v1/alliances/" + sampleAlliance
	for _, n := range []uint64{50, last / 2, last} {
		for _, q := range []projections.Query{{Seq: n}} {
			var want, got any
			err := te.Server.view(t.Context(), sampleAlliance, 0, func(m *projections.Model) error {
				b, err := m.Balances(q)
				want = roundTrip(t, b)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			te.do("GET", fmt.Sprintf("%s/balances?as_of_seq=%d&detail=projects", base, n), "auditor", nil).JSON(t, &got)
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("balances as of %d differ from the projection (-want +got):\n%s", n, d)
			}
			// By default, the same view without the per-project rows.
			var full projections.Balances
			var sum any
			te.do("GET", fmt.Sprintf("%s/balances?as_of_seq=%d&detail=projects", base, n), "auditor", nil).JSON(t, &full)
			te.do("GET", fmt.Sprintf("%s/balances?as_of_seq=%d", base, n), "auditor", nil).JSON(t, &sum)
			if d := cmp.Diff(roundTrip(t, summarize(&full)), sum); d != "" {
				t.Fatalf("balances as of %d by default are not the totals of the full view (-want +got):\n%s", n, d)
			}
		}
	}
	// A period and a recorded time resolve in the alliance's time zone.
	var b BalancesSummary
	te.do("GET", base+"/balances?period=2025-Q2", "auditor", nil).JSON(t, &b)
	if b.From == nil || b.From.Format("2006-01-02T15:04:05-07:00") != "2025-04-01T00:00:00+08:00" || b.AsOfSeq != last {
		t.Fatalf("period 2025-Q2 gives from %v as of %d", b.From, b.AsOfSeq)
	}
}

func roundTrip(t *testing.T, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// Lists page with a cursor that pins the position of the first page.
func TestPagination(t *testing.T) {
	te := newTestEnv(t, true)
	base := "/v1/alliances/" + sampleAlliance + "/contributions"
	var all Page[projections.ContributionFact]
	te.do("GET", base+"?limit=1000", "auditor", nil).JSON(t, &all)
	if all.NextCursor != "" || len(all.Items) < 20 {
		t.Fatalf("one page of %d, next %q", len(all.Items), all.NextCursor)
	}
	var walked []projections.ContributionFact
	path := base + "?limit=7"
	for i := 0; ; i++ {
		var p Page[projections.ContributionFact]
		te.do("GET", path, "auditor", nil).JSON(t, &p)
		if len(p.Items) > 7 || p.AsOfSeq != all.AsOfSeq {
			t.Fatalf("page %d: %d items as of %d", i, len(p.Items), p.AsOfSeq)
		}
		walked = append(walked, p.Items...)
		if i == 0 {
			// Something appended between pages does not shift them.
			r := te.do("POST", "/v1/alliances/"+sampleAlliance+"/contributions", "M02",
				map[string]any{"member": "M02", "kind": "cash", "value": money(100), "valuation": "declared", "counterparty": "M01"})
			if r.Status != http.StatusCreated {
				t.Fatalf("append between pages: %d %s", r.Status, r.Body)
			}
		}
		if p.NextCursor == "" {
			break
		}
		path = base + "?limit=7&cursor=" + url.QueryEscape(p.NextCursor)
	}
	if d := cmp.Diff(all.Items, walked); d != "" {
		t.Fatalf("walking the pages differs from one page (-one +walked):\n%s", d)
	}
}

// A read with min_seq sees the write whose position it names.
func TestReadYourWrites(t *testing.T) {
	te := newTestEnv(t, true)
	base := "/v1/alliances/" + sampleAlliance
	for i := range 20 {
		r := te.do("POST", base+"/contributions", "M02", map[string]any{"member": "M02", "kind": "cash",
			"value": money(int64(1000 + i)), "valuation": "declared", "counterparty": "M01"})
		if r.Status != http.StatusCreated {
			t.Fatalf("append: %d %s", r.Status, r.Body)
		}
		var rc ledger.Receipt
		r.JSON(t, &rc)
		var st Statement
		te.do("GET", fmt.Sprintf("%s/members/M02/statement?min_seq=%d", base, rc.Last), "M02", nil).JSON(t, &st)
		if st.AsOfSeq < rc.Last {
			t.Fatalf("read with min_seq=%d answered as of %d", rc.Last, st.AsOfSeq)
		}
		found := false
		for _, c := range st.Contributions {
			found = found || c.Seq == rc.First
		}
		if !found {
			t.Fatalf("the statement read with min_seq=%d lacks the contribution at %d", rc.Last, rc.First)
		}
	}
}

// Proofs served over HTTP verify with the standard library functions alone.
func TestProofsVerify(t *testing.T) {
	te := newTestEnv(t, true)
	signCheckpoint(t, te)
	base := "/v1/alliances/" + sampleAlliance + "/audit"
	var latest CheckpointView
	te.do("GET", base+"/checkpoints/latest", "M02", nil).JSON(t, &latest)
	if latest.Size != int64(te.last(sampleAlliance)) {
		t.Fatalf("latest checkpoint of size %d, log at %d", latest.Size, te.last(sampleAlliance))
	}
	v, err := note.NewVerifier(te.Server.cfg.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	_, cp, err := audit.OpenCheckpoint([]byte(latest.Note), v)
	if err != nil {
		t.Fatal(err)
	}
	var inc struct {
		Seq   uint64      `json:"seq"`
		Size  int64       `json:"tree_size"`
		Root  tlog.Hash   `json:"root"`
		Proof []tlog.Hash `json:"proof"`
		Event string      `json:"event"`
	}
	te.do("GET", base+"/proofs/inclusion?seq=42", "M02", nil).JSON(t, &inc)
	if inc.Root != cp.Root || inc.Size != cp.Size {
		t.Fatalf("inclusion proof against root %s size %d, checkpoint says %s size %d", inc.Root, inc.Size, cp.Root, cp.Size)
	}
	if err := tlog.CheckRecord(inc.Proof, inc.Size, inc.Root, 41, tlog.RecordHash([]byte(inc.Event))); err != nil {
		t.Fatalf("inclusion proof of event 42 does not verify: %v", err)
	}
	if err := tlog.CheckRecord(inc.Proof, inc.Size, inc.Root, 41, tlog.RecordHash([]byte(inc.Event+" "))); err == nil {
		t.Fatal("a changed event verifies")
	}
	var con audit.ConsistencyProof
	te.do("GET", base+"/proofs/consistency?from=100", "M02", nil).JSON(t, &con)
	if con.NewRoot != cp.Root || con.Verify() != nil {
		t.Fatalf("consistency proof from 100 to %d: root %s (checkpoint %s), verify %v", con.NewSize, con.NewRoot, cp.Root, con.Verify())
	}
}

// The downloads are the CLI's exports: the same tables, the same bytes.
func TestExports(t *testing.T) {
	te := newTestEnv(t, true)
	base := "/v1/alliances/" + sampleAlliance + "/exports/"
	n := te.last(sampleAlliance) / 2
	var want bytes.Buffer
	err := te.Server.view(t.Context(), sampleAlliance, 0, func(m *projections.Model) error {
		b, err := m.Balances(projections.Query{Seq: n})
		if err != nil {
			return err
		}
		return export.WriteCSV(&want, export.Balances(b)[0])
	})
	if err != nil {
		t.Fatal(err)
	}
	r := te.do("GET", fmt.Sprintf("%sbalances?format=csv&as_of_seq=%d", base, n), "auditor", nil)
	if r.Status != 200 || !bytes.Equal(r.Body, want.Bytes()) {
		t.Fatalf("balances CSV as of %d: status %d, %d bytes, want the %d bytes export.WriteCSV gives", n, r.Status, len(r.Body), want.Len())
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, fmt.Sprintf("balances-%d", n)) {
		t.Fatalf("Content-Disposition %q does not name the view and position", cd)
	}
	r = te.do("GET", base+"outputs?format=xlsx", "M02", nil)
	f, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("outputs XLSX (status %d) does not open: %v", r.Status, err)
	}
	if len(f.GetSheetList()) < 2 {
		t.Fatalf("outputs XLSX has sheets %v", f.GetSheetList())
	}
	r = te.do("GET", base+"log?as_of_seq=10", "auditor", nil)
	lines := strings.Split(strings.TrimSpace(string(r.Body)), "\n")
	if len(lines) != 10 {
		t.Fatalf("the log up to 10 has %d lines", len(lines))
	}
	for i, l := range lines {
		e, err := ledger.DecodeEvent([]byte(l))
		if err != nil || e.Seq != uint64(i+1) {
			t.Fatalf("line %d: %v (seq %v)", i+1, err, e)
		}
	}
	// A member's statement export is its own.
	want.Reset()
	err = te.Server.view(t.Context(), sampleAlliance, 0, func(m *projections.Model) error {
		b, err := m.Balances(projections.Query{Seq: m.Last()})
		if err != nil {
			return err
		}
		ts, err := export.Statement(b, "M02")
		if err != nil {
			return err
		}
		return export.WriteCSV(&want, ts[0])
	})
	if err != nil {
		t.Fatal(err)
	}
	r = te.do("GET", base+"statement?format=csv", "M02", nil)
	if r.Status != 200 || !bytes.Equal(r.Body, want.Bytes()) {
		t.Fatalf("M02's statement: %d %s\nwant %s", r.Status, r.Body, want.Bytes())
	}
}

// A member co-signs a checkpoint with its own key; the ledger stores the
// co-signature after checking it, and lists it.
func TestCosign(t *testing.T) {
	te := newTestEnv(t, true)
	signCheckpoint(t, te)
	base := "/v1/alliances/" + sampleAlliance + "/audit"
	var latest CheckpointView
	te.do("GET", base+"/checkpoints/latest", "M02", nil).JSON(t, &latest)
	ledgerV, err := audit.LoadVerifier(te.Server.cfg.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	signer, vkey, _, err := audit.LoadOrCreateKey(t.TempDir()+"/m02.key", "member/"+sampleAlliance+"/M02")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := audit.CoSign([]byte(latest.Note), ledgerV, nil, nil, signer)
	if err != nil {
		t.Fatal(err)
	}
	body := CosignBody{Note: string(msg), VKey: vkey}
	if r := te.do("POST", base+"/cosignatures", "secretariat", body); r.Status != http.StatusForbidden {
		t.Fatalf("the secretariat co-signing: %d", r.Status)
	}
	if r := te.do("POST", base+"/cosignatures", "M03", body); r.Status != http.StatusBadRequest || r.Problem(t).Field != "vkey" {
		t.Fatalf("M03 sending M02's co-signature: %d %s", r.Status, r.Body)
	}
	tampered := CosignBody{Note: strings.Replace(string(msg), latest.Note[:20], "x"+latest.Note[1:20], 1), VKey: vkey}
	if r := te.do("POST", base+"/cosignatures", "M02", tampered); r.Status != http.StatusBadRequest || r.Problem(t).Field != "note" {
		t.Fatalf("a tampered note: %d %s", r.Status, r.Body)
	}
	if r := te.do("POST", base+"/cosignatures", "M02", body); r.Status != http.StatusCreated {
		t.Fatalf("M02 co-signing: %d %s", r.Status, r.Body)
	}
	if r := te.do("POST", base+"/cosignatures", "M02", body); r.Status != http.StatusOK {
		t.Fatalf("M02 co-signing again: %d %s", r.Status, r.Body)
	}
	var list struct {
		Items []audit.CosignatureRecord `json:"items"`
	}
	te.do("GET", base+"/cosignatures", "auditor", nil).JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].Member != "M02" || list.Items[0].Size != latest.Size {
		t.Fatalf("co-signatures %+v", list.Items)
	}
	memberV, _ := audit.LoadVerifier(vkey)
	if names, err := audit.Cosigners([]byte(list.Items[0].Note), ledgerV, []note.Verifier{memberV}); err != nil || len(names) != 1 {
		t.Fatalf("the stored co-signature: %v %v", names, err)
	}
}

// A view's answer is cached by position: polling an unchanged log gets
// 304 Not Modified; an append changes the latest answer, never one as of
// an earlier position.
func TestViewETags(t *testing.T) {
	te := newTestEnv(t, true)
	base := "/v1/alliances/" + sampleAlliance
	first := te.do("GET", base+"/balances", "auditor", nil)
	etag := first.Header.Get("ETag")
	if first.Status != 200 || etag == "" {
		t.Fatalf("balances: %d, ETag %q", first.Status, etag)
	}
	// A cached answer's length is known: it is sent with it, not chunked.
	if got := first.Header.Get("Content-Length"); got != strconv.Itoa(len(first.Body)) {
		t.Errorf("balances of %d bytes sent with Content-Length %q", len(first.Body), got)
	}
	if r := te.do("GET", base+"/balances", "auditor", nil, "If-None-Match", etag); r.Status != http.StatusNotModified || len(r.Body) != 0 {
		t.Fatalf("an unchanged log polled with its ETag: %d (%d bytes), want 304", r.Status, len(r.Body))
	}
	if r := te.do("GET", base+"/balances", "M02", nil, "If-None-Match", etag); r.Status != http.StatusOK || r.Header.Get("ETag") == etag {
		t.Fatalf("a member polling with the auditor's ETag: %d, ETag %q: want its own answer", r.Status, r.Header.Get("ETag"))
	}
	n := te.last(sampleAlliance)
	r := te.do("POST", base+"/contributions", "M02", map[string]any{"member": "M02", "kind": "cash", "value": money(12345), "valuation": "declared", "counterparty": "M01"})
	var rc ledger.Receipt
	r.JSON(t, &rc)
	after := te.do("GET", fmt.Sprintf("%s/balances?min_seq=%d", base, rc.Last), "auditor", nil, "If-None-Match", etag)
	if after.Status != 200 || after.Header.Get("ETag") == etag || bytes.Equal(after.Body, first.Body) {
		t.Fatalf("after an append: %d, same ETag %v, same body %v", after.Status, after.Header.Get("ETag") == etag, bytes.Equal(after.Body, first.Body))
	}
	then := te.do("GET", fmt.Sprintf("%s/balances?as_of_seq=%d", base, n), "auditor", nil)
	if then.Header.Get("ETag") != etag || !bytes.Equal(then.Body, first.Body) {
		t.Fatal("the balances as of the earlier position changed")
	}
}

// Views named by path parameters are cached apart: two payouts' explanations,
// two members' statements.
func TestViewCacheKeysByPath(t *testing.T) {
	te := newTestEnv(t, true)
	base := "/v1/alliances/" + sampleAlliance
	if r := te.do("POST", base+"/pools", "secretariat", map[string]any{"pool": "POOL-CACHE", "amount": money(100_000), "project": "P1", "source": "test"}); r.Status != 201 {
		t.Fatalf("declare a pool: %d %s", r.Status, r.Body)
	}
	if r := te.do("POST", base+"/pools/POOL-CACHE/payouts", "secretariat", map[string]any{"method": "proportional"}); r.Status != 201 {
		t.Fatalf("commit its payout: %d %s", r.Status, r.Body)
	}
	var pools Page[projections.PoolFact]
	te.do("GET", fmt.Sprintf("%s/pools?min_seq=%d", base, te.last(sampleAlliance)), "auditor", nil).JSON(t, &pools)
	var seqs []uint64
	for _, p := range pools.Items {
		for _, po := range p.Payouts {
			if po.Adjusts == 0 {
				seqs = append(seqs, po.Seq)
			}
		}
	}
	if len(seqs) < 2 {
		t.Fatalf("the sample has %d payouts", len(seqs))
	}
	for _, seq := range seqs {
		var e Explanation
		te.do("GET", fmt.Sprintf("%s/payouts/%d/explanation", base, seq), "auditor", nil).JSON(t, &e)
		if e.Check == nil || e.Check.Payout != seq {
			t.Fatalf("the explanation of payout %d explains %+v", seq, e.Check)
		}
	}
	for _, m := range []string{"M02", "M03", "M02"} {
		var st Statement
		te.do("GET", base+"/members/"+m+"/statement", "auditor", nil).JSON(t, &st)
		if st.Balance.Member != m {
			t.Fatalf("the statement of %s is %s's", m, st.Balance.Member)
		}
	}
}
