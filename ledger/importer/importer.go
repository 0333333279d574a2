package importer

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alliance-ledger/alliance/ledger"
)

// Kinds of sheet, in the order an import appends them: members before the
// agreement they sign, projects before what is recorded against them.
var Kinds = []string{"members", "agreement", "projects", "contributions", "ip", "funding", "costs"}

// RowError is one problem with one cell or row; the report lists them all.
type RowError struct {
	Sheet  string `json:"sheet"`  // sheet name, or the CSV file's base name
	Row    int    `json:"row"`    // 1-based row number as the user sees it in Excel / the file (header row included); 0: the whole sheet
	Column string `json:"column"` // the header as written in the file ("" for the whole row)
	Reason string `json:"reason"`
}

func (e RowError) Error() string {
	var b strings.Builder
	b.WriteString(e.Sheet)
	if e.Row > 0 {
		fmt.Fprintf(&b, " row %d", e.Row)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, " column %q", e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// Row is one parsed data row: the command it records and where it came from.
type Row struct {
	Kind    string
	Sheet   string
	Row     int
	Command ledger.Command // Type, OccurredAt (from the row's date column), Payload
}

// File is a parsed file: its rows in order (sheets in Kinds order, rows in
// file order) and every error found. Rows holds only the rows that parsed
// without error.
type File struct {
	Rows   []Row
	Errors []RowError
	// Digest is the SHA-256 of the file's bytes, hex; idempotency keys are
	// derived from it and the sheet and row.
	Digest string
}

// Options: Currency is the alliance's base currency (for amounts without
// one; CNY when empty), Location the time zone dates are in (Asia/Shanghai
// when nil).
type Options struct {
	Currency string
	Location *time.Location
	// Rows, if set, is given the file's rows as they are parsed, in
	// order, a batch at a time, on the parsing goroutine, so that a caller
	// can check them while the rest of the file is read. f's Digest is
	// set; its Rows and Errors are still growing. The batches are also in
	// the File returned, which holds every row.
	Rows func(f *File, rows []Row)
}

// parseCtx is Options resolved, and what the file says about its cells.
type parseCtx struct {
	currency string
	loc      *time.Location
	xlsx     bool // cells are raw XLSX values: numbers may be serial dates, doubles
	date1904 bool
	now      time.Time
	rows     func(*File, []Row)
}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

func newParseCtx(opts Options) (*parseCtx, error) {
	pc := &parseCtx{currency: opts.Currency, loc: opts.Location, now: time.Now(), rows: opts.Rows}
	if pc.currency == "" {
		pc.currency = "CNY"
	}
	if _, ok := ledger.CurrencyExponent(pc.currency); !ok {
		return nil, fmt.Errorf("importer: currency %q is not an accepted ISO 4217 currency", opts.Currency)
	}
	if pc.loc == nil {
		pc.loc = shanghai
	}
	return pc, nil
}

// ParseRecord parses one CSV/XLSX data row of a kind given the header (the
// header as written: names in English or Chinese, in any order). It
// returns the command, or the problems found with the header and the row;
// their Sheet and Row are left for the caller. For "agreement" the header
// names agreement terms (title, effective date, ...), one per column.
func ParseRecord(kind string, header, record []string, opts Options) (ledger.Command, []RowError) {
	k := kinds[kind]
	if k == nil {
		return ledger.Command{}, []RowError{{Reason: fmt.Sprintf("unknown kind %q (one of %s)", kind, strings.Join(Kinds, ", "))}}
	}
	pc, err := newParseCtx(opts)
	if err != nil {
		return ledger.Command{}, []RowError{{Reason: err.Error()}}
	}
	l := newLayout(k, header, pc)
	cmd, errs := l.parse(record)
	if len(l.errs) > 0 {
		errs = append(append([]RowError(nil), l.errs...), errs...)
	}
	if len(errs) > 0 {
		return ledger.Command{}, errs
	}
	return cmd, nil
}

// Headers.

// layout is a header resolved: where each column of the kind is.
type layout struct {
	k       *kindSpec
	pc      *parseCtx
	pos     []int       // column index → record index, -1 when absent
	headers []string    // column index → header as written
	units   []moneyUnit // column index → unit the header gives
	percent []bool      // column index → header in (%)
	errs    []RowError  // problems with the header (Row 0)
	missing bool        // a required column is missing: rows cannot be whole
}

type headerStatus int

const (
	hEmpty headerStatus = iota
	hKnown
	hIgnored
	hUnknown
	hBadUnit
)

// resolveHeader finds the column a header cell names: the whole name
// first ("人月费率（企业）"), then the name with its bracketed unit removed
// ("金额(万元)"), then each script of a bilingual name ("成员编号 member").
func resolveHeader(k *kindSpec, cell string) (idx int, u moneyUnit, percent bool, st headerStatus) {
	h := clean(cell)
	if h == "" {
		return -1, u, false, hEmpty
	}
	base, brackets := splitBrackets(h)
	if i, ok := k.names[norm(stripBrackets(h))]; ok && len(brackets) > 0 {
		return i, u, false, hKnown
	}
	idx, st = lookupName(k, base)
	if st != hKnown {
		return idx, u, false, st
	}
	switch k.cols[idx].typ {
	case tMoney, tBudgets, tRates:
		for _, b := range brackets {
			v, ok := parseUnit(b)
			if !ok {
				return idx, u, false, hBadUnit
			}
			var err error
			if u, err = u.merge(v); err != nil {
				return idx, u, false, hBadUnit
			}
		}
	case tShares:
		for _, b := range brackets {
			switch norm(asciiFold(b)) {
			case "%", "percent", "百分比", "百分数":
				percent = true
			}
		}
	}
	return idx, u, percent, hKnown
}

func lookupName(k *kindSpec, name string) (int, headerStatus) {
	look := func(p string) (int, bool) {
		n := norm(p)
		if i, ok := k.names[n]; ok {
			return i, true
		}
		if ignored[n] {
			return -1, true
		}
		return 0, false
	}
	if norm(name) == "" {
		return -1, hEmpty
	}
	i, ok := look(name)
	if !ok {
		i, ok = resolveParts(name, look)
	}
	switch {
	case !ok:
		return -1, hUnknown
	case i < 0:
		return -1, hIgnored
	}
	return i, hKnown
}

// resolveParts resolves a bilingual name the whole of which names nothing:
// its runs of Chinese and of other text ("成员编号 member"), or else its
// two halves around a space ("凭证SHA256 evidence sha256"), must all name
// the same thing.
func resolveParts[T comparable](s string, look func(string) (T, bool)) (T, bool) {
	var zero T
	if len(s) > maxNameLen {
		return zero, false // a name, not text: and the halves are quadratic
	}
	s = asciiFold(s)
	if parts := bilingualParts(s); len(parts) > 1 {
		v, ok := look(parts[0])
		for _, p := range parts[1:] {
			if !ok {
				break
			}
			w, found := look(p)
			ok = found && w == v
		}
		if ok {
			return v, true
		}
	}
	for i, r := range s {
		if !isBlank(r) {
			continue
		}
		a, b := clean(s[:i]), clean(s[i:])
		if a == "" || b == "" {
			continue
		}
		v, ok1 := look(a)
		w, ok2 := look(b)
		if ok1 && ok2 && v == w {
			return v, true
		}
	}
	return zero, false
}

// maxNameLen bounds the bytes of a header or value resolved part by part.
const maxNameLen = 256

var (
	openBrackets  = "(（[【"
	closeBrackets = ")）]】"
)

// splitBrackets returns the text outside brackets and the bracketed parts:
// "金额（万元） amount (10k CNY)" → "金额 amount", ["万元", "10k CNY"].
func splitBrackets(s string) (string, []string) {
	if !strings.ContainsAny(s, openBrackets) {
		return s, nil
	}
	var base strings.Builder
	var parts []string
	for s != "" {
		i := strings.IndexAny(s, openBrackets)
		if i < 0 {
			base.WriteString(s)
			break
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		j := strings.IndexAny(s[i+n:], closeBrackets)
		if j < 0 {
			base.WriteString(s)
			break
		}
		base.WriteString(s[:i])
		base.WriteByte(' ')
		parts = append(parts, clean(s[i+n:i+n+j]))
		_, m := utf8.DecodeRuneInString(s[i+n+j:])
		s = s[i+n+j+m:]
	}
	return base.String(), parts
}

// stripBrackets removes the bracket characters, keeping their content.
func stripBrackets(s string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(openBrackets+closeBrackets, r) {
			return -1
		}
		return r
	}, s)
}

// countKnown counts the cells of a row that name columns of the kind.
func countKnown(k *kindSpec, cells []string) int {
	known := 0
	for _, c := range cells {
		if _, _, _, st := resolveHeader(k, c); st == hKnown || st == hBadUnit {
			known++
		}
	}
	return known
}

func newLayout(k *kindSpec, header []string, pc *parseCtx) *layout {
	return newLayoutOf(k, header, pc, "column")
}

// newLayoutOf resolves a header whose names are columns, or terms of the
// agreement's key/value sheet (what the errors call them).
func newLayoutOf(k *kindSpec, header []string, pc *parseCtx, noun string) *layout {
	n := len(k.cols)
	l := &layout{k: k, pc: pc, pos: make([]int, n), headers: make([]string, n), units: make([]moneyUnit, n), percent: make([]bool, n)}
	for i := range l.pos {
		l.pos[i] = -1
	}
	for j, cell := range header {
		idx, u, pct, st := resolveHeader(k, cell)
		h := clean(cell)
		switch st {
		case hUnknown:
			l.errs = append(l.errs, RowError{Column: h, Reason: fmt.Sprintf("unknown column for %s; the columns are %s", k.name, k.columnList())})
			continue
		case hBadUnit:
			l.errs = append(l.errs, RowError{Column: h, Reason: "unknown unit: write (元), (万元), (10k CNY), (USD) or a currency code"})
		case hKnown:
		default:
			continue
		}
		if prev := l.pos[idx]; prev >= 0 {
			l.errs = append(l.errs, RowError{Column: h, Reason: fmt.Sprintf("column %s appears twice (also %q)", k.cols[idx].EN, l.headers[idx])})
			continue
		}
		l.pos[idx], l.headers[idx], l.units[idx], l.percent[idx] = j, h, u, pct
	}
	for i, c := range k.cols {
		if c.Required && l.pos[i] < 0 {
			l.errs = append(l.errs, RowError{Reason: fmt.Sprintf("required %s %s (%s) is missing", noun, c.ZH, c.EN)})
			l.missing = true
		}
	}
	if k.name == "contributions" && l.pos[k.byKey["value"]] < 0 && l.pos[k.byKey["quantity"]] < 0 {
		l.errs = append(l.errs, RowError{Reason: "a 金额 (value) column, or 数量 (quantity) with 计量单位 (unit) columns, is required"})
		l.missing = true
	}
	return l
}

// index is the index of a column: a scan is quicker than a map for a
// dozen short keys, and this runs for every cell.
func (k *kindSpec) index(key string) int {
	for i := range k.cols {
		if k.cols[i].Key == key {
			return i
		}
	}
	panic("importer: no column " + key)
}

func (k *kindSpec) columnList() string {
	names := make([]string, len(k.cols))
	for i, c := range k.cols {
		names[i] = c.ZH + " (" + c.EN + ")"
	}
	return strings.Join(names, ", ")
}

// Rows.

// rowCtx parses one row against a layout, collecting every problem.
type rowCtx struct {
	l    *layout
	rec  []string
	errs []RowError
	// done are record indexes whose problem was reported already (a
	// merged amount): they read as empty, and are not reported again.
	done []int
}

func (l *layout) parse(rec []string) (ledger.Command, []RowError) {
	return l.parseRow(rec, nil)
}

func (l *layout) parseRow(rec []string, done []int) (ledger.Command, []RowError) {
	c := &rowCtx{l: l, rec: rec, done: done}
	at := c.date(l.k.date)
	p := l.k.build(c, at)
	if len(c.errs) > 0 || l.missing || len(c.done) > 0 {
		return ledger.Command{}, c.sorted()
	}
	if err := p.Validate(); err != nil {
		c.fieldError(err)
		return ledger.Command{}, c.errs
	}
	return ledger.NewCommand(at, p), nil
}

// sorted orders a row's errors as its columns are, left to right (the
// builders read them in another order); whole-row errors come last.
func (c *rowCtx) sorted() []RowError {
	if len(c.errs) < 2 {
		return c.errs
	}
	pos := make(map[string]int, len(c.l.headers))
	for i, h := range c.l.headers {
		if c.l.pos[i] >= 0 {
			pos[h] = c.l.pos[i]
		}
	}
	at := func(e RowError) int {
		if j, ok := pos[e.Column]; ok && e.Column != "" {
			return j
		}
		return math.MaxInt
	}
	slices.SortStableFunc(c.errs, func(a, b RowError) int { return cmp.Compare(at(a), at(b)) })
	return c.errs
}

// fieldError turns the ledger's validation error into a RowError on the
// column the field came from.
func (c *rowCtx) fieldError(err error) {
	var fe *ledger.FieldError
	if !errors.As(err, &fe) {
		c.errs = append(c.errs, RowError{Reason: err.Error()})
		return
	}
	path := strings.TrimPrefix(fe.Field, "payload.")
	best := ""
	for f := range c.l.k.fields {
		if len(f) > len(best) && strings.HasPrefix(path, f) && (len(path) == len(f) || path[len(f)] == '.' || path[len(f)] == '[') {
			best = f
		}
	}
	if best == "" {
		c.errs = append(c.errs, RowError{Reason: fe.Error()})
		return
	}
	reason := fe.Rule
	if rest := path[len(best):]; rest != "" {
		reason = path + ": " + reason
	}
	i := c.l.k.byKey[c.l.k.fields[best]]
	c.errs = append(c.errs, RowError{Column: c.l.headers[i], Reason: reason})
}

// cell returns a column's cleaned value and index ("" when absent).
func (c *rowCtx) cell(key string) (string, int) {
	i := c.l.k.index(key)
	j := c.l.pos[i]
	if j < 0 || j >= len(c.rec) || len(c.done) > 0 && slices.Contains(c.done, j) {
		return "", i
	}
	return clean(c.rec[j]), i
}

func (c *rowCtx) errf(i int, format string, args ...any) {
	c.errs = append(c.errs, RowError{Column: c.l.headers[i], Reason: fmt.Sprintf(format, args...)})
}

// value returns a cell's value, reporting a missing required one; ok is
// false when the cell is empty.
func (c *rowCtx) value(key string) (string, int, bool) {
	v, i := c.cell(key)
	if v == "" {
		if c.l.k.cols[i].Required && c.l.pos[i] >= 0 && !slices.Contains(c.done, c.l.pos[i]) {
			c.errf(i, "is required")
		}
		return "", i, false
	}
	if v[0] == '#' && excelErrors[v] {
		c.errf(i, "the cell holds the Excel error %s", v)
		return "", i, false
	}
	return v, i, true
}

// excelErrors are the error values a formula cell can hold.
var excelErrors = map[string]bool{"#N/A": true, "#VALUE!": true, "#REF!": true, "#DIV/0!": true, "#NUM!": true, "#NAME?": true, "#NULL!": true, "#SPILL!": true, "#CALC!": true, "#GETTING_DATA": true}

func (c *rowCtx) text(key string) string {
	v, i, ok := c.value(key)
	if !ok {
		return ""
	}
	if !utf8.ValidString(v) {
		c.errf(i, "is not valid UTF-8 text")
		return ""
	}
	if m := c.l.k.cols[i].max; m > 0 && len(v) > m {
		if n := utf8.RuneCountInString(v); n > m {
			c.errf(i, "is %d characters long, the limit is %d", n, m)
		}
	}
	return v
}

func (c *rowCtx) id(key string) string {
	v, i, ok := c.value(key)
	if !ok {
		return ""
	}
	v = asciiFold(v)
	if !validID(v) {
		c.errf(i, "%q is not an id: use 1-64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit", v)
		return ""
	}
	return v
}

func (c *rowCtx) enum(key string) string {
	v, i, ok := c.value(key)
	if !ok {
		return ""
	}
	e := c.l.k.cols[i].enum
	w, ok := e.parse(v)
	if !ok {
		c.errf(i, "%q is not a known %s: %s", v, e.name, e.describe())
		return ""
	}
	return w
}

func (c *rowCtx) enumList(key string) []string {
	v, i, ok := c.value(key)
	if !ok {
		return nil
	}
	e := c.l.k.cols[i].enum
	var out []string
	for _, s := range splitList(v) {
		w, ok := e.parse(s)
		if !ok {
			c.errf(i, "%q is not a known %s: %s", s, e.name, e.describe())
			continue
		}
		out = append(out, w)
	}
	return out
}

func (c *rowCtx) idList(key string) []string {
	v, i, ok := c.value(key)
	if !ok {
		return nil
	}
	var out []string
	for _, s := range splitList(asciiFold(v)) {
		if !validID(s) {
			c.errf(i, "%q is not an id: use 1-64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit", s)
			continue
		}
		out = append(out, s)
	}
	return out
}

func (c *rowCtx) textList(key string) []string {
	v, _, ok := c.value(key)
	if !ok {
		return nil
	}
	return splitList(v)
}

func (c *rowCtx) moneyCtx(i int) moneyCtx {
	return moneyCtx{header: c.l.units[i], base: c.l.pc.currency, xlsx: c.l.pc.xlsx}
}

func (c *rowCtx) money(key string) (ledger.Money, bool) {
	v, i, ok := c.value(key)
	if !ok {
		return ledger.Money{}, false
	}
	m, err := parseMoney(v, c.moneyCtx(i))
	if err != nil {
		c.errf(i, "%v", err)
		return ledger.Money{}, false
	}
	return m, true
}

func (c *rowCtx) number(key string) *ledger.Ratio {
	v, i, ok := c.value(key)
	if !ok {
		return nil
	}
	r, err := parseNumber(v, c.l.pc.xlsx)
	if err != nil {
		c.errf(i, "%q is not an exact number (write 2.5, 1,000 or 1/3)", v)
		return nil
	}
	if r.Sign() <= 0 {
		c.errf(i, "%q must be positive", v)
		return nil
	}
	q := ledger.RatioOf(r)
	return &q
}

func (c *rowCtx) dateCtx() dateCtx {
	return dateCtx{loc: c.l.pc.loc, xlsx: c.l.pc.xlsx, date1904: c.l.pc.date1904}
}

// date reads a date column; the zero time when empty or wrong (reported).
func (c *rowCtx) date(key string) time.Time {
	v, i, ok := c.value(key)
	if !ok {
		return time.Time{}
	}
	t, err := parseDate(v, c.dateCtx())
	if err != nil {
		c.errf(i, "%v", err)
		return time.Time{}
	}
	if !c.l.pc.now.IsZero() && t.After(c.l.pc.now.Add(24*time.Hour)) {
		c.errf(i, "%s is in the future", t.Format(time.DateOnly))
		return time.Time{}
	}
	return t
}

// day reads a calendar date (a project's start, an agreement's effective
// date) without the future check: planned ends are in the future.
func (c *rowCtx) day(key string) ledger.Date {
	v, i, ok := c.value(key)
	if !ok {
		return ""
	}
	t, err := parseDate(v, c.dateCtx())
	if err != nil {
		c.errf(i, "%v", err)
		return ""
	}
	return ledger.Date(t.Format(time.DateOnly))
}

func (c *rowCtx) sha256(key string) string {
	v, i, ok := c.value(key)
	if !ok {
		return ""
	}
	v = strings.ToLower(v)
	if len(v) != 64 || strings.Trim(v, "0123456789abcdef") != "" {
		c.errf(i, "%q is not a SHA-256 digest (64 hexadecimal digits)", v)
		return ""
	}
	return v
}

func (c *rowCtx) evidence(shaKey, uriKey string) *ledger.Evidence {
	sha, uri := c.sha256(shaKey), c.text(uriKey)
	if sha == "" && uri == "" {
		return nil
	}
	return &ledger.Evidence{SHA256: sha, URI: uri}
}
