package ledger

import "strconv"

// Funding sources (经费来源).
var FundingSources = []string{"government-grant", "matching-funds", "member-dues", "external-investment", "licensing-revenue", "service-revenue"}

// FundingReceived records money that came in.
type FundingReceived struct {
	Source string `json:"source"`
	// Payer names who paid: a grant programme, an investor, a client.
	Payer string `json:"payer"`
	// Member is the paying member, required for dues and matching funds.
	Member    string    `json:"member,omitempty"`
	Amount    Money     `json:"amount"`
	Project   string    `json:"project,omitempty"` // earmarked to a project
	Reference string    `json:"reference,omitempty"`
	Evidence  *Evidence `json:"evidence,omitempty"`
}

func (*FundingReceived) EventType() string { return TypeFundingReceived }
func (*FundingReceived) aggregate(seq uint64) string {
	return "funding/" + strconv.FormatUint(seq, 10)
}

func (p *FundingReceived) Validate() error {
	if err := validateEnum("payload.source", p.Source, FundingSources); err != nil {
		return err
	}
	if err := validateText("payload.payer", p.Payer, p.Member == "", 200); err != nil {
		return err
	}
	if (p.Source == "member-dues" || p.Source == "matching-funds") && p.Member == "" {
		return invalid("payload.member", "%s must name the paying member", p.Source)
	}
	if err := validateOptionalID("payload.member", "member", p.Member); err != nil {
		return err
	}
	if err := p.Amount.validate("payload.amount", true); err != nil {
		return err
	}
	if err := validateOptionalID("payload.project", "project", p.Project); err != nil {
		return err
	}
	if err := validateText("payload.reference", p.Reference, false, 200); err != nil {
		return err
	}
	return p.Evidence.validate("payload.evidence")
}

func (p *FundingReceived) decide(s *State, _ *decideContext) error {
	if p.Member != "" {
		if err := s.knownMember("payload.member", p.Member); err != nil {
			return err
		}
	}
	if p.Project != "" {
		return s.knownProject("payload.project", p.Project)
	}
	return nil
}

func (p *FundingReceived) apply(*State, *Event) {}

// Cost categories.
var CostCategories = []string{"personnel", "equipment", "materials", "services", "travel", "facility", "overhead", "other"}

// CostIncurred records money spent on a project.
type CostIncurred struct {
	Project  string `json:"project"`
	Category string `json:"category"`
	Amount   Money  `json:"amount"`
	// BorneBy is the member that bore the cost; empty means the alliance's
	// common funds (kept by the custodian).
	BorneBy     string    `json:"borne_by,omitempty"`
	Description string    `json:"description,omitempty"`
	Evidence    *Evidence `json:"evidence,omitempty"`
}

func (*CostIncurred) EventType() string         { return TypeCostIncurred }
func (p *CostIncurred) aggregate(uint64) string { return "project/" + p.Project }

func (p *CostIncurred) Validate() error {
	if err := validateID("payload.project", "project", p.Project); err != nil {
		return err
	}
	if err := validateEnum("payload.category", p.Category, CostCategories); err != nil {
		return err
	}
	if err := p.Amount.validate("payload.amount", true); err != nil {
		return err
	}
	if err := validateOptionalID("payload.borne_by", "member", p.BorneBy); err != nil {
		return err
	}
	if err := validateText("payload.description", p.Description, false, 2000); err != nil {
		return err
	}
	return p.Evidence.validate("payload.evidence")
}

func (p *CostIncurred) decide(s *State, _ *decideContext) error {
	if err := s.knownProject("payload.project", p.Project); err != nil {
		return err
	}
	if p.BorneBy != "" {
		return s.knownMember("payload.borne_by", p.BorneBy)
	}
	return nil
}

func (p *CostIncurred) apply(*State, *Event) {}

// LossRealized records a loss a project realised (a failed line of work,
// written-off equipment); the read side shares it by the risk rule.
type LossRealized struct {
	Project  string    `json:"project"`
	Amount   Money     `json:"amount"`
	Reason   string    `json:"reason"`
	Evidence *Evidence `json:"evidence,omitempty"`
}

func (*LossRealized) EventType() string         { return TypeLossRealized }
func (p *LossRealized) aggregate(uint64) string { return "project/" + p.Project }

func (p *LossRealized) Validate() error {
	if err := validateID("payload.project", "project", p.Project); err != nil {
		return err
	}
	if err := p.Amount.validate("payload.amount", true); err != nil {
		return err
	}
	if err := validateText("payload.reason", p.Reason, true, 2000); err != nil {
		return err
	}
	return p.Evidence.validate("payload.evidence")
}

func (p *LossRealized) decide(s *State, _ *decideContext) error {
	if err := s.knownProject("payload.project", p.Project); err != nil {
		return err
	}
	if p.Amount.Currency != s.baseCurrency {
		return invalid("payload.amount.currency", "losses are shared in the base currency %s, not %s", s.baseCurrency, p.Amount.Currency)
	}
	return nil
}

func (p *LossRealized) apply(*State, *Event) {}
