package importer

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
)

func TestParseMoney(t *testing.T) {
	wan := moneyUnit{scale: 4, set: true}
	for _, tc := range []struct {
		in     string
		header moneyUnit
		xlsx   bool
		want   ledger.Money
		err    string
	}{
		{in: "1,234,567.89", want: ledger.Money{Amount: 123456789, Currency: "CNY"}},
		{in: "1234567", want: ledger.Money{Amount: 123456700, Currency: "CNY"}},
		{in: "1 234 567", want: ledger.Money{Amount: 123456700, Currency: "CNY"}},
		{in: "1\u00a0234\u00a0567.5", want: ledger.Money{Amount: 123456750, Currency: "CNY"}},
		{in: "¥1,234.50", want: ledger.Money{Amount: 123450, Currency: "CNY"}},
		{in: "￥1,234.5", want: ledger.Money{Amount: 123450, Currency: "CNY"}},
		{in: "12.5万", want: ledger.Money{Amount: 12500000, Currency: "CNY"}},
		{in: "12.5 万元", want: ledger.Money{Amount: 12500000, Currency: "CNY"}},
		{in: "１２.５万", want: ledger.Money{Amount: 12500000, Currency: "CNY"}},
		{in: "3亿", want: ledger.Money{Amount: 30000000000, Currency: "CNY"}},
		{in: "0.5千元", want: ledger.Money{Amount: 50000, Currency: "CNY"}},
		{in: "12.5", header: wan, want: ledger.Money{Amount: 12500000, Currency: "CNY"}},
		{in: "123.456789", header: wan, want: ledger.Money{Amount: 123456789, Currency: "CNY"}},
		{in: "500元", header: wan, want: ledger.Money{Amount: 50000, Currency: "CNY"}}, // the cell's unit wins
		{in: "1,500.00 USD", want: ledger.Money{Amount: 150000, Currency: "USD"}},
		{in: "USD 1,500", want: ledger.Money{Amount: 150000, Currency: "USD"}},
		{in: "2万美元", want: ledger.Money{Amount: 2000000, Currency: "USD"}},
		{in: "1500", header: moneyUnit{currency: "JPY", set: true}, want: ledger.Money{Amount: 1500, Currency: "JPY"}},
		{in: "0", want: ledger.Money{Amount: 0, Currency: "CNY"}},
		{in: "1234.5600000000002", xlsx: true, want: ledger.Money{Amount: 123456, Currency: "CNY"}},
		{in: "1.5E+3", xlsx: true, want: ledger.Money{Amount: 150000, Currency: "CNY"}},
		{in: "12.345", err: `"12.345" has more decimal places than CNY allows (2)`},
		{in: "12.3456789", header: wan, err: "× 10^4 has more decimal places"},
		{in: "1234.5600000000002", err: "more decimal places"},
		{in: "1.5E+3", err: "not an amount"},
		{in: "12,34", err: "not an amount"},
		{in: "1,2345", err: "not an amount"},
		{in: "1.234,56", err: "not an amount"},
		{in: "-5", err: "negative"},
		{in: "五百万", err: "not an amount"},
		{in: "12.5 bananas", err: "unknown unit"},
		{in: "100 USD", header: moneyUnit{currency: "CNY", set: true}, err: "in USD but the column is in CNY"},
		{in: "99999999999999999999", err: "too large"},
		{in: "12万万", err: "unknown unit"},
	} {
		got, err := parseMoney(tc.in, moneyCtx{header: tc.header, base: "CNY", xlsx: tc.xlsx})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseMoney(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseMoney(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseUnit(t *testing.T) {
	for in, want := range map[string]moneyUnit{
		"万元": {scale: 4, set: true}, "元": {set: true}, "10k CNY": {scale: 4, currency: "CNY", set: true},
		"人民币万元": {scale: 4, currency: "CNY", set: true}, "USD": {currency: "USD", set: true},
		"千元": {scale: 3, set: true}, "万美元": {scale: 4, currency: "USD", set: true}, "": {},
		"10,000 yuan": {scale: 4, set: true}, "¥": {currency: "CNY", set: true},
	} {
		got, ok := parseUnit(in)
		if !ok || got != want {
			t.Errorf("parseUnit(%q) = %+v, %v; want %+v", in, got, ok, want)
		}
	}
	for _, in := range []string{"kg", "万万", "USD CNY", "个"} {
		if got, ok := parseUnit(in); ok {
			t.Errorf("parseUnit(%q) = %+v, want an error", in, got)
		}
	}
}

func TestParseDate(t *testing.T) {
	sh := shanghai
	nine := time.Date(2025, 3, 1, 9, 0, 0, 0, sh)
	for _, tc := range []struct {
		in   string
		xlsx bool
		d04  bool
		want time.Time
		err  string
	}{
		{in: "2025-03-01", want: nine},
		{in: "2025/3/1", want: nine},
		{in: "2025.3.1", want: nine},
		{in: "2025年3月1日", want: nine},
		{in: "2025年03月01号", want: nine},
		{in: "20250301", want: nine},
		{in: "2025-3-1", want: nine},
		{in: " 2025-03-01 ", want: nine},
		{in: "２０２５－０３－０１", want: nine},
		{in: "2025-03-01 14:30", want: time.Date(2025, 3, 1, 14, 30, 0, 0, sh)},
		{in: "2025/3/1 8:05:09", want: time.Date(2025, 3, 1, 8, 5, 9, 0, sh)},
		{in: "2025-03-01T06:00:00Z", want: time.Date(2025, 3, 1, 14, 0, 0, 0, sh)},
		{in: "2025-03-01T14:00:00+08:00", want: time.Date(2025, 3, 1, 14, 0, 0, 0, sh)},
		{in: "45717", xlsx: true, want: nine},
		{in: "45717.5", xlsx: true, want: time.Date(2025, 3, 1, 12, 0, 0, 0, sh)},
		{in: "45717.604166666664", xlsx: true, want: time.Date(2025, 3, 1, 14, 30, 0, 0, sh)},
		{in: "44255", xlsx: true, d04: true, want: nine}, // the 1904 date system
		{in: "20250301", xlsx: true, want: nine},
		{in: "45717", err: "not a date"},
		{in: "2025-02-29", err: "not a calendar date"},
		{in: "2025-13-01", err: "not a calendar date"},
		{in: "2025-03", err: "not a date"},
		{in: "03/01/2025", err: "not a date"},
		{in: "2025-03-01 25:00", err: "not a date"},
		{in: "2025/03-01", err: "not a date"},
		{in: "1979-12-31", err: "before 1980-01-01"},
		{in: "100", xlsx: true, err: "before 1980-01-01"},
		{in: "60", xlsx: true, err: "not a date"},
		{in: "yesterday", err: "not a date"},
	} {
		got, err := parseDate(tc.in, dateCtx{loc: sh, xlsx: tc.xlsx, date1904: tc.d04})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseDate(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) || got.Location() != sh {
			t.Errorf("parseDate(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseShare(t *testing.T) {
	for _, tc := range []struct {
		in      string
		percent bool
		want    string
		err     string
	}{
		{in: "60%", want: "0.6"}, {in: "0.6", want: "0.6"}, {in: "3/5", want: "0.6"}, {in: "１／３", want: "1/3"},
		{in: "60", percent: true, want: "0.6"}, {in: "33.3%", want: "0.333"}, {in: "100%", want: "1"},
		{in: "60", err: "more than 1 (write 60% or 0.6)"}, {in: "120%", err: "more than 100%"},
		{in: "0", err: "greater than 0"}, {in: "abc", err: "not a share"}, {in: "1/0", err: "not a share"},
	} {
		got, err := parseShare(tc.in, tc.percent, false)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseShare(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got.String() != tc.want {
			t.Errorf("parseShare(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}

func TestSplitList(t *testing.T) {
	for in, want := range map[string][]string{
		"M02:500万; M03:300万":           {"M02:500万", "M03:300万"},
		"M02:1,500,000, M03:300,000.5": {"M02:1,500,000", "M03:300,000.5"},
		"M01, M02,M03":                 {"M01", "M02", "M03"},
		"张三、李四，王五":                     {"张三", "李四", "王五"},
		"M01\nM02\r\nM03":              {"M01", "M02", "M03"},
		"M01；；M02":                     {"M01", "M02"},
		"":                             nil,
	} {
		if got := splitList(in); !reflect.DeepEqual(got, want) {
			t.Errorf("splitList(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResolveHeader(t *testing.T) {
	k := kinds["contributions"]
	for _, tc := range []struct {
		cell string
		key  string
		unit moneyUnit
		st   headerStatus
	}{
		{cell: "成员编号", key: "member", st: hKnown},
		{cell: "Member", key: "member", st: hKnown},
		{cell: "MEMBER_ID", key: "member", st: hKnown},
		{cell: "member id", key: "member", st: hKnown},
		{cell: "成员编号 member", key: "member", st: hKnown},
		{cell: "member 成员编号", key: "member", st: hKnown},
		{cell: "成员编号\nmember", key: "member", st: hKnown},
		{cell: "凭证SHA256 evidence sha256", key: "evidence_sha256", st: hKnown},
		{cell: "金额(万元)", key: "value", unit: moneyUnit{scale: 4, set: true}, st: hKnown},
		{cell: "金额（元）", key: "value", unit: moneyUnit{set: true}, st: hKnown},
		{cell: "amount (10k CNY)", key: "value", unit: moneyUnit{scale: 4, currency: "CNY", set: true}, st: hKnown},
		{cell: "金额（万元） value (10k CNY)", key: "value", unit: moneyUnit{scale: 4, currency: "CNY", set: true}, st: hKnown},
		{cell: "投入日期 (YYYY-MM-DD)", key: "date", st: hKnown},
		{cell: "金额(公斤)", key: "value", st: hBadUnit},
		{cell: "序号", st: hIgnored},
		{cell: "备注 remarks", st: hIgnored},
		{cell: "成员编号 project", st: hUnknown},
		{cell: "银行账号", st: hUnknown},
		{cell: "  ", st: hEmpty},
	} {
		idx, u, _, st := resolveHeader(k, tc.cell)
		if st != tc.st || st == hKnown && (k.cols[idx].Key != tc.key || u != tc.unit) {
			key := ""
			if idx >= 0 {
				key = k.cols[idx].Key
			}
			t.Errorf("resolveHeader(%q) = %s %+v %v; want %s %+v %v", tc.cell, key, u, st, tc.key, tc.unit, tc.st)
		}
	}
	a := kinds["agreement"]
	for cell, key := range map[string]string{
		"人月费率（企业）": "rate_enterprise", "企业人月费率": "rate_enterprise", "person-month rate (university)": "rate_university",
		"人月费率(科研院所)": "rate_research-institute", "人月费率": "person_month_rates", "企业人月费率(万元)": "rate_enterprise",
	} {
		idx, _, _, st := resolveHeader(a, cell)
		if st != hKnown || a.cols[idx].Key != key {
			t.Errorf("agreement resolveHeader(%q) = %d %v, want %s", cell, idx, st, key)
		}
	}
	o := kinds["ip"]
	if _, _, pct, st := resolveHeader(o, "权利人及份额(%)"); st != hKnown || !pct {
		t.Errorf("权利人及份额(%%): percent %v status %v", pct, st)
	}
}

func TestEnums(t *testing.T) {
	for _, tc := range []struct {
		e         *enumSpec
		in, value string
	}{
		{memberKinds, "企业", "enterprise"}, {memberKinds, "大学", "university"}, {memberKinds, "Research Institute", "research-institute"},
		{memberKinds, "研究院", "research-institute"}, {memberKinds, "科研院所 research-institute", "research-institute"},
		{memberRoles, "理事长", "chair"}, {memberRoles, "Vice Chair", "vice-chair"}, {memberRoles, "成员", "ordinary"},
		{contributionKinds, "现金", "cash"}, {contributionKinds, "设施", "facility"}, {contributionKinds, "设备 equipment", "equipment"},
		{ipTypes, "实用新型", "patent-utility-model"}, {ipTypes, "软件著作权", "software-copyright"}, {ipTypes, "团体标准", "standard-group"},
		{ipTypes, "新工艺", "new-process"}, {ipTypes, "PATENT_INVENTION", "patent-invention"},
		{fundingSources, "许可收入", "licensing-revenue"}, {fundingSources, "配套资金", "matching-funds"},
		{costCategories, "差旅费", "travel"}, {distributionMethods, "多因素修正Shapley值", "multifactor-shapley"},
		{distributionMethods, "Shapley值 shapley", "shapley"}, {distributionMethods, "风险修正Shapley risk-shapley", "risk-shapley"},
	} {
		if got, ok := tc.e.parse(tc.in); !ok || got != tc.value {
			t.Errorf("%s %q = %q, %v; want %q", tc.e.name, tc.in, got, ok, tc.value)
		}
	}
	for _, tc := range []struct {
		e  *enumSpec
		in string
	}{{memberKinds, "企业 university"}, {memberKinds, "公司企业"}, {distributionMethods, "风险修正"}, {ipTypes, "专利"}} {
		if got, ok := tc.e.parse(tc.in); ok {
			t.Errorf("%s %q = %q, want no value", tc.e.name, tc.in, got)
		}
	}
}

func TestKindOfFileName(t *testing.T) {
	for name, want := range map[string]string{
		"contributions.csv": "contributions", "投入.csv": "contributions", "members-2024.csv": "members",
		"data/2025年投入明细.csv": "contributions", "投入 contributions.csv": "contributions", "成员单位名录.CSV": "members",
		"Agreement.csv": "agreement", "协议条款.csv": "agreement", "知识产权(2024).csv": "ip", "成果.csv": "ip",
		"经费_2025.csv": "funding", "资金.csv": "funding", "费用.csv": "costs", "成本 costs.csv": "costs",
		`C:\data\projects.csv`: "projects", "项目.csv": "projects", "出资.csv": "contributions",
	} {
		if got, ok := KindOfFileName(name); !ok || got != want {
			t.Errorf("KindOfFileName(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	for _, name := range []string{"data.csv", "Sheet1.csv", "投入 members.csv", "2025.csv"} {
		if got, ok := KindOfFileName(name); ok {
			t.Errorf("KindOfFileName(%q) = %q, want none", name, got)
		}
	}
}

func TestRowErrorString(t *testing.T) {
	for _, tc := range []struct {
		e    RowError
		want string
	}{
		{RowError{Sheet: "投入", Row: 5, Column: "金额", Reason: "is required"}, `投入 row 5 column "金额": is required`},
		{RowError{Sheet: "投入", Row: 2, Reason: "bad row"}, `投入 row 2: bad row`},
		{RowError{Sheet: "Sheet1", Reason: "unknown sheet"}, `Sheet1: unknown sheet`},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

// Every kind documents its columns, each with its names and format, and
// no two columns of a kind share a name (checked when the package loads).
func TestColumns(t *testing.T) {
	for _, kind := range Kinds {
		cols := Columns(kind)
		if len(cols) == 0 {
			t.Fatalf("Columns(%q) is empty", kind)
		}
		for _, c := range cols {
			if c.Key == "" || c.EN == "" || c.ZH == "" || c.Format == "" {
				t.Errorf("%s column %+v is not documented", kind, c)
			}
		}
	}
	if Columns("nope") != nil {
		t.Error("Columns of an unknown kind")
	}
}
