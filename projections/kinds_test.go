package projections

import (
	"slices"
	"testing"

	"github.com/alliance-ledger/alliance/ledger"
)

// kindsInOrder agrees with a sort's check by kindOrder, for kinds in and
// out of order, repeated, and unknown to the ledger.
func TestKindsInOrder(t *testing.T) {
	ks := ledger.ContributionKinds
	cases := [][]string{
		{}, {ks[0]}, {ks[0], ks[1]}, {ks[1], ks[3], ks[5]}, ks,
		{ks[1], ks[0]}, {ks[2], ks[2]}, {ks[0], "unknown"}, {"unknown"}, {ks[5], ks[4], ks[3]},
	}
	for _, c := range cases {
		var as []KindAmounts
		for _, k := range c {
			as = append(as, KindAmounts{Kind: k})
		}
		// Strictly increasing in the ledger's order, each kind known.
		want := true
		for i := range c {
			if kindOrder(c[i]) == len(ks) || i > 0 && kindOrder(c[i-1]) >= kindOrder(c[i]) {
				want = false
			}
		}
		if got := kindsInOrder(as); got != want {
			t.Errorf("kindsInOrder(%v) = %v, want %v", c, got, want)
		}
		// Either way, finish leaves them sorted.
		a := Amounts{ByKind: as}
		a.finish()
		if !slices.IsSortedFunc(a.ByKind, func(x, y KindAmounts) int { return kindOrder(x.Kind) - kindOrder(y.Kind) }) {
			t.Errorf("finish left %v unsorted", a.ByKind)
		}
	}
}
