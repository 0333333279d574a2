package api

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/alliance-ledger/alliance/projections"
)

func (bm *balancesMemo) computed() int {
	bm.mu.Lock()
	defer bm.mu.Unlock()
	return bm.fills
}

// Every answer about balances at one position is cut from one computed
// view, and cutting a member's answer from it leaves it whole for the
// next reader.
func TestBalancesComputedOncePerPosition(t *testing.T) {
	te := newTestEnv(t, true)
	base := "/v1/alliances/" + sampleAlliance
	n := te.last(sampleAlliance)
	var want projections.Balances
	if err := te.Server.view(t.Context(), sampleAlliance, 0, func(m *projections.Model) error {
		b, err := m.Balances(projections.Query{Seq: n})
		if err == nil {
			want = *b
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(want.Members) < 3 {
		t.Fatalf("the sample has %d members with balances", len(want.Members))
	}
	before := te.Server.balancesMemo.computed()
	at := fmt.Sprintf("as_of_seq=%d", n)
	for _, r := range []struct{ path, token, member string }{
		{base + "/balances?member=M02&" + at, "secretariat", "M02"},
		{base + "/balances?" + at, "M03", "M03"}, // a member reads its own row only
		{base + "/balances?member=M04&detail=projects&" + at, "auditor", "M04"},
	} {
		var got projections.Balances
		te.do("GET", r.path, r.token, nil).JSON(t, &got)
		if len(got.Members) != 1 || got.Members[0].Member != r.member {
			t.Fatalf("GET %s as %s: members %+v, want %s's only", r.path, r.token, got.Members, r.member)
		}
	}
	var st Statement
	te.do("GET", fmt.Sprintf("%s/members/M05/statement?%s", base, at), "auditor", nil).JSON(t, &st)
	if st.Balance.Member != "M05" {
		t.Fatalf("the statement of M05 is %q's", st.Balance.Member)
	}
	var full any
	te.do("GET", fmt.Sprintf("%s/balances?detail=projects&%s", base, at), "auditor", nil).JSON(t, &full)
	if d := cmp.Diff(roundTrip(t, &want), full); d != "" {
		t.Fatalf("the alliance's balances after members' reads differ from the projection (-want +got):\n%s", d)
	}
	if got := te.Server.balancesMemo.computed() - before; got != 1 {
		t.Errorf("the balances as of %d were computed %d times for five answers, want once", n, got)
	}
	// Another position is another view; past the memo's size the least
	// recently used goes.
	memo := te.Server.balancesMemo
	memo.mu.Lock()
	memo.max = 2
	memo.mu.Unlock()
	// Each read asks for another member's row, so that the answer is not
	// in the response cache and the view is looked for in the memo.
	read := func(seq uint64, member string) {
		te.do("GET", fmt.Sprintf("%s/balances?as_of_seq=%d&member=%s", base, seq, member), "auditor", nil)
	}
	read(n-1, "M01")
	read(n, "M01")
	read(n-2, "M01") // n-1 goes
	if got := memo.computed() - before; got != 3 {
		t.Errorf("reads at two more positions: %d computations in all, want 3", got)
	}
	read(n, "M06") // kept
	read(n-1, "M06")
	if got := memo.computed() - before; got != 4 {
		t.Errorf("reads at a kept position and an evicted one: %d computations in all, want 4", got)
	}
}

func TestBalancesMemoKeepsNoErrors(t *testing.T) {
	bm := newBalancesMemo()
	bm.max = 2
	m := projections.NewModel("a")
	get := func(seq uint64) {
		t.Helper()
		// An empty model answers no position: the error is not kept.
		if _, err := bm.get("a", m, projections.Query{Seq: seq}); err == nil {
			t.Fatalf("balances as of %d of an empty model: no error", seq)
		}
	}
	get(1)
	get(1)
	if bm.computed() != 2 || len(bm.entries) != 0 || len(bm.order) != 0 {
		t.Fatalf("errors: %d computations, %d entries, %d in order; want 2, 0, 0", bm.computed(), len(bm.entries), len(bm.order))
	}
}
