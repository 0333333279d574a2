package ledger

import (
	"encoding/json"
	"strconv"
)

// Contribution kinds (投入类型).
var ContributionKinds = []string{"cash", "equipment", "personnel", "technology", "data", "facility"}

// Valuation methods for a contribution's value.
var ValuationMethods = []string{"declared", "agreement-rate", "market-price", "appraisal", "book-value"}

// ContributionRecorded records what a member put in: cash, or something in
// kind valued in money, either directly or as quantity × unit value.
// Schema v2 replaced v1's flat "amount"/"currency" by "value" and added
// quantities, valuation and counterparty.
type ContributionRecorded struct {
	Member  string `json:"member"`
	Project string `json:"project,omitempty"` // empty: to the alliance as a whole
	Kind    string `json:"kind"`
	// Value is the contribution's value. With Quantity it is computed by the
	// writer as Quantity × UnitValue, rounded half away from zero.
	Value     Money  `json:"value"`
	Quantity  *Ratio `json:"quantity,omitempty"`
	Unit      string `json:"unit,omitempty"` // e.g. "person-month", "machine-hour"
	UnitValue *Money `json:"unit_value,omitempty"`
	Valuation string `json:"valuation"`
	// Counterparty confirms the contribution; by default the custodian.
	Counterparty string    `json:"counterparty"`
	Description  string    `json:"description,omitempty"`
	Evidence     *Evidence `json:"evidence,omitempty"`
}

func (*ContributionRecorded) EventType() string { return TypeContributionRecorded }
func (*ContributionRecorded) aggregate(seq uint64) string {
	return "contribution/" + strconv.FormatUint(seq, 10)
}

func (p *ContributionRecorded) Validate() error {
	if err := validateID("payload.member", "member", p.Member); err != nil {
		return err
	}
	if err := validateOptionalID("payload.project", "project", p.Project); err != nil {
		return err
	}
	if err := validateEnum("payload.kind", p.Kind, ContributionKinds); err != nil {
		return err
	}
	if p.Quantity != nil {
		if p.Quantity.Sign() <= 0 {
			return invalid("payload.quantity", "quantity must be positive, got %s", p.Quantity)
		}
		if err := validateText("payload.unit", p.Unit, true, 40); err != nil {
			return err
		}
		if p.UnitValue != nil {
			if err := p.UnitValue.validate("payload.unit_value", true); err != nil {
				return err
			}
		} else if p.Kind != "personnel" || p.Unit != "person-month" {
			return invalid("payload.unit_value", "a unit value is required (only person-months can be valued at the agreement's rate)")
		}
		if p.Kind == "cash" {
			return invalid("payload.quantity", "cash contributions are recorded as a value, not a quantity")
		}
	} else {
		if p.UnitValue != nil || p.Unit != "" {
			return invalid("payload.quantity", "a unit or unit value needs a quantity")
		}
		if err := p.Value.validate("payload.value", true); err != nil {
			return err
		}
	}
	if p.Valuation != "" {
		if err := validateEnum("payload.valuation", p.Valuation, ValuationMethods); err != nil {
			return err
		}
	}
	if p.Kind == "cash" && p.Valuation != "" && p.Valuation != "declared" {
		return invalid("payload.valuation", "cash is not valued, got %q", p.Valuation)
	}
	if err := validateOptionalID("payload.counterparty", "member", p.Counterparty); err != nil {
		return err
	}
	if p.Counterparty != "" && p.Counterparty == p.Member {
		return invalid("payload.counterparty", "a member cannot confirm its own contribution")
	}
	if err := validateText("payload.description", p.Description, false, 2000); err != nil {
		return err
	}
	return p.Evidence.validate("payload.evidence")
}

func (p *ContributionRecorded) decide(s *State, c *decideContext) error {
	before := *p
	defer func() { c.derived = *p != before }()
	if err := s.activeMember("payload.member", p.Member); err != nil {
		return err
	}
	if p.Project != "" {
		if err := s.openProject("payload.project", p.Project); err != nil {
			return err
		}
		if !s.projects[p.Project].Participants[p.Member] {
			return invalid("payload.member", "member %q does not take part in project %q", p.Member, p.Project)
		}
	}
	return p.complete(s)
}

// complete values the contribution (quantity × unit value, or the agreed
// person-month rate) and fills in the valuation method and counterparty.
func (p *ContributionRecorded) complete(s *State) error {
	if p.Quantity != nil {
		unit := p.UnitValue
		if unit == nil {
			ag, ok := s.agreement()
			rate, has := ag.Valuation.PersonMonthRates[s.members[p.Member].Kind]
			if !ok || !has {
				return invalid("payload.unit_value", "the agreement sets no person-month rate for %s members; give a unit value", s.members[p.Member].Kind)
			}
			unit = &rate
			if p.Valuation == "" {
				p.Valuation = "agreement-rate"
			}
		}
		v, ok := mulRound(p.Quantity.value(), unit.Amount)
		if !ok || v > maxAmount {
			return invalid("payload.quantity", "quantity × unit value is too large")
		}
		if v == 0 {
			return invalid("payload.quantity", "quantity × unit value rounds to zero")
		}
		if p.Value.Amount != 0 && (p.Value.Amount != v || p.Value.Currency != unit.Currency) {
			return invalid("payload.value", "value %s differs from quantity × unit value = %s", p.Value, Money{v, unit.Currency})
		}
		p.Value = Money{Amount: v, Currency: unit.Currency}
		p.UnitValue = unit
	}
	if p.Value.Currency != s.baseCurrency {
		return invalid("payload.value.currency", "contributions are valued in the alliance's base currency %s, not %s", s.baseCurrency, p.Value.Currency)
	}
	if p.Valuation == "" {
		p.Valuation = "declared"
	}
	if p.Counterparty == "" {
		p.Counterparty = s.custodian
		if p.Counterparty == p.Member {
			// The custodian's own contributions are confirmed by the chair,
			// or by a vice-chair when the custodian chairs.
			p.Counterparty = s.firstWithRole(p.Member, "chair", "vice-chair")
		}
	}
	if p.Counterparty == "" || p.Counterparty == p.Member {
		return invalid("payload.counterparty", "name the member who confirms this contribution")
	}
	return s.activeMember("payload.counterparty", p.Counterparty)
}

func (p *ContributionRecorded) apply(s *State, e *Event) {
	s.setContribution(e.Seq, contributionState{Member: p.Member, Project: p.Project, Counterparty: p.Counterparty, Status: "recorded"})
}

// firstWithRole returns the active member, other than not, with the first
// of roles; among several, the smallest id.
func (s *State) firstWithRole(not string, roles ...string) string {
	for _, role := range roles {
		best := ""
		for id, m := range s.members {
			if id != not && m.Active && m.Role == role && (best == "" || id < best) {
				best = id
			}
		}
		if best != "" {
			return best
		}
	}
	return ""
}

func upcastContributionRecordedV1(raw json.RawMessage) (json.RawMessage, error) {
	var v1 struct {
		Member      string    `json:"member"`
		Project     string    `json:"project"`
		Kind        string    `json:"kind"`
		Amount      int64     `json:"amount"`
		Currency    string    `json:"currency"`
		Description string    `json:"description"`
		Evidence    *Evidence `json:"evidence"`
		ConfirmedBy string    `json:"confirmed_by"`
	}
	if err := json.Unmarshal(raw, &v1); err != nil {
		return nil, err
	}
	return json.Marshal(ContributionRecorded{
		Member: v1.Member, Project: v1.Project, Kind: v1.Kind,
		Value:        Money{Amount: v1.Amount, Currency: v1.Currency},
		Valuation:    "declared",
		Counterparty: v1.ConfirmedBy,
		Description:  v1.Description, Evidence: v1.Evidence,
	})
}

// ContributionConfirmed: the counterparty confirms a recorded contribution.
type ContributionConfirmed struct {
	Contribution uint64 `json:"contribution"` // position of contribution.recorded
	By           string `json:"by"`
	Note         string `json:"note,omitempty"`
}

func (*ContributionConfirmed) EventType() string { return TypeContributionConfirmed }
func (p *ContributionConfirmed) aggregate(uint64) string {
	return "contribution/" + strconv.FormatUint(p.Contribution, 10)
}

func (p *ContributionConfirmed) Validate() error {
	if p.Contribution == 0 {
		return invalid("payload.contribution", "the position of the contribution is required")
	}
	if err := validateID("payload.by", "member", p.By); err != nil {
		return err
	}
	return validateText("payload.note", p.Note, false, 2000)
}

func (s *State) contribution(field string, seq uint64) (contributionState, error) {
	c, ok := s.contributions.get(seq)
	if !ok {
		return c, notFound(field, "there is no contribution at position %d", seq)
	}
	if c.Status == "reversed" {
		return c, invalid(field, "the contribution at position %d was reversed", seq)
	}
	return c, nil
}

func (p *ContributionConfirmed) decide(s *State, _ *decideContext) error {
	c, err := s.contribution("payload.contribution", p.Contribution)
	if err != nil {
		return err
	}
	if c.Status == "confirmed" {
		return conflict("payload.contribution", "the contribution at position %d is already confirmed", p.Contribution)
	}
	if p.By != c.Counterparty {
		// When the counterparty has left the alliance, the custodian
		// confirms in its place.
		if s.members[c.Counterparty].Active || p.By != s.custodian {
			return forbidden("payload.by", "only the counterparty %q can confirm this contribution, not %q", c.Counterparty, p.By)
		}
	}
	return s.activeMember("payload.by", p.By)
}

func (p *ContributionConfirmed) apply(s *State, _ *Event) {
	c, _ := s.contributions.get(p.Contribution)
	c.Status = "confirmed"
	s.setContribution(p.Contribution, c)
}

// ContributionContested: a member disputes a recorded contribution's facts
// (its value, its kind, whether it happened).
type ContributionContested struct {
	Contribution uint64 `json:"contribution"`
	By           string `json:"by"`
	Reason       string `json:"reason"`
	ClaimedValue *Money `json:"claimed_value,omitempty"`
}

func (*ContributionContested) EventType() string { return TypeContributionContested }
func (p *ContributionContested) aggregate(uint64) string {
	return "contribution/" + strconv.FormatUint(p.Contribution, 10)
}

func (p *ContributionContested) Validate() error {
	if p.Contribution == 0 {
		return invalid("payload.contribution", "the position of the contribution is required")
	}
	if err := validateID("payload.by", "member", p.By); err != nil {
		return err
	}
	if err := validateText("payload.reason", p.Reason, true, 2000); err != nil {
		return err
	}
	if p.ClaimedValue != nil {
		return p.ClaimedValue.validate("payload.claimed_value", false)
	}
	return nil
}

func (p *ContributionContested) decide(s *State, _ *decideContext) error {
	c, err := s.contribution("payload.contribution", p.Contribution)
	if err != nil {
		return err
	}
	if c.Status == "contested" {
		return conflict("payload.contribution", "the contribution at position %d is already contested", p.Contribution)
	}
	if p.ClaimedValue != nil && p.ClaimedValue.Currency != s.baseCurrency {
		return invalid("payload.claimed_value.currency", "must be the base currency %s", s.baseCurrency)
	}
	return s.activeMember("payload.by", p.By)
}

func (p *ContributionContested) apply(s *State, _ *Event) {
	c, _ := s.contributions.get(p.Contribution)
	c.Status = "contested"
	s.setContribution(p.Contribution, c)
}
