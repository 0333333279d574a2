package sharing

import (
	"fmt"
	"math/big"
	"slices"
)

// Rounding says how one player's exact amount became an integer.
type Rounding struct {
	Exact     *big.Rat // pool × weight_i / Σ weights
	Floor     int64
	Remainder *big.Rat // Exact − Floor, in [0, 1)
	Extra     int64    // 1 if the player got one of the units left after flooring, else 0
}

// Apportion splits pool minor units in proportion to the weights so that
// the amounts sum to pool exactly (the largest remainder method): each
// player gets the floor of its exact share, and the units left over go one
// each to the largest remainders. THE tie-break: equal remainders go to
// the lower index. A player of weight 0 gets 0, since its remainder is 0
// and fewer units are left over than players with a positive remainder.
//
// pool must be ≥ 0; weights ≥ 0 and not all zero. Errors name the bad
// weight.
func Apportion(pool int64, weights []*big.Rat) ([]int64, []Rounding, error) {
	if pool < 0 {
		return nil, nil, fmt.Errorf("pool is negative (%d)", pool)
	}
	if len(weights) == 0 {
		return nil, nil, fmt.Errorf("no weights: nobody to share the pool with")
	}
	total := new(big.Rat)
	for i, w := range weights {
		if w == nil {
			return nil, nil, fmt.Errorf("weight %d is missing (nil)", i)
		}
		if w.Sign() < 0 {
			return nil, nil, fmt.Errorf("weight %d is negative (%s)", i, w.RatString())
		}
		total.Add(total, w)
	}
	if total.Sign() == 0 {
		return nil, nil, fmt.Errorf("all %d weights are zero: no proportion to share by", len(weights))
	}

	amounts := make([]int64, len(weights))
	rs := make([]Rounding, len(weights))
	p := new(big.Rat).SetInt64(pool)
	left := pool
	var q big.Int
	for i, w := range weights {
		exact := new(big.Rat).Mul(p, w)
		exact.Quo(exact, total)
		floor := q.Quo(exact.Num(), exact.Denom()).Int64() // nonnegative and ≤ pool: truncation is floor
		rem := new(big.Rat).Sub(exact, new(big.Rat).SetInt64(floor))
		rs[i] = Rounding{Exact: exact, Floor: floor, Remainder: rem}
		amounts[i] = floor
		left -= floor
	}
	// left < len(weights): the remainders, each below 1, sum to it.
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return rs[b].Remainder.Cmp(rs[a].Remainder) })
	for _, i := range order[:left] {
		rs[i].Extra = 1
		amounts[i]++
	}
	return amounts, rs, nil
}
