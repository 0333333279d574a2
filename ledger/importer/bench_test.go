package importer_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/alliance-ledger/alliance/ledger/importer"
)

const benchRows = 100_000

var benchHeader = []string{"成员编号 member", "项目编号 project", "投入类型 kind", "金额 value", "数量 quantity", "计量单位 unit", "单价 unit value", "说明 description", "投入日期 date"}

// benchRecord is contribution i: cash in yuan or 万元, personnel in
// person-months, equipment with a unit value; dates in several forms.
func benchRecord(i int, xlsx bool) []any {
	member := fmt.Sprintf("M%02d", i%13+1)
	project := fmt.Sprintf("P%d", i%5+1)
	d := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%700)
	var date any = d.Format("2006/1/2")
	if i%2 == 0 {
		date = d.Format("2006年1月2日")
	}
	if xlsx && i%3 == 0 {
		date = d // a date cell
	}
	desc := "第" + strconv.Itoa(i) + "笔投入"
	switch i % 3 {
	case 0:
		var v any = fmt.Sprintf("%d,%03d.%02d", 1+i%900, i%1000, i%100)
		if xlsx {
			v = float64(1000+i%90000) + 0.25
		}
		return []any{member, project, "现金", v, nil, nil, nil, desc, date}
	case 1:
		return []any{member, project, "personnel", nil, fmt.Sprintf("%d.5", 1+i%12), "人月", "3.2万", desc, date}
	default:
		return []any{member, project, "设备 equipment", fmt.Sprintf("%d.5万", 1+i%400), nil, nil, nil, desc, date}
	}
}

var benchData struct {
	csvOnce, xlsxOnce sync.Once
	csv, xlsx         []byte
	err               error
}

func benchCSV() []byte {
	benchData.csvOnce.Do(func() {
		var cb bytes.Buffer
		w := csv.NewWriter(&cb)
		_ = w.Write(benchHeader)
		rec := make([]string, len(benchHeader))
		for i := range benchRows {
			for j, v := range benchRecord(i, false) {
				rec[j] = ""
				if v != nil {
					rec[j] = fmt.Sprint(v)
				}
			}
			_ = w.Write(rec)
		}
		w.Flush()
		benchData.csv = cb.Bytes()
	})
	return benchData.csv
}

func benchXLSX(b *testing.B) []byte {
	benchData.xlsxOnce.Do(func() {

		x := excelize.NewFile()
		defer x.Close()
		const sheet = "投入 contributions"
		if err := x.SetSheetName("Sheet1", sheet); err != nil {
			benchData.err = err
			return
		}
		sw, err := x.NewStreamWriter(sheet)
		if err != nil {
			benchData.err = err
			return
		}
		hdr := make([]any, len(benchHeader))
		for j, h := range benchHeader {
			hdr[j] = h
		}
		if err := sw.SetRow("A1", hdr); err != nil {
			benchData.err = err
			return
		}
		for i := range benchRows {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			if err := sw.SetRow(cell, benchRecord(i, true)); err != nil {
				benchData.err = err
				return
			}
		}
		if err := sw.Flush(); err != nil {
			benchData.err = err
			return
		}
		var xb bytes.Buffer
		if err := x.Write(&xb); err != nil {
			benchData.err = err
			return
		}
		benchData.xlsx = xb.Bytes()
	})
	if benchData.err != nil {
		b.Fatal(benchData.err)
	}
	return benchData.xlsx
}

func checkBench(b *testing.B, f *importer.File) {
	if len(f.Errors) > 0 {
		b.Fatalf("%d errors, first: %v", len(f.Errors), f.Errors[0])
	}
	if len(f.Rows) != benchRows {
		b.Fatalf("%d rows, want %d", len(f.Rows), benchRows)
	}
}

func BenchmarkParseCSV(b *testing.B) {
	data := benchCSV()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f, err := importer.ParseCSV(bytes.NewReader(data), "contributions.csv", "contributions", importer.Options{})
		if err != nil {
			b.Fatal(err)
		}
		checkBench(b, f)
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkParseXLSX reads two workbooks of the same rows: one laid out as
// Excel and WPS save workbooks (text in the shared string table), one as
// excelize's StreamWriter writes them (inline strings, slower to decode).
func BenchmarkParseXLSX(b *testing.B) {
	b.Run("shared-strings", func(b *testing.B) { benchParseXLSX(b, benchXLSXShared(b)) })
	b.Run("inline-strings", func(b *testing.B) { benchParseXLSX(b, benchXLSX(b)) })
}

func benchParseXLSX(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f, err := importer.ParseXLSX(bytes.NewReader(data), importer.Options{})
		if err != nil {
			b.Fatal(err)
		}
		checkBench(b, f)
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

var benchShared struct {
	once sync.Once
	data []byte
	err  error
}

// benchXLSXShared writes the benchmark rows as Excel saves a workbook:
// strings in xl/sharedStrings.xml, numbers as numbers, dates as serial
// numbers in a date style.
func benchXLSXShared(b *testing.B) []byte {
	benchShared.once.Do(func() {
		var sheet bytes.Buffer
		sst := map[string]int{}
		var strs []string
		str := func(s string) int {
			i, ok := sst[s]
			if !ok {
				i = len(strs)
				sst[s] = i
				strs = append(strs, s)
			}
			return i
		}
		sheet.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetData>`)
		row := func(n int, vals []any) {
			fmt.Fprintf(&sheet, `<row r="%d">`, n)
			for j, v := range vals {
				ref, _ := excelize.CoordinatesToCellName(j+1, n)
				switch v := v.(type) {
				case nil:
				case string:
					fmt.Fprintf(&sheet, `<c r="%s" t="s"><v>%d</v></c>`, ref, str(v))
				case float64:
					fmt.Fprintf(&sheet, `<c r="%s"><v>%s</v></c>`, ref, strconv.FormatFloat(v, 'f', -1, 64))
				case time.Time:
					serial := int(v.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24)
					fmt.Fprintf(&sheet, `<c r="%s" s="1"><v>%d</v></c>`, ref, serial)
				default:
					panic(fmt.Sprintf("%T", v))
				}
			}
			sheet.WriteString(`</row>`)
		}
		hdr := make([]any, len(benchHeader))
		for j, h := range benchHeader {
			hdr[j] = h
		}
		row(1, hdr)
		for i := range benchRows {
			row(i+2, benchRecord(i, true))
		}
		sheet.WriteString(`</sheetData></worksheet>`)
		var sst_ bytes.Buffer
		fmt.Fprintf(&sst_, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
			`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, len(strs), len(strs))
		for _, s := range strs {
			sst_.WriteString("<si><t>")
			_ = xml.EscapeText(&sst_, []byte(s))
			sst_.WriteString("</t></si>")
		}
		sst_.WriteString("</sst>")
		parts := []struct{ name, body string }{
			{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`},
			{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
			{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="投入 contributions" sheetId="1" r:id="rId1"/></sheets></workbook>`},
			{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
			{"xl/styles.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>`},
			{"xl/sharedStrings.xml", sst_.String()},
			{"xl/worksheets/sheet1.xml", sheet.String()},
		}
		var out bytes.Buffer
		zw := zip.NewWriter(&out)
		for _, p := range parts {
			w, err := zw.Create(p.name)
			if err != nil {
				benchShared.err = err
				return
			}
			if _, err := io.WriteString(w, p.body); err != nil {
				benchShared.err = err
				return
			}
		}
		benchShared.err = zw.Close()
		benchShared.data = out.Bytes()
	})
	if benchShared.err != nil {
		b.Fatal(benchShared.err)
	}
	return benchShared.data
}
