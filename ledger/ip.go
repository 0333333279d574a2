package ledger

import (
	"fmt"
	"slices"
)

// IP types (知识产权与创新成果类型).
var IPTypes = []string{
	"patent-invention", "patent-utility-model", "patent-design", "software-copyright",
	"standard-national", "standard-industry", "standard-group",
	"paper", "new-product", "new-process",
}

// IP statuses after filing, and which statuses each may move to.
var ipTransitions = map[string][]string{
	"filed":       {"granted", "rejected", "lapsed"},
	"granted":     {"licensed", "transferred", "lapsed"},
	"licensed":    {"licensed", "transferred", "lapsed"},
	"rejected":    nil,
	"transferred": nil,
	"lapsed":      nil,
}

// IPStatuses are the statuses an ip.status_changed event may set.
var IPStatuses = []string{"granted", "rejected", "licensed", "transferred", "lapsed"}

// IPFiled records an IP filing or an innovation output with its owners.
type IPFiled struct {
	Asset     string    `json:"asset"` // the alliance's id for the asset
	Type      string    `json:"type"`
	Title     string    `json:"title"`
	Number    string    `json:"number,omitempty"` // application / registration / standard number
	Owners    []Share   `json:"owners"`           // exact shares summing to 1
	Inventors []string  `json:"inventors,omitempty"`
	Project   string    `json:"project,omitempty"`
	Evidence  *Evidence `json:"evidence,omitempty"`
}

func (*IPFiled) EventType() string         { return TypeIPFiled }
func (p *IPFiled) aggregate(uint64) string { return "ip/" + p.Asset }

func (p *IPFiled) Validate() error {
	if err := validateID("payload.asset", "asset", p.Asset); err != nil {
		return err
	}
	if err := validateEnum("payload.type", p.Type, IPTypes); err != nil {
		return err
	}
	if err := validateText("payload.title", p.Title, true, 500); err != nil {
		return err
	}
	if err := validateText("payload.number", p.Number, false, 100); err != nil {
		return err
	}
	if err := validateShares("payload.owners", p.Owners); err != nil {
		return err
	}
	for i, inv := range p.Inventors {
		if err := validateText(fmt.Sprintf("payload.inventors[%d]", i), inv, true, 100); err != nil {
			return err
		}
	}
	if err := validateOptionalID("payload.project", "project", p.Project); err != nil {
		return err
	}
	return p.Evidence.validate("payload.evidence")
}

func (p *IPFiled) decide(s *State, _ *decideContext) error {
	if _, ok := s.assets[p.Asset]; ok {
		return conflict("payload.asset", "asset %q is already filed", p.Asset)
	}
	for i, o := range p.Owners {
		if err := s.activeMember(fmt.Sprintf("payload.owners[%d].member", i), o.Member); err != nil {
			return err
		}
	}
	if p.Project != "" {
		return s.knownProject("payload.project", p.Project)
	}
	return nil
}

func (p *IPFiled) apply(s *State, _ *Event) {
	owners := map[string]bool{}
	for _, o := range p.Owners {
		owners[o.Member] = true
	}
	setMap(s, s.assets, p.Asset, assetState{Type: p.Type, Status: "filed", Owners: owners})
}

// IPStatusChanged moves an asset through its life: granted, rejected,
// licensed, transferred, lapsed.
type IPStatusChanged struct {
	Asset  string `json:"asset"`
	Status string `json:"status"`
	Number string `json:"number,omitempty"` // e.g. the grant number
	// Counterparty is the licensee or transferee, for licensed/transferred.
	Counterparty string `json:"counterparty,omitempty"`
	Note         string `json:"note,omitempty"`
}

func (*IPStatusChanged) EventType() string         { return TypeIPStatusChanged }
func (p *IPStatusChanged) aggregate(uint64) string { return "ip/" + p.Asset }

func (p *IPStatusChanged) Validate() error {
	if err := validateID("payload.asset", "asset", p.Asset); err != nil {
		return err
	}
	if err := validateEnum("payload.status", p.Status, IPStatuses); err != nil {
		return err
	}
	if err := validateText("payload.counterparty", p.Counterparty, p.Status == "licensed" || p.Status == "transferred", 200); err != nil {
		return err
	}
	if err := validateText("payload.number", p.Number, false, 100); err != nil {
		return err
	}
	return validateText("payload.note", p.Note, false, 2000)
}

func (p *IPStatusChanged) decide(s *State, _ *decideContext) error {
	a, ok := s.assets[p.Asset]
	if !ok {
		return notFound("payload.asset", "asset %q is not filed", p.Asset)
	}
	if !slices.Contains(ipTransitions[a.Status], p.Status) {
		return invalid("payload.status", "asset %q is %s and cannot become %s", p.Asset, a.Status, p.Status)
	}
	return nil
}

func (p *IPStatusChanged) apply(s *State, _ *Event) {
	a := s.assets[p.Asset]
	a.Status = p.Status
	setMap(s, s.assets, p.Asset, a)
}

// IPLicenceRevenue records revenue earned from licensing an asset.
type IPLicenceRevenue struct {
	Asset    string `json:"asset"`
	Licensee string `json:"licensee"`
	Amount   Money  `json:"amount"`
	Period   string `json:"period,omitempty"` // e.g. "2025" or "2025-Q3"
}

func (*IPLicenceRevenue) EventType() string         { return TypeIPLicenceRevenue }
func (p *IPLicenceRevenue) aggregate(uint64) string { return "ip/" + p.Asset }

func (p *IPLicenceRevenue) Validate() error {
	if err := validateID("payload.asset", "asset", p.Asset); err != nil {
		return err
	}
	if err := validateText("payload.licensee", p.Licensee, true, 200); err != nil {
		return err
	}
	if err := p.Amount.validate("payload.amount", true); err != nil {
		return err
	}
	return validateText("payload.period", p.Period, false, 20)
}

func (p *IPLicenceRevenue) decide(s *State, _ *decideContext) error {
	a, ok := s.assets[p.Asset]
	if !ok {
		return notFound("payload.asset", "asset %q is not filed", p.Asset)
	}
	if a.Status != "licensed" {
		return invalid("payload.asset", "asset %q is %s; record it as licensed before its licence revenue", p.Asset, a.Status)
	}
	return nil
}

func (p *IPLicenceRevenue) apply(*State, *Event) {}
