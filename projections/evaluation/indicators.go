package evaluation

import (
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/projections"
)

func newCalc(m *projections.Model, n uint64, from, to time.Time, scheme ledger.EvaluationSchemeAdopted) *calc {
	c := &calc{m: m, n: n, from: from, to: to, scheme: scheme, kinds: map[string]string{}}
	info, _ := m.Founded()
	c.currency = info.BaseCurrency
	for _, f := range m.Contributions(n, "") {
		if f.Status == "confirmed" && f.Value.Currency == c.currency && c.in(f.Occurred) {
			c.contribs = append(c.contribs, f)
		}
	}
	for _, f := range m.Money(n) {
		if f.Amount.Currency == c.currency && c.in(f.Occurred) {
			c.money = append(c.money, f)
		}
	}
	c.members = m.Memberships(n)
	for _, mb := range c.members {
		c.kinds[mb.ID] = mb.Kind
	}
	c.projects = m.Projects(n)
	c.assets = m.AssetHistories(n)
	c.assetByID = make(map[string]int, len(c.assets))
	for i, a := range c.assets {
		c.assetByID[a.ID] = i
	}
	return c
}

// major converts minor units of the base currency to whole units, exactly.
func (c *calc) major(minor *big.Rat) *big.Rat {
	exp, _ := ledger.CurrencyExponent(c.currency)
	scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil))
	return new(big.Rat).Quo(minor, scale)
}

func count(n int) *big.Rat { return big.NewRat(int64(n), 1) }

// activeAt reports whether a member was active at t by its admissions and
// departures.
func activeAt(mb projections.MembershipFact, t time.Time) bool {
	active := false
	for _, ch := range mb.Changes {
		if ch.Occurred.After(t) {
			break
		}
		active = ch.Active
	}
	return active
}

func members(c *calc, member string) value {
	var v value
	n := 0
	end := c.to.Add(-time.Nanosecond)
	for _, mb := range c.members {
		if activeAt(mb, end) {
			n++
			v.events = append(v.events, mb.Changes[len(mb.Changes)-1].Seq)
		}
	}
	v.x = count(n)
	return v
}

func memberChanges(admitted bool) func(*calc, string) value {
	return func(c *calc, member string) value {
		var v value
		for _, mb := range c.members {
			for _, ch := range mb.Changes {
				if ch.Active == admitted && c.in(ch.Occurred) {
					v.events = append(v.events, ch.Seq)
				}
			}
		}
		slices.Sort(v.events)
		v.x = count(len(v.events))
		return v
	}
}

func funding(sources ...string) func(*calc, string) value {
	return func(c *calc, member string) value {
		var v value
		sum := new(big.Rat)
		for _, f := range c.money {
			if slices.Contains(sources, f.Kind) && (member == "" || f.Member == member) {
				sum.Add(sum, big.NewRat(f.Amount.Amount, 1))
				v.events = append(v.events, f.Seq)
			}
		}
		v.x = c.major(sum)
		return v
	}
}

func duesRate(c *calc, member string) value {
	v := funding("member-dues")(c, member)
	due := c.scheme.DuesPerMember
	if due == nil {
		v.x, v.note = nil, "the scheme gives no dues per member"
		return v
	}
	// Owed: dues per member × members active at the end of the period ×
	// the period's length in years.
	n := 1
	if member == "" {
		n = int(members(c, "").x.Num().Int64())
	}
	days := c.to.Sub(c.from).Hours() / 24
	years := new(big.Rat).SetFrac64(int64(days+0.5), 365)
	owed := new(big.Rat).Mul(c.major(big.NewRat(due.Amount, 1)), big.NewRat(int64(n), 1))
	owed.Mul(owed, years)
	if owed.Sign() == 0 {
		v.x, v.note = nil, "no dues owed in the period"
		return v
	}
	v.x = new(big.Rat).Mul(new(big.Rat).Quo(v.x, owed), big.NewRat(100, 1))
	return v
}

func disputesRaised(c *calc, member string) value {
	var v value
	for _, d := range c.m.Disputes(c.n) {
		if c.in(d.Occurred) && (member == "" || d.By == member) {
			v.events = append(v.events, d.Seq)
		}
	}
	v.x = count(len(v.events))
	return v
}

func disputeDays(c *calc, member string) value {
	var v value
	resolved := c.m.DisputeTimes(c.n)
	total := new(big.Rat)
	for _, d := range c.m.Disputes(c.n) {
		at := resolved[d.Seq]
		if at.IsZero() || !c.in(at) {
			continue
		}
		v.events = append(v.events, d.Seq, d.Resolved)
		total.Add(total, big.NewRat(int64(at.Sub(d.Occurred)/time.Second), 86400))
	}
	if len(v.events) == 0 {
		v.note = "no dispute was resolved in the period"
		return v
	}
	v.x = total.Quo(total, big.NewRat(int64(len(v.events)/2), 1))
	return v
}

func contributed(kind string) func(*calc, string) value {
	return func(c *calc, member string) value {
		var v value
		sum := new(big.Rat)
		for _, f := range c.contribs {
			if (kind == "" || f.Kind == kind) && (member == "" || f.Member == member) {
				sum.Add(sum, big.NewRat(f.Value.Amount, 1))
				v.events = append(v.events, f.Seq)
			}
		}
		v.x = c.major(sum)
		return v
	}
}

func contributedByMemberKind(kind string) func(*calc, string) value {
	return func(c *calc, member string) value {
		var v value
		sum := new(big.Rat)
		for _, f := range c.contribs {
			if c.kinds[f.Member] == kind {
				sum.Add(sum, big.NewRat(f.Value.Amount, 1))
				v.events = append(v.events, f.Seq)
			}
		}
		v.x = c.major(sum)
		return v
	}
}

func enterpriseShare(c *calc, member string) value {
	var v value
	all, ent := new(big.Rat), new(big.Rat)
	for _, f := range c.contribs {
		x := big.NewRat(f.Value.Amount, 1)
		all.Add(all, x)
		if c.kinds[f.Member] == "enterprise" {
			ent.Add(ent, x)
			v.events = append(v.events, f.Seq)
		}
	}
	if all.Sign() == 0 {
		v.note = "no confirmed contributions in the period"
		return v
	}
	v.x = ent.Mul(ent.Quo(ent, all), big.NewRat(100, 1))
	return v
}

func personMonths(c *calc, member string) value {
	var v value
	sum := new(big.Rat)
	for _, f := range c.contribs {
		if f.PersonMonths != "" && (member == "" || f.Member == member) {
			q, err := ledger.ParseRatio(f.PersonMonths)
			if err != nil {
				continue
			}
			sum.Add(sum, q.Rat())
			v.events = append(v.events, f.Seq)
		}
	}
	v.x = sum
	return v
}

// activeProjects are the projects open at some time in the period.
func (c *calc) activeProjects() []projections.ProjectFact {
	var out []projections.ProjectFact
	for _, p := range c.projects {
		if !p.OpenedAt.Before(c.to) || p.Closed != 0 && p.ClosedAt.Before(c.from) {
			continue
		}
		out = append(out, p)
	}
	return out
}

func jointProjects(c *calc, member string) value {
	var v value
	for _, p := range c.activeProjects() {
		if len(p.Participants) >= 2 && (member == "" || slices.Contains(p.Participants, member)) {
			v.events = append(v.events, p.Opened)
		}
	}
	v.x = count(len(v.events))
	return v
}

func membersPerProject(c *calc, member string) value {
	var v value
	total := 0
	for _, p := range c.activeProjects() {
		total += len(p.Participants)
		v.events = append(v.events, p.Opened)
	}
	if len(v.events) == 0 {
		v.note = "no project was active in the period"
		return v
	}
	v.x = big.NewRat(int64(total), int64(len(v.events)))
	return v
}

func crossMemberIP(c *calc, member string) value {
	var v value
	all := 0
	for _, a := range c.assets {
		if !c.in(a.FiledAt) {
			continue
		}
		all++
		if len(a.Owners) > 1 {
			v.events = append(v.events, a.Filed)
		}
	}
	if all == 0 {
		v.note = "no IP filed in the period"
		return v
	}
	v.x = big.NewRat(int64(100*len(v.events)), int64(all))
	return v
}

// share is a member's ownership share of an asset (1 for the alliance).
func share(a projections.AssetHistory, member string) *big.Rat {
	if member == "" {
		return big.NewRat(1, 1)
	}
	for _, o := range a.Owners {
		if o.Member == member {
			return o.Share.Rat()
		}
	}
	return nil
}

func filed(types ...string) func(*calc, string) value {
	return func(c *calc, member string) value {
		var v value
		sum := new(big.Rat)
		for _, a := range c.assets {
			if !slices.Contains(types, a.Type) || !c.in(a.FiledAt) {
				continue
			}
			if s := share(a, member); s != nil {
				sum.Add(sum, s)
				v.events = append(v.events, a.Filed)
			}
		}
		v.x = sum
		return v
	}
}

// statusIn counts assets (of the given types, any when none) that took one
// of the statuses ("a|b") in the period, weighted by ownership share.
func statusIn(statuses string, types ...string) func(*calc, string) value {
	want := strings.Split(statuses, "|")
	return func(c *calc, member string) value {
		var v value
		sum := new(big.Rat)
		for _, a := range c.assets {
			if len(types) > 0 && !slices.Contains(types, a.Type) {
				continue
			}
			s := share(a, member)
			if s == nil {
				continue
			}
			for _, h := range a.History {
				if slices.Contains(want, h.Status) && c.in(h.Occurred) {
					sum.Add(sum, s)
					v.events = append(v.events, h.Seq)
					break
				}
			}
		}
		v.x = sum
		return v
	}
}

func licenceRevenue(c *calc, member string) value {
	var v value
	sum := new(big.Rat)
	for _, f := range c.money {
		i, ok := c.assetByID[f.Asset]
		if f.Kind != "licence" || !ok {
			continue
		}
		s := share(c.assets[i], member)
		if s == nil {
			continue
		}
		sum.Add(sum, new(big.Rat).Mul(big.NewRat(f.Amount.Amount, 1), s))
		v.events = append(v.events, f.Seq)
	}
	v.x = c.major(sum)
	return v
}
