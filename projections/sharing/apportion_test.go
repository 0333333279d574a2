package sharing_test

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/alliance-ledger/alliance/projections/sharing"
	"github.com/google/go-cmp/cmp"
)

// TestApportionCases checks worked apportionments, the tie-break among
// them: equal remainders go to the lower index.
func TestApportionCases(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pool    int64
		weights []string
		want    []int64
	}{
		{"equal thirds, one unit left: the lowest index", 10, []string{"1", "1", "1"}, []int64{4, 3, 3}},
		{"equal thirds, two units left", 11, []string{"1", "1", "1"}, []int64{4, 4, 3}},
		{"fewer units than players", 2, []string{"1", "1", "1"}, []int64{1, 1, 0}},
		{"largest remainder wins over index", 10, []string{"1/10", "3/10", "6/10"}, []int64{1, 3, 6}},
		{"remainders .24, .35, .41", 3, []string{"8", "45", "47"}, []int64{0, 1, 2}},
		// Hare–Niemeyer: 7 seats, votes 100, 80, 20 → quotas 3.5, 2.8, .7:
		// floors 3, 2, 0 and the 2 left to .8 and .7.
		{"Hare–Niemeyer seats", 7, []string{"100", "80", "20"}, []int64{3, 3, 1}},
		{"pool 0", 0, []string{"1", "2"}, []int64{0, 0}},
		{"one player", 12345, []string{"7/3"}, []int64{12345}},
		{"zero weights get nothing", 5, []string{"0", "1", "0", "1", "0"}, []int64{0, 3, 0, 2, 0}},
		{"huge pool", 1e15, []string{"1", "1", "1"}, []int64{333333333333334, 333333333333333, 333333333333333}},
		{"largest pool", math.MaxInt64, []string{"1", "1"}, []int64{math.MaxInt64/2 + 1, math.MaxInt64 / 2}},
		{"many equal remainders", 17, []string{"1", "1", "1", "1", "1", "1", "1"}, []int64{3, 3, 3, 2, 2, 2, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, rs, err := sharing.Apportion(tc.pool, ratsFrom(tc.weights...))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("amounts (-want +got):\n%s", diff)
			}
			checkApportion(t, tc.pool, ratsFrom(tc.weights...), got, rs)
		})
	}
}

// checkApportion holds an apportionment to its definition.
func checkApportion(t *testing.T, pool int64, w []*big.Rat, got []int64, rs []sharing.Rounding) {
	t.Helper()
	total := ratSum(w)
	var sum int64
	for i := range got {
		sum += got[i]
		r := rs[i]
		exact := new(big.Rat).Mul(big.NewRat(pool, 1), w[i])
		exact.Quo(exact, total)
		if r.Exact.Cmp(exact) != 0 {
			t.Fatalf("player %d: Exact = %s, want %s", i, r.Exact.RatString(), exact.RatString())
		}
		if rem := new(big.Rat).Sub(exact, big.NewRat(r.Floor, 1)); r.Remainder.Cmp(rem) != 0 || rem.Sign() < 0 || rem.Cmp(big.NewRat(1, 1)) >= 0 {
			t.Fatalf("player %d: Floor %d, Remainder %s of %s", i, r.Floor, r.Remainder.RatString(), exact.RatString())
		}
		if r.Extra != 0 && r.Extra != 1 || got[i] != r.Floor+r.Extra {
			t.Fatalf("player %d: amount %d, Floor %d, Extra %d", i, got[i], r.Floor, r.Extra)
		}
		if w[i].Sign() == 0 && got[i] != 0 {
			t.Fatalf("player %d of weight 0 gets %d", i, got[i])
		}
		for j := range got {
			// Every unit left over went to a remainder at least as large,
			// and on a tie to the lower index.
			if r.Extra == 1 && rs[j].Extra == 0 {
				c := r.Remainder.Cmp(rs[j].Remainder)
				if c < 0 || c == 0 && i > j {
					t.Fatalf("player %d got an extra unit (remainder %s) but player %d did not (remainder %s)", i, r.Remainder.RatString(), j, rs[j].Remainder.RatString())
				}
			}
		}
	}
	if sum != pool {
		t.Fatalf("amounts sum to %d, pool is %d", sum, pool)
	}
}

// TestApportionProperties holds random apportionments, with zero weights
// and many equal remainders, to the definition.
func TestApportionProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	pools := []int64{0, 1, 2, 99, 1e6, 1e15, math.MaxInt64}
	cases := 2000
	if raceEnabled || testing.Short() {
		cases = 400
	}
	for k := range cases {
		n := 1 + rng.IntN(12)
		w := make([]*big.Rat, n)
		for i := range w {
			switch rng.IntN(4) {
			case 0:
				w[i] = new(big.Rat)
			case 1:
				w[i] = big.NewRat(1, 1) // equal weights: equal remainders
			default:
				w[i] = big.NewRat(rng.Int64N(1e12), 1+rng.Int64N(1e6))
			}
		}
		if ratSum(w).Sign() == 0 {
			w[rng.IntN(n)] = big.NewRat(3, 7)
		}
		pool := pools[k%len(pools)]
		if k%2 == 1 {
			pool = rng.Int64N(1e9)
		}
		got, rs, err := sharing.Apportion(pool, w)
		if err != nil {
			t.Fatal(err)
		}
		checkApportion(t, pool, w, got, rs)
	}
}

// TestApportionErrors checks each refusal names what is wrong.
func TestApportionErrors(t *testing.T) {
	for _, tc := range []struct {
		pool int64
		w    []*big.Rat
		want string
	}{
		{-1, ratsFrom("1"), "pool is negative (-1)"},
		{5, nil, "no weights"},
		{5, ratsFrom("1", "0", "-1/3"), "weight 2 is negative (-1/3)"},
		{5, []*big.Rat{big.NewRat(1, 1), nil}, "weight 1 is missing (nil)"},
		{5, ratsFrom("0", "0"), "all 2 weights are zero"},
	} {
		if _, _, err := sharing.Apportion(tc.pool, tc.w); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Apportion(%d, %d weights): got %v, want %q", tc.pool, len(tc.w), err, tc.want)
		}
	}
}
