package sharing_test

import (
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/alliance-ledger/alliance/projections/sharing"
	"github.com/google/go-cmp/cmp"
)

// TestCorrect checks a worked correction: the design's worked check
// (φ = 13/3, 23/6, 17/6, v(N) = 11) with risk weights 1/2, 1/3, 1/6
// against the equal 1/3: φ'_0 = 13/3 + (1/2−1/3)·11 = 13/3 + 11/6.
func TestCorrect(t *testing.T) {
	got, err := sharing.Correct(ratsFrom("13/3", "23/6", "17/6"), ratsFrom("1/2", "1/3", "1/6"), ratFrom("11"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"37/6", "23/6", "1"}, ratStrs(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Equal weights change nothing.
	got, _ = sharing.Correct(ratsFrom("13/3", "23/6", "17/6"), ratsFrom("1/3", "1/3", "1/3"), ratFrom("11"))
	if diff := cmp.Diff([]string{"13/3", "23/6", "17/6"}, ratStrs(got)); diff != "" {
		t.Errorf("equal weights (-want +got):\n%s", diff)
	}
}

// randomRats draws n rationals, some negative when neg.
func randomRats(rng *rand.Rand, n int, neg bool) []*big.Rat {
	out := make([]*big.Rat, n)
	for i := range out {
		a := rng.Int64N(1e9)
		if neg && rng.IntN(3) == 0 {
			a = -a
		}
		out[i] = big.NewRat(a, 1+rng.Int64N(1000))
	}
	return out
}

// TestCorrectConserves: the corrections sum to zero, so Σφ' = Σφ.
func TestCorrectConserves(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for range 500 {
		n := 1 + rng.IntN(10)
		phi := randomRats(rng, n, true)
		w := randomRats(rng, n, false)
		total := ratSum(w)
		if total.Sign() == 0 {
			continue
		}
		for i := range w {
			w[i].Quo(w[i], total)
		}
		got, err := sharing.Correct(phi, w, big.NewRat(rng.Int64N(1e12)-1e11, 1))
		if err != nil {
			t.Fatal(err)
		}
		if ratSum(got).Cmp(ratSum(phi)) != 0 {
			t.Fatalf("Σφ' = %s, Σφ = %s", ratSum(got).RatString(), ratSum(phi).RatString())
		}
	}
}

// TestCorrectErrors checks each refusal names what is wrong.
func TestCorrectErrors(t *testing.T) {
	one := ratFrom("1")
	for _, tc := range []struct {
		phi, w []*big.Rat
		grand  *big.Rat
		want   string
	}{
		{nil, nil, one, "no players"},
		{ratsFrom("1", "2"), ratsFrom("1"), one, "1 factor weights for 2 players"},
		{ratsFrom("1"), ratsFrom("1"), nil, "v(N) is missing"},
		{ratsFrom("1", "2"), ratsFrom("3/2", "-1/2"), one, "factor weight 1 is negative (-1/2)"},
		{ratsFrom("1", "2"), ratsFrom("1/2", "2/5"), one, "factor weights sum to 9/10, not 1"},
		{[]*big.Rat{one, nil}, ratsFrom("1/2", "1/2"), one, "value 1 is missing"},
		{ratsFrom("1", "2"), []*big.Rat{nil, one}, one, "factor weight 0 is missing"},
	} {
		if _, err := sharing.Correct(tc.phi, tc.w, tc.grand); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

// TestClampNegative checks the documented rule on a worked case: −1 is
// zeroed and the positives 3 and 2 scaled by T/S = 4/5.
func TestClampNegative(t *testing.T) {
	got, clamps, err := sharing.ClampNegative(ratsFrom("-1", "3", "2", "0"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"0", "12/5", "8/5", "0"}, ratStrs(got)); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	type c struct {
		Player        int
		Before, After string
	}
	var gotC []c
	for _, cl := range clamps {
		gotC = append(gotC, c{cl.Player, cl.Before.RatString(), cl.After.RatString()})
	}
	if diff := cmp.Diff([]c{{0, "-1", "0"}, {1, "3", "12/5"}, {2, "2", "8/5"}}, gotC); diff != "" {
		t.Errorf("clamps (-want +got):\n%s", diff)
	}

	in := ratsFrom("1", "0", "5/2")
	got, clamps, err = sharing.ClampNegative(in)
	if err != nil || clamps != nil {
		t.Fatalf("nothing negative: clamps %v, error %v", clamps, err)
	}
	if diff := cmp.Diff(ratStrs(in), ratStrs(got)); diff != "" {
		t.Errorf("nothing negative changed the values:\n%s", diff)
	}
	got[0].SetInt64(9)
	if in[0].Cmp(big.NewRat(1, 1)) != 0 {
		t.Error("the result aliases the input")
	}
}

// TestClampNegativeProperties: the total is conserved and nobody is left
// negative; zeroed players were negative, scaled ones positive.
func TestClampNegativeProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for range 1000 {
		x := randomRats(rng, 1+rng.IntN(10), true)
		got, clamps, err := sharing.ClampNegative(x)
		if ratSum(x).Sign() <= 0 {
			neg := false
			for _, v := range x {
				neg = neg || v.Sign() < 0
			}
			if neg && err == nil {
				t.Fatalf("%v sums to %s but no error", ratStrs(x), ratSum(x).RatString())
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if ratSum(got).Cmp(ratSum(x)) != 0 {
			t.Fatalf("total %s became %s", ratSum(x).RatString(), ratSum(got).RatString())
		}
		changed := 0
		for i := range x {
			if got[i].Sign() < 0 {
				t.Fatalf("player %d left at %s", i, got[i].RatString())
			}
			if got[i].Cmp(x[i]) != 0 {
				changed++
			}
		}
		if changed != len(clamps) {
			t.Fatalf("%d values changed, %d clamps", changed, len(clamps))
		}
		for _, c := range clamps {
			if c.Before.Cmp(x[c.Player]) != 0 || c.After.Cmp(got[c.Player]) != 0 {
				t.Fatalf("clamp %+v does not match", c)
			}
		}
	}
}

// TestClampNegativeErrors: nothing to share, or a missing value.
func TestClampNegativeErrors(t *testing.T) {
	for _, tc := range []struct {
		x    []*big.Rat
		want string
	}{
		{ratsFrom("-3", "2", "1"), "the values sum to 0: with negatives clamped to 0 there is nothing to share"},
		{ratsFrom("-5", "1"), "the values sum to -4"},
		{[]*big.Rat{ratFrom("1"), nil}, "value 1 is missing"},
	} {
		if _, _, err := sharing.ClampNegative(tc.x); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}
