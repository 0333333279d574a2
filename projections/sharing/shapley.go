package sharing

import (
	"fmt"
	"math/big"
	"math/bits"
)

// Shapley is a Shapley value φ, exact or sampled, with what explains it.
type Shapley struct {
	// Values are φ_i: exact, or the sample mean when sampled (an exact
	// rational: the sum of the integer marginals over the samples).
	Values []*big.Rat
	Exact  bool

	// BySize, exact only: BySize[i][s] is player i's mean marginal
	// contribution v(S∪{i})−v(S) over the C(n−1,s) coalitions S of size s
	// not containing i, and φ_i = (1/n)·Σ_s BySize[i][s]. This is how an
	// explanation shows why a player gets what it gets.
	BySize [][]*big.Rat

	// Sampled only.
	Seed      uint64    // the generator's seed: with Samples, it reproduces Values
	Samples   int       // permutations drawn (an antithetic pair counts as 2)
	StdErr    []float64 // estimated standard error of each φ_i, informational
	MaxRelErr float64   // max over i with φ_i ≠ 0 of z·StdErr_i/|φ_i|, z the normal quantile of 1 − 0.025/n: an estimated 95% bound for all players at once; informational
}

// ShapleyTable returns the exact Shapley value of the game given by its
// table: v[m] is the worth of the coalition whose bitmask is m (bit i is
// player i), len(v) = 2^n, v[0] = 0, 1 ≤ n ≤ MaxExact. Any int64 values
// are accepted: nothing overflows.
//
// Rather than sum over coalitions per player, it sums, per player and
// coalition size, the values of the coalitions holding the player
// (A_i[s], size s+1) and not holding it (B_i[s], size s): the marginals
// over coalitions of size s add up to A_i[s] − B_i[s]. That is about 2^n
// integer additions (see below) and only n² rationals at the end.
func ShapleyTable(n int, v []int64) (*Shapley, error) {
	if n < 1 || n > MaxExact {
		return nil, fmt.Errorf("n = %d players: the exact Shapley value takes 1 to %d", n, MaxExact)
	}
	if len(v) != 1<<n {
		return nil, fmt.Errorf("the table has %d values; %d players need %d", len(v), n, 1<<n)
	}
	if v[0] != 0 {
		return nil, fmt.Errorf("v(∅) = %d; the empty coalition must be worth 0", v[0])
	}

	// Sum per player and size in two steps. Split the players into the low
	// k and the high h = n−k, so a coalition is H∪L. One pass over the
	// table sums, for each L, the values over the H of each size (gl), and
	// for each H, over the L of each size (gh); then a player of L sums gl
	// over the L holding it, one of H sums gh likewise. That is 2^n steps
	// plus about n·2^(n/2)·n/4, rather than n·2^(n−1).
	k := n / 2
	h := n - k
	pcl := make([]uint8, 1<<k) // |L|
	for L := range pcl {
		pcl[L] = uint8(bits.OnesCount(uint(L)))
	}
	gl := make([]split, (1<<k)*(h+1)) // gl[L*(h+1)+d]: Σ v(H∪L) over |H| = d
	gh := make([]split, (1<<h)*(k+1)) // gh[H*(k+1)+e]: Σ v(H∪L) over |L| = e
	for H := range 1 << h {
		d := bits.OnesCount(uint(H))
		row := v[H<<k : (H+1)<<k]
		ghRow := gh[H*(k+1) : (H+1)*(k+1)]
		for L, x := range row {
			gl[L*(h+1)+d].add(x)
			ghRow[pcl[L]].add(x)
		}
	}
	w := n + 1
	in := make([]split, n*w) // in[i*w+c]: Σ v(T) over |T| = c, T ∋ i
	all := make([]split, w)  // Σ v(T) over |T| = c
	for L := range 1 << k {
		e := int(pcl[L])
		for d, g := range gl[L*(h+1) : (L+1)*(h+1)] {
			all[e+d].addSplit(g)
			for m := L; m != 0; m &= m - 1 {
				in[bits.TrailingZeros(uint(m))*w+e+d].addSplit(g)
			}
		}
	}
	for H := range 1 << h {
		d := bits.OnesCount(uint(H))
		for e, g := range gh[H*(k+1) : (H+1)*(k+1)] {
			for m := H; m != 0; m &= m - 1 {
				in[(k+bits.TrailingZeros(uint(m)))*w+d+e].addSplit(g)
			}
		}
	}

	sh := &Shapley{Values: make([]*big.Rat, n), Exact: true, BySize: make([][]*big.Rat, n)}
	binom := make([]*big.Int, n) // C(n−1, s)
	for s := range n {
		binom[s] = new(big.Int).Binomial(int64(n-1), int64(s))
	}
	nRat := new(big.Rat).SetInt64(int64(n))
	for i := range n {
		row := make([]*big.Rat, n)
		sum := new(big.Rat)
		for s := range n {
			a := in[i*w+s+1].int()                                               // Σ v(S∪{i}) over |S| = s, i ∉ S
			b := split{all[s].lo - in[i*w+s].lo, all[s].hi - in[i*w+s].hi}.int() // Σ v(S) over the same S
			row[s] = new(big.Rat).SetFrac(a.Sub(a, b), binom[s])                 // the mean marginal
			sum.Add(sum, row[s])
		}
		sh.BySize[i] = row
		sh.Values[i] = sum.Quo(sum, nRat)
	}
	return sh, nil
}

// ShapleyExact returns the exact Shapley value of a game of at most
// MaxExact players, from its table.
func ShapleyExact(g *Game) (*Shapley, error) {
	v, err := g.Table()
	if err != nil {
		return nil, err
	}
	return ShapleyTable(g.n, v)
}

// ComputeShapley returns the exact Shapley value if the game has at most
// MaxExact players, else the value sampled with the seed and samples (see
// ShapleySampled); seed and samples are ignored when exact.
func ComputeShapley(g *Game, seed uint64, samples int) (*Shapley, error) {
	if g.n <= MaxExact {
		return ShapleyExact(g)
	}
	return ShapleySampled(g, seed, samples)
}

// split is a sum of int64 values kept as the sums of their low 32 bits
// (unsigned) and high 32 bits (signed): each half-sum of up to 2^20 values
// stays below 2^52, so plain int64 additions are exact, and cheaper than
// 128-bit or big arithmetic.
type split struct{ lo, hi int64 }

func (s *split) add(x int64) {
	s.lo += int64(uint32(x))
	s.hi += x >> 32
}

func (s *split) addSplit(t split) {
	s.lo += t.lo
	s.hi += t.hi
}

// int returns the sum hi·2^32 + lo.
func (s split) int() *big.Int {
	z := big.NewInt(s.hi)
	z.Lsh(z, 32)
	return z.Add(z, big.NewInt(s.lo))
}
