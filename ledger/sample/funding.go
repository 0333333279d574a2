package sample

import (
	"encoding/json"
	"fmt"
	"math/big"
	"sort"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/projections/sharing"
)

// Funding.

var duesWan = map[string]int64{"chair": 20, "vice-chair": 10, "council": 5, "ordinary": 2}

type grant struct {
	day            int
	source, payer  string
	member         string
	wan            int64
	project, ref   string
	evidenceTitle  string
	referenceIsFmt bool // ref holds a %d for the year
}

var grants = []grant{
	{day: 55, source: "government-grant", payer: "浙江省科学技术厅（省重点研发计划）", wan: 400, project: "P1", ref: "%dC01%03d", referenceIsFmt: true, evidenceTitle: "项目任务书"},
	{day: 75, source: "matching-funds", member: "M04", wan: 400, project: "P1", ref: "省重点研发计划1:1配套资金"},
	{day: 150, source: "government-grant", payer: "科学技术部（国家重点研发计划“新能源汽车”重点专项）", wan: 1500, project: "P2", ref: "%dYFB25%05d", referenceIsFmt: true, evidenceTitle: "项目任务书（首期拨款）"},
	{day: 170, source: "matching-funds", member: "M02", wan: 1500, project: "P2", ref: "国家重点研发计划1:1配套资金"},
	{day: 230, source: "government-grant", payer: "江苏省科学技术厅（省碳达峰碳中和科技创新专项）", wan: 300, project: "P3", ref: "BE%d%03d", referenceIsFmt: true, evidenceTitle: "项目任务书"},
	{day: 360, source: "government-grant", payer: "上海市科学技术委员会（科技创新行动计划）", wan: 250, project: "P4", ref: "%dDZ11%04d", referenceIsFmt: true, evidenceTitle: "项目任务书"},
	{day: 380, source: "matching-funds", member: "M06", wan: 250, project: "P4", ref: "市科技创新行动计划配套资金"},
	{day: 480, source: "government-grant", payer: "江苏省科学技术厅（产业技术创新战略联盟建设绩效奖励）", wan: 100, ref: "联盟年度考核优秀"},
	{day: 520, source: "government-grant", payer: "科学技术部（国家重点研发计划“新能源汽车”重点专项）", wan: 1000, project: "P2", ref: "中期评估后第二期拨款", evidenceTitle: "中期评估结论及拨款通知"},
	{day: 540, source: "licensing-revenue", payer: "华南某电池材料企业", wan: 150, project: "P1", ref: "技术秘密许可合同（高镍前驱体工艺诀窍）", evidenceTitle: "技术秘密许可合同"},
	{day: 700, source: "government-grant", payer: "安徽省科学技术厅（科技攻关“揭榜挂帅”项目）", wan: 200, project: "P5", ref: "%d%05d", referenceIsFmt: true, evidenceTitle: "揭榜挂帅项目合同"},
	{day: 710, source: "licensing-revenue", payer: "某梯次利用储能企业", wan: 60, project: "P3", ref: "专有技术许可合同（退役电池快速分选）"},
	{day: 800, source: "external-investment", payer: "长三角某新能源产业投资基金（有限合伙）", wan: 2000, project: "P2", ref: "全固态电池中试线联合投资协议", evidenceTitle: "联合投资协议"},
}

var serviceClients = []string{
	"某整车企业（委托检测）", "某储能电站运营商（电池健康评估服务）", "某电池材料企业（分析测试服务）",
	"某地市场监督管理局（产品质量抽检）", "某两轮车电池企业（安全认证预测试）",
}

func (p *planner) funding() {
	// Member dues, by role, early in each alliance year; a member admitted
	// during the year pays on admission.
	for y := range 3 {
		for _, m := range roster {
			if m.admitDay >= 365*(y+1) {
				continue
			}
			d := 20 + 365*y + p.rng.IntN(40)
			if m.admitDay > 365*y {
				d = m.admitDay + 10 + p.rng.IntN(10)
			}
			if !m.activeOn(d) {
				continue
			}
			p.add1(d, secretariat, &ledger.FundingReceived{Source: "member-dues", Payer: m.name, Member: m.id,
				Amount: wan(duesWan[roleOn(m.id, d)]), Reference: fmt.Sprintf("联盟第%d年度会费", y+1)})
		}
	}

	for _, g := range grants {
		f := &ledger.FundingReceived{Source: g.source, Payer: g.payer, Member: g.member, Amount: wan(g.wan), Project: g.project, Reference: g.ref}
		if g.member != "" {
			f.Payer = memberByID(g.member).name
		}
		if g.referenceIsFmt {
			f.Reference = fmt.Sprintf(g.ref, p.year(g.day), p.rng.IntN(1000))
		}
		if g.evidenceTitle != "" {
			f.Evidence = evidence(g.evidenceTitle, fmt.Sprintf("funding/day%04d.pdf", g.day))
		}
		p.add1(g.day, secretariat, f)
	}

	// Service revenue of the alliance's shared testing platform.
	n := 0
	for d := 180 + p.rng.IntN(20); d <= lastDay; d += 75 + p.rng.IntN(30) {
		n++
		amount := p.between(150_000, 900_000, 1) * 100
		f := &ledger.FundingReceived{Source: "service-revenue", Payer: p.pick(serviceClients), Amount: fen(amount),
			Reference: fmt.Sprintf("YD-JS-%d-%03d", p.year(d), n)}
		day := d
		p.add(d, secretariat, func() []ledger.Payload { return []ledger.Payload{f} }).done = func(uint64) {
			if day >= 730 {
				p.t.serviceY3 += amount
			}
		}
	}
}

// Benefit pools.

const (
	dayPoolP1         = 905
	dayPayoutP1       = 925
	dayPayoutDisputed = 935
	dayPayoutResolved = 950
	dayPayoutSettled  = 960
	dayPool2          = 1050

	poolP1 = "POOL-P1-LICENSING"
	pool2  = "POOL-Y3-SERVICES"
)

// payoutInputs records what the P1 payout was computed from.
type payoutInputs struct {
	Basis            string                  `json:"basis"`
	Project          string                  `json:"project"`
	AsOf             uint64                  `json:"as_of"`
	AgreementVersion int                     `json:"agreement_version"`
	KindWeights      map[string]ledger.Ratio `json:"kind_weights"`
	Contributions    []uint64                `json:"contributions"`
	WeightedFen      map[string]ledger.Ratio `json:"weighted_fen"`
	Rounding         string                  `json:"rounding"`
}

// proportional shares amount among members in proportion to their weights,
// as the proportional method does (sharing.Apportion: floors, then the fen
// left over to the largest remainders, ties to the smaller member id).
func proportional(amount int64, weights map[string]*big.Rat) []ledger.Allocation {
	ids := make([]string, 0, len(weights))
	for id, w := range weights {
		if w.Sign() > 0 {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	ws := make([]*big.Rat, len(ids))
	for i, id := range ids {
		ws[i] = weights[id]
	}
	amounts, _, err := sharing.Apportion(amount, ws)
	if err != nil {
		panic(err)
	}
	out := make([]ledger.Allocation, len(ids))
	for i, id := range ids {
		out[i] = ledger.Allocation{Member: id, Amount: fen(amounts[i])}
	}
	return out
}

func (p *planner) pools() {
	var amountP1 int64
	p.add(dayPoolP1, secretariat, func() []ledger.Payload {
		amountP1 = p.t.licence["P1"]
		return []ledger.Payload{&ledger.PoolDeclared{Pool: poolP1, Amount: fen(amountP1), Project: "P1",
			Source: "P1成果许可收入（高镍正极前驱体专利及反应釜实用新型许可费）", Period: fmt.Sprint(p.year(dayPoolP1))}}
	})

	payout := new(ref)
	p.add(dayPayoutP1, secretariat, func() []ledger.Payload {
		asOf := p.t.seq
		positions := make([]uint64, 0)
		for pos, c := range p.t.contribs {
			if c.project == "P1" && c.status == "confirmed" {
				positions = append(positions, pos)
			}
		}
		sort.Slice(positions, func(i, j int) bool { return positions[i] < positions[j] })
		weights := map[string]*big.Rat{}
		for _, pos := range positions {
			c := p.t.contribs[pos]
			if weights[c.member] == nil {
				weights[c.member] = new(big.Rat)
			}
			w := p.t.kindWeights[c.kind].Rat()
			weights[c.member].Add(weights[c.member], w.Mul(w, new(big.Rat).SetInt64(c.value)))
		}
		weighted := map[string]ledger.Ratio{}
		for id, w := range weights {
			weighted[id] = ledger.MustRatio(w.RatString())
		}
		inputs, err := json.Marshal(payoutInputs{
			Basis:            "confirmed contributions to the project as of the position, weighted by the agreement's kind weights",
			Project:          "P1",
			AsOf:             asOf,
			AgreementVersion: p.t.agreement,
			KindWeights:      p.t.kindWeights,
			Contributions:    positions,
			WeightedFen:      weighted,
			Rounding:         "floor to the fen, remaining fen one each to the largest remainders, ties to the smaller member id",
		})
		if err != nil {
			panic(err)
		}
		return []ledger.Payload{&ledger.PayoutCommitted{Pool: poolP1, Method: "proportional", ComputedAt: asOf,
			Inputs: inputs, Allocations: proportional(amountP1, weights)}}
	}).done = func(first uint64) { payout.pos = first }

	dispute := new(ref)
	p.add(dayPayoutDisputed, actorOf("M09"), func() []ledger.Payload {
		return []ledger.Payload{&ledger.DisputeRaised{Subject: payout.get(), By: "M09",
			Claim: "本所在P1结题前录入的表面包覆实验批次数据在计算时点尚未确认，未计入分配基数，要求补计后重新分配"}}
	}).done = func(first uint64) { dispute.pos = first }
	p.add(dayPayoutResolved, secretariat, func() []ledger.Payload {
		return []ledger.Payload{&ledger.DisputeResolved{Dispute: dispute.get(), Outcome: "rejected",
			Resolution: "依联盟协议，收益池按计算时点已确认的投入分配；该笔数据投入在计算时点尚未确认，计入下一期分配基数，本期分配维持不变（理事会秘书处会议纪要）"}}
	})
	p.add(dayPayoutSettled, secretariat, func() []ledger.Payload {
		return []ledger.Payload{&ledger.PayoutSettled{Payout: payout.get(), Reference: fmt.Sprintf("联盟共管账户付款批次 %d-PAY-007", p.year(dayPayoutSettled))}}
	})

	var amount2 int64
	p.add(dayPool2, secretariat, func() []ledger.Payload {
		amount2 = p.t.serviceY3 * 6 / 10
		return []ledger.Payload{&ledger.PoolDeclared{Pool: pool2, Amount: fen(amount2),
			Source: "联盟公共检测平台第三年度技术服务收入结余（按理事会决议提取60%）", Period: fmt.Sprint(p.year(dayPool2)),
			Members: pool2Members}}
	})
	p.sharedPool(func() int64 { return amount2 })
}
