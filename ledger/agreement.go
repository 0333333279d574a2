package ledger

import (
	"fmt"
	"math/big"
	"slices"
	"sort"
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
			sum.Add(sum, w.Rat())
		}
		if sum.Cmp(big.NewRat(1, 1)) != 0 {
			return invalid("payload.distribution.factor_weights", "factor weights must sum to exactly 1, they sum to %s", ratioOf(sum))
		}
	} else if a.Distribution.Method == "multifactor-shapley" {
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
	s.journal = append(s.journal, func() { s.agreements = s.agreements[:len(s.agreements)-1] })
}

// AgreementSigned records the first version of the alliance agreement.
type AgreementSigned struct{ Agreement }

func (*AgreementSigned) EventType() string       { return TypeAgreementSigned }
func (*AgreementSigned) aggregate(uint64) string { return "agreement" }
func (p *AgreementSigned) Validate() error       { return p.validate() }
func (p *AgreementSigned) decide(s *State, c *decideContext) error {
	c.derived = p.Version == 0 // the writer numbers versions
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
	c.derived = p.Version == 0
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
