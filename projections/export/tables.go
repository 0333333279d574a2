package export

import (
	"fmt"
	"math/big"
	"slices"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/projections"
)

// amountHeader names the columns of an Amounts, in amountCells' order.
var amountHeader = []string{
	"confirmed 已确认投入",
	"unconfirmed 未确认投入",
	"contested 有争议投入",
	"funding 经费投入",
	"payouts 分配收益",
	"settled 已结算收益",
	"costs 承担费用",
	"losses 承担损失",
	"net 净投入",
}

// amountCells are an Amounts' columns in major units.
func amountCells(a projections.Amounts) []Cell {
	c := a.Currency
	return []Cell{
		amount(a.Confirmed, c), amount(a.Unconfirmed, c), amount(a.Contested, c),
		amount(a.FundingReceived, c), amount(a.PayoutsReceived, c), amount(a.PayoutsSettled, c),
		amount(a.CostsBorne, c), amount(a.LossesBorne, c), amount(a.Net, c),
	}
}

func row(lead []Cell, rest ...Cell) []Cell { return append(slices.Clip(lead), rest...) }

// Balances renders the member balances view as two tables:
//
//   - "balances": one row per member and currency with the member's
//     totals, then the alliance's own part (member CommonLabel) and one
//     TOTAL row per currency: columns member, name, currency and every
//     amount (confirmed, unconfirmed, contested, funding, payouts, settled,
//     costs, losses, net) in major units;
//   - "balances-by-project": the same by member, project and currency
//     (project "" is the alliance as a whole), then common, then TOTAL.
//
// The TOTAL rows are the view's totals, computed from the entries
// directly: they equal the sum of the member rows and the common rows. A
// member with no amounts at all has no row.
func Balances(b *projections.Balances) []Table {
	totals := Table{
		Name:   "balances",
		Title:  title("Member balances", "成员余额", b.Cut),
		Header: append([]string{"member 成员", "name 名称", "currency 币种"}, amountHeader...),
	}
	byProject := Table{
		Name:   "balances-by-project",
		Title:  title("Member balances by project", "成员分项目余额", b.Cut),
		Header: append([]string{"member 成员", "name 名称", "project 项目", "currency 币种"}, amountHeader...),
	}
	add := func(id, name string, projects []projections.ProjectBalance, tot []projections.Amounts) {
		for _, a := range tot {
			totals.Rows = append(totals.Rows, row([]Cell{text(id), text(name), text(a.Currency)}, amountCells(a)...))
		}
		for _, pb := range projects {
			for _, a := range pb.Amounts {
				byProject.Rows = append(byProject.Rows, row([]Cell{text(id), text(name), text(pb.Project), text(a.Currency)}, amountCells(a)...))
			}
		}
	}
	for _, mb := range b.Members {
		add(mb.Member, mb.Name, mb.Projects, mb.Totals)
	}
	add(CommonLabel, commonName, b.Common.Projects, b.Common.Totals)
	for _, a := range b.Totals {
		totals.Rows = append(totals.Rows, row([]Cell{text(TotalLabel), text(totalName), text(a.Currency)}, amountCells(a)...))
		byProject.Rows = append(byProject.Rows, row([]Cell{text(TotalLabel), text(totalName), text(""), text(a.Currency)}, amountCells(a)...))
	}
	return []Table{totals, byProject}
}

// Statement renders one member's statement from the balances view, as
// three tables named after the member (id M02):
//
//   - "statement-M02": its totals, one row per currency;
//   - "statement-M02-by-project": by project and currency, then TOTAL rows
//     (project TotalLabel);
//   - "statement-M02-by-kind": its contributions by project, currency and
//     kind (confirmed, unconfirmed, contested), then TOTAL rows by kind.
//
// It returns an error wrapping ledger.ErrNotFound when the member is not in
// the view (not admitted as of its position).
func Statement(b *projections.Balances, member string) ([]Table, error) {
	i := slices.IndexFunc(b.Members, func(mb projections.MemberBalance) bool { return mb.Member == member })
	if i < 0 {
		return nil, fmt.Errorf("member %q is not in the balances view as of position %d: %w", member, b.AsOfSeq, ledger.ErrNotFound)
	}
	mb := b.Members[i]
	who := mb.Member
	if mb.Name != "" {
		who += " " + mb.Name
	}
	totals := Table{
		Name:   "statement-" + mb.Member,
		Title:  title("Statement of "+who, "成员对账单："+who, b.Cut),
		Header: append([]string{"currency 币种"}, amountHeader...),
	}
	byProject := Table{
		Name:   "statement-" + mb.Member + "-by-project",
		Title:  title("Statement of "+who+" by project", "成员分项目对账单："+who, b.Cut),
		Header: append([]string{"project 项目", "currency 币种"}, amountHeader...),
	}
	byKind := Table{
		Name:   "statement-" + mb.Member + "-by-kind",
		Title:  title("Contributions of "+who+" by kind", "成员分类型投入："+who, b.Cut),
		Header: []string{"project 项目", "currency 币种", "kind 投入类型", amountHeader[0], amountHeader[1], amountHeader[2]},
	}
	kinds := func(project string, a projections.Amounts) {
		for _, k := range a.ByKind {
			byKind.Rows = append(byKind.Rows, []Cell{text(project), text(a.Currency), text(k.Kind),
				amount(k.Confirmed, a.Currency), amount(k.Unconfirmed, a.Currency), amount(k.Contested, a.Currency)})
		}
	}
	for _, pb := range mb.Projects {
		for _, a := range pb.Amounts {
			byProject.Rows = append(byProject.Rows, row([]Cell{text(pb.Project), text(a.Currency)}, amountCells(a)...))
			kinds(pb.Project, a)
		}
	}
	for _, a := range mb.Totals {
		totals.Rows = append(totals.Rows, row([]Cell{text(a.Currency)}, amountCells(a)...))
		byProject.Rows = append(byProject.Rows, row([]Cell{text(TotalLabel), text(a.Currency)}, amountCells(a)...))
		kinds(TotalLabel, a)
	}
	return []Table{totals, byProject, byKind}, nil
}

// Risk renders the risk shares view as the table "risk": one row per
// project and member with the member's basis (its weighted at-risk
// investment, in major units of the project's currency; a number of
// participants under the "equal" rule), its share of the project exactly
// ("1/3", "0.25") and as a percent with 4 decimals, and the part of the
// project's realized losses it bears; then a TOTAL row per project with
// the project's at-risk total, share 1 (none when nothing is at risk), its
// realized loss and the view's note.
func Risk(r *projections.Risk) Table {
	t := Table{
		Name:  "risk",
		Title: title("Risk shares", "风险分担份额", r.Cut),
		Header: []string{"project 项目", "project name 项目名称", "rule 分担规则", "currency 币种", "member 成员",
			"basis 风险基数", "share (exact) 份额（精确值）", "share % 份额（%）", "loss borne 承担损失", "note 备注"},
	}
	for _, p := range r.Projects {
		basis := func(x ledger.Ratio) Cell {
			if p.Rule == "equal" {
				return exact(x.Rat(), 0)
			}
			e := exponent(p.Currency)
			return exact(new(big.Rat).Quo(x.Rat(), new(big.Rat).SetInt(pow10(e))), e)
		}
		lead := []Cell{text(p.Project), text(p.Name), text(p.Rule), text(p.Currency)}
		for _, s := range p.Shares {
			t.Rows = append(t.Rows, row(lead, text(s.Member), basis(s.Basis), ratio(s.Share), percent(s.Share.Rat()),
				amount(s.LossBorne, p.Currency), text("")))
		}
		share, pct := Cell{}, Cell{}
		if p.AtRisk.Sign() > 0 {
			one := ledger.NewRatio(1, 1)
			share, pct = ratio(one), percent(one.Rat())
		}
		t.Rows = append(t.Rows, row(lead, text(TotalLabel), basis(p.AtRisk), share, pct, amount(p.Loss, p.Currency), text(p.Note)))
	}
	return t
}

// Outputs renders the innovation outputs view: its breakdowns
// "outputs-by-type", "outputs-by-status", "outputs-by-period" (the filing's
// year), "outputs-by-project" and "outputs-by-member", each with the
// columns key, count and weighted (the count weighted by ownership shares,
// exact) and a TOTAL row; "outputs", every cell of the view (member,
// project, type, status, period, count, weighted); and "licence-revenue",
// the licence revenue per asset and currency (asset, title, type,
// currency, amount, entries) with a TOTAL row per currency.
//
// An asset counts once in each breakdown but by member, where it counts
// once for each owner: there the weighted counts sum to the assets.
func Outputs(o *projections.Outputs) []Table {
	var out []Table
	for _, d := range []struct {
		name, en, zh, key string
		totals            []projections.OutputTotal
	}{
		{"outputs-by-type", "Innovation outputs by type", "创新成果按类型统计", "type 类型", o.ByType},
		{"outputs-by-status", "Innovation outputs by status", "创新成果按状态统计", "status 状态", o.ByStatus},
		{"outputs-by-period", "Innovation outputs by year filed", "创新成果按申请年度统计", "period 年度", o.ByPeriod},
		{"outputs-by-project", "Innovation outputs by project", "创新成果按项目统计", "project 项目", o.ByProject},
		{"outputs-by-member", "Innovation outputs by owner", "创新成果按权利人统计", "member 成员", o.ByMember},
	} {
		t := Table{Name: d.name, Title: title(d.en, d.zh, o.Cut), Header: []string{d.key, "count 数量", "weighted 按份额加权数量"}}
		var n int64
		w := new(big.Rat)
		for _, x := range d.totals {
			t.Rows = append(t.Rows, []Cell{text(x.Key), count(int64(x.Count)), ratio(x.Weighted)})
			n += int64(x.Count)
			w.Add(w, x.Weighted.Rat())
		}
		t.Rows = append(t.Rows, []Cell{text(TotalLabel), count(n), ratio(ledger.RatioOf(w))})
		out = append(out, t)
	}

	cells := Table{
		Name:  "outputs",
		Title: title("Innovation outputs", "创新成果明细", o.Cut),
		Header: []string{"member 成员", "project 项目", "type 类型", "status 状态", "period 年度",
			"count 数量", "weighted 按份额加权数量"},
	}
	for _, c := range o.Cells {
		cells.Rows = append(cells.Rows, []Cell{text(c.Member), text(c.Project), text(c.Type), text(c.Status), text(c.Period),
			count(int64(c.Count)), ratio(c.Weighted)})
	}
	out = append(out, cells)

	rev := Table{
		Name:  "licence-revenue",
		Title: title("Licence revenue by asset", "知识产权许可收入按资产统计", o.Cut),
		Header: []string{"asset 资产", "title 名称", "type 类型", "currency 币种",
			"amount 金额", "entries 笔数"},
	}
	type sum struct {
		amount  int64
		entries int64
	}
	sums := map[string]*sum{}
	for _, r := range o.Revenue {
		rev.Rows = append(rev.Rows, []Cell{text(r.Asset), text(r.Title), text(r.Type), text(r.Currency),
			amount(r.Amount, r.Currency), count(int64(r.Entries))})
		s := sums[r.Currency]
		if s == nil {
			s = &sum{}
			sums[r.Currency] = s
		}
		s.amount += r.Amount
		s.entries += int64(r.Entries)
	}
	for _, c := range sortedKeys(sums) {
		rev.Rows = append(rev.Rows, []Cell{text(TotalLabel), text(totalName), text(""), text(c),
			amount(sums[c].amount, c), count(sums[c].entries)})
	}
	return append(out, rev)
}

// Payouts renders every payout and adjustment recorded at or before
// position n (0: the model's last) as the table "payouts": one row per
// allocation, with the pool, the payout's position, the payout it adjusts
// (for an adjustment, whose amounts are deltas and may be negative) and
// the dispute behind it, the method, the position it was computed at, the
// member, the currency, the amount in major units, whether it is settled
// ("yes" or "no") and the position of its reversal, if reversed by n. An
// adjustment has no method of its own: its method column is empty. A
// payout with no allocation has one row with no member.
func Payouts(m *projections.Model, n uint64) (Table, error) {
	if n > m.Last() {
		return Table{}, fmt.Errorf("position %d is beyond the log's last position %d", n, m.Last())
	}
	if n == 0 {
		n = m.Last()
	}
	t := Table{
		Name:  "payouts",
		Title: title("Payouts and adjustments", "收益分配及调整", projections.Cut{Alliance: m.Alliance, AsOfSeq: n}),
		Header: []string{"pool 收益池", "payout position 分配记录号", "adjusts 所调整的分配", "dispute 争议记录号",
			"method 方法", "computed_at 计算依据位置", "member 成员", "currency 币种", "amount 金额",
			"settled 已结算", "reversed 冲销记录号"},
	}
	for _, id := range m.PoolIDs(n) {
		pool, err := m.Pool(id, n)
		if err != nil {
			return Table{}, err
		}
		for _, p := range pool.Payouts {
			settled := "no"
			if p.Settled {
				settled = "yes"
			}
			lead := []Cell{text(pool.ID), position(p.Seq), position(p.Adjusts), position(p.Dispute), text(p.Method), position(p.ComputedAt)}
			tail := []Cell{text(settled), position(p.Reversed)}
			if len(p.Amounts) == 0 {
				t.Rows = append(t.Rows, row(row(lead, text(""), text(pool.Amount.Currency), Cell{}), tail...))
			}
			for _, a := range p.Amounts {
				t.Rows = append(t.Rows, row(row(lead, text(a.Member), text(a.Amount.Currency), amount(a.Amount.Amount, a.Amount.Currency)), tail...))
			}
		}
	}
	return t, nil
}

func sortedKeys[V any](mp map[string]V) []string {
	keys := make([]string, 0, len(mp))
	for k := range mp {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
