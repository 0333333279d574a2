// Package export turns the read side's views into tables and writes them
// as CSV and XLSX, for the members' finance and reporting staff.
//
// A Table is one sheet of a workbook, or one CSV file. Its header names
// every column in English then Chinese ("confirmed 已确认投入"). Its cells
// carry their text, which is what CSV writes, and, for numeric cells, their
// exact value, so that XLSX stores numbers as numbers.
//
// Money is exact throughout: amounts are the ledger's minor units (fen)
// converted to major units (yuan) with the currency's exponent
// (ledger.CurrencyExponent) in math/big, never in floating point, and the
// text is the exact decimal with the currency's number of decimals
// ("1234567.89"). An XLSX file stores that same decimal text as the cell's
// number; the spreadsheet program reads it as a double when it opens the
// file, as it does any number.
//
// Row labels that are not members: CommonLabel marks what is the
// alliance's own rather than a member's, TotalLabel a total row. An empty
// project is the alliance as a whole, outside any project.
package export

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/projections"
)

// Table is one sheet of an export (one CSV file).
type Table struct {
	// Name is the sheet name and the CSV file's base name, e.g. "balances",
	// "risk", "outputs-by-type".
	Name string
	// Title is a human title, e.g. "Member balances as of position 742 ·
	// 成员余额（截至第 742 号记录）". XLSX writes it in row 1; CSV has no
	// place for it and leaves it out.
	Title string
	// Header are the column names: English then Chinese, e.g. "member 成员".
	Header []string
	Rows   [][]Cell
}

// Cell is a value with its type, so XLSX gets numbers as numbers.
type Cell struct {
	// Text is what CSV writes, and XLSX for a cell that is not a number.
	Text string
	// Number is set for numeric cells (amounts in major units, e.g. yuan
	// with 2 decimals; shares; counts; positions), exactly. Its Text is
	// the exact decimal when the value has one, else the fraction ("1/3").
	Number *big.Rat
}

// Labels of rows that are not a member's.
const (
	// CommonLabel is the member column of the alliance's own amounts:
	// funding from outside, costs paid from common funds, losses of
	// projects with no at-risk investment.
	CommonLabel = "COMMON"
	// TotalLabel is the first column of a total row.
	TotalLabel = "TOTAL"
)

// Names of the rows that are not a member's, in the name column.
const (
	commonName = "联盟公共 alliance common"
	totalName  = "合计 total"
)

// text is a text cell.
func text(s string) Cell { return Cell{Text: s} }

// count is an integer cell.
func count(n int64) Cell {
	return Cell{Text: strconv.FormatInt(n, 10), Number: new(big.Rat).SetInt64(n)}
}

// position is a log position, empty when 0 (none).
func position(n uint64) Cell {
	if n == 0 {
		return Cell{}
	}
	return Cell{Text: strconv.FormatUint(n, 10), Number: new(big.Rat).SetUint64(n)}
}

// exponent is the currency's minor-unit exponent; the ledger accepts no
// other currency, so an unknown code (which no view can hold) is taken as
// having no minor unit.
func exponent(currency string) int {
	e, _ := ledger.CurrencyExponent(currency)
	return e
}

// pow10 returns 10^e.
func pow10(e int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(e)), nil)
}

// major converts an amount in minor units to major units, exactly.
func major(minor int64, currency string) *big.Rat {
	return new(big.Rat).SetFrac(big.NewInt(minor), pow10(exponent(currency)))
}

// amount is a money cell: minor units shown in major units with the
// currency's decimals, e.g. 123456789 CNY is "1234567.89".
func amount(minor int64, currency string) Cell {
	r := major(minor, currency)
	return Cell{Text: r.FloatString(exponent(currency)), Number: r}
}

// exact is a cell for an exact value: the decimal with at least minDigits
// decimals when it has a finite expansion, else the fraction "num/den".
func exact(r *big.Rat, minDigits int) Cell {
	return Cell{Text: decimalText(r, minDigits), Number: new(big.Rat).Set(r)}
}

// decimalText is r as a decimal with at least minDigits decimals when its
// expansion is finite, else "num/den" in lowest terms.
func decimalText(r *big.Rat, minDigits int) string {
	d, ok := decimals(r)
	if !ok {
		return r.String()
	}
	return r.FloatString(max(d, minDigits))
}

// decimals returns the number of decimals of r's finite decimal expansion;
// false when it has none (the denominator has a prime factor other than 2
// and 5).
func decimals(r *big.Rat) (int, bool) {
	d := new(big.Int).Set(r.Denom())
	var twos, fives int
	two, five := big.NewInt(2), big.NewInt(5)
	m := new(big.Int)
	for {
		q, rem := new(big.Int).QuoRem(d, two, m)
		if rem.Sign() != 0 {
			break
		}
		d, twos = q, twos+1
	}
	for {
		q, rem := new(big.Int).QuoRem(d, five, m)
		if rem.Sign() != 0 {
			break
		}
		d, fives = q, fives+1
	}
	if !d.IsInt64() || d.Int64() != 1 {
		return 0, false
	}
	return max(twos, fives), true
}

// round returns r rounded to digits decimals, half away from zero.
func round(r *big.Rat, digits int) *big.Rat {
	scale := pow10(digits)
	num := new(big.Int).Mul(r.Num(), scale)
	den := r.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	if rem.Lsh(rem, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return new(big.Rat).SetFrac(q, scale)
}

// percent is a share as a percent rounded to 4 decimals, e.g. 1/3 is
// "33.3333".
func percent(share *big.Rat) Cell {
	p := round(new(big.Rat).Mul(share, big.NewRat(100, 1)), 4)
	return Cell{Text: p.FloatString(4), Number: p}
}

// ratio is an exact non-negative value (a weighted count, a share) in its
// canonical form: "0.25", "3", "1/3".
func ratio(x ledger.Ratio) Cell {
	return Cell{Text: x.String(), Number: x.Rat()}
}

// asOf describes a view's cut in a title: " as of position N", with the
// business period when there is one, in English and in Chinese.
func asOf(c projections.Cut) (en, zh string) {
	en = fmt.Sprintf(" as of position %d", c.AsOfSeq)
	zh = fmt.Sprintf("（截至第 %d 号记录", c.AsOfSeq)
	const day = "2006-01-02 15:04 MST"
	switch {
	case c.From != nil && c.To != nil:
		en += fmt.Sprintf(", occurred from %s to %s", c.From.Format(day), c.To.Format(day))
		zh += fmt.Sprintf("，发生于 %s 至 %s", c.From.Format(day), c.To.Format(day))
	case c.From != nil:
		en += fmt.Sprintf(", occurred from %s", c.From.Format(day))
		zh += fmt.Sprintf("，发生于 %s 起", c.From.Format(day))
	case c.To != nil:
		en += fmt.Sprintf(", occurred before %s", c.To.Format(day))
		zh += fmt.Sprintf("，发生于 %s 前", c.To.Format(day))
	}
	return en, zh + "）"
}

// title joins an English and a Chinese title.
func title(en, zh string, c projections.Cut) string {
	e, z := asOf(c)
	return strings.TrimSpace(en+e) + " · " + zh + z
}
