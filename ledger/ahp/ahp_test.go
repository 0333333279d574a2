package ahp

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
)

// parse reads a matrix written as rows separated by ";" and cells by blanks.
func parse(t testing.TB, src string) Matrix {
	t.Helper()
	m, err := ParseMatrix(rows(src))
	if err != nil {
		t.Fatalf("ParseMatrix(%q): %v", src, err)
	}
	return m
}

func rows(src string) [][]string {
	out := [][]string{}
	for _, r := range strings.Split(src, ";") {
		out = append(out, strings.Fields(r))
	}
	return out
}

// checkWeights checks what every successful result must satisfy: one weight
// per criterion, each a multiple of 10^-6 in [0, 1], summing to exactly 1.
func checkWeights(t testing.TB, n int, ws []*big.Rat) {
	t.Helper()
	if len(ws) != n {
		t.Fatalf("%d weights for %d criteria", len(ws), n)
	}
	sum := new(big.Rat)
	for i, w := range ws {
		if w.Sign() < 0 || w.Cmp(big.NewRat(1, 1)) > 0 {
			t.Errorf("weight %d = %s is outside [0, 1]", i, w.RatString())
		}
		if !new(big.Rat).Mul(w, big.NewRat(1_000_000, 1)).IsInt() {
			t.Errorf("weight %d = %s has more than 6 decimals", i, w.RatString())
		}
		sum.Add(sum, w)
	}
	if sum.Cmp(big.NewRat(1, 1)) != 0 {
		t.Errorf("weights sum to %s, want exactly 1", sum.RatString())
	}
}

func decimals(ws []*big.Rat) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.FloatString(6)
	}
	return out
}

// The drinks matrix of Saaty (2008), see TestPublishedExamples.
const drinks = "1 9 5 2 1 1 1/2; 1/9 1 1/3 1/9 1/9 1/9 1/9; 1/5 3 1 1/3 1/4 1/3 1/9; 1/2 9 3 1 1/2 1 1/3; 1 9 4 2 1 2 1/2; 1 9 3 1 1/2 1 1/3; 2 9 9 3 2 3 1"

// The house criteria matrix of Saaty (1990), see TestPublishedExamples.
const house = "1 5 3 7 6 6 1/3 1/4; 1/5 1 1/3 5 3 3 1/5 1/7; 1/3 3 1 6 3 4 6 1/5; 1/7 1/5 1/6 1 1/3 1/4 1/7 1/8; 1/6 1/3 1/3 3 1 1/2 1/5 1/6; 1/6 1/3 1/4 4 2 1 1/5 1/6; 3 5 1/6 7 5 5 1 1/2; 4 7 5 8 6 6 2 1"

// Published examples, compared within their published rounding (3 decimals:
// ±0.0005, plus 10^-6 for our own 6-decimal quantisation of the weights).
func TestPublishedExamples(t *testing.T) {
	unpublished := math.NaN()
	tests := []struct {
		name                string
		matrix              string
		weights             []float64
		lambda, ci, cr      float64
		wantInconsistentErr bool
	}{
		{
			// Saaty, T. L. (2008), "Decision making with the analytic hierarchy
			// process", Int. J. Services Sciences 1(1):83–98,
			// doi:10.1504/IJSSCI.2008.017590: relative consumption of drinks in
			// the US (coffee, wine, tea, beer, sodas, milk, water); derived scale
			// .177 .019 .042 .116 .190 .129 .327 with consistency ratio .022.
			// (The matrix is also transcribed in the AHPy README,
			// github.com/PhilipGriffith/AHPy.) Saaty's later random index for
			// n=7 is 1.35 rather than 1.32; the CR rounds to .022 with either.
			name:    "Saaty 2008 drinks",
			matrix:  drinks,
			weights: []float64{.177, .019, .042, .116, .190, .129, .327},
			lambda:  unpublished, ci: unpublished, cr: .022,
		},
		{
			// Saaty, T. L. (1990), "How to make a decision: The analytic
			// hierarchy process", European Journal of Operational Research
			// 48(1):9–26, doi:10.1016/0377-2217(90)90057-I: choosing the best
			// house, the eight criteria (size, transportation, neighbourhood,
			// age, yard, modern facilities, general condition, financing);
			// eigenvector .173 .054 .188 .018 .031 .036 .167 .333, λmax 9.669,
			// C.I. 0.238, C.R. 0.169 — above 0.1, so Weights rejects it.
			name:    "Saaty 1990 house",
			matrix:  house,
			weights: []float64{.173, .054, .188, .018, .031, .036, .167, .333},
			lambda:  9.669, ci: .238, cr: .169,
			wantInconsistentErr: true,
		},
	}
	near := func(got, want, tol float64) bool { return math.IsNaN(want) || math.Abs(got-want) <= tol }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parse(t, tt.matrix)
			if err := m.Validate(); err != nil {
				t.Fatal(err)
			}
			// derive gives the eigenvector whether or not the CR passes.
			got, err := derive(m)
			if err != nil {
				t.Fatal(err)
			}
			checkWeights(t, len(m), got.Weights)
			for i, w := range got.Weights {
				f, _ := w.Float64()
				if !near(f, tt.weights[i], 0.0005+1e-6) {
					t.Errorf("weight %d = %s, published %.3f", i, w.FloatString(6), tt.weights[i])
				}
			}
			if !near(got.LambdaMax, tt.lambda, 0.0005) || !near(got.CI, tt.ci, 0.0005) || !near(got.CR, tt.cr, 0.0005) {
				t.Errorf("λmax %.6f, CI %.6f, CR %.6f; published %.3f, %.3f, %.3f", got.LambdaMax, got.CI, got.CR, tt.lambda, tt.ci, tt.cr)
			}
			if got.RI != randomIndex[len(m)-1] {
				t.Errorf("RI %v", got.RI)
			}

			res, err := Weights(m)
			var ie *InconsistentError
			if tt.wantInconsistentErr {
				if !errors.As(err, &ie) || res != nil {
					t.Fatalf("Weights = %v, %v; want nil, *InconsistentError", res, err)
				}
				if ie.CR != got.CR || ie.CI != got.CI || ie.RI != got.RI || ie.LambdaMax != got.LambdaMax || ie.N != len(m) {
					t.Errorf("error figures %+v differ from the derivation %+v", *ie, *got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(decimals(res.Weights), " ") != strings.Join(decimals(got.Weights), " ") {
				t.Errorf("Weights %v, derive %v", decimals(res.Weights), decimals(got.Weights))
			}
		})
	}
}

// A perfectly consistent matrix, m[i][j] = w_i/w_j, gives back exactly w
// (quantised), λmax = n and CI = CR = 0, whatever n.
func TestConsistent(t *testing.T) {
	tests := []struct {
		name  string
		ratio []string // w up to a factor, as exact numbers
		want  []string // the quantised weights
	}{
		{"n=1", []string{"1"}, []string{"1.000000"}},
		{"n=2", []string{"3", "1"}, []string{"0.750000", "0.250000"}},
		{"n=2 decimal judgement", []string{"1", "2"}, []string{"0.333333", "0.666667"}},
		{"powers of two", []string{"4", "2", "1", "1"}, []string{"0.500000", "0.250000", "0.125000", "0.125000"}},
		{"decimal weights", []string{"0.4", "0.3", "0.2", "0.1"}, []string{"0.400000", "0.300000", "0.200000", "0.100000"}},
		// 1/6, 1/3, 1/2: the one missing millionth goes to the largest remainder.
		{"thirds", []string{"1", "2", "3"}, []string{"0.166667", "0.333333", "0.500000"}},
		// Equal remainders: the lower index gets the missing millionth.
		{"tie", []string{"1", "1", "1"}, []string{"0.333334", "0.333333", "0.333333"}},
		{"n=15", []string{"2", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1"},
			[]string{"0.125000", "0.062500", "0.062500", "0.062500", "0.062500", "0.062500", "0.062500", "0.062500", "0.062500", "0.062500", "0.062500", "0.062500", "0.062500", "0.062500", "0.062500"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := len(tt.ratio)
			w := make([]*big.Rat, n)
			for i, s := range tt.ratio {
				w[i], _ = new(big.Rat).SetString(s)
			}
			cells := make([][]string, n)
			for i := range cells {
				cells[i] = make([]string, n)
				for j := range cells[i] {
					q := new(big.Rat).Quo(w[i], w[j])
					cells[i][j] = q.RatString()
					if tt.name == "n=2 decimal judgement" && i == 0 && j == 1 {
						cells[i][j] = "0.5" // the same value, written as a decimal
					}
				}
			}
			m, err := ParseMatrix(cells)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Weights(m)
			if err != nil {
				t.Fatal(err)
			}
			checkWeights(t, n, res.Weights)
			if got := decimals(res.Weights); strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("weights %v, want %v", got, tt.want)
			}
			if res.LambdaMax != float64(n) || res.CI != 0 || res.CR != 0 || res.RI != randomIndex[n-1] {
				t.Errorf("λmax %v, CI %v, CR %v, RI %v; want %d, 0, 0, %v", res.LambdaMax, res.CI, res.CR, res.RI, n, randomIndex[n-1])
			}
		})
	}
}

// Nearly consistent matrices take the power iteration; their quantised
// weights still sum to exactly 1.
func TestAcceptedInconsistentMatrices(t *testing.T) {
	tests := []struct {
		name, matrix string
		want         []string
	}{
		// Golden values: the same bits must come out on every platform.
		{"drinks", drinks, []string{"0.177457", "0.019149", "0.041831", "0.116417", "0.189572", "0.128781", "0.326793"}},
		{"three criteria", "1 3 5; 1/3 1 2; 1/5 1/2 1", []string{"0.648329", "0.229651", "0.122020"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parse(t, tt.matrix)
			res, err := Weights(m)
			if err != nil {
				t.Fatal(err)
			}
			checkWeights(t, len(m), res.Weights)
			if got := decimals(res.Weights); strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("weights %v, want %v", got, tt.want)
			}
			if !(res.CR > 0 && res.CR < MaxCR) || res.LambdaMax <= float64(len(m)) {
				t.Errorf("λmax %v, CR %v", res.LambdaMax, res.CR)
			}
		})
	}
}

func TestInconsistent(t *testing.T) {
	tests := []struct {
		name, matrix string
		n            int
		msg          string
	}{
		// Saaty (1990)'s house criteria, see TestPublishedExamples.
		{"house", house, 8, "the comparison matrix is inconsistent: consistency ratio 0.169 ≥ 0.1 (λmax 9.669, CI 0.238, RI 1.41); revise the judgements"},
		// A preference cycle: 1 ≫ 2 ≫ 3 ≫ 1. The uniform vector is its
		// eigenvector, λmax = 1 + 9 + 1/9.
		{"cycle", "1 9 1/9; 1/9 1 9; 9 1/9 1", 3, "the comparison matrix is inconsistent: consistency ratio 6.130 ≥ 0.1 (λmax 10.111, CI 3.556, RI 0.58); revise the judgements"},
		// Off Saaty's scale the power iteration does not settle in 1000
		// steps (|λ2|/λmax ≈ 0.94); the figures of the last iterate still
		// match λmax = 1 + t^(1/3) + t^(-1/3), t = 19·24·26, to 3 decimals.
		{"no convergence", "1 19 1/26; 1/19 1 24; 26 1/24 1", 3, "the comparison matrix is inconsistent: consistency ratio 17.971 ≥ 0.1 (λmax 23.846, CI 10.423, RI 0.58); revise the judgements"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Weights(parse(t, tt.matrix))
			if res != nil {
				t.Errorf("a result for an inconsistent matrix: %+v", res)
			}
			var ie *InconsistentError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v, want *InconsistentError", err)
			}
			if err.Error() != tt.msg {
				t.Errorf("message\n%s\nwant\n%s", err, tt.msg)
			}
			if ie.N != tt.n || ie.CR < MaxCR || ie.RI != randomIndex[tt.n-1] || ie.CR != ie.CI/ie.RI {
				t.Errorf("figures %+v", *ie)
			}
		})
	}

	// The message format, with the figures of the example in the doc comment.
	e := &InconsistentError{CR: 0.1534, CI: 0.089, RI: 0.58, LambdaMax: 3.178, N: 3}
	if want := "the comparison matrix is inconsistent: consistency ratio 0.153 ≥ 0.1 (λmax 3.178, CI 0.089, RI 0.58); revise the judgements"; e.Error() != want {
		t.Errorf("message\n%s\nwant\n%s", e, want)
	}
}

// Every rule of Validate, and every syntax error of ParseMatrix, names the
// first bad cell (or row) and the rule.
func TestErrors(t *testing.T) {
	ones := func(n int) string {
		r := strings.TrimSpace(strings.Repeat("1 ", n))
		return strings.TrimSuffix(strings.Repeat(r+"; ", n), "; ")
	}
	tests := []struct {
		name   string
		matrix string // parsed with ParseMatrix unless m is set
		m      Matrix
		want   string
	}{
		{name: "unparsable cell", matrix: "1 2 3; 1/2 1 x; 1/3 1/x 1", want: `matrix[1][2]: "x" is not a number`},
		{name: "zero denominator", matrix: "1 1/0; 0 1", want: `matrix[0][1]: "1/0" is not a number`},
		{name: "exponent", matrix: "1 1e3; 1e-3 1", want: `matrix[0][1]: "1e3" is not a number`},
		{name: "hex", matrix: "1 0x10; 1/16 1", want: `matrix[0][1]: "0x10" is not a number`},
		{name: "bare decimal point", matrix: "1 .5; 2 1", want: `matrix[0][1]: ".5" is not a number`},
		{name: "trailing decimal point", matrix: "1 5.; 1/5 1", want: `matrix[0][1]: "5." is not a number`},
		{name: "decimal fraction", matrix: "1 1.5/2; 4/3 1", want: `matrix[0][1]: "1.5/2" is not a number`},
		{name: "double sign", matrix: "1 --3; 1/3 1", want: `matrix[0][1]: "--3" is not a number`},
		{name: "too long", matrix: "1 " + strings.Repeat("1", 65), want: `matrix[0][1]: "11111111111111111111111111111111"… is not a number`},
		{name: "empty", m: Matrix{}, want: "matrix: it is empty; it needs at least 1 criterion"},
		{name: "n>15", matrix: ones(16), want: "matrix: it has 16 rows; at most 15 criteria can be compared (Saaty's random index stops at 15)"},
		{name: "short row", matrix: "1 2; 1/2", want: "matrix[1]: the row's length is 1, want 2: the matrix must be square"},
		{name: "wide rows", matrix: "1 2 3; 1/2 1 4", want: "matrix[0]: the row's length is 3, want 2: the matrix must be square"},
		{name: "zero entry", matrix: "1 0; 0 1", want: "matrix[0][1]: 0 is not positive: judgements are ratios of importance"},
		{name: "negative entry", matrix: "1 3 1; 1/3 1 -2; 1 -1/2 1", want: "matrix[1][2]: -2 is not positive: judgements are ratios of importance"},
		{name: "bad diagonal", matrix: "1 3; 1/3 2", want: "matrix[1][1]: the diagonal must be 1, not 2 (a criterion is as important as itself)"},
		{name: "decimal diagonal", matrix: "1.0 3; 1/3 1", want: ""}, // 1.0 is 1
		{name: "non-reciprocal", matrix: "1 3 5; 1/3 1 2; 1/5 2 1", want: "matrix[2][1]: 2 should be 1/2, the reciprocal of matrix[1][2] = 2"},
		{name: "reciprocal only approximately", matrix: "1 0.33; 3 1", want: "matrix[1][0]: 3 should be 100/33, the reciprocal of matrix[0][1] = 33/100"},
		{name: "missing entry", m: Matrix{{big.NewRat(1, 1), nil}, {big.NewRat(1, 1), big.NewRat(1, 1)}}, want: "matrix[0][1]: the entry is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.m
			if m == nil {
				var err error
				if m, err = ParseMatrix(rows(tt.matrix)); err != nil {
					if err.Error() != tt.want {
						t.Fatalf("ParseMatrix: %v, want %s", err, tt.want)
					}
					return
				}
			}
			err := m.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Validate: %v, want %s", err, tt.want)
			}
			res, werr := Weights(m)
			if res != nil || werr == nil || werr.Error() != tt.want {
				t.Errorf("Weights: %v, %v; want nil, %s", res, werr, tt.want)
			}
		})
	}
}

// A Matrix built in code can hold rationals beyond float64; that is an
// error, not a panic or a NaN weight, unless the matrix is consistent, whose
// weights are computed exactly.
func TestExtremeEntries(t *testing.T) {
	huge := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(400), nil))
	one := big.NewRat(1, 1)
	inv := new(big.Rat).Inv(huge)
	m := Matrix{{one, huge, huge}, {inv, one, huge}, {inv, inv, one}}
	if _, err := Weights(m); err == nil || err.Error() != "matrix[0][1]: ≈1e+400 is too extreme to compute weights with" {
		t.Errorf("error %v", err)
	}
	sq := new(big.Rat).Mul(huge, huge)
	m = Matrix{{one, huge, sq}, {inv, one, huge}, {new(big.Rat).Inv(sq), inv, one}}
	res, err := Weights(m)
	if err != nil {
		t.Fatal(err)
	}
	checkWeights(t, 3, res.Weights)
	if got := strings.Join(decimals(res.Weights), " "); got != "1.000000 0.000000 0.000000" {
		t.Errorf("weights %s", got)
	}
}

// The same input gives the same bits, and the bits are the ones computed
// when the test was written (on linux/amd64): a platform that fused
// multiply-adds or rounded differently would fail here.
func TestDeterminism(t *testing.T) {
	m := parse(t, drinks)
	before := decimals(m[0])
	a, err := Weights(m)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Weights(m)
	if err != nil {
		t.Fatal(err)
	}
	bits := func(r *Result) [4]uint64 {
		return [4]uint64{math.Float64bits(r.LambdaMax), math.Float64bits(r.CI), math.Float64bits(r.RI), math.Float64bits(r.CR)}
	}
	if bits(a) != bits(b) || strings.Join(decimals(a.Weights), " ") != strings.Join(decimals(b.Weights), " ") {
		t.Errorf("two runs differ: %+v, %+v", a, b)
	}
	for i := range a.Weights {
		if a.Weights[i] == b.Weights[i] {
			t.Errorf("weight %d shared between results", i)
		}
	}
	if after := decimals(m[0]); strings.Join(before, " ") != strings.Join(after, " ") {
		t.Errorf("Weights changed its input: %v → %v", before, after)
	}
	golden := [4]uint64{0x401cb4de3e2dca77, 0x3f9e250a5cf713d5, math.Float64bits(1.32), 0x3f96d63e2765d8b8}
	if got := bits(a); got != golden {
		t.Errorf("λmax, CI, RI, CR bits %#x, want %#x", got, golden)
	}

	h, err := derive(parse(t, house))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := math.Float64bits(h.LambdaMax), uint64(0x4023567865ff769a); got != want {
		t.Errorf("house λmax bits %#x, want %#x", got, want)
	}
	if got, want := strings.Join(decimals(h.Weights), " "), "0.173017 0.053976 0.188110 0.017508 0.031044 0.036322 0.166834 0.333189"; got != want {
		t.Errorf("house weights %s, want %s", got, want)
	}
}

func TestQuantise(t *testing.T) {
	tests := []struct {
		shares []*big.Rat
		want   string
	}{
		{[]*big.Rat{big.NewRat(2, 7), big.NewRat(2, 7), big.NewRat(3, 7)}, "0.285714 0.285714 0.428572"},
		{[]*big.Rat{big.NewRat(1, 7), big.NewRat(3, 7), big.NewRat(3, 7)}, "0.142857 0.428572 0.428571"},
		{[]*big.Rat{big.NewRat(1, 2), big.NewRat(1, 2)}, "0.500000 0.500000"},
		{[]*big.Rat{big.NewRat(1, 3_000_000), big.NewRat(2_999_999, 3_000_000)}, "0.000000 1.000000"},
	}
	for _, tt := range tests {
		got := Quantise(tt.shares)
		checkWeights(t, len(tt.shares), got)
		if s := strings.Join(decimals(got), " "); s != tt.want {
			t.Errorf("Quantise(%v) = %s, want %s", tt.shares, s, tt.want)
		}
	}
}
