package api

import (
	"math/big"
	"strconv"
	"strings"

	"github.com/alliance-ledger/alliance/ledger"
)

// currencySymbols are the symbols the dashboard writes before an amount;
// other currencies are written with their code after it.
var currencySymbols = map[string]string{"CNY": "¥", "USD": "US$", "EUR": "€", "GBP": "£", "HKD": "HK$"}

// formatMoney writes an amount in minor units exactly, with thousands
// separators and the currency's minor digits: ¥1,234,567.89 for CNY,
// 1,234 JPY. It uses integer arithmetic only, so what is shown is what
// the ledger holds, to the minor unit.
func formatMoney(amount int64, currency string) string {
	exp, ok := ledger.CurrencyExponent(currency)
	if !ok {
		exp = 0
	}
	neg := amount < 0
	u := uint64(amount)
	if neg {
		u = -u // two's complement: right for the most negative value too
	}
	pow := uint64(1)
	for range exp {
		pow *= 10
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	sym, hasSym := currencySymbols[currency]
	if hasSym {
		b.WriteString(sym)
	}
	b.WriteString(groupDigits(strconv.FormatUint(u/pow, 10)))
	if exp > 0 {
		frac := strconv.FormatUint(u%pow, 10)
		b.WriteByte('.')
		b.WriteString(strings.Repeat("0", exp-len(frac)))
		b.WriteString(frac)
	}
	if !hasSym {
		b.WriteByte(' ')
		b.WriteString(currency)
	}
	return b.String()
}

// groupDigits puts a comma between each group of three digits.
func groupDigits(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	head := len(digits) % 3
	if head > 0 {
		b.WriteString(digits[:head])
	}
	for i := head; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// formatInt writes an integer with thousands separators.
func formatInt(n int64) string {
	if n < 0 {
		return "-" + groupDigits(strconv.FormatUint(uint64(-n), 10))
	}
	return groupDigits(strconv.FormatInt(n, 10))
}

// formatPercent writes an exact ratio as a percentage to two decimals,
// rounded half away from zero (the exact value goes beside it, in the page).
func formatPercent(r ledger.Ratio) string {
	return new(big.Rat).Mul(r.Rat(), big.NewRat(100, 1)).FloatString(2) + "%"
}

// formatRatio writes an exact ratio as a decimal: exactly when it is
// short, else to the given places with "≈".
func formatRatio(r ledger.Ratio, places int) string {
	s := r.String()
	if len(s) <= 14 && !strings.Contains(s, "/") {
		return s
	}
	return "≈" + r.Rat().FloatString(places)
}

// formatUnits writes an exact amount in minor units (a ratio: Shapley
// values and exact shares are fractions of a unit) in the currency:
// exactly when up to four places past the minor unit hold it, else to two
// more places with "≈".
func formatUnits(r ledger.Ratio, currency string) string {
	x := r.Rat()
	if x.IsInt() && x.Num().IsInt64() {
		return formatMoney(x.Num().Int64(), currency)
	}
	exp, _ := ledger.CurrencyExponent(currency)
	scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil))
	v := new(big.Rat).Quo(x, scale)
	// Exactly, when a few more places than the currency's hold it.
	s, out := v.FloatString(exp+2), "≈"
	for places := exp + 1; places <= exp+4; places++ {
		p := new(big.Rat).Mul(v, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)))
		if p.IsInt() {
			s, out = v.FloatString(places), ""
			break
		}
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if neg {
		out += "-"
	}
	sym, hasSym := currencySymbols[currency]
	if hasSym {
		out += sym
	}
	out += groupDigits(whole)
	if frac != "" {
		out += "." + frac
	}
	if !hasSym {
		out += " " + currency
	}
	return out
}

// compactMoney writes an approximate amount for a chart's axis: 万 and 亿
// in Chinese, k, M and B in English. It is never a key figure.
func compactMoney(amount int64, currency, lang string) string {
	exp, _ := ledger.CurrencyExponent(currency)
	v := float64(amount)
	for range exp {
		v /= 10
	}
	sym := currencySymbols[currency]
	num := func(x float64, unit string) string {
		s := strconv.FormatFloat(x, 'f', 1, 64)
		s = strings.TrimSuffix(s, ".0")
		return sym + s + unit
	}
	abs := v
	if abs < 0 {
		abs = -abs
	}
	if lang == "zh" {
		switch {
		case abs >= 1e8:
			return num(v/1e8, "亿")
		case abs >= 1e4:
			return num(v/1e4, "万")
		}
		return num(v, "")
	}
	switch {
	case abs >= 1e9:
		return num(v/1e9, "B")
	case abs >= 1e6:
		return num(v/1e6, "M")
	case abs >= 1e3:
		return num(v/1e3, "k")
	}
	return num(v, "")
}
