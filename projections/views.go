package projections

import (
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
)

// Query says which state of the log a view shows.
type Query struct {
	// Seq is the position the view is as of; 0 means the model's last.
	Seq uint64
	// From and To bound business time (occurred_at): a view counts the
	// entries that occurred in [From, To). Zero leaves that side open.
	From, To time.Time
}

// Cut is the state a view shows, as reported with it.
type Cut struct {
	Alliance string     `json:"alliance"`
	AsOfSeq  uint64     `json:"as_of_seq"`
	From     *time.Time `json:"from,omitempty"`
	To       *time.Time `json:"to,omitempty"`
}

func (m *Model) cut(q Query) (Cut, uint64, error) {
	n := q.Seq
	if n == 0 || n > m.last {
		if n > m.last {
			return Cut{}, 0, fmt.Errorf("position %d is beyond the log's last position %d", n, m.last)
		}
		n = m.last
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return Cut{}, 0, fmt.Errorf("period from %s to %s is empty", q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	}
	c := Cut{Alliance: m.Alliance, AsOfSeq: n}
	if !q.From.IsZero() {
		f := q.From.In(m.loc)
		c.From = &f
	}
	if !q.To.IsZero() {
		t := q.To.In(m.loc)
		c.To = &t
	}
	return c, n, nil
}

// inPeriod reports whether business time ns falls in the query's period.
func (q Query) inPeriod(ns int64) bool {
	if !q.From.IsZero() && ns < q.From.UnixNano() {
		return false
	}
	if !q.To.IsZero() && ns >= q.To.UnixNano() {
		return false
	}
	return true
}

// live calls fn for each money entry recorded by position n, not reversed
// by n, that occurred in the query's period, with its facts in force at n.
func (m *Model) live(n uint64, q Query, fn func(e *entry, v *version)) {
	end, _ := slices.BinarySearchFunc(m.entries, n+1, func(e *entry, s uint64) int {
		switch {
		case e.Seq < s:
			return -1
		case e.Seq > s:
			return 1
		}
		return 0
	})
	for _, e := range m.entries[:end] {
		if e.reversedAt(n) || !q.inPeriod(e.Occurred) {
			continue
		}
		fn(e, e.at(n))
	}
}

// ---- Member balances ----

// KindAmounts is what was contributed of one kind, by status.
type KindAmounts struct {
	Kind        string `json:"kind"`
	Confirmed   int64  `json:"confirmed"`
	Unconfirmed int64  `json:"unconfirmed"` // recorded, not yet confirmed
	Contested   int64  `json:"contested"`
}

// Amounts are a balance in one currency, in minor units.
//
// Net is what the member put in and has not had back: confirmed
// contributions + funding it paid + costs it bore − payouts received −
// losses it bears. Unconfirmed and contested contributions are shown but
// not counted in Net until they are confirmed.
type Amounts struct {
	Currency        string        `json:"currency"`
	ByKind          []KindAmounts `json:"by_kind,omitempty"`
	Confirmed       int64         `json:"contributed_confirmed"`
	Unconfirmed     int64         `json:"contributed_unconfirmed"`
	Contested       int64         `json:"contributed_contested"`
	FundingReceived int64         `json:"funding_received"`
	PayoutsReceived int64         `json:"payouts_received"`
	PayoutsSettled  int64         `json:"payouts_settled"`
	CostsBorne      int64         `json:"costs_borne"`
	LossesBorne     int64         `json:"losses_borne"`
	Net             int64         `json:"net"`
}

func (a *Amounts) kind(k string) *KindAmounts {
	for i := range a.ByKind {
		if a.ByKind[i].Kind == k {
			return &a.ByKind[i]
		}
	}
	a.ByKind = append(a.ByKind, KindAmounts{Kind: k})
	return &a.ByKind[len(a.ByKind)-1]
}

func (a *Amounts) add(b *Amounts) {
	for _, k := range b.ByKind {
		ka := a.kind(k.Kind)
		ka.Confirmed += k.Confirmed
		ka.Unconfirmed += k.Unconfirmed
		ka.Contested += k.Contested
	}
	a.Confirmed += b.Confirmed
	a.Unconfirmed += b.Unconfirmed
	a.Contested += b.Contested
	a.FundingReceived += b.FundingReceived
	a.PayoutsReceived += b.PayoutsReceived
	a.PayoutsSettled += b.PayoutsSettled
	a.CostsBorne += b.CostsBorne
	a.LossesBorne += b.LossesBorne
	a.Net += b.Net
}

func (a *Amounts) finish() {
	slices.SortFunc(a.ByKind, func(x, y KindAmounts) int { return kindOrder(x.Kind) - kindOrder(y.Kind) })
	a.Net = a.Confirmed + a.FundingReceived + a.CostsBorne - a.PayoutsReceived - a.LossesBorne
}

func kindOrder(k string) int {
	if i := slices.Index(ledger.ContributionKinds, k); i >= 0 {
		return i
	}
	return len(ledger.ContributionKinds)
}

// ProjectBalance is a member's balance in one project ("" is the alliance
// as a whole, outside any project).
type ProjectBalance struct {
	Project string    `json:"project"`
	Amounts []Amounts `json:"amounts"` // one per currency, sorted
}

// MemberBalance is one member's statement.
type MemberBalance struct {
	Member   string           `json:"member"`
	Name     string           `json:"name"`
	Kind     string           `json:"kind"`
	Role     string           `json:"role"`
	Active   bool             `json:"active"`
	Projects []ProjectBalance `json:"projects"`
	Totals   []Amounts        `json:"totals"`
}

// Balances is the member balances view. Common holds what is the alliance's
// own rather than a member's: funding from outside, costs paid from common
// funds, losses of projects with no at-risk investment. Totals are computed
// from the entries directly; they equal the members' totals plus Common.
type Balances struct {
	Cut
	Members []MemberBalance `json:"members"`
	Common  ProjectsTotals  `json:"common"`
	Totals  []Amounts       `json:"totals"`
}

// ProjectsTotals is a balance by project with its totals.
type ProjectsTotals struct {
	Projects []ProjectBalance `json:"projects"`
	Totals   []Amounts        `json:"totals"`
}

type balanceKey struct{ member, project, currency string }

// Balances computes member balances for the query.
func (m *Model) Balances(q Query) (*Balances, error) {
	cut, n, err := m.cut(q)
	if err != nil {
		return nil, err
	}
	cells := map[balanceKey]*Amounts{}
	cell := func(member, project, currency string) *Amounts {
		k := balanceKey{member, project, currency}
		a := cells[k]
		if a == nil {
			a = &Amounts{Currency: currency}
			cells[k] = a
		}
		return a
	}
	totals := map[string]*Amounts{}
	total := func(currency string) *Amounts {
		a := totals[currency]
		if a == nil {
			a = &Amounts{Currency: currency}
			totals[currency] = a
		}
		return a
	}
	losses := map[string]map[string]int64{} // project -> currency -> amount
	m.live(n, q, func(e *entry, v *version) {
		switch e.Kind {
		case kindContribution:
			c, t := cell(v.Member, v.Project, v.Currency), total(v.Currency)
			for _, a := range []*Amounts{c, t} {
				k := a.kind(v.Kind)
				switch e.status(n, StatusRecorded) {
				case StatusConfirmed:
					k.Confirmed += v.Amount
					a.Confirmed += v.Amount
				case StatusContested:
					k.Contested += v.Amount
					a.Contested += v.Amount
				default:
					k.Unconfirmed += v.Amount
					a.Unconfirmed += v.Amount
				}
			}
		case kindFunding:
			cell(v.Member, v.Project, v.Currency).FundingReceived += v.Amount
			total(v.Currency).FundingReceived += v.Amount
		case kindCost:
			cell(v.Member, v.Project, v.Currency).CostsBorne += v.Amount
			total(v.Currency).CostsBorne += v.Amount
		case kindLoss:
			if losses[v.Project] == nil {
				losses[v.Project] = map[string]int64{}
			}
			losses[v.Project][v.Currency] += v.Amount
			total(v.Currency).LossesBorne += v.Amount
		case kindPayout:
			settled := e.status(n, "") == StatusSettled
			for _, al := range v.Allocs {
				cell(al.Member, v.Project, v.Currency).PayoutsReceived += al.Amount.Amount
				if settled {
					cell(al.Member, v.Project, v.Currency).PayoutsSettled += al.Amount.Amount
				}
			}
			total(v.Currency).PayoutsReceived += v.Amount
			if settled {
				total(v.Currency).PayoutsSettled += v.Amount
			}
		}
	})
	// Losses are borne by the project's risk shares as of n (over the
	// project's whole history, whatever the period); a project with no
	// at-risk investment leaves its losses with the alliance.
	var bases map[string]*riskBase
	if len(losses) > 0 {
		bases = m.riskBases(n, Query{})
	}
	for _, pid := range sortedKeys(losses) {
		var shares []RiskShare
		if pr := m.projects[pid]; pr != nil && pid != "" {
			shares = m.projectRiskFrom(pr, n, Query{}, bases[pid]).Shares
		}
		for _, cur := range sortedKeys(losses[pid]) {
			amt := losses[pid][cur]
			parts := splitByShares(amt, shares)
			if parts == nil {
				cell("", pid, cur).LossesBorne += amt
				continue
			}
			for i, s := range shares {
				if parts[i] != 0 {
					cell(s.Member, pid, cur).LossesBorne += parts[i]
				}
			}
		}
	}

	b := &Balances{Cut: cut, Members: []MemberBalance{}, Common: ProjectsTotals{Projects: []ProjectBalance{}, Totals: []Amounts{}}}
	byMember := map[string]map[string][]*Amounts{} // member -> project -> amounts
	for k, a := range cells {
		if byMember[k.member] == nil {
			byMember[k.member] = map[string][]*Amounts{}
		}
		byMember[k.member][k.project] = append(byMember[k.member][k.project], a)
	}
	build := func(projects map[string][]*Amounts) ([]ProjectBalance, []Amounts) {
		pbs := []ProjectBalance{}
		tot := map[string]*Amounts{}
		for _, pid := range sortedKeys(projects) {
			as := projects[pid]
			slices.SortFunc(as, func(x, y *Amounts) int { return cmpString(x.Currency, y.Currency) })
			pb := ProjectBalance{Project: pid}
			for _, a := range as {
				a.finish()
				pb.Amounts = append(pb.Amounts, *a)
				t := tot[a.Currency]
				if t == nil {
					t = &Amounts{Currency: a.Currency}
					tot[a.Currency] = t
				}
				t.add(a)
			}
			pbs = append(pbs, pb)
		}
		return pbs, finishAll(tot)
	}
	for _, id := range sortedKeys(m.members) {
		mb := m.members[id]
		if mb.Admitted > n {
			continue
		}
		r, _ := mb.at(n)
		mbal := MemberBalance{Member: id, Name: mb.Name, Kind: r.Kind, Role: r.Role, Active: r.Active}
		mbal.Projects, mbal.Totals = build(byMember[id])
		b.Members = append(b.Members, mbal)
	}
	b.Common.Projects, b.Common.Totals = build(byMember[""])
	b.Totals = finishAll(totals)
	return b, nil
}

func finishAll(mp map[string]*Amounts) []Amounts {
	out := []Amounts{}
	for _, c := range sortedKeys(mp) {
		a := mp[c]
		a.finish()
		out = append(out, *a)
	}
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ---- Risk shares ----

// RiskShare is one member's share of a project's at-risk investment.
type RiskShare struct {
	Member string `json:"member"`
	// Basis is the member's weighted at-risk investment under the rule, in
	// minor units (exact; a fraction when coefficients are fractional).
	Basis ledger.Ratio `json:"basis"`
	// Share is Basis over the project's total, exact; the shares of a
	// project sum to exactly 1.
	Share ledger.Ratio `json:"share"`
	// LossBorne is the member's part of the project's realized losses.
	LossBorne int64 `json:"loss_borne"`
}

// ProjectRisk is one project's risk shares.
type ProjectRisk struct {
	Project          string       `json:"project"`
	Name             string       `json:"name"`
	Closed           bool         `json:"closed"`
	ClosedAt         uint64       `json:"closed_at,omitempty"`
	Rule             string       `json:"rule"`
	AgreementVersion int          `json:"agreement_version"`
	Coefficients     []KindWeight `json:"coefficients,omitempty"`
	Currency         string       `json:"currency"`
	AtRisk           ledger.Ratio `json:"at_risk"` // the sum of the bases
	Loss             int64        `json:"loss"`    // realized losses
	Shares           []RiskShare  `json:"shares"`
	// Note says why a project has no shares.
	Note string `json:"note,omitempty"`
}

// KindWeight is a coefficient of the risk rule.
type KindWeight struct {
	Kind   string       `json:"kind"`
	Weight ledger.Ratio `json:"weight"`
}

// Risk is the risk shares view.
type Risk struct {
	Cut
	Projects []ProjectRisk `json:"projects"`
}

// Risk computes every project's risk shares for the query.
func (m *Model) Risk(q Query) (*Risk, error) {
	cut, n, err := m.cut(q)
	if err != nil {
		return nil, err
	}
	r := &Risk{Cut: cut, Projects: []ProjectRisk{}}
	bases := m.riskBases(n, q)
	for _, id := range sortedKeys(m.projects) {
		pr := m.projects[id]
		if pr.Opened > n {
			continue
		}
		r.Projects = append(r.Projects, m.projectRiskFrom(pr, n, q, bases[id]))
	}
	return r, nil
}

// Project returns one project's risk shares for the query.
func (m *Model) ProjectRisk(id string, q Query) (*ProjectRisk, error) {
	_, n, err := m.cut(q)
	if err != nil {
		return nil, err
	}
	pr := m.projects[id]
	if pr == nil || pr.Opened > n {
		return nil, fmt.Errorf("project %q is not opened at position %d", id, n)
	}
	r := m.projectRisk(pr, n, q)
	return &r, nil
}

func (m *Model) projectRisk(pr *project, n uint64, q Query) ProjectRisk {
	return m.projectRiskFrom(pr, n, q, m.riskBases(n, q)[pr.ID])
}

// riskBases sums, per project, member and kind, the confirmed contributions
// recorded before the project closed, and the project's losses.
type riskBase struct {
	byMember map[string]map[string]int64 // member -> kind -> amount
	loss     int64
	currency string
}

func (m *Model) riskBases(n uint64, q Query) map[string]*riskBase {
	out := map[string]*riskBase{}
	get := func(pid string) *riskBase {
		b := out[pid]
		if b == nil {
			b = &riskBase{byMember: map[string]map[string]int64{}}
			out[pid] = b
		}
		return b
	}
	m.live(n, q, func(e *entry, v *version) {
		if v.Project == "" {
			return
		}
		switch e.Kind {
		case kindContribution:
			pr := m.projects[v.Project]
			if pr.closedAt(n) && e.Seq > pr.Closed {
				return
			}
			if e.status(n, StatusRecorded) != StatusConfirmed {
				return
			}
			b := get(v.Project)
			if b.byMember[v.Member] == nil {
				b.byMember[v.Member] = map[string]int64{}
			}
			b.byMember[v.Member][v.Kind] += v.Amount
			b.currency = v.Currency
		case kindLoss:
			b := get(v.Project)
			b.loss += v.Amount
		}
	})
	return out
}

func (m *Model) projectRiskFrom(pr *project, n uint64, q Query, base *riskBase) ProjectRisk {
	ag, _ := m.agreementAt(n)
	rule := ag.Risk.Rule
	if rule == "" {
		rule = "contribution"
	}
	res := ProjectRisk{Project: pr.ID, Name: pr.Name, Rule: rule, AgreementVersion: ag.Version,
		Currency: m.info.BaseCurrency, Shares: []RiskShare{}}
	if pr.closedAt(n) {
		res.Closed, res.ClosedAt = true, pr.Closed
	}
	if base == nil {
		base = &riskBase{byMember: map[string]map[string]int64{}}
	}
	res.Loss = base.loss
	parts := pr.participants(n)
	basis := map[string]*big.Rat{}
	switch rule {
	case "budget":
		for _, pt := range parts {
			basis[pt.Member] = new(big.Rat).SetInt64(pt.Budget.Amount)
		}
	case "equal":
		for _, pt := range parts {
			basis[pt.Member] = big.NewRat(1, 1)
		}
	default:
		for _, k := range sortedKeys(ag.Risk.Coefficients) {
			res.Coefficients = append(res.Coefficients, KindWeight{Kind: k, Weight: ag.Risk.Coefficients[k]})
		}
		for _, pt := range parts {
			basis[pt.Member] = new(big.Rat)
		}
		for mid, kinds := range base.byMember {
			b := basis[mid]
			if b == nil {
				b = new(big.Rat)
				basis[mid] = b
			}
			for k, amt := range kinds {
				w := big.NewRat(1, 1)
				if c, ok := ag.Risk.Coefficients[k]; ok {
					w = c.Rat()
				}
				b.Add(b, new(big.Rat).Mul(w, new(big.Rat).SetInt64(amt)))
			}
		}
	}
	sum := new(big.Rat)
	for _, b := range basis {
		sum.Add(sum, b)
	}
	res.AtRisk = ledger.RatioOf(sum)
	for _, mid := range sortedKeys(basis) {
		s := RiskShare{Member: mid, Basis: ledger.RatioOf(basis[mid])}
		if sum.Sign() > 0 {
			s.Share = ledger.RatioOf(new(big.Rat).Quo(basis[mid], sum))
		} else {
			s.Share = ledger.RatioOf(new(big.Rat))
		}
		res.Shares = append(res.Shares, s)
	}
	if sum.Sign() == 0 {
		res.Note = "no at-risk investment under the rule: no shares; losses stay with the alliance"
		return res
	}
	if split := splitByShares(res.Loss, res.Shares); split != nil {
		for i := range res.Shares {
			res.Shares[i].LossBorne = split[i]
		}
	}
	return res
}

// splitByShares divides amount (minor units) by exact shares summing to 1:
// each member gets the floor of its exact part, and the units left over go
// one each to the largest fractional remainders, ties to the earlier member
// in the list (members are listed by id). The parts sum to amount exactly.
// It returns nil when no share is positive.
func splitByShares(amount int64, shares []RiskShare) []int64 {
	total := new(big.Rat)
	for _, s := range shares {
		total.Add(total, s.Share.Rat())
	}
	if total.Sign() <= 0 {
		return nil
	}
	parts := make([]int64, len(shares))
	rems := make([]*big.Rat, len(shares))
	left := amount
	amt := new(big.Rat).SetInt64(amount)
	for i, s := range shares {
		exact := new(big.Rat).Mul(amt, s.Share.Rat())
		exact.Quo(exact, total)
		fl := new(big.Int).Quo(exact.Num(), exact.Denom()) // exact >= 0: truncation is floor
		parts[i] = fl.Int64()
		rems[i] = new(big.Rat).Sub(exact, new(big.Rat).SetInt(fl))
		left -= parts[i]
	}
	order := make([]int, len(shares))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return rems[b].Cmp(rems[a]) })
	for i := 0; left > 0; i++ {
		parts[order[i%len(order)]]++
		left--
	}
	return parts
}

// ---- Innovation outputs ----

// OutputCell counts assets for one owner, project, type, status and period.
type OutputCell struct {
	Member  string `json:"member"`
	Project string `json:"project"`
	Type    string `json:"type"`
	Status  string `json:"status"`
	Period  string `json:"period"` // the filing's year, in the alliance's time zone
	Count   int    `json:"count"`
	// Weighted is the count weighted by the member's ownership share.
	Weighted ledger.Ratio `json:"weighted"`
}

// OutputTotal is a roll-up of the cells by one dimension.
type OutputTotal struct {
	Key      string       `json:"key"`
	Count    int          `json:"count"`
	Weighted ledger.Ratio `json:"weighted"`
}

// AssetRevenue is the licence revenue of one asset in one currency.
type AssetRevenue struct {
	Asset    string `json:"asset"`
	Title    string `json:"title"`
	Type     string `json:"type"`
	Currency string `json:"currency"`
	Amount   int64  `json:"amount"`
	Entries  int    `json:"entries"`
}

// Outputs is the innovation outputs view.
type Outputs struct {
	Cut
	Assets    int            `json:"assets"` // assets filed in the cut
	Cells     []OutputCell   `json:"cells"`
	ByMember  []OutputTotal  `json:"by_member"` // weighted by ownership: sums to Assets
	ByProject []OutputTotal  `json:"by_project"`
	ByType    []OutputTotal  `json:"by_type"`
	ByStatus  []OutputTotal  `json:"by_status"`
	ByPeriod  []OutputTotal  `json:"by_period"`
	Revenue   []AssetRevenue `json:"licence_revenue"`
}

type cellKey struct{ member, project, typ, status, period string }

// Outputs computes innovation outputs for the query: assets filed by
// position n whose filing occurred in the period, with their status at n.
func (m *Model) Outputs(q Query) (*Outputs, error) {
	cut, n, err := m.cut(q)
	if err != nil {
		return nil, err
	}
	o := &Outputs{Cut: cut, Cells: []OutputCell{}, Revenue: []AssetRevenue{}}
	cells := map[cellKey]*struct {
		count int
		w     *big.Rat
	}{}
	roll := [5]map[string]*struct {
		count int
		w     *big.Rat
	}{{}, {}, {}, {}, {}}
	for _, id := range sortedKeys(m.assets) {
		a := m.assets[id]
		if a.Filed > n || !q.inPeriod(a.Occurred) {
			continue
		}
		o.Assets++
		status := "filed"
		for i := len(a.Marks) - 1; i >= 0; i-- {
			if a.Marks[i].At <= n {
				status = a.Marks[i].Status
				break
			}
		}
		period := fmt.Sprint(time.Unix(0, a.Occurred).In(m.loc).Year())
		counted := map[int]bool{}
		for _, ow := range a.Owners {
			k := cellKey{ow.Member, a.Project, a.Type, status, period}
			c := cells[k]
			if c == nil {
				c = &struct {
					count int
					w     *big.Rat
				}{w: new(big.Rat)}
				cells[k] = c
			}
			c.count++
			c.w.Add(c.w, ow.Share.Rat())
			for d, key := range []string{ow.Member, a.Project, a.Type, status, period} {
				r := roll[d][key]
				if r == nil {
					r = &struct {
						count int
						w     *big.Rat
					}{w: new(big.Rat)}
					roll[d][key] = r
				}
				r.w.Add(r.w, ow.Share.Rat())
				// An asset counts once in a roll-up other than by member,
				// however many owners it has.
				if d == 0 || !counted[d] {
					r.count++
					if d != 0 {
						counted[d] = true
					}
				}
			}
		}
	}
	ks := make([]cellKey, 0, len(cells))
	for k := range cells {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b cellKey) int {
		for _, c := range [][2]string{{a.member, b.member}, {a.project, b.project}, {a.typ, b.typ}, {a.status, b.status}, {a.period, b.period}} {
			if d := cmpString(c[0], c[1]); d != 0 {
				return d
			}
		}
		return 0
	})
	for _, k := range ks {
		c := cells[k]
		o.Cells = append(o.Cells, OutputCell{Member: k.member, Project: k.project, Type: k.typ, Status: k.status,
			Period: k.period, Count: c.count, Weighted: ledger.RatioOf(c.w)})
	}
	totals := func(mp map[string]*struct {
		count int
		w     *big.Rat
	}) []OutputTotal {
		out := []OutputTotal{}
		for _, k := range sortedKeys(mp) {
			out = append(out, OutputTotal{Key: k, Count: mp[k].count, Weighted: ledger.RatioOf(mp[k].w)})
		}
		return out
	}
	o.ByMember, o.ByProject, o.ByType, o.ByStatus, o.ByPeriod = totals(roll[0]), totals(roll[1]), totals(roll[2]), totals(roll[3]), totals(roll[4])

	type revKey struct{ asset, currency string }
	rev := map[revKey]*AssetRevenue{}
	m.live(n, q, func(e *entry, v *version) {
		if e.Kind != kindLicence {
			return
		}
		k := revKey{v.Asset, v.Currency}
		r := rev[k]
		if r == nil {
			a := m.assets[v.Asset]
			r = &AssetRevenue{Asset: v.Asset, Title: a.Title, Type: a.Type, Currency: v.Currency}
			rev[k] = r
		}
		r.Amount += v.Amount
		r.Entries++
	})
	rks := make([]revKey, 0, len(rev))
	for k := range rev {
		rks = append(rks, k)
	}
	slices.SortFunc(rks, func(a, b revKey) int {
		if d := cmpString(a.asset, b.asset); d != 0 {
			return d
		}
		return cmpString(a.currency, b.currency)
	})
	for _, k := range rks {
		o.Revenue = append(o.Revenue, *rev[k])
	}
	return o, nil
}
