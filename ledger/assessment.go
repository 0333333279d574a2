package ledger

import (
	"fmt"
	"slices"
	"strings"
)

// Assessment methods: how coalition values were arrived at.
var AssessmentMethods = []string{"expert-panel", "appraisal", "market-comparison", "income-approach", "cost-approach", "agreed"}

// CoalitionValue is v(S): what a coalition of members would have earned
// from the pool's source working alone.
type CoalitionValue struct {
	Members []string `json:"members"`
	Value   Money    `json:"value"`
}

// PoolAssessed records coalition values for a pool (合作收益评估), the input
// of the Shapley-based methods. Players is the grand coalition N. A
// coalition that is not listed is worth the sum of the synergies of the
// listed coalitions inside it (its Harsanyi dividends): listing every
// member alone and every pair gives the additive game with pairwise
// synergies; listing every coalition gives the full table. A later
// assessment of the same pool replaces an earlier one from its position on.
type PoolAssessed struct {
	Pool       string           `json:"pool"`
	Assessor   string           `json:"assessor"` // who assessed: a panel, an appraiser, a member
	Method     string           `json:"method"`
	Basis      string           `json:"basis,omitempty"`
	Document   *Evidence        `json:"document,omitempty"`
	Players    []string         `json:"players"`
	Coalitions []CoalitionValue `json:"coalitions"`
}

func (*PoolAssessed) EventType() string         { return TypePoolAssessed }
func (p *PoolAssessed) aggregate(uint64) string { return "pool/" + p.Pool }

// maxCoalitions bounds one assessment: 4096 coalitions list every coalition
// of 12 members, or every single and pair of 90.
const maxCoalitions = 4096

func (p *PoolAssessed) Validate() error {
	if err := validateID("payload.pool", "pool", p.Pool); err != nil {
		return err
	}
	if err := validateText("payload.assessor", p.Assessor, true, 200); err != nil {
		return err
	}
	if err := validateEnum("payload.method", p.Method, AssessmentMethods); err != nil {
		return err
	}
	if err := validateText("payload.basis", p.Basis, false, 4000); err != nil {
		return err
	}
	if err := p.Document.validate("payload.document"); err != nil {
		return err
	}
	if err := validateMemberList("payload.players", p.Players, true); err != nil {
		return err
	}
	if len(p.Coalitions) == 0 {
		return invalid("payload.coalitions", "at least one coalition value is required")
	}
	if len(p.Coalitions) > maxCoalitions {
		return invalid("payload.coalitions", "%d coalitions, the limit is %d", len(p.Coalitions), maxCoalitions)
	}
	seen := make(map[string]int, len(p.Coalitions))
	for i, c := range p.Coalitions {
		f := fmt.Sprintf("payload.coalitions[%d]", i)
		if err := validateMemberList(f+".members", c.Members, true); err != nil {
			return err
		}
		for j, m := range c.Members {
			if !slices.Contains(p.Players, m) {
				return invalid(fmt.Sprintf("%s.members[%d]", f, j), "member %q is not one of the players", m)
			}
		}
		key := slices.Clone(c.Members)
		slices.Sort(key)
		k := strings.Join(key, "\x00")
		if prev, ok := seen[k]; ok {
			return invalid(f+".members", "the same coalition is valued twice (coalitions[%d])", prev)
		}
		seen[k] = i
		if err := c.Value.validate(f+".value", false); err != nil {
			return err
		}
	}
	return nil
}

func (p *PoolAssessed) decide(s *State, _ *decideContext) error {
	// A pool already paid out can be assessed again: a dispute may end in a
	// re-assessment and an adjustment computed from it.
	pool, ok := s.pools[p.Pool]
	if !ok {
		return notFound("payload.pool", "pool %q is not declared", p.Pool)
	}
	for i, m := range p.Players {
		f := fmt.Sprintf("payload.players[%d]", i)
		if err := s.knownMember(f, m); err != nil {
			return err
		}
		if len(pool.Members) > 0 && !slices.Contains(pool.Members, m) {
			return invalid(f, "member %q is not among the members pool %q is shared among", m, p.Pool)
		}
	}
	for i, c := range p.Coalitions {
		if c.Value.Currency != pool.Amount.Currency {
			return invalid(fmt.Sprintf("payload.coalitions[%d].value.currency", i), "the pool is in %s, not %s", pool.Amount.Currency, c.Value.Currency)
		}
	}
	return nil
}

func (p *PoolAssessed) apply(*State, *Event) {}
