// Package ahp derives criterion weights from an AHP (Analytic Hierarchy
// Process, Saaty) pairwise comparison matrix and checks its consistency.
//
// The weights decide how money is shared, so a result must be recomputable
// bit for bit on any platform. The whole computation is therefore fixed:
//
//   - The judgements are exact rationals; they are converted to float64 by
//     (*big.Rat).Float64, which rounds to nearest.
//   - A perfectly consistent matrix (m[i][j] == m[i][0]·m[0][j] for all i, j,
//     which includes every valid matrix with n ≤ 2) needs no iteration: its
//     principal eigenvector is column 0, normalised in exact arithmetic, and
//     λmax = n, CI = CR = 0 exactly.
//   - Otherwise the principal eigenvector comes from power iteration in
//     float64: start from the uniform vector 1/n; each step computes y = A·w
//     (sums in index order) and w' = y / Σy; stop after the first step whose
//     largest change |w'_i − w_i| is ≤ 1e-15, or after 1000 steps (then the
//     matrix is rejected: as inconsistent if its CR says so, else with an
//     error; see principal). Only +, −, ×, ÷ and conversions are used, all
//     correctly rounded in IEEE 754: no math.Pow/Exp/Log. Every product is
//     written float64(x*y): the Go spec lets the compiler fuse x*y+z into one
//     FMA, with one rounding instead of two, which it does on arm64,
//     ppc64le, s390x and riscv64 but not amd64; an explicit conversion
//     forbids the fusion.
//   - The float weights are made exact (every float64 is a rational),
//     normalised exactly and quantised to 6 decimals by the largest remainder
//     method, so that they sum to exactly 1. These quantised weights are the
//     ones that count.
package ahp

import (
	"fmt"
	"math"
	"math/big"
	"sort"
)

// Matrix is a pairwise comparison matrix: m[i][j] says how much more
// important criterion i is than j (Saaty's 1–9 scale and reciprocals), as
// exact rationals so that validation (reciprocity, the diagonal) is exact.
type Matrix [][]*big.Rat

// maxN is the largest number of criteria: Saaty's random index, and so the
// consistency ratio, is tabulated only up to 15.
const maxN = 15

// maxCellLen bounds a parsed cell so that a hostile input cannot make huge
// rationals (and keeps every parsed entry well inside float64's range).
const maxCellLen = 64

// ParseMatrix parses entries written as integers, fractions or decimals
// ("3", "1/5", "0.5"), optionally signed (so that "-3" is reported as not
// positive rather than as not a number). Errors name the cell, e.g.
// `matrix[1][2]: "x" is not a number`. It checks only the syntax of each
// cell; the shape and the values are checked by Validate, so that a matrix
// built in code and a parsed one are judged by the same rules.
func ParseMatrix(rows [][]string) (Matrix, error) {
	m := make(Matrix, len(rows))
	for i, row := range rows {
		m[i] = make([]*big.Rat, len(row))
		for j, s := range row {
			r, ok := parseNumber(s)
			if !ok {
				return nil, fmt.Errorf("matrix[%d][%d]: %s is not a number", i, j, quote(s))
			}
			m[i][j] = r
		}
	}
	return m, nil
}

// parseNumber accepts [+-]digits, [+-]digits.digits and [+-]digits/digits
// with a non-zero denominator. It is stricter than big.Rat.SetString, which
// also takes exponents ("1e999999999" would be a huge number) and hex.
func parseNumber(s string) (*big.Rat, bool) {
	if len(s) == 0 || len(s) > maxCellLen {
		return nil, false
	}
	body := s
	if body[0] == '+' || body[0] == '-' {
		body = body[1:]
	}
	n := digits(body)
	if n == 0 {
		return nil, false
	}
	if rest := body[n:]; rest != "" {
		if rest[0] != '.' && rest[0] != '/' {
			return nil, false
		}
		if k := digits(rest[1:]); k == 0 || k != len(rest)-1 {
			return nil, false
		}
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok // SetString rejects a zero denominator
}

// digits returns how many ASCII digits s starts with.
func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// quote quotes a cell for an error message, shortened so that a huge cell
// cannot make a huge message.
func quote(s string) string {
	const max = 32
	if len(s) > max {
		return fmt.Sprintf("%q…", s[:max])
	}
	return fmt.Sprintf("%q", s)
}

// Validate checks the matrix is square, 1 ≤ n ≤ 15, every entry positive,
// the diagonal is 1 and it is reciprocal exactly (m[j][i] == 1/m[i][j]).
// Errors name the first bad cell in row-major order and the rule; the upper
// triangle is taken as the judgements, so a reciprocity error names the cell
// below the diagonal. Errors about the whole matrix start "matrix:", about a
// row "matrix[i]:", about a cell "matrix[i][j]:".
func (m Matrix) Validate() error {
	n := len(m)
	if n == 0 {
		return fmt.Errorf("matrix: it is empty; it needs at least 1 criterion")
	}
	if n > maxN {
		return fmt.Errorf("matrix: it has %d rows; at most %d criteria can be compared (Saaty's random index stops at %d)", n, maxN, maxN)
	}
	for i, row := range m {
		if len(row) != n {
			return fmt.Errorf("matrix[%d]: the row's length is %d, want %d: the matrix must be square", i, len(row), n)
		}
	}
	for i, row := range m {
		for j, x := range row {
			switch {
			case x == nil:
				return fmt.Errorf("matrix[%d][%d]: the entry is missing", i, j)
			case x.Sign() <= 0:
				return fmt.Errorf("matrix[%d][%d]: %s is not positive: judgements are ratios of importance", i, j, show(x))
			case i == j && !isOne(x):
				return fmt.Errorf("matrix[%d][%d]: the diagonal must be 1, not %s (a criterion is as important as itself)", i, j, show(x))
			case j < i:
				// m[j][i] is in an earlier row, so already known positive.
				if want := new(big.Rat).Inv(m[j][i]); x.Cmp(want) != 0 {
					return fmt.Errorf("matrix[%d][%d]: %s should be %s, the reciprocal of matrix[%d][%d] = %s", i, j, show(x), show(want), j, i, show(m[j][i]))
				}
			}
		}
	}
	return nil
}

func isOne(x *big.Rat) bool { return x.IsInt() && x.Num().IsInt64() && x.Num().Int64() == 1 }

// show formats an entry for an error message: exactly, unless that would be
// long (only possible for a Matrix built in code), then approximately.
func show(x *big.Rat) string {
	if s := x.RatString(); len(s) <= 40 {
		return s
	}
	return "≈" + new(big.Float).SetRat(x).Text('g', 6)
}

// Result is what the weights were derived from.
type Result struct {
	Weights   []*big.Rat // the principal eigenvector, normalised, quantised to exact decimals with 6 places that sum to exactly 1 (largest remainder; ties to the lower index)
	LambdaMax float64    // the principal eigenvalue, average of (A·w)_i / w_i; n exactly when the matrix is consistent
	CI        float64    // (λmax − n)/(n − 1); 0 when the matrix is consistent, as every one with n ≤ 2 is
	RI        float64    // Saaty's random index for n
	CR        float64    // CI/RI; 0 when n ≤ 2
}

// MaxCR is the largest consistency ratio accepted (exclusive): CR must be
// < 0.1, Saaty's rule for judgements coherent enough to act on.
const MaxCR = 0.1

// randomIndex is Saaty's random consistency index for n = 1..15 (index n-1):
// the mean CI of random reciprocal matrices of that size.
var randomIndex = [maxN]float64{0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59}

// InconsistentError is returned when CR ≥ MaxCR; its message shows the ratio
// to 3 decimals, e.g. "the comparison matrix is inconsistent: consistency
// ratio 0.153 ≥ 0.1 (λmax 3.178, CI 0.089, RI 0.58); revise the judgements".
// It carries every figure of the rejected matrix so that a caller can
// explain the rejection; Weights returns no weights with it.
type InconsistentError struct {
	CR, CI, RI, LambdaMax float64
	N                     int // the number of criteria
}

// Error says how inconsistent the matrix is and what to do about it.
func (e *InconsistentError) Error() string {
	return fmt.Sprintf("the comparison matrix is inconsistent: consistency ratio %.3f ≥ %g (λmax %.3f, CI %.3f, RI %g); revise the judgements",
		e.CR, MaxCR, e.LambdaMax, e.CI, e.RI)
}

// Weights validates m and derives its weights.
//
// When the consistency ratio is ≥ MaxCR it returns a nil *Result and an
// *InconsistentError holding λmax, CI, RI, CR and n: weights derived from
// incoherent judgements must not decide anything, so none are handed out.
// A matrix that fails Validate gives Validate's error. Two more errors are
// possible only far outside Saaty's scale (see principal): entries too
// extreme for float64, and an iteration that does not converge although the
// estimated CR is below MaxCR.
func Weights(m Matrix) (*Result, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	res, err := derive(m)
	if err != nil {
		return nil, err
	}
	if res.CR >= MaxCR {
		return nil, &InconsistentError{CR: res.CR, CI: res.CI, RI: res.RI, LambdaMax: res.LambdaMax, N: len(m)}
	}
	return res, nil
}

// derive computes the Result of a valid matrix, consistent or not (the
// tests compare published eigenvectors of inconsistent matrices with it).
func derive(m Matrix) (*Result, error) {
	n := len(m)
	res := &Result{RI: randomIndex[n-1]}
	if shares, ok := consistentShares(m); ok {
		res.Weights = Quantise(shares)
		res.LambdaMax = float64(n)
		return res, nil
	}
	a, err := floats(m)
	if err != nil {
		return nil, err
	}
	w, converged := principal(a)
	lambda := lambdaMax(a, w)
	for i, x := range w {
		if !finite(x) || x <= 0 || !finite(lambda) {
			return nil, fmt.Errorf("matrix: weight %d comes out as %v (λmax %v): the entries are too extreme to derive weights", i, x, lambda)
		}
	}
	if lambda < float64(n) {
		// λmax ≥ n for every positive reciprocal matrix; below n only by
		// rounding, for a matrix that is nearly consistent.
		lambda = float64(n)
	}
	res.LambdaMax = lambda
	res.CI = (lambda - float64(n)) / float64(n-1) // n ≥ 3 here: n ≤ 2 is always consistent
	res.CR = res.CI / res.RI
	if !converged && res.CR < MaxCR {
		return nil, fmt.Errorf("matrix: the principal eigenvector did not converge in %d iterations", maxIterations)
	}
	shares := make([]*big.Rat, n)
	for i, x := range w {
		shares[i] = new(big.Rat).SetFloat64(x) // exact: x is finite
	}
	res.Weights = Quantise(normalise(shares))
	return res, nil
}

// consistentShares reports whether m (valid) is perfectly consistent,
// m[i][j] == m[i][0]·m[0][j] for all i < j (with reciprocity this gives
// m[i][k] == m[i][j]·m[j][k] for all i, j, k), and if so returns its exact
// normalised principal eigenvector: column 0, since m[i][0] = w_i/w_0.
func consistentShares(m Matrix) ([]*big.Rat, bool) {
	n := len(m)
	p := new(big.Rat)
	for i := 1; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if p.Mul(m[i][0], m[0][j]).Cmp(m[i][j]) != 0 {
				return nil, false
			}
		}
	}
	col := make([]*big.Rat, n)
	for i := range m {
		col[i] = m[i][0]
	}
	return normalise(col), true
}

// normalise returns xs / Σxs exactly (xs positive).
func normalise(xs []*big.Rat) []*big.Rat {
	sum := new(big.Rat)
	for _, x := range xs {
		sum.Add(sum, x)
	}
	out := make([]*big.Rat, len(xs))
	for i, x := range xs {
		out[i] = new(big.Rat).Quo(x, sum)
	}
	return out
}

// scale is 10^6: weights are quantised to 6 decimal places.
var scale = big.NewInt(1_000_000)

// Quantise turns exact shares summing to 1 into multiples of 10^-6 summing
// to exactly 1: each share is rounded down, and the units still missing go
// one each to the largest remainders, the lower index first on a tie.
// Every weight the ledger records or derives (AHP here, entropy weights in
// the evaluation) is quantised this way, so weights of either kind combine.
func Quantise(shares []*big.Rat) []*big.Rat {
	n := len(shares)
	units := make([]*big.Int, n)
	rems := make([]*big.Rat, n)
	total := new(big.Int)
	for i, s := range shares {
		num := new(big.Int).Mul(s.Num(), scale)
		q, r := new(big.Int).QuoRem(num, s.Denom(), new(big.Int)) // shares ≥ 0, so truncation is floor
		units[i] = q
		rems[i] = new(big.Rat).SetFrac(r, s.Denom())
		total.Add(total, q)
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rems[order[a]].Cmp(rems[order[b]]) > 0 })
	missing := new(big.Int).Sub(scale, total).Int64() // 0 ≤ missing < n since the shares sum to 1
	for k := int64(0); k < missing; k++ {
		units[order[k]].Add(units[order[k]], big.NewInt(1))
	}
	out := make([]*big.Rat, n)
	for i, u := range units {
		out[i] = new(big.Rat).SetFrac(u, scale)
	}
	return out
}

// floats converts m to float64, refusing entries that do not survive the
// conversion as positive normal numbers (only possible for a Matrix built in
// code: a parsed cell is at most 64 characters).
func floats(m Matrix) ([][]float64, error) {
	a := make([][]float64, len(m))
	for i, row := range m {
		a[i] = make([]float64, len(row))
		for j, x := range row {
			f, _ := x.Float64() // rounds to nearest, on every platform
			if !finite(f) || f < 0x1p-1022 {
				return nil, fmt.Errorf("matrix[%d][%d]: %s is too extreme to compute weights with", i, j, show(x))
			}
			a[i][j] = f
		}
	}
	return a, nil
}

// Power iteration's fixed stopping rule; changing either changes results.
const (
	maxIterations = 1000
	tolerance     = 1e-15
)

// principal returns the normalised principal eigenvector of a by power
// iteration from the uniform vector (which needs no roots, unlike the row
// geometric mean), and whether it converged. Power iteration converges for
// every positive matrix (Perron–Frobenius), at a rate set by |λ2|/λmax.
// In trials with a few hundred thousand random reciprocal matrices, all those
// on Saaty's 1–9 scale settled within a few hundred steps, those with CR < 0.1
// within 40; only matrices with entries beyond the scale and CRs above 10
// failed to settle within maxIterations. derive reports such a matrix as
// inconsistent, with figures from the last iterate.
func principal(a [][]float64) (w []float64, converged bool) {
	n := len(a)
	w = make([]float64, n)
	for i := range w {
		w[i] = 1 / float64(n)
	}
	y := make([]float64, n)
	for it := 0; it < maxIterations; it++ {
		mulVec(y, a, w)
		sum := 0.0
		for _, v := range y {
			sum += v
		}
		change := 0.0
		for i, v := range y {
			next := v / sum
			if d := math.Abs(next - w[i]); d > change || math.IsNaN(d) {
				change = d
			}
			w[i] = next
		}
		if change <= tolerance { // false for NaN: it never converges
			return w, true
		}
	}
	return w, false
}

// mulVec sets y = a·w. float64(x*y) stops the compiler fusing the product
// and the sum into one FMA, whose single rounding would differ between
// platforms.
func mulVec(y []float64, a [][]float64, w []float64) {
	for i, row := range a {
		s := 0.0
		for j, x := range row {
			s += float64(x * w[j])
		}
		y[i] = s
	}
}

// lambdaMax is the average of (A·w)_i / w_i, summed in index order.
func lambdaMax(a [][]float64, w []float64) float64 {
	y := make([]float64, len(w))
	mulVec(y, a, w)
	sum := 0.0
	for i := range y {
		sum += y[i] / w[i]
	}
	return sum / float64(len(w))
}

func finite(f float64) bool { return !math.IsInf(f, 0) && !math.IsNaN(f) }
