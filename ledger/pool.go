package ledger

import (
	"encoding/json"
	"fmt"
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
	return validateText("payload.period", p.Period, false, 20)
}

func (p *PoolDeclared) decide(s *State, _ *decideContext) error {
	if _, ok := s.pools[p.Pool]; ok {
		return conflict("payload.pool", "pool %q is already declared", p.Pool)
	}
	if p.Project != "" {
		return s.knownProject("payload.project", p.Project)
	}
	return nil
}

func (p *PoolDeclared) apply(s *State, _ *Event) {
	setMap(s, s.pools, p.Pool, poolState{Amount: p.Amount, Project: p.Project})
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
	setMap(s, s.payouts, e.Seq, payoutState{Pool: p.Pool})
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
