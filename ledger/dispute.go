package ledger

import (
	"fmt"
	"strconv"
)

// DisputeRaised: a member challenges a payout or a contribution (争议).
type DisputeRaised struct {
	Subject       uint64 `json:"subject"` // position of the disputed event
	By            string `json:"by"`
	Claim         string `json:"claim"`
	ClaimedAmount *Money `json:"claimed_amount,omitempty"`
}

func (*DisputeRaised) EventType() string { return TypeDisputeRaised }
func (*DisputeRaised) aggregate(seq uint64) string {
	return "dispute/" + strconv.FormatUint(seq, 10)
}

func (p *DisputeRaised) Validate() error {
	if p.Subject == 0 {
		return invalid("payload.subject", "the position of the disputed event is required")
	}
	if err := validateID("payload.by", "member", p.By); err != nil {
		return err
	}
	if err := validateText("payload.claim", p.Claim, true, 4000); err != nil {
		return err
	}
	if p.ClaimedAmount != nil {
		return p.ClaimedAmount.validate("payload.claimed_amount", false)
	}
	return nil
}

// disputable event types.
var disputable = map[string]bool{TypePayoutCommitted: true, TypeContributionRecorded: true}

func (p *DisputeRaised) decide(s *State, _ *decideContext) error {
	t := s.typeAt(p.Subject)
	if t == "" {
		return notFound("payload.subject", "there is no event at position %d", p.Subject)
	}
	if !disputable[t] {
		return invalid("payload.subject", "position %d is a %s; disputes are raised against payouts and contributions", p.Subject, t)
	}
	return s.activeMember("payload.by", p.By)
}

func (p *DisputeRaised) apply(s *State, e *Event) {
	setMap(s, s.disputes, e.Seq, disputeState{Subject: p.Subject})
}

// Dispute outcomes.
var DisputeOutcomes = []string{"upheld", "partially-upheld", "rejected", "withdrawn"}

// DisputeResolved closes a dispute. Adjustments cite the entries appended to
// put the resolution into effect (reversals, corrections, payout
// adjustments). Left empty, the writer fills in the payout adjustments that
// cite the dispute, so one request can adjust and resolve atomically.
type DisputeResolved struct {
	Dispute     uint64   `json:"dispute"` // position of dispute.raised
	Outcome     string   `json:"outcome"`
	Resolution  string   `json:"resolution"`
	Adjustments []uint64 `json:"adjustments,omitempty"`
}

func (*DisputeResolved) EventType() string { return TypeDisputeResolved }
func (p *DisputeResolved) aggregate(uint64) string {
	return "dispute/" + strconv.FormatUint(p.Dispute, 10)
}

func (p *DisputeResolved) Validate() error {
	if p.Dispute == 0 {
		return invalid("payload.dispute", "the position of the dispute is required")
	}
	if err := validateEnum("payload.outcome", p.Outcome, DisputeOutcomes); err != nil {
		return err
	}
	return validateText("payload.resolution", p.Resolution, true, 4000)
}

func (p *DisputeResolved) decide(s *State, c *decideContext) error {
	d, ok := s.disputes[p.Dispute]
	if !ok {
		return notFound("payload.dispute", "there is no dispute at position %d", p.Dispute)
	}
	if d.Resolved {
		return conflict("payload.dispute", "the dispute at position %d is already resolved", p.Dispute)
	}
	if len(p.Adjustments) == 0 && len(d.Adjustments) > 0 {
		p.Adjustments = append([]uint64(nil), d.Adjustments...)
		c.derived = true
	}
	if len(p.Adjustments) > 0 && p.Outcome == "rejected" || len(p.Adjustments) > 0 && p.Outcome == "withdrawn" {
		return invalid("payload.outcome", "a %s dispute has no adjustments, but %d entries are cited", p.Outcome, len(p.Adjustments))
	}
	for i, a := range p.Adjustments {
		if a <= p.Dispute || s.typeAt(a) == "" {
			return invalid(fmt.Sprintf("payload.adjustments[%d]", i), "position %d is not an entry appended after the dispute", a)
		}
	}
	return nil
}

func (p *DisputeResolved) apply(s *State, _ *Event) {
	d := s.disputes[p.Dispute]
	d.Resolved = true
	setMap(s, s.disputes, p.Dispute, d)
}
