package ledger

import (
	"encoding/json"
	"fmt"
	"time"
)

// Event type names.
const (
	TypeAllianceFounded       = "alliance.founded"
	TypeMemberAdmitted        = "member.admitted"
	TypeMemberRoleChanged     = "member.role_changed"
	TypeMemberDeparted        = "member.departed"
	TypeAgreementSigned       = "agreement.signed"
	TypeAgreementAmended      = "agreement.amended"
	TypeProjectOpened         = "project.opened"
	TypeProjectParticipants   = "project.participants_changed"
	TypeProjectClosed         = "project.closed"
	TypeContributionRecorded  = "contribution.recorded"
	TypeContributionConfirmed = "contribution.confirmed"
	TypeContributionContested = "contribution.contested"
	TypeIPFiled               = "ip.filed"
	TypeIPStatusChanged       = "ip.status_changed"
	TypeIPLicenceRevenue      = "ip.licence_revenue"
	TypeFundingReceived       = "funding.received"
	TypeCostIncurred          = "cost.incurred"
	TypeLossRealized          = "loss.realized"
	TypePoolDeclared          = "pool.declared"
	TypePoolAssessed          = "pool.assessed"
	TypePayoutCommitted       = "payout.committed"
	TypePayoutSettled         = "payout.settled"
	TypePayoutAdjusted        = "payout.adjusted"
	TypeDisputeRaised         = "dispute.raised"
	TypeDisputeResolved       = "dispute.resolved"
	TypeEntryReversed         = "entry.reversed"
	TypeEntryCorrected        = "entry.corrected"
	TypeEvaluationScheme      = "evaluation.scheme_adopted"
	TypeEvaluationRated       = "evaluation.rated"
)

func eventTypes() []eventType {
	return []eventType{
		{name: TypeAllianceFounded, current: 2, new: func() Payload { return new(AllianceFounded) },
			upcast: map[int]func(json.RawMessage) (json.RawMessage, error){1: upcastAllianceFoundedV1}},
		{name: TypeMemberAdmitted, new: func() Payload { return new(MemberAdmitted) }},
		{name: TypeMemberRoleChanged, new: func() Payload { return new(MemberRoleChanged) }},
		{name: TypeMemberDeparted, new: func() Payload { return new(MemberDeparted) }},
		{name: TypeAgreementSigned, new: func() Payload { return &AgreementSigned{} }},
		{name: TypeAgreementAmended, new: func() Payload { return &AgreementAmended{} }},
		{name: TypeProjectOpened, new: func() Payload { return new(ProjectOpened) }},
		{name: TypeProjectParticipants, new: func() Payload { return new(ProjectParticipantsChanged) }},
		{name: TypeProjectClosed, new: func() Payload { return new(ProjectClosed) }},
		{name: TypeContributionRecorded, current: 2, new: func() Payload { return new(ContributionRecorded) },
			upcast: map[int]func(json.RawMessage) (json.RawMessage, error){1: upcastContributionRecordedV1}},
		{name: TypeContributionConfirmed, new: func() Payload { return new(ContributionConfirmed) }},
		{name: TypeContributionContested, new: func() Payload { return new(ContributionContested) }},
		{name: TypeIPFiled, new: func() Payload { return new(IPFiled) }},
		{name: TypeIPStatusChanged, new: func() Payload { return new(IPStatusChanged) }},
		{name: TypeIPLicenceRevenue, new: func() Payload { return new(IPLicenceRevenue) }},
		{name: TypeFundingReceived, new: func() Payload { return new(FundingReceived) }},
		{name: TypeCostIncurred, new: func() Payload { return new(CostIncurred) }},
		{name: TypeLossRealized, new: func() Payload { return new(LossRealized) }},
		{name: TypePoolDeclared, new: func() Payload { return new(PoolDeclared) }},
		{name: TypePayoutCommitted, new: func() Payload { return new(PayoutCommitted) }},
		{name: TypePayoutSettled, new: func() Payload { return new(PayoutSettled) }},
		{name: TypePoolAssessed, new: func() Payload { return new(PoolAssessed) }},
		{name: TypePayoutAdjusted, new: func() Payload { return new(PayoutAdjusted) }},
		{name: TypeDisputeRaised, new: func() Payload { return new(DisputeRaised) }},
		{name: TypeDisputeResolved, new: func() Payload { return new(DisputeResolved) }},
		{name: TypeEntryReversed, new: func() Payload { return new(EntryReversed) }},
		{name: TypeEntryCorrected, new: func() Payload { return new(EntryCorrected) }},
		{name: TypeEvaluationScheme, new: func() Payload { return new(EvaluationSchemeAdopted) }},
		{name: TypeEvaluationRated, new: func() Payload { return new(EvaluationRated) }},
	}
}

// Alliance types (联盟类型).
var AllianceTypes = []string{"technology-standard", "industry-chain", "rd-cooperation", "market-cooperation", "sme"}

// Legal forms: a registered social organisation (社团法人), a contract
// alliance without legal personality, or a self-organised one.
var LegalForms = []string{"registered-society", "non-legal-person", "self-organised"}

// DefaultTimeZone is the zone periods are reckoned in unless the alliance says otherwise.
const DefaultTimeZone = "Asia/Shanghai"

// AllianceFounded starts an alliance's log; it is always event 1.
// Schema v2 renamed v1's "currency" to "base_currency" and added "time_zone".
type AllianceFounded struct {
	Name         string `json:"name"`
	NameEN       string `json:"name_en,omitempty"`
	Type         string `json:"type"`
	LegalForm    string `json:"legal_form"`
	BaseCurrency string `json:"base_currency"`
	TimeZone     string `json:"time_zone"`
	// Custodian (依托单位) is the member unit that keeps the office and the
	// money. It must be admitted in the same request as the founding.
	Custodian string `json:"custodian"`
}

func (*AllianceFounded) EventType() string       { return TypeAllianceFounded }
func (*AllianceFounded) aggregate(uint64) string { return "alliance" }

func (p *AllianceFounded) Validate() error {
	if err := validateText("payload.name", p.Name, true, 200); err != nil {
		return err
	}
	if err := validateText("payload.name_en", p.NameEN, false, 200); err != nil {
		return err
	}
	if err := validateEnum("payload.type", p.Type, AllianceTypes); err != nil {
		return err
	}
	if err := validateEnum("payload.legal_form", p.LegalForm, LegalForms); err != nil {
		return err
	}
	if err := validateCurrency("payload.base_currency", p.BaseCurrency); err != nil {
		return err
	}
	if p.TimeZone != "" {
		if _, err := time.LoadLocation(p.TimeZone); err != nil {
			return invalid("payload.time_zone", "%q is not an IANA time zone", p.TimeZone)
		}
	}
	return validateID("payload.custodian", "member", p.Custodian)
}

func (p *AllianceFounded) decide(s *State, c *decideContext) error {
	if s.founded {
		return conflict("type", "alliance %s is already founded", s.Alliance)
	}
	if c.seq != 1 {
		return invalid("type", "alliance.founded must be the first event of the log")
	}
	if p.TimeZone == "" {
		p.TimeZone = DefaultTimeZone
		c.derived = true
	}
	return nil
}

func (p *AllianceFounded) apply(s *State, e *Event) {
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		loc = time.UTC // validated on append; an unknown zone here means the host lacks tzdata
	}
	set(s, &s.founded, true)
	set(s, &s.baseCurrency, p.BaseCurrency)
	set(s, &s.timeZone, loc)
	set(s, &s.custodian, p.Custodian)
}

func upcastAllianceFoundedV1(raw json.RawMessage) (json.RawMessage, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("payload is null")
	}
	if c, ok := m["currency"]; ok {
		m["base_currency"] = c
		delete(m, "currency")
	}
	if _, ok := m["time_zone"]; !ok {
		m["time_zone"] = DefaultTimeZone
	}
	return json.Marshal(m)
}

// requireFounded is the first check of every command but the founding.
func (s *State) requireFounded() error {
	if !s.founded {
		return notFound("alliance", "alliance %q is not founded yet (its first event must be alliance.founded)", s.Alliance)
	}
	return nil
}
