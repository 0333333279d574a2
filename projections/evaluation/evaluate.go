package evaluation

import (
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/projections"
)

// Options says what to evaluate.
type Options struct {
	Scheme string // the scheme's id; "" takes the only one adopted
	// From and To bound the business period [From, To); Label names it.
	From, To time.Time
	Label    string
	// AsOf is the position the log is read as of; 0 is the model's last.
	AsOf uint64
	// Member evaluates one member instead of the alliance.
	Member string
}

// Report is an evaluation: the score, its band, each dimension, and each
// indicator with the events or ratings behind it.
type Report struct {
	Alliance      string            `json:"alliance"`
	Member        string            `json:"member,omitempty"`
	Scheme        string            `json:"scheme"`
	SchemeVersion int               `json:"scheme_version"`
	SchemeSeq     uint64            `json:"scheme_seq"`
	AsOf          uint64            `json:"as_of_seq"`
	Period        string            `json:"period"`
	From          time.Time         `json:"from"`
	To            time.Time         `json:"to"`
	Grades        []string          `json:"grades"`
	GradeValues   []ledger.Ratio    `json:"grade_values"`
	Memberships   []ledger.Ratio    `json:"memberships"`
	Score         ledger.Ratio      `json:"score"`
	ScoreText     string            `json:"score_text"` // to one decimal
	Band          BandInfo          `json:"band"`
	Dimensions    []DimensionResult `json:"dimensions"`
	Notes         []string          `json:"notes,omitempty"`
}

// DimensionResult is one dimension of a report.
type DimensionResult struct {
	ID          string            `json:"id"`
	ZH          string            `json:"zh"`
	EN          string            `json:"en"`
	Weight      ledger.Ratio      `json:"weight"`
	Weighting   string            `json:"weighting"` // how the indicator weights were obtained
	Memberships []ledger.Ratio    `json:"memberships"`
	Score       ledger.Ratio      `json:"score"`
	ScoreText   string            `json:"score_text"`
	Indicators  []IndicatorResult `json:"indicators"`
}

// IndicatorResult is one indicator of a report.
type IndicatorResult struct {
	ID    string `json:"id"`
	ZH    string `json:"zh"`
	EN    string `json:"en"`
	Unit  string `json:"unit"`
	Level string `json:"level"`
	Rated bool   `json:"rated"`
	// Value is the computed value (quantitative indicators).
	Value     *ledger.Ratio `json:"value,omitempty"`
	ValueText string        `json:"value_text,omitempty"`
	// Score is the 0–100 score (normalised value, or ratings' mean).
	Score       ledger.Ratio   `json:"score"`
	Memberships []ledger.Ratio `json:"memberships"`
	Weight      ledger.Ratio   `json:"weight"`
	// Events are the positions of the entries behind the value; Ratings
	// the positions of the ratings.
	Events  []uint64 `json:"events,omitempty"`
	Ratings []uint64 `json:"ratings,omitempty"`
	Missing bool     `json:"missing,omitempty"` // no data: left out, its weight shared by the others
	Note    string   `json:"note,omitempty"`
}

// Evaluate computes the report for a period as of a position.
func Evaluate(m *projections.Model, opts Options) (*Report, error) {
	n := opts.AsOf
	if n == 0 || n > m.Last() {
		n = m.Last()
	}
	if !opts.From.Before(opts.To) {
		return nil, fmt.Errorf("the period must end after it starts (%s, %s)", opts.From, opts.To)
	}
	id := opts.Scheme
	if id == "" {
		ids := m.SchemeIDs(n)
		if len(ids) != 1 {
			return nil, fmt.Errorf("name the evaluation scheme: the alliance has adopted %d (%v) as of position %d", len(ids), ids, n)
		}
		id = ids[0]
	}
	scheme, at, ok := m.Scheme(id, n)
	if !ok {
		return nil, fmt.Errorf("evaluation scheme %q is not adopted as of position %d", id, n)
	}
	if opts.Member != "" && !slices.ContainsFunc(m.Members(n), func(f projections.MemberFact) bool { return f.ID == opts.Member }) {
		return nil, fmt.Errorf("member %q is not a member as of position %d", opts.Member, n)
	}
	v := DefaultGradeValues()
	if len(scheme.GradeValues) == len(Grades) {
		v = v[:0]
		for _, g := range scheme.GradeValues {
			v = append(v, g.Rat())
		}
	}
	r := &Report{Alliance: m.Alliance, Member: opts.Member, Scheme: id, SchemeVersion: scheme.Version, SchemeSeq: at, AsOf: n,
		Period: opts.Label, From: opts.From, To: opts.To, Grades: Grades}
	for _, g := range v {
		r.GradeValues = append(r.GradeValues, ledger.RatioOf(g))
	}
	c := newCalc(m, n, opts.From, opts.To, scheme)
	ratings := m.Ratings(n)

	var dimB [][]*big.Rat
	for _, d := range scheme.Dimensions {
		names := DimensionNames[d.Dimension]
		dr := DimensionResult{ID: d.Dimension, ZH: names[0], EN: names[1]}
		var rows [][]*big.Rat
		var present []int
		for _, si := range d.Indicators {
			ind, ok := Lookup(si.Indicator)
			if !ok {
				return nil, fmt.Errorf("scheme %s v%d: indicator %q is not in the catalogue", id, scheme.Version, si.Indicator)
			}
			ir, err := c.indicator(ind, si, opts.Member, ratings, v)
			if err != nil {
				return nil, fmt.Errorf("scheme %s v%d: %w", id, scheme.Version, err)
			}
			if !ir.Missing {
				present = append(present, len(dr.Indicators))
				rows = append(rows, ratios(ir.Memberships))
			}
			dr.Indicators = append(dr.Indicators, ir)
		}
		w, how, err := c.weights(d, v)
		if err != nil {
			return nil, fmt.Errorf("dimension %s: %w", d.Dimension, err)
		}
		dr.Weighting = how
		for i := range dr.Indicators {
			dr.Indicators[i].Weight = ledger.RatioOf(w[i])
		}
		if len(present) == 0 {
			return nil, fmt.Errorf("dimension %s: no indicator has data for the period", d.Dimension)
		}
		// Indicators without data are left out; the others' weights are
		// scaled to sum to 1 again.
		pw := make([]*big.Rat, len(present))
		total := new(big.Rat)
		for k, i := range present {
			pw[k] = w[i]
			total.Add(total, w[i])
		}
		if total.Sign() == 0 {
			return nil, fmt.Errorf("dimension %s: the indicators with data all weigh 0", d.Dimension)
		}
		for k := range pw {
			pw[k] = new(big.Rat).Quo(pw[k], total)
		}
		b, err := Compose(pw, rows)
		if err != nil {
			return nil, fmt.Errorf("dimension %s: %w", d.Dimension, err)
		}
		s, err := Score(b, v)
		if err != nil {
			return nil, err
		}
		dr.Memberships, dr.Score, dr.ScoreText = toRatios(b), ledger.RatioOf(s), s.FloatString(1)
		dimB = append(dimB, b)
		r.Dimensions = append(r.Dimensions, dr)
	}
	dw, _, err := c.fixedWeights(scheme.DimensionWeights, len(scheme.Dimensions))
	if err != nil {
		return nil, fmt.Errorf("dimension weights: %w", err)
	}
	for i := range r.Dimensions {
		r.Dimensions[i].Weight = ledger.RatioOf(dw[i])
	}
	b, err := Compose(dw, dimB)
	if err != nil {
		return nil, err
	}
	s, err := Score(b, v)
	if err != nil {
		return nil, err
	}
	r.Memberships, r.Score, r.ScoreText, r.Band = toRatios(b), ledger.RatioOf(s), s.FloatString(1), Band(s)
	return r, nil
}

// indicator computes one indicator's value, score and memberships.
func (c *calc) indicator(ind Indicator, si ledger.SchemeIndicator, member string, ratings []projections.RatingFact, v []*big.Rat) (IndicatorResult, error) {
	ir := IndicatorResult{ID: ind.ID, ZH: ind.ZH, EN: ind.EN, Unit: ind.Unit, Level: ind.Level, Rated: ind.Rated}
	if member != "" && !ind.PerMember && !ind.Rated {
		ir.Missing, ir.Note = true, "an alliance-level indicator: not evaluated for a member"
		return ir, nil
	}
	if ind.Rated {
		// The ratings of this indicator whose rated period ends within the
		// evaluated one: their membership degrees are averaged.
		sum := make([]*big.Rat, len(v))
		for k := range sum {
			sum[k] = new(big.Rat)
		}
		nr := 0
		for _, rt := range ratings {
			if rt.Indicator != ind.ID || rt.Member != member || !c.within(rt.From, rt.To) {
				continue
			}
			ms := ratios(rt.Memberships)
			if rt.Score != nil {
				var err error
				if ms, err = Memberships(rt.Score.Rat(), v); err != nil {
					return ir, err
				}
			}
			for k := range sum {
				sum[k].Add(sum[k], ms[k])
			}
			nr++
			ir.Ratings = append(ir.Ratings, rt.Seq)
		}
		if nr == 0 {
			ir.Missing, ir.Note = true, "no rating recorded for the period"
			return ir, nil
		}
		for k := range sum {
			sum[k].Quo(sum[k], big.NewRat(int64(nr), 1))
		}
		s, err := Score(sum, v)
		if err != nil {
			return ir, err
		}
		ir.Memberships, ir.Score = toRatios(sum), ledger.RatioOf(s)
		return ir, nil
	}
	if si.Norm == nil {
		return ir, fmt.Errorf("indicator %q is computed from events: give it a norm (target or range)", ind.ID)
	}
	val := ind.compute(c.sub(member), member)
	ir.Events, ir.Note = val.events, val.note
	if val.x == nil {
		ir.Missing = true
		return ir, nil
	}
	x := ledger.RatioOf(val.x)
	ir.Value, ir.ValueText = &x, val.x.FloatString(2)
	norm := Norm{Kind: si.Norm.Kind, Lower: si.Norm.Lower}
	if si.Norm.Target != nil {
		norm.Target = si.Norm.Target.Rat()
	}
	if si.Norm.Min != nil {
		norm.Min = si.Norm.Min.Rat()
	}
	if si.Norm.Max != nil {
		norm.Max = si.Norm.Max.Rat()
	}
	if err := norm.Validate(); err != nil {
		return ir, fmt.Errorf("indicator %q: %w", ind.ID, err)
	}
	s := norm.Score(val.x)
	ms, err := Memberships(s, v)
	if err != nil {
		return ir, err
	}
	ir.Score, ir.Memberships = ledger.RatioOf(s), toRatios(ms)
	return ir, nil
}

// within reports whether a rating of the period [from, to] counts for the
// evaluated period: experts rate at the end of what they rate, so a rating
// counts for the period its rated period ends in (a rating of September
// to August counts for the year it ends in).
func (c *calc) within(from, to ledger.Date) bool {
	t, err := time.ParseInLocation("2006-01-02", string(to), c.m.Location())
	return err == nil && c.in(t)
}

// weights returns a dimension's indicator weights and how they were got.
func (c *calc) weights(d ledger.SchemeDimension, v []*big.Rat) ([]*big.Rat, string, error) {
	if d.Weights.Method != "entropy" {
		return c.fixedWeights(d.Weights, len(d.Indicators))
	}
	// Entropy weights from the members' scores on the dimension's
	// indicators in the period: the more the members differ on an
	// indicator, the more it weighs.
	var rows [][]float64
	for _, mb := range c.members {
		var row []float64
		for _, si := range d.Indicators {
			ind, _ := Lookup(si.Indicator)
			ir, err := c.indicator(ind, si, mb.ID, c.m.Ratings(c.n), v)
			if err != nil {
				return nil, "", err
			}
			f := 0.0
			if !ir.Missing {
				f, _ = ir.Score.Rat().Float64()
			}
			row = append(row, f)
		}
		rows = append(rows, row)
	}
	w, err := EntropyWeights(rows)
	if err != nil {
		return nil, "", fmt.Errorf("entropy weights over %d members: %w", len(rows), err)
	}
	return w, fmt.Sprintf("entropy over the scores of %d members", len(rows)), nil
}

// fixedWeights returns weights given directly or derived from AHP
// judgements (recorded by the writer with the scheme).
func (c *calc) fixedWeights(w ledger.Weighting, n int) ([]*big.Rat, string, error) {
	if len(w.Weights) != n {
		return nil, "", fmt.Errorf("%d weights recorded for %d items", len(w.Weights), n)
	}
	out := ratios(w.Weights)
	how := "given"
	if w.Method == "ahp" {
		how = "AHP, consistency ratio " + w.ConsistencyRatio
	}
	return out, how, nil
}

func ratios(rs []ledger.Ratio) []*big.Rat {
	out := make([]*big.Rat, len(rs))
	for i, r := range rs {
		out[i] = r.Rat()
	}
	return out
}

func toRatios(rs []*big.Rat) []ledger.Ratio {
	out := make([]ledger.Ratio, len(rs))
	for i, r := range rs {
		out[i] = ledger.RatioOf(r)
	}
	return out
}
