package sharing_test

import (
	"math/big"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/alliance-ledger/alliance/projections/sharing"
	"github.com/google/go-cmp/cmp"
)

// ratFrom parses "13/3" or "-2"; a bad literal is a bug in the test.
func ratFrom(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic("bad rational " + s)
	}
	return r
}

func ratsFrom(ss ...string) []*big.Rat {
	out := make([]*big.Rat, len(ss))
	for i, s := range ss {
		out[i] = ratFrom(s)
	}
	return out
}

// ratStrs shows rationals as strings, so cmp can diff them.
func ratStrs(rs []*big.Rat) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.RatString()
	}
	return out
}

func ratSum(rs []*big.Rat) *big.Rat {
	s := new(big.Rat)
	for _, r := range rs {
		s.Add(s, r)
	}
	return s
}

// tableOf builds a table from a predicate on coalition masks.
func tableOf(n int, v func(m int) int64) []int64 {
	t := make([]int64, 1<<n)
	for m := 1; m < len(t); m++ {
		t[m] = v(m)
	}
	return t
}

// allCoalitions lists every nonempty coalition of the table, in mask order.
func allCoalitions(n int, t []int64) []sharing.Assessed {
	var as []sharing.Assessed
	for m := 1; m < 1<<n; m++ {
		as = append(as, sharing.Assessed{Members: membersOf(m), Value: t[m]})
	}
	return as
}

func membersOf(m int) []int {
	var ms []int
	for i := 0; m>>i != 0; i++ {
		if m>>i&1 != 0 {
			ms = append(ms, i)
		}
	}
	return ms
}

// TestPublishedValues checks the Shapley value of games whose values are
// published, through the table, through a Game listing every coalition
// (ShapleyExact) and through the dividends (ClosedForm).
func TestPublishedValues(t *testing.T) {
	for _, tc := range []struct {
		name  string
		n     int
		table []int64
		want  []string
	}{
		{
			// The design's worked check.
			name:  "design worked check",
			n:     3,
			table: []int64{0, 1, 1, 7, 1, 5, 4, 11},
			want:  []string{"13/3", "23/6", "17/6"},
		},
		{
			// Glove game: player 0 holds a left glove, 1 and 2 right ones; a
			// coalition is worth 1 if it holds a pair. Its Shapley value is
			// (2/3, 1/6, 1/6) (Maschler, Solan and Zamir, Game Theory, 2013,
			// the Shapley value chapter): player 0 completes a pair in the 4
			// of the 6 orders where it is not first.
			name: "glove game",
			n:    3,
			table: tableOf(3, func(m int) int64 {
				if m&1 != 0 && m&6 != 0 {
					return 1
				}
				return 0
			}),
			want: []string{"2/3", "1/6", "1/6"},
		},
		{
			// Airport game (Littlechild and Owen 1973, "A simple expression for
			// the Shapley value in a special case", Management Science 20):
			// planes needing runways costing 8 ≤ 20 ≤ 26 ≤ 40; a coalition
			// costs its longest runway. The Shapley value splits each segment
			// equally among the planes using it: 8/4 = 2; 2 + 12/3 = 6;
			// 6 + 6/2 = 9; 9 + 14 = 23. As a value game v = −cost.
			name: "airport game",
			n:    4,
			table: tableOf(4, func(m int) int64 {
				cost := []int64{8, 20, 26, 40}
				var c int64
				for i := range 4 {
					if m>>i&1 != 0 {
						c = max(c, cost[i])
					}
				}
				return -c
			}),
			want: []string{"-2", "-6", "-9", "-23"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sh, err := sharing.ShapleyTable(tc.n, tc.table)
			if err != nil {
				t.Fatal(err)
			}
			if !sh.Exact {
				t.Error("ShapleyTable says it is not exact")
			}
			if diff := cmp.Diff(tc.want, ratStrs(sh.Values)); diff != "" {
				t.Errorf("ShapleyTable (-want +got):\n%s", diff)
			}
			g, err := sharing.NewGame(tc.n, allCoalitions(tc.n, tc.table))
			if err != nil {
				t.Fatal(err)
			}
			ex, err := sharing.ShapleyExact(g)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ratStrs(ex.Values)); diff != "" {
				t.Errorf("ShapleyExact (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, ratStrs(g.ClosedForm())); diff != "" {
				t.Errorf("ClosedForm (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGloveBySize checks the explanation of the glove game: player 0 adds
// nothing alone, and 1 to every coalition of one or two right gloves.
func TestGloveBySize(t *testing.T) {
	sh, err := sharing.ShapleyTable(3, []int64{0, 0, 0, 1, 0, 1, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"0", "1", "1"}, {"0", "1/2", "0"}, {"0", "1/2", "0"}}
	for i := range want {
		if diff := cmp.Diff(want[i], ratStrs(sh.BySize[i])); diff != "" {
			t.Errorf("BySize[%d] (-want +got):\n%s", i, diff)
		}
	}
}

// TestSecurityCouncil is the UN Security Council of Shapley and Shubik
// (1954, "A method for evaluating the distribution of power in a committee
// system", APSR 48): 15 members, a resolution passes with all 5 permanent
// members and at least 4 of the 10 others. Each permanent member's power
// is 421/2145, each other member's 4/2145.
func TestSecurityCouncil(t *testing.T) {
	const permanent = 1<<5 - 1
	v := tableOf(15, func(m int) int64 {
		if m&permanent == permanent && bits.OnesCount(uint(m>>5)) >= 4 {
			return 1
		}
		return 0
	})
	sh, err := sharing.ShapleyTable(15, v)
	if err != nil {
		t.Fatal(err)
	}
	for i, phi := range sh.Values {
		want := "4/2145"
		if i < 5 {
			want = "421/2145"
		}
		if phi.RatString() != want {
			t.Errorf("member %d: φ = %s, want %s", i, phi.RatString(), want)
		}
	}
}

// bruteShapley computes the Shapley value and BySize by the definition,
// φ_i = Σ_{S⊆N∖{i}} |S|!(n−|S|−1)!/n! · (v(S∪{i}) − v(S)).
func bruteShapley(n int, v []int64) ([]*big.Rat, [][]*big.Rat) {
	fact := func(k int) *big.Int { return new(big.Int).MulRange(1, int64(max(k, 1))) }
	phi := make([]*big.Rat, n)
	bySize := make([][]*big.Rat, n)
	for i := range n {
		phi[i] = new(big.Rat)
		sums := make([]*big.Int, n)
		for s := range sums {
			sums[s] = new(big.Int)
		}
		for m := range 1 << n {
			if m>>i&1 != 0 {
				continue
			}
			s := bits.OnesCount(uint(m))
			marg := new(big.Int).Sub(big.NewInt(v[m|1<<i]), big.NewInt(v[m]))
			sums[s].Add(sums[s], marg)
			w := new(big.Rat).SetFrac(new(big.Int).Mul(fact(s), fact(n-s-1)), fact(n))
			phi[i].Add(phi[i], w.Mul(w, new(big.Rat).SetInt(marg)))
		}
		bySize[i] = make([]*big.Rat, n)
		for s := range n {
			bySize[i][s] = new(big.Rat).SetFrac(sums[s], new(big.Int).Binomial(int64(n-1), int64(s)))
		}
	}
	return phi, bySize
}

// randomTable draws a table with values in [-lim, lim], or any int64 if
// lim is 0.
func randomTable(rng *rand.Rand, n int, lim int64) []int64 {
	return tableOf(n, func(int) int64 {
		if lim == 0 {
			return int64(rng.Uint64())
		}
		return rng.Int64N(2*lim+1) - lim
	})
}

// randomGame draws a dividend game: some random coalitions with values in
// [-1e9, 1e9].
func randomGame(t *testing.T, rng *rand.Rand, n int) (*sharing.Game, []sharing.Assessed) {
	t.Helper()
	seen := map[int]bool{}
	var as []sharing.Assessed
	for range rng.IntN(2 * n * n) {
		m := 1 + rng.IntN(1<<n-1)
		if seen[m] {
			continue
		}
		seen[m] = true
		ms := membersOf(m)
		rng.Shuffle(len(ms), func(a, b int) { ms[a], ms[b] = ms[b], ms[a] })
		as = append(as, sharing.Assessed{Members: ms, Value: rng.Int64N(2e9+1) - 1e9})
	}
	g, err := sharing.NewGame(n, as)
	if err != nil {
		t.Fatal(err)
	}
	return g, as
}

func gamesPerSize() int {
	if raceEnabled || testing.Short() {
		return 15
	}
	return 60
}

// TestShapleyProperties checks, over many random games of 1 to 8 players,
// the definition (by brute force), efficiency, symmetry,
// the null player and additivity (Shapley's axioms, Shapley 1953), for
// tables with moderate and with arbitrary int64 values.
func TestShapleyProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 8; n++ {
		for k := range gamesPerSize() {
			lim := int64(1e9)
			if k%3 == 2 {
				lim = 0 // any int64: sums and differences overflow 64 bits
			}
			v := randomTable(rng, n, lim)
			sh, err := sharing.ShapleyTable(n, v)
			if err != nil {
				t.Fatal(err)
			}
			if n <= 6 || k%4 == 0 { // the definition is slow for more players
				phi, bySize := bruteShapley(n, v)
				if diff := cmp.Diff(ratStrs(phi), ratStrs(sh.Values)); diff != "" {
					t.Fatalf("n=%d game %d: φ differs from the definition (-want +got):\n%s", n, k, diff)
				}
				for i := range n {
					if diff := cmp.Diff(ratStrs(bySize[i]), ratStrs(sh.BySize[i])); diff != "" {
						t.Fatalf("n=%d game %d: BySize[%d] differs from the definition (-want +got):\n%s", n, k, i, diff)
					}
				}
			}
			// Efficiency.
			if got, want := ratSum(sh.Values), new(big.Rat).SetInt64(v[len(v)-1]); got.Cmp(want) != 0 {
				t.Fatalf("n=%d game %d: Σφ = %s, v(N) = %s", n, k, got.RatString(), want.RatString())
			}
			if lim == 0 {
				continue // the derived games below could overflow
			}
			// Additivity.
			w := randomTable(rng, n, lim)
			vw := make([]int64, len(v))
			for m := range v {
				vw[m] = v[m] + w[m]
			}
			shW, _ := sharing.ShapleyTable(n, w)
			shVW, _ := sharing.ShapleyTable(n, vw)
			for i := range n {
				if sum := new(big.Rat).Add(sh.Values[i], shW.Values[i]); sum.Cmp(shVW.Values[i]) != 0 {
					t.Fatalf("n=%d game %d: φ_%d(v+w) = %s, φ_%d(v)+φ_%d(w) = %s", n, k, i, shVW.Values[i].RatString(), i, i, sum.RatString())
				}
			}
			if n < 2 {
				continue
			}
			// Symmetry: v'(S) = v(S) + v(S with i and j swapped).
			i := rng.IntN(n)
			j := (i + 1 + rng.IntN(n-1)) % n
			swap := func(m int) int {
				bi, bj := m>>i&1, m>>j&1
				m &^= 1<<i | 1<<j
				return m | bi<<j | bj<<i
			}
			sym := tableOf(n, func(m int) int64 { return v[m] + v[swap(m)] })
			shS, _ := sharing.ShapleyTable(n, sym)
			if shS.Values[i].Cmp(shS.Values[j]) != 0 {
				t.Fatalf("n=%d game %d: symmetric players %d and %d get %s and %s", n, k, i, j, shS.Values[i].RatString(), shS.Values[j].RatString())
			}
			// Null player: v'(S) = v(S without p).
			p := rng.IntN(n)
			null := tableOf(n, func(m int) int64 { return v[m&^(1<<p)] })
			shN, _ := sharing.ShapleyTable(n, null)
			if shN.Values[p].Sign() != 0 {
				t.Fatalf("n=%d game %d: null player %d gets %s", n, k, p, shN.Values[p].RatString())
			}
		}
	}
}

// TestDividendGames checks a Game built from random coalitions: every
// listed coalition is worth its assessed value, its table agrees with Value,
// the dividends sum to v(N), and ShapleyExact equals ClosedForm (Harsanyi
// 1963).
func TestDividendGames(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 1; n <= 8; n++ {
		for k := range gamesPerSize() {
			g, as := randomGame(t, rng, n)
			for j, a := range as {
				if got := g.Value(a.Members); got != a.Value {
					t.Fatalf("n=%d game %d: coalition %d %v is worth %d, assessed at %d", n, k, j, a.Members, got, a.Value)
				}
			}
			v, err := g.Table()
			if err != nil {
				t.Fatal(err)
			}
			for m := range v {
				if got := g.Value(membersOf(m)); got != v[m] {
					t.Fatalf("n=%d game %d: Value(%v) = %d, table says %d", n, k, membersOf(m), got, v[m])
				}
			}
			if g.Grand() != v[len(v)-1] {
				t.Fatalf("n=%d game %d: Grand() = %d, table says %d", n, k, g.Grand(), v[len(v)-1])
			}
			sh, err := sharing.ShapleyExact(g)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(ratStrs(g.ClosedForm()), ratStrs(sh.Values)); diff != "" {
				t.Fatalf("n=%d game %d: ShapleyExact differs from ClosedForm (-closed +exact):\n%s", n, k, diff)
			}
		}
	}
}

// TestExactLarge holds ShapleyExact on the largest tables to the closed
// form of their dividends, for the most players computed exactly.
func TestExactLarge(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("2^20 coalitions: slow under the race detector")
	}
	for _, n := range []int{17, sharing.MaxExact} {
		g, err := sharing.SynergyGame(n, uint64(n))
		if err != nil {
			t.Fatal(err)
		}
		sh, err := sharing.ShapleyExact(g)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(ratStrs(g.ClosedForm()), ratStrs(sh.Values)); diff != "" {
			t.Errorf("n=%d: ShapleyExact differs from ClosedForm (-closed +exact):\n%s", n, diff)
		}
	}
}
