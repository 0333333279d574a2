package export

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

// BOM is the UTF-8 byte order mark WriteCSV starts a file with. Excel
// reads a CSV file without it in the system's legacy code page (GBK on a
// Chinese Windows), which garbles the Chinese headers and names; with it,
// Excel reads UTF-8. A program that reads the file with encoding/csv must
// skip it first.
const BOM = "\ufeff"

// WriteCSV writes a table as CSV (RFC 4180, by encoding/csv): the UTF-8 BOM,
// then the header, then the rows, with each cell's Text. The title is not
// written: CSV has no place for it.
//
// A text cell (no Number) that begins with '=', '+', '-', '@', a tab or a
// carriage return is written with a leading apostrophe, so that a
// spreadsheet program opening the file shows it as text rather than
// running it as a formula: names and titles come from the members. Numeric
// cells are written as they are ("-12.50").
func WriteCSV(w io.Writer, t Table) error {
	if _, err := io.WriteString(w, BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180 line breaks
	if err := cw.Write(t.Header); err != nil {
		return err
	}
	rec := make([]string, 0, len(t.Header))
	for _, r := range t.Rows {
		rec = rec[:0]
		for _, c := range r {
			rec = append(rec, csvText(c))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvText is a cell's text in CSV, with formula-like text defused.
func csvText(c Cell) string {
	if c.Number == nil && c.Text != "" && strings.ContainsRune("=+-@\t\r", rune(c.Text[0])) {
		return "'" + c.Text
	}
	return c.Text
}

// WriteXLSX writes the tables as an XLSX workbook, one sheet per table in
// order: the title in row 1 (bold), the header in row 2 (bold, with an
// autofilter; rows 1 and 2 are frozen), the rows from row 3. Numeric cells
// are numbers with a number format of the decimals of their text (2 for
// amounts in yuan, 4 for percents, none for counts and positions; 4 for a
// fraction such as "1/3"), stored as the exact decimal (a fraction to 20
// places); other cells are text. Column widths fit the header and the cells.
//
// Sheet names are the tables' names made valid for Excel: the characters
// : \ / ? * [ ] replaced by '-', at most 31 characters, and unique (a
// suffix "~2", "~3"... when two would be equal, case ignored).
func WriteXLSX(w io.Writer, tables []Table) error {
	if len(tables) == 0 {
		return errors.New("export: no tables to write")
	}
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	for i, name := range sheetNames(tables) {
		if i == 0 {
			err = f.SetSheetName(f.GetSheetName(0), name)
		} else {
			_, err = f.NewSheet(name)
		}
		if err != nil {
			return fmt.Errorf("export: sheet %q: %w", name, err)
		}
		if err := writeSheet(f, st, name, tables[i]); err != nil {
			return fmt.Errorf("export: sheet %q: %w", name, err)
		}
	}
	f.SetActiveSheet(0)
	return f.Write(w)
}

// styles are a workbook's cell styles.
type styles struct {
	f       *excelize.File
	title   int
	header  int
	numbers map[int]int // by decimals
}

func newStyles(f *excelize.File) (*styles, error) {
	s := &styles{f: f, numbers: map[int]int{}}
	var err error
	if s.title, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 13}}); err != nil {
		return nil, err
	}
	s.header, err = f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Border:    []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}},
		Alignment: &excelize.Alignment{Vertical: "center"},
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// number returns the style of numbers shown with d decimals: "0" for
// none, "#,##0.00" for two.
func (s *styles) number(d int) (int, error) {
	if id, ok := s.numbers[d]; ok {
		return id, nil
	}
	format := "0"
	if d > 0 {
		format = "#,##0." + strings.Repeat("0", d)
	}
	id, err := s.f.NewStyle(&excelize.Style{CustomNumFmt: &format})
	if err != nil {
		return 0, err
	}
	s.numbers[d] = id
	return id, nil
}

// fractionDecimals are the decimals shown of a number whose text is a
// fraction ("1/3"): the file holds it to 20 places.
const fractionDecimals = 4

const (
	titleRow  = 1
	headerRow = 2
	firstRow  = 3
)

func writeSheet(f *excelize.File, st *styles, sheet string, t Table) error {
	cols := len(t.Header)
	for _, r := range t.Rows {
		cols = max(cols, len(r))
	}
	cols = max(cols, 1)
	width := make([]int, cols)
	if err := f.SetCellStr(sheet, cellName(1, titleRow), t.Title); err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, cellName(1, titleRow), cellName(1, titleRow), st.title); err != nil {
		return err
	}
	for j, h := range t.Header {
		if err := f.SetCellStr(sheet, cellName(j+1, headerRow), h); err != nil {
			return err
		}
		width[j] = max(width[j], displayWidth(h)+1)
	}
	if err := f.SetCellStyle(sheet, cellName(1, headerRow), cellName(cols, headerRow), st.header); err != nil {
		return err
	}
	for i, r := range t.Rows {
		for j, c := range r {
			ref := cellName(j+1, firstRow+i)
			if c.Number == nil {
				if c.Text == "" {
					continue
				}
				if err := f.SetCellStr(sheet, ref, c.Text); err != nil {
					return err
				}
				width[j] = max(width[j], displayWidth(c.Text))
				continue
			}
			d, ok := textDecimals(c.Text)
			if !ok {
				d = fractionDecimals
			}
			if err := f.SetCellDefault(sheet, ref, numberLiteral(c.Number)); err != nil {
				return err
			}
			id, err := st.number(d)
			if err != nil {
				return err
			}
			if err := f.SetCellStyle(sheet, ref, ref, id); err != nil {
				return err
			}
			width[j] = max(width[j], shownWidth(c.Number, d))
		}
	}
	for j, wd := range width {
		col := colName(j + 1)
		if err := f.SetColWidth(sheet, col, col, float64(min(max(wd+2, 8), 60))); err != nil {
			return err
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: headerRow, TopLeftCell: cellName(1, firstRow), ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if len(t.Header) > 0 && len(t.Rows) > 0 {
		ref := cellName(1, headerRow) + ":" + cellName(len(t.Header), firstRow+len(t.Rows)-1)
		if err := f.AutoFilter(sheet, ref, nil); err != nil {
			return err
		}
	}
	return nil
}

func cellName(col, row int) string {
	s, _ := excelize.CoordinatesToCellName(col, row) // col, row >= 1
	return s
}

func colName(col int) string {
	s, _ := excelize.ColumnNumberToName(col)
	return s
}

// textDecimals returns the number of decimals of a plain decimal text
// ("-1234.50": 2); false when the text is not one (a fraction).
func textDecimals(s string) (int, bool) {
	s = strings.TrimPrefix(s, "-")
	intPart, frac, dot := strings.Cut(s, ".")
	if intPart == "" || !allDigits(intPart) || dot && (frac == "" || !allDigits(frac)) {
		return 0, false
	}
	return len(frac), true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// numberLiteral is the number as stored in the file: its exact decimal
// when it has one, else the decimal to 20 places (more than a double
// holds), without trailing zeros.
func numberLiteral(r *big.Rat) string {
	if d, ok := decimals(r); ok {
		return r.FloatString(d)
	}
	s := strings.TrimRight(r.FloatString(20), "0")
	return strings.TrimSuffix(s, ".")
}

// shownWidth is the width of a number shown with d decimals and thousands
// separators.
func shownWidth(r *big.Rat, d int) int {
	s := round(r, d).FloatString(d)
	intPart, _, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	n := len(s)
	if d > 0 {
		n += (len(intPart) - 1) / 3
	}
	return n
}

// displayWidth approximates the width of text in a spreadsheet's columns:
// 2 for an East Asian wide character, 1 for others.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x1100 && (r <= 0x115F || r >= 0x2E80 && r <= 0xA4CF || r >= 0xAC00 && r <= 0xD7A3 ||
			r >= 0xF900 && r <= 0xFAFF || r >= 0xFE30 && r <= 0xFE4F || r >= 0xFF00 && r <= 0xFF60 || r >= 0xFFE0 && r <= 0xFFE6 ||
			r >= 0x20000) {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// sheetNames makes the tables' names valid, unique sheet names.
func sheetNames(tables []Table) []string {
	out := make([]string, len(tables))
	seen := map[string]bool{}
	for i, t := range tables {
		base := strings.Map(func(r rune) rune {
			if strings.ContainsRune(":\\/?*[]", r) {
				return '-'
			}
			return r
		}, t.Name)
		base = strings.Trim(base, "'")
		if strings.TrimSpace(base) == "" {
			base = "Sheet" + strconv.Itoa(i+1)
		}
		name := truncate(base, 31)
		for k := 2; seen[strings.ToLower(name)]; k++ {
			suffix := "~" + strconv.Itoa(k)
			name = truncate(base, 31-len(suffix)) + suffix
		}
		seen[strings.ToLower(name)] = true
		out[i] = name
	}
	return out
}

// truncate cuts s to at most n UTF-16 code units (Excel's measure of a
// sheet name), on a character boundary.
func truncate(s string, n int) string {
	units := 0
	for i, r := range s {
		units += len(utf16.Encode([]rune{r}))
		if units > n {
			return strings.TrimRight(s[:i], "'")
		}
	}
	return s
}
