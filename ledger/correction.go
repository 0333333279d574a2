package ledger

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// correctable lists the entry types that can be reversed or corrected: the
// money facts. Structural facts have their own events (a member departs, a
// project closes, an agreement is amended).
var correctable = map[string]bool{
	TypeContributionRecorded: true,
	TypeFundingReceived:      true,
	TypeCostIncurred:         true,
	TypeLossRealized:         true,
	TypeIPLicenceRevenue:     true,
	TypePayoutCommitted:      true,
	TypePayoutAdjusted:       true,
}

// EntryReversed cancels an earlier entry: the read side treats it as if it
// had never been recorded. Nothing is deleted.
type EntryReversed struct {
	Entry  uint64 `json:"entry"` // position of the reversed event
	Reason string `json:"reason"`
}

func (*EntryReversed) EventType() string { return TypeEntryReversed }
func (p *EntryReversed) aggregate(uint64) string {
	return "entry/" + strconv.FormatUint(p.Entry, 10)
}

func (p *EntryReversed) Validate() error {
	if p.Entry == 0 {
		return invalid("payload.entry", "the position of the reversed entry is required")
	}
	return validateText("payload.reason", p.Reason, true, 2000)
}

func (s *State) correctableEntry(seq uint64) (string, error) {
	t := s.typeAt(seq)
	if t == "" {
		return "", notFound("payload.entry", "there is no event at position %d", seq)
	}
	if !correctable[t] {
		return "", invalid("payload.entry", "position %d is a %s, which cannot be reversed or corrected", seq, t)
	}
	if s.reversed[seq] {
		return "", conflict("payload.entry", "the entry at position %d is already reversed", seq)
	}
	return t, nil
}

func (p *EntryReversed) decide(s *State, _ *decideContext) error {
	t, err := s.correctableEntry(p.Entry)
	if err != nil {
		return err
	}
	if po := s.payouts[p.Entry]; (t == TypePayoutCommitted || t == TypePayoutAdjusted) && po.Settled {
		return invalid("payload.entry", "the payout at position %d is settled; record adjusting entries instead", p.Entry)
	}
	if po := s.payouts[p.Entry]; t == TypePayoutCommitted && po.Adjusted > 0 {
		return invalid("payload.entry", "the payout at position %d has %d adjustments in force; reverse them first", p.Entry, po.Adjusted)
	}
	if po := s.payouts[p.Entry]; t == TypePayoutAdjusted {
		parent := s.payouts[po.Adjustment]
		for m, d := range po.Amounts {
			if parent.Amounts[m]-d < 0 {
				return invalid("payload.entry", "reversing the adjustment at position %d would leave member %q below zero from the payout", p.Entry, m)
			}
		}
	}
	return nil
}

func (p *EntryReversed) apply(s *State, _ *Event) {
	setMap(s, s.reversed, p.Entry, true)
	if c, ok := s.contributions.get(p.Entry); ok {
		c.Status = "reversed"
		s.setContribution(p.Entry, c)
	}
	if po, ok := s.payouts[p.Entry]; ok && po.Adjustment == 0 {
		pool := s.pools[po.Pool]
		pool.PayoutSeq = 0
		setMap(s, s.pools, po.Pool, pool)
	} else if ok {
		parent := s.payouts[po.Adjustment]
		amounts := make(map[string]int64, len(parent.Amounts))
		for k, v := range parent.Amounts {
			amounts[k] = v - po.Amounts[k]
		}
		parent.Amounts = amounts
		parent.Adjusted--
		setMap(s, s.payouts, po.Adjustment, parent)
	}
}

// EntryCorrected replaces the payload of an earlier entry with a corrected
// one of the same type; the read side uses the latest correction. A
// correction keeps who and what the entry is about (the member, project,
// asset or pool): to move an entry, reverse it and record a new one.
type EntryCorrected struct {
	Entry       uint64          `json:"entry"`
	Reason      string          `json:"reason"`
	Replacement json.RawMessage `json:"replacement"`

	typed Payload // the decoded replacement, set by Validate
}

func (*EntryCorrected) EventType() string { return TypeEntryCorrected }
func (p *EntryCorrected) aggregate(uint64) string {
	return "entry/" + strconv.FormatUint(p.Entry, 10)
}

func (p *EntryCorrected) Validate() error {
	if p.Entry == 0 {
		return invalid("payload.entry", "the position of the corrected entry is required")
	}
	if err := validateText("payload.reason", p.Reason, true, 2000); err != nil {
		return err
	}
	if len(bytes.TrimSpace(p.Replacement)) == 0 || bytes.Equal(bytes.TrimSpace(p.Replacement), []byte("null")) {
		return invalid("payload.replacement", "the corrected payload is required")
	}
	return nil
}

// Corrected decodes the replacement payload as the given event type.
func (p *EntryCorrected) Corrected(eventType string) (Payload, error) {
	typed, err := NewPayload(eventType)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(p.Replacement))
	dec.DisallowUnknownFields()
	if err := dec.Decode(typed); err != nil {
		return nil, invalid("payload.replacement", "does not decode as %s: %v", eventType, err)
	}
	return typed, nil
}

func (p *EntryCorrected) decide(s *State, c *decideContext) error {
	t, err := s.correctableEntry(p.Entry)
	if err != nil {
		return err
	}
	if t == TypePayoutCommitted || t == TypePayoutAdjusted {
		return invalid("payload.entry", "a payout cannot be corrected; reverse it and commit a new one")
	}
	typed, err := Corrected(p, t)
	if err != nil {
		return err
	}
	if err := typed.Validate(); err != nil {
		return prefixed("payload.replacement", trimPayloadPrefix(err))
	}
	if err := s.checkCorrection(p.Entry, typed); err != nil {
		return prefixed("payload.replacement", trimPayloadPrefix(err))
	}
	if c.check {
		return nil // a stored correction is checked as it is; nothing is written
	}
	raw, err := marshal(typed)
	if err != nil {
		return err
	}
	p.Replacement, p.typed = raw, typed
	c.derived = true // the replacement is stored in canonical form
	return nil
}

// checkCorrection checks that a replacement keeps the entry's identity and
// completes derived fields.
func (s *State) checkCorrection(seq uint64, typed Payload) error {
	switch r := typed.(type) {
	case *ContributionRecorded:
		orig, _ := s.contributions.get(seq)
		if r.Member != orig.Member {
			return invalid("payload.member", "a correction keeps the member (%q); reverse and record anew to change it", orig.Member)
		}
		if r.Project != orig.Project {
			return invalid("payload.project", "a correction keeps the project (%q); reverse and record anew to change it", orig.Project)
		}
		return r.complete(s)
	case *FundingReceived:
		return r.decide(s, nil)
	case *CostIncurred:
		return r.decide(s, nil)
	case *LossRealized:
		return r.decide(s, nil)
	case *IPLicenceRevenue:
		if _, ok := s.assets[r.Asset]; !ok {
			return notFound("payload.asset", "asset %q is not filed", r.Asset)
		}
	}
	return nil
}

func (p *EntryCorrected) apply(s *State, _ *Event) {
	if c, ok := s.contributions.get(p.Entry); ok {
		// A corrected contribution must be confirmed again.
		c.Status = "recorded"
		if r, ok := p.typed.(*ContributionRecorded); ok {
			c.Counterparty = r.Counterparty
		} else if r, err := Corrected(p, TypeContributionRecorded); err == nil {
			c.Counterparty = r.(*ContributionRecorded).Counterparty
		}
		s.setContribution(p.Entry, c)
	}
}

// trimPayloadPrefix turns "payload.x" into "x" so that nested errors read
// "payload.replacement.x".
func trimPayloadPrefix(err error) error {
	if fe, ok := err.(*FieldError); ok {
		c := *fe
		if len(c.Field) > len("payload.") && c.Field[:len("payload.")] == "payload." {
			c.Field = c.Field[len("payload."):]
		}
		return &c
	}
	return err
}
