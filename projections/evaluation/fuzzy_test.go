package evaluation_test

import (
	"math/big"
	"strings"
	"testing"

	"github.com/alliance-ledger/alliance/projections/evaluation"
)

// mathRat parses an exact decimal or fraction, failing loudly on a typo.
func mathRat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic("bad number in test: " + s)
	}
	return r
}

func mathRats(ss ...string) []*big.Rat {
	out := make([]*big.Rat, len(ss))
	for i, s := range ss {
		out[i] = mathRat(s)
	}
	return out
}

// mathRequireRats requires got == want exactly, element by element.
func mathRequireRats(t *testing.T, what string, got, want []*big.Rat) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d numbers %s, want %d %s", what, len(got), mathShow(got), len(want), mathShow(want))
		return
	}
	for i := range got {
		if got[i] == nil || got[i].Cmp(want[i]) != 0 {
			t.Errorf("%s: got %s, want %s", what, mathShow(got), mathShow(want))
			return
		}
	}
}

func mathShow(xs []*big.Rat) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		if x == nil {
			parts[i] = "<nil>"
		} else {
			parts[i] = x.RatString()
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// TestFuzzyClothingExample is the worked example of 张敬信 (Zhang Jingxin),
// 《mathmodels 包使用手册：化繁为简的数学建模利器》, an online book
// (https://zhjx19.github.io/mathmodels-book/fuzzy-eval.html; source
// github.com/zhjx19/mathmodels-book, fuzzy-eval.qmd, outputs in
// docs/fuzzy-eval.html), chapter 11 模糊综合评价, section 11.2
// 模糊综合评价算法步骤, steps (1)–(5): a garment judged on 色彩, 做工, 品牌, 款式
// (colour, workmanship, brand, style) with weights w = (0.3, 0.3, 0.3, 0.1)
// over the grades 好, 一般, 差 (good, fair, poor); the shares of judges give
// r1 = (0.8, 0.1, 0.1), r2 = (0.7, 0.2, 0.1), r3 = (0.6, 0.2, 0.2),
// r4 = (0.7, 0.1, 0.2). With the weighted-average operator (加权平均型,
// type 3) the book gets μ = (0.70, 0.16, 0.14), and with the grade scores
// (90, 75, 50) the weighted-average defuzzification (加权平均法) 82.
func TestFuzzyClothingExample(t *testing.T) {
	w := mathRats("0.3", "0.3", "0.3", "0.1")
	r := [][]*big.Rat{
		mathRats("0.8", "0.1", "0.1"),
		mathRats("0.7", "0.2", "0.1"),
		mathRats("0.6", "0.2", "0.2"),
		mathRats("0.7", "0.1", "0.2"),
	}
	b, err := evaluation.Compose(w, r)
	if err != nil {
		t.Fatal(err)
	}
	mathRequireRats(t, "B", b, mathRats("0.70", "0.16", "0.14"))
	s, err := evaluation.Score(b, mathRats("90", "75", "50"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Cmp(mathRat("82")) != 0 {
		t.Errorf("B·V = %s, the book has 82", s.RatString())
	}
}

// TestFuzzyTillageCase is the case study in the same chapter of 张敬信's
// book (section 11.3 案例：耕作方案的模糊综合评价, tables 1 and 2): three tillage schemes 甲, 乙, 丙
// judged on yield, quality, labour, income and ecology with weights
// (0.2, 0.1, 0.15, 0.3, 0.25) over the grades 优, 良, 中, 差 (excellent,
// good, fair, poor). The book turns the three smaller-is-better indicators
// around (quality and ecology grade to 5 − x, labour to 80 − x) and
// computes each membership vector with piecewise-linear (triangular,
// half-trapezoid at the ends) functions centred on the indicator's
// thresholds — which is Memberships with the thresholds, best first, as
// the grade values. It prints every membership matrix, the composed
// vectors (weighted-average operator) and, with the grade scores 90, 75,
// 60, 30, the weighted-average scores 61.5375, 75.5325, 75.6975.
//
// The book lists grades worst first (差, 中, 良, 优); here they are best
// first, so its vectors appear reversed. (Its comment on the scores,
// "优良中差", names them best first while listing c(30, 60, 75, 90); the
// printed scores show that 差 is 30 and 优 90.)
func TestFuzzyTillageCase(t *testing.T) {
	// Thresholds, best first, from the book's th_mat (reversed).
	thresholds := [][]*big.Rat{
		mathRats("550", "450", "350", "0"), // yield, kg per mu
		mathRats("4", "3", "2", "1"),       // quality, as 5 − grade
		mathRats("60", "40", "20", "0"),    // labour, as 80 − workdays per mu
		mathRats("130", "90", "50", "0"),   // net income, yuan per mu
		mathRats("4", "3", "2", "1"),       // ecology, as 5 − grade
	}
	weights := mathRats("0.2", "0.1", "0.15", "0.3", "0.25")
	values := mathRats("90", "75", "60", "30")
	schemes := []struct {
		name  string
		x     []string   // the book's table 2, after turning around
		r     [][]string // the book's membership matrix, one row per indicator, best first
		b     []string   // the book's composed vector, best first
		score string     // the book's weighted-average score
	}{
		{
			name: "甲", x: []string{"592.5", "2", "25", "72", "1"},
			r: [][]string{
				{"1", "0", "0", "0"},
				{"0", "0", "1", "0"},
				{"0", "0.25", "0.75", "0"},
				{"0", "0.55", "0.45", "0"},
				{"0", "0", "0", "1"},
			},
			b: []string{"0.2000", "0.2025", "0.3475", "0.2500"}, score: "61.5375",
		},
		{
			name: "乙", x: []string{"529", "3", "42", "105", "2"},
			r: [][]string{
				{"0.79", "0.21", "0", "0"},
				{"0", "1", "0", "0"},
				{"0.1", "0.9", "0", "0"},
				{"0.375", "0.625", "0", "0"},
				{"0", "0", "1", "0"},
			},
			b: []string{"0.2855", "0.4645", "0.2500", "0.0000"}, score: "75.5325",
		},
		{
			name: "丙", x: []string{"412", "4", "48", "85", "3"},
			r: [][]string{
				{"0", "0.62", "0.38", "0"},
				{"1", "0", "0", "0"},
				{"0.4", "0.6", "0", "0"},
				{"0", "0.875", "0.125", "0"},
				{"0", "1", "0", "0"},
			},
			b: []string{"0.1600", "0.7265", "0.1135", "0.0000"}, score: "75.6975",
		},
	}
	for _, sc := range schemes {
		t.Run(sc.name, func(t *testing.T) {
			r := make([][]*big.Rat, len(sc.x))
			for i, x := range sc.x {
				m, err := evaluation.Memberships(mathRat(x), thresholds[i])
				if err != nil {
					t.Fatal(err)
				}
				mathRequireRats(t, "memberships of indicator "+x, m, mathRats(sc.r[i]...))
				r[i] = m
			}
			b, err := evaluation.Compose(weights, r)
			if err != nil {
				t.Fatal(err)
			}
			mathRequireRats(t, "B", b, mathRats(sc.b...))
			s, err := evaluation.Score(b, values)
			if err != nil {
				t.Fatal(err)
			}
			if s.Cmp(mathRat(sc.score)) != 0 {
				t.Errorf("B·V = %s, the book has %s", s.FloatString(4), sc.score)
			}
		})
	}
}

func TestGradesAndDefaultValues(t *testing.T) {
	v := evaluation.DefaultGradeValues()
	mathRequireRats(t, "DefaultGradeValues", v, mathRats("95", "85", "75", "65", "50"))
	if len(evaluation.Grades) != len(v) || len(evaluation.GradesZH) != len(v) {
		t.Errorf("%d grades, %d Chinese names, %d values", len(evaluation.Grades), len(evaluation.GradesZH), len(v))
	}
	if evaluation.Grades[0] != "excellent" || evaluation.GradesZH[0] != "优秀" || evaluation.Grades[4] != "unqualified" || evaluation.GradesZH[4] != "不合格" {
		t.Errorf("grades %v %v, want best first", evaluation.Grades, evaluation.GradesZH)
	}
	v[0].SetInt64(0) // a caller's change stays with the caller
	mathRequireRats(t, "DefaultGradeValues after a caller changed its copy", evaluation.DefaultGradeValues(), mathRats("95", "85", "75", "65", "50"))
}

func TestMembershipsDefaultGrades(t *testing.T) {
	v := evaluation.DefaultGradeValues()
	tests := []struct {
		score string
		want  []string // excellent, good, medium, qualified, unqualified
	}{
		// Outside the range: all in the end grade.
		{"120", []string{"1", "0", "0", "0", "0"}},
		{"100", []string{"1", "0", "0", "0", "0"}},
		{"0", []string{"0", "0", "0", "0", "1"}},
		{"-3", []string{"0", "0", "0", "0", "1"}},
		// At each grade value: all in that grade.
		{"95", []string{"1", "0", "0", "0", "0"}},
		{"85", []string{"0", "1", "0", "0", "0"}},
		{"75", []string{"0", "0", "1", "0", "0"}},
		{"65", []string{"0", "0", "0", "1", "0"}},
		{"50", []string{"0", "0", "0", "0", "1"}},
		// Between two values: split linearly between those two grades.
		{"90", []string{"1/2", "1/2", "0", "0", "0"}},
		{"92", []string{"7/10", "3/10", "0", "0", "0"}},
		{"84", []string{"0", "9/10", "1/10", "0", "0"}},
		{"70", []string{"0", "0", "1/2", "1/2", "0"}},
		{"57.5", []string{"0", "0", "0", "1/2", "1/2"}}, // the last interval is 15 wide
		{"51.5", []string{"0", "0", "0", "1/10", "9/10"}},
		{"200/3", []string{"0", "0", "1/6", "5/6", "0"}},
		{"155/3", []string{"0", "0", "0", "1/9", "8/9"}},
	}
	for _, tt := range tests {
		m, err := evaluation.Memberships(mathRat(tt.score), v)
		if err != nil {
			t.Fatalf("score %s: %v", tt.score, err)
		}
		mathRequireRats(t, "score "+tt.score, m, mathRats(tt.want...))
	}
}

// TestMembershipsSumToOne sweeps scores in steps of 1/7 (so that most fall
// between grade values, at awkward fractions) from below the range to above
// it: the degrees are ≥ 0, sum to exactly 1, and at most two adjacent ones
// are non-zero.
func TestMembershipsSumToOne(t *testing.T) {
	v := evaluation.DefaultGradeValues()
	for n := int64(-70); n <= 770; n++ {
		score := big.NewRat(n, 7)
		m, err := evaluation.Memberships(score, v)
		if err != nil {
			t.Fatal(err)
		}
		sum := new(big.Rat)
		first, last := -1, -1
		for k, x := range m {
			if x.Sign() < 0 {
				t.Errorf("score %s: degree %d is %s", score.RatString(), k, x.RatString())
			}
			if x.Sign() > 0 {
				if first < 0 {
					first = k
				}
				last = k
			}
			sum.Add(sum, x)
		}
		if sum.Cmp(big.NewRat(1, 1)) != 0 {
			t.Errorf("score %s: degrees %s sum to %s", score.RatString(), mathShow(m), sum.RatString())
		}
		if last-first > 1 {
			t.Errorf("score %s: degrees %s spread over more than two adjacent grades", score.RatString(), mathShow(m))
		}
	}
}

func TestMembershipsErrors(t *testing.T) {
	tests := []struct {
		name  string
		score *big.Rat
		v     []*big.Rat
		want  string
	}{
		{"no values", mathRat("70"), nil, "grade values: 0 given; at least 2 grades are needed"},
		{"one value", mathRat("70"), mathRats("90"), "grade values: 1 given; at least 2 grades are needed"},
		{"equal neighbours", mathRat("70"), mathRats("95", "85", "85", "50"), "grade values: v[2] = 85 is not below v[1] = 85"},
		{"ascending", mathRat("70"), mathRats("50", "65", "75"), "grade values: v[1] = 65 is not below v[0] = 50"},
		{"a value missing", mathRat("70"), []*big.Rat{mathRat("90"), nil, mathRat("50")}, "grade values: v[1] is missing"},
		{"no score", nil, evaluation.DefaultGradeValues(), "memberships: the score is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := evaluation.Memberships(tt.score, tt.v)
			if err == nil {
				t.Fatalf("got %s, want an error", mathShow(m))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestComposeErrors(t *testing.T) {
	r3 := [][]*big.Rat{mathRats("1", "0"), mathRats("0.5", "0.5"), mathRats("0", "1")}
	tests := []struct {
		name string
		w    []*big.Rat
		r    [][]*big.Rat
		want string
	}{
		{"no weights", nil, nil, "compose: no weights"},
		{"fewer rows than weights", mathRats("0.5", "0.5"), r3[:1], "compose: 2 weights but 1 rows of memberships"},
		{"weights short of 1", mathRats("0.3", "0.3", "0.3"), r3, "compose: the weights sum to 0.9, not 1"},
		{"weights over 1", mathRats("1/3", "1/3", "1/2"), r3, "compose: the weights sum to 7/6, not 1"},
		{"a weight missing", []*big.Rat{mathRat("0.5"), nil, mathRat("0.5")}, r3, "compose: weight w[1] is missing"},
		{"a negative weight", mathRats("0.5", "-0.5", "1"), r3, "compose: weight w[1] = -0.5 is negative"},
		{"empty rows", mathRats("1"), [][]*big.Rat{{}}, "compose: row r[0] is empty"},
		{"ragged rows", mathRats("0.5", "0.5"), [][]*big.Rat{mathRats("1", "0"), mathRats("1")}, "compose: row r[1] has 1 degrees, want 2 like r[0]"},
		{"a row short of 1", mathRats("0.5", "0.25", "0.25"), [][]*big.Rat{mathRats("1", "0"), mathRats("0.5", "0.4"), mathRats("0", "1")}, "compose: row r[1] sums to 0.9, not 1"},
		{"a row over 1", mathRats("0.5", "0.25", "0.25"), [][]*big.Rat{mathRats("1", "0"), mathRats("0", "1"), mathRats("2/3", "2/3")}, "compose: row r[2] sums to 4/3, not 1"},
		{"a negative degree", mathRats("0.5", "0.5"), [][]*big.Rat{mathRats("1.5", "-0.5"), mathRats("0", "1")}, "compose: r[0][1] = -0.5 is negative"},
		{"a degree missing", mathRats("0.5", "0.5"), [][]*big.Rat{mathRats("1", "0"), {nil, mathRat("1")}}, "compose: r[1][0] is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := evaluation.Compose(tt.w, tt.r)
			if err == nil {
				t.Fatalf("got %s, want an error", mathShow(b))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestComposeWithMemberships composes the memberships of 0–100 scores with
// the default grades and checks that B·V gives back the weighted mean
// score: the triangular memberships are centred on the grade values, so
// between v[last] and v[0] they keep a score's value exactly.
func TestComposeWithMemberships(t *testing.T) {
	v := evaluation.DefaultGradeValues()
	scores := mathRats("92", "70", "57.5", "155/3")
	w := mathRats("0.4", "0.3", "0.2", "0.1")
	r := make([][]*big.Rat, len(scores))
	mean := new(big.Rat)
	for i, s := range scores {
		m, err := evaluation.Memberships(s, v)
		if err != nil {
			t.Fatal(err)
		}
		r[i] = m
		mean.Add(mean, new(big.Rat).Mul(w[i], s))
	}
	b, err := evaluation.Compose(w, r)
	if err != nil {
		t.Fatal(err)
	}
	// 0.4·(0.7, 0.3) + 0.3·(0.5, 0.5 at medium/qualified) + 0.2·(0.5, 0.5 at
	// qualified/unqualified) + 0.1·(1/9, 8/9 at qualified/unqualified).
	want := []*big.Rat{mathRat("0.28"), mathRat("0.12"), mathRat("0.15"), new(big.Rat).Add(mathRat("0.25"), mathRat("1/90")), new(big.Rat).Add(mathRat("0.1"), mathRat("8/90"))}
	mathRequireRats(t, "B", b, want)
	s, err := evaluation.Score(b, v)
	if err != nil {
		t.Fatal(err)
	}
	if s.Cmp(mean) != 0 {
		t.Errorf("B·V = %s, want the weighted mean score %s", s.RatString(), mean.RatString())
	}
}

func TestScore(t *testing.T) {
	v := evaluation.DefaultGradeValues()
	tests := []struct {
		b    []string
		want string
	}{
		{[]string{"1", "0", "0", "0", "0"}, "95"},
		{[]string{"0", "0", "0", "0", "1"}, "50"},
		{[]string{"0.2", "0.5", "0.3", "0", "0"}, "84"},
		{[]string{"0.2", "0.2", "0.2", "0.2", "0.2"}, "74"},
		{[]string{"1/3", "0", "1/3", "0", "1/3"}, "220/3"},
	}
	for _, tt := range tests {
		s, err := evaluation.Score(mathRats(tt.b...), v)
		if err != nil {
			t.Fatal(err)
		}
		if s.Cmp(mathRat(tt.want)) != 0 {
			t.Errorf("B %v: B·V = %s, want %s", tt.b, s.RatString(), tt.want)
		}
	}

	errs := []struct {
		name string
		b, v []*big.Rat
		want string
	}{
		{"empty", nil, nil, "score: no membership degrees"},
		{"lengths differ", mathRats("0.5", "0.5"), v, "score: 2 membership degrees but 5 grade values"},
		{"a degree missing", []*big.Rat{mathRat("1"), nil}, mathRats("90", "50"), "score: membership b[1] is missing"},
		{"a value missing", mathRats("1", "0"), []*big.Rat{nil, mathRat("50")}, "score: grade value v[0] is missing"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			s, err := evaluation.Score(tt.b, tt.v)
			if err == nil {
				t.Fatalf("got %s, want an error", s.RatString())
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}
