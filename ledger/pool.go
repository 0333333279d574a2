package ledger

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// PoolDeclared declares a benefit pool (收益池): an amount to be shared among
// members by the agreement's distribution method.
type PoolDeclared struct {
	Pool    string `json:"pool"`
	Amount  Money  `json:"amount"`
	Project string `json:"project,omitempty"` // the pool's benefits came from this project
	Source  string `json:"source"`            // where the money came from
	Period  string `json:"period,omitempty"`
	// Members are the members the pool is shared among. Empty: the
	// project's participants, or every active member for an alliance pool.
	Members []string `json:"members,omitempty"`
}

func (*PoolDeclared) EventType() string         { return TypePoolDeclared }
func (p *PoolDeclared) aggregate(uint64) string { return "pool/" + p.Pool }

func (p *PoolDeclared) Validate() error {
	if err := validateID("payload.pool", "pool", p.Pool); err != nil {
		return err
	}
	if err := p.Amount.validate("payload.amount", true); err != nil {
		return err
	}
	if err := validateOptionalID("payload.project", "project", p.Project); err != nil {
		return err
	}
	if err := validateText("payload.source", p.Source, true, 500); err != nil {
		return err
	}
	if err := validateText("payload.period", p.Period, false, 20); err != nil {
		return err
	}
	return validateMemberList("payload.members", p.Members, false)
}

// validateMemberList checks a list of member ids: well formed, none twice.
func validateMemberList(field string, ids []string, required bool) error {
	if required && len(ids) == 0 {
		return invalid(field, "at least one member is required")
	}
	if len(ids) > maxSharingMembers {
		return invalid(field, "%d members, the limit is %d", len(ids), maxSharingMembers)
	}
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := validateID(f, "member", id); err != nil {
			return err
		}
		if seen[id] {
			return invalid(f, "member %q is listed twice", id)
		}
		seen[id] = true
	}
	return nil
}

// maxSharingMembers bounds the members one pool is shared among.
const maxSharingMembers = 1000

func (p *PoolDeclared) decide(s *State, _ *decideContext) error {
	if _, ok := s.pools[p.Pool]; ok {
		return conflict("payload.pool", "pool %q is already declared", p.Pool)
	}
	if p.Project != "" {
		if err := s.knownProject("payload.project", p.Project); err != nil {
			return err
		}
	}
	for i, m := range p.Members {
		if err := s.activeMember(fmt.Sprintf("payload.members[%d]", i), m); err != nil {
			return err
		}
	}
	return nil
}

func (p *PoolDeclared) apply(s *State, _ *Event) {
	setMap(s, s.pools, p.Pool, poolState{Amount: p.Amount, Project: p.Project, Members: p.Members})
}

// Allocation is one member's amount of a payout.
type Allocation struct {
	Member string `json:"member"`
	Amount Money  `json:"amount"`
}

// PayoutCommitted records how a pool was shared. The allocation is computed
// by the sharing methods as of position ComputedAt; Inputs records every
// input so that anyone can recompute it from the log.
type PayoutCommitted struct {
	Pool        string          `json:"pool"`
	Method      string          `json:"method"`
	ComputedAt  uint64          `json:"computed_at"` // the log position the allocation was computed as of
	Inputs      json.RawMessage `json:"inputs,omitempty"`
	Allocations []Allocation    `json:"allocations"`
}

func (*PayoutCommitted) EventType() string         { return TypePayoutCommitted }
func (p *PayoutCommitted) aggregate(uint64) string { return "pool/" + p.Pool }

// maxInputsSize bounds the recorded inputs of one payout.
const maxInputsSize = 256 << 10

func (p *PayoutCommitted) Validate() error {
	if err := validateID("payload.pool", "pool", p.Pool); err != nil {
		return err
	}
	if err := validateEnum("payload.method", p.Method, DistributionMethods); err != nil {
		return err
	}
	if p.ComputedAt == 0 {
		return invalid("payload.computed_at", "the position the allocation was computed at is required")
	}
	if len(p.Inputs) > 0 {
		if len(p.Inputs) > maxInputsSize {
			return invalid("payload.inputs", "inputs are %d bytes, the limit is %d", len(p.Inputs), maxInputsSize)
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(p.Inputs, &obj); err != nil {
			return invalid("payload.inputs", "inputs must be a JSON object")
		}
	}
	if len(p.Allocations) == 0 {
		return invalid("payload.allocations", "at least one allocation is required")
	}
	seen := map[string]bool{}
	for i, a := range p.Allocations {
		f := fmt.Sprintf("payload.allocations[%d]", i)
		if err := validateID(f+".member", "member", a.Member); err != nil {
			return err
		}
		if seen[a.Member] {
			return invalid(f+".member", "member %q is allocated twice", a.Member)
		}
		seen[a.Member] = true
		if err := a.Amount.validate(f+".amount", false); err != nil {
			return err
		}
	}
	return nil
}

func (p *PayoutCommitted) decide(s *State, c *decideContext) error {
	pool, ok := s.pools[p.Pool]
	if !ok {
		return notFound("payload.pool", "pool %q is not declared", p.Pool)
	}
	if pool.PayoutSeq != 0 {
		return conflict("payload.pool", "pool %q is already paid out (position %d)", p.Pool, pool.PayoutSeq)
	}
	if p.ComputedAt >= c.seq {
		return invalid("payload.computed_at", "position %d is not in the log yet (the payout will be at %d)", p.ComputedAt, c.seq)
	}
	if ag, ok := s.agreement(); ok && p.Method != ag.Distribution.Method && !slices.Contains(ag.Distribution.Allowed, p.Method) {
		return invalid("payload.method", "agreement version %d distributes by %s and allows %v; %s is not allowed", ag.Version, ag.Distribution.Method, ag.Distribution.Allowed, p.Method)
	}
	var sum int64
	for i, a := range p.Allocations {
		f := fmt.Sprintf("payload.allocations[%d]", i)
		if err := s.knownMember(f+".member", a.Member); err != nil {
			return err
		}
		if a.Amount.Currency != pool.Amount.Currency {
			return invalid(f+".amount.currency", "the pool is in %s, not %s", pool.Amount.Currency, a.Amount.Currency)
		}
		sum += a.Amount.Amount // each ≤ 10^15, so no overflow below 9000 members
	}
	if sum != pool.Amount.Amount {
		return invalid("payload.allocations", "allocations sum to %s but the pool is %s; they must match to the minor unit", Money{sum, pool.Amount.Currency}, pool.Amount)
	}
	return nil
}

func (p *PayoutCommitted) apply(s *State, e *Event) {
	pool := s.pools[p.Pool]
	pool.PayoutSeq = e.Seq
	setMap(s, s.pools, p.Pool, pool)
	amounts := make(map[string]int64, len(p.Allocations))
	for _, a := range p.Allocations {
		amounts[a.Member] = a.Amount.Amount
	}
	setMap(s, s.payouts, e.Seq, payoutState{Pool: p.Pool, Amounts: amounts})
}

// PayoutSettled records that a committed payout was paid to the members.
type PayoutSettled struct {
	Payout    uint64 `json:"payout"` // position of payout.committed
	Reference string `json:"reference,omitempty"`
}

func (*PayoutSettled) EventType() string { return TypePayoutSettled }
func (p *PayoutSettled) aggregate(uint64) string {
	return "payout/" + strconv.FormatUint(p.Payout, 10)
}

func (p *PayoutSettled) Validate() error {
	if p.Payout == 0 {
		return invalid("payload.payout", "the position of the payout is required")
	}
	return validateText("payload.reference", p.Reference, false, 200)
}

func (p *PayoutSettled) decide(s *State, _ *decideContext) error {
	po, ok := s.payouts[p.Payout]
	if !ok || s.reversed[p.Payout] {
		return notFound("payload.payout", "there is no payout in force at position %d", p.Payout)
	}
	if po.Settled {
		return conflict("payload.payout", "the payout at position %d is already settled", p.Payout)
	}
	return nil
}

func (p *PayoutSettled) apply(s *State, _ *Event) {
	po := s.payouts[p.Payout]
	po.Settled = true
	setMap(s, s.payouts, p.Payout, po)
}

// PayoutAdjusted changes a committed payout's amounts without editing it:
// the resolution of a dispute, typically, after recomputing the allocation
// with corrected inputs. Adjustments are signed and sum to zero, since the
// pool does not grow; paying members more means declaring a new pool.
type PayoutAdjusted struct {
	Payout  uint64 `json:"payout"`            // position of payout.committed
	Dispute uint64 `json:"dispute,omitempty"` // position of the dispute it resolves
	Reason  string `json:"reason"`
	// ComputedAt and Inputs record the recomputation the amounts come from,
	// when there is one.
	ComputedAt  uint64          `json:"computed_at,omitempty"`
	Inputs      json.RawMessage `json:"inputs,omitempty"`
	Adjustments []Allocation    `json:"adjustments"`
}

func (*PayoutAdjusted) EventType() string { return TypePayoutAdjusted }
func (p *PayoutAdjusted) aggregate(uint64) string {
	return "payout/" + strconv.FormatUint(p.Payout, 10)
}

func (p *PayoutAdjusted) Validate() error {
	if p.Payout == 0 {
		return invalid("payload.payout", "the position of the adjusted payout is required")
	}
	if err := validateText("payload.reason", p.Reason, true, 4000); err != nil {
		return err
	}
	if len(p.Inputs) > 0 {
		if len(p.Inputs) > maxInputsSize {
			return invalid("payload.inputs", "inputs are %d bytes, the limit is %d", len(p.Inputs), maxInputsSize)
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(p.Inputs, &obj); err != nil {
			return invalid("payload.inputs", "inputs must be a JSON object")
		}
	}
	if len(p.Adjustments) == 0 {
		return invalid("payload.adjustments", "at least one adjustment is required")
	}
	seen := map[string]bool{}
	var sum int64
	for i, a := range p.Adjustments {
		f := fmt.Sprintf("payload.adjustments[%d]", i)
		if err := validateID(f+".member", "member", a.Member); err != nil {
			return err
		}
		if seen[a.Member] {
			return invalid(f+".member", "member %q is adjusted twice", a.Member)
		}
		seen[a.Member] = true
		neg := a.Amount
		if neg.Amount < 0 {
			neg.Amount = -neg.Amount
		}
		if err := neg.validate(f+".amount", true); err != nil {
			return invalid(f+".amount", "an adjustment is a non-zero amount of at most %d minor units either way", int64(maxAmount))
		}
		if i > 0 && a.Amount.Currency != p.Adjustments[0].Amount.Currency {
			return invalid(f+".amount.currency", "adjustments are all in one currency")
		}
		sum += a.Amount.Amount
	}
	if sum != 0 {
		return invalid("payload.adjustments", "adjustments sum to %s; they must sum to zero (the pool does not grow)", Money{sum, p.Adjustments[0].Amount.Currency})
	}
	return nil
}

func (p *PayoutAdjusted) decide(s *State, c *decideContext) error {
	po, ok := s.payouts[p.Payout]
	if !ok || po.Adjustment != 0 || s.reversed[p.Payout] {
		return notFound("payload.payout", "there is no payout in force at position %d", p.Payout)
	}
	if p.Dispute != 0 {
		d, ok := s.disputes[p.Dispute]
		if !ok {
			return notFound("payload.dispute", "there is no dispute at position %d", p.Dispute)
		}
		if d.Resolved {
			return conflict("payload.dispute", "the dispute at position %d is already resolved", p.Dispute)
		}
	}
	if p.ComputedAt >= c.seq {
		return invalid("payload.computed_at", "position %d is not in the log yet (the adjustment will be at %d)", p.ComputedAt, c.seq)
	}
	pool := s.pools[po.Pool]
	for i, a := range p.Adjustments {
		f := fmt.Sprintf("payload.adjustments[%d]", i)
		if err := s.knownMember(f+".member", a.Member); err != nil {
			return err
		}
		if a.Amount.Currency != pool.Amount.Currency {
			return invalid(f+".amount.currency", "the pool is in %s, not %s", pool.Amount.Currency, a.Amount.Currency)
		}
		if after := po.Amounts[a.Member] + a.Amount.Amount; after < 0 {
			return invalid(f+".amount", "member %q would be left with %s from the payout; nobody's amount goes below zero", a.Member, Money{after, pool.Amount.Currency})
		}
	}
	return nil
}

func (p *PayoutAdjusted) apply(s *State, e *Event) {
	po := s.payouts[p.Payout]
	amounts := make(map[string]int64, len(po.Amounts)+len(p.Adjustments))
	for k, v := range po.Amounts {
		amounts[k] = v
	}
	for _, a := range p.Adjustments {
		amounts[a.Member] += a.Amount.Amount
	}
	po.Amounts = amounts
	po.Adjusted++
	setMap(s, s.payouts, p.Payout, po)
	deltas := make(map[string]int64, len(p.Adjustments))
	for _, a := range p.Adjustments {
		deltas[a.Member] = a.Amount.Amount
	}
	setMap(s, s.payouts, e.Seq, payoutState{Pool: po.Pool, Adjustment: p.Payout, Amounts: deltas})
	if p.Dispute != 0 {
		d := s.disputes[p.Dispute]
		d.Adjustments = append(slices.Clip(d.Adjustments), e.Seq)
		setMap(s, s.disputes, p.Dispute, d)
	}
}
