package ledger_test

import (
	"encoding/json"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
)

const testAlliance = "ev-battery"

var t0 = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

func day(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }

func cny(yuan int64) ledger.Money { return ledger.Money{Amount: yuan * 100, Currency: "CNY"} }

func ratio(s string) ledger.Ratio { return ledger.MustRatio(s) }

func ptr[T any](v T) *T { return &v }

func ratioPtr(s string) *ledger.Ratio { r := ledger.MustRatio(s); return &r }

func req(key string, cmds ...ledger.Command) ledger.Request {
	return ledger.Request{Alliance: testAlliance, Actor: "secretariat", IdempotencyKey: key, Commands: cmds}
}

func cmd(d int, p ledger.Payload) ledger.Command { return ledger.NewCommand(day(d), p) }

// founding returns the request that founds the test alliance with its
// first members (the custodian among them).
func founding() ledger.Request {
	return req("found",
		cmd(0, &ledger.AllianceFounded{Name: "新能源汽车动力电池产业技术创新战略联盟", NameEN: "EV Battery Alliance",
			Type: "industry-chain", LegalForm: "non-legal-person", BaseCurrency: "CNY", Custodian: "M01"}),
		cmd(0, &ledger.MemberAdmitted{Member: "M01", Name: "清华大学", Kind: "university", Role: "chair"}),
		cmd(0, &ledger.MemberAdmitted{Member: "M02", Name: "宁德时代", Kind: "enterprise", Role: "vice-chair", CreditCode: "91350900587527783P"}),
		cmd(0, &ledger.MemberAdmitted{Member: "M03", Name: "中科院物理所", Kind: "research-institute", Role: "council"}),
		cmd(0, &ledger.MemberAdmitted{Member: "M04", Name: "比亚迪", Kind: "enterprise", Role: "ordinary"}),
	)
}

func agreement() *ledger.AgreementSigned {
	return &ledger.AgreementSigned{Agreement: ledger.Agreement{
		Title: "联盟协议", EffectiveDate: "2024-03-01",
		Distribution: ledger.Distribution{Method: "shapley", Allowed: []string{"proportional", "nash"},
			KindWeights: map[string]ledger.Ratio{"cash": ratio("1"), "personnel": ratio("0.8")}},
		Risk:        ledger.RiskRule{Rule: "contribution", Coefficients: map[string]ledger.Ratio{"cash": ratio("1"), "personnel": ratio("1/2")}},
		Valuation:   ledger.Valuation{PersonMonthRates: map[string]ledger.Money{"university": cny(25000), "enterprise": cny(30000), "research-institute": cny(28000)}},
		IPOwnership: "by-contribution",
		Signatories: []string{"M01", "M02", "M03", "M04"},
	}}
}

// history returns requests that use every event type, in an order that is
// valid when appended one after another to a fresh log. Positions cited
// (contributions, payouts, disputes) assume exactly this order.
func history() []ledger.Request {
	return []ledger.Request{
		founding(),                            // 1-5
		req("agreement", cmd(1, agreement())), // 6
		req("project", cmd(2, &ledger.ProjectOpened{Project: "P1", Name: "固态电解质", Lead: "M02", Start: "2024-03-03", End: "2026-12-31",
			Participants: []ledger.Participant{{Member: "M01", Budget: cny(2_000_000)}, {Member: "M02", Budget: cny(5_000_000)}, {Member: "M03", Budget: cny(1_000_000)}}})), // 7
		req("c1", cmd(3, &ledger.ContributionRecorded{Member: "M02", Project: "P1", Kind: "cash", Value: cny(1_500_000), Description: "首期资金"})),            // 8
		req("c2", cmd(4, &ledger.ContributionRecorded{Member: "M01", Project: "P1", Kind: "personnel", Quantity: ratioPtr("12.5"), Unit: "person-month"})), // 9
		req("c3", cmd(5, &ledger.ContributionRecorded{Member: "M03", Project: "P1", Kind: "equipment", Quantity: ratioPtr("300"), Unit: "machine-hour",
			UnitValue: &ledger.Money{Amount: 45050, Currency: "CNY"}, Valuation: "market-price",
			Evidence: &ledger.Evidence{SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Title: "设备使用记录"}})), // 10
		req("confirm", cmd(6, &ledger.ContributionConfirmed{Contribution: 8, By: "M01"})),                                                                                     // 11
		req("contest", cmd(7, &ledger.ContributionContested{Contribution: 10, By: "M02", Reason: "机时数偏高", ClaimedValue: &ledger.Money{Amount: 10_000_000, Currency: "CNY"}})), // 12
		req("ip", cmd(8, &ledger.IPFiled{Asset: "IP1", Type: "patent-invention", Title: "一种硫化物固态电解质", Number: "CN202410000001.X",
			Owners: []ledger.Share{{Member: "M01", Share: ratio("1/3")}, {Member: "M02", Share: ratio("2/3")}}, Inventors: []string{"张三", "李四"}, Project: "P1"})), // 13
		req("granted", cmd(9, &ledger.IPStatusChanged{Asset: "IP1", Status: "granted", Number: "ZL202410000001.X"})),                                                       // 14
		req("licensed", cmd(10, &ledger.IPStatusChanged{Asset: "IP1", Status: "licensed", Counterparty: "某电池公司"})),                                                         // 15
		req("royalty", cmd(11, &ledger.IPLicenceRevenue{Asset: "IP1", Licensee: "某电池公司", Amount: cny(800_000), Period: "2024"})),                                           // 16
		req("grant", cmd(12, &ledger.FundingReceived{Source: "government-grant", Payer: "科技部重点研发计划", Amount: cny(3_000_000), Project: "P1", Reference: "2024YFB0000000"})), // 17
		req("dues", cmd(13, &ledger.FundingReceived{Source: "member-dues", Member: "M04", Amount: cny(50_000)})),                                                           // 18
		req("cost", cmd(14, &ledger.CostIncurred{Project: "P1", Category: "materials", Amount: cny(120_000), BorneBy: "M02"})),                                             // 19
		req("loss", cmd(15, &ledger.LossRealized{Project: "P1", Amount: cny(200_000), Reason: "试制批次报废"})),                                                                  // 20
		req("pool", cmd(16, &ledger.PoolDeclared{Pool: "POOL-2024", Amount: cny(800_000), Project: "P1", Source: "IP1 许可收入"})),                                             // 21
		req("payout", cmd(17, &ledger.PayoutCommitted{Pool: "POOL-2024", Method: "shapley", ComputedAt: 20,
			Inputs:      json.RawMessage(`{"coalitions":{"M01":1,"M01,M02":7}}`),
			Allocations: []ledger.Allocation{{Member: "M01", Amount: ledger.Money{Amount: 26_666_667, Currency: "CNY"}}, {Member: "M02", Amount: ledger.Money{Amount: 53_333_333, Currency: "CNY"}}}})), // 22
		req("dispute", cmd(18, &ledger.DisputeRaised{Subject: 22, By: "M03", Claim: "设备投入未计入", ClaimedAmount: &ledger.Money{Amount: 5_000_000, Currency: "CNY"}})), // 23
		req("reverse", cmd(19, &ledger.EntryReversed{Entry: 22, Reason: "争议裁决：重新分配"})),                                                                             // 24
		req("resolve", cmd(20, &ledger.DisputeResolved{Dispute: 23, Outcome: "upheld", Resolution: "撤销原分配，重新计算", Adjustments: []uint64{24}})),                      // 25
		req("correct", cmd(21, &ledger.EntryCorrected{Entry: 19, Reason: "发票金额有误",
			Replacement: json.RawMessage(`{"project":"P1","category":"materials","amount":{"amount":11000000,"currency":"CNY"},"borne_by":"M02"}`)})), // 26
		req("payout2", cmd(22, &ledger.PayoutCommitted{Pool: "POOL-2024", Method: "proportional", ComputedAt: 26,
			Allocations: []ledger.Allocation{{Member: "M01", Amount: cny(300_000)}, {Member: "M02", Amount: cny(400_000)}, {Member: "M03", Amount: cny(100_000)}}})), // 27
		req("settle", cmd(23, &ledger.PayoutSettled{Payout: 27, Reference: "银行流水 0001"})), // 28
		req("role", cmd(24, &ledger.MemberRoleChanged{Member: "M04", Role: "council"})),   // 29
		req("participants", cmd(25, &ledger.ProjectParticipantsChanged{Project: "P1", Reason: "比亚迪加入",
			Participants: []ledger.Participant{{Member: "M01", Budget: cny(2_000_000)}, {Member: "M02", Budget: cny(5_000_000)}, {Member: "M03", Budget: cny(1_000_000)}, {Member: "M04", Budget: cny(500_000)}}})), // 30
		req("amend", cmd(26, &ledger.AgreementAmended{Agreement: agreement().Agreement, Reason: "调整人月单价"})),                                            // 31
		req("close", cmd(27, &ledger.ProjectClosed{Project: "P1", Outcome: "completed"})),                                                              // 32
		req("depart", cmd(28, &ledger.MemberDeparted{Member: "M04", How: "withdrew", Reason: "战略调整"})),                                                 // 33
		req("pool2025", cmd(29, &ledger.PoolDeclared{Pool: "POOL-2025", Amount: cny(1_000_000), Source: "联盟技术服务收入", Members: []string{"M01", "M02"}})), // 34
		req("assess2025", cmd(30, &ledger.PoolAssessed{Pool: "POOL-2025", Assessor: "联盟专家委员会", Method: "expert-panel", Players: []string{"M01", "M02"},
			Coalitions: []ledger.CoalitionValue{{Members: []string{"M01"}, Value: cny(300_000)}, {Members: []string{"M02"}, Value: cny(200_000)}, {Members: []string{"M01", "M02"}, Value: cny(1_000_000)}}})), // 35
		req("payout2025", cmd(31, &ledger.PayoutCommitted{Pool: "POOL-2025", Method: "shapley", ComputedAt: 35,
			Allocations: []ledger.Allocation{{Member: "M01", Amount: cny(550_000)}, {Member: "M02", Amount: cny(450_000)}}})), // 36
		req("dispute2025", cmd(32, &ledger.DisputeRaised{Subject: 36, By: "M02", Claim: "协同价值评估偏低"})), // 37
		req("resolve2025", cmd(33, &ledger.PayoutAdjusted{Payout: 36, Dispute: 37, Reason: "专家委员会复核", Adjustments: []ledger.Allocation{{Member: "M01", Amount: cny(-10_000)}, {Member: "M02", Amount: cny(10_000)}}}),
			cmd(33, &ledger.DisputeResolved{Dispute: 37, Outcome: "partially-upheld", Resolution: "按复核结果调整"})), // 38, 39
		req("scheme", cmd(34, &ledger.EvaluationSchemeAdopted{Scheme: "annual", Title: "联盟年度绩效评价方案",
			Dimensions: []ledger.SchemeDimension{
				{Dimension: "organisation", Indicators: []ledger.SchemeIndicator{{Indicator: "members", Norm: &ledger.Normalisation{Kind: "target", Target: ptr(ratio("10"))}}},
					Weights: ledger.Weighting{Method: "direct", Weights: []ledger.Ratio{ratio("1")}}},
				{Dimension: "collaboration", Indicators: []ledger.SchemeIndicator{{Indicator: "rd_input", Norm: &ledger.Normalisation{Kind: "range", Min: ptr(ratio("0")), Max: ptr(ratio("5000000"))}}},
					Weights: ledger.Weighting{Method: "direct", Weights: []ledger.Ratio{ratio("1")}}},
				{Dimension: "industry", Indicators: []ledger.SchemeIndicator{{Indicator: "patent_applications", Norm: &ledger.Normalisation{Kind: "target", Target: ptr(ratio("5"))}}, {Indicator: "social_reputation"}},
					Weights: ledger.Weighting{Method: "ahp", Matrix: [][]string{{"1", "3"}, {"1/3", "1"}}}},
			},
			DimensionWeights: ledger.Weighting{Method: "direct", Weights: []ledger.Ratio{ratio("0.3"), ratio("0.4"), ratio("0.3")}}})), // 40
		req("rating", cmd(35, &ledger.EvaluationRated{Indicator: "social_reputation", Rater: "专家组", From: "2024-01-01", To: "2024-12-31",
			Memberships: []ledger.Ratio{ratio("0.2"), ratio("0.5"), ratio("0.3"), ratio("0"), ratio("0")}})), // 41
	}
}
