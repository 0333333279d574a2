package sample

import (
	"fmt"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/projections/sharing"
)

// The services pool is shared by the Shapley value of coalition values an
// expert panel assessed; one member disputes the assessment, the panel
// revalues one synergy, and the payout is adjusted.
const (
	dayAssessPool2   = 1055
	dayPayoutPool2   = 1062
	dayDisputePool2  = 1068
	dayReassessPool2 = 1076
	dayAdjustPool2   = 1082
)

// pool2Members share the services pool: the members running the public
// testing platform. Sorted: the order of the players.
var pool2Members = []string{"M02", "M03", "M05", "M06", "M10"}

// pool2Game returns the assessed coalitions of the services pool: each
// member alone, each pair's synergy, and the grand coalition at the pool's
// amount, in parts per thousand of it. extra raises the M05–M10 pair.
func pool2Game(amount int64, extra int64) []ledger.CoalitionValue {
	alone := map[string]int64{"M02": 120, "M03": 100, "M05": 80, "M06": 90, "M10": 50}
	type pair struct {
		a, b string
		ppt  int64
	}
	synergy := []pair{
		{"M02", "M03", 40}, {"M02", "M05", 25}, {"M02", "M06", 30}, {"M02", "M10", 10},
		{"M03", "M05", 35}, {"M03", "M06", 20}, {"M03", "M10", 15},
		{"M05", "M06", 20}, {"M05", "M10", 30 + extra}, {"M06", "M10", 15},
	}
	part := func(ppt int64) ledger.Money { return fen(amount * ppt / 1000) }
	var out []ledger.CoalitionValue
	for _, id := range pool2Members {
		out = append(out, ledger.CoalitionValue{Members: []string{id}, Value: part(alone[id])})
	}
	for _, s := range synergy {
		out = append(out, ledger.CoalitionValue{Members: []string{s.a, s.b}, Value: part(alone[s.a] + alone[s.b] + s.ppt)})
	}
	return append(out, ledger.CoalitionValue{Members: pool2Members, Value: fen(amount)})
}

// shapleyAmounts shares amount by the exact Shapley value of the assessed
// coalitions, as the shapley method does: the values are split in
// proportion, largest remainder, ties to the smaller member id.
func shapleyAmounts(amount int64, coalitions []ledger.CoalitionValue) map[string]int64 {
	idx := map[string]int{}
	for i, id := range pool2Members {
		idx[id] = i
	}
	terms := make([]sharing.Assessed, len(coalitions))
	for i, c := range coalitions {
		terms[i].Value = c.Value.Amount
		for _, id := range c.Members {
			terms[i].Members = append(terms[i].Members, idx[id])
		}
	}
	g, err := sharing.NewGame(len(pool2Members), terms)
	if err != nil {
		panic(err)
	}
	sh, err := sharing.ShapleyExact(g)
	if err != nil {
		panic(err)
	}
	amounts, _, err := sharing.Apportion(amount, sh.Values)
	if err != nil {
		panic(err)
	}
	out := map[string]int64{}
	for i, id := range pool2Members {
		out[id] = amounts[i]
	}
	return out
}

func (p *planner) sharedPool(amount func() int64) {
	p.add(dayAssessPool2, secretariat, func() []ledger.Payload {
		return []ledger.Payload{&ledger.PoolAssessed{Pool: pool2, Assessor: "联盟专家委员会", Method: "expert-panel",
			Basis: "按各成员单独承接检测服务的可得收入及两两合作的增量收入评估（千分比）", Players: pool2Members,
			Coalitions: pool2Game(amount(), 0)}}
	})
	payout := new(ref)
	var committed map[string]int64
	p.add(dayPayoutPool2, secretariat, func() []ledger.Payload {
		committed = shapleyAmounts(amount(), pool2Game(amount(), 0))
		pl := &ledger.PayoutCommitted{Pool: pool2, Method: "shapley", ComputedAt: p.t.seq}
		for _, id := range pool2Members {
			pl.Allocations = append(pl.Allocations, ledger.Allocation{Member: id, Amount: fen(committed[id])})
		}
		return []ledger.Payload{pl}
	}).done = func(first uint64) { payout.pos = first }
	dispute := new(ref)
	p.add(dayDisputePool2, actorOf("M10"), func() []ledger.Payload {
		return []ledger.Payload{&ledger.DisputeRaised{Subject: payout.get(), By: "M10",
			Claim: "评估低估了本单位检测数据与M05平台联合服务的协同收入，请专家委员会复核该组合的评估值"}}
	}).done = func(first uint64) { dispute.pos = first }
	p.add(dayReassessPool2, secretariat, func() []ledger.Payload {
		return []ledger.Payload{&ledger.PoolAssessed{Pool: pool2, Assessor: "联盟专家委员会", Method: "expert-panel",
			Basis: "复核：M05与M10联合检测服务的协同收入由千分之三十调整为千分之四十五，其余不变", Players: pool2Members,
			Coalitions: pool2Game(amount(), 15)}}
	})
	p.add(dayAdjustPool2, secretariat, func() []ledger.Payload {
		now := shapleyAmounts(amount(), pool2Game(amount(), 15))
		adj := &ledger.PayoutAdjusted{Payout: payout.get(), Dispute: dispute.get(), ComputedAt: p.t.seq,
			Reason: "按专家委员会复核后的评估值重新计算夏普利值，补足差额"}
		for _, id := range pool2Members {
			if d := now[id] - committed[id]; d != 0 {
				adj.Adjustments = append(adj.Adjustments, ledger.Allocation{Member: id, Amount: fen(d)})
			}
		}
		return []ledger.Payload{adj, &ledger.DisputeResolved{Dispute: dispute.get(), Outcome: "partially-upheld",
			Resolution: fmt.Sprintf("复核后按新评估值调整分配（%d 家成员金额变动），评估方法不变", len(adj.Adjustments))}}
	})
}
