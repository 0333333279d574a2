package evaluation

import (
	"fmt"
	"math/big"
)

// Grades of the fuzzy comprehensive evaluation, best first. Membership
// vectors, grade values and the rows of R all follow this order.
var Grades = []string{"excellent", "good", "medium", "qualified", "unqualified"}

// GradesZH are the Chinese names of Grades, in the same order.
var GradesZH = []string{"优秀", "良好", "中等", "合格", "不合格"}

// DefaultGradeValues are the scores V of the grades, 0–100, in the order of
// Grades: 95, 85, 75, 65, 50. Each call returns new values, so that a
// caller that changes one cannot change anybody else's.
func DefaultGradeValues() []*big.Rat {
	return []*big.Rat{big.NewRat(95, 1), big.NewRat(85, 1), big.NewRat(75, 1), big.NewRat(65, 1), big.NewRat(50, 1)}
}

// Memberships turns a score into membership degrees over the grades whose
// values v are given best first (strictly descending), with triangular
// functions centred on the values: at or above v[0] the score is wholly in
// the first grade, at or below v[last] wholly in the last; strictly between
// v[k] and v[k+1] it belongs to grade k by (score − v[k+1])/(v[k] − v[k+1])
// and to grade k+1 by the rest, so that a score at a grade's value is wholly
// in that grade. The degrees are exact and sum to exactly 1.
//
// With DefaultGradeValues the score is a 0–100 one (see Norm.Score), but
// the function works on any scale, e.g. on an indicator's raw value with
// its thresholds as v.
//
// It fails if v has fewer than 2 values, a missing one, or does not descend
// strictly, or if score is missing.
func Memberships(score *big.Rat, v []*big.Rat) ([]*big.Rat, error) {
	if err := checkGradeValues(v); err != nil {
		return nil, err
	}
	if score == nil {
		return nil, fmt.Errorf("memberships: the score is missing")
	}
	out := make([]*big.Rat, len(v))
	for k := range out {
		out[k] = new(big.Rat)
	}
	last := len(v) - 1
	switch {
	case score.Cmp(v[0]) >= 0:
		out[0].SetInt64(1)
	case score.Cmp(v[last]) <= 0:
		out[last].SetInt64(1)
	default:
		for k := 0; k < last; k++ {
			if score.Cmp(v[k+1]) >= 0 { // v[k] > score ≥ v[k+1]
				width := new(big.Rat).Sub(v[k], v[k+1])
				out[k].Sub(score, v[k+1]).Quo(out[k], width)
				out[k+1].Sub(big.NewRat(1, 1), out[k])
				break
			}
		}
	}
	return out, nil
}

// checkGradeValues checks that v has at least 2 values and descends
// strictly: with equal or rising neighbours there is no interval to split
// a score along.
func checkGradeValues(v []*big.Rat) error {
	if len(v) < 2 {
		return fmt.Errorf("grade values: %d given; at least 2 grades are needed", len(v))
	}
	for k, x := range v {
		if x == nil {
			return fmt.Errorf("grade values: v[%d] is missing", k)
		}
		if k > 0 && x.Cmp(v[k-1]) >= 0 {
			return fmt.Errorf("grade values: v[%d] = %s is not below v[%d] = %s; the values must descend strictly, best grade first", k, ratText(x), k-1, ratText(v[k-1]))
		}
	}
	return nil
}

// Compose is the fuzzy composition B = W·R with the weighted-average
// operator M(·,+), b_k = Σ_i w_i·r_ik, which, unlike M(∧,∨), lets every
// factor count in proportion to its weight. W are the weights of the rows
// (each ≥ 0, summing to exactly 1); R's rows are membership vectors over
// the same grades (each degree ≥ 0, each row summing to exactly 1), so B is
// one too. Exact.
//
// Errors name what is wrong: no rows, a count of weights other than of
// rows, rows of different lengths, a missing or negative number, weights
// that do not sum to 1 (showing the sum), a row that does not sum to 1
// (naming the row and showing its sum).
func Compose(w []*big.Rat, r [][]*big.Rat) ([]*big.Rat, error) {
	if len(w) == 0 {
		return nil, fmt.Errorf("compose: no weights; at least 1 factor is needed")
	}
	if len(r) != len(w) {
		return nil, fmt.Errorf("compose: %d weights but %d rows of memberships; R needs one row per weight", len(w), len(r))
	}
	sum := new(big.Rat)
	for i, x := range w {
		switch {
		case x == nil:
			return nil, fmt.Errorf("compose: weight w[%d] is missing", i)
		case x.Sign() < 0:
			return nil, fmt.Errorf("compose: weight w[%d] = %s is negative", i, ratText(x))
		}
		sum.Add(sum, x)
	}
	if !isOneRat(sum) {
		return nil, fmt.Errorf("compose: the weights sum to %s, not 1", ratText(sum))
	}
	grades := len(r[0])
	if grades == 0 {
		return nil, fmt.Errorf("compose: row r[0] is empty; at least 1 grade is needed")
	}
	for i, row := range r {
		if len(row) != grades {
			return nil, fmt.Errorf("compose: row r[%d] has %d degrees, want %d like r[0]: every row is over the same grades", i, len(row), grades)
		}
		sum.SetInt64(0)
		for k, x := range row {
			switch {
			case x == nil:
				return nil, fmt.Errorf("compose: r[%d][%d] is missing", i, k)
			case x.Sign() < 0:
				return nil, fmt.Errorf("compose: r[%d][%d] = %s is negative; a membership degree is in [0, 1]", i, k, ratText(x))
			}
			sum.Add(sum, x)
		}
		if !isOneRat(sum) {
			return nil, fmt.Errorf("compose: row r[%d] sums to %s, not 1; a membership vector must sum to 1", i, ratText(sum))
		}
	}
	b := make([]*big.Rat, grades)
	p := new(big.Rat)
	for k := range b {
		b[k] = new(big.Rat)
		for i, row := range r {
			b[k].Add(b[k], p.Mul(w[i], row[k]))
		}
	}
	return b, nil
}

// Score is B·V = Σ_k b_k·v_k, the score of a membership vector B over
// grades valued V: 0–100 for a B that sums to 1 (as Compose's does) and
// values in 0–100. Exact. It fails if B is empty, if B and V differ in
// length, or if a number is missing.
func Score(b, v []*big.Rat) (*big.Rat, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("score: no membership degrees")
	}
	if len(v) != len(b) {
		return nil, fmt.Errorf("score: %d membership degrees but %d grade values; they must match", len(b), len(v))
	}
	s := new(big.Rat)
	p := new(big.Rat)
	for k := range b {
		switch {
		case b[k] == nil:
			return nil, fmt.Errorf("score: membership b[%d] is missing", k)
		case v[k] == nil:
			return nil, fmt.Errorf("score: grade value v[%d] is missing", k)
		}
		s.Add(s, p.Mul(b[k], v[k]))
	}
	return s, nil
}

func isOneRat(x *big.Rat) bool { return x.IsInt() && x.Num().IsInt64() && x.Num().Int64() == 1 }

// ratText formats an exact number for an error message: as a decimal when
// it has one of at most 12 places (0.999), else as a fraction (2/3), and
// approximately when even that would be long.
func ratText(x *big.Rat) string {
	// A fraction in lowest terms is a decimal with max(a, b) places iff its
	// denominator is 2^a·5^b.
	d := new(big.Int).Set(x.Denom())
	twos := d.TrailingZeroBits()
	d.Rsh(d, twos)
	fives := uint(0)
	five, r := big.NewInt(5), new(big.Int)
	for {
		q, _ := new(big.Int).QuoRem(d, five, r)
		if r.Sign() != 0 {
			break
		}
		d, fives = q, fives+1
	}
	if places := max(twos, fives); d.IsInt64() && d.Int64() == 1 && places <= 12 {
		return x.FloatString(int(places))
	}
	if s := x.RatString(); len(s) <= 40 {
		return s
	}
	return "≈" + x.FloatString(6)
}
