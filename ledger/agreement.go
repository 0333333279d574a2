package ledger

import (
	"fmt"
	"maps"
	"math/big"
	"slices"
	"sort"
	"strconv"

	"github.com/alliance-ledger/alliance/ledger/ahp"
)

// Distribution methods an agreement can name (利益分配方式).
var DistributionMethods = []string{"proportional", "shapley", "risk-shapley", "multifactor-shapley", "nash"}

// Risk rules: how the at-risk investment of a project is shared (风险共担).
var RiskRules = []string{"contribution", "budget", "equal"}

// IP ownership rules applied when a filing names no owners explicitly.
var IPOwnershipRules = []string{"by-contribution", "filer", "joint-equal", "custodian"}

// Correction factors of the multi-factor corrected Shapley value.
var Factors = []string{"investment", "risk", "innovation", "effort"}

// Agreement is the alliance agreement (联盟协议) in one version: how benefits
// are distributed, how risk is shared, how contributions in kind are valued.
type Agreement struct {
	// Version is 1 for the signed agreement and increases by one with each
	// amendment. The writer fills it in.
	Version       int          `json:"version"`
	Title         string       `json:"title"`
	EffectiveDate Date         `json:"effective_date"`
	Distribution  Distribution `json:"distribution"`
	Risk          RiskRule     `json:"risk"`
	Valuation     Valuation    `json:"valuation"`
	IPOwnership   string       `json:"ip_ownership"`
	Signatories   []string     `json:"signatories"`
	Document      *Evidence    `json:"document,omitempty"`
}

// Distribution says how benefit pools are shared.
type Distribution struct {
	Method string `json:"method"`
	// Allowed lists the other methods the secretariat may choose for a pool.
	Allowed []string `json:"allowed,omitempty"`
	// KindWeights weight contributions by kind for the proportional method
	// (missing kinds weigh 1).
	KindWeights map[string]Ratio `json:"kind_weights,omitempty"`
	// FactorWeights are the λ of the multi-factor corrected Shapley value,
	// summing to 1.
	FactorWeights map[string]Ratio `json:"factor_weights,omitempty"`
	// FactorAHP derives FactorWeights from pairwise judgements instead;
	// the writer fills in the weights and the consistency ratio.
	FactorAHP *FactorAHP `json:"factor_ahp,omitempty"`
}

// FactorAHP is an AHP pairwise comparison matrix over correction factors:
// Matrix[i][j] says how much more factor i matters than factor j, on
// Saaty's 1–9 scale and its reciprocals ("3", "1/5"). The principal
// eigenvector gives the weights, quantised to six decimals that sum to
// exactly 1; a consistency ratio of 0.1 or more is refused.
type FactorAHP struct {
	Factors []string   `json:"factors"`
	Matrix  [][]string `json:"matrix"`
	// ConsistencyRatio is filled in by the writer, to four decimals.
	ConsistencyRatio string `json:"consistency_ratio,omitempty"`
}

// weights validates the judgements and derives the factor weights.
func (f *FactorAHP) weights(field string) (map[string]Ratio, string, error) {
	if len(f.Factors) < 2 {
		return nil, "", invalid(field+".factors", "at least two factors are compared")
	}
	for i, name := range f.Factors {
		if err := validateEnum(fmt.Sprintf("%s.factors[%d]", field, i), name, Factors); err != nil {
			return nil, "", err
		}
		if slices.Index(f.Factors, name) != i {
			return nil, "", invalid(fmt.Sprintf("%s.factors[%d]", field, i), "factor %q is compared twice", name)
		}
	}
	if len(f.Matrix) != len(f.Factors) {
		return nil, "", invalid(field+".matrix", "%d rows for %d factors", len(f.Matrix), len(f.Factors))
	}
	m, err := ahp.ParseMatrix(f.Matrix)
	if err == nil {
		err = m.Validate()
	}
	if err != nil {
		return nil, "", invalid(field+".matrix", "%v", err)
	}
	res, err := ahp.Weights(m)
	if err != nil {
		return nil, "", invalid(field+".matrix", "%v", err)
	}
	out := make(map[string]Ratio, len(f.Factors))
	for i, name := range f.Factors {
		out[name] = RatioOf(res.Weights[i])
	}
	return out, strconv.FormatFloat(res.CR, 'f', 4, 64), nil
}

// RiskRule says how a project's at-risk investment is shared.
type RiskRule struct {
	Rule string `json:"rule"`
	// Coefficients weight contributions by kind (cash usually 1, personnel
	// time less, since it can be redeployed); missing kinds weigh 1.
	Coefficients map[string]Ratio `json:"coefficients,omitempty"`
}

// Valuation holds the agreed rates for contributions in kind.
type Valuation struct {
	// PersonMonthRates is the value of one person-month by member kind.
	PersonMonthRates map[string]Money `json:"person_month_rates,omitempty"`
}

func (a *Agreement) validate() error {
	if err := validateText("payload.title", a.Title, true, 200); err != nil {
		return err
	}
	if err := a.EffectiveDate.validate("payload.effective_date", true); err != nil {
		return err
	}
	if err := validateEnum("payload.distribution.method", a.Distribution.Method, DistributionMethods); err != nil {
		return err
	}
	for i, m := range a.Distribution.Allowed {
		if err := validateEnum(fmt.Sprintf("payload.distribution.allowed[%d]", i), m, DistributionMethods); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(a.Distribution.KindWeights) {
		if err := validateEnum("payload.distribution.kind_weights", k, ContributionKinds); err != nil {
			return err
		}
		if a.Distribution.KindWeights[k].Sign() < 0 {
			return invalid("payload.distribution.kind_weights."+k, "weight must not be negative")
		}
	}
	if f := a.Distribution.FactorAHP; f != nil {
		derived, cr, err := f.weights("payload.distribution.factor_ahp")
		if err != nil {
			return err
		}
		if f.ConsistencyRatio != "" && f.ConsistencyRatio != cr {
			return invalid("payload.distribution.factor_ahp.consistency_ratio", "the judgements have consistency ratio %s, not %s", cr, f.ConsistencyRatio)
		}
		if len(a.Distribution.FactorWeights) > 0 && !maps.EqualFunc(derived, a.Distribution.FactorWeights, func(x, y Ratio) bool { return x.Cmp(y) == 0 }) {
			return invalid("payload.distribution.factor_weights", "the weights differ from those the AHP judgements give (%v); give one or the other", derived)
		}
	}
	if len(a.Distribution.FactorWeights) > 0 {
		sum := new(big.Rat)
		for _, k := range sortedKeys(a.Distribution.FactorWeights) {
			if err := validateEnum("payload.distribution.factor_weights", k, Factors); err != nil {
				return err
			}
			w := a.Distribution.FactorWeights[k]
			if w.Sign() < 0 {
				return invalid("payload.distribution.factor_weights."+k, "weight must not be negative")
			}
			sum.Add(sum, w.value())
		}
		if sum.Cmp(big.NewRat(1, 1)) != 0 {
			return invalid("payload.distribution.factor_weights", "factor weights must sum to exactly 1, they sum to %s", ratioOf(sum))
		}
	} else if a.Distribution.Method == "multifactor-shapley" && a.Distribution.FactorAHP == nil {
		return invalid("payload.distribution.factor_weights", "the multifactor-shapley method needs factor weights")
	}
	if err := validateEnum("payload.risk.rule", a.Risk.Rule, RiskRules); err != nil {
		return err
	}
	for _, k := range sortedKeys(a.Risk.Coefficients) {
		if err := validateEnum("payload.risk.coefficients", k, ContributionKinds); err != nil {
			return err
		}
		if c := a.Risk.Coefficients[k]; c.Sign() < 0 || c.Cmp(NewRatio(1, 1)) > 0 {
			return invalid("payload.risk.coefficients."+k, "coefficient must be between 0 and 1, got %s", c)
		}
	}
	for _, k := range sortedKeys(a.Valuation.PersonMonthRates) {
		if err := validateEnum("payload.valuation.person_month_rates", k, MemberKinds); err != nil {
			return err
		}
		if err := a.Valuation.PersonMonthRates[k].validate("payload.valuation.person_month_rates."+k, true); err != nil {
			return err
		}
	}
	if err := validateEnum("payload.ip_ownership", a.IPOwnership, IPOwnershipRules); err != nil {
		return err
	}
	if len(a.Signatories) == 0 {
		return invalid("payload.signatories", "at least one signatory is required")
	}
	for i, m := range a.Signatories {
		f := fmt.Sprintf("payload.signatories[%d]", i)
		if err := validateID(f, "member", m); err != nil {
			return err
		}
		if slices.Index(a.Signatories, m) != i {
			return invalid(f, "member %q signs twice", m)
		}
	}
	return a.Document.validate("payload.document")
}

// derive fills in the factor weights and consistency ratio the AHP
// judgements give; it reports whether it changed anything.
func (a *Agreement) derive() bool {
	f := a.Distribution.FactorAHP
	if f == nil || len(a.Distribution.FactorWeights) > 0 && f.ConsistencyRatio != "" {
		return false
	}
	w, cr, err := f.weights("payload.distribution.factor_ahp")
	if err != nil {
		return false // validate has refused it already
	}
	c := *f
	c.ConsistencyRatio = cr
	a.Distribution.FactorAHP = &c
	a.Distribution.FactorWeights = w
	return true
}

func (a *Agreement) decide(s *State, first bool) error {
	n := len(s.agreements)
	if first && n > 0 {
		return conflict("type", "the agreement is already signed (version %d); amend it instead", n)
	}
	if !first && n == 0 {
		return invalid("type", "there is no agreement to amend; sign one first")
	}
	if a.Version == 0 {
		a.Version = n + 1
	} else if a.Version != n+1 {
		return conflict("payload.version", "the next agreement version is %d, not %d", n+1, a.Version)
	}
	if n > 0 && a.EffectiveDate < s.agreements[n-1].EffectiveDate {
		return invalid("payload.effective_date", "%s is before the effective date of version %d (%s)", a.EffectiveDate, n, s.agreements[n-1].EffectiveDate)
	}
	for i, m := range a.Signatories {
		if err := s.activeMember(fmt.Sprintf("payload.signatories[%d]", i), m); err != nil {
			return err
		}
	}
	for _, c := range a.Valuation.PersonMonthRates {
		if c.Currency != s.baseCurrency {
			return invalid("payload.valuation.person_month_rates", "rates must be in the alliance's base currency %s, not %s", s.baseCurrency, c.Currency)
		}
	}
	return nil
}

func (a *Agreement) apply(s *State) {
	s.agreements = append(s.agreements, *a)
	if !s.noJournal {
		s.journal = append(s.journal, undo{fn: func() { s.agreements = s.agreements[:len(s.agreements)-1] }})
	}
}

// AgreementSigned records the first version of the alliance agreement.
type AgreementSigned struct{ Agreement }

func (*AgreementSigned) EventType() string       { return TypeAgreementSigned }
func (*AgreementSigned) aggregate(uint64) string { return "agreement" }
func (p *AgreementSigned) Validate() error       { return p.validate() }
func (p *AgreementSigned) decide(s *State, c *decideContext) error {
	c.derived = p.derive() || p.Version == 0 // the writer numbers versions
	return p.Agreement.decide(s, true)
}
func (p *AgreementSigned) apply(s *State, _ *Event) { p.Agreement.apply(s) }

// AgreementAmended records a new version of the agreement; it replaces the
// previous version from its effective date on.
type AgreementAmended struct {
	Agreement
	Reason string `json:"reason"`
}

func (*AgreementAmended) EventType() string       { return TypeAgreementAmended }
func (*AgreementAmended) aggregate(uint64) string { return "agreement" }
func (p *AgreementAmended) Validate() error {
	if err := p.validate(); err != nil {
		return err
	}
	return validateText("payload.reason", p.Reason, true, 2000)
}
func (p *AgreementAmended) decide(s *State, c *decideContext) error {
	c.derived = p.derive() || p.Version == 0
	return p.Agreement.decide(s, false)
}
func (p *AgreementAmended) apply(s *State, _ *Event) { p.Agreement.apply(s) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
