package sample

import (
	"encoding/json"
	"fmt"

	"github.com/alliance-ledger/alliance/ledger"
)

// contribution is a planned contribution.recorded.
type contribution struct {
	member, project, kind string
	value                 int64 // fen, for a declared value
	qty                   *ledger.Ratio
	unit                  string
	unitValue             int64 // fen; 0 with a quantity: the agreement's person-month rate
	valuation             string
	counterparty          string
	desc                  string
	evidence              *ledger.Evidence
}

func (c *contribution) payload() *ledger.ContributionRecorded {
	pl := &ledger.ContributionRecorded{
		Member: c.member, Project: c.project, Kind: c.kind, Valuation: c.valuation,
		Counterparty: c.counterparty, Description: c.desc, Evidence: c.evidence,
	}
	if c.qty != nil {
		q := *c.qty
		pl.Quantity, pl.Unit = &q, c.unit
		if c.unitValue != 0 {
			u := fen(c.unitValue)
			pl.UnitValue = &u
		}
	} else {
		pl.Value = fen(c.value)
	}
	return pl
}

// planValue is the value known when planning: all but person-months,
// which the writer values at the rate of the agreement in force.
func (c *contribution) planValue() int64 {
	if c.qty == nil {
		return c.value
	}
	if c.unitValue == 0 {
		panic("sample: a person-month contribution has no plan value")
	}
	return mulRound(*c.qty, c.unitValue)
}

// counterpartyFor names who confirms a contribution: the project's lead,
// or for the lead's own contributions and contributions to the alliance as
// a whole the custodian, or for the custodian's own the chair.
func counterpartyFor(projectID, memberID string) string {
	if projectID != "" {
		if lead := projectByID(projectID).lead; lead != memberID {
			return lead
		}
	}
	if memberID != custodian {
		return custodian
	}
	return chair
}

// record schedules a contribution and returns the reference to it.
func (p *planner) record(day int, c *contribution) *ref {
	if c.counterparty == "" {
		c.counterparty = counterpartyFor(c.project, c.member)
	}
	if c.project != "" && !projectByID(c.project).participates(c.member, day) {
		panic(fmt.Sprintf("sample: %s does not take part in %s on day %d", c.member, c.project, day))
	}
	r := new(ref)
	a := p.add(day, actorOf(c.member), func() []ledger.Payload { return []ledger.Payload{c.payload()} })
	a.done = func(first uint64) {
		r.pos = first
		v := c.value
		if c.qty != nil {
			unit := c.unitValue
			if unit == 0 { // the person-month rate of the agreement in force
				unit = p.t.rates[memberByID(c.member).kind] * 100
			}
			v = mulRound(*c.qty, unit)
		}
		p.t.contribs[first] = &contribRec{member: c.member, project: c.project, kind: c.kind, value: v, status: "recorded"}
	}
	return r
}

func (p *planner) confirm(day int, r *ref, by, note string) {
	a := p.add(day, actorOf(by), func() []ledger.Payload {
		return []ledger.Payload{&ledger.ContributionConfirmed{Contribution: r.get(), By: by, Note: note}}
	})
	a.done = func(uint64) { p.t.contribs[r.get()].status = "confirmed" }
}

func (p *planner) contest(day int, r *ref, by, reason string, claimed *ledger.Money) {
	a := p.add(day, actorOf(by), func() []ledger.Payload {
		return []ledger.Payload{&ledger.ContributionContested{Contribution: r.get(), By: by, Reason: reason, ClaimedValue: claimed}}
	})
	a.done = func(uint64) { p.t.contribs[r.get()].status = "contested" }
}

var contestReasons = map[string][]string{
	"equipment":  {"申报机时与设备管理系统导出记录不符，要求按台账核减", "设备作价缺少第三方评估报告，评估值偏高"},
	"facility":   {"场地使用面积及天数与物业台账不符", "场地单价高于同区域市场租金水平"},
	"data":       {"数据条目含重复及无效记录，数量应予核减", "数据单价评估依据不足"},
	"technology": {"许可技术的评估价值偏高，且许可范围仅限本项目", "背景专利剩余保护期较短，估值应下调"},
}

// settle schedules what happens to a recorded contribution: usually its
// counterparty confirms it within weeks; a few are contested (some of them
// confirmed later); some stay unconfirmed.
func (p *planner) settle(day int, r *ref, c *contribution) {
	x := p.rng.Float64()
	cp := memberByID(c.counterparty)
	switch {
	case x < 0.035 && c.kind != "cash" && c.kind != "personnel":
		d := day + int(p.between(5, 20, 1))
		if d > lastDay || !cp.activeOn(d) {
			return
		}
		pct := p.between(60, 85, 1)
		claimed := fen(c.planValue() * pct / 100 / 100 * 100)
		p.contest(d, r, c.counterparty, p.pick(contestReasons[c.kind]), &claimed)
		if p.rng.IntN(2) == 0 {
			d += int(p.between(20, 60, 1))
			if d <= lastDay && cp.activeOn(d) {
				p.confirm(d, r, c.counterparty, "出资方补充提供使用记录及评估报告，经核实后确认")
			}
		}
	case x < 0.95:
		d := day + int(p.between(3, 45, 1))
		if d <= lastDay && cp.activeOn(d) {
			p.confirm(d, r, c.counterparty, "")
		}
	}
}

// inKind describes one sort of contribution in kind: valued as quantity ×
// unit value when unit is set, else a declared value.
type inKind struct {
	desc                   string
	unit                   string
	qtyLo, qtyHi, qtyStep  int64
	unitLo, unitHi, unitSt int64 // yuan
	valLo, valHi, valStep  int64 // yuan
	valuation              string
}

type inKindCatalogue struct {
	equipment, facility, data, technology []inKind
}

func hours(desc string, unitLo, unitHi int64) inKind {
	return inKind{desc: desc, unit: "machine-hour", qtyLo: 40, qtyHi: 400, qtyStep: 10, unitLo: unitLo, unitHi: unitHi, unitSt: 50, valuation: "market-price"}
}

func appraised(desc string, loWan, hiWan int64) inKind {
	return inKind{desc: desc, valLo: loWan * 10_000, valHi: hiWan * 10_000, valStep: 50_000, valuation: "appraisal"}
}

func per(desc, unit string, qtyLo, qtyHi, qtyStep, unitLo, unitHi, unitSt int64, valuation string) inKind {
	return inKind{desc: desc, unit: unit, qtyLo: qtyLo, qtyHi: qtyHi, qtyStep: qtyStep, unitLo: unitLo, unitHi: unitHi, unitSt: unitSt, valuation: valuation}
}

func licence(desc string) inKind {
	return inKind{desc: desc, valLo: 500_000, valHi: 3_000_000, valStep: 100_000, valuation: "appraisal"}
}

var (
	catalogueP1 = inKindCatalogue{
		equipment: []inKind{hours("扫描电子显微镜（SEM）机时", 400, 900), hours("X射线衍射仪（XRD）机时", 300, 700), hours("气氛保护辊道窑烧结线机时", 800, 1500),
			appraised("共沉淀反应釜（5m³）作价投入", 60, 180), appraised("喷雾干燥机作价投入", 30, 90)},
		facility:   []inKind{per("正极材料中试车间使用", "m2-month", 200, 1200, 50, 40, 90, 5, "market-price"), per("分析测试实验室使用", "lab-day", 5, 40, 1, 2000, 6000, 500, "book-value")},
		data:       []inKind{per("前驱体共沉淀工艺批次数据", "batch-record", 100, 1500, 50, 100, 400, 10, "appraisal")},
		technology: []inKind{licence("背景专利许可使用（非独占）：一种镍钴锰氢氧化物前驱体的制备方法"), licence("专有技术许可：高镍材料分段烧结制度")},
	}
	catalogueP2 = inKindCatalogue{
		equipment: []inKind{hours("手套箱（氩气氛）机时", 300, 600), hours("电化学工作站机时", 300, 600), hours("温等静压机机时", 800, 1500), hours("电池充放电测试系统通道机时", 300, 500),
			appraised("硫化物电解质球磨合成线作价投入", 100, 300), appraised("干燥房除湿机组作价投入", 50, 150), appraised("全自动叠片机作价投入", 80, 240)},
		facility:   []inKind{per("露点-50℃干燥房使用", "m2-month", 100, 600, 50, 80, 150, 10, "book-value"), per("固态电池中试线使用", "line-day", 3, 20, 1, 8000, 20000, 1000, "market-price")},
		data:       []inKind{per("电解质材料第一性原理计算与表征数据", "sample", 200, 3000, 50, 100, 500, 10, "appraisal")},
		technology: []inKind{licence("背景专利许可使用（非独占）：一种硫化物固态电解质的液相合成方法"), licence("专有技术许可：固态电池热压叠片工艺")},
	}
	catalogueP3 = inKindCatalogue{
		equipment: []inKind{hours("退役电池包自动化拆解线机时", 500, 1200), hours("电池包快速检测平台机时", 300, 800),
			appraised("湿法浸出中试装置作价投入", 80, 250), appraised("梯次储能系统集成测试平台作价投入", 50, 150)},
		facility:   []inKind{per("退役电池仓储场地使用", "m2-month", 300, 1500, 50, 30, 60, 5, "market-price"), per("电池检测实验室使用", "lab-day", 5, 30, 1, 3000, 8000, 500, "market-price")},
		data:       []inKind{per("退役电池包检测数据", "pack", 100, 2000, 50, 50, 200, 10, "appraisal")},
		technology: []inKind{licence("专有技术许可：退役电池快速分选与一致性评估")},
	}
	catalogueP4 = inKindCatalogue{
		equipment: []inKind{hours("硬件在环（HIL）测试台机时", 400, 900), hours("电磁兼容（EMC）暗室机时", 1000, 2500), hours("电池模拟器机时", 200, 500),
			appraised("功能安全开发工具链（ISO 26262认证）作价投入", 50, 200), appraised("整车级BMS测试台架作价投入", 60, 180)},
		facility:   []inKind{per("功能安全实验室使用", "lab-day", 5, 40, 1, 3000, 9000, 500, "book-value"), per("整车道路测试场地使用", "venue-day", 2, 15, 1, 10000, 30000, 1000, "market-price")},
		data:       []inKind{per("示范车队BMS运行数据", "vehicle-month", 1000, 20000, 500, 20, 60, 5, "appraisal")},
		technology: []inKind{licence("软件著作权许可：BMS底层驱动与通信协议栈"), licence("背景专利许可使用（非独占）：一种基于扩展卡尔曼滤波的电池SOC估计方法")},
	}
	catalogueP5 = inKindCatalogue{
		equipment:  []inKind{hours("GPU计算集群机时", 100, 300), appraised("车载边缘数据采集终端（200套）作价投入", 30, 120), appraised("数据中心存储设备作价投入", 50, 150)},
		facility:   []inKind{per("数据中心机柜使用", "rack-month", 4, 24, 2, 3000, 6000, 500, "market-price"), per("联合实验室使用", "lab-day", 5, 30, 1, 2000, 5000, 500, "book-value")},
		data:       []inKind{per("新能源汽车运行监测数据接入", "vehicle-month", 2000, 20000, 500, 15, 40, 5, "appraisal"), per("动力电池检测报告数据", "report", 100, 1500, 50, 200, 600, 10, "appraisal")},
		technology: []inKind{licence("背景专利许可使用（非独占）：一种基于充电片段的电池健康状态估计方法"), licence("软件著作权许可：数据治理与脱敏工具")},
	}
)

type weighted struct {
	kind   string
	weight int
}

// kindMix is how often each member kind puts in each kind of contribution.
var kindMix = map[string][]weighted{
	"enterprise":         {{"cash", 30}, {"equipment", 20}, {"personnel", 25}, {"technology", 5}, {"data", 5}, {"facility", 5}},
	"university":         {{"personnel", 55}, {"technology", 15}, {"facility", 15}, {"data", 10}, {"equipment", 5}},
	"research-institute": {{"personnel", 40}, {"equipment", 20}, {"facility", 20}, {"technology", 10}, {"data", 10}},
	"other":              {{"facility", 40}, {"data", 30}, {"personnel", 30}},
}

func (p *planner) pickKind(memberKind string) string {
	mix := kindMix[memberKind]
	total := 0
	for _, w := range mix {
		total += w.weight
	}
	x := p.rng.IntN(total)
	for _, w := range mix {
		if x < w.weight {
			return w.kind
		}
		x -= w.weight
	}
	panic("unreachable")
}

func (p *planner) fromCatalogue(c *contribution, items []inKind) {
	it := items[p.rng.IntN(len(items))]
	c.desc, c.valuation = it.desc, it.valuation
	if it.unit == "" {
		c.value = p.between(it.valLo, it.valHi, it.valStep) * 100
		return
	}
	q := ledger.NewRatio(p.between(it.qtyLo, it.qtyHi, it.qtyStep), 1)
	c.qty, c.unit, c.unitValue = &q, it.unit, p.between(it.unitLo, it.unitHi, it.unitSt)*100
}

// randomContribution draws a contribution of a member to a project.
// tranches counts each member's cash tranches to the project.
func (p *planner) randomContribution(pr *project, m *member, tranches map[string]int) *contribution {
	c := &contribution{member: m.id, project: pr.id, kind: p.pickKind(m.kind)}
	switch c.kind {
	case "cash":
		// 50万–500万 yuan in steps of 10万, mostly at the low end.
		if p.rng.IntN(10) == 0 {
			c.value = p.between(30, 50, 1) * 10_000_000
		} else {
			c.value = p.between(5, 25, 1) * 10_000_000
		}
		tranches[m.id]++
		c.desc = fmt.Sprintf("%s项目自筹经费（第%d笔）", pr.id, tranches[m.id])
		c.evidence = evidence("银行回单", fmt.Sprintf("%s/cash/%s-%02d.pdf", pr.id, m.id, tranches[m.id]))
	case "personnel":
		q := ledger.NewRatio(p.between(2, 24, 1), 2) // 1 to 12 person-months in halves
		c.qty, c.unit = &q, "person-month"
		c.desc = fmt.Sprintf("%s研发人员投入（%s等）", pr.id, p.pick(p.team[m.id]))
	case "equipment":
		p.fromCatalogue(c, pr.inKind.equipment)
	case "facility":
		p.fromCatalogue(c, pr.inKind.facility)
	case "data":
		p.fromCatalogue(c, pr.inKind.data)
	case "technology":
		p.fromCatalogue(c, pr.inKind.technology)
	}
	return c
}

// contributionProbability is the chance that a participant records a
// contribution to a project in a given month.
const contributionProbability = 0.36

func (p *planner) contributions() {
	for _, pr := range projects {
		members := make([]participant, 0, len(pr.parts)+len(pr.add))
		members = append(append(members, pr.parts...), pr.add...)
		tranches := map[string]int{}
		for base := pr.open; base < pr.end(); base += 30 {
			for _, pt := range members {
				if p.rng.Float64() >= contributionProbability {
					continue
				}
				d := base + 1 + p.rng.IntN(29)
				if d <= pr.open+2 || d >= pr.end()-2 || !pr.participates(pt.member, d) {
					continue
				}
				c := p.randomContribution(pr, memberByID(pt.member), tranches)
				p.settle(d, p.record(d, c), c)
			}
		}
	}
	p.allianceContributions()
	p.scriptedContributions()
}

// allianceContributions are contributions to the alliance as a whole: the
// custodian's office for the secretariat, the association's industry data,
// the testing centre's open platform.
func (p *planner) allianceContributions() {
	for y := range 3 {
		office := &contribution{member: "M01", kind: "facility", unit: "m2-month", unitValue: 6_000,
			valuation: "market-price", desc: fmt.Sprintf("联盟秘书处办公场地（120平方米，第%d年度）", y+1)}
		q := ledger.NewRatio(120*12, 1)
		office.qty = &q
		d := 30 + 365*y
		p.settle(d, p.record(d, office), office)

		data := &contribution{member: "M12", kind: "data", value: p.between(30, 60, 1) * 1_000_000, valuation: "appraisal",
			desc: fmt.Sprintf("长三角新能源汽车产业运行数据年度汇编（%d年）", p.year(200+365*y)-1)}
		d = 200 + 365*y
		p.settle(d, p.record(d, data), data)

		days := ledger.NewRatio(p.between(10, 30, 1), 1)
		lab := &contribution{member: "M10", kind: "facility", qty: &days, unit: "lab-day", unitValue: 800_000,
			valuation: "market-price", desc: "联盟公共检测平台向成员单位开放共享"}
		d = 150 + 365*y
		p.settle(d, p.record(d, lab), lab)
	}
}

// scriptedContributions are the contributions the story of the sample
// turns on: a duplicate that is reversed, a contested one settled by a
// dispute and a correction, and one confirmed only after a payout.
func (p *planner) scriptedContributions() {
	// M02 records its second P1 tranche twice; the secretariat reverses the
	// duplicate.
	tranche := &contribution{member: "M02", project: "P1", kind: "cash", value: 3_000_000 * 100,
		desc: "P1第二期配套经费", evidence: evidence("银行回单", "P1/cash/M02-second-tranche.pdf")}
	orig := p.record(200, tranche)
	p.confirm(212, orig, tranche.counterparty, "已核对银行回单")
	dup := p.record(203, tranche)
	p.add(218, secretariat, func() []ledger.Payload {
		return []ledger.Payload{&ledger.EntryReversed{Entry: dup.get(),
			Reason: fmt.Sprintf("重复录入：与第%d号记录为同一笔银行转账", orig.get())}}
	}).done = func(uint64) { p.t.contribs[dup.get()].status = "reversed" }

	// M03's machine hours on P2 are contested by the lead, M02; M03 raises
	// a dispute; the secretariat checks the equipment log and corrects the
	// hours; the dispute is resolved and M02 confirms the corrected entry.
	xrd := &contribution{member: "M03", project: "P2", kind: "equipment", unit: "machine-hour", unitValue: 85_000,
		valuation: "market-price", desc: "原位X射线衍射仪机时（含夜间自动测试）",
		evidence: evidence("设备使用登记表", "P2/equipment/M03-in-situ-xrd.pdf")}
	q := ledger.NewRatio(420, 1)
	xrd.qty = &q
	rec := p.record(372, xrd)
	claimed := fen(360 * 85_000)
	p.contest(380, rec, xrd.counterparty, "设备管理系统导出记录为360机时，申报机时偏高", &claimed)
	dispute := new(ref)
	p.add(386, actorOf("M03"), func() []ledger.Payload {
		return []ledger.Payload{&ledger.DisputeRaised{Subject: rec.get(), By: "M03",
			Claim:         "申报机时包含夜间无人值守自动测试，设备运行日志可证实共420机时，要求按申报值确认",
			ClaimedAmount: &ledger.Money{Amount: 420 * 85_000, Currency: currency}}}
	}).done = func(first uint64) { dispute.pos = first }
	corrected := *xrd
	q390 := ledger.NewRatio(390, 1)
	corrected.qty = &q390
	correction := new(ref)
	p.add(405, secretariat, func() []ledger.Payload {
		replacement, err := json.Marshal(corrected.payload())
		if err != nil {
			panic(err)
		}
		return []ledger.Payload{&ledger.EntryCorrected{Entry: rec.get(), Replacement: replacement,
			Reason: fmt.Sprintf("第%d号争议：秘书处核查设备运行日志，夜间自动测试中30机时为设备自检，按390机时认定", dispute.get())}}
	}).done = func(first uint64) {
		correction.pos = first
		c := p.t.contribs[rec.get()]
		c.value, c.status = corrected.planValue(), "recorded"
	}
	p.add(410, secretariat, func() []ledger.Payload {
		return []ledger.Payload{&ledger.DisputeResolved{Dispute: dispute.get(), Outcome: "partially-upheld",
			Resolution:  "经秘书处核查设备运行日志，认定有效机时390机时，已更正原记录；双方无异议",
			Adjustments: []uint64{correction.get()}}}
	})
	p.confirm(415, rec, xrd.counterparty, "按更正后的390机时确认")

	// M09 records data to P1 shortly before the project closes; M04 confirms
	// it only after the P1 pool is paid out, which M09 disputes.
	batches := ledger.NewRatio(640, 1)
	late := &contribution{member: "M09", project: "P1", kind: "data", qty: &batches, unit: "batch-record", unitValue: 25_000,
		valuation: "appraisal", desc: "高镍正极表面包覆实验批次数据（结题补充）"}
	p.confirm(dayPayoutP1+15, p.record(880, late), late.counterparty, "结题资料审核完毕后确认")
}
