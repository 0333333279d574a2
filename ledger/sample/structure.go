package sample

import (
	"github.com/alliance-ledger/alliance/ledger"
)

// Days of the script, counted from the founding day. Year 1 is days
// 0-364, year 2 days 365-729, year 3 days 730-1094.
const (
	dayAgreement   = 12  // the alliance agreement is signed in the first month
	dayM13Admitted = 390 // a new member joins in year 2
	dayRoleChange  = 395 // the second council co-opts M08
	dayAmendment   = 420 // the agreement is amended in year 2
	dayM11Departs  = 820 // a member withdraws in year 3
)

// Alliance agreement terms.

var (
	ratesSigned  = map[string]int64{"enterprise": 30_000, "university": 22_000, "research-institute": 25_000, "other": 18_000}
	ratesAmended = map[string]int64{"enterprise": 32_000, "university": 24_000, "research-institute": 27_000, "other": 20_000}
)

func kindWeights() map[string]ledger.Ratio {
	return map[string]ledger.Ratio{
		"cash": ledger.MustRatio("1"), "equipment": ledger.MustRatio("0.9"), "personnel": ledger.MustRatio("0.8"),
		"technology": ledger.MustRatio("1.2"), "data": ledger.MustRatio("0.6"), "facility": ledger.MustRatio("0.7"),
	}
}

func (p *planner) agreementTerms(day int, title string, rates map[string]int64) ledger.Agreement {
	pm := map[string]ledger.Money{}
	for _, k := range ledger.MemberKinds {
		pm[k] = yuan(rates[k])
	}
	var signatories []string
	for _, m := range roster {
		if m.activeOn(day) {
			signatories = append(signatories, m.id)
		}
	}
	return ledger.Agreement{
		Title:         title,
		EffectiveDate: p.date(day),
		Distribution: ledger.Distribution{
			Method:      "shapley",
			Allowed:     []string{"proportional", "nash", "risk-shapley", "multifactor-shapley"},
			KindWeights: kindWeights(),
			FactorWeights: map[string]ledger.Ratio{
				"investment": ledger.MustRatio("0.4"), "risk": ledger.MustRatio("0.2"),
				"innovation": ledger.MustRatio("0.25"), "effort": ledger.MustRatio("0.15"),
			},
		},
		Risk: ledger.RiskRule{Rule: "contribution", Coefficients: map[string]ledger.Ratio{
			"cash": ledger.MustRatio("1"), "equipment": ledger.MustRatio("0.8"), "personnel": ledger.MustRatio("0.5"),
			"technology": ledger.MustRatio("0.6"), "data": ledger.MustRatio("0.4"), "facility": ledger.MustRatio("0.5"),
		}},
		Valuation:   ledger.Valuation{PersonMonthRates: pm},
		IPOwnership: "by-contribution",
		Signatories: signatories,
	}
}

// roleOn is a member's role on a day.
func roleOn(id string, day int) string {
	if id == "M08" && day >= dayRoleChange {
		return "council"
	}
	return memberByID(id).role
}

func admission(m *member, code string) *ledger.MemberAdmitted {
	return &ledger.MemberAdmitted{Member: m.id, Name: m.name, NameEN: m.nameEN, Kind: m.kind, Role: m.role, CreditCode: code}
}

// governance schedules the founding, the agreement and its amendment, and
// the changes of membership.
func (p *planner) governance() {
	codes := make([]string, len(roster))
	for i, m := range roster {
		if m.codePrefix != "" {
			codes[i] = creditCode(p.rng, m.codePrefix, m.region)
		}
	}

	// The founding assembly (成立大会) founds the alliance and admits the
	// founding members, the custodian among them, in one request.
	founding := &action{at: p.start.UTC(), actor: secretariat, build: func() []ledger.Payload {
		out := []ledger.Payload{&ledger.AllianceFounded{
			Name:         "长三角新能源汽车动力电池产业技术创新战略联盟",
			NameEN:       "Yangtze River Delta New Energy Vehicle Power Battery Industrial Technology Innovation Strategic Alliance",
			Type:         "industry-chain",
			LegalForm:    "non-legal-person",
			BaseCurrency: currency,
			// TimeZone is left to the writer, which fills in Asia/Shanghai:
			// naming it here would make validation load tzdata, which a
			// minimal host may lack.
			Custodian: custodian,
		}}
		for i := range roster {
			if roster[i].admitDay == 0 {
				out = append(out, admission(&roster[i], codes[i]))
			}
		}
		return out
	}}
	p.actions = append(p.actions, founding)

	signed := &ledger.AgreementSigned{Agreement: p.agreementTerms(dayAgreement,
		"长三角新能源汽车动力电池产业技术创新战略联盟协议", ratesSigned)}
	signed.Document = evidence("联盟协议（签署版）", "agreement/v1.pdf")
	a := p.add(dayAgreement, secretariat, func() []ledger.Payload { return []ledger.Payload{signed} })
	a.done = func(uint64) { p.t.agreement, p.t.rates, p.t.kindWeights = 1, ratesSigned, kindWeights() }

	for i := range roster {
		if m := &roster[i]; m.admitDay > 0 {
			p.add1(m.admitDay, secretariat, admission(m, codes[i]))
		}
	}
	p.add1(dayRoleChange, secretariat, &ledger.MemberRoleChanged{Member: "M08", Role: "council"})

	amended := &ledger.AgreementAmended{
		Agreement: p.agreementTerms(dayAmendment, "长三角新能源汽车动力电池产业技术创新战略联盟协议（修订）", ratesAmended),
		Reason:    "第二届理事会第一次会议决议：按上年度研发人员平均薪酬增幅上调人员投入折算单价；新成员单位宁波极储加入并签署",
	}
	amended.Document = evidence("联盟协议（第一次修订）", "agreement/v2.pdf")
	a = p.add(dayAmendment, secretariat, func() []ledger.Payload { return []ledger.Payload{amended} })
	a.done = func(uint64) { p.t.agreement, p.t.rates = 2, ratesAmended }

	p.add1(dayM11Departs, secretariat, &ledger.MemberDeparted{Member: "M11", How: "withdrew",
		Reason: "公司战略调整，退出动力电池回收业务，书面申请退出联盟（会费不予退还）"})
}

// Projects.

type participant struct {
	member    string
	budgetWan int64
}

type project struct {
	id, name, lead string
	open, close    int // close < 0: still open at the end
	outcome, note  string
	years          int // planned duration
	parts          []participant
	// One participants change: add joins the project on addDay.
	addDay    int
	add       []participant
	addReason string
	inKind    inKindCatalogue
}

var projects = []*project{
	{
		id: "P1", name: "高镍三元正极材料低成本制备技术", lead: "M04", open: 35, close: 900, years: 2,
		outcome: "completed", note: "通过理事会组织的结题验收，形成高镍正极中试工艺包",
		parts:  []participant{{"M04", 1800}, {"M02", 1200}, {"M01", 600}, {"M03", 800}, {"M09", 300}},
		inKind: catalogueP1,
	},
	{
		id: "P2", name: "硫化物固态电解质及全固态电池中试", lead: "M02", open: 70, close: -1, years: 4,
		parts:  []participant{{"M02", 3000}, {"M03", 1500}, {"M07", 500}, {"M08", 800}, {"M06", 400}},
		addDay: 460, add: []participant{{"M13", 600}},
		addReason: "新成员单位宁波极储加入，承担干法电极成膜中试装备研制",
		inKind:    catalogueP2,
	},
	{
		id: "P3", name: "退役动力电池梯次利用与材料再生", lead: "M11", open: 140, close: 610, years: 2,
		outcome: "failed", note: "梯次利用储能中试线经济性未达预期（度电成本高于新电池储能），理事会决议终止项目",
		parts:  []participant{{"M11", 900}, {"M10", 300}, {"M05", 500}, {"M01", 400}},
		inKind: catalogueP3,
	},
	{
		id: "P4", name: "电池管理系统功能安全与云端诊断", lead: "M06", open: 300, close: -1, years: 3,
		parts:  []participant{{"M06", 1400}, {"M05", 900}, {"M10", 300}, {"M07", 400}},
		inKind: catalogueP4,
	},
	{
		id: "P5", name: "动力电池全生命周期大数据平台", lead: "M03", open: 600, close: -1, years: 3,
		parts:  []participant{{"M03", 900}, {"M05", 600}, {"M06", 400}, {"M10", 300}, {"M12", 150}, {"M09", 250}},
		inKind: catalogueP5,
	},
}

func projectByID(id string) *project {
	for _, pr := range projects {
		if pr.id == id {
			return pr
		}
	}
	panic("sample: unknown project " + id)
}

// end is the first day on which the project takes no contributions.
func (pr *project) end() int {
	if pr.close < 0 {
		return lastDay
	}
	return pr.close
}

// participates reports whether a member may contribute to the project on a day.
func (pr *project) participates(id string, day int) bool {
	if day <= pr.open || day >= pr.end() || !memberByID(id).activeOn(day) {
		return false
	}
	for _, pt := range pr.parts {
		if pt.member == id {
			return true
		}
	}
	for _, pt := range pr.add {
		if pt.member == id {
			return day > pr.addDay
		}
	}
	return false
}

func participants(ps []participant) []ledger.Participant {
	out := make([]ledger.Participant, len(ps))
	for i, pt := range ps {
		out[i] = ledger.Participant{Member: pt.member, Budget: wan(pt.budgetWan)}
	}
	return out
}

func (p *planner) projectLifecycle() {
	for _, pr := range projects {
		p.add1(pr.open, secretariat, &ledger.ProjectOpened{
			Project: pr.id, Name: pr.name, Lead: pr.lead, Participants: participants(pr.parts),
			Start: p.date(pr.open), End: p.date(pr.open + 365*pr.years),
		})
		if len(pr.add) > 0 {
			all := append(append([]participant(nil), pr.parts...), pr.add...)
			p.add1(pr.addDay, secretariat, &ledger.ProjectParticipantsChanged{Project: pr.id, Participants: participants(all), Reason: pr.addReason})
		}
		if pr.close >= 0 {
			p.add1(pr.close, secretariat, &ledger.ProjectClosed{Project: pr.id, Outcome: pr.outcome, Note: pr.note})
		}
	}
	p3 := projectByID("P3")
	p.add1(p3.close+15, secretariat, &ledger.LossRealized{Project: "P3", Amount: fen(268_453_200),
		Reason:   "项目终止：梯次利用储能中试线关停，专用拆解与检测设备按残值处置后的净损失及报废在制电池包",
		Evidence: evidence("P3 项目终止资产处置及损失核定报告", "P3/loss-assessment.pdf")})
}

// Costs.

type costKind struct {
	category, label string
	loWan, hiWan    int64
	descriptions    []string
	commonFundsPct  int // how often the alliance's common funds bear it
}

var costKinds = []costKind{
	{"personnel", "人员费", 20, 120, []string{"项目研发人员劳务费", "博士后及研究生助研津贴", "外聘专家咨询费"}, 20},
	{"equipment", "设备费", 30, 300, []string{"专用设备购置费", "测试设备升级改造费", "中试设备安装调试费"}, 30},
	{"materials", "材料费", 5, 80, []string{"原材料及试剂费", "试制样品材料费", "电芯及模组试制材料费"}, 30},
	{"services", "测试加工及服务费", 5, 50, []string{"测试化验加工费", "第三方检测认证费", "软件开发外包服务费"}, 40},
	{"travel", "差旅会议费", 1, 8, []string{"差旅费", "学术会议及联合攻关会议费", "国际合作与交流费"}, 50},
	{"facility", "场地费", 5, 30, []string{"中试场地租赁费", "洁净/干燥房运行能耗费"}, 30},
	{"overhead", "间接费用", 2, 20, []string{"间接费用（管理费）", "水电及房屋折旧分摊"}, 60},
	{"other", "其他费用", 1, 10, []string{"专利申请及维持费", "标准制定工作经费", "审计及验收评审费"}, 70},
}

func (p *planner) costs() {
	for _, pr := range projects {
		members := make([]string, 0, len(pr.parts))
		for _, pt := range pr.parts {
			members = append(members, pt.member)
		}
		for d := pr.open + 20 + p.rng.IntN(20); d < pr.end()-1; d += 25 + p.rng.IntN(20) {
			ck := costKinds[p.rng.IntN(len(costKinds))]
			amount := p.between(ck.loWan*1_000_000, ck.hiWan*1_000_000, 1)
			c := &ledger.CostIncurred{Project: pr.id, Category: ck.category, Amount: fen(amount), Description: p.pick(ck.descriptions)}
			if p.rng.IntN(100) >= ck.commonFundsPct {
				if m := p.pick(members); memberByID(m).activeOn(d) {
					c.BorneBy = m
				}
			}
			if amount >= 50_000_000 {
				c.Evidence = evidence(pr.id+" "+ck.label+"发票及合同", pr.id+"/costs/"+string(p.date(d))+".pdf")
			}
			p.add1(d, secretariat, c)
		}
	}
}
