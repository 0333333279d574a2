package importer_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/importer"
)

func payloadJSON(t *testing.T, p ledger.Payload) string {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseRecord(t *testing.T) {
	for _, tc := range []struct {
		name           string
		kind           string
		header, record []string
		opts           importer.Options
		want           ledger.Payload
		at             time.Time
		errs           []importer.RowError
	}{
		{
			name:   "person-months at the agreement's rate",
			kind:   "contributions",
			header: []string{"Member", "KIND", "quantity", "unit", "date"},
			record: []string{"M02", "人员", "2.5", "人月", "2025-03-01 14:30"},
			want:   &ledger.ContributionRecorded{Member: "M02", Kind: "personnel", Quantity: ratio("2.5"), Unit: "person-month"},
			at:     time.Date(2025, 3, 1, 14, 30, 0, 0, shanghai),
		},
		{
			name:   "columns in any order, extra 序号 and 备注 columns, short record",
			kind:   "costs",
			header: []string{"序号", "发生日期", "金额(万元)", "费用类别", "项目编号", "备注", "说明"},
			record: []string{"1", "2025/3/1", "1.5", "其他", "P01", "随便"},
			want:   &ledger.CostIncurred{Project: "P01", Category: "other", Amount: cny(15000, 0)},
			at:     at(2025, 3, 1),
		},
		{
			name:   "base currency",
			kind:   "funding",
			header: []string{"source", "payer", "amount", "date"},
			record: []string{"external investment", "Fund L.P.", "1,000,000.50", "2025-03-01"},
			opts:   importer.Options{Currency: "USD", Location: time.UTC},
			want:   &ledger.FundingReceived{Source: "external-investment", Payer: "Fund L.P.", Amount: ledger.Money{Amount: 100000050, Currency: "USD"}},
			at:     time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC),
		},
		{
			name:   "cash is not a quantity (the ledger's own rule, on its column)",
			kind:   "contributions",
			header: []string{"member", "kind", "quantity", "unit", "unit value", "date"},
			record: []string{"M02", "cash", "5", "kg", "10", "2025-03-01"},
			errs:   []importer.RowError{{Column: "quantity", Reason: "cash contributions are recorded as a value, not a quantity"}},
		},
		{
			name:   "missing and twice-named columns",
			kind:   "members",
			header: []string{"member", "name", "成员编号", "kind", "role"},
			record: []string{"M01", "甲", "M01", "other", "council"},
			errs: []importer.RowError{
				{Column: "成员编号", Reason: `column member appears twice (also "member")`},
				{Reason: "required column 入盟日期 (date admitted) is missing"},
			},
		},
		{
			name:   "every problem of the row",
			kind:   "ip",
			header: []string{"asset", "type", "title", "owners", "date filed", "evidence sha256"},
			record: []string{"A 1", "patent", "", "M01:0.5; M02:0.6", "#N/A", "abc"},
			errs: []importer.RowError{
				{Column: "asset", Reason: `"A 1" is not an id: use 1-64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit`},
				{Column: "type", Reason: `"patent" is not a known IP type: patent-invention (发明专利), patent-utility-model (实用新型), patent-design (外观设计), software-copyright (软件著作权), standard-national (国家标准), standard-industry (行业标准), standard-group (团体标准), paper (论文), new-product (新产品), new-process (新工艺)`},
				{Column: "title", Reason: "is required"},
				{Column: "date filed", Reason: "the cell holds the Excel error #N/A"},
				{Column: "evidence sha256", Reason: `"abc" is not a SHA-256 digest (64 hexadecimal digits)`},
			},
		},
		{
			name:   "unknown kind",
			kind:   "loans",
			errs:   []importer.RowError{{Reason: `unknown kind "loans" (one of members, agreement, projects, contributions, ip, funding, costs)`}},
			header: []string{"a"}, record: []string{"b"},
		},
		{
			name:   "unknown currency",
			kind:   "costs",
			opts:   importer.Options{Currency: "XXX"},
			errs:   []importer.RowError{{Reason: `importer: currency "XXX" is not an accepted ISO 4217 currency`}},
			header: []string{"a"}, record: []string{"b"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			if o.Location == nil {
				o.Location = shanghai
			}
			cmd, errs := importer.ParseRecord(tc.kind, tc.header, tc.record, o)
			if !slices.Equal(errs, tc.errs) {
				t.Fatalf("errors:\n got %#v\nwant %#v", errs, tc.errs)
			}
			if tc.want == nil {
				if cmd.Payload != nil {
					t.Errorf("command %+v with errors", cmd)
				}
				return
			}
			if got, want := payloadJSON(t, cmd.Payload), payloadJSON(t, tc.want); got != want || !cmd.OccurredAt.Equal(tc.at) {
				t.Errorf("got %s at %v\nwant %s at %v", got, cmd.OccurredAt, want, tc.at)
			}
		})
	}
}

func parseCSV(t *testing.T, data []byte, name, kind string) *importer.File {
	t.Helper()
	f, err := importer.ParseCSV(bytes.NewReader(data), name, kind, opts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func positions(f *importer.File) []int {
	var out []int
	for _, r := range f.Rows {
		out = append(out, r.Row)
	}
	return out
}

func TestParseCSVSyntaxError(t *testing.T) {
	f := parseCSV(t, []byte("project,category,amount,date\nP01,travel,100,2025-03-01\nP01,travel,1\"00,2025-03-01\nP02,travel,200,2025-03-02\n"), "costs.csv", "costs")
	want := []importer.RowError{{Sheet: "costs.csv", Row: 3, Reason: `CSV syntax: bare " in non-quoted-field`}}
	if !slices.Equal(f.Errors, want) {
		t.Errorf("errors %#v, want %#v", f.Errors, want)
	}
	if got := positions(f); !slices.Equal(got, []int{2, 4}) {
		t.Errorf("rows %v, want [2 4]", got)
	}
}

// Excel's "Unicode text" is UTF-16 with a BOM, tab-separated.
func TestParseCSVUTF16(t *testing.T) {
	text := "项目编号\t费用类别\t金额\t发生日期\r\nP01\t差旅费\t100\t2025-03-01\r\n"
	u := utf16.Encode([]rune(text))
	b := []byte{0xFF, 0xFE}
	for _, c := range u {
		b = append(b, byte(c), byte(c>>8))
	}
	f := parseCSV(t, b, "成本.txt", "costs")
	if len(f.Errors) > 0 || len(f.Rows) != 1 {
		t.Fatalf("rows %v errors %v", f.Rows, f.Errors)
	}
	if c := f.Rows[0].Command.Payload.(*ledger.CostIncurred); c.Category != "travel" || c.Amount != cny(100, 0) {
		t.Errorf("cost %+v", c)
	}
}

// A value in a column without a header is not dropped silently: the row
// is an error.
func TestParseCSVHeaderlessValue(t *testing.T) {
	f := parseCSV(t, []byte("project,category,,amount,date\nP01,travel,,100,2025-03-01\nP01,travel,x,100,2025-03-01,,,,,,,,,,,,,,,,,,,,,,,y\n"), "costs.csv", "costs")
	want := []importer.RowError{
		{Sheet: "costs.csv", Row: 3, Reason: `a value in column C, which has no header: "x"`},
		{Sheet: "costs.csv", Row: 3, Reason: `a value in column AB, which has no header: "y"`},
	}
	if !slices.Equal(f.Errors, want) {
		t.Errorf("errors %#v", f.Errors)
	}
	if got := positions(f); !slices.Equal(got, []int{2}) {
		t.Errorf("rows %v, want [2]", got)
	}
}

func TestParseCSVNoHeader(t *testing.T) {
	f := parseCSV(t, []byte("P01,travel,100,2025-03-01\n"), "costs.csv", "costs")
	if len(f.Errors) != 1 || f.Errors[0].Row != 0 || !strings.HasPrefix(f.Errors[0].Reason, "no header row") {
		t.Errorf("errors %v", f.Errors)
	}
	f = parseCSV(t, []byte("\ufeffproject,category,amount,date\r\n,,,\r\n"), "costs.csv", "costs")
	if len(f.Errors) != 0 || len(f.Rows) != 0 {
		t.Errorf("a header alone: rows %v errors %v", f.Rows, f.Errors)
	}
	if _, err := importer.ParseCSV(strings.NewReader(""), "x.csv", "loans", opts); err == nil {
		t.Error("unknown kind accepted")
	}
}

func TestParseXLSXEdgeCases(t *testing.T) {
	if _, err := importer.ParseXLSX(strings.NewReader("not a workbook"), opts); err == nil {
		t.Error("ParseXLSX of text succeeded")
	}
	x := excelize.NewFile()
	defer x.Close()
	yes := true
	if err := x.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(x.SetSheetName("Sheet1", "成本 costs"))
	must(x.SetSheetRow("成本 costs", "A1", &[]any{"project", "category", "amount", "date"}))
	must(x.SetSheetRow("成本 costs", "A2", &[]any{"P01", "travel", 100, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}))
	_, err := x.NewSheet("经费")
	must(err) // empty: nothing to import, no error
	_, err = x.NewSheet("项目")
	must(err)
	must(x.SetCellValue("项目", "A1", "2025年项目清单")) // a title and no header
	var b bytes.Buffer
	must(x.Write(&b))
	f, err := importer.ParseXLSX(&b, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []importer.RowError{{Sheet: "项目", Reason: "no header row: none of the first 1 rows names two projects columns (项目编号 (project), 项目名称 (name), 牵头单位 (lead), 参与单位及预算 (participants), 开始日期 (start), 计划结束日期 (planned end))"}}
	if !slices.Equal(f.Errors, want) {
		t.Errorf("errors %#v", f.Errors)
	}
	if len(f.Rows) != 1 || !f.Rows[0].Command.OccurredAt.Equal(at(2025, 3, 1)) {
		t.Errorf("rows %+v: the 1904 date system", f.Rows)
	}
}

// Rows are parsed in parallel batches and read ahead: results and errors
// still come in file order, whatever the number of rows.
func TestManyRows(t *testing.T) {
	const n = 3000
	var csvText strings.Builder
	csvText.WriteString(strings.Join(benchHeader, ",") + "\n")
	x := excelize.NewFile()
	defer x.Close()
	sw, err := x.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	hdr := make([]any, len(benchHeader))
	for j, h := range benchHeader {
		hdr[j] = h
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		t.Fatal(err)
	}
	var wantErrs []int
	for i := range n {
		rec := benchRecord(i, false)
		if i%499 == 7 {
			rec[2] = "黄金" // not a contribution kind
			wantErrs = append(wantErrs, i+2)
		}
		cells := make([]string, len(rec))
		for j, v := range rec {
			if v != nil {
				cells[j] = `"` + strings.ReplaceAll(fmt.Sprint(v), `"`, `""`) + `"`
			}
		}
		csvText.WriteString(strings.Join(cells, ",") + "\n")
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := x.SetSheetName("Sheet1", "投入"); err != nil {
		t.Fatal(err)
	}
	var book bytes.Buffer
	if err := x.Write(&book); err != nil {
		t.Fatal(err)
	}
	fromCSV := parseCSV(t, []byte(csvText.String()), "投入.csv", "contributions")
	fromXLSX, err := importer.ParseXLSX(&book, opts)
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]*importer.File{"csv": fromCSV, "xlsx": fromXLSX} {
		var errRows []int
		for _, e := range f.Errors {
			errRows = append(errRows, e.Row)
		}
		if !slices.Equal(errRows, wantErrs) {
			t.Errorf("%s: errors in rows %v, want %v", name, errRows, wantErrs)
		}
		if len(f.Rows) != n-len(wantErrs) {
			t.Fatalf("%s: %d rows", name, len(f.Rows))
		}
		prev := 1
		for i, r := range f.Rows {
			if r.Row <= prev || slices.Contains(wantErrs, r.Row) {
				t.Fatalf("%s: row %d is file row %d after %d", name, i, r.Row, prev)
			}
			prev = r.Row
			if want := fmt.Sprintf("第%d笔投入", r.Row-2); r.Command.Payload.(*ledger.ContributionRecorded).Description != want {
				t.Fatalf("%s: row %d holds %+v", name, r.Row, r.Command.Payload)
			}
		}
	}
}

// Options.Rows is given every row the File holds, in its order, batch by
// batch as they are parsed: the agreement's key/value sheet and several
// sheets of a workbook, and a CSV file longer than one batch.
func TestRowsAsParsed(t *testing.T) {
	var csvText strings.Builder
	csvText.WriteString(strings.Join(benchHeader, ",") + "\n")
	for i := range 2500 {
		rec := benchRecord(i, false)
		if i%700 == 3 {
			rec[2] = "黄金" // a bad row: not given, not in File.Rows
		}
		cells := make([]string, len(rec))
		for j, v := range rec {
			if v != nil {
				cells[j] = `"` + strings.ReplaceAll(fmt.Sprint(v), `"`, `""`) + `"`
			}
		}
		csvText.WriteString(strings.Join(cells, ",") + "\n")
	}
	for _, c := range []struct {
		name  string
		parse func(importer.Options) (*importer.File, error)
	}{
		{"alliance-zh.xlsx", func(o importer.Options) (*importer.File, error) {
			return importer.ParseXLSX(bytes.NewReader(testdata(t, "alliance-zh.xlsx")), o)
		}},
		{"alliance-en.xlsx", func(o importer.Options) (*importer.File, error) {
			return importer.ParseXLSX(bytes.NewReader(testdata(t, "alliance-en.xlsx")), o)
		}},
		{"errors.xlsx", func(o importer.Options) (*importer.File, error) {
			return importer.ParseXLSX(bytes.NewReader(testdata(t, "errors.xlsx")), o)
		}},
		{"投入.csv", func(o importer.Options) (*importer.File, error) {
			return importer.ParseCSV(strings.NewReader(csvText.String()), "投入.csv", "contributions", o)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []importer.Row
			batches := 0
			o := opts
			var digest string
			o.Rows = func(f *importer.File, rows []importer.Row) {
				if f.Digest == "" {
					t.Error("rows given before the file's digest is set")
				}
				digest = f.Digest
				batches++
				got = append(got, rows...)
			}
			f, err := c.parse(o)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Rows) == 0 {
				t.Fatal("no rows")
			}
			if digest != f.Digest {
				t.Errorf("digest %q given, the file's is %q", digest, f.Digest)
			}
			if len(got) != len(f.Rows) {
				t.Fatalf("%d rows given in %d batches, the file holds %d", len(got), batches, len(f.Rows))
			}
			for i := range got {
				if got[i].Sheet != f.Rows[i].Sheet || got[i].Row != f.Rows[i].Row || describe(got[i].Kind, got[i].Command) != describe(f.Rows[i].Kind, f.Rows[i].Command) {
					t.Fatalf("row %d given as %s:%d, the file holds %s:%d", i, got[i].Sheet, got[i].Row, f.Rows[i].Sheet, f.Rows[i].Row)
				}
			}
			if c.name == "投入.csv" && batches < 2 {
				t.Errorf("%d rows given in %d batch", len(got), batches)
			}
		})
	}
}
