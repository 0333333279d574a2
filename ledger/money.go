package ledger

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strings"
)

// Money is an exact amount in the minor unit of an ISO 4217 currency
// (fen for CNY, cents for USD, yen for JPY). There are no floats in money.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

func (m Money) String() string {
	exp, ok := currencyExponent[m.Currency]
	if !ok || exp == 0 {
		return fmt.Sprintf("%d %s", m.Amount, m.Currency)
	}
	r := new(big.Rat).SetFrac(big.NewInt(m.Amount), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil))
	return r.FloatString(exp) + " " + m.Currency
}

// currencyExponent lists the ISO 4217 currencies the ledger accepts with
// their minor-unit exponent. Alliances are Chinese, but members and
// investors deal in other currencies too.
var currencyExponent = map[string]int{
	"CNY": 2, "HKD": 2, "MOP": 2, "TWD": 2, "USD": 2, "EUR": 2, "GBP": 2,
	"JPY": 0, "KRW": 0, "SGD": 2, "CHF": 2, "CAD": 2, "AUD": 2, "NZD": 2,
	"SEK": 2, "NOK": 2, "DKK": 2, "RUB": 2, "INR": 2, "THB": 2, "MYR": 2,
	"IDR": 2, "VND": 0, "PHP": 2, "BRL": 2, "ZAR": 2, "AED": 2, "SAR": 2,
	"KWD": 3, "BHD": 3, "PLN": 2, "CZK": 2, "HUF": 2, "TRY": 2, "MXN": 2,
	"ILS": 2, "PKR": 2, "KZT": 2, "UZS": 2, "MNT": 2, "LAK": 2, "KHR": 2,
}

// CurrencyExponent returns the minor-unit exponent of an accepted currency.
func CurrencyExponent(code string) (int, bool) {
	e, ok := currencyExponent[code]
	return e, ok
}

func validateCurrency(field, code string) error {
	if code == "CNY" {
		return nil // nearly every amount: no map lookup
	}
	if _, ok := currencyExponent[code]; !ok {
		if len(code) != 3 || strings.ToUpper(code) != code {
			return invalid(field, "currency must be a three-letter ISO 4217 code, got %q", code)
		}
		return invalid(field, "currency %q is not an accepted ISO 4217 currency", code)
	}
	return nil
}

// validate checks a money value; positive requires Amount > 0.
func (m Money) validate(field string, positive bool) error {
	// Field names are built only on error: this runs for every amount.
	if err := validateCurrency("currency", m.Currency); err != nil {
		return prefixed(field, err)
	}
	if positive && m.Amount <= 0 {
		return invalid(field+".amount", "amount must be positive, got %d", m.Amount)
	}
	if m.Amount < 0 {
		return invalid(field+".amount", "amount must not be negative, got %d", m.Amount)
	}
	if m.Amount > maxAmount {
		return invalid(field+".amount", "amount %d exceeds the limit of %d minor units", m.Amount, int64(maxAmount))
	}
	return nil
}

// maxAmount keeps sums of many amounts far from int64 overflow: 10^15 minor
// units is ten trillion yuan in one entry.
const maxAmount = 1_000_000_000_000_000

// mulRound returns quantity × unit rounded half away from zero to an integer
// number of minor units, or false when it does not fit.
func mulRound(q *big.Rat, unit int64) (int64, bool) {
	if q.Num().IsInt64() && q.Denom().IsInt64() {
		// Quantities are small fractions: 128-bit integer arithmetic gives
		// the same result without allocating (TestMulRoundSmall).
		return mulRoundSmall(q.Num().Int64(), q.Denom().Int64(), unit)
	}
	return mulRoundBig(q, unit)
}

// mulRoundSmall is mulRound of num/den (den > 0). Scaling a fraction's
// numerator and denominator together changes neither the quotient nor
// whether twice the remainder reaches the denominator, so num/den need not
// be reduced with unit.
func mulRoundSmall(num, den, unit int64) (int64, bool) {
	if den <= 0 {
		return 0, false
	}
	neg := (num < 0) != (unit < 0)
	hi, lo := bits.Mul64(absU64(num), absU64(unit))
	if hi >= uint64(den) {
		return 0, false // the quotient does not fit in 64 bits
	}
	quo, rem := bits.Div64(hi, lo, uint64(den))
	if 2*rem >= uint64(den) { // rem < den < 2^63: no overflow
		if quo == math.MaxUint64 {
			return 0, false
		}
		quo++
	}
	// As mulRoundBig: a negative result down to MinInt64, a positive one
	// up to MaxInt64/2.
	if neg {
		if quo > 1<<63 {
			return 0, false
		}
		return -int64(quo), true // quo == 1<<63 converts to MinInt64, its own negation
	}
	if quo > math.MaxInt64/2 {
		return 0, false
	}
	return int64(quo), true
}

func absU64(x int64) uint64 {
	if x < 0 {
		return uint64(-(x + 1)) + 1 // MinInt64 too
	}
	return uint64(x)
}

func mulRoundBig(q *big.Rat, unit int64) (int64, bool) {
	p := new(big.Rat).Mul(q, new(big.Rat).SetInt64(unit))
	num, den := new(big.Int).Set(p.Num()), p.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	quo, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(rem, big.NewInt(2)).Cmp(den) >= 0 {
		quo.Add(quo, big.NewInt(1))
	}
	if neg {
		quo.Neg(quo)
	}
	if !quo.IsInt64() || quo.Int64() > math.MaxInt64/2 {
		return 0, false
	}
	return quo.Int64(), true
}
