package payout

import (
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/projections/sharing"
)

// MemberResult is one member's amount and why.
type MemberResult struct {
	Member string `json:"member"`
	Name   string `json:"name,omitempty"`
	Amount int64  `json:"amount"` // minor units
	// Proportional: the member's weighted contributions.
	Base *BaseExplain `json:"base,omitempty"`
	// Shapley-based: the member's Shapley value and where it comes from.
	Shapley *ShapleyExplain `json:"shapley,omitempty"`
	// Corrected methods: each factor, the combined share W, the correction
	// (W − 1/n)·v(N) and the corrected value.
	Factors    []FactorExplain `json:"factors,omitempty"`
	Combined   ledger.Ratio    `json:"combined,omitzero"`
	Correction ledger.Ratio    `json:"correction,omitzero"`
	Corrected  ledger.Ratio    `json:"corrected,omitzero"`
	Nash       *NashExplain    `json:"nash,omitempty"`
	// Clamp is set when the rule for negative values changed the value.
	Clamp    *ClampExplain   `json:"clamp,omitempty"`
	Rounding RoundingExplain `json:"rounding"`
}

// BaseExplain is a member's base under the proportional method.
type BaseExplain struct {
	Weighted      ledger.Ratio `json:"weighted"` // minor units × kind weight
	Contributions []uint64     `json:"contributions"`
}

// ShapleyExplain shows a member's Shapley value two ways: by coalition size
// (the definition: the mean of its marginal contributions over the
// coalitions of each size, averaged over sizes) and by assessed coalition
// (each coalition's synergy split equally among its members).
type ShapleyExplain struct {
	Value ledger.Ratio `json:"value"`
	// BySize[s] is the mean of v(S∪{i}) − v(S) over coalitions S of size s
	// without the member; Value = (1/n)·Σ BySize (exact computation only).
	BySize []ledger.Ratio `json:"by_size,omitempty"`
	// Coalitions are the assessed coalitions the member is in, with their
	// synergy (Harsanyi dividend) and the member's equal part of it.
	Coalitions []CoalitionPart `json:"coalitions,omitempty"`
	StdErr     float64         `json:"std_err,omitempty"` // sampled only
}

// CoalitionPart is one assessed coalition's synergy and a member's part.
type CoalitionPart struct {
	Members  []string     `json:"members"`
	Dividend int64        `json:"dividend"`
	Part     ledger.Ratio `json:"part"`
}

// FactorExplain is one correction factor for one member.
type FactorExplain struct {
	Factor string       `json:"factor"`
	Weight ledger.Ratio `json:"weight"`
	Basis  ledger.Ratio `json:"basis"`
	Unit   string       `json:"unit"`
	Share  ledger.Ratio `json:"share"`
	Events []uint64     `json:"events,omitempty"`
}

// NashExplain is a member's Nash bargaining terms.
type NashExplain struct {
	Disagreement ledger.Ratio `json:"disagreement"` // standalone value v({i})
	Weight       ledger.Ratio `json:"weight"`       // bargaining weight α
	Value        ledger.Ratio `json:"value"`        // d + α/Σα·(v(N) − Σd)
}

// ClampExplain is the rule for negative values applied to a member.
type ClampExplain struct {
	Before ledger.Ratio `json:"before"`
	After  ledger.Ratio `json:"after"`
}

// RoundingExplain is the last step: the exact amount in minor units, its
// floor and remainder, and whether the member got one of the units left.
type RoundingExplain struct {
	Exact     ledger.Ratio `json:"exact"`
	Floor     int64        `json:"floor"`
	Remainder ledger.Ratio `json:"remainder"`
	Extra     int64        `json:"extra"`
}

// explainShapley fills each member's Shapley explanation.
func (c *computation) explainShapley(g *sharing.Game, sh *sharing.Shapley) {
	divs := g.Dividends()
	for i := range c.a.Members {
		ex := &ShapleyExplain{Value: ratio(sh.Values[i])}
		if sh.Exact {
			for _, v := range sh.BySize[i] {
				ex.BySize = append(ex.BySize, ratio(v))
			}
		} else if i < len(sh.StdErr) {
			ex.StdErr = sh.StdErr[i]
		}
		for _, d := range divs {
			in := false
			for _, p := range d.Members {
				in = in || p == i
			}
			if !in || d.Value == 0 {
				continue
			}
			part := CoalitionPart{Dividend: d.Value, Part: ratio(big.NewRat(d.Value, int64(len(d.Members))))}
			for _, p := range d.Members {
				part.Members = append(part.Members, c.players[p])
			}
			ex.Coalitions = append(ex.Coalitions, part)
		}
		c.a.Members[i].Shapley = ex
	}
}

// money formats minor units in the pool's currency.
func (a *Allocation) money(x int64) string {
	return ledger.Money{Amount: x, Currency: a.Amount.Currency}.String()
}

// units shows an exact amount in minor units in the pool's currency:
// exactly when it is a whole number of minor units, else to two more places.
func (a *Allocation) units(r ledger.Ratio) string {
	exp, _ := ledger.CurrencyExponent(a.Amount.Currency)
	scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil))
	v := new(big.Rat).Quo(r.Rat(), scale)
	if r.Rat().IsInt() {
		return v.FloatString(exp) + " " + a.Amount.Currency
	}
	return "≈" + v.FloatString(exp+2) + " " + a.Amount.Currency
}

// decimal shows an exact ratio with a few decimals, and exactly when short.
func decimal(r ledger.Ratio, places int) string {
	s := r.String()
	if len(s) <= 12 && !strings.Contains(s, "/") {
		return s
	}
	return "≈" + r.Rat().FloatString(places)
}

// WriteText writes the allocation as readable text: the pool, the method
// and its inputs, then each member's amount and why.
func (a *Allocation) WriteText(w io.Writer) error {
	b := &strings.Builder{}
	in := a.Inputs
	fmt.Fprintf(b, "Pool %s: %s, shared by %s as of position %d (agreement version %d, recorded at %d).\n",
		a.Pool, a.Amount, a.Method, a.ComputedAt, in.Agreement.Version, in.Agreement.Seq)
	if as := in.Assessment; as != nil {
		fmt.Fprintf(b, "Coalition values: assessment at position %d by %s (%s), %d coalitions, v(N) = %s.\n",
			as.Seq, as.Assessor, as.Method, as.Coalitions, a.money(as.Grand))
	}
	if sh := in.Shapley; sh != nil {
		if sh.Exact {
			b.WriteString("Shapley value: exact, over every coalition.\n")
		} else {
			fmt.Fprintf(b, "Shapley value: estimated from %d sampled orders, seed %d, estimated max relative error %.3g%%.\n", sh.Samples, sh.Seed, 100*sh.MaxRelErr)
		}
	}
	for _, f := range in.Factors {
		fmt.Fprintf(b, "Factor %s, weight %s: %s.", f.Name, f.Weight, f.Note)
		b.WriteString("\n")
	}
	for _, n := range a.Notes {
		fmt.Fprintf(b, "Note: %s.\n", n)
	}
	fmt.Fprintf(b, "Rounding: %s.\n", in.Rounding)
	n := len(a.Members)
	for _, mr := range a.Members {
		name := mr.Member
		if mr.Name != "" {
			name += " " + mr.Name
		}
		fmt.Fprintf(b, "\n%s gets %s.\n", name, a.money(mr.Amount))
		if mr.Base != nil {
			fmt.Fprintf(b, "  base: confirmed contributions weighted by kind = %s, from %d entries %s\n",
				a.units(mr.Base.Weighted), len(mr.Base.Contributions), positions(mr.Base.Contributions))
		}
		if sh := mr.Shapley; sh != nil {
			fmt.Fprintf(b, "  Shapley value φ = %s\n", a.units(sh.Value))
			if len(sh.BySize) > 0 {
				parts := make([]string, len(sh.BySize))
				for s, v := range sh.BySize {
					parts[s] = fmt.Sprintf("%d: %s", s, a.units(v))
				}
				fmt.Fprintf(b, "    mean marginal contribution by size of the coalition joined — %s; φ is their mean over the %d sizes\n", strings.Join(parts, ", "), n)
			}
			for _, cp := range sh.Coalitions {
				fmt.Fprintf(b, "    coalition {%s}: synergy %s, its equal part %s\n", strings.Join(cp.Members, ","), a.money(cp.Dividend), a.units(cp.Part))
			}
		}
		for _, f := range mr.Factors {
			basis := decimal(f.Basis, 2) + " " + f.Unit
			if strings.Contains(f.Unit, "minor units") {
				basis = a.units(f.Basis)
			}
			fmt.Fprintf(b, "  factor %s (weight %s): %s, share %s, from entries %s\n",
				f.Factor, f.Weight, basis, decimal(f.Share, 6), positions(f.Events))
		}
		if mr.Factors != nil {
			fmt.Fprintf(b, "  combined share W = %s; correction (W − 1/%d)·v(N) = %s; corrected value %s\n",
				decimal(mr.Combined, 6), n, a.units(mr.Correction), a.units(mr.Corrected))
		}
		if nx := mr.Nash; nx != nil {
			fmt.Fprintf(b, "  Nash: standalone value %s, bargaining weight %s, value %s\n", a.units(nx.Disagreement), decimal(nx.Weight, 6), a.units(nx.Value))
		}
		if cl := mr.Clamp; cl != nil {
			fmt.Fprintf(b, "  non-negative rule: %s became %s\n", a.units(cl.Before), a.units(cl.After))
		}
		r := mr.Rounding
		fmt.Fprintf(b, "  rounding: exact %s minor units, floor %d, remainder %s, extra unit %d\n", decimal(r.Exact, 4), r.Floor, decimal(r.Remainder, 4), r.Extra)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// positions lists positions, shortened when long.
func positions(ps []uint64) string {
	if len(ps) == 0 {
		return "(none)"
	}
	var s []string
	for i, p := range ps {
		if i == 8 {
			s = append(s, fmt.Sprintf("… %d more", len(ps)-8))
			break
		}
		s = append(s, fmt.Sprint(p))
	}
	return "[" + strings.Join(s, " ") + "]"
}
