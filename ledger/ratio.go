package ledger

import (
	"encoding/json"
	"fmt"
	"math/big"
)

// Ratio is an exact non-negative rational number used for shares, weights
// and quantities. In JSON it is a string: a decimal ("0.25", "3.5") or a
// fraction ("1/3"). It is canonicalised on decode: a decimal when the value
// has a finite decimal expansion, otherwise "num/den" in lowest terms, so the
// same value always has the same bytes in the log.
type Ratio struct {
	r *big.Rat
	s string // the canonical form, computed once: values are immutable
}

// NewRatio returns a/b.
func NewRatio(a, b int64) Ratio { return ratioOf(big.NewRat(a, b)) }

// RatioOf returns the value of r (copied).
func RatioOf(r *big.Rat) Ratio { return ratioOf(new(big.Rat).Set(r)) }

// ratioOf wraps r, which the caller must not modify afterwards.
func ratioOf(r *big.Rat) Ratio { return Ratio{r: r, s: canonical(r)} }

// ParseRatio parses a decimal or fraction string.
func ParseRatio(s string) (Ratio, error) {
	if s == "" || len(s) > 64 {
		return Ratio{}, fmt.Errorf("%q is not an exact number (use a decimal like 0.25 or a fraction like 1/3)", s)
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c == '.' || c == '/' || c == '-') {
			return Ratio{}, fmt.Errorf("%q is not an exact number (use a decimal like 0.25 or a fraction like 1/3)", s)
		}
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return Ratio{}, fmt.Errorf("%q is not an exact number (use a decimal like 0.25 or a fraction like 1/3)", s)
	}
	return ratioOf(r), nil
}

// MustRatio is ParseRatio for constants in code and tests.
func MustRatio(s string) Ratio {
	r, err := ParseRatio(s)
	if err != nil {
		panic(err)
	}
	return r
}

// Rat returns a copy of the value (zero when unset).
func (x Ratio) Rat() *big.Rat {
	if x.r == nil {
		return new(big.Rat)
	}
	return new(big.Rat).Set(x.r)
}

// ratZero is the value of an unset Ratio, for value; ratOne is 1. Both
// are read only.
var ratZero, ratOne = new(big.Rat), big.NewRat(1, 1)

// value is the value itself, not a copy, for reading only (an operand of
// big.Rat's methods, never their receiver): Rat copies, which on the hot
// paths (every valued contribution, every share list) was most of what
// a comparison or a sum allocated.
func (x Ratio) value() *big.Rat {
	if x.r == nil {
		return ratZero
	}
	return x.r
}

// IsZero reports whether the value is unset or zero.
func (x Ratio) IsZero() bool { return x.r == nil || x.r.Sign() == 0 }

// Sign returns -1, 0 or +1.
func (x Ratio) Sign() int {
	if x.r == nil {
		return 0
	}
	return x.r.Sign()
}

// Cmp compares x and y.
func (x Ratio) Cmp(y Ratio) int { return x.value().Cmp(y.value()) }

// String returns the canonical form.
func (x Ratio) String() string {
	if x.r == nil {
		return "0"
	}
	if x.s != "" {
		return x.s
	}
	return canonical(x.r)
}

func canonical(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	// Finite decimal iff the denominator has only the prime factors 2 and 5.
	d := new(big.Int).Set(r.Denom())
	digits := 0
	two, five, zero := big.NewInt(2), big.NewInt(5), new(big.Int)
	var twos, fives int
	for new(big.Int).Mod(d, two).Cmp(zero) == 0 {
		d.Quo(d, two)
		twos++
	}
	for new(big.Int).Mod(d, five).Cmp(zero) == 0 {
		d.Quo(d, five)
		fives++
	}
	if d.Cmp(big.NewInt(1)) == 0 {
		digits = max(twos, fives)
		return r.FloatString(digits)
	}
	return r.String()
}

// MarshalBinary and UnmarshalBinary use the canonical form, for gob
// (the read side's snapshots).
func (x Ratio) MarshalBinary() ([]byte, error) { return []byte(x.String()), nil }

func (x *Ratio) UnmarshalBinary(b []byte) error {
	r, err := ParseRatio(string(b))
	if err != nil {
		return err
	}
	*x = r
	return nil
}

func (x Ratio) MarshalJSON() ([]byte, error) { return json.Marshal(x.String()) }

func (x *Ratio) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("exact number must be a JSON string like \"0.25\" or \"1/3\"")
	}
	r, err := ParseRatio(s)
	if err != nil {
		return err
	}
	*x = r
	return nil
}
