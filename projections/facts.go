package projections

import (
	"fmt"
	"slices"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
)

// Facts for computations outside the views (benefit sharing, disputes):
// each is the state at a position n, read from the versioned model, so a
// computation as of n gives the same answer however long the log has grown
// since.

// ContributionFact is one contribution in force at a position.
type ContributionFact struct {
	Seq      uint64       `json:"seq"`
	Member   string       `json:"member"`
	Project  string       `json:"project,omitempty"`
	Kind     string       `json:"kind"`
	Value    ledger.Money `json:"value"`
	Occurred time.Time    `json:"occurred_at"`
	// PersonMonths is the quantity of a personnel contribution recorded in
	// person-months, exact; "" otherwise.
	PersonMonths string `json:"person_months,omitempty"`
	// Status is recorded (unconfirmed), confirmed or contested.
	Status string `json:"status"`
	// Corrected is the position of the correction in force, 0 if none.
	Corrected uint64 `json:"corrected,omitempty"`
}

// Contributions returns the contributions in force at position n (recorded
// at or before n and not reversed by n), in position order. With project
// != "" only that project's.
func (m *Model) Contributions(n uint64, project string) []ContributionFact {
	n = m.clamp(n)
	var out []ContributionFact
	pidx := int32(-1)
	if project != "" {
		pidx = m.lookup(project)
		if pidx < 0 {
			// No entry names the project (it is interned by the first
			// entry that does): it has no contributions. -1 would
			// otherwise filter nothing and return every project's.
			return nil
		}
	}
	for i := 0; i < m.entries.len(); i++ {
		e := m.entries.at(i)
		if e.Seq > n {
			break
		}
		if e.Kind != kindContribution || e.reversedAt(n) {
			continue
		}
		v := e.at(n)
		if pidx >= 0 && v.Project != pidx {
			continue
		}
		f := ContributionFact{Seq: e.Seq, Member: m.names[v.Member], Project: m.names[v.Project], Kind: m.names[v.Kind],
			Value: ledger.Money{Amount: v.Amount, Currency: m.names[v.Currency]}, Occurred: time.Unix(0, e.Occurred).UTC(),
			PersonMonths: m.names[v.Qty], Status: statusName(e.status(n))}
		if v != &e.First {
			f.Corrected = v.At
		}
		out = append(out, f)
	}
	return out
}

func statusName(st uint8) string {
	switch st {
	case stConfirmed:
		return "confirmed"
	case stContested:
		return "contested"
	}
	return "recorded"
}

func (m *Model) clamp(n uint64) uint64 {
	if n == 0 || n > m.last {
		return m.last
	}
	return n
}

// AssetFact is one IP asset filed at or before a position.
type AssetFact struct {
	ID      string         `json:"id"`
	Type    string         `json:"type"`
	Title   string         `json:"title"`
	Project string         `json:"project,omitempty"`
	Filed   uint64         `json:"filed"`
	Status  string         `json:"status"` // filed, or the latest status change at n
	Owners  []ledger.Share `json:"owners"`
}

// Assets returns the IP assets filed at or before n, by id.
func (m *Model) Assets(n uint64) []AssetFact {
	n = m.clamp(n)
	var out []AssetFact
	for _, id := range sortedKeys(m.assets) {
		a := m.assets[id]
		if a.Filed > n {
			continue
		}
		st := "filed"
		for _, s := range a.Statuses {
			if s.At <= n {
				st = s.Status
			}
		}
		out = append(out, AssetFact{ID: a.ID, Type: a.Type, Title: a.Title, Project: a.Project, Filed: a.Filed, Status: st, Owners: a.Owners})
	}
	return out
}

// MemberFact is a member as of a position.
type MemberFact struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	NameEN string `json:"name_en,omitempty"`
	Kind   string `json:"kind"`
	Role   string `json:"role"`
	Active bool   `json:"active"`
}

// Members returns the members admitted at or before n, by id.
func (m *Model) Members(n uint64) []MemberFact {
	n = m.clamp(n)
	var out []MemberFact
	for _, id := range sortedKeys(m.members) {
		mb := m.members[id]
		r, ok := mb.at(n)
		if !ok {
			continue
		}
		out = append(out, MemberFact{ID: mb.ID, Name: mb.Name, NameEN: mb.NameEN, Kind: r.Kind, Role: r.Role, Active: r.Active})
	}
	return out
}

// Participants returns a project's participants at n.
func (m *Model) Participants(project string, n uint64) ([]ledger.Participant, error) {
	n = m.clamp(n)
	pr := m.projects[project]
	if pr == nil || pr.Opened > n {
		return nil, fmt.Errorf("project %q is not opened at position %d: %w", project, n, ledger.ErrNotFound)
	}
	return pr.participants(n), nil
}

// Agreement returns the agreement version in force at n and the position
// it was recorded at.
func (m *Model) Agreement(n uint64) (ledger.Agreement, uint64, bool) {
	n = m.clamp(n)
	for i := len(m.agrees) - 1; i >= 0; i-- {
		if m.agrees[i].At <= n {
			return m.agrees[i].Agreement, m.agrees[i].At, true
		}
	}
	return ledger.Agreement{}, 0, false
}

// PoolFact is a benefit pool as of a position.
type PoolFact struct {
	ID       string       `json:"id"`
	Declared uint64       `json:"declared"`
	Amount   ledger.Money `json:"amount"`
	Project  string       `json:"project,omitempty"`
	Members  []string     `json:"members,omitempty"`
	// Assessment is the coalition-value assessment in force at n, if any.
	Assessment *AssessmentFact `json:"assessment,omitempty"`
	// Payouts are the payouts and adjustments recorded at or before n.
	Payouts []PayoutFact `json:"payouts,omitempty"`
}

// AssessmentFact is a pool.assessed.
type AssessmentFact struct {
	Seq        uint64                  `json:"seq"`
	Assessor   string                  `json:"assessor"`
	Method     string                  `json:"method"`
	Players    []string                `json:"players"`
	Coalitions []ledger.CoalitionValue `json:"coalitions"`
}

// PayoutFact is a payout.committed or a payout.adjusted as of a position.
type PayoutFact struct {
	Seq        uint64 `json:"seq"`
	Pool       string `json:"pool"`
	Adjusts    uint64 `json:"adjusts,omitempty"` // an adjustment: the payout it adjusts
	Dispute    uint64 `json:"dispute,omitempty"`
	Method     string `json:"method,omitempty"`
	ComputedAt uint64 `json:"computed_at,omitempty"`
	Inputs     []byte `json:"-"`
	Reason     string `json:"reason,omitempty"`
	// Amounts are the payout's allocations, or an adjustment's deltas.
	Amounts  []ledger.Allocation `json:"amounts"`
	Reversed uint64              `json:"reversed,omitempty"` // position of the reversal, if at or before n
	Settled  bool                `json:"settled"`
}

// Pool returns a pool as of position n.
func (m *Model) Pool(id string, n uint64) (*PoolFact, error) {
	n = m.clamp(n)
	pl := m.pools[id]
	if pl == nil || pl.Declared > n {
		return nil, fmt.Errorf("pool %q is not declared at position %d: %w", id, n, ledger.ErrNotFound)
	}
	f := &PoolFact{ID: pl.ID, Declared: pl.Declared, Amount: pl.Amount, Project: pl.Project, Members: pl.Members}
	for i := len(pl.Assessments) - 1; i >= 0; i-- {
		if a := pl.Assessments[i]; a.At <= n {
			f.Assessment = &AssessmentFact{Seq: a.At, Assessor: a.Assessor, Method: a.Method, Players: a.Players, Coalitions: a.Coalitions}
			break
		}
	}
	for _, r := range pl.Payouts {
		if r.Seq > n {
			break
		}
		f.Payouts = append(f.Payouts, m.payoutFact(pl, r, n))
	}
	return f, nil
}

func (m *Model) payoutFact(pl *pool, r payoutRecord, n uint64) PayoutFact {
	f := PayoutFact{Seq: r.Seq, Pool: pl.ID, Adjusts: r.Adjusts, Dispute: r.Dispute, Method: r.Method,
		ComputedAt: r.ComputedAt, Inputs: r.Inputs, Reason: r.Reason}
	if e := m.entry(r.Seq); e != nil {
		for _, a := range e.First.Allocs {
			f.Amounts = append(f.Amounts, ledger.Allocation{Member: m.names[a.Member], Amount: ledger.Money{Amount: a.Amount, Currency: pl.Amount.Currency}})
		}
		if e.reversedAt(n) {
			f.Reversed = e.Reversed
		}
		f.Settled = e.status(n) == stSettled
	}
	return f
}

// Payout returns the payout or adjustment at position seq as of n, with
// its pool.
func (m *Model) Payout(seq, n uint64) (*PoolFact, *PayoutFact, error) {
	n = m.clamp(n)
	if e := m.entry(seq); e != nil && e.Kind == kindPayout && seq <= n {
		id := m.names[e.First.Pool]
		pf, err := m.Pool(id, n)
		if err != nil {
			return nil, nil, err
		}
		for i := range pf.Payouts {
			if pf.Payouts[i].Seq == seq {
				return pf, &pf.Payouts[i], nil
			}
		}
	}
	return nil, nil, fmt.Errorf("there is no payout at position %d: %w", seq, ledger.ErrNotFound)
}

// DisputeFact is a dispute as of a position.
type DisputeFact struct {
	Seq         uint64        `json:"seq"`
	Subject     uint64        `json:"subject"`
	SubjectType string        `json:"subject_type"`
	By          string        `json:"by"`
	Claim       string        `json:"claim"`
	Claimed     *ledger.Money `json:"claimed_amount,omitempty"`
	Occurred    time.Time     `json:"occurred_at"`
	Resolved    uint64        `json:"resolved,omitempty"`
	Outcome     string        `json:"outcome,omitempty"`
	Resolution  string        `json:"resolution,omitempty"`
	Adjustments []uint64      `json:"adjustments,omitempty"`
}

// Dispute returns the dispute raised at position seq, as of n.
func (m *Model) Dispute(seq, n uint64) (*DisputeFact, error) {
	n = m.clamp(n)
	d := m.dispute(seq)
	if d == nil || d.Seq > n {
		return nil, fmt.Errorf("there is no dispute at position %d: %w", seq, ledger.ErrNotFound)
	}
	f := &DisputeFact{Seq: d.Seq, Subject: d.Subject, By: d.By, Claim: d.Claim, Claimed: d.Claimed,
		Occurred: time.Unix(0, d.Occurred).UTC()}
	if e := m.entry(d.Subject); e != nil {
		switch e.Kind {
		case kindContribution:
			f.SubjectType = ledger.TypeContributionRecorded
		case kindPayout:
			f.SubjectType = ledger.TypePayoutCommitted
		}
	}
	if d.Resolved != 0 && d.Resolved <= n {
		f.Resolved, f.Outcome, f.Resolution, f.Adjustments = d.Resolved, d.Outcome, d.Text, d.Adjusted
	}
	return f, nil
}

// Disputes lists the disputes raised at or before n.
func (m *Model) Disputes(n uint64) []DisputeFact {
	n = m.clamp(n)
	var out []DisputeFact
	for _, d := range m.disputes {
		if d.Seq > n {
			break
		}
		f, _ := m.Dispute(d.Seq, n)
		out = append(out, *f)
	}
	return out
}

// PoolIDs returns the pools declared at or before n, by id.
func (m *Model) PoolIDs(n uint64) []string {
	n = m.clamp(n)
	var out []string
	for _, id := range sortedKeys(m.pools) {
		if m.pools[id].Declared <= n {
			out = append(out, id)
		}
	}
	return slices.Clip(out)
}
