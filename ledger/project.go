package ledger

import "fmt"

// Participant is a member taking part in a project, with its budget.
type Participant struct {
	Member string `json:"member"`
	Budget Money  `json:"budget"`
}

// ProjectOpened starts a joint project (联合攻关项目).
type ProjectOpened struct {
	Project      string        `json:"project"`
	Name         string        `json:"name"`
	Lead         string        `json:"lead"`
	Participants []Participant `json:"participants"`
	Start        Date          `json:"start"`
	End          Date          `json:"end,omitempty"` // planned end
}

func (*ProjectOpened) EventType() string         { return TypeProjectOpened }
func (p *ProjectOpened) aggregate(uint64) string { return "project/" + p.Project }

func validateParticipants(field string, ps []Participant) error {
	if len(ps) == 0 {
		return invalid(field, "a project needs at least one participant")
	}
	seen := map[string]bool{}
	for i, pt := range ps {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := validateID(f+".member", "member", pt.Member); err != nil {
			return err
		}
		if seen[pt.Member] {
			return invalid(f+".member", "member %q is listed twice", pt.Member)
		}
		seen[pt.Member] = true
		if err := pt.Budget.validate(f+".budget", false); err != nil {
			return err
		}
	}
	return nil
}

func (p *ProjectOpened) Validate() error {
	if err := validateID("payload.project", "project", p.Project); err != nil {
		return err
	}
	if err := validateText("payload.name", p.Name, true, 200); err != nil {
		return err
	}
	if err := validateID("payload.lead", "member", p.Lead); err != nil {
		return err
	}
	if err := validateParticipants("payload.participants", p.Participants); err != nil {
		return err
	}
	lead := false
	for _, pt := range p.Participants {
		lead = lead || pt.Member == p.Lead
	}
	if !lead {
		return invalid("payload.lead", "the lead member %q must be one of the participants", p.Lead)
	}
	if err := p.Start.validate("payload.start", true); err != nil {
		return err
	}
	if err := p.End.validate("payload.end", false); err != nil {
		return err
	}
	if p.End != "" && p.End < p.Start {
		return invalid("payload.end", "the planned end %s is before the start %s", p.End, p.Start)
	}
	return nil
}

func (s *State) checkParticipants(field string, ps []Participant) error {
	for i, pt := range ps {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := s.activeMember(f+".member", pt.Member); err != nil {
			return err
		}
		if pt.Budget.Currency != s.baseCurrency {
			return invalid(f+".budget.currency", "budgets are kept in the alliance's base currency %s, not %s", s.baseCurrency, pt.Budget.Currency)
		}
	}
	return nil
}

func (p *ProjectOpened) decide(s *State, _ *decideContext) error {
	if _, ok := s.projects[p.Project]; ok {
		return conflict("payload.project", "project %q already exists", p.Project)
	}
	return s.checkParticipants("payload.participants", p.Participants)
}

func participantSet(ps []Participant) map[string]bool {
	m := make(map[string]bool, len(ps))
	for _, pt := range ps {
		m[pt.Member] = true
	}
	return m
}

func (p *ProjectOpened) apply(s *State, _ *Event) {
	setMap(s, s.projects, p.Project, projectState{Open: true, Participants: participantSet(p.Participants)})
}

// ProjectParticipantsChanged replaces a project's participant list and budgets.
type ProjectParticipantsChanged struct {
	Project      string        `json:"project"`
	Participants []Participant `json:"participants"`
	Reason       string        `json:"reason,omitempty"`
}

func (*ProjectParticipantsChanged) EventType() string         { return TypeProjectParticipants }
func (p *ProjectParticipantsChanged) aggregate(uint64) string { return "project/" + p.Project }

func (p *ProjectParticipantsChanged) Validate() error {
	if err := validateID("payload.project", "project", p.Project); err != nil {
		return err
	}
	if err := validateParticipants("payload.participants", p.Participants); err != nil {
		return err
	}
	return validateText("payload.reason", p.Reason, false, 2000)
}

func (p *ProjectParticipantsChanged) decide(s *State, _ *decideContext) error {
	if err := s.openProject("payload.project", p.Project); err != nil {
		return err
	}
	return s.checkParticipants("payload.participants", p.Participants)
}

func (p *ProjectParticipantsChanged) apply(s *State, _ *Event) {
	setMap(s, s.projects, p.Project, projectState{Open: true, Participants: participantSet(p.Participants)})
}

// Project outcomes.
var ProjectOutcomes = []string{"completed", "terminated", "failed"}

// ProjectClosed ends a project; no contribution can be recorded to it after.
type ProjectClosed struct {
	Project string `json:"project"`
	Outcome string `json:"outcome"`
	Note    string `json:"note,omitempty"`
}

func (*ProjectClosed) EventType() string         { return TypeProjectClosed }
func (p *ProjectClosed) aggregate(uint64) string { return "project/" + p.Project }

func (p *ProjectClosed) Validate() error {
	if err := validateID("payload.project", "project", p.Project); err != nil {
		return err
	}
	if err := validateEnum("payload.outcome", p.Outcome, ProjectOutcomes); err != nil {
		return err
	}
	return validateText("payload.note", p.Note, false, 2000)
}

func (p *ProjectClosed) decide(s *State, _ *decideContext) error {
	return s.openProject("payload.project", p.Project)
}

func (p *ProjectClosed) apply(s *State, _ *Event) {
	ps := s.projects[p.Project]
	ps.Open = false
	setMap(s, s.projects, p.Project, ps)
}
