package sharing

import (
	"fmt"
	"slices"
)

// RandomTable returns a random game table for 1 ≤ n ≤ MaxExact players:
// v[0] = 0 and every other value uniform in [0, 1e9), drawn in mask order
// from this package's generator, so a seed gives the same table
// everywhere. It panics if n is out of range, like make with a bad size.
func RandomTable(n int, seed uint64) []int64 {
	if n < 1 || n > MaxExact {
		panic(fmt.Sprintf("sharing: RandomTable: n = %d, want 1 to %d", n, MaxExact))
	}
	rng := splitMix{seed}
	v := make([]int64, 1<<n)
	for m := 1; m < len(v); m++ {
		v[m] = int64(rng.below(1e9))
	}
	return v
}

// maxSynergyPlayers bounds SynergyGame: it lists every pair, n(n−1)/2.
const maxSynergyPlayers = 1000

// SynergyGame returns a benchmark game of n players, 1 ≤ n ≤ 1000: a
// weighted additive game with pairwise synergies and some higher-order
// terms. Each single is worth a value uniform in [1e6, 1e7), every pair
// adds a synergy uniform in [0, 1e5), and min(10n, C(n,3)) random distinct
// triples add dividends uniform in [0, 5e5). It is built through NewGame
// from assessed values (a pair is worth its singles plus its synergy, and
// so on), so its dividends are exactly those drawn, and its exact Shapley
// value is ClosedForm(). Draw order: singles, pairs in lexicographic
// order, then triples (three players, rejected unless distinct and new,
// then the dividend).
func SynergyGame(n int, seed uint64) (*Game, error) {
	if n < 1 || n > maxSynergyPlayers {
		return nil, fmt.Errorf("n = %d: the synergy game takes 1 to %d players (it lists every pair)", n, maxSynergyPlayers)
	}
	rng := splitMix{seed}
	single := make([]int64, n)
	for i := range single {
		single[i] = 1e6 + int64(rng.below(9e6))
	}
	syn := make([]int64, n*n) // syn[i*n+j], i < j
	as := make([]Assessed, 0, n+n*(n-1)/2+10*n)
	for i := range n {
		as = append(as, Assessed{Members: []int{i}, Value: single[i]})
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			syn[i*n+j] = int64(rng.below(1e5))
			as = append(as, Assessed{Members: []int{i, j}, Value: single[i] + single[j] + syn[i*n+j]})
		}
	}
	triples := 10 * n
	if n < 3 {
		triples = 0
	} else if all := n * (n - 1) * (n - 2) / 6; all < triples {
		triples = all
	}
	seen := make(map[[3]int]bool, triples)
	for len(seen) < triples {
		t := [3]int{int(rng.below(uint64(n))), int(rng.below(uint64(n))), int(rng.below(uint64(n)))}
		slices.Sort(t[:])
		if t[0] == t[1] || t[1] == t[2] || seen[t] {
			continue
		}
		seen[t] = true
		a, b, c := t[0], t[1], t[2]
		d := int64(rng.below(5e5))
		v := single[a] + single[b] + single[c] + syn[a*n+b] + syn[a*n+c] + syn[b*n+c] + d
		as = append(as, Assessed{Members: []int{a, b, c}, Value: v})
	}
	return NewGame(n, as)
}
