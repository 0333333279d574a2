package projections

import (
	"fmt"
	"math/big"
	"math/bits"
	"slices"
	"strconv"
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
	if n > m.last {
		return Cut{}, 0, fmt.Errorf("position %d is beyond the log's last position %d", n, m.last)
	}
	if n == 0 {
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
	end, _ := slices.BinarySearch(m.seqs, n+1)
	from, to := int64(-1<<63), int64(1<<63-1)
	if !q.From.IsZero() {
		from = q.From.UnixNano()
	}
	if !q.To.IsZero() {
		to = q.To.UnixNano()
	}
	for i := range end {
		e := m.entries.at(i)
		if e.Reversed != 0 && e.Reversed <= n || e.Occurred < from || e.Occurred >= to {
			continue
		}
		v := &e.First
		if len(e.More) > 0 {
			v = e.at(n)
		}
		fn(e, v)
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
	if !kindsInOrder(a.ByKind) {
		slices.SortFunc(a.ByKind, func(x, y KindAmounts) int { return kindOrder(x.Kind) - kindOrder(y.Kind) })
	}
	a.Net = a.Confirmed + a.FundingReceived + a.CostsBorne - a.PayoutsReceived - a.LossesBorne
}

// kindsInOrder reports whether ks is in the order of
// ledger.ContributionKinds, each kind at most once, as the views build
// them: one pass, where a sort's check would look each kind up twice.
func kindsInOrder(ks []KindAmounts) bool {
	j := 0
	for i := range ks {
		for j < len(ledger.ContributionKinds) && ledger.ContributionKinds[j] != ks[i].Kind {
			j++
		}
		if j == len(ledger.ContributionKinds) {
			return false
		}
		j++
	}
	return true
}

func kindOrder(k string) int {
	if i, ok := kindOrders[k]; ok {
		return i
	}
	return len(ledger.ContributionKinds)
}

var kindOrders = func() map[string]int {
	m := map[string]int{}
	for i, k := range ledger.ContributionKinds {
		m[k] = i
	}
	return m
}()

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

// cellKey identifies a balance cell by interned member, project and currency.
type cellKey struct{ member, project, currency int32 }

// cellSums are a cell's sums while a view is computed: contributions by
// kind slot (the order of ledger.ContributionKinds) and status.
type cellSums struct {
	byKind                           [6][3]int64 // confirmed, unconfirmed, contested
	funding, payouts, settled, costs int64
	losses                           int64
}

func statusColumn(st uint8) int {
	switch st {
	case stConfirmed:
		return 0
	case stContested:
		return 2
	}
	return 1
}

// scan sums the live entries at n that occurred in the query's period
// into cells (member 0 is the alliance's own).
func (m *Model) scan(n uint64, q Query) sumCells {
	cells := sumCells{}
	var lastKey cellKey
	var last *cellSums
	cell := func(k cellKey) *cellSums {
		if last != nil && k == lastKey {
			return last
		}
		last, lastKey = cells.get(k), k
		return last
	}
	m.live(n, q, func(e *entry, v *version) {
		switch e.Kind {
		case kindContribution:
			cell(cellKey{v.Member, v.Project, v.Currency}).byKind[m.slotOf(v.Kind)][statusColumn(e.status(n))] += v.Amount
		case kindFunding:
			cell(cellKey{v.Member, v.Project, v.Currency}).funding += v.Amount
		case kindCost:
			cell(cellKey{v.Member, v.Project, v.Currency}).costs += v.Amount
		case kindLoss:
			cell(cellKey{0, v.Project, v.Currency}).losses += v.Amount
		case kindPayout:
			settled := e.status(n) == stSettled
			for _, al := range v.Allocs {
				c := cell(cellKey{al.Member, v.Project, v.Currency})
				c.payouts += al.Amount
				if settled {
					c.settled += al.Amount
				}
			}
		}
	})
	return cells
}

// cells returns the sums for a query: from the kept sums for the whole
// history, by scanning the entries for a business period (or always, when
// the model is told to, for tests).
func (m *Model) cells(n uint64, q Query) sumCells {
	if q.From.IsZero() && q.To.IsZero() && !m.scanOnly {
		return m.sumsAt(n)
	}
	return m.scan(n, q)
}

// Balances computes member balances for the query.
func (m *Model) Balances(q Query) (*Balances, error) {
	cut, n, err := m.cut(q)
	if err != nil {
		return nil, err
	}
	cells := m.cells(n, q)
	risk := riskFrom(cells)
	if !q.From.IsZero() || !q.To.IsZero() {
		// Losses are borne by the project's risk shares over its whole
		// history, whatever the period.
		risk = riskFrom(m.cells(n, Query{}))
	}

	// Names the model never interned (a participant with no entry at
	// all) get indexes after the model's, for this view only.
	extra := map[string]int32{}
	var extraNames []string
	id := func(name string) int32 {
		if i := m.lookup(name); i >= 0 {
			return i
		}
		if i, ok := extra[name]; ok {
			return i
		}
		i := int32(len(m.names) + len(extraNames))
		extra[name], extraNames = i, append(extraNames, name)
		return i
	}
	name := func(i int32) string {
		if int(i) < len(m.names) {
			return m.names[i]
		}
		return extraNames[int(i)-len(m.names)]
	}

	// One row per member, project and currency; member 0 is common.
	rows := make(map[cellKey]*Amounts, len(cells))
	row := func(k cellKey) *Amounts {
		a := rows[k]
		if a == nil {
			a = &Amounts{Currency: m.names[k.currency]}
			rows[k] = a
		}
		return a
	}
	type lossKey struct{ project, currency int32 }
	losses := map[lossKey]int64{}
	for k, c := range cells {
		if c.losses != 0 {
			losses[lossKey{k.project, k.currency}] += c.losses
		}
		if *c == (cellSums{losses: c.losses}) {
			continue // a cell of losses only: they are shared below
		}
		a := row(k)
		kinds := 0
		for slot := range c.byKind {
			if c.byKind[slot] != [3]int64{} {
				kinds++
			}
		}
		a.ByKind = slices.Grow(a.ByKind, kinds)
		for slot := range c.byKind {
			st := &c.byKind[slot]
			if *st == [3]int64{} {
				continue
			}
			a.ByKind = append(a.ByKind, KindAmounts{Kind: ledger.ContributionKinds[slot], Confirmed: st[0], Unconfirmed: st[1], Contested: st[2]})
			a.Confirmed += st[0]
			a.Unconfirmed += st[1]
			a.Contested += st[2]
		}
		a.FundingReceived += c.funding
		a.PayoutsReceived += c.payouts
		a.PayoutsSettled += c.settled
		a.CostsBorne += c.costs
	}
	// A project's losses are borne by its risk shares as of n; a project
	// with no at-risk investment leaves them with the alliance.
	var rc *ruleCoefficients
	if ag, _ := m.agreementAt(n); len(losses) > 0 {
		rc = m.ruleCoefficients(ag)
	}
	for lk, amt := range losses {
		var rw riskWeights
		var parts []int64
		if pr := m.projects[m.names[lk.project]]; pr != nil && lk.project != 0 {
			rw = m.riskWeightsWith(pr, n, risk[lk.project], rc)
			parts = rw.split(amt)
		}
		if parts == nil {
			row(cellKey{0, lk.project, lk.currency}).LossesBorne += amt
			continue
		}
		for i, memberID := range rw.Members {
			if parts[i] != 0 {
				row(cellKey{id(memberID), lk.project, lk.currency}).LossesBorne += parts[i]
			}
		}
	}

	// Order rows by member, project and currency name.
	rank := nameRanks(rows, len(m.names)+len(extraNames), name)
	keys := make([]cellKey, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b cellKey) int {
		if a.member != b.member {
			return int(rank[a.member] - rank[b.member])
		}
		if a.project != b.project {
			return int(rank[a.project] - rank[b.project])
		}
		return int(rank[a.currency] - rank[b.currency])
	})

	b := &Balances{Cut: cut, Members: []MemberBalance{}, Common: ProjectsTotals{Projects: []ProjectBalance{}, Totals: []Amounts{}}}
	totals := map[string]*Amounts{}
	byMember := map[int32][]cellKey{}
	for _, k := range keys {
		byMember[k.member] = append(byMember[k.member], k)
	}
	build := func(keys []cellKey) ([]ProjectBalance, []Amounts) {
		pbs := []ProjectBalance{}
		tot := map[string]*Amounts{}
		for i, k := range keys {
			a := rows[k]
			a.finish()
			if i == 0 || keys[i-1].project != k.project {
				pbs = append(pbs, ProjectBalance{Project: name(k.project)})
			}
			pb := &pbs[len(pbs)-1]
			pb.Amounts = append(pb.Amounts, *a)
			for _, mp := range []map[string]*Amounts{tot, totals} {
				t := mp[a.Currency]
				if t == nil {
					t = &Amounts{Currency: a.Currency}
					mp[a.Currency] = t
				}
				t.add(a)
			}
		}
		return pbs, finishAll(tot)
	}
	for _, mid := range sortedKeys(m.members) {
		mb := m.members[mid]
		if mb.Admitted > n {
			continue
		}
		r, _ := mb.at(n)
		mbal := MemberBalance{Member: mid, Name: mb.Name, Kind: r.Kind, Role: r.Role, Active: r.Active}
		mbal.Projects, mbal.Totals = build(byMember[id(mb.ID)])
		b.Members = append(b.Members, mbal)
	}
	b.Common.Projects, b.Common.Totals = build(byMember[0])
	// Losses count in the totals once, as realized.
	for _, t := range totals {
		t.LossesBorne = 0
	}
	for lk, amt := range losses {
		cur := m.names[lk.currency]
		t := totals[cur]
		if t == nil {
			t = &Amounts{Currency: cur}
			totals[cur] = t
		}
		t.LossesBorne += amt
	}
	b.Totals = finishAll(totals)
	return b, nil
}

// nameRanks ranks the member, project and currency names of the rows in
// string order: rank[i] for name index i (n indexes in all).
func nameRanks(rows map[cellKey]*Amounts, n int, name func(int32) string) []int32 {
	rank := make([]int32, n)
	seen := make([]bool, n)
	var idx []int32
	for k := range rows {
		for _, i := range [3]int32{k.member, k.project, k.currency} {
			if !seen[i] {
				seen[i] = true
				idx = append(idx, i)
			}
		}
	}
	slices.SortFunc(idx, func(a, b int32) int { return cmpString(name(a), name(b)) })
	for r, i := range idx {
		rank[i] = int32(r)
	}
	return rank
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
	ag, _ := m.agreementAt(n)
	rc := m.ruleCoefficients(ag)
	cells := m.cells(n, q)
	risk := riskFrom(cells)
	losses := map[int32]int64{}
	for k, c := range cells {
		if k.member == 0 {
			losses[k.project] += c.losses
		}
	}
	for _, id := range sortedKeys(m.projects) {
		pr := m.projects[id]
		if pr.Opened > n {
			continue
		}
		idx := m.lookup(id)
		r.Projects = append(r.Projects, m.projectRiskFrom(pr, n, risk[idx], losses[idx], rc))
	}
	return r, nil
}

// riskWeights are a project's members (sorted) with integer weights
// proportional to their at-risk investment under the rule: Basis_i =
// Weights_i / Scale exactly (Scale clears the coefficients' denominators).
// When every weight and their total fit in 63 bits, w64 and total64 hold
// them too and splitting needs no big numbers.
type riskWeights struct {
	Rule    string
	Agree   ledger.Agreement
	Members []string
	Weights []*big.Int
	Total   *big.Int
	Scale   *big.Int

	fits    bool
	w64     []uint64
	total64 uint64
}

// ruleCoefficients are a risk rule's coefficients as integers over a
// common denominator, computed once per view.
type ruleCoefficients struct {
	scale *big.Int
	coef  [6]*big.Int
	small bool // every coefficient and the scale fit in 31 bits
	c64   [6]int64
}

func (m *Model) ruleCoefficients(ag ledger.Agreement) *ruleCoefficients {
	rc := &ruleCoefficients{scale: big.NewInt(1)}
	rc.coef = m.coefficients(ag, rc.scale)
	rc.small = rc.scale.IsInt64() && rc.scale.Int64() < 1<<31
	for slot, c := range rc.coef {
		rc.small = rc.small && c.IsInt64() && c.Int64() < 1<<31
		if rc.small {
			rc.c64[slot] = c.Int64()
		}
	}
	return rc
}

// riskWeightsWith computes a project's weights under the rule of the
// agreement in force at n, from its members' confirmed contributions by
// kind slot (byMember, for the contribution rule), with that agreement's
// coefficients rc (nil: compute them).
func (m *Model) riskWeightsWith(pr *project, n uint64, byMember map[int32]*[6]int64, rc *ruleCoefficients) riskWeights {
	ag, _ := m.agreementAt(n)
	rw := riskWeights{Rule: ag.Risk.Rule, Agree: ag, Scale: big.NewInt(1), Total: new(big.Int)}
	if rw.Rule == "" {
		rw.Rule = "contribution"
	}
	parts := pr.participants(n)
	w := make(map[string]*big.Int, len(parts)+len(byMember))
	switch rw.Rule {
	case "budget":
		for _, pt := range parts {
			w[pt.Member] = big.NewInt(pt.Budget.Amount)
		}
	case "equal":
		for _, pt := range parts {
			w[pt.Member] = big.NewInt(1)
		}
	default:
		if rc == nil {
			rc = m.ruleCoefficients(ag)
		}
		rw.Scale = rc.scale
		for _, pt := range parts {
			w[pt.Member] = new(big.Int)
		}
		tmp := new(big.Int)
		for mid, amounts := range byMember {
			name := m.names[mid]
			x := w[name]
			if x == nil {
				x = new(big.Int)
				w[name] = x
			}
			if rc.small {
				// Amounts are below 2^53 (the ledger's limit is 10^15):
				// coefficient × amount < 2^84 may not fit; sum in 64 bits
				// while it does.
				var acc int64
				ok := true
				for slot, amt := range amounts {
					hi, lo := bits.Mul64(uint64(rc.c64[slot]), uint64(amt))
					var carry uint64
					sum, carry := bits.Add64(uint64(acc), lo, 0)
					if hi != 0 || carry != 0 || sum >= 1<<63 || amt < 0 {
						ok = false
						break
					}
					acc = int64(sum)
				}
				if ok {
					x.SetInt64(acc)
					continue
				}
			}
			for slot, amt := range amounts {
				if amt != 0 {
					x.Add(x, tmp.Mul(rc.coef[slot], tmp.SetInt64(amt)))
				}
			}
		}
	}
	rw.Members = sortedKeys(w)
	rw.Weights = make([]*big.Int, len(rw.Members))
	for i, id := range rw.Members {
		rw.Weights[i] = w[id]
		rw.Total.Add(rw.Total, w[id])
	}
	if rw.Total.IsInt64() {
		rw.fits = true
		rw.w64 = make([]uint64, len(rw.Weights))
		for i, x := range rw.Weights {
			rw.w64[i] = uint64(x.Int64())
		}
		rw.total64 = uint64(rw.Total.Int64())
	}
	return rw
}

// coefficients returns the risk rule's coefficients by kind slot as
// integers over a common denominator, which it multiplies into scale.
// Kinds the rule does not name weigh 1.
func (m *Model) coefficients(ag ledger.Agreement, scale *big.Int) [6]*big.Int {
	var coef [6]*big.Int
	var rats [6]*big.Rat
	for slot, k := range ledger.ContributionKinds {
		rats[slot] = big.NewRat(1, 1)
		if c, ok := ag.Risk.Coefficients[k]; ok {
			rats[slot] = c.Rat()
		}
		d := rats[slot].Denom()
		g := new(big.Int).GCD(nil, nil, scale, d)
		scale.Mul(scale, new(big.Int).Quo(d, g))
	}
	for slot := range rats {
		c := new(big.Int).Mul(rats[slot].Num(), scale)
		coef[slot] = c.Quo(c, rats[slot].Denom())
	}
	return coef
}

// split divides amount (minor units, >= 0) in proportion to the weights:
// each member gets the floor of its exact part, and the units left over go
// one each to the largest remainders, equal remainders to the member first
// by id. The parts sum to amount exactly. It returns nil when no weight is
// positive.
func (rw *riskWeights) split(amount int64) []int64 {
	if rw.Total.Sign() <= 0 {
		return nil
	}
	parts := make([]int64, len(rw.Weights))
	left := amount
	var cmpRem func(a, b int) int
	if rw.fits && amount >= 0 {
		// amount × w < 2^63 × total, so the quotient fits and Div64 holds.
		rems := make([]uint64, len(rw.w64))
		for i, w := range rw.w64 {
			hi, lo := bits.Mul64(uint64(amount), w)
			q, r := bits.Div64(hi, lo, rw.total64)
			parts[i], rems[i] = int64(q), r
			left -= parts[i]
		}
		cmpRem = func(a, b int) int { return cmpUint(rems[b], rems[a]) }
	} else {
		rems := make([]*big.Int, len(rw.Weights))
		amt := big.NewInt(amount)
		for i, w := range rw.Weights {
			q, r := new(big.Int).QuoRem(new(big.Int).Mul(amt, w), rw.Total, new(big.Int))
			parts[i], rems[i] = q.Int64(), r
			left -= parts[i]
		}
		cmpRem = func(a, b int) int { return rems[b].Cmp(rems[a]) }
	}
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, cmpRem)
	for i := 0; left > 0; i++ {
		parts[order[i%len(order)]]++
		left--
	}
	return parts
}

// projectRiskFrom renders a project's risk shares; loss is split by them.
func (m *Model) projectRiskFrom(pr *project, n uint64, byMember map[int32]*[6]int64, loss int64, rc *ruleCoefficients) ProjectRisk {
	rw := m.riskWeightsWith(pr, n, byMember, rc)
	res := ProjectRisk{Project: pr.ID, Name: pr.Name, Rule: rw.Rule, AgreementVersion: rw.Agree.Version,
		Currency: m.info.BaseCurrency, Loss: loss, Shares: []RiskShare{}}
	if pr.closedAt(n) {
		res.Closed, res.ClosedAt = true, pr.Closed
	}
	if rw.Rule == "contribution" {
		for _, k := range sortedKeys(rw.Agree.Risk.Coefficients) {
			res.Coefficients = append(res.Coefficients, KindWeight{Kind: k, Weight: rw.Agree.Risk.Coefficients[k]})
		}
	}
	res.AtRisk = ledger.RatioOf(new(big.Rat).SetFrac(rw.Total, rw.Scale))
	split := rw.split(loss)
	for i, id := range rw.Members {
		s := RiskShare{Member: id, Basis: ledger.RatioOf(new(big.Rat).SetFrac(rw.Weights[i], rw.Scale))}
		if rw.Total.Sign() > 0 {
			s.Share = ledger.RatioOf(new(big.Rat).SetFrac(rw.Weights[i], rw.Total))
			s.LossBorne = split[i]
		} else {
			s.Share = ledger.RatioOf(new(big.Rat))
		}
		res.Shares = append(res.Shares, s)
	}
	if rw.Total.Sign() == 0 {
		res.Note = "no at-risk investment under the rule: no shares; losses stay with the alliance"
	}
	return res
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

// shareSum counts assets and sums ownership shares: by share value, so
// that the exact sum is made once per distinct share, not once per owner.
type shareSum struct {
	count  int
	shares map[string]*shareCount
}

type shareCount struct {
	share ledger.Ratio
	n     int64
}

func (s *shareSum) add(r ledger.Ratio) {
	if s.shares == nil {
		s.shares = map[string]*shareCount{}
	}
	k := r.String()
	c := s.shares[k]
	if c == nil {
		c = &shareCount{share: r}
		s.shares[k] = c
	}
	c.n++
}

func (s *shareSum) total() ledger.Ratio {
	t := new(big.Rat)
	for _, c := range s.shares {
		t.Add(t, new(big.Rat).Mul(c.share.Rat(), new(big.Rat).SetInt64(c.n)))
	}
	return ledger.RatioOf(t)
}

type outKey struct{ member, project, typ, status, period string }

// Outputs computes innovation outputs for the query: assets filed by
// position n whose filing occurred in the period, with their status at n.
func (m *Model) Outputs(q Query) (*Outputs, error) {
	cut, n, err := m.cut(q)
	if err != nil {
		return nil, err
	}
	o := &Outputs{Cut: cut, Cells: []OutputCell{}, Revenue: []AssetRevenue{}}
	cells := map[outKey]*shareSum{}
	roll := [5]map[string]*shareSum{{}, {}, {}, {}, {}}
	sum := func(mp map[string]*shareSum, k string) *shareSum {
		c := mp[k]
		if c == nil {
			c = &shareSum{}
			mp[k] = c
		}
		return c
	}
	years := map[int]string{}
	for _, a := range m.assets {
		if a.Filed > n || !q.inPeriod(a.Occurred) {
			continue
		}
		o.Assets++
		status := "filed"
		for i := len(a.Statuses) - 1; i >= 0; i-- {
			if a.Statuses[i].At <= n {
				status = a.Statuses[i].Status
				break
			}
		}
		y := time.Unix(0, a.Occurred).In(m.loc).Year()
		period, ok := years[y]
		if !ok {
			period = strconv.Itoa(y)
			years[y] = period
		}
		// An asset counts once in a roll-up other than by member, however
		// many owners it has; by member, once for each owner.
		for d, key := range [4]string{a.Project, a.Type, status, period} {
			sum(roll[d+1], key).count++
		}
		for _, ow := range a.Owners {
			k := outKey{ow.Member, a.Project, a.Type, status, period}
			c := cells[k]
			if c == nil {
				c = &shareSum{}
				cells[k] = c
			}
			c.add(ow.Share)
			c.count++
			sum(roll[0], ow.Member).add(ow.Share)
			sum(roll[0], ow.Member).count++
			for d, key := range [4]string{a.Project, a.Type, status, period} {
				sum(roll[d+1], key).add(ow.Share)
			}
		}
	}
	ks := make([]outKey, 0, len(cells))
	for k := range cells {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b outKey) int {
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
			Period: k.period, Count: c.count, Weighted: c.total()})
	}
	totals := func(mp map[string]*shareSum) []OutputTotal {
		out := []OutputTotal{}
		for _, k := range sortedKeys(mp) {
			out = append(out, OutputTotal{Key: k, Count: mp[k].count, Weighted: mp[k].total()})
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
		k := revKey{m.names[v.Asset], m.names[v.Currency]}
		r := rev[k]
		if r == nil {
			a := m.assets[k.asset]
			r = &AssetRevenue{Asset: k.asset, Title: a.Title, Type: a.Type, Currency: k.currency}
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
