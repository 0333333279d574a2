package sharing

import (
	"fmt"
	"math/big"
)

// Nash returns the weighted Nash bargaining solution with a transferable
// surplus: x_i = d_i + α_i/Σα · (v(N) − Σd). Each player gets its
// disagreement point d_i plus its bargaining weight's share of what
// cooperation adds. It fails if the lengths differ, a weight is negative or
// all are zero, or the surplus v(N) − Σd is negative (cooperating would
// leave someone below what it gets alone).
func Nash(grand *big.Rat, d, alpha []*big.Rat) ([]*big.Rat, error) {
	n := len(d)
	if grand == nil {
		return nil, fmt.Errorf("the grand value v(N) is missing (nil)")
	}
	if n == 0 {
		return nil, fmt.Errorf("no players to bargain")
	}
	if len(alpha) != n {
		return nil, fmt.Errorf("%d bargaining weights for %d disagreement points", len(alpha), n)
	}
	sumD, sumA := new(big.Rat), new(big.Rat)
	for i := range n {
		if d[i] == nil {
			return nil, fmt.Errorf("disagreement point %d is missing (nil)", i)
		}
		if alpha[i] == nil {
			return nil, fmt.Errorf("bargaining weight %d is missing (nil)", i)
		}
		if alpha[i].Sign() < 0 {
			return nil, fmt.Errorf("bargaining weight %d is negative (%s)", i, alpha[i].RatString())
		}
		sumD.Add(sumD, d[i])
		sumA.Add(sumA, alpha[i])
	}
	if sumA.Sign() == 0 {
		return nil, fmt.Errorf("all %d bargaining weights are zero", n)
	}
	surplus := new(big.Rat).Sub(grand, sumD)
	if surplus.Sign() < 0 {
		return nil, fmt.Errorf("negative surplus: v(N) = %s but the disagreement points sum to %s", grand.RatString(), sumD.RatString())
	}
	out := make([]*big.Rat, n)
	for i := range n {
		x := new(big.Rat).Mul(alpha[i], surplus)
		x.Quo(x, sumA)
		out[i] = x.Add(x, d[i])
	}
	return out, nil
}
