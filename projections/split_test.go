package projections

import (
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSplitPaths: the 64-bit and the big-number ways of splitting give the
// same parts, which sum to the amount, for weights and amounts up to the
// limits.
func TestSplitPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		n := 1 + rng.IntN(8)
		rw := riskWeights{Total: new(big.Int)}
		for range n {
			var w int64
			switch rng.IntN(4) {
			case 0:
				w = 0
			case 1:
				w = rng.Int64N(10)
			case 2:
				w = rng.Int64N(1 << 40)
			default:
				w = rng.Int64N(1<<62) / int64(n)
			}
			rw.Weights = append(rw.Weights, big.NewInt(w))
			rw.Total.Add(rw.Total, big.NewInt(w))
		}
		amount := rng.Int64N(1 << 62)
		if i%3 == 0 {
			amount = rng.Int64N(1000)
		}
		slow := rw.split(amount)
		rw.fits = true
		rw.w64 = nil
		for _, w := range rw.Weights {
			rw.w64 = append(rw.w64, w.Uint64())
		}
		rw.total64 = rw.Total.Uint64()
		fast := rw.split(amount)
		if !slices.Equal(slow, fast) {
			t.Fatalf("weights %v amount %d: big %v, 64-bit %v", rw.Weights, amount, slow, fast)
		}
		if rw.Total.Sign() == 0 {
			if fast != nil {
				t.Fatalf("zero weights split into %v", fast)
			}
			continue
		}
		var sum int64
		for _, p := range fast {
			sum += p
		}
		if sum != amount {
			t.Fatalf("weights %v amount %d: parts %v sum to %d", rw.Weights, amount, fast, sum)
		}
	}
}
