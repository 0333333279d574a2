// Package payout computes benefit-pool allocations from the log: it gathers
// a pool's inputs from the projections as of a position (coalition values,
// contributions, risk shares, IP outputs, effort), runs the sharing method,
// and explains the result member by member. The same position always gives
// the same amounts, so a committed payout can be recomputed by anyone.
package payout

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/projections"
	"github.com/alliance-ledger/alliance/projections/sharing"
)

// InputsFormat is the version of the recorded inputs' shape.
const InputsFormat = 1

// Request asks for an allocation of a declared pool.
type Request struct {
	Pool string
	// Method is one the agreement in force allows; "" takes the
	// agreement's own method.
	Method string
	// AsOf is the position the allocation is computed as of; 0 is the
	// model's last.
	AsOf uint64
	// Seed and Samples drive Shapley sampling beyond sharing.MaxExact
	// players: 0 derives the seed from the pool and its assessment, and
	// takes sharing.DefaultSamples.
	Seed    uint64
	Samples int
}

// Allocation is a computed allocation: the amounts, every input, and why
// each member got what it got.
type Allocation struct {
	Alliance   string         `json:"alliance"`
	Pool       string         `json:"pool"`
	Amount     ledger.Money   `json:"amount"`
	Method     string         `json:"method"`
	ComputedAt uint64         `json:"computed_at"`
	Inputs     Inputs         `json:"inputs"`
	Members    []MemberResult `json:"members"`
	// Notes are what a reader must know: clamped members, sampling error,
	// members left out.
	Notes []string `json:"notes,omitempty"`
}

// Inputs is what a payout records so that it can be recomputed: the method's
// parameters and every figure taken from the log.
type Inputs struct {
	Format    int          `json:"format"`
	Pool      string       `json:"pool"`
	Amount    ledger.Money `json:"amount"`
	Project   string       `json:"project,omitempty"`
	Method    string       `json:"method"`
	AsOf      uint64       `json:"as_of"`
	Agreement AgreementRef `json:"agreement"`
	Players   []string     `json:"players"`
	// Proportional: the agreement's kind weights and each member's
	// weighted confirmed contributions.
	KindWeights   map[string]ledger.Ratio `json:"kind_weights,omitempty"`
	Base          map[string]ledger.Ratio `json:"base,omitempty"`
	Contributions map[string][]uint64     `json:"contributions,omitempty"`
	// Shapley-based and Nash: the coalition values.
	Assessment *AssessmentRef `json:"assessment,omitempty"`
	Shapley    *ShapleyRef    `json:"shapley,omitempty"`
	// Corrected Shapley and Nash: the factors and the combined share W.
	Factors  []Factor                `json:"factors,omitempty"`
	Combined map[string]ledger.Ratio `json:"combined,omitempty"`
	// Nash: disagreement payoffs (each member's standalone value) and
	// bargaining weights.
	Disagreement map[string]ledger.Ratio `json:"disagreement,omitempty"`
	Bargaining   map[string]ledger.Ratio `json:"bargaining,omitempty"`
	Clamped      []string                `json:"clamped,omitempty"`
	Rounding     string                  `json:"rounding"`
}

// AgreementRef names the agreement version the allocation followed.
type AgreementRef struct {
	Version int    `json:"version"`
	Seq     uint64 `json:"seq"`
}

// AssessmentRef names the assessment the coalition values come from.
type AssessmentRef struct {
	Seq        uint64 `json:"seq"`
	Assessor   string `json:"assessor"`
	Method     string `json:"method"`
	Grand      int64  `json:"grand_value"` // v(N), minor units
	Coalitions int    `json:"coalitions"`
}

// ShapleyRef says how the Shapley value was obtained.
type ShapleyRef struct {
	Exact     bool    `json:"exact"`
	Seed      uint64  `json:"seed,omitempty"`
	Samples   int     `json:"samples,omitempty"`
	MaxRelErr float64 `json:"max_rel_err,omitempty"`
}

// Factor is one correction factor: its weight λ and each member's share.
type Factor struct {
	Name   string                  `json:"name"`
	Weight ledger.Ratio            `json:"weight"`
	Unit   string                  `json:"unit"` // what the basis counts
	Basis  map[string]ledger.Ratio `json:"basis"`
	Shares map[string]ledger.Ratio `json:"shares"`
	// Events are the positions of the entries behind each member's basis.
	Events map[string][]uint64 `json:"events,omitempty"`
	Note   string              `json:"note,omitempty"`
}

// Rounding is the last step: an exact amount to minor units.
const roundingRule = "each member gets the floor of its exact amount in minor units; the units left go one each to the largest remainders, equal remainders to the smaller member id"

// Compute allocates a pool as of a position. Nothing is appended.
func Compute(m *projections.Model, req Request) (*Allocation, error) {
	n := req.AsOf
	if n == 0 {
		n = m.Last()
	}
	if n > m.Last() {
		return nil, invalid("as_of_seq", "position %d is beyond the log's last position %d", n, m.Last())
	}
	pool, err := m.Pool(req.Pool, n)
	if err != nil {
		return nil, err
	}
	ag, agAt, ok := m.Agreement(n)
	if !ok {
		return nil, invalid("pool", "there is no agreement in force at position %d to say how pools are shared", n)
	}
	method := req.Method
	if method == "" {
		method = ag.Distribution.Method
	}
	if method != ag.Distribution.Method && !slices.Contains(ag.Distribution.Allowed, method) {
		return nil, invalid("method", "agreement version %d distributes by %s and allows %v; %s is not allowed", ag.Version, ag.Distribution.Method, ag.Distribution.Allowed, method)
	}
	a := &Allocation{Alliance: m.Alliance, Pool: pool.ID, Amount: pool.Amount, Method: method, ComputedAt: n,
		Inputs: Inputs{Format: InputsFormat, Pool: pool.ID, Amount: pool.Amount, Project: pool.Project, Method: method,
			AsOf: n, Agreement: AgreementRef{Version: ag.Version, Seq: agAt}, Rounding: roundingRule}}
	c := &computation{m: m, n: n, pool: pool, ag: ag, a: a, req: req}
	switch method {
	case "proportional":
		err = c.proportional()
	case "shapley", "risk-shapley", "multifactor-shapley":
		err = c.shapley(method)
	case "nash":
		err = c.nash()
	default:
		err = invalid("method", "unknown distribution method %q", method)
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// computation carries one Compute.
type computation struct {
	m    *projections.Model
	n    uint64
	pool *projections.PoolFact
	ag   ledger.Agreement
	a    *Allocation
	req  Request

	players []string
	names   map[string]string
}

func (c *computation) setPlayers(ids []string) {
	c.players = slices.Sorted(slices.Values(ids))
	c.a.Inputs.Players = c.players
	c.names = map[string]string{}
	for _, mb := range c.m.Members(c.n) {
		c.names[mb.ID] = mb.Name
	}
	c.a.Members = make([]MemberResult, len(c.players))
	for i, id := range c.players {
		c.a.Members[i] = MemberResult{Member: id, Name: c.names[id]}
	}
}

// inScope reports whether a contribution counts for the pool: the pool's
// project, or anything for an alliance-wide pool, in the pool's currency.
func (c *computation) contributions() []projections.ContributionFact {
	var out []projections.ContributionFact
	for _, f := range c.m.Contributions(c.n, c.pool.Project) {
		if f.Value.Currency == c.pool.Amount.Currency {
			out = append(out, f)
		}
	}
	return out
}

// proportional shares the pool in proportion to each member's confirmed
// contributions weighted by the agreement's kind weights (missing kinds
// weigh 1). The players are the pool's declared members, or every member
// with a confirmed contribution in scope.
func (c *computation) proportional() error {
	weights := c.ag.Distribution.KindWeights
	base := map[string]*big.Rat{}
	events := map[string][]uint64{}
	var unconfirmed int
	for _, f := range c.contributions() {
		if f.Status != "confirmed" {
			unconfirmed++
			continue
		}
		if len(c.pool.Members) > 0 && !slices.Contains(c.pool.Members, f.Member) {
			continue
		}
		w := big.NewRat(1, 1)
		if r, ok := weights[f.Kind]; ok {
			w = r.Rat()
		}
		if base[f.Member] == nil {
			base[f.Member] = new(big.Rat)
		}
		base[f.Member].Add(base[f.Member], w.Mul(w, new(big.Rat).SetInt64(f.Value.Amount)))
		events[f.Member] = append(events[f.Member], f.Seq)
	}
	var ids []string
	for id, b := range base {
		if b.Sign() > 0 {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return invalid("pool", "pool %q: no confirmed contributions in %s at position %d to share it by", c.pool.ID, c.scopeName(), c.n)
	}
	c.setPlayers(ids)
	in := &c.a.Inputs
	in.KindWeights = weights
	in.Base = map[string]ledger.Ratio{}
	in.Contributions = map[string][]uint64{}
	ws := make([]*big.Rat, len(c.players))
	for i, id := range c.players {
		ws[i] = base[id]
		in.Base[id] = ledger.RatioOf(base[id])
		in.Contributions[id] = events[id]
		c.a.Members[i].Base = &BaseExplain{Weighted: ledger.RatioOf(base[id]), Contributions: events[id]}
	}
	if unconfirmed > 0 {
		c.a.Notes = append(c.a.Notes, fmt.Sprintf("%d contributions in %s were not confirmed at position %d and do not count", unconfirmed, c.scopeName(), c.n))
	}
	return c.apportion(ws)
}

func (c *computation) scopeName() string {
	if c.pool.Project != "" {
		return "project " + c.pool.Project
	}
	return "the alliance"
}

// game builds the coalition-value game from the assessment in force.
func (c *computation) game() (*sharing.Game, error) {
	as := c.pool.Assessment
	if as == nil {
		return nil, invalid("pool", "pool %q has no coalition-value assessment at position %d; record a pool.assessed first", c.pool.ID, c.n)
	}
	c.setPlayers(as.Players)
	idx := map[string]int{}
	for i, id := range c.players {
		idx[id] = i
	}
	terms := make([]sharing.Assessed, len(as.Coalitions))
	for i, cv := range as.Coalitions {
		t := sharing.Assessed{Value: cv.Value.Amount}
		for _, id := range cv.Members {
			t.Members = append(t.Members, idx[id])
		}
		terms[i] = t
	}
	g, err := sharing.NewGame(len(c.players), terms)
	if err != nil {
		return nil, invalid("pool", "the assessment at position %d: %v", as.Seq, err)
	}
	if g.Grand() <= 0 {
		return nil, invalid("pool", "the assessment at position %d values the grand coalition at %d; it must be positive to share the pool", as.Seq, g.Grand())
	}
	c.a.Inputs.Assessment = &AssessmentRef{Seq: as.Seq, Assessor: as.Assessor, Method: as.Method, Grand: g.Grand(), Coalitions: len(as.Coalitions)}
	return g, nil
}

// seed derives the sampling seed from the alliance, the pool and the
// assessment, so that a recomputation draws the same permutations.
func (c *computation) seed() uint64 {
	if c.req.Seed != 0 {
		return c.req.Seed
	}
	h := sha256.Sum256(fmt.Appendf(nil, "%s/%s/%d", c.m.Alliance, c.pool.ID, c.pool.Assessment.Seq))
	return binary.BigEndian.Uint64(h[:8])
}

func (c *computation) shapley(method string) error {
	g, err := c.game()
	if err != nil {
		return err
	}
	samples := c.req.Samples
	if samples == 0 {
		samples = sharing.DefaultSamples
	}
	sh, err := sharing.ComputeShapley(g, c.seed(), samples)
	if err != nil {
		return err
	}
	ref := &ShapleyRef{Exact: sh.Exact}
	if !sh.Exact {
		ref.Seed, ref.Samples, ref.MaxRelErr = sh.Seed, sh.Samples, roundErr(sh.MaxRelErr)
		c.a.Notes = append(c.a.Notes, fmt.Sprintf("%d players: the Shapley value is estimated from %d sampled orders (seed %d), estimated max relative error %.3g%%", len(c.players), sh.Samples, sh.Seed, 100*sh.MaxRelErr))
	}
	c.a.Inputs.Shapley = ref
	c.explainShapley(g, sh)
	values := sh.Values
	if method != "shapley" {
		var factors []string
		weights := map[string]ledger.Ratio{}
		if method == "risk-shapley" {
			factors, weights["risk"] = []string{"risk"}, ledger.NewRatio(1, 1)
		} else {
			if len(c.ag.Distribution.FactorWeights) == 0 {
				return invalid("method", "agreement version %d gives no factor weights for multifactor-shapley", c.ag.Version)
			}
			for _, f := range ledger.Factors {
				if w, ok := c.ag.Distribution.FactorWeights[f]; ok && w.Sign() > 0 {
					factors = append(factors, f)
					weights[f] = w
				}
			}
		}
		w, err := c.combined(factors, weights)
		if err != nil {
			return err
		}
		grand := new(big.Rat).SetInt64(g.Grand())
		corrected, err := sharing.Correct(values, w, grand)
		if err != nil {
			return err
		}
		inv := big.NewRat(1, int64(len(c.players)))
		for i := range c.a.Members {
			corr := new(big.Rat).Sub(w[i], inv)
			corr.Mul(corr, grand)
			c.a.Members[i].Correction = ratio(corr)
			c.a.Members[i].Corrected = ratio(corrected[i])
		}
		values = corrected
	}
	values, err = c.clamp(values)
	if err != nil {
		return err
	}
	return c.apportion(values)
}

// clamp applies the rule for negative corrected values and notes it.
func (c *computation) clamp(values []*big.Rat) ([]*big.Rat, error) {
	out, clamps, err := sharing.ClampNegative(values)
	if err != nil {
		return nil, invalid("pool", "the corrected values sum to nothing to share: %v", err)
	}
	for _, cl := range clamps {
		id := c.players[cl.Player]
		c.a.Members[cl.Player].Clamp = &ClampExplain{Before: ratio(cl.Before), After: ratio(cl.After)}
		if cl.Before.Sign() < 0 {
			c.a.Inputs.Clamped = append(c.a.Inputs.Clamped, id)
			c.a.Notes = append(c.a.Notes, fmt.Sprintf("%s's corrected value %s is negative: it gets 0 and the others are scaled down to keep the total", id, ratio(cl.Before)))
		}
	}
	return out, nil
}

func (c *computation) nash() error {
	g, err := c.game()
	if err != nil {
		return err
	}
	nplayers := len(c.players)
	d := make([]*big.Rat, nplayers)
	for i := range d {
		d[i] = new(big.Rat).SetInt64(g.Value([]int{i}))
	}
	var alpha []*big.Rat
	if len(c.ag.Distribution.FactorWeights) > 0 {
		var factors []string
		weights := map[string]ledger.Ratio{}
		for _, f := range ledger.Factors {
			if w, ok := c.ag.Distribution.FactorWeights[f]; ok && w.Sign() > 0 {
				factors = append(factors, f)
				weights[f] = w
			}
		}
		if alpha, err = c.combined(factors, weights); err != nil {
			return err
		}
	} else {
		alpha = make([]*big.Rat, nplayers)
		for i := range alpha {
			alpha[i] = big.NewRat(1, int64(nplayers))
		}
	}
	x, err := sharing.Nash(new(big.Rat).SetInt64(g.Grand()), d, alpha)
	if err != nil {
		return invalid("pool", "nash bargaining: %v", err)
	}
	in := &c.a.Inputs
	in.Disagreement, in.Bargaining = map[string]ledger.Ratio{}, map[string]ledger.Ratio{}
	for i, id := range c.players {
		in.Disagreement[id], in.Bargaining[id] = ratio(d[i]), ratio(alpha[i])
		c.a.Members[i].Nash = &NashExplain{Disagreement: ratio(d[i]), Weight: ratio(alpha[i]), Value: ratio(x[i])}
	}
	x, err = c.clamp(x)
	if err != nil {
		return err
	}
	return c.apportion(x)
}

// apportion turns exact values into amounts that sum to the pool.
func (c *computation) apportion(values []*big.Rat) error {
	amounts, rounding, err := sharing.Apportion(c.pool.Amount.Amount, values)
	if err != nil {
		return invalid("pool", "%v", err)
	}
	for i := range c.a.Members {
		r := rounding[i]
		c.a.Members[i].Amount = amounts[i]
		c.a.Members[i].Rounding = RoundingExplain{Exact: ratio(r.Exact), Floor: r.Floor, Remainder: ratio(r.Remainder), Extra: r.Extra}
	}
	return nil
}

// Payload is the payout.committed that records the allocation.
func (a *Allocation) Payload() (*ledger.PayoutCommitted, error) {
	inputs, err := json.Marshal(a.Inputs)
	if err != nil {
		return nil, err
	}
	p := &ledger.PayoutCommitted{Pool: a.Pool, Method: a.Method, ComputedAt: a.ComputedAt, Inputs: inputs}
	for _, mr := range a.Members {
		p.Allocations = append(p.Allocations, ledger.Allocation{Member: mr.Member, Amount: ledger.Money{Amount: mr.Amount, Currency: a.Amount.Currency}})
	}
	return p, nil
}

// Amounts returns each member's amount.
func (a *Allocation) Amounts() map[string]int64 {
	out := make(map[string]int64, len(a.Members))
	for _, mr := range a.Members {
		out[mr.Member] = mr.Amount
	}
	return out
}

func ratio(r *big.Rat) ledger.Ratio { return ledger.RatioOf(r) }

// roundErr keeps a recorded float short and the same on every platform.
func roundErr(x float64) float64 {
	r, _ := new(big.Float).SetFloat64(x).Float64()
	f, _ := big.NewFloat(0).SetPrec(20).SetFloat64(r).Float64()
	return f
}

func invalid(field, format string, args ...any) error {
	return &ledger.FieldError{Field: field, Rule: fmt.Sprintf(format, args...), Kind: ledger.ErrInvalid}
}
