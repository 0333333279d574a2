package ledger

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"

	"github.com/alliance-ledger/alliance/ledger/ahp"
)

// Evaluation dimensions: the three the national alliance activity rating
// uses (组织机构建设与运行, 协同创新活动, 带动产业发展成效).
var EvaluationDimensions = []string{"organisation", "collaboration", "industry"}

// Weighting methods of an evaluation scheme.
var WeightingMethods = []string{"direct", "ahp", "entropy"}

// Normalisation kinds of a quantitative indicator.
var NormalisationKinds = []string{"target", "range"}

// EvaluationGrades is the number of grades of the fuzzy evaluation
// (excellent, good, medium, qualified, unqualified).
const EvaluationGrades = 5

// EvaluationSchemeAdopted records the scheme an alliance is evaluated by
// (绩效评价方案), in versions: which indicators in which dimension, how each
// quantitative one is normalised, and how the weights are obtained. The
// writer numbers the versions and fills in weights derived from AHP
// judgements, so a result can be reproduced from the log.
type EvaluationSchemeAdopted struct {
	Scheme  string `json:"scheme"`
	Version int    `json:"version"`
	Title   string `json:"title"`
	// GradeValues are the scores of the grades excellent..unqualified
	// (default 95, 85, 75, 65, 50).
	GradeValues      []Ratio           `json:"grade_values,omitempty"`
	Dimensions       []SchemeDimension `json:"dimensions"`
	DimensionWeights Weighting         `json:"dimension_weights"`
	// DuesPerMember is what each member owes per year, for the dues
	// collection rate.
	DuesPerMember *Money `json:"dues_per_member,omitempty"`
}

// SchemeDimension is one dimension of a scheme and its indicators.
type SchemeDimension struct {
	Dimension  string            `json:"dimension"`
	Indicators []SchemeIndicator `json:"indicators"`
	Weights    Weighting         `json:"weights"`
}

// SchemeIndicator names a catalogue indicator; a quantitative one says how
// its value becomes a 0–100 score.
type SchemeIndicator struct {
	Indicator string         `json:"indicator"`
	Norm      *Normalisation `json:"norm,omitempty"`
}

// Normalisation maps a raw value to 0–100: "target" (100·x/target, capped)
// or "range" (min..max); Lower when smaller is better.
type Normalisation struct {
	Kind   string `json:"kind"`
	Target *Ratio `json:"target,omitempty"`
	Min    *Ratio `json:"min,omitempty"`
	Max    *Ratio `json:"max,omitempty"`
	Lower  bool   `json:"lower,omitempty"`
}

// Weighting is how the weights of a list of items are obtained: given
// directly (summing to 1), from an AHP pairwise matrix (the writer derives
// them and records the consistency ratio; 0.1 or more is refused), or by
// the entropy method from the data at evaluation time.
type Weighting struct {
	Method           string     `json:"method"`
	Weights          []Ratio    `json:"weights,omitempty"`
	Matrix           [][]string `json:"matrix,omitempty"`
	ConsistencyRatio string     `json:"consistency_ratio,omitempty"`
}

func (*EvaluationSchemeAdopted) EventType() string { return TypeEvaluationScheme }
func (p *EvaluationSchemeAdopted) aggregate(uint64) string {
	return "evaluation-scheme/" + p.Scheme
}

func (p *EvaluationSchemeAdopted) Validate() error {
	if err := validateID("payload.scheme", "scheme", p.Scheme); err != nil {
		return err
	}
	if err := validateText("payload.title", p.Title, true, 200); err != nil {
		return err
	}
	if len(p.GradeValues) > 0 {
		if len(p.GradeValues) != EvaluationGrades {
			return invalid("payload.grade_values", "%d grade values, want %d (excellent, good, medium, qualified, unqualified)", len(p.GradeValues), EvaluationGrades)
		}
		for i, v := range p.GradeValues {
			if v.Sign() < 0 || v.Cmp(NewRatio(100, 1)) > 0 || i > 0 && v.Cmp(p.GradeValues[i-1]) >= 0 {
				return invalid(fmt.Sprintf("payload.grade_values[%d]", i), "grade values are scores from 100 down to 0, strictly decreasing")
			}
		}
	}
	if len(p.Dimensions) == 0 {
		return invalid("payload.dimensions", "at least one dimension is required")
	}
	seen := map[string]bool{}
	for i, d := range p.Dimensions {
		f := fmt.Sprintf("payload.dimensions[%d]", i)
		if err := validateEnum(f+".dimension", d.Dimension, EvaluationDimensions); err != nil {
			return err
		}
		if seen[d.Dimension] {
			return invalid(f+".dimension", "dimension %q is listed twice", d.Dimension)
		}
		seen[d.Dimension] = true
		if len(d.Indicators) == 0 {
			return invalid(f+".indicators", "at least one indicator is required")
		}
		for j, ind := range d.Indicators {
			g := fmt.Sprintf("%s.indicators[%d]", f, j)
			if err := validateID(g+".indicator", "indicator", ind.Indicator); err != nil {
				return err
			}
			if seen["ind/"+ind.Indicator] {
				return invalid(g+".indicator", "indicator %q is listed twice", ind.Indicator)
			}
			seen["ind/"+ind.Indicator] = true
			if ind.Norm != nil {
				if err := ind.Norm.validate(g + ".norm"); err != nil {
					return err
				}
			}
		}
		if err := d.Weights.validate(f+".weights", len(d.Indicators)); err != nil {
			return err
		}
	}
	if err := p.DimensionWeights.validate("payload.dimension_weights", len(p.Dimensions)); err != nil {
		return err
	}
	if p.DimensionWeights.Method == "entropy" {
		return invalid("payload.dimension_weights.method", "dimensions are weighted directly or by AHP; entropy weights apply to indicators")
	}
	if p.DuesPerMember != nil {
		return p.DuesPerMember.validate("payload.dues_per_member", true)
	}
	return nil
}

func (n *Normalisation) validate(field string) error {
	if err := validateEnum(field+".kind", n.Kind, NormalisationKinds); err != nil {
		return err
	}
	switch n.Kind {
	case "target":
		if n.Target == nil || n.Target.Sign() <= 0 {
			return invalid(field+".target", "a positive target is required")
		}
	case "range":
		if n.Min == nil || n.Max == nil || n.Max.Cmp(*n.Min) <= 0 {
			return invalid(field+".max", "a range needs min < max")
		}
	}
	return nil
}

// validate checks a weighting of n items; for AHP it also derives the
// weights (and checks derived ones recorded).
func (w *Weighting) validate(field string, n int) error {
	if err := validateEnum(field+".method", w.Method, WeightingMethods); err != nil {
		return err
	}
	switch w.Method {
	case "direct":
		if len(w.Weights) != n {
			return invalid(field+".weights", "%d weights for %d items", len(w.Weights), n)
		}
		sum := new(big.Rat)
		for i, x := range w.Weights {
			if x.Sign() < 0 {
				return invalid(fmt.Sprintf("%s.weights[%d]", field, i), "weight must not be negative")
			}
			sum.Add(sum, x.value())
		}
		if sum.Cmp(big.NewRat(1, 1)) != 0 {
			return invalid(field+".weights", "weights must sum to exactly 1, they sum to %s", ratioOf(sum))
		}
	case "ahp":
		if len(w.Matrix) != n {
			return invalid(field+".matrix", "a %d×%d matrix is needed for %d items", n, n, n)
		}
		weights, cr, err := ahpWeights(field+".matrix", w.Matrix)
		if err != nil {
			return err
		}
		if len(w.Weights) > 0 && !slices.EqualFunc(w.Weights, weights, func(a, b Ratio) bool { return a.Cmp(b) == 0 }) {
			return invalid(field+".weights", "the weights differ from those the judgements give (%v)", weights)
		}
		if w.ConsistencyRatio != "" && w.ConsistencyRatio != cr {
			return invalid(field+".consistency_ratio", "the judgements have consistency ratio %s, not %s", cr, w.ConsistencyRatio)
		}
	case "entropy":
		if len(w.Weights) > 0 || len(w.Matrix) > 0 {
			return invalid(field, "entropy weights come from the data; give no weights or matrix")
		}
	}
	return nil
}

func ahpWeights(field string, rows [][]string) ([]Ratio, string, error) {
	m, err := ahp.ParseMatrix(rows)
	if err == nil {
		err = m.Validate()
	}
	if err != nil {
		return nil, "", invalid(field, "%v", err)
	}
	res, err := ahp.Weights(m)
	if err != nil {
		return nil, "", invalid(field, "%v", err)
	}
	out := make([]Ratio, len(res.Weights))
	for i, w := range res.Weights {
		out[i] = RatioOf(w)
	}
	return out, strconv.FormatFloat(res.CR, 'f', 4, 64), nil
}

// derive fills in AHP weights and consistency ratios.
func (w *Weighting) derive() bool {
	if w.Method != "ahp" || len(w.Weights) > 0 && w.ConsistencyRatio != "" {
		return false
	}
	weights, cr, err := ahpWeights("", w.Matrix)
	if err != nil {
		return false
	}
	w.Weights, w.ConsistencyRatio = weights, cr
	return true
}

func (p *EvaluationSchemeAdopted) decide(s *State, c *decideContext) error {
	n := s.schemes[p.Scheme]
	if p.Version == 0 {
		p.Version = n + 1
		c.derived = true
	} else if p.Version != n+1 {
		return conflict("payload.version", "the next version of scheme %q is %d, not %d", p.Scheme, n+1, p.Version)
	}
	// The payload may be the caller's: derive on copies.
	p.Dimensions = slices.Clone(p.Dimensions)
	if p.DimensionWeights.derive() {
		c.derived = true
	}
	for i := range p.Dimensions {
		if p.Dimensions[i].Weights.derive() {
			c.derived = true
		}
	}
	if p.DuesPerMember != nil && p.DuesPerMember.Currency != s.baseCurrency {
		return invalid("payload.dues_per_member.currency", "dues are in the alliance's base currency %s, not %s", s.baseCurrency, p.DuesPerMember.Currency)
	}
	return nil
}

func (p *EvaluationSchemeAdopted) apply(s *State, _ *Event) {
	setMap(s, s.schemes, p.Scheme, p.Version)
}

// EvaluationRated records an expert rating of an indicator for a period
// (专家评议): membership degrees over the grades (the shares of the
// experts who chose each), or a 0–100 score.
type EvaluationRated struct {
	Indicator string `json:"indicator"`
	Rater     string `json:"rater"`
	From      Date   `json:"from"` // the period rated, [from, to]
	To        Date   `json:"to"`
	// Member is the member rated; empty rates the alliance.
	Member      string  `json:"member,omitempty"`
	Memberships []Ratio `json:"memberships,omitempty"`
	Score       *Ratio  `json:"score,omitempty"`
	Comment     string  `json:"comment,omitempty"`
}

func (*EvaluationRated) EventType() string { return TypeEvaluationRated }
func (p *EvaluationRated) aggregate(uint64) string {
	return "evaluation-rating/" + p.Indicator
}

func (p *EvaluationRated) Validate() error {
	if err := validateID("payload.indicator", "indicator", p.Indicator); err != nil {
		return err
	}
	if err := validateText("payload.rater", p.Rater, true, 200); err != nil {
		return err
	}
	if err := p.From.validate("payload.from", true); err != nil {
		return err
	}
	if err := p.To.validate("payload.to", true); err != nil {
		return err
	}
	if p.To < p.From {
		return invalid("payload.to", "the period ends (%s) before it starts (%s)", p.To, p.From)
	}
	if err := validateOptionalID("payload.member", "member", p.Member); err != nil {
		return err
	}
	if err := validateText("payload.comment", p.Comment, false, 2000); err != nil {
		return err
	}
	switch {
	case len(p.Memberships) > 0 && p.Score != nil:
		return invalid("payload.score", "give membership degrees or a score, not both")
	case p.Score != nil:
		if p.Score.Sign() < 0 || p.Score.Cmp(NewRatio(100, 1)) > 0 {
			return invalid("payload.score", "a score is from 0 to 100, got %s", p.Score)
		}
	case len(p.Memberships) != EvaluationGrades:
		return invalid("payload.memberships", "%d membership degrees, want one per grade (%d: excellent, good, medium, qualified, unqualified), or a score", len(p.Memberships), EvaluationGrades)
	default:
		sum := new(big.Rat)
		for i, m := range p.Memberships {
			if m.Sign() < 0 {
				return invalid(fmt.Sprintf("payload.memberships[%d]", i), "a membership degree must not be negative")
			}
			sum.Add(sum, m.value())
		}
		if sum.Cmp(big.NewRat(1, 1)) != 0 {
			return invalid("payload.memberships", "membership degrees must sum to exactly 1, they sum to %s", ratioOf(sum))
		}
	}
	return nil
}

func (p *EvaluationRated) decide(s *State, _ *decideContext) error {
	if p.Member != "" {
		return s.knownMember("payload.member", p.Member)
	}
	return nil
}

func (p *EvaluationRated) apply(*State, *Event) {}
