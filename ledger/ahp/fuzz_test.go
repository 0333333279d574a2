package ahp

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
)

// FuzzWeights feeds arbitrary text through ParseMatrix, Validate and
// Weights: they must never panic, must agree with one another, and whatever
// Weights accepts must obey its contract (weights summing to exactly 1, CR
// below MaxCR, the same bits on a second run). Since random text is rarely
// a reciprocal matrix, each parsed square matrix is also completed from its
// upper triangle into a valid one and derived again.
//
// Input: rows separated by ";" or newlines, cells by blanks or commas.
func FuzzWeights(f *testing.F) {
	f.Add("1")
	f.Add("1 3; 1/3 1")
	f.Add("1 0.5; 2 1")
	f.Add("1 3 5; 1/3 1 2; 1/5 1/2 1")
	f.Add("1 9 1/9; 1/9 1 9; 9 1/9 1")
	f.Add("1 19 1/26; 1/19 1 24; 26 1/24 1")
	f.Add(drinks)
	f.Add(house)
	f.Add("1 x; 1 1")
	f.Add("1 -2; -1/2 1")
	f.Add("1, 99999999999999999999999999999999; 0.00000000000000000000000000000001, 1")
	f.Fuzz(func(t *testing.T, src string) {
		var cells [][]string
		for _, line := range strings.FieldsFunc(src, func(r rune) bool { return r == ';' || r == '\n' }) {
			cells = append(cells, strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' }))
		}
		m, err := ParseMatrix(cells)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "matrix[") {
				t.Fatalf("parse error without a cell: %v", err)
			}
			return
		}
		check(t, m)
		if n := len(m); n >= 1 && n <= maxN {
			c := complete(m)
			if err := c.Validate(); err != nil {
				t.Fatalf("completed matrix invalid: %v", err)
			}
			check(t, c)
		}
	})
}

// complete returns the valid matrix with m's upper triangle (made positive)
// where m is square enough to have one; other cells become 1.
func complete(m Matrix) Matrix {
	n := len(m)
	c := make(Matrix, n)
	for i := range c {
		c[i] = make([]*big.Rat, n)
		c[i][i] = big.NewRat(1, 1)
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			x := big.NewRat(1, 1)
			if j < len(m[i]) && m[i][j].Sign() != 0 {
				x = new(big.Rat).Abs(m[i][j])
			}
			c[i][j] = x
			c[j][i] = new(big.Rat).Inv(x)
		}
	}
	return c
}

func check(t *testing.T, m Matrix) {
	verr := m.Validate()
	res, err := Weights(m)
	if verr != nil {
		if res != nil || err == nil || err.Error() != verr.Error() {
			t.Fatalf("Validate: %v; Weights: %v, %v", verr, res, err)
		}
		return
	}
	var ie *InconsistentError
	switch {
	case errors.As(err, &ie):
		if res != nil || !(ie.CR >= MaxCR) || ie.N != len(m) {
			t.Fatalf("inconsistent: %v, %+v", res, *ie)
		}
		return
	case err != nil:
		if res != nil || !strings.HasPrefix(err.Error(), "matrix") {
			t.Fatalf("Weights: %v, %v", res, err)
		}
		return
	}
	checkWeights(t, len(m), res.Weights)
	for _, f := range []float64{res.LambdaMax, res.CI, res.RI, res.CR} {
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			t.Fatalf("figures %+v", *res)
		}
	}
	if !(res.CR < MaxCR) || res.LambdaMax < float64(len(m)) {
		t.Fatalf("accepted λmax %v CR %v", res.LambdaMax, res.CR)
	}
	again, err := Weights(m)
	if err != nil || math.Float64bits(again.LambdaMax) != math.Float64bits(res.LambdaMax) ||
		strings.Join(decimals(again.Weights), " ") != strings.Join(decimals(res.Weights), " ") {
		t.Fatalf("second run differs: %+v, %v", again, err)
	}
}
