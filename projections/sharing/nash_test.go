package sharing_test

import (
	"math/big"
	"strings"
	"testing"

	"github.com/alliance-ledger/alliance/projections/sharing"
	"github.com/google/go-cmp/cmp"
)

// TestNash checks textbook splits. With a transferable surplus π the Nash
// bargaining solution (Nash 1950, "The bargaining problem", Econometrica
// 18) splits the difference, x_i = d_i + ½(π − d_A − d_B), and the
// asymmetric one gives each its bargaining power's share of the surplus,
// x_i = d_i + τ_i(π − d_A − d_B) (Muthoo, Bargaining Theory with
// Applications, 1999, ch. 2).
func TestNash(t *testing.T) {
	for _, tc := range []struct {
		name     string
		grand    string
		d, alpha []string
		want     []string
	}{
		{"split the difference", "100", []string{"20", "10"}, []string{"1", "1"}, []string{"55", "45"}},
		{"symmetric, no outside options", "1", []string{"0", "0"}, []string{"1", "1"}, []string{"1/2", "1/2"}},
		{"asymmetric powers 1/4, 3/4", "1", []string{"0", "0"}, []string{"1", "3"}, []string{"1/4", "3/4"}},
		{"three players, a zero weight", "30", []string{"5", "6", "7"}, []string{"2", "0", "1"}, []string{"13", "6", "11"}},
		{"no surplus", "18", []string{"5", "6", "7"}, []string{"2", "0", "1"}, []string{"5", "6", "7"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sharing.Nash(ratFrom(tc.grand), ratsFrom(tc.d...), ratsFrom(tc.alpha...))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ratStrs(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestNashErrors checks each refusal names what is wrong.
func TestNashErrors(t *testing.T) {
	one := ratFrom("1")
	for _, tc := range []struct {
		grand    *big.Rat
		d, alpha []*big.Rat
		want     string
	}{
		{one, ratsFrom("0", "0"), ratsFrom("1"), "1 bargaining weights for 2 disagreement points"},
		{one, nil, nil, "no players"},
		{nil, ratsFrom("0"), ratsFrom("1"), "v(N) is missing"},
		{one, ratsFrom("0", "0"), ratsFrom("1", "-2"), "bargaining weight 1 is negative (-2)"},
		{one, ratsFrom("0", "0"), ratsFrom("0", "0"), "all 2 bargaining weights are zero"},
		{ratFrom("10"), ratsFrom("6", "11/2"), ratsFrom("1", "1"), "negative surplus: v(N) = 10 but the disagreement points sum to 23/2"},
		{one, []*big.Rat{nil}, ratsFrom("1"), "disagreement point 0 is missing"},
		{one, ratsFrom("0"), []*big.Rat{nil}, "bargaining weight 0 is missing"},
	} {
		if _, err := sharing.Nash(tc.grand, tc.d, tc.alpha); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}
