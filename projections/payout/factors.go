package payout

import (
	"fmt"
	"math/big"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/projections"
)

// combined computes W_i = Σ_k λ_k·r_ik over the given factors and records
// every factor in the inputs and in each member's explanation. A factor
// with nothing recorded for any player counts as equal shares, so that it
// corrects nothing.
func (c *computation) combined(factors []string, weights map[string]ledger.Ratio) ([]*big.Rat, error) {
	np := len(c.players)
	w := make([]*big.Rat, np)
	for i := range w {
		w[i] = new(big.Rat)
	}
	for _, name := range factors {
		basis, events, unit, note, err := c.factorBasis(name)
		if err != nil {
			return nil, err
		}
		total := new(big.Rat)
		for _, b := range basis {
			total.Add(total, b)
		}
		f := Factor{Name: name, Weight: weights[name], Unit: unit, Basis: map[string]ledger.Ratio{},
			Shares: map[string]ledger.Ratio{}, Events: map[string][]uint64{}, Note: note}
		if total.Sign() == 0 {
			f.Note = "nothing recorded for any member: equal shares, so this factor corrects nothing"
		}
		lambda := weights[name].Rat()
		for i, id := range c.players {
			share := big.NewRat(1, int64(np))
			if total.Sign() != 0 {
				share = new(big.Rat).Quo(basis[i], total)
			}
			f.Basis[id], f.Shares[id] = ratio(basis[i]), ratio(share)
			if len(events[i]) > 0 {
				f.Events[id] = events[i]
			}
			w[i].Add(w[i], new(big.Rat).Mul(lambda, share))
			c.a.Members[i].Factors = append(c.a.Members[i].Factors, FactorExplain{Factor: name, Weight: weights[name],
				Basis: ratio(basis[i]), Unit: unit, Share: ratio(share), Events: events[i]})
		}
		c.a.Inputs.Factors = append(c.a.Inputs.Factors, f)
	}
	c.a.Inputs.Combined = map[string]ledger.Ratio{}
	for i, id := range c.players {
		c.a.Inputs.Combined[id] = ratio(w[i])
		c.a.Members[i].Combined = ratio(w[i])
	}
	return w, nil
}

// factorBasis returns each player's basis for a factor, the positions of
// the entries behind it, its unit and a note on how it was counted.
func (c *computation) factorBasis(name string) (basis []*big.Rat, events [][]uint64, unit, note string, err error) {
	idx := map[string]int{}
	basis = make([]*big.Rat, len(c.players))
	events = make([][]uint64, len(c.players))
	for i, id := range c.players {
		idx[id] = i
		basis[i] = new(big.Rat)
	}
	cur := c.pool.Amount.Currency
	switch name {
	case "investment":
		unit = "minor units of " + cur
		note = fmt.Sprintf("confirmed contributions to %s in %s at position %d", c.scopeName(), cur, c.n)
		for _, f := range c.contributions() {
			if i, ok := idx[f.Member]; ok && f.Status == "confirmed" {
				basis[i].Add(basis[i], new(big.Rat).SetInt64(f.Value.Amount))
				events[i] = append(events[i], f.Seq)
			}
		}
	case "effort":
		unit = "person-months"
		note = fmt.Sprintf("confirmed personnel contributions to %s recorded in person-months at position %d", c.scopeName(), c.n)
		for _, f := range c.m.Contributions(c.n, c.pool.Project) {
			if i, ok := idx[f.Member]; ok && f.Status == "confirmed" && f.PersonMonths != "" {
				q, qerr := ledger.ParseRatio(f.PersonMonths)
				if qerr != nil {
					return nil, nil, "", "", fmt.Errorf("contribution %d: person-months %q: %w", f.Seq, f.PersonMonths, qerr)
				}
				basis[i].Add(basis[i], q.Rat())
				events[i] = append(events[i], f.Seq)
			}
		}
	case "innovation":
		unit = "IP outputs weighted by ownership share"
		note = fmt.Sprintf("IP filed for %s at or before position %d and not rejected, each counted by its owners' shares", c.scopeName(), c.n)
		for _, a := range c.m.Assets(c.n) {
			if c.pool.Project != "" && a.Project != c.pool.Project || a.Status == "rejected" {
				continue
			}
			for _, o := range a.Owners {
				if i, ok := idx[o.Member]; ok {
					basis[i].Add(basis[i], o.Share.Rat())
					events[i] = append(events[i], a.Filed)
				}
			}
		}
	case "risk":
		unit = "weighted at-risk investment, minor units of " + cur
		r, rerr := c.m.Risk(projections.Query{Seq: c.n})
		if rerr != nil {
			return nil, nil, "", "", rerr
		}
		var rules []string
		for _, pr := range r.Projects {
			if c.pool.Project != "" && pr.Project != c.pool.Project || pr.Currency != cur {
				continue
			}
			rules = append(rules, pr.Project+": "+pr.Rule)
			for _, s := range pr.Shares {
				if i, ok := idx[s.Member]; ok {
					basis[i].Add(basis[i], s.Basis.Rat())
				}
			}
		}
		note = fmt.Sprintf("at-risk investment under the agreement's risk rule at position %d (%v)", c.n, rules)
		for _, f := range c.contributions() {
			if i, ok := idx[f.Member]; ok && f.Status == "confirmed" && f.Project != "" {
				events[i] = append(events[i], f.Seq)
			}
		}
	default:
		return nil, nil, "", "", invalid("factor", "unknown correction factor %q", name)
	}
	return basis, events, unit, note, nil
}
