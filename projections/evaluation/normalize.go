package evaluation

import (
	"fmt"
	"math/big"
)

// The kinds of Norm.
const (
	normKindTarget = "target"
	normKindRange  = "range"
)

// Norm says how a quantitative indicator's raw value becomes a 0–100 score,
// so that indicators in different units (yuan, patents, days) can be
// compared, weighted and graded alike.
//
// Kind "target" scores against a goal: 100·x/Target, capped at 100 (beating
// the goal earns nothing extra); a negative x scores 0. Kind "range" scores
// the position between a floor and a ceiling: 100·(x−Min)/(Max−Min),
// clamped to [0, 100].
//
// Lower says smaller is better (e.g. the days taken to resolve a dispute):
// a target then scores 100·Target/x, and 100 when x ≤ Target (so also when
// x = 0: nothing to improve); a range scores 100·(Max−x)/(Max−Min), clamped.
type Norm struct {
	Kind   string   // "target" or "range"
	Target *big.Rat // the goal, > 0; used by "target"
	Min    *big.Rat // the value scoring 0 (100 if Lower); used by "range"
	Max    *big.Rat // the value scoring 100 (0 if Lower), > Min; used by "range"
	Lower  bool     // smaller is better
}

// Validate checks that the kind is known and that the figures it uses are
// there: a target > 0 (a score relative to 0 or to a negative goal means
// nothing), or max > min (an empty or reversed range has no position in
// it).
func (n Norm) Validate() error {
	switch n.Kind {
	case normKindTarget:
		switch {
		case n.Target == nil:
			return fmt.Errorf("norm: kind %q needs a target", n.Kind)
		case n.Target.Sign() <= 0:
			return fmt.Errorf("norm: target %s is not positive", ratText(n.Target))
		}
	case normKindRange:
		switch {
		case n.Min == nil:
			return fmt.Errorf("norm: kind %q needs a min", n.Kind)
		case n.Max == nil:
			return fmt.Errorf("norm: kind %q needs a max", n.Kind)
		case n.Max.Cmp(n.Min) <= 0:
			return fmt.Errorf("norm: max %s is not above min %s", ratText(n.Max), ratText(n.Min))
		}
	default:
		return fmt.Errorf("norm: kind %q is unknown; want %q or %q", n.Kind, normKindTarget, normKindRange)
	}
	return nil
}

// Score is the 0–100 score of the raw value x, exact. n must be valid and x
// present: Score panics otherwise, with Validate's error, since a score
// made up for a broken rule would be worse than none.
func (n Norm) Score(x *big.Rat) *big.Rat {
	if err := n.Validate(); err != nil {
		panic("evaluation: Norm.Score: " + err.Error())
	}
	if x == nil {
		panic("evaluation: Norm.Score: the value is missing")
	}
	hundred := big.NewRat(100, 1)
	s := new(big.Rat)
	switch n.Kind {
	case normKindTarget:
		if n.Lower {
			if x.Cmp(n.Target) <= 0 {
				return hundred
			}
			s.Quo(n.Target, x) // x > Target > 0
		} else {
			s.Quo(x, n.Target)
		}
	case normKindRange:
		if n.Lower {
			s.Sub(n.Max, x)
		} else {
			s.Sub(x, n.Min)
		}
		s.Quo(s, new(big.Rat).Sub(n.Max, n.Min))
	}
	s.Mul(s, hundred)
	switch {
	case s.Sign() < 0:
		return s.SetInt64(0)
	case s.Cmp(hundred) > 0:
		return hundred
	}
	return s
}
