package evaluation_test

import (
	"math/big"
	"strings"
	"testing"

	"github.com/alliance-ledger/alliance/projections/evaluation"
)

func TestNormScore(t *testing.T) {
	target := evaluation.Norm{Kind: "target", Target: mathRat("40")}                   // e.g. 40 patents a year
	targetLower := evaluation.Norm{Kind: "target", Target: mathRat("30"), Lower: true} // e.g. disputes resolved within 30 days
	rng := evaluation.Norm{Kind: "range", Min: mathRat("-10"), Max: mathRat("30")}     // e.g. growth from −10 % to 30 %
	rngLower := evaluation.Norm{Kind: "range", Min: mathRat("2"), Max: mathRat("10"), Lower: true}
	tests := []struct {
		name string
		n    evaluation.Norm
		x    string
		want string
	}{
		{"target: below", target, "30", "75"},
		{"target: a fraction", target, "13", "65/2"},
		{"target: at", target, "40", "100"},
		{"target: above, capped", target, "55", "100"},
		{"target: zero", target, "0", "0"},
		{"target: negative, floored at 0", target, "-5", "0"},

		{"target lower: under target", targetLower, "12", "100"},
		{"target lower: at target", targetLower, "30", "100"},
		{"target lower: zero", targetLower, "0", "100"},
		{"target lower: over target", targetLower, "40", "75"},
		{"target lower: far over target", targetLower, "90", "100/3"},

		{"range: below min", rng, "-20", "0"},
		{"range: at min", rng, "-10", "0"},
		{"range: inside", rng, "5", "75/2"},
		{"range: inside, fraction", rng, "0.25", "205/8"},
		{"range: at max", rng, "30", "100"},
		{"range: above max", rng, "45", "100"},

		{"range lower: below min", rngLower, "1", "100"},
		{"range lower: at min", rngLower, "2", "100"},
		{"range lower: inside", rngLower, "4", "75"},
		{"range lower: at max", rngLower, "10", "0"},
		{"range lower: above max", rngLower, "12", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.n.Validate(); err != nil {
				t.Fatal(err)
			}
			x := mathRat(tt.x)
			got := tt.n.Score(x)
			if got.Cmp(mathRat(tt.want)) != 0 {
				t.Errorf("Score(%s) = %s, want %s", tt.x, got.RatString(), tt.want)
			}
			if x.Cmp(mathRat(tt.x)) != 0 {
				t.Errorf("Score changed its argument to %s", x.RatString())
			}
			// The result is the caller's: changing it changes no later one.
			got.SetInt64(-1)
			if again := tt.n.Score(mathRat(tt.x)); again.Cmp(mathRat(tt.want)) != 0 {
				t.Errorf("after changing a result, Score(%s) = %s, want %s", tt.x, again.RatString(), tt.want)
			}
		})
	}
}

func TestNormValidate(t *testing.T) {
	tests := []struct {
		name string
		n    evaluation.Norm
		want string
	}{
		{"no kind", evaluation.Norm{Target: mathRat("1")}, `norm: kind "" is unknown; want "target" or "range"`},
		{"unknown kind", evaluation.Norm{Kind: "ratio", Target: mathRat("1")}, `norm: kind "ratio" is unknown`},
		{"target missing", evaluation.Norm{Kind: "target", Min: mathRat("0"), Max: mathRat("1")}, `norm: kind "target" needs a target`},
		{"target zero", evaluation.Norm{Kind: "target", Target: mathRat("0")}, "norm: target 0 is not positive"},
		{"target negative", evaluation.Norm{Kind: "target", Target: mathRat("-2.5"), Lower: true}, "norm: target -2.5 is not positive"},
		{"min missing", evaluation.Norm{Kind: "range", Max: mathRat("1")}, `norm: kind "range" needs a min`},
		{"max missing", evaluation.Norm{Kind: "range", Min: mathRat("1"), Target: mathRat("5")}, `norm: kind "range" needs a max`},
		{"max equals min", evaluation.Norm{Kind: "range", Min: mathRat("3"), Max: mathRat("3")}, "norm: max 3 is not above min 3"},
		{"max below min", evaluation.Norm{Kind: "range", Min: mathRat("10"), Max: mathRat("2"), Lower: true}, "norm: max 2 is not above min 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.n.Validate()
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			// Score refuses what Validate refuses.
			msg := mathPanicMessage(func() { tt.n.Score(mathRat("1")) })
			if !strings.Contains(msg, tt.want) {
				t.Errorf("Score panicked with %q, want it to contain %q", msg, tt.want)
			}
		})
	}
	ok := evaluation.Norm{Kind: "target", Target: mathRat("1")}
	if msg := mathPanicMessage(func() { ok.Score(nil) }); !strings.Contains(msg, "the value is missing") {
		t.Errorf("Score(nil) panicked with %q", msg)
	}
}

// mathPanicMessage runs f and returns what it panicked with ("" if it did
// not panic).
func mathPanicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg, _ = r.(string)
			if msg == "" {
				msg = "non-string panic"
			}
		}
	}()
	f()
	return ""
}

// TestNormScoreFeedsMemberships checks the intended pipeline: a raw value
// through Norm.Score into Memberships with the default grades.
func TestNormScoreFeedsMemberships(t *testing.T) {
	n := evaluation.Norm{Kind: "target", Target: mathRat("40")}
	s := n.Score(mathRat("36")) // 90
	m, err := evaluation.Memberships(s, evaluation.DefaultGradeValues())
	if err != nil {
		t.Fatal(err)
	}
	mathRequireRats(t, "memberships of 36 of 40", m, []*big.Rat{mathRat("0.5"), mathRat("0.5"), new(big.Rat), new(big.Rat), new(big.Rat)})
}
