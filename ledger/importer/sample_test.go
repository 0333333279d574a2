package importer_test

import (
	"time"

	"github.com/alliance-ledger/alliance/ledger"
)

// The sample alliance every test file describes: the Chinese and the
// English workbook and the CSV files hold the same records, written in
// different ways, and must parse to the same commands.

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// at is a business date at 09:00 in Shanghai, the time of a date without one.
func at(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 0, 0, 0, shanghai) }

func cny(yuan int64, fen int64) ledger.Money {
	return ledger.Money{Amount: yuan*100 + fen, Currency: "CNY"}
}

func ratio(s string) *ledger.Ratio {
	r := ledger.MustRatio(s)
	return &r
}

type kindCommand struct {
	kind string
	cmd  ledger.Command
}

const (
	sha1 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	sha2 = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
)

func sampleCommands() []kindCommand {
	c := func(kind string, t time.Time, p ledger.Payload) kindCommand {
		return kindCommand{kind, ledger.NewCommand(t, p)}
	}
	return []kindCommand{
		c("members", at(2024, 1, 15), &ledger.MemberAdmitted{Member: "M01", Name: "江苏动力电池创新中心有限公司",
			NameEN: "Jiangsu Power Battery Innovation Center Co., Ltd.", Kind: "enterprise", Role: "chair", CreditCode: "91320100MA1N2K3L4P"}),
		c("members", at(2024, 1, 15), &ledger.MemberAdmitted{Member: "M02", Name: "东南大学", NameEN: "Southeast University",
			Kind: "university", Role: "vice-chair"}),
		c("members", at(2024, 3, 1), &ledger.MemberAdmitted{Member: "M03", Name: "中国科学院物理研究所", NameEN: "Institute of Physics, CAS",
			Kind: "research-institute", Role: "council"}),
		c("members", at(2024, 6, 18), &ledger.MemberAdmitted{Member: "M04", Name: "苏州锂电装备有限公司",
			Kind: "enterprise", Role: "ordinary", CreditCode: "91320500MA1P2Q3R4T"}),

		c("agreement", at(2024, 2, 1), &ledger.AgreementSigned{Agreement: ledger.Agreement{
			Title:         "长三角动力电池产业技术创新战略联盟协议",
			EffectiveDate: "2024-02-01",
			Distribution: ledger.Distribution{
				Method:        "multifactor-shapley",
				Allowed:       []string{"proportional", "shapley"},
				KindWeights:   map[string]ledger.Ratio{"cash": ledger.MustRatio("1"), "equipment": ledger.MustRatio("0.9")},
				FactorWeights: map[string]ledger.Ratio{"investment": ledger.MustRatio("0.4"), "risk": ledger.MustRatio("0.3"), "innovation": ledger.MustRatio("0.2"), "effort": ledger.MustRatio("0.1")},
			},
			Risk: ledger.RiskRule{Rule: "contribution", Coefficients: map[string]ledger.Ratio{"cash": ledger.MustRatio("1"), "personnel": ledger.MustRatio("0.5")}},
			Valuation: ledger.Valuation{PersonMonthRates: map[string]ledger.Money{
				"enterprise": cny(30000, 0), "university": cny(20000, 0), "research-institute": cny(25000, 0)}},
			IPOwnership: "by-contribution",
			Signatories: []string{"M01", "M02", "M03"},
		}}),

		c("projects", at(2024, 3, 1), &ledger.ProjectOpened{Project: "P01", Name: "固态电解质中试线", Lead: "M01",
			Participants: []ledger.Participant{{Member: "M01", Budget: cny(5000000, 0)}, {Member: "M02", Budget: cny(1200000, 0)}, {Member: "M03", Budget: cny(800000, 0)}},
			Start:        "2024-03-01", End: "2026-02-28"}),
		c("projects", at(2024, 7, 1), &ledger.ProjectOpened{Project: "P02", Name: "高镍正极材料", Lead: "M03",
			Participants: []ledger.Participant{{Member: "M03", Budget: cny(3000000, 0)}, {Member: "M04", Budget: cny(0, 0)}},
			Start:        "2024-07-01"}),

		c("contributions", at(2024, 3, 15), &ledger.ContributionRecorded{Member: "M01", Project: "P01", Kind: "cash",
			Value: cny(1500000, 0), Description: "首期经费"}),
		c("contributions", at(2024, 4, 30), &ledger.ContributionRecorded{Member: "M02", Project: "P01", Kind: "personnel",
			Quantity: ratio("6"), Unit: "person-month", Description: "教师与研究生投入"}),
		c("contributions", at(2024, 5, 20), &ledger.ContributionRecorded{Member: "M03", Project: "P01", Kind: "equipment",
			Value: cny(125000, 0), Valuation: "market-price", Counterparty: "M01", Description: "电化学工作站",
			Evidence: &ledger.Evidence{SHA256: sha1}}),
		c("contributions", at(2024, 8, 1), &ledger.ContributionRecorded{Member: "M04", Project: "P02", Kind: "facility",
			Quantity: ratio("120"), Unit: "machine-hour", UnitValue: &ledger.Money{Amount: 80000, Currency: "CNY"}, Valuation: "market-price",
			Description: "中试车间"}),
		c("contributions", at(2024, 9, 10), &ledger.ContributionRecorded{Member: "M01", Kind: "cash",
			Value: cny(1234567, 89), Description: "联盟公共经费"}),

		c("ip", at(2024, 10, 8), &ledger.IPFiled{Asset: "A01", Type: "patent-invention", Title: "一种固态电解质膜的制备方法",
			Number: "CN202410123456.7", Owners: []ledger.Share{{Member: "M01", Share: ledger.MustRatio("0.6")}, {Member: "M02", Share: ledger.MustRatio("0.4")}},
			Inventors: []string{"张三", "李四"}, Project: "P01"}),
		c("ip", at(2024, 11, 20), &ledger.IPFiled{Asset: "A02", Type: "software-copyright", Title: "电池管理仿真软件V1.0",
			Number: "2024SR123456", Owners: []ledger.Share{{Member: "M03", Share: ledger.MustRatio("1")}}, Inventors: []string{"王五"}, Project: "P02"}),
		c("ip", at(2024, 12, 1), &ledger.IPFiled{Asset: "A03", Type: "standard-group", Title: "固态电池术语",
			Number: "T/CIAPS 0001-2024", Owners: []ledger.Share{{Member: "M01", Share: ledger.MustRatio("1/3")}, {Member: "M02", Share: ledger.MustRatio("1/3")}, {Member: "M03", Share: ledger.MustRatio("1/3")}},
			Evidence: &ledger.Evidence{SHA256: sha2, URI: "https://example.org/std/0001.pdf"}}),

		c("funding", at(2024, 3, 5), &ledger.FundingReceived{Source: "government-grant", Payer: "江苏省科学技术厅",
			Amount: cny(5000000, 0), Project: "P01", Reference: "苏科计〔2024〕12号"}),
		c("funding", at(2024, 4, 1), &ledger.FundingReceived{Source: "matching-funds", Payer: "江苏动力电池创新中心有限公司", Member: "M01",
			Amount: cny(1000000, 0), Project: "P01"}),
		c("funding", at(2024, 6, 20), &ledger.FundingReceived{Source: "member-dues", Member: "M04", Amount: cny(50000, 0)}),

		c("costs", at(2024, 5, 10), &ledger.CostIncurred{Project: "P01", Category: "equipment", Amount: cny(350000, 0), BorneBy: "M01", Description: "涂布机"}),
		c("costs", at(2024, 6, 15), &ledger.CostIncurred{Project: "P01", Category: "travel", Amount: cny(12345, 60), Description: "学术会议差旅"}),
		c("costs", at(2024, 9, 1), &ledger.CostIncurred{Project: "P02", Category: "materials", Amount: cny(88000, 0), BorneBy: "M03", Description: "正极前驱体"}),
	}
}
