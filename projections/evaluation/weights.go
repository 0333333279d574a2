package evaluation

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"

	"github.com/alliance-ledger/alliance/ledger/ahp"
)

// EntropyWeights computes entropy weights from a data matrix x[i][j]: row i
// is a sample (a member, or a period), column j an indicator. Values must be
// ≥ 0 with larger meaning better, so normalise the raw figures first (see
// Norm). For each column
//
//	p_ij = x_ij / Σ_i x_ij
//	e_j  = −(1/ln m)·Σ_i p_ij·ln p_ij   (0·ln 0 = 0; m is the number of rows)
//	d_j  = 1 − e_j
//	w_j  = d_j / Σ_k d_k
//
// An indicator that does not vary between the samples tells them apart no
// better than none: a column whose values are all equal (all zero
// included) gets d_j = 0 exactly, which is what the formula gives in exact
// arithmetic (all zero has no p_ij at all). If every d_j is 0 there is
// nothing to go by and the weights are equal.
//
// The weights may decide money, so they must come out the same bit for bit
// on every platform, as ledger/ahp's do:
//
//   - The entropies are computed in float64 using only +, −, ×, ÷ and exact
//     operations, sums in index order, every product written float64(x*y)
//     so that the compiler cannot fuse it with an addition into one FMA
//     (which it does on arm64, ppc64le, s390x and riscv64, and on amd64
//     built with GOAMD64=v3 or higher).
//   - ln is computed here, not by math.Log: math.Log runs assembly on amd64
//     and s390x and Go elsewhere, and these need not agree in the last bit
//     (the assembly is even wrong for subnormal numbers, golang/go#56600:
//     it gives ln 5e-324 as −709.09 instead of −744.44).
//   - d_j is clamped to [0, 1] (e_j ∈ [0, 1] in exact arithmetic; outside
//     only by rounding).
//   - The d_j are made exact (every float64 is a rational), normalised
//     exactly and quantised to 6 decimals by the largest remainder method,
//     ties to the lower index, so that they sum to exactly 1. These
//     quantised weights are the ones that count.
//
// Errors name what is wrong: fewer than 2 rows (one sample has no
// dispersion to measure), no columns, ragged rows, and a negative or
// non-finite value, naming the cell as x[i][j].
func EntropyWeights(x [][]float64) ([]*big.Rat, error) {
	m := len(x)
	if m < 2 {
		return nil, fmt.Errorf("x: %d rows; the entropy method needs at least 2 samples (rows) to measure how an indicator varies", m)
	}
	n := len(x[0])
	if n == 0 {
		return nil, fmt.Errorf("x[0]: the row is empty; at least 1 indicator (column) is needed")
	}
	for i, row := range x {
		if len(row) != n {
			return nil, fmt.Errorf("x[%d]: the row has %d values, want %d like x[0]: every sample needs a value for every indicator", i, len(row), n)
		}
	}
	for i, row := range x {
		for j, v := range row {
			switch {
			case math.IsNaN(v) || math.IsInf(v, 0):
				return nil, fmt.Errorf("x[%d][%d]: %v is not a finite number", i, j, v)
			case v < 0:
				return nil, fmt.Errorf("x[%d][%d]: %v is negative; the entropy method needs values ≥ 0 (normalise the indicator first)", i, j, v)
			}
		}
	}

	lnM := entropyLn(float64(m))
	col := make([]float64, m)
	d := make([]float64, n)
	for j := range d {
		for i := range col {
			col[i] = x[i][j]
		}
		d[j] = entropyDivergence(col, lnM)
	}

	shares := make([]*big.Rat, n)
	total := new(big.Rat)
	for j, dj := range d {
		shares[j] = new(big.Rat).SetFloat64(dj) // exact: dj is finite
		total.Add(total, shares[j])
	}
	if total.Sign() == 0 {
		for j := range shares {
			shares[j].SetFrac64(1, int64(n))
		}
	} else {
		for j := range shares {
			shares[j].Quo(shares[j], total)
		}
	}
	return ahp.Quantise(shares), nil
}

// entropyDivergence returns d = 1 − e of one column (values finite and ≥ 0) given
// ln m; see EntropyWeights.
func entropyDivergence(col []float64, lnM float64) float64 {
	constant := true
	for _, v := range col {
		if v != col[0] {
			constant = false
			break
		}
	}
	if constant {
		return 0
	}
	sum := 0.0
	for _, v := range col {
		sum += v
	}
	if math.IsInf(sum, 1) {
		// Entropy does not depend on the scale, so scale by a power of two
		// (exact, bar values so small that their p would be 0 anyway) until
		// the sum fits: with 2^k > m, m values ≤ MaxFloat64·2^-k cannot
		// overflow.
		scaled := make([]float64, len(col))
		f := math.Ldexp(1, -bits.Len(uint(len(col))))
		sum = 0
		for i, v := range col {
			scaled[i] = float64(v * f)
			sum += scaled[i]
		}
		col = scaled
	}
	h := 0.0
	for _, v := range col {
		if p := v / sum; p > 0 {
			h += float64(p * entropyLn(p))
		}
	}
	e := -h / lnM
	switch dj := 1 - e; {
	case dj < 0:
		return 0
	case dj > 1:
		return 1
	default:
		return dj
	}
}

// entropyLn is the natural logarithm of a positive finite x, computed with
// only +, −, ×, ÷, math.Frexp (exact) and comparisons, every product
// converted explicitly to float64 so that no FMA can change it: the same
// result on every platform, within 1 ulp of ln x.
//
// It is the algorithm and coefficients of fdlibm's e_log.c, as Go's
// math/log.go (BSD licence, The Go Authors) transcribes them; fdlibm's
// notice: "Copyright (C) 1993 by Sun Microsystems, Inc. All rights
// reserved. Developed at SunPro, a Sun Microsystems, Inc. business.
// Permission to use, copy, modify, and distribute this software is freely
// granted, provided that this notice is preserved." In short: write
// x = 2^k·(1+f) with √2/2 ≤ 1+f < √2, then ln(1+f) = 2s + 2s³/3 + … with
// s = f/(2+f), the series replaced by a minimax polynomial.
func entropyLn(x float64) float64 {
	const (
		ln2Hi = 6.93147180369123816490e-01 // 3fe62e42 fee00000
		ln2Lo = 1.90821492927058770002e-10 // 3dea39ef 35793c76
		lg1   = 6.666666666666735130e-01   // 3FE55555 55555593
		lg2   = 3.999999999940941908e-01   // 3FD99999 9997FA04
		lg3   = 2.857142874366239149e-01   // 3FD24924 94229359
		lg4   = 2.222219843214978396e-01   // 3FCC71C5 1D8E78AF
		lg5   = 1.818357216161805012e-01   // 3FC74664 96CB03DE
		lg6   = 1.531383769920937332e-01   // 3FC39A09 D078C69F
		lg7   = 1.479819860511658591e-01   // 3FC2F112 DF3E5244
	)
	f1, ki := math.Frexp(x) // x = f1·2^ki, f1 ∈ [0.5, 1): exact
	if f1 < math.Sqrt2/2 {
		f1 *= 2 // exact
		ki--
	}
	f := f1 - 1 // exact (Sterbenz)
	k := float64(ki)
	s := f / (2 + f)
	s2 := float64(s * s)
	s4 := float64(s2 * s2)
	t1 := float64(s2 * (lg1 + float64(s4*(lg3+float64(s4*(lg5+float64(s4*lg7)))))))
	t2 := float64(s4 * (lg2 + float64(s4*(lg4+float64(s4*lg6)))))
	r := t1 + t2
	hfsq := float64(float64(0.5*f) * f)
	return float64(k*ln2Hi) - ((hfsq - (float64(s*(hfsq+r)) + float64(k*ln2Lo))) - f)
}
