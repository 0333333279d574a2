package importer

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

// templateRows is how many rows of each sheet carry the data validation.
const templateRows = 5000

// readmeSheet is the template's documentation sheet, which ParseXLSX skips.
const readmeSheet = "说明 README"

// sheetName is the name the template gives a kind's sheet: its Chinese
// alias and its kind, "成员单位 members".
func sheetName(kind string) string {
	if k := kinds[kind]; k != nil {
		return k.zh + " " + kind
	}
	return kind
}

// headerName is the header the template gives a column: "成员编号 member".
func headerName(c Column) string { return c.ZH + " " + c.EN }

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// templateExamples are the template's example rows, by kind and column
// key: text, numbers (written as numeric cells) and dates (date cells).
var templateExamples = map[string]map[string]any{
	"members": {
		"member": "M01", "name": "江苏动力电池创新中心有限公司", "name_en": "Jiangsu Power Battery Innovation Center Co., Ltd.",
		"kind": "企业 enterprise", "role": "理事长 chair", "credit_code": "91320100MA1N2K3L4P", "date": day(2025, 1, 10),
	},
	"agreement": {
		"title": "长三角动力电池产业技术创新战略联盟协议", "effective_date": day(2025, 1, 10),
		"distribution_method": "按比例 proportional", "allowed_methods": "shapley; nash",
		"risk_rule": "按投入 contribution", "ip_ownership": "按贡献 by-contribution", "signatories": "M01",
		"rate_enterprise": 30000, "rate_university": 20000, "rate_research-institute": 25000,
	},
	"projects": {
		"project": "P01", "name": "固态电解质中试线", "lead": "M01", "participants": "M01:500万",
		"start": day(2025, 3, 1), "end": day(2026, 12, 31),
	},
	"contributions": {
		"member": "M01", "project": "P01", "kind": "现金 cash", "value": 1500000,
		"description": "中试线首期经费", "date": day(2025, 3, 15),
	},
	"ip": {
		"asset": "A01", "type": "发明专利 patent-invention", "title": "一种固态电解质膜的制备方法",
		"number": "CN202510123456.7", "owners": "M01:100%", "inventors": "张三、李四", "project": "P01", "date": day(2025, 6, 1),
	},
	"funding": {
		"source": "政府资助 government-grant", "payer": "江苏省科学技术厅", "amount": 2000000, "project": "P01",
		"reference": "苏科计〔2025〕12号", "date": day(2025, 4, 1),
	},
	"costs": {
		"project": "P01", "category": "设备费 equipment", "amount": 350000, "borne_by": "M01",
		"description": "涂布机", "date": day(2025, 5, 10),
	},
}

// templateColumns are the columns the template shows: the agreement's
// person_month_rates list is documented but the template gives one term
// per member kind instead.
func templateColumns(kind string) []colSpec {
	var out []colSpec
	for _, c := range kinds[kind].cols {
		if c.Key != "person_month_rates" {
			out = append(out, c)
		}
	}
	return out
}

type templateStyles struct {
	header, date, text, money, title, wrap int
}

// Template writes an empty workbook: a README sheet documenting every
// column, then one sheet per kind with its headers (Chinese and English,
// "成员编号 member"), one filled example row, and data validation where
// XLSX allows it: drop-down lists of the enumerations, dates from
// 1980-01-01, non-negative decimals for amounts, id lengths, and an input
// message giving each column's format. The validations warn rather than
// refuse, since the importer reads more forms ("12.5万", "2025年3月1日")
// than Excel's checks know. ParseXLSX of the template gives exactly its
// example rows.
func Template(w io.Writer) error {
	x := excelize.NewFile()
	defer x.Close()
	st, err := newTemplateStyles(x)
	if err != nil {
		return err
	}
	if err := x.SetSheetName("Sheet1", readmeSheet); err != nil {
		return err
	}
	if err := writeReadme(x, st); err != nil {
		return err
	}
	for _, kind := range Kinds {
		name := sheetName(kind)
		if _, err := x.NewSheet(name); err != nil {
			return err
		}
		if kind == "agreement" {
			err = writeAgreementSheet(x, st, name)
		} else {
			err = writeKindSheet(x, st, name, kind)
		}
		if err != nil {
			return fmt.Errorf("template sheet %s: %w", name, err)
		}
	}
	if idx, err := x.GetSheetIndex(sheetName("members")); err == nil {
		x.SetActiveSheet(idx)
	}
	return x.Write(w)
}

func newTemplateStyles(x *excelize.File) (templateStyles, error) {
	var st templateStyles
	var err error
	date := "yyyy-mm-dd"
	if st.header, err = x.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"},
		Border:    []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}},
	}); err != nil {
		return st, err
	}
	if st.date, err = x.NewStyle(&excelize.Style{CustomNumFmt: &date}); err != nil {
		return st, err
	}
	if st.text, err = x.NewStyle(&excelize.Style{NumFmt: 49}); err != nil {
		return st, err
	}
	if st.money, err = x.NewStyle(&excelize.Style{NumFmt: 4}); err != nil { // #,##0.00
		return st, err
	}
	if st.title, err = x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}); err != nil {
		return st, err
	}
	st.wrap, err = x.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	return st, err
}

func colName(i int) string {
	n, _ := excelize.ColumnNumberToName(i + 1)
	return n
}

func cellName(col, row int) string {
	c, _ := excelize.CoordinatesToCellName(col+1, row)
	return c
}

func writeKindSheet(x *excelize.File, st templateStyles, sheet, kind string) error {
	cols := templateColumns(kind)
	ex := templateExamples[kind]
	for i, c := range cols {
		cn := colName(i)
		width := 16.0
		switch c.typ {
		case tText, tBudgets, tShares, tTextList:
			width = 28
		}
		if err := x.SetColWidth(sheet, cn, cn, width); err != nil {
			return err
		}
		if s := cellStyle(st, c); s != 0 {
			if err := x.SetColStyle(sheet, cn, s); err != nil {
				return err
			}
		}
		if err := x.SetCellValue(sheet, cellName(i, 1), headerName(c.Column)); err != nil {
			return err
		}
		if v, ok := ex[c.Key]; ok {
			if err := x.SetCellValue(sheet, cellName(i, 2), v); err != nil {
				return err
			}
			if s := cellStyle(st, c); s != 0 {
				if err := x.SetCellStyle(sheet, cellName(i, 2), cellName(i, 2), s); err != nil {
					return err
				}
			}
		}
		if err := addValidation(x, sheet, fmt.Sprintf("%s2:%s%d", cn, cn, templateRows), c); err != nil {
			return err
		}
	}
	if err := x.SetCellStyle(sheet, "A1", cellName(len(cols)-1, 1), st.header); err != nil {
		return err
	}
	if err := x.SetRowHeight(sheet, 1, 30); err != nil {
		return err
	}
	return x.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

func cellStyle(st templateStyles, c colSpec) int {
	switch c.typ {
	case tDate:
		return st.date
	case tMoney:
		return st.money
	case tID, tIDList, tShares, tBudgets, tSHA256:
		return st.text
	}
	return 0
}

func writeAgreementSheet(x *excelize.File, st templateStyles, sheet string) error {
	if err := x.SetSheetRow(sheet, "A1", &[]any{"条款 key", "值 value", "说明 note"}); err != nil {
		return err
	}
	if err := x.SetCellStyle(sheet, "A1", "C1", st.header); err != nil {
		return err
	}
	for _, w := range []struct {
		col string
		w   float64
	}{{"A", 30}, {"B", 44}, {"C", 80}} {
		if err := x.SetColWidth(sheet, w.col, w.col, w.w); err != nil {
			return err
		}
	}
	ex := templateExamples["agreement"]
	for i, c := range templateColumns("agreement") {
		row := i + 2
		req := ""
		if c.Required {
			req = "必填 required; "
		}
		if err := x.SetSheetRow(sheet, fmt.Sprintf("A%d", row), &[]any{headerName(c.Column), nil, req + c.Format}); err != nil {
			return err
		}
		b := fmt.Sprintf("B%d", row)
		if v, ok := ex[c.Key]; ok {
			if err := x.SetCellValue(sheet, b, v); err != nil {
				return err
			}
		}
		if s := cellStyle(st, c); s != 0 {
			if err := x.SetCellStyle(sheet, b, b, s); err != nil {
				return err
			}
		}
		if err := addValidation(x, sheet, b, c); err != nil {
			return err
		}
	}
	return x.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

// truncUTF16 shortens s to n UTF-16 code units, Excel's measure.
func truncUTF16(s string, n int) string {
	if len(s) <= n {
		return s
	}
	units := 0
	for i, r := range s {
		units += len(utf16.Encode([]rune{r}))
		if units > n {
			return s[:i]
		}
	}
	return s
}

func addValidation(x *excelize.File, sheet, sqref string, c colSpec) error {
	dv := excelize.NewDataValidation(true)
	dv.SetSqref(sqref)
	title := truncUTF16(headerName(c.Column), 32)
	prompt := c.Format
	if c.Required {
		prompt = "必填 required. " + prompt
	}
	dv.SetInput(title, truncUTF16(prompt, 255))
	warn := func(msg string) {
		dv.SetError(excelize.DataValidationErrorStyleWarning, title, truncUTF16(msg, 225))
	}
	switch c.typ {
	case tEnum:
		labels := make([]string, len(c.enum.values))
		for i, v := range c.enum.values {
			labels[i] = c.enum.label(v)
		}
		if err := dv.SetDropList(labels); err != nil {
			if err := dv.SetDropList(c.enum.values); err != nil {
				return err
			}
		}
		warn("one of the list, in Chinese or English: " + c.enum.describe())
	case tDate:
		if err := dv.SetRange(29221, 2958465, excelize.DataValidationTypeDate, excelize.DataValidationOperatorBetween); err != nil {
			return err
		}
		warn("a date from 1980-01-01: 2025-03-01, 2025/3/1, 2025年3月1日")
	case tMoney:
		if err := dv.SetRange(0, 1e15, excelize.DataValidationTypeDecimal, excelize.DataValidationOperatorBetween); err != nil {
			return err
		}
		warn("an amount: 1234567.89 (or 123.5万, read by the importer)")
	case tNumber:
		if err := dv.SetRange(0, 1e15, excelize.DataValidationTypeDecimal, excelize.DataValidationOperatorGreaterThan); err != nil {
			return err
		}
		warn("a positive number")
	case tID:
		if err := dv.SetRange(1, 64, excelize.DataValidationTypeTextLength, excelize.DataValidationOperatorBetween); err != nil {
			return err
		}
		warn("an id of 1-64 letters, digits, '_', '.', ':' or '-'")
	case tSHA256:
		if err := dv.SetRange(64, 64, excelize.DataValidationTypeTextLength, excelize.DataValidationOperatorEqual); err != nil {
			return err
		}
		warn("64 hexadecimal digits")
	}
	return x.AddDataValidation(sheet, dv)
}

func writeReadme(x *excelize.File, st templateStyles) error {
	s := readmeSheet
	lines := []string{
		"产业技术创新战略联盟台账导入模板 Alliance ledger import template",
		"",
		"每个工作表对应一类记录，按以下顺序导入 Each sheet holds one kind of record; an import appends them in this order: " + sheetNameList() + ".",
		"工作表名可用中文或英文 Sheets may be named in Chinese or English (aliases below); a sheet named otherwise is an error, except this README.",
		"列名可用中文、英文或两者 Columns may be named in Chinese, English or both (\"成员编号 member\"), in any order; case, spaces and '_' do not matter. 序号 / 备注 (no., remarks) columns are ignored.",
		"表头上方可有标题行（合并单元格），表头可为两行 A title row (merged) may precede the header; the header may be two rows high (merged group headers).",
		"日期 Dates: 2025-03-01, 2025/3/1, 2025.3.1, 2025年3月1日, 20250301 or Excel dates, in the alliance's time zone at 09:00 unless a time is given.",
		"金额 Amounts: 1234567.89, 1,234,567.89, ¥1,234.50, 12.5万, 12.5 万元; a unit in the header, 金额(万元) or amount (10k CNY), applies to the whole column. Exact: no more decimals than the currency allows.",
		"份额 Shares: 60%, 0.6 or 3/5. 列表 Lists: separate items with ';', '；', '、' or ','.",
		"第一行示例数据可删除或覆盖 The example row of each sheet may be overwritten. Empty rows and 合计 (totals) rows are skipped.",
		"",
	}
	row := 1
	for _, l := range lines {
		if err := x.SetCellValue(s, fmt.Sprintf("A%d", row), l); err != nil {
			return err
		}
		row++
	}
	if err := x.SetCellStyle(s, "A1", "A1", st.title); err != nil {
		return err
	}
	hdr := []any{"工作表 sheet", "列 column (中文)", "column (English)", "键 key", "必填 required", "格式 format"}
	if err := x.SetSheetRow(s, fmt.Sprintf("A%d", row), &hdr); err != nil {
		return err
	}
	if err := x.SetCellStyle(s, fmt.Sprintf("A%d", row), fmt.Sprintf("F%d", row), st.header); err != nil {
		return err
	}
	row++
	for _, kind := range Kinds {
		k := kinds[kind]
		sheet := sheetName(kind) + " — 也可命名为 also: " + strings.Join(k.aliases, ", ")
		if kind == "agreement" {
			sheet += " (条款/值 key/value: one term per row)"
		}
		for i, c := range Columns(kind) {
			name := ""
			if i == 0 {
				name = sheet
			}
			req := ""
			if c.Required {
				req = "是 yes"
			}
			if err := x.SetSheetRow(s, fmt.Sprintf("A%d", row), &[]any{name, c.ZH, c.EN, c.Key, req, c.Format}); err != nil {
				return err
			}
			row++
		}
	}
	for _, w := range []struct {
		col string
		w   float64
	}{{"A", 34}, {"B", 20}, {"C", 24}, {"D", 22}, {"E", 12}, {"F", 100}} {
		if err := x.SetColWidth(s, w.col, w.col, w.w); err != nil {
			return err
		}
	}
	return x.SetColStyle(s, "F", st.wrap)
}
