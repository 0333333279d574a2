package ledger_test

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/alliance-ledger/alliance/ledger"
)

// The allocation-free valuation must round exactly as the big.Rat one:
// half away from zero, refusing what does not fit.
func TestMulRoundSmall(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() int64 {
		switch rng.IntN(4) {
		case 0:
			return rng.Int64N(1000) - 500
		case 1:
			return rng.Int64N(1 << 40)
		case 2:
			return []int64{0, 1, -1, 2, math.MaxInt64, math.MinInt64, math.MaxInt64 / 2, 1 << 31}[rng.IntN(8)]
		default:
			return rng.Int64() - rng.Int64()
		}
	}
	check := func(num, den, unit int64) {
		t.Helper()
		q := new(big.Rat).SetFrac(big.NewInt(num), big.NewInt(den))
		wantV, wantOK := ledger.MulRoundBig(q, unit)
		gotV, gotOK := ledger.MulRoundSmall(num, den, unit)
		if gotV != wantV || gotOK != wantOK {
			t.Fatalf("%d/%d × %d: got %d %v, big.Rat gives %d %v", num, den, unit, gotV, gotOK, wantV, wantOK)
		}
		if v, ok := ledger.MulRound(q, unit); v != wantV || ok != wantOK {
			t.Fatalf("MulRound(%d/%d, %d) = %d %v, want %d %v", num, den, unit, v, ok, wantV, wantOK)
		}
	}
	for _, c := range [][3]int64{{1, 2, 1}, {-1, 2, 1}, {3, 2, 1}, {-3, 2, 1}, {1, 3, 2}, {2, 3, 1}, {25, 2, 350000000}, {1, 1, math.MaxInt64}, {math.MinInt64, 1, -1}, {7, 4, -3}} {
		check(c[0], c[1], c[2])
	}
	for range 200000 {
		den := pick()
		if den <= 0 {
			den = rng.Int64N(1<<20) + 1
		}
		check(pick(), den, pick())
	}
}
