package importer_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/importer"
)

func template(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := importer.Template(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// ParseXLSX of the template gives exactly its example rows, and nothing else.
func TestTemplateRoundTrip(t *testing.T) {
	f, err := importer.ParseXLSX(bytes.NewReader(template(t)), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range f.Errors {
		t.Errorf("template: %v", e)
	}
	at := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 0, 0, 0, shanghai) }
	want := []kindCommand{
		{"members", ledger.NewCommand(at(2025, 1, 10), &ledger.MemberAdmitted{Member: "M01", Name: "江苏动力电池创新中心有限公司",
			NameEN: "Jiangsu Power Battery Innovation Center Co., Ltd.", Kind: "enterprise", Role: "chair", CreditCode: "91320100MA1N2K3L4P"})},
		{"agreement", ledger.NewCommand(at(2025, 1, 10), &ledger.AgreementSigned{Agreement: ledger.Agreement{
			Title: "长三角动力电池产业技术创新战略联盟协议", EffectiveDate: "2025-01-10",
			Distribution: ledger.Distribution{Method: "proportional", Allowed: []string{"shapley", "nash"}},
			Risk:         ledger.RiskRule{Rule: "contribution"},
			Valuation: ledger.Valuation{PersonMonthRates: map[string]ledger.Money{
				"enterprise": cny(30000, 0), "university": cny(20000, 0), "research-institute": cny(25000, 0)}},
			IPOwnership: "by-contribution", Signatories: []string{"M01"},
		}})},
		{"projects", ledger.NewCommand(at(2025, 3, 1), &ledger.ProjectOpened{Project: "P01", Name: "固态电解质中试线", Lead: "M01",
			Participants: []ledger.Participant{{Member: "M01", Budget: cny(5000000, 0)}}, Start: "2025-03-01", End: "2026-12-31"})},
		{"contributions", ledger.NewCommand(at(2025, 3, 15), &ledger.ContributionRecorded{Member: "M01", Project: "P01", Kind: "cash",
			Value: cny(1500000, 0), Description: "中试线首期经费"})},
		{"ip", ledger.NewCommand(at(2025, 6, 1), &ledger.IPFiled{Asset: "A01", Type: "patent-invention", Title: "一种固态电解质膜的制备方法",
			Number: "CN202510123456.7", Owners: []ledger.Share{{Member: "M01", Share: ledger.MustRatio("1")}}, Inventors: []string{"张三", "李四"}, Project: "P01"})},
		{"funding", ledger.NewCommand(at(2025, 4, 1), &ledger.FundingReceived{Source: "government-grant", Payer: "江苏省科学技术厅",
			Amount: cny(2000000, 0), Project: "P01", Reference: "苏科计〔2025〕12号"})},
		{"costs", ledger.NewCommand(at(2025, 5, 10), &ledger.CostIncurred{Project: "P01", Category: "equipment", Amount: cny(350000, 0),
			BorneBy: "M01", Description: "涂布机"})},
	}
	var got, exp []string
	for _, r := range f.Rows {
		got = append(got, describe(r.Kind, r.Command))
		if r.Row != 2 {
			t.Errorf("%s: example in row %d, want 2", r.Sheet, r.Row)
		}
	}
	for _, c := range want {
		exp = append(exp, describe(c.kind, c.cmd))
	}
	if !slices.Equal(got, exp) {
		t.Errorf("template rows:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(exp, "\n     "))
	}
}

// The template has a README sheet documenting every column, one sheet
// per kind with bilingual headers, and data validation: drop-downs of the
// enumerations, dates, amounts, and the format of every column as an
// input message.
func TestTemplateContents(t *testing.T) {
	x, err := excelize.OpenReader(bytes.NewReader(template(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	sheets := x.GetSheetList()
	if len(sheets) != 1+len(importer.Kinds) || sheets[0] != "说明 README" {
		t.Fatalf("sheets %q", sheets)
	}
	readme, err := x.GetRows(sheets[0])
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, r := range readme {
		if len(r) > 3 {
			keys[r[3]] = true
		}
	}
	for _, kind := range importer.Kinds {
		for _, c := range importer.Columns(kind) {
			if !keys[c.Key] {
				t.Errorf("README does not document %s column %s", kind, c.Key)
			}
		}
	}
	members := sheets[1]
	header, err := x.GetRows(members)
	if err != nil {
		t.Fatal(err)
	}
	if header[0][0] != "成员编号 member" || header[0][3] != "单位类型 kind" {
		t.Errorf("members header %q", header[0])
	}
	dvs, err := x.GetDataValidations(members)
	if err != nil {
		t.Fatal(err)
	}
	var kindList, dateRange bool
	for _, dv := range dvs {
		if !dv.ShowInputMessage || dv.Prompt == nil || *dv.Prompt == "" {
			t.Errorf("validation %s has no input message", dv.Sqref)
		}
		switch dv.Sqref {
		case "D2:D5000":
			kindList = dv.Type == "list" && strings.Contains(dv.Formula1, "企业 enterprise") && strings.Contains(dv.Formula1, "科研院所 research-institute")
		case "G2:G5000":
			dateRange = dv.Type == "date" && dv.Formula1 == "29221"
		}
	}
	if !kindList || !dateRange {
		t.Errorf("members validations: kind list %v, date %v: %+v", kindList, dateRange, dvs)
	}
	for _, kind := range importer.Kinds {
		dvs, err := x.GetDataValidations(sheets[1+slices.Index(importer.Kinds, kind)])
		if err != nil {
			t.Fatal(err)
		}
		for _, dv := range dvs {
			if dv.PromptTitle != nil && len([]rune(*dv.PromptTitle)) > 32 || dv.Prompt != nil && len([]rune(*dv.Prompt)) > 255 {
				t.Errorf("%s %s: input message longer than Excel allows", kind, dv.Sqref)
			}
		}
	}
}
