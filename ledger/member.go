package ledger

import "regexp"

// Member kinds and roles.
var (
	MemberKinds = []string{"enterprise", "university", "research-institute", "other"}
	MemberRoles = []string{"chair", "vice-chair", "council", "ordinary"}
)

// MemberAdmitted admits a member unit (成员单位), or readmits one that left.
type MemberAdmitted struct {
	Member string `json:"member"`
	Name   string `json:"name"`
	NameEN string `json:"name_en,omitempty"`
	Kind   string `json:"kind"`
	Role   string `json:"role"`
	// CreditCode is the unified social credit code (统一社会信用代码), if known.
	CreditCode string `json:"credit_code,omitempty"`
}

func (*MemberAdmitted) EventType() string         { return TypeMemberAdmitted }
func (p *MemberAdmitted) aggregate(uint64) string { return "member/" + p.Member }

func (p *MemberAdmitted) Validate() error {
	if err := validateID("payload.member", "member", p.Member); err != nil {
		return err
	}
	if err := validateText("payload.name", p.Name, true, 200); err != nil {
		return err
	}
	if err := validateText("payload.name_en", p.NameEN, false, 200); err != nil {
		return err
	}
	if err := validateEnum("payload.kind", p.Kind, MemberKinds); err != nil {
		return err
	}
	if err := validateEnum("payload.role", p.Role, MemberRoles); err != nil {
		return err
	}
	if p.CreditCode != "" && !creditCodePattern.MatchString(p.CreditCode) {
		return invalid("payload.credit_code", "%q is not an 18-character unified social credit code", p.CreditCode)
	}
	return nil
}

func (p *MemberAdmitted) decide(s *State, _ *decideContext) error {
	if m, ok := s.members[p.Member]; ok && m.Active {
		return conflict("payload.member", "member %q is already a member", p.Member)
	}
	return s.checkSingleChair("payload.role", p.Member, p.Role)
}

func (p *MemberAdmitted) apply(s *State, _ *Event) {
	setMap(s, s.members, p.Member, memberState{Kind: p.Kind, Role: p.Role, Active: true})
}

// checkSingleChair enforces that an alliance has at most one chair (理事长单位).
func (s *State) checkSingleChair(field, member, role string) error {
	if role != "chair" {
		return nil
	}
	for id, m := range s.members {
		if id != member && m.Active && m.Role == "chair" {
			return conflict(field, "member %q is already the chair; change its role first", id)
		}
	}
	return nil
}

// MemberRoleChanged changes a member's role in the alliance's bodies.
type MemberRoleChanged struct {
	Member string `json:"member"`
	Role   string `json:"role"`
}

func (*MemberRoleChanged) EventType() string         { return TypeMemberRoleChanged }
func (p *MemberRoleChanged) aggregate(uint64) string { return "member/" + p.Member }

func (p *MemberRoleChanged) Validate() error {
	if err := validateID("payload.member", "member", p.Member); err != nil {
		return err
	}
	return validateEnum("payload.role", p.Role, MemberRoles)
}

func (p *MemberRoleChanged) decide(s *State, _ *decideContext) error {
	if err := s.activeMember("payload.member", p.Member); err != nil {
		return err
	}
	if s.members[p.Member].Role == p.Role {
		return invalid("payload.role", "member %q already has role %q", p.Member, p.Role)
	}
	return s.checkSingleChair("payload.role", p.Member, p.Role)
}

func (p *MemberRoleChanged) apply(s *State, _ *Event) {
	m := s.members[p.Member]
	m.Role = p.Role
	setMap(s, s.members, p.Member, m)
}

// How a member leaves.
var DepartureKinds = []string{"withdrew", "expelled"}

// MemberDeparted records that a member withdrew (退出) or was expelled (除名).
type MemberDeparted struct {
	Member string `json:"member"`
	How    string `json:"how"`
	Reason string `json:"reason,omitempty"`
}

func (*MemberDeparted) EventType() string         { return TypeMemberDeparted }
func (p *MemberDeparted) aggregate(uint64) string { return "member/" + p.Member }

func (p *MemberDeparted) Validate() error {
	if err := validateID("payload.member", "member", p.Member); err != nil {
		return err
	}
	if err := validateEnum("payload.how", p.How, DepartureKinds); err != nil {
		return err
	}
	return validateText("payload.reason", p.Reason, p.How == "expelled", 2000)
}

func (p *MemberDeparted) decide(s *State, _ *decideContext) error {
	if err := s.activeMember("payload.member", p.Member); err != nil {
		return err
	}
	if p.Member == s.custodian {
		return invalid("payload.member", "member %q is the custodian and cannot leave while it holds the alliance's office and money", p.Member)
	}
	return nil
}

func (p *MemberDeparted) apply(s *State, _ *Event) {
	m := s.members[p.Member]
	m.Active = false
	setMap(s, s.members, p.Member, m)
}

var creditCodePattern = regexp.MustCompile(`^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$`)
