package sharing

import (
	"fmt"
	"math/big"
)

// Correct returns the risk- or multi-factor-corrected Shapley value
// φ'_i = φ_i + (W_i − 1/n)·v(N): a player whose factor weight W_i is above
// the equal share 1/n gains that much of the grand value, one below loses
// it. W must be n nonnegative values summing to exactly 1, so the
// corrections sum to 0 and Σφ' = Σφ.
func Correct(phi, w []*big.Rat, grand *big.Rat) ([]*big.Rat, error) {
	n := len(phi)
	if n == 0 {
		return nil, fmt.Errorf("no players to correct")
	}
	if len(w) != n {
		return nil, fmt.Errorf("%d factor weights for %d players", len(w), n)
	}
	if grand == nil {
		return nil, fmt.Errorf("the grand value v(N) is missing (nil)")
	}
	sum := new(big.Rat)
	for i := range n {
		if phi[i] == nil {
			return nil, fmt.Errorf("value %d is missing (nil)", i)
		}
		if w[i] == nil {
			return nil, fmt.Errorf("factor weight %d is missing (nil)", i)
		}
		if w[i].Sign() < 0 {
			return nil, fmt.Errorf("factor weight %d is negative (%s)", i, w[i].RatString())
		}
		sum.Add(sum, w[i])
	}
	if sum.Cmp(big.NewRat(1, 1)) != 0 {
		return nil, fmt.Errorf("factor weights sum to %s, not 1", sum.RatString())
	}
	even := big.NewRat(1, int64(n))
	out := make([]*big.Rat, n)
	for i := range n {
		c := new(big.Rat).Sub(w[i], even)
		c.Mul(c, grand)
		out[i] = c.Add(c, phi[i])
	}
	return out, nil
}

// Clamp records one value changed by ClampNegative.
type Clamp struct {
	Player        int
	Before, After *big.Rat
}

// ClampNegative applies THE rule for corrected values below zero: such a
// player gets 0, and every positive value is scaled by T/S, where T = Σx
// and S is the sum of the positive values, so the total is conserved and
// nobody goes negative. Zero values stay zero. It returns one Clamp per
// player whose value changed (the zeroed and the scaled), in player order.
// If nothing is negative it returns a copy of x and no clamps; if something
// is negative and T ≤ 0 there is nothing to share, and it fails.
func ClampNegative(x []*big.Rat) ([]*big.Rat, []Clamp, error) {
	total, pos := new(big.Rat), new(big.Rat)
	negative := false
	for i, xi := range x {
		if xi == nil {
			return nil, nil, fmt.Errorf("value %d is missing (nil)", i)
		}
		total.Add(total, xi)
		switch xi.Sign() {
		case 1:
			pos.Add(pos, xi)
		case -1:
			negative = true
		}
	}
	out := make([]*big.Rat, len(x))
	if !negative {
		for i, xi := range x {
			out[i] = new(big.Rat).Set(xi)
		}
		return out, nil, nil
	}
	if total.Sign() <= 0 {
		return nil, nil, fmt.Errorf("the values sum to %s: with negatives clamped to 0 there is nothing to share", total.RatString())
	}
	scale := new(big.Rat).Quo(total, pos) // total > 0 implies pos > 0
	var clamps []Clamp
	for i, xi := range x {
		switch xi.Sign() {
		case 0:
			out[i] = new(big.Rat)
			continue
		case -1:
			out[i] = new(big.Rat)
		case 1:
			out[i] = new(big.Rat).Mul(xi, scale)
		}
		clamps = append(clamps, Clamp{Player: i, Before: new(big.Rat).Set(xi), After: new(big.Rat).Set(out[i])})
	}
	return out, clamps, nil
}
