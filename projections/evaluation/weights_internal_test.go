package evaluation

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestEntropyLn checks the package's own ln against math.Log: within 1 ulp
// everywhere EntropyWeights uses it (p ∈ (0, 1], ln m), exact where ln is.
// Subnormal numbers are checked against values from C's libm instead:
// math.Log is wrong for them on amd64 (golang/go#56600).
func TestEntropyLn(t *testing.T) {
	if got := entropyLn(1); got != 0 {
		t.Errorf("ln 1 = %v, want 0", got)
	}
	for _, c := range []struct{ x, want float64 }{
		{math.SmallestNonzeroFloat64, -744.4400719213812},
		{2.5e-320, -735.9109501590998},
		{1e-310, -713.8013788281542},
	} {
		if got := entropyLn(c.x); got != c.want && math.Abs(got-c.want) > ulp(c.want) {
			t.Errorf("ln %v = %v, libm gives %v: more than 1 ulp apart", c.x, got, c.want)
		}
	}
	xs := []float64{
		0x1p-1022, 1e-300, 1e-10, 1.0 / 6, 1.0 / 3, 0.5, math.Sqrt2 / 2, math.Nextafter(math.Sqrt2/2, 0),
		0.9999999999, 1, 2, 3, 4, 12, 1000, math.E, math.MaxFloat64,
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		xs = append(xs, r.Float64(), math.Ldexp(r.Float64()+0.5, r.IntN(200)-100), float64(2+r.IntN(100000)))
	}
	for _, x := range xs {
		if x < 0x1p-1022 { // 0, or subnormal: see above
			continue
		}
		got, want := entropyLn(x), math.Log(x)
		if got != want && math.Abs(got-want) > ulp(want) {
			t.Errorf("ln %v = %v, math.Log gives %v: more than 1 ulp apart", x, got, want)
		}
	}
}

func ulp(x float64) float64 {
	x = math.Abs(x)
	return math.Nextafter(x, math.Inf(1)) - x
}
