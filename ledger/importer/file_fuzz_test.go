package importer_test

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/alliance-ledger/alliance/ledger/importer"
)

// checkFile holds a parsed file to what the import relies on: every row
// is of a known kind, names its sheet and row, and carries a command that
// validates; every problem names its sheet and gives a reason.
func checkFile(t *testing.T, f *importer.File) {
	t.Helper()
	if len(f.Digest) != 64 {
		t.Fatalf("digest %q", f.Digest)
	}
	for _, r := range f.Rows {
		if !slices.Contains(importer.Kinds, r.Kind) || r.Sheet == "" || r.Row < 1 {
			t.Fatalf("row %+v", r)
		}
		c := r.Command
		if c.Payload == nil || c.Type != c.Payload.EventType() || c.OccurredAt.IsZero() {
			t.Fatalf("%s row %d gives command %+v", r.Sheet, r.Row, c)
		}
		if err := c.Payload.Validate(); err != nil {
			t.Fatalf("%s row %d was accepted, but its %s does not validate: %v", r.Sheet, r.Row, c.Type, err)
		}
	}
	for _, e := range f.Errors {
		if e.Reason == "" || e.Sheet == "" || e.Row < 0 {
			t.Fatalf("malformed RowError %#v", e)
		}
		_ = e.Error()
	}
}

// FuzzParseCSV parses the fuzzer's bytes as a whole CSV file of a kind
// (chosen by the first argument): whatever the encoding, separator,
// quoting and rows, it never panics, and what it returns holds to
// checkFile. Seeds: the CSV files in testdata/csv, the template's header
// of every kind, and testdata/fuzz/FuzzParseCSV.
func FuzzParseCSV(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "csv", "*"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		kind, ok := importer.KindOfFileName(name)
		if !ok {
			continue
		}
		f.Add(uint8(slices.Index(importer.Kinds, kind)), data)
	}
	for i, kind := range importer.Kinds {
		var names []string
		for _, c := range importer.Columns(kind) {
			names = append(names, c.ZH)
		}
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.Write(names)
		w.Flush()
		f.Add(uint8(i), b.Bytes())
	}
	f.Add(uint8(3), []byte("\xff\xfem\x00e\x00m\x00b\x00e\x00r\x00\n\x00"))
	f.Add(uint8(3), []byte("member\tkind\tvalue\tdate\nM01\tcash\t\"1,2\"\"3\"\t2025-01-01\n"))
	f.Fuzz(func(t *testing.T, kindIndex uint8, data []byte) {
		kind := importer.Kinds[int(kindIndex)%len(importer.Kinds)]
		file, err := importer.ParseCSV(bytes.NewReader(data), kind+".csv", kind, importer.Options{})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "importer: ") {
				t.Fatalf("error %q does not say where it comes from", err)
			}
			return
		}
		checkFile(t, file)
	})
}

// FuzzParseXLSX parses the fuzzer's bytes as a workbook. Most mutations
// of a zip break its checksums, so this mostly exercises the refusal of
// damaged files; FuzzParseXLSXCells fuzzes what the cells hold. Seeds:
// the workbooks in testdata and the template.
func FuzzParseXLSX(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.xlsx"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	var tmpl bytes.Buffer
	if err := importer.Template(&tmpl); err != nil {
		f.Fatal(err)
	}
	f.Add(tmpl.Bytes())
	f.Add([]byte("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := importer.ParseXLSX(bytes.NewReader(data), importer.Options{})
		if err != nil {
			return
		}
		checkFile(t, file)
	})
}

// FuzzParseXLSXCells writes a workbook with one sheet of a kind (the first
// argument) whose rows are the lines of the second, cells separated by
// '|'; a cell that looks like a number is written as a number, so dates
// become serial numbers and amounts doubles, as Excel stores them. The
// parse never panics and holds to checkFile.
func FuzzParseXLSXCells(f *testing.F) {
	f.Add(uint8(0), "成员编号|单位名称|单位类型|联盟职务|入盟日期\nM01|甲公司|企业|理事长|45717")
	f.Add(uint8(3), "成员编号|投入类型|数量|计量单位|单价(万元)|投入日期\nM02|人员|2.5|人月|3.2|45717.6\nM03|现金|||1e300|-1")
	f.Add(uint8(2), "项目编号|项目名称|牵头单位|参与单位及预算(万元)|开始日期\nP01|项目|M01|M01:500；M02:120|2025.3.1")
	f.Add(uint8(4), "成果编号|成果类型|名称|权利人及份额(%)|申请日期\nA01|发明专利|名称|M01:60；M02:40|45717")
	f.Add(uint8(6), "project|category|amount|date\nP01|差旅费|1234.5600000000002|2958466")
	f.Fuzz(func(t *testing.T, kindIndex uint8, text string) {
		if len(text) > 4096 {
			return
		}
		kind := importer.Kinds[int(kindIndex)%len(importer.Kinds)]
		x := excelize.NewFile()
		defer x.Close()
		sheet := kind
		if err := x.SetSheetName("Sheet1", sheet); err != nil {
			t.Skip(err)
		}
		for i, line := range strings.Split(text, "\n") {
			if i >= 50 {
				break
			}
			for j, cell := range strings.Split(line, "|") {
				if j >= 30 {
					break
				}
				ref, err := excelize.CoordinatesToCellName(j+1, i+1)
				if err != nil {
					t.Fatal(err)
				}
				var v any = cell
				if n, ok := number(cell); ok {
					v = n
				}
				if err := x.SetCellValue(sheet, ref, v); err != nil {
					return // a value excelize will not write (too long, ...)
				}
			}
		}
		var buf bytes.Buffer
		if err := x.Write(&buf); err != nil {
			return
		}
		file, err := importer.ParseXLSX(&buf, importer.Options{})
		if err != nil {
			t.Fatalf("a workbook excelize wrote does not parse: %v", err)
		}
		checkFile(t, file)
	})
}

// number parses a cell that is a plain decimal number.
func number(s string) (float64, bool) {
	if s == "" || strings.ContainsAny(s, "xXpP_iInN") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}
