package importer

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/alliance-ledger/alliance/ledger"
)

// srcRow is one row read from a sheet or a CSV file.
type srcRow struct {
	n      int      // 1-based row number as the user sees it
	cells  []string // the row's own: not reused by the source
	merged []mergedCell
	err    string // the row could not be read (CSV syntax)
}

// mergedCell is a cell of a row that lies below the top-left cell of a
// merged range, in the range's first column: it shows the top-left value.
type mergedCell struct {
	col   int    // 0-based column
	ref   string // the range, "B5:B7"
	value string // the top-left cell's value
}

type rowSource interface {
	next() (srcRow, bool, error)
}

// maxHeaderScan is how many non-empty rows may precede the header (titles,
// notes) before a sheet is said to have none.
const maxHeaderScan = 50

// The names of the two columns of the agreement's key/value sheet.
var (
	kvKeyNames   = normSet("key", "term", "item", "条款", "事项", "条目", "要素", "协议条款")
	kvValueNames = normSet("value", "值", "内容", "取值", "约定", "约定内容", "条款内容")
)

// totals are first cells of rows that sum the rows above; they are skipped.
var totals = normSet("合计", "总计", "小计", "共计", "total", "totals", "subtotal", "sum", "grand total")

type sheetParser struct {
	f     *File
	pc    *parseCtx
	sheet string
	k     *kindSpec
}

func (p *sheetParser) add(row int, col, format string, args ...any) {
	p.f.Errors = append(p.f.Errors, RowError{Sheet: p.sheet, Row: row, Column: col, Reason: fmt.Sprintf(format, args...)})
}

func (p *sheetParser) addAll(row int, errs []RowError) {
	for _, e := range errs {
		e.Sheet, e.Row = p.sheet, row
		p.f.Errors = append(p.f.Errors, e)
	}
}

func blank(cells []string) bool {
	for _, c := range cells {
		if clean(c) != "" {
			return false
		}
	}
	return true
}

func isTotals(cells []string) bool {
	for _, c := range cells {
		if c = clean(c); c != "" {
			// Most first cells are ids: no totals word starts with a digit
			// or M, P, A, so most rows need no normalising.
			return len(c) <= 16 && !(c[0] >= '0' && c[0] <= '9' || c[0] == 'M' || c[0] == 'P' || c[0] == 'A') && totals[norm(c)]
		}
	}
	return false
}

// kvColumns finds the key and value columns of an agreement key/value header.
func kvColumns(cells []string) (key, val int, ok bool) {
	key, val = -1, -1
	for j, c := range cells {
		for _, part := range append([]string{c}, bilingualParts(asciiFold(c))...) {
			n := norm(part)
			if kvKeyNames[n] && key < 0 {
				key = j
			} else if kvValueNames[n] && val < 0 && key != j {
				val = j
			}
		}
	}
	return key, val, key >= 0 && val >= 0
}

// run parses a sheet: it finds the header, the first row whose cells name
// at least two columns of the kind (merged title rows above it are
// skipped), and a second header row below it when the header is two rows
// high (merged group headers), then parses every data row.
func (p *sheetParser) run(src rowSource) error {
	var hdr srcRow
	found, kv, seen := false, false, 0
	var kvKey, kvVal int
	for !found {
		r, ok, err := src.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if r.err != "" {
			p.add(r.n, "", "%s", r.err)
			continue
		}
		if blank(r.cells) {
			continue
		}
		seen++
		if p.k.name == "agreement" {
			if kvKey, kvVal, kv = kvColumns(r.cells); kv {
				hdr, found = copyRow(r), true
				break
			}
		}
		if countKnown(p.k, r.cells) >= 2 {
			hdr, found = copyRow(r), true
			break
		}
		if seen >= maxHeaderScan {
			break
		}
	}
	if !found {
		if seen > 0 {
			p.add(0, "", "no header row: none of the first %d rows names two %s columns (%s)", seen, p.k.name, p.k.columnList())
		}
		return nil
	}
	if kv {
		return p.runKV(src, hdr, kvKey, kvVal)
	}
	// A second header row: every non-empty cell names a column.
	r, ok, err := src.next()
	if err != nil {
		return err
	}
	if ok && r.err == "" && r.n == hdr.n+1 && isHeaderContinuation(p.k, r.cells) {
		for j, c := range r.cells {
			if clean(c) == "" {
				continue
			}
			for len(hdr.cells) <= j {
				hdr.cells = append(hdr.cells, "")
			}
			hdr.cells[j] = c
		}
		hdr.n = r.n
		r, ok, err = src.next()
		if err != nil {
			return err
		}
	}
	l := newLayout(p.k, hdr.cells, p.pc)
	p.addAll(hdr.n, l.errs)
	colAt := make([]int, len(hdr.cells))
	for j := range colAt {
		colAt[j] = -1
	}
	for i, j := range l.pos {
		if j >= 0 {
			colAt[j] = i
		}
	}
	rows := 0
	// headed[j]: column j has a header; the last entry stands for the
	// columns beyond the header's last cell.
	headed := make([]bool, len(hdr.cells)+1)
	for j, h := range hdr.cells {
		headed[j] = clean(h) != ""
	}
	batch := make([]pendingRow, 0, parseBatch)
	flush := func() {
		parseRows(l, p.sheet, batch)
		from := len(p.f.Rows)
		for i := range batch {
			b := &batch[i]
			p.f.Errors = append(p.f.Errors, b.errs...)
			if b.parsed && len(b.errs) == 0 && !l.missing {
				p.f.Rows = append(p.f.Rows, Row{Kind: p.k.name, Sheet: p.sheet, Row: b.n, Command: b.cmd})
			}
		}
		p.emit(from)
		clear(batch)
		batch = batch[:0]
	}
	for ; ok; r, ok, err = src.next() {
		if r.err != "" {
			batch = append(batch, pendingRow{n: r.n, errs: []RowError{{Sheet: p.sheet, Row: r.n, Reason: r.err}}})
			continue
		}
		b := pendingRow{n: r.n, cells: r.cells}
		if len(r.merged) > 0 {
			b.cells, b.done, b.errs = p.fillMerged(l, colAt, r)
		}
		empty := true
		for j, v := range b.cells {
			if v = clean(v); v != "" {
				empty = false
				if !headed[min(j, len(headed)-1)] {
					b.errs = append(b.errs, RowError{Sheet: p.sheet, Row: r.n, Reason: fmt.Sprintf("a value in column %s, which has no header: %q", columnLetter(j), v)})
				}
			}
		}
		if empty || isTotals(b.cells) {
			continue
		}
		if p.k.name == "agreement" && rows > 0 {
			b.errs = append(b.errs, RowError{Sheet: p.sheet, Row: r.n, Reason: "an import holds one agreement, in one row; amendments are recorded with alliance record agreement.amended"})
			batch = append(batch, b)
			continue
		}
		rows++
		b.parsed = true
		if batch = append(batch, b); len(batch) == parseBatch {
			flush()
		}
	}
	flush()
	return err
}

// pendingRow is a data row waiting in a batch to be parsed.
type pendingRow struct {
	n      int
	cells  []string
	done   []int
	parsed bool       // to be parsed (else it holds errors only)
	errs   []RowError // its problems, in order
	cmd    ledger.Command
}

// parseBatch rows are parsed at a time, in parallel: rows are independent
// once read, and parsing them is most of the work of reading a CSV file.
const parseBatch = 1024

// parseRows parses a batch of rows on every core, each row's results
// kept with it so that they are reported in file order.
func parseRows(l *layout, sheet string, batch []pendingRow) {
	one := func(b *pendingRow) {
		if !b.parsed {
			return
		}
		cmd, errs := l.parseRow(b.cells, b.done)
		for _, e := range errs {
			e.Sheet, e.Row = sheet, b.n
			b.errs = append(b.errs, e)
		}
		b.cmd = cmd
	}
	workers := min(runtime.GOMAXPROCS(0), len(batch)/128+1)
	if workers <= 1 {
		for i := range batch {
			one(&batch[i])
		}
		return
	}
	var wg sync.WaitGroup
	size := (len(batch) + workers - 1) / workers
	for lo := 0; lo < len(batch); lo += size {
		part := batch[lo:min(lo+size, len(batch))]
		wg.Go(func() {
			for i := range part {
				one(&part[i])
			}
		})
	}
	wg.Wait()
}

// columnLetter names a column as Excel does: A, B, ... AA.
func columnLetter(j int) string {
	name := ""
	for j++; j > 0; j = (j - 1) / 26 {
		name = string(rune('A'+(j-1)%26)) + name
	}
	return name
}

func copyRow(r srcRow) srcRow {
	r.cells = append([]string(nil), r.cells...)
	return r
}

func isHeaderContinuation(k *kindSpec, cells []string) bool {
	known := 0
	for _, c := range cells {
		switch _, _, _, st := resolveHeader(k, c); st {
		case hKnown, hBadUnit:
			known++
		case hUnknown:
			return false
		}
	}
	return known > 0
}

// fillMerged gives the cells of a vertically merged range the value of
// its top-left cell ("项目" merged over three rows: the three rows are of
// that project). Amounts and quantities are not copied: a merged amount is
// a total, which the rows must split.
func (p *sheetParser) fillMerged(l *layout, colAt []int, r srcRow) (cells []string, done []int, errs []RowError) {
	cells = append([]string(nil), r.cells...)
	for _, m := range r.merged {
		if m.col >= len(colAt) || colAt[m.col] < 0 {
			continue
		}
		for len(cells) <= m.col {
			cells = append(cells, "")
		}
		if clean(cells[m.col]) != "" {
			continue
		}
		c := l.k.cols[colAt[m.col]]
		switch c.typ {
		case tMoney, tNumber, tBudgets, tShares, tRates, tWeights:
			if clean(m.value) != "" {
				errs = append(errs, RowError{Sheet: p.sheet, Row: r.n, Column: l.headers[colAt[m.col]],
					Reason: fmt.Sprintf("the cell is merged (%s): an amount is not copied to every row; unmerge it and give each row its own", m.ref)})
				done = append(done, m.col)
			}
		default:
			cells[m.col] = m.value
		}
	}
	return cells, done, errs
}

// runKV parses the agreement's key/value sheet: one term per row, its key
// (an agreement column name) and its value. Errors name the row of the
// term and the term as written.
func (p *sheetParser) runKV(src rowSource, hdr srcRow, keyCol, valCol int) error {
	nerr := len(p.f.Errors)
	var keys, vals []string
	rowOf := map[string]int{}
	seen := map[int]int{}
	first := 0
	for {
		r, ok, err := src.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if r.err != "" {
			p.add(r.n, "", "%s", r.err)
			continue
		}
		key, val := cellAt(r.cells, keyCol), cellAt(r.cells, valCol)
		if key == "" && val == "" {
			continue
		}
		if key == "" {
			p.add(r.n, clean(hdr.cells[valCol]), "a value without a term")
			continue
		}
		idx, _, _, st := resolveHeader(p.k, key)
		switch st {
		case hIgnored:
			continue
		case hUnknown:
			p.add(r.n, key, "unknown agreement term; the terms are %s", p.k.columnList())
			continue
		}
		if prev, dup := seen[idx]; dup {
			p.add(r.n, key, "the term %s is also given in row %d", p.k.cols[idx].EN, prev)
			continue
		}
		seen[idx] = r.n
		rowOf[key] = r.n
		keys, vals = append(keys, key), append(vals, val)
		if first == 0 {
			first = r.n
		}
	}
	if first == 0 {
		return nil // an empty agreement sheet: no agreement to sign
	}
	l := newLayoutOf(p.k, keys, p.pc, "term")
	cmd, errs := l.parse(vals)
	for _, e := range append(l.errs, errs...) {
		row := hdr.n
		if n, ok := rowOf[e.Column]; ok {
			row = n
		}
		e.Sheet, e.Row = p.sheet, row
		p.f.Errors = append(p.f.Errors, e)
	}
	slices.SortStableFunc(p.f.Errors[nerr:], func(a, b RowError) int { return cmp.Compare(a.Row, b.Row) })
	if len(l.errs) == 0 && len(errs) == 0 {
		p.f.Rows = append(p.f.Rows, Row{Kind: p.k.name, Sheet: p.sheet, Row: first, Command: cmd})
		p.emit(len(p.f.Rows) - 1)
	}
	return nil
}

// emit gives the rows parsed since from to the caller's Options.Rows. The
// slice is not appended to in place later (appends past it go to its
// spare capacity, or to a new array), so it can be read meanwhile.
func (p *sheetParser) emit(from int) {
	if p.pc.rows != nil && len(p.f.Rows) > from {
		rows := p.f.Rows[from:]
		p.pc.rows(p.f, rows[:len(rows):len(rows)])
	}
}

func cellAt(cells []string, j int) string {
	if j < len(cells) {
		return clean(cells[j])
	}
	return ""
}

// Kinds from names.

// kindNames maps every sheet or file name alias to its kind.
var kindNames = func() map[string]string {
	m := map[string]string{}
	for _, name := range Kinds {
		k := kinds[name]
		for _, a := range append([]string{k.name, k.zh}, k.aliases...) {
			m[norm(a)] = name
		}
	}
	return m
}()

// nameSuffixes decorate sheet and file names: 投入明细, 成员名单, members list.
var nameSuffixes = []string{"明细表", "登记表", "一览表", "明细", "清单", "台账", "登记", "名单", "名录", "汇总", "表", "list", "sheet", "register", "ledger", "data"}

// readmeNames are sheets ParseXLSX skips: the template's documentation.
var readmeNames = normSet("readme", "说明", "填表说明", "使用说明", "instructions", "read me", "说明 readme")

// kindOfName finds the kind a sheet or file base name names: an alias
// ("投入", "contributions"), bilingual ("投入 contributions"), decorated
// by a year, digits or separators ("members-2024", "2025年投入") or by a
// suffix ("投入明细", "成员名单").
func kindOfName(name string) (string, bool) {
	n := norm(name)
	if k, ok := kindNames[n]; ok {
		return k, true
	}
	if k, ok := kindOfStripped(name); ok {
		return k, true
	}
	parts := bilingualParts(asciiFold(name))
	if len(parts) < 2 {
		return "", false
	}
	kind := ""
	for _, part := range parts {
		k, ok := kindOfStripped(part)
		if !ok {
			if strip(norm(part)) == "" {
				continue // a year or digits: "2025年"
			}
			return "", false
		}
		if kind != "" && k != kind {
			return "", false
		}
		kind = k
	}
	return kind, kind != ""
}

func kindOfStripped(s string) (string, bool) {
	n := strip(norm(s))
	if k, ok := kindNames[n]; ok {
		return k, true
	}
	for _, suf := range nameSuffixes {
		if t, ok := strings.CutSuffix(n, suf); ok && t != "" {
			if k, ok := kindNames[strip(t)]; ok {
				return k, true
			}
		}
	}
	return "", false
}

// strip removes digits, brackets and the year/month markers around a name.
func strip(n string) string {
	n = stripBrackets(n)
	isDecor := func(r rune) bool {
		return r >= '0' && r <= '9' || r == '年' || r == '月' || r == '度' || r == '第' || r == '季' || r == '~' || r == '、' || r == ','
	}
	n = strings.TrimLeftFunc(n, isDecor)
	n = strings.TrimRightFunc(n, isDecor)
	return n
}
