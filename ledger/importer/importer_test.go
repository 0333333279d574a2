package importer_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/importer"
)

var opts = importer.Options{Currency: "CNY", Location: shanghai}

func describe(kind string, c ledger.Command) string {
	p, _ := json.Marshal(c.Payload)
	return fmt.Sprintf("%s %s at %s %s", kind, c.Type, c.OccurredAt.Format("2006-01-02T15:04:05Z07:00"), p)
}

// checkSample compares parsed rows with the sample alliance's commands,
// and their positions with want ("sheet:row").
func checkSample(t *testing.T, f *importer.File, want []string) {
	t.Helper()
	for _, e := range f.Errors {
		t.Errorf("unexpected error: %v", e)
	}
	exp := sampleCommands()
	var got, wantCmds, pos []string
	for _, r := range f.Rows {
		got = append(got, describe(r.Kind, r.Command))
		pos = append(pos, fmt.Sprintf("%s:%d", r.Sheet, r.Row))
		if r.Command.Type != r.Command.Payload.EventType() {
			t.Errorf("row %s:%d: type %s for a %T", r.Sheet, r.Row, r.Command.Type, r.Command.Payload)
		}
	}
	for _, c := range exp {
		wantCmds = append(wantCmds, describe(c.kind, c.cmd))
	}
	if !slices.Equal(got, wantCmds) {
		for i := range max(len(got), len(wantCmds)) {
			g, w := "", ""
			if i < len(got) {
				g = got[i]
			}
			if i < len(wantCmds) {
				w = wantCmds[i]
			}
			if g != w {
				t.Errorf("row %d:\n got %s\nwant %s", i, g, w)
			}
		}
	}
	if !slices.Equal(pos, want) {
		t.Errorf("positions:\n got %q\nwant %q", pos, want)
	}
}

func parseXLSX(t *testing.T, name string) *importer.File {
	t.Helper()
	data := testdata(t, name)
	f, err := importer.ParseXLSX(bytes.NewReader(data), opts)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if f.Digest != hex.EncodeToString(sum[:]) {
		t.Errorf("digest %s is not the SHA-256 of the file", f.Digest)
	}
	return f
}

// The Chinese workbook: merged title rows, a two-row header with merged
// cells, a project merged down three rows, 万元 in headers and cells,
// text and Excel dates, a totals row, formatted empty rows at the end.
func TestTestdataWorkbookZH(t *testing.T) {
	f := parseXLSX(t, "alliance-zh.xlsx")
	checkSample(t, f, []string{
		"成员单位:3", "成员单位:4", "成员单位:5", "成员单位:6",
		"协议条款:2",
		"项目:2", "项目:3",
		"投入:4", "投入:5", "投入:6", "投入:7", "投入:8",
		"知识产权:2", "知识产权:3", "知识产权:4",
		"经费:2", "经费:3", "经费:4",
		"成本:2", "成本:3", "成本:4",
	})
}

// The English workbook: English names and values, the agreement as one
// row, amounts with separators and ¥, a column in 10k CNY.
func TestTestdataWorkbookEN(t *testing.T) {
	f := parseXLSX(t, "alliance-en.xlsx")
	checkSample(t, f, []string{
		"Members:2", "Members:3", "Members:4", "Members:5",
		"Agreement:2",
		"Projects:2", "Projects:3",
		"Contributions:2", "Contributions:3", "Contributions:4", "Contributions:5", "Contributions:6",
		"IP:2", "IP:3", "IP:4",
		"Funding:2", "Funding:3", "Funding:4",
		"Costs:2", "Costs:3", "Costs:4",
	})
}

// One CSV file per kind, each told by its name; concatenated in Kinds
// order they hold the sample alliance.
func TestTestdataCSV(t *testing.T) {
	testdata(t, "csv/ip.csv") // generates with -update
	entries, err := os.ReadDir(filepath.Join("testdata", "csv"))
	if err != nil {
		t.Fatal(err)
	}
	byKind := map[string]*importer.File{}
	for _, e := range entries {
		kind, ok := importer.KindOfFileName(e.Name())
		if !ok {
			t.Fatalf("%s: no kind", e.Name())
		}
		if byKind[kind] != nil {
			t.Fatalf("two files of kind %s", kind)
		}
		data := testdata(t, "csv/"+e.Name())
		f, err := importer.ParseCSV(bytes.NewReader(data), filepath.Join("testdata", "csv", e.Name()), kind, opts)
		if err != nil {
			t.Fatal(err)
		}
		byKind[kind] = f
	}
	all := &importer.File{}
	for _, kind := range importer.Kinds {
		f := byKind[kind]
		if f == nil {
			t.Fatalf("no file of kind %s", kind)
		}
		all.Rows = append(all.Rows, f.Rows...)
		all.Errors = append(all.Errors, f.Errors...)
	}
	checkSample(t, all, []string{
		"members-2024.csv:2", "members-2024.csv:3", "members-2024.csv:4", "members-2024.csv:5",
		"协议条款.csv:2",
		"projects.tsv:2", "projects.tsv:3",
		"投入.csv:2", "投入.csv:3", "投入.csv:4", "投入.csv:6", "投入.csv:7",
		"ip.csv:2", "ip.csv:3", "ip.csv:4",
		"经费.csv:2", "经费.csv:3", "经费.csv:4",
		"costs.csv:2", "costs.csv:3", "costs.csv:4",
	})
}

// A workbook with problems in several sheets reports every one, naming
// sheet, row, column as written, and reason; the rows without problems
// still parse.
func TestTestdataErrors(t *testing.T) {
	f := parseXLSX(t, "errors.xlsx")
	want := []importer.RowError{
		{"Sheet2", 0, "", "unknown sheet: name each sheet after what it holds: members (成员单位), agreement (协议条款), projects (项目), contributions (投入), ip (知识产权), funding (经费), costs (成本)"},
		{"成员单位", 3, "成员编号", "\"M 02\" is not an id: use 1-64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit"},
		{"成员单位", 3, "单位名称", "is required"},
		{"成员单位", 3, "单位类型", "\"公司企业\" is not a known member kind: enterprise (企业), university (高校), research-institute (科研院所), other (其他)"},
		{"成员单位", 3, "入盟日期", "\"2024-02-30\" is not a calendar date"},
		{"成员单位", 4, "统一社会信用代码", "\"12345\" is not an 18-character unified social credit code"},
		{"协议条款", 1, "", "required term 风险分担方式 (risk rule) is missing"},
		{"协议条款", 1, "", "required term 知识产权归属 (IP ownership) is missing"},
		{"协议条款", 1, "", "required term 签署成员 (signatories) is missing"},
		{"协议条款", 3, "生效日期", "\"2024-13-01\" is not a calendar date"},
		{"协议条款", 4, "利益分配方式", "\"平均分配\" is not a known distribution method: proportional (按比例), shapley (Shapley值), risk-shapley (风险修正Shapley), multifactor-shapley (多因素修正Shapley), nash (纳什谈判)"},
		{"协议条款", 5, "违约责任", "unknown agreement term; the terms are 协议名称 (title), 生效日期 (effective date), 利益分配方式 (distribution method), 可选分配方式 (allowed methods), 风险分担方式 (risk rule), 知识产权归属 (IP ownership), 签署成员 (signatories), 人月费率 (person-month rates), 企业人月费率 (person-month rate enterprise), 高校人月费率 (person-month rate university), 科研院所人月费率 (person-month rate research-institute), 其他人月费率 (person-month rate other), 投入类型权重 (kind weights), 风险系数 (risk coefficients), 修正因素权重 (factor weights), 协议文本SHA256 (document sha256), 协议文本链接 (document uri)"},
		{"协议", 0, "", "a workbook holds one agreement; \"协议条款\" is already the agreement sheet"},
		{"项目", 2, "参与单位及预算", "M01: \"五百万\" is not an amount (write 1234567.89, 1,234,567.89 or 123.5万)"},
		{"项目", 3, "牵头单位", "the lead member \"M09\" must be one of the participants"},
		{"投入", 3, "投入类型", "\"黄金\" is not a known contribution kind: cash (现金), equipment (设备), personnel (人员), technology (技术), data (数据), facility (设施)"},
		{"投入", 4, "金额", "\"12.345\" has more decimal places than CNY allows (2)"},
		{"投入", 4, "投入日期", "is required"},
		{"投入", 5, "金额", "is required (or give a quantity, unit and unit value)"},
		{"投入", 7, "金额", "the cell is merged (D6:D7): an amount is not copied to every row; unmerge it and give each row its own"},
		{"知识产权", 2, "成果类型", "\"专利\" is not a known IP type: patent-invention (发明专利), patent-utility-model (实用新型), patent-design (外观设计), software-copyright (软件著作权), standard-national (国家标准), standard-industry (行业标准), standard-group (团体标准), paper (论文), new-product (新产品), new-process (新工艺)"},
		{"知识产权", 3, "权利人及份额", "shares must sum to exactly 1 (100%), they sum to 0.9"},
		{"知识产权", 4, "权利人及份额", "give every owner a share, or none (equal shares)"},
		{"知识产权", 5, "权利人及份额", "M01: share \"150%\" is more than 100%"},
		{"知识产权", 5, "申请日期", "2099-01-01 is in the future"},
		{"经费", 1, "银行账号", "unknown column for funding; the columns are 经费来源 (source), 付款方 (payer), 成员编号 (member), 金额 (amount), 项目编号 (project), 文号 (reference), 到账日期 (date received), 凭证SHA256 (evidence sha256), 凭证链接 (evidence uri)"},
		{"经费", 2, "", "member-dues must name the paying member"},
		{"经费", 3, "金额", "\"-5\" is negative; amounts are positive"},
		{"成本", 1, "", "required column 费用类别 (category) is missing"},
		{"成本", 3, "金额", "\"abc\" is not an amount (write 1234567.89, 1,234,567.89 or 123.5万)"},
	}
	if !slices.Equal(f.Errors, want) {
		for i := range max(len(f.Errors), len(want)) {
			var g, w importer.RowError
			if i < len(f.Errors) {
				g = f.Errors[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Errorf("error %d:\n got %#v\nwant %#v", i, g, w)
			}
		}
	}
	var rows []string
	for _, r := range f.Rows {
		rows = append(rows, fmt.Sprintf("%s:%d", r.Sheet, r.Row))
	}
	if want := []string{"成员单位:2", "投入:6"}; !slices.Equal(rows, want) {
		t.Errorf("rows %q, want %q", rows, want)
	}
}
