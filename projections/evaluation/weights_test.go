package evaluation_test

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/alliance-ledger/alliance/projections/evaluation"
)

// xu2004 is the decision matrix of Xu Xiaozhan, "A note on the subjective
// and objective integrated approach to determine attribute weights",
// European Journal of Operational Research 156(2), 2004, pp. 530–532,
// doi:10.1016/S0377-2217(03)00146-2: 4 alternatives (rows) × 4 attributes
// (columns), all benefit attributes, entropy taken on the raw values. Its
// entropy weights are 0.4630, 0.3992, 0.1378, 0.0000 (the last column,
// 29/29/28.9/29, hardly varies), to 4 decimals, as the entropy tests
// (class Test_Entropy, test_Entropy) of the Python packages pyrepo-mcda
// and objective-weights-mcda reproduce them from the paper.
var xu2004 = [][]float64{
	{30, 30, 38, 29},
	{19, 54, 86, 29},
	{19, 15, 85, 28.9},
	{68, 70, 60, 29},
}

// elsayed2017 is the decision matrix of Elsayed A. Elsayed, A. K. Shaik
// Dawood and R. Karthikeyan, "Evaluating Alternatives through the
// Application of TOPSIS Method with Entropy Weight", International Journal
// of Engineering Trends and Technology 46(2), 2017, pp. 60–66,
// doi:10.14445/22315381/IJETT-V46P211: 12 Saudi banks × 5 criteria. Its
// entropy weights, to 6 decimals as the Python package pymcdm's test suite
// (class TestEntropyWeights, which cites the paper) has them, are
// 0.104991, 0.069124, 0.071373, 0.449937, 0.304575.
var elsayed2017 = [][]float64{
	{7, 312, 1891, 6613, 163},
	{72, 88, 728, 941804, 1078},
	{10, 252, 2594, 3466, 117471},
	{10, 145, 980, 2371, 86329},
	{65, 54, 350, 501, 29897},
	{29, 48, 380, 912, 34051},
	{7, 476, 3300, 78470, 2212},
	{70, 87, 650, 733, 819000},
	{4, 86, 591, 3015, 103},
	{12, 79, 579, 3240, 96098},
	{21, 45, 261, 1253, 453},
	{1, 72, 530, 4333, 0.104800},
}

func TestEntropyWeightsPublishedExamples(t *testing.T) {
	tests := []struct {
		name      string
		x         [][]float64
		published []string
		places    int // the source's rounding
	}{
		{"Xu 2004, EJOR 156(2)", xu2004, []string{"0.4630", "0.3992", "0.1378", "0.0000"}, 4},
		{"Elsayed et al. 2017, IJETT 46(2)", elsayed2017, []string{"0.104991", "0.069124", "0.071373", "0.449937", "0.304575"}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := evaluation.EntropyWeights(tt.x)
			if err != nil {
				t.Fatal(err)
			}
			if len(w) != len(tt.published) {
				t.Fatalf("got %d weights, want %d", len(w), len(tt.published))
			}
			// The source rounds to nearest at its places; ours are
			// quantised to 6 places by largest remainder, which may put
			// one unit of 10^-6 elsewhere than rounding would.
			tol := new(big.Rat).Add(new(big.Rat).SetFrac(big.NewInt(5), pow10(tt.places+1)), big.NewRat(1, 1_000_000))
			for j, p := range tt.published {
				diff := new(big.Rat).Sub(w[j], mathRat(p))
				if diff.Abs(diff).Cmp(tol) > 0 {
					t.Errorf("w[%d] = %s, published %s (tolerance %s)", j, w[j].FloatString(6), p, tol.FloatString(7))
				}
			}
			requireSumOne(t, w)
		})
	}
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// requireSumOne checks the weights are 6-decimal exact and sum to exactly 1.
func requireSumOne(t *testing.T, w []*big.Rat) {
	t.Helper()
	sum := new(big.Rat)
	million := big.NewRat(1_000_000, 1)
	for j, x := range w {
		if x.Sign() < 0 {
			t.Errorf("w[%d] = %s is negative", j, x.RatString())
		}
		if !new(big.Rat).Mul(x, million).IsInt() {
			t.Errorf("w[%d] = %s has more than 6 decimals", j, x.RatString())
		}
		sum.Add(sum, x)
	}
	if sum.Cmp(big.NewRat(1, 1)) != 0 {
		t.Errorf("the weights sum to %s, not exactly 1", sum.RatString())
	}
}

func TestEntropyWeightsProperties(t *testing.T) {
	tests := []struct {
		name string
		x    [][]float64
		want []string // exact, when the case has an exact answer
	}{
		{"an all-equal column gets 0", [][]float64{{1, 7}, {2, 7}, {3, 7}}, []string{"1", "0"}},
		{"an all-zero column gets 0", [][]float64{{0, 4, 1}, {0, 5, 2}, {0, 6, 9}}, nil},
		{"every column all-equal: equal weights, the odd unit to the lowest index", [][]float64{{1, 2, 3}, {1, 2, 3}}, []string{"0.333334", "0.333333", "0.333333"}},
		{"all zero: equal weights", [][]float64{{0, 0}, {0, 0}, {0, 0}, {0, 0}}, []string{"0.5", "0.5"}},
		{"one column: weight 1", [][]float64{{3}, {4}}, []string{"1"}},
		{"one sample has it all: e = 0, d = 1, as much as a column can tell", [][]float64{{0, 1}, {0, 2}, {9, 3}}, nil},
		{"two samples", [][]float64{{1, 1}, {3, 2}}, nil},
		{"xu2004", xu2004, nil},
		{"elsayed2017", elsayed2017, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := evaluation.EntropyWeights(tt.x)
			if err != nil {
				t.Fatal(err)
			}
			requireSumOne(t, w)
			if tt.want != nil {
				mathRequireRats(t, "w", w, mathRats(tt.want...))
			}
			for j := range tt.x[0] {
				constant := true
				for i := range tt.x {
					constant = constant && tt.x[i][j] == tt.x[0][j]
				}
				if constant && w[j].Sign() != 0 && !allConstant(tt.x) {
					t.Errorf("column %d does not vary, yet w[%d] = %s", j, j, w[j].FloatString(6))
				}
			}
		})
	}
}

func allConstant(x [][]float64) bool {
	for i := range x {
		for j := range x[i] {
			if x[i][j] != x[0][j] {
				return false
			}
		}
	}
	return true
}

// TestEntropyWeightsOneSampleDecides checks the column where one sample
// holds everything: p = (0, 0, 1), e = 0, d = 1, against the third column
// whose d is computed by hand: p = (1/6, 2/6, 3/6).
func TestEntropyWeightsOneSampleDecides(t *testing.T) {
	w, err := evaluation.EntropyWeights([][]float64{{0, 1}, {0, 2}, {9, 3}})
	if err != nil {
		t.Fatal(err)
	}
	h := (1.0/6)*math.Log(1.0/6) + (2.0/6)*math.Log(2.0/6) + (3.0/6)*math.Log(3.0/6)
	d := 1 + h/math.Log(3)
	want := []float64{1 / (1 + d), d / (1 + d)}
	for j := range want {
		if got, _ := w[j].Float64(); math.Abs(got-want[j]) > 1e-6 {
			t.Errorf("w[%d] = %s, want %.6f", j, w[j].FloatString(6), want[j])
		}
	}
}

// TestEntropyWeightsRowOrder checks that the order of the samples does not
// matter, for every ordering of Xu's four rows: in exact arithmetic it
// cannot, and the float sums, though taken in another order, agree to the
// 6 decimals kept.
func TestEntropyWeightsRowOrder(t *testing.T) {
	base, err := evaluation.EntropyWeights(xu2004)
	if err != nil {
		t.Fatal(err)
	}
	for _, perm := range permutations(len(xu2004)) {
		x := make([][]float64, len(perm))
		for i, p := range perm {
			x[i] = xu2004[p]
		}
		w, err := evaluation.EntropyWeights(x)
		if err != nil {
			t.Fatal(err)
		}
		mathRequireRats(t, fmt.Sprintf("rows in order %v", perm), w, base)
	}
}

func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for at := 0; at <= len(p); at++ {
			q := append(append(append([]int{}, p[:at]...), n-1), p[at:]...)
			out = append(out, q)
		}
	}
	return out
}

// TestEntropyWeightsScale checks that scaling a column by a power of two
// (exact in float64) changes nothing, up to values whose column sum would
// overflow float64.
func TestEntropyWeightsScale(t *testing.T) {
	base, err := evaluation.EntropyWeights(xu2004)
	if err != nil {
		t.Fatal(err)
	}
	// Column 2 sums to 269: from 2^1016 on its sum overflows float64, and
	// from 2^1018 on its largest value, 86.
	for _, exp := range []int{-20, 10, 1015, 1016, 1017} {
		x := make([][]float64, len(xu2004))
		for i, row := range xu2004 {
			x[i] = append([]float64(nil), row...)
			x[i][2] = math.Ldexp(row[2], exp)
		}
		w, err := evaluation.EntropyWeights(x)
		if err != nil {
			t.Fatalf("column 2 scaled by 2^%d: %v", exp, err)
		}
		mathRequireRats(t, fmt.Sprintf("column 2 scaled by 2^%d", exp), w, base)
	}
	// Every value at the largest float64: a constant column, weight 0.
	w, err := evaluation.EntropyWeights([][]float64{{math.MaxFloat64, 1}, {math.MaxFloat64, 2}})
	if err != nil {
		t.Fatal(err)
	}
	mathRequireRats(t, "w", w, mathRats("0", "1"))
}

func TestEntropyWeightsErrors(t *testing.T) {
	tests := []struct {
		name string
		x    [][]float64
		want string
	}{
		{"no rows", nil, "x: 0 rows; the entropy method needs at least 2 samples"},
		{"one row", [][]float64{{1, 2}}, "x: 1 rows; the entropy method needs at least 2 samples"},
		{"no columns", [][]float64{{}, {}}, "x[0]: the row is empty"},
		{"ragged", [][]float64{{1, 2}, {3, 4}, {5}}, "x[2]: the row has 1 values, want 2 like x[0]"},
		{"negative", [][]float64{{1, 2}, {3, -4}}, "x[1][1]: -4 is negative"},
		{"NaN", [][]float64{{1, math.NaN()}, {3, 4}}, "x[0][1]: NaN is not a finite number"},
		{"+Inf", [][]float64{{1, 2}, {math.Inf(1), 4}}, "x[1][0]: +Inf is not a finite number"},
		{"-Inf", [][]float64{{1, 2}, {3, 4}, {math.Inf(-1), 0}}, "x[2][0]: -Inf is not a finite number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := evaluation.EntropyWeights(tt.x)
			if err == nil {
				t.Fatalf("got weights %v, want an error", w)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestEntropyWeightsDeterministic pins Xu's weights to every one of the 6
// decimals kept: EntropyWeights uses no platform-dependent function (its ln
// is its own) and no fusable multiply-add, so these must come out
// identically on every platform and every run. The unrounded weights are
// 0.46295229, 0.39920355, 0.13784086, 0.00000331: floors 462952, 399203,
// 137840, 3 leave 2 units for the largest remainders, of w[2] and w[1].
func TestEntropyWeightsDeterministic(t *testing.T) {
	want := mathRats("0.462952", "0.399204", "0.137841", "0.000003")
	first, err := evaluation.EntropyWeights(xu2004)
	if err != nil {
		t.Fatal(err)
	}
	mathRequireRats(t, "first run", first, want)
	for run := 0; run < 3; run++ {
		again, err := evaluation.EntropyWeights(xu2004)
		if err != nil {
			t.Fatal(err)
		}
		mathRequireRats(t, "again", again, first)
	}
	// The input is not changed.
	if xu2004[2][3] != 28.9 || xu2004[3][0] != 68 {
		t.Errorf("EntropyWeights changed its input: %v", xu2004)
	}
}
