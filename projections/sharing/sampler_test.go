package sharing_test

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/alliance-ledger/alliance/projections/sharing"
	"github.com/google/go-cmp/cmp"
)

// TestSampledDeterministic: the same seed gives identical values and
// estimates; another seed gives other values.
func TestSampledDeterministic(t *testing.T) {
	g, err := sharing.SynergyGame(30, 5)
	if err != nil {
		t.Fatal(err)
	}
	a, err := sharing.ShapleySampled(g, 11, 200)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := sharing.ShapleySampled(g, 11, 200)
	c, _ := sharing.ShapleySampled(g, 12, 200)
	if diff := cmp.Diff(ratStrs(a.Values), ratStrs(b.Values)); diff != "" {
		t.Errorf("same seed, different values:\n%s", diff)
	}
	if diff := cmp.Diff(a.StdErr, b.StdErr); diff != "" || a.MaxRelErr != b.MaxRelErr {
		t.Errorf("same seed, different estimates:\n%s", diff)
	}
	if cmp.Equal(ratStrs(a.Values), ratStrs(c.Values)) {
		t.Error("seeds 11 and 12 give the same values")
	}
	if a.Exact || a.BySize != nil || a.Seed != 11 || a.Samples != 200 || len(a.StdErr) != 30 {
		t.Errorf("sampled result says Exact=%v BySize=%v Seed=%d Samples=%d, %d errors", a.Exact, a.BySize != nil, a.Seed, a.Samples, len(a.StdErr))
	}
	// Each value is a sum of integer marginals over the samples.
	den := big.NewInt(int64(a.Samples))
	for i, v := range a.Values {
		if new(big.Int).Mod(den, v.Denom()).Sign() != 0 {
			t.Errorf("φ_%d = %s: denominator does not divide %d", i, v.RatString(), a.Samples)
		}
	}
	// Efficiency holds for every permutation, hence for the mean.
	if got := ratSum(a.Values); got.Cmp(new(big.Rat).SetInt64(g.Grand())) != 0 {
		t.Errorf("Σφ = %s, v(N) = %d", got.RatString(), g.Grand())
	}
}

// TestSampledPairGamesExact: an antithetic pair meets each pair of players
// in both orders, so games of singles and pairs are sampled exactly, with
// zero estimated error, whatever the seed.
func TestSampledPairGamesExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 2, 3, 7, 25} {
		var as []sharing.Assessed
		for i := range n {
			as = append(as, sharing.Assessed{Members: []int{i}, Value: rng.Int64N(1e6)})
			for j := range i {
				if rng.IntN(2) == 0 {
					as = append(as, sharing.Assessed{Members: []int{i, j}, Value: rng.Int64N(4e6) - 1e6})
				}
			}
		}
		g, err := sharing.NewGame(n, as)
		if err != nil {
			t.Fatal(err)
		}
		sh, err := sharing.ShapleySampled(g, rng.Uint64(), 4)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(ratStrs(g.ClosedForm()), ratStrs(sh.Values)); diff != "" {
			t.Errorf("n=%d: sampled differs from exact (-exact +sampled):\n%s", n, diff)
		}
		for i, e := range sh.StdErr {
			if e != 0 {
				t.Errorf("n=%d: StdErr[%d] = %g, want 0", n, i, e)
			}
		}
		if sh.MaxRelErr != 0 {
			t.Errorf("n=%d: MaxRelErr = %g, want 0", n, sh.MaxRelErr)
		}
	}
}

// relErrs returns each player's true relative error against the exact
// value, as float64 (informational, like the estimates).
func relErrs(got, exact []*big.Rat) []float64 {
	out := make([]float64, len(got))
	for i := range got {
		d := new(big.Rat).Sub(got[i], exact[i])
		if exact[i].Sign() != 0 {
			d.Quo(d, exact[i])
		}
		f, _ := d.Float64()
		out[i] = math.Abs(f)
	}
	return out
}

// TestSampledAccuracy checks the estimates against the truth on
// SynergyGame(60, 1) with DefaultSamples. The seeds are fixed, so the test
// is deterministic. MaxRelErr is a 95% bound for all players at once
// (Bonferroni over the players); each player is also held to 4 standard
// errors, which holds for all 60 players at once with probability above
// 99.5%.
func TestSampledAccuracy(t *testing.T) {
	g, err := sharing.SynergyGame(60, 1)
	if err != nil {
		t.Fatal(err)
	}
	sh, err := sharing.ShapleySampled(g, 1, sharing.DefaultSamples)
	if err != nil {
		t.Fatal(err)
	}
	errs := relErrs(sh.Values, g.ClosedForm())
	worst := 0.0
	for i, e := range errs {
		worst = max(worst, e)
		phi, _ := sh.Values[i].Float64()
		if abs := e * math.Abs(phi); abs > 4*sh.StdErr[i] {
			t.Errorf("φ_%d is off by %.0f, more than 4 standard errors (%.0f)", i, abs, sh.StdErr[i])
		}
	}
	t.Logf("true max relative error %.4f%%, reported bound %.4f%%", 100*worst, 100*sh.MaxRelErr)
	if worst > sh.MaxRelErr {
		t.Errorf("true max relative error %.4f%% is above the reported %.4f%%", 100*worst, 100*sh.MaxRelErr)
	}
	if sh.MaxRelErr > 0.01 {
		t.Errorf("reported max relative error %.4f%% is above 1%%", 100*sh.MaxRelErr)
	}
}

// TestComputeShapley: exact up to MaxExact players, sampled beyond.
func TestComputeShapley(t *testing.T) {
	for _, n := range []int{sharing.MaxExact, sharing.MaxExact + 1} {
		if raceEnabled && n == sharing.MaxExact {
			continue // a 2^20 table is slow under the race detector
		}
		g, err := sharing.NewGame(n, []sharing.Assessed{{Members: []int{0}, Value: 3}, {Members: []int{0, 1, 2}, Value: 12}})
		if err != nil {
			t.Fatal(err)
		}
		sh, err := sharing.ComputeShapley(g, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		if sh.Exact != (n <= sharing.MaxExact) {
			t.Errorf("n=%d: Exact = %v", n, sh.Exact)
		}
		if !sh.Exact && sh.Samples != sharing.DefaultSamples {
			t.Errorf("n=%d: samples 0 drew %d, want DefaultSamples %d", n, sh.Samples, sharing.DefaultSamples)
		}
		if got := ratSum(sh.Values); got.Cmp(big.NewRat(12, 1)) != 0 {
			t.Errorf("n=%d: Σφ = %s, want 12", n, got.RatString())
		}
	}
}

// TestSamplesErrors: sampling takes an even number of at least 4.
func TestSamplesErrors(t *testing.T) {
	g, _ := sharing.NewGame(2, nil)
	for _, s := range []int{-4, 2, 3, 7} {
		if _, err := sharing.ShapleySampled(g, 1, s); err == nil || !strings.Contains(err.Error(), "an even number, at least 4") {
			t.Errorf("samples %d: %v", s, err)
		}
	}
}

// TestBenchmarkGames checks the benchmark games are what they say.
func TestBenchmarkGames(t *testing.T) {
	v := sharing.RandomTable(8, 3)
	if len(v) != 256 || v[0] != 0 {
		t.Fatalf("RandomTable(8, 3): %d values, v[0] = %d", len(v), v[0])
	}
	for m, x := range v[1:] {
		if x < 0 || x >= 1e9 {
			t.Errorf("v[%d] = %d outside [0, 1e9)", m+1, x)
		}
	}
	if !cmp.Equal(v, sharing.RandomTable(8, 3)) || cmp.Equal(v, sharing.RandomTable(8, 4)) {
		t.Error("RandomTable is not a function of its seed")
	}
	ranges := map[int][2]int64{1: {1e6, 1e7}, 2: {0, 1e5}, 3: {0, 5e5}} // by coalition size
	for _, n := range []int{1, 2, 3, 8, 9, 40} {
		g, err := sharing.SynergyGame(n, 2)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[int]int{}
		for _, d := range g.Dividends() {
			counts[len(d.Members)]++
			r := ranges[len(d.Members)]
			lo, hi := r[0], r[1]
			if d.Value < lo || d.Value >= hi {
				t.Errorf("n=%d: dividend of %v is %d, outside [%d, %d)", n, d.Members, d.Value, lo, hi)
			}
		}
		triples := min(10*n, n*(n-1)*(n-2)/6)
		if counts[1] != n || counts[2] != n*(n-1)/2 || counts[3] != triples || len(counts) > 3 {
			t.Errorf("n=%d: coalitions by size %v, want %d singles, %d pairs, %d triples", n, counts, n, n*(n-1)/2, triples)
		}
	}
	if _, err := sharing.SynergyGame(1001, 1); err == nil || !strings.Contains(err.Error(), "n = 1001: the synergy game takes 1 to 1000 players") {
		t.Errorf("SynergyGame(1001): %v", err)
	}
	if _, err := sharing.SynergyGame(0, 1); err == nil || !strings.Contains(err.Error(), "n = 0") {
		t.Errorf("SynergyGame(0): %v", err)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "n = 21, want 1 to 20") {
			t.Errorf("RandomTable(21) recovered %v", r)
		}
	}()
	sharing.RandomTable(21, 1)
}
