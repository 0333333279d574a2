package importer

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/alliance-ledger/alliance/ledger"
)

// This file parses cell values: text, ids, enums, lists, exact decimals,
// money, shares, quantities and dates. Nothing here uses floating point:
// numbers are kept as decimal digit strings and scaled by moving the
// decimal point, or as big.Rat for fractions.

// clean trims white space (including the full-width space, no-break spaces
// and zero-width characters Excel users paste in) from both ends.
func clean(s string) string {
	if s == "" {
		return s
	}
	if c, d := s[0], s[len(s)-1]; c < utf8.RuneSelf && c > ' ' && d < utf8.RuneSelf && d > ' ' {
		return s // the common case: nothing to trim
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if !isBlank(first) && !isBlank(last) {
		return s
	}
	return strings.TrimFunc(s, isBlank)
}

func isBlank(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' || r == '\u3000' || r == '\u00a0' || r == '\u202f' || r == '\u2009'
}

// asciiFold maps full-width ASCII (Ｍ０２：６０％) to ASCII and the
// ideographic space to a space; other text is returned as is.
func asciiFold(s string) string {
	fold := false
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E || r == 0x3000 {
			fold = true
			break
		}
	}
	if !fold {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			b.WriteRune(r - 0xFF01 + '!')
		case r == 0x3000:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// norm is the form names are compared in: ASCII folded, lower case, with
// white space, '_', '-' and '.' removed.
func norm(s string) string {
	s = asciiFold(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			b.WriteByte(byte(r) + 'a' - 'A')
		case r == '_' || r == '-' || r == '.' || isBlank(r):
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

func isHan(r rune) bool {
	return unicode.Is(unicode.Han, r) || r >= 0x3000 && r <= 0x303F || r >= 0xFF00 && r <= 0xFFEF
}

// bilingualParts splits "成员编号 member" into its Chinese and non-Chinese
// runs ("成员编号", "member"); a name in one script gives one part.
func bilingualParts(s string) []string {
	var parts []string
	start, prevHan := -1, false
	for i, r := range s {
		if isBlank(r) {
			continue
		}
		h := isHan(r)
		if start < 0 {
			start, prevHan = i, h
			continue
		}
		if h != prevHan {
			parts = append(parts, s[start:i])
			start, prevHan = i, h
		}
	}
	if start >= 0 {
		parts = append(parts, s[start:])
	}
	return parts
}

// validID reports whether id is a ledger id: 1-64 letters, digits, '_',
// '.', ':' or '-', starting with a letter or digit (as ledger.isID).
func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '_' || c == '.' || c == ':' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// splitList splits a list cell on ';', '；', '、', '，', new lines, and on
// ',' unless the comma is a thousands separator (a digit before it and
// exactly three digits after it): "M02:1,500,000; M03:300万",
// "M01, M02, M03", "张三、李四".
func splitList(s string) []string {
	var out []string
	start := 0
	emit := func(end int) {
		if p := clean(s[start:end]); p != "" {
			out = append(out, p)
		}
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		sep := false
		switch r {
		case ';', '；', '、', '，', '\n', '\r':
			sep = true
		case ',':
			sep = !isThousandsComma(s, i)
		}
		if sep {
			emit(i)
			start = i + n
		}
		i += n
	}
	emit(len(s))
	return out
}

func isThousandsComma(s string, i int) bool {
	if i == 0 || !isDigit(s[i-1]) || i+4 > len(s) {
		return false
	}
	for j := i + 1; j < i+4; j++ {
		if !isDigit(s[j]) {
			return false
		}
	}
	return i+4 == len(s) || !isDigit(s[i+4]) && s[i+4] != ':'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// splitPair splits "M02:60%" at its last ':' or '：' (ids may contain ':').
func splitPair(s string) (key, val string, ok bool) {
	i := strings.LastIndexAny(s, ":：")
	if i < 0 {
		return s, "", false
	}
	_, n := utf8.DecodeRuneInString(s[i:])
	return clean(s[:i]), clean(s[i+n:]), true
}

// decimal is an exact decimal number: digits × 10^exp.
type decimal struct {
	neg    bool
	digits string // without leading zeros; "" is zero
	exp    int
}

const maxDigits = 40

var errNotNumber = errors.New("not a number")

// parseDecimal reads "1,234,567.89", "1 234 567", "-12.5", "0.6" and, when
// sci is set (raw XLSX numbers), "1.5E-3". Thousands separators must group
// three digits.
func parseDecimal(s string, sci bool) (decimal, error) {
	var d decimal
	if s == "" {
		return d, errNotNumber
	}
	switch s[0] {
	case '-':
		d.neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	var intPart, frac []byte
	// Integer part: digits, optionally in groups of three after the first
	// group of one to three, all separated by the same separator.
	i, group, groups := 0, 0, 0
	sep := ""
	for i < len(s) {
		c := s[i]
		if isDigit(c) {
			intPart = append(intPart, c)
			group++
			i++
			continue
		}
		w := groupSep(s[i:])
		if w == "" {
			break
		}
		if sep != "" && w != sep || group == 0 || groups == 0 && group > 3 || groups > 0 && group != 3 {
			return d, errNotNumber
		}
		sep, group, groups = w, 0, groups+1
		i += len(w)
	}
	if groups > 0 && group != 3 {
		return d, errNotNumber
	}
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s) && isDigit(s[i]); i++ {
			frac = append(frac, s[i])
		}
	}
	if len(intPart) == 0 && len(frac) == 0 {
		return d, errNotNumber
	}
	exp := 0
	if i < len(s) && sci && (s[i] == 'e' || s[i] == 'E') {
		i++
		j := i
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for ; k < len(s) && isDigit(s[k]); k++ {
		}
		if k == j || k-j > 3 {
			return d, errNotNumber
		}
		e, _ := strconv.Atoi(s[i:k])
		exp, i = e, k
	}
	if i != len(s) {
		return d, errNotNumber
	}
	all := strings.TrimLeft(string(intPart)+string(frac), "0")
	d.exp = exp - len(frac)
	// Trailing zeros move into the exponent: the value is the same.
	t := strings.TrimRight(all, "0")
	d.exp += len(all) - len(t)
	d.digits = t
	if len(d.digits) > maxDigits || d.exp > maxDigits || d.exp < -maxDigits {
		return d, errNotNumber
	}
	if d.digits == "" {
		d.neg, d.exp = false, 0
	}
	return d, nil
}

// groupSep returns the thousands separator s starts with, if any.
func groupSep(s string) string {
	for _, sep := range []string{",", " ", "'", "\u00a0", "\u202f", "\u2009"} {
		if strings.HasPrefix(s, sep) {
			return sep
		}
	}
	return ""
}

// round15 rounds to 15 significant digits, half away from zero: what Excel
// shows of the binary double a numeric cell holds (a formula's
// 1234.5600000000002 is the 1234.56 the user sees).
func (d decimal) round15() decimal {
	const sig = 15
	if len(d.digits) <= sig {
		return d
	}
	cut := len(d.digits) - sig
	keep := []byte(d.digits[:sig])
	if d.digits[sig] >= '5' {
		j := sig - 1
		for ; j >= 0; j-- {
			if keep[j] == '9' {
				keep[j] = '0'
				continue
			}
			keep[j]++
			break
		}
		if j < 0 {
			keep = append([]byte{'1'}, keep...)
		}
	}
	all := string(keep)
	t := strings.TrimRight(all, "0")
	return decimal{neg: d.neg, digits: t, exp: d.exp + cut + len(all) - len(t)}
}

// scaled returns d × 10^shift as an int64, or an error when the result is
// not an integer or does not fit.
func (d decimal) scaled(shift int) (int64, bool, bool) {
	if d.digits == "" {
		return 0, true, true
	}
	e := d.exp + shift
	if e < 0 {
		return 0, false, true // a fraction is left
	}
	if len(d.digits)+e > 18 {
		return 0, true, false
	}
	v, err := strconv.ParseInt(d.digits+strings.Repeat("0", e), 10, 64)
	if err != nil {
		return 0, true, false
	}
	if d.neg {
		v = -v
	}
	return v, true, true
}

func (d decimal) rat() *big.Rat {
	if d.digits == "" {
		return new(big.Rat)
	}
	if len(d.digits) <= 18 && d.exp <= 0 && d.exp >= -18 {
		// The usual quantity: both parts fit in an int64.
		n, _ := strconv.ParseInt(d.digits, 10, 64)
		if d.neg {
			n = -n
		}
		return big.NewRat(n, pow10[-d.exp])
	}
	n, _ := new(big.Int).SetString(d.digits, 10)
	if d.neg {
		n.Neg(n)
	}
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(d.exp))), nil)
	if d.exp >= 0 {
		return new(big.Rat).SetInt(n.Mul(n, p))
	}
	return new(big.Rat).SetFrac(n, p)
}

var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// moneyUnit is a unit an amount is written in: a power of ten (万 is 4)
// and a currency ("" when the unit names none, such as 元).
type moneyUnit struct {
	scale    int
	currency string
	set      bool // a unit was written
}

// merge combines the units written in one place ("万元" and "CNY").
func (u moneyUnit) merge(v moneyUnit) (moneyUnit, error) {
	if !v.set {
		return u, nil
	}
	if !u.set {
		return v, nil
	}
	if u.scale != v.scale && u.scale != 0 && v.scale != 0 {
		return u, fmt.Errorf("two different scales")
	}
	if u.currency != "" && v.currency != "" && u.currency != v.currency {
		return u, fmt.Errorf("two different currencies (%s and %s)", u.currency, v.currency)
	}
	u.scale = max(u.scale, v.scale)
	if u.currency == "" {
		u.currency = v.currency
	}
	return u, nil
}

type unitToken struct {
	scale    int
	currency string
}

// unitTokens are the words a money unit is made of, lower case.
var unitTokens = func() map[string]unitToken {
	m := map[string]unitToken{
		"万": {scale: 4}, "千": {scale: 3}, "百万": {scale: 6}, "千万": {scale: 7}, "亿": {scale: 8},
		"10k": {scale: 4}, "10000": {scale: 4}, "10,000": {scale: 4}, "k": {scale: 3}, "1000": {scale: 3},
		"thousand": {scale: 3}, "thousands": {scale: 3}, "million": {scale: 6}, "millions": {scale: 6}, "mn": {scale: 6},
		"元": {}, "圆": {}, "yuan": {}, "人民币": {currency: "CNY"}, "rmb": {currency: "CNY"},
		"¥": {currency: "CNY"}, "￥": {currency: "CNY"}, "$": {currency: "USD"}, "us$": {currency: "USD"},
		"美元": {currency: "USD"}, "港元": {currency: "HKD"}, "港币": {currency: "HKD"}, "hk$": {currency: "HKD"},
		"欧元": {currency: "EUR"}, "€": {currency: "EUR"}, "日元": {currency: "JPY"}, "英镑": {currency: "GBP"}, "£": {currency: "GBP"},
	}
	for _, c := range isoCurrencies() {
		m[strings.ToLower(c)] = unitToken{currency: c}
	}
	return m
}()

func isoCurrencies() []string {
	var out []string
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			for c := 'A'; c <= 'Z'; c++ {
				code := string([]rune{a, b, c})
				if _, ok := ledger.CurrencyExponent(code); ok {
					out = append(out, code)
				}
			}
		}
	}
	return out
}

var maxUnitToken = func() int {
	n := 0
	for k := range unitTokens {
		n = max(n, len(k))
	}
	return n
}()

// parseUnit reads a money unit: "万元", "元", "10k CNY", "人民币万元", "USD",
// "¥". The empty string is no unit.
func parseUnit(s string) (moneyUnit, bool) {
	s = strings.ToLower(asciiFold(s))
	s = strings.Map(func(r rune) rune {
		if isBlank(r) {
			return -1
		}
		return r
	}, s)
	if s == "" {
		return moneyUnit{}, true
	}
	if t, ok := unitTokens[s]; ok {
		return moneyUnit{scale: t.scale, currency: t.currency, set: true}, true
	}
	u := moneyUnit{set: true}
	for s != "" {
		found := false
		for n := min(maxUnitToken, len(s)); n > 0; n-- {
			t, ok := unitTokens[s[:n]]
			if !ok {
				continue
			}
			if t.scale != 0 {
				if u.scale != 0 {
					return u, false
				}
				u.scale = t.scale
			}
			if t.currency != "" {
				if u.currency != "" && u.currency != t.currency {
					return u, false
				}
				u.currency = t.currency
			}
			s, found = s[n:], true
			break
		}
		if !found {
			return u, false
		}
	}
	return u, true
}

// splitNumber splits "¥1,234.50", "12.5 万元" or "USD 1,500" into the text
// before the number, the number and the text after it.
func splitNumber(s string) (pre, num, post string) {
	start := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isDigit(c) || (c == '-' || c == '+' || c == '.') && i+1 < len(s) && (isDigit(s[i+1]) || s[i+1] == '.') {
			start = i
			break
		}
	}
	if start < 0 {
		return s, "", ""
	}
	end := start
	for i := start; i < len(s); i++ {
		if isDigit(s[i]) {
			end = i + 1
		}
	}
	return s[:start], s[start:end], s[end:]
}

// moneyCtx is what an amount column knows: the unit its header gives, the
// base currency, and whether cells are raw XLSX numbers.
type moneyCtx struct {
	header moneyUnit
	base   string
	xlsx   bool
}

// parseMoney reads an amount in exact minor units. A unit in the cell
// ("12.5万", "¥1,234.50", "1,500 USD") overrides the header's scale; the
// currency is the cell's, else the header's, else the base currency.
func parseMoney(s string, mc moneyCtx) (ledger.Money, error) {
	s = asciiFold(s)
	pre, num, post := splitNumber(s)
	if num == "" {
		return ledger.Money{}, fmt.Errorf("%q is not an amount (write 1234567.89, 1,234,567.89 or 123.5万)", s)
	}
	cu, ok := parseUnit(pre + post)
	if !ok {
		return ledger.Money{}, fmt.Errorf("%q is not an amount: unknown unit %q", s, clean(pre+" "+post))
	}
	d, err := parseDecimal(clean(num), mc.xlsx)
	if err != nil {
		return ledger.Money{}, fmt.Errorf("%q is not an amount (write 1234567.89, 1,234,567.89 or 123.5万)", s)
	}
	if mc.xlsx {
		d = d.round15()
	}
	unit := mc.header
	if cu.set {
		if cu.currency != "" && unit.currency != "" && cu.currency != unit.currency {
			return ledger.Money{}, fmt.Errorf("%q is in %s but the column is in %s", s, cu.currency, unit.currency)
		}
		unit.scale = cu.scale
		if cu.currency != "" {
			unit.currency = cu.currency
		}
	}
	cur := unit.currency
	if cur == "" {
		cur = mc.base
	}
	exp, ok := ledger.CurrencyExponent(cur)
	if !ok {
		return ledger.Money{}, fmt.Errorf("currency %s is not accepted", cur)
	}
	if d.neg {
		return ledger.Money{}, fmt.Errorf("%q is negative; amounts are positive", s)
	}
	v, whole, fits := d.scaled(unit.scale + exp)
	if !fits {
		return ledger.Money{}, fmt.Errorf("%q is too large", s)
	}
	if !whole {
		if unit.scale != 0 {
			return ledger.Money{}, fmt.Errorf("%q × 10^%d has more decimal places than %s allows (%d)", s, unit.scale, cur, exp)
		}
		return ledger.Money{}, fmt.Errorf("%q has more decimal places than %s allows (%d)", s, cur, exp)
	}
	return ledger.Money{Amount: v, Currency: cur}, nil
}

// parseNumber reads an exact non-negative number: a decimal with optional
// thousands separators, or a fraction "1/3".
func parseNumber(s string, xlsx bool) (*big.Rat, error) {
	s = clean(asciiFold(s))
	if strings.Contains(s, "/") {
		a, b, _ := strings.Cut(s, "/")
		x, err1 := parseDecimal(clean(a), false)
		y, err2 := parseDecimal(clean(b), false)
		if err1 != nil || err2 != nil || x.neg || y.neg || y.digits == "" {
			return nil, errNotNumber
		}
		return new(big.Rat).Quo(x.rat(), y.rat()), nil
	}
	d, err := parseDecimal(s, xlsx)
	if err != nil {
		return nil, err
	}
	if xlsx {
		d = d.round15()
	}
	return d.rat(), nil
}

// parseShare reads a share of a whole: "60%", "0.6", "3/5"; with percent
// set (a header in "(%)") a bare number is a percentage. It must be in (0, 1].
func parseShare(in string, percent, xlsx bool) (ledger.Ratio, error) {
	s := clean(asciiFold(in))
	pct := percent
	if t, ok := strings.CutSuffix(s, "%"); ok {
		s, pct = clean(t), true
	}
	r, err := parseNumber(s, xlsx)
	if err != nil {
		return ledger.Ratio{}, fmt.Errorf("%q is not a share (write 60%%, 0.6 or 3/5)", in)
	}
	s = in
	if pct {
		r.Quo(r, big.NewRat(100, 1))
	}
	if r.Sign() <= 0 {
		return ledger.Ratio{}, fmt.Errorf("share %q must be greater than 0", s)
	}
	if r.Cmp(big.NewRat(1, 1)) > 0 {
		if pct {
			return ledger.Ratio{}, fmt.Errorf("share %q is more than 100%%", s)
		}
		return ledger.Ratio{}, fmt.Errorf("share %q is more than 1 (write 60%% or 0.6)", s)
	}
	return ledger.RatioOf(r), nil
}

// Dates.

// earliest is the first business date the ledger accepts.
var earliest = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// defaultHour is the time of day given to a date without one.
const defaultHour = 9

// dateCtx is what a date column knows.
type dateCtx struct {
	loc      *time.Location
	xlsx     bool // a bare number is an Excel serial date
	date1904 bool
}

// parseDate reads a date (and optional time): 2025-03-01, 2025/3/1,
// 2025.3.1, 2025年3月1日, 20250301, "2025-03-01 14:30", RFC 3339, or in
// XLSX an Excel serial number. A date without a time is 09:00 local.
func parseDate(s string, dc dateCtx) (time.Time, error) {
	s = clean(asciiFold(s))
	bad := func() (time.Time, error) {
		return time.Time{}, fmt.Errorf("%q is not a date (write 2025-03-01, 2025/3/1, 2025.3.1, 2025年3月1日 or 20250301)", s)
	}
	if s == "" {
		return bad()
	}
	var y, mo, d, h, mi, sec, nsec int
	hasTime := false
	var zone *time.Location
	if allDigitsOrDot(s) && dc.xlsx && !(len(s) == 8 && !strings.Contains(s, ".")) {
		t, ok := excelSerial(s, dc)
		if !ok {
			return bad()
		}
		return checkDate(t, s)
	}
	rest := s
	var ok bool
	if len(s) >= 8 && allDigits(s[:8]) && (len(s) == 8 || !isDigit(s[8])) {
		y, _ = strconv.Atoi(s[:4])
		mo, _ = strconv.Atoi(s[4:6])
		d, _ = strconv.Atoi(s[6:8])
		rest = s[8:]
	} else {
		if y, rest, ok = takeInt(rest, 4, 4); !ok {
			return bad()
		}
		var sep string
		if rest, sep, ok = takeSep(rest); !ok {
			return bad()
		}
		if mo, rest, ok = takeInt(rest, 1, 2); !ok {
			return bad()
		}
		var sep2 string
		if rest, sep2, ok = takeSep(rest); !ok || sep2 != sep && !(sep == "年" && sep2 == "月") {
			return bad()
		}
		if d, rest, ok = takeInt(rest, 1, 2); !ok {
			return bad()
		}
		if sep == "年" {
			if rest, ok = strings.CutPrefix(rest, "日"); !ok {
				rest = strings.TrimPrefix(rest, "号")
			}
		}
	}
	if rest != "" {
		// A time: "T14:30:00+08:00", " 14:30", " 9:05:30".
		if rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ' {
			return bad()
		}
		rest = strings.TrimLeft(rest[1:], " ")
		if h, rest, ok = takeInt(rest, 1, 2); !ok {
			return bad()
		}
		if rest, ok = strings.CutPrefix(rest, ":"); !ok {
			return bad()
		}
		if mi, rest, ok = takeInt(rest, 2, 2); !ok {
			return bad()
		}
		if r, found := strings.CutPrefix(rest, ":"); found {
			if sec, rest, ok = takeInt(r, 2, 2); !ok {
				return bad()
			}
			if r, found := strings.CutPrefix(rest, "."); found {
				j := 0
				for j < len(r) && isDigit(r[j]) {
					j++
				}
				if j == 0 || j > 9 {
					return bad()
				}
				frac := r[:j] + strings.Repeat("0", 9-j)
				nsec, _ = strconv.Atoi(frac)
				rest = r[j:]
			}
		}
		if h > 23 || mi > 59 || sec > 59 {
			return bad()
		}
		switch {
		case rest == "":
		case rest == "Z" || rest == "z":
			zone = time.UTC
		case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' && allDigits(rest[1:3]) && allDigits(rest[4:6]):
			oh, _ := strconv.Atoi(rest[1:3])
			om, _ := strconv.Atoi(rest[4:6])
			if oh > 14 || om > 59 {
				return bad()
			}
			off := oh*3600 + om*60
			if rest[0] == '-' {
				off = -off
			}
			zone = time.FixedZone("", off)
		default:
			return bad()
		}
		hasTime = true
	}
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return time.Time{}, fmt.Errorf("%q is not a calendar date", s)
	}
	if !hasTime {
		h = defaultHour
	}
	loc := dc.loc
	if zone != nil {
		loc = zone
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, nsec, loc)
	if zone != nil {
		t = t.In(dc.loc)
	}
	return checkDate(t, s)
}

func checkDate(t time.Time, s string) (time.Time, error) {
	if t.Before(earliest) {
		return time.Time{}, fmt.Errorf("%s is before 1980-01-01, the earliest date the ledger accepts", t.Format(time.DateOnly))
	}
	if t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("%q is not a date", s)
	}
	return t, nil
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func allDigitsOrDot(s string) bool {
	dots := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			dots++
		} else if !isDigit(s[i]) {
			return false
		}
	}
	return s != "" && dots <= 1 && s[0] != '.'
}

func takeInt(s string, minLen, maxLen int) (int, string, bool) {
	j := 0
	for j < len(s) && j < maxLen && isDigit(s[j]) {
		j++
	}
	if j < minLen || j < len(s) && isDigit(s[j]) {
		return 0, s, false
	}
	v, _ := strconv.Atoi(s[:j])
	return v, s[j:], true
}

func takeSep(s string) (string, string, bool) {
	for _, sep := range []string{"-", "/", ".", "年", "月"} {
		if r, ok := strings.CutPrefix(s, sep); ok {
			return r, sep, true
		}
	}
	return s, "", false
}

// excelSerial converts an Excel serial date ("45717", "45717.5") exactly:
// days since 1899-12-30 (1900 date system, from 1900-03-01 on) or since
// 1904-01-01, the fraction being the time of day (rounded to the second).
func excelSerial(s string, dc dateCtx) (time.Time, bool) {
	d, err := parseDecimal(s, true)
	if err != nil || d.neg {
		return time.Time{}, false
	}
	r := d.round15().rat()
	days := new(big.Int).Quo(r.Num(), r.Denom())
	if !days.IsInt64() || days.Int64() > 2958465 {
		return time.Time{}, false
	}
	n := days.Int64()
	frac := new(big.Rat).Sub(r, new(big.Rat).SetInt(days))
	secs := new(big.Rat).Mul(frac, big.NewRat(86400, 1))
	sec := new(big.Int).Quo(new(big.Int).Add(new(big.Int).Mul(secs.Num(), big.NewInt(2)), secs.Denom()), new(big.Int).Mul(secs.Denom(), big.NewInt(2))).Int64()
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	if dc.date1904 {
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	} else if n < 61 {
		if n == 60 {
			return time.Time{}, false // 1900-02-29 does not exist
		}
		base = base.AddDate(0, 0, 1)
	}
	day := base.AddDate(0, 0, int(n))
	h, mi, sc := defaultHour, 0, 0
	if frac.Sign() != 0 {
		if sec >= 86400 {
			day, sec = day.AddDate(0, 0, 1), 0
		}
		h, mi, sc = int(sec/3600), int(sec/60%60), int(sec%60)
	}
	return time.Date(day.Year(), day.Month(), day.Day(), h, mi, sc, 0, dc.loc), true
}
