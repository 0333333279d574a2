package projections

import (
	"time"

	"github.com/alliance-ledger/alliance/ledger"
)

// Facts the evaluation indicators are computed from, as of a position,
// with their business times: what happened in a period is what occurred in
// it, as the log stood at the position.

// MoneyFact is a funding receipt or licence revenue in force at a position.
type MoneyFact struct {
	Seq      uint64       `json:"seq"`
	Kind     string       `json:"kind"` // funding: its source; licence revenue: "licence"
	Member   string       `json:"member,omitempty"`
	Project  string       `json:"project,omitempty"`
	Asset    string       `json:"asset,omitempty"`
	Amount   ledger.Money `json:"amount"`
	Occurred time.Time    `json:"occurred_at"`
}

// Money returns the funding receipts and licence revenue in force at n,
// in position order.
func (m *Model) Money(n uint64) []MoneyFact {
	n = m.clamp(n)
	var out []MoneyFact
	for i := 0; i < m.entries.len(); i++ {
		e := m.entries.at(i)
		if e.Seq > n {
			break
		}
		if e.Kind != kindFunding && e.Kind != kindLicence || e.reversedAt(n) {
			continue
		}
		v := e.at(n)
		f := MoneyFact{Seq: e.Seq, Amount: ledger.Money{Amount: v.Amount, Currency: m.names[v.Currency]}, Occurred: time.Unix(0, e.Occurred).UTC()}
		if e.Kind == kindFunding {
			f.Kind, f.Member, f.Project = m.names[v.Kind], m.names[v.Member], m.names[v.Project]
		} else {
			f.Kind, f.Asset = "licence", m.names[v.Asset]
		}
		out = append(out, f)
	}
	return out
}

// MembershipFact is a member's admissions and departures up to a position.
type MembershipFact struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Active bool   `json:"active"`
	// Changes are the admissions (Active true) and departures, in order.
	Changes []MembershipChange `json:"changes"`
}

// MembershipChange is an admission or a departure.
type MembershipChange struct {
	Seq      uint64    `json:"seq"`
	Active   bool      `json:"active"`
	Occurred time.Time `json:"occurred_at"`
}

// Memberships returns every member admitted at or before n with its
// admissions and departures, by id.
func (m *Model) Memberships(n uint64) []MembershipFact {
	n = m.clamp(n)
	var out []MembershipFact
	for _, id := range sortedKeys(m.members) {
		mb := m.members[id]
		var f MembershipFact
		active := false
		for _, r := range mb.Roles {
			if r.At > n {
				break
			}
			if r.Active != active {
				f.Changes = append(f.Changes, MembershipChange{Seq: r.At, Active: r.Active, Occurred: time.Unix(0, r.Occurred).UTC()})
				active = r.Active
			}
			f.Kind = r.Kind
		}
		if len(f.Changes) == 0 {
			continue
		}
		f.ID, f.Active = mb.ID, active
		out = append(out, f)
	}
	return out
}

// ProjectFact is a project as of a position.
type ProjectFact struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Opened       uint64    `json:"opened"`
	OpenedAt     time.Time `json:"opened_at"`
	Closed       uint64    `json:"closed,omitempty"`
	ClosedAt     time.Time `json:"closed_at,omitzero"`
	Participants []string  `json:"participants"`
}

// Projects returns the projects opened at or before n, by id.
func (m *Model) Projects(n uint64) []ProjectFact {
	n = m.clamp(n)
	var out []ProjectFact
	for _, id := range sortedKeys(m.projects) {
		pr := m.projects[id]
		if pr.Opened > n {
			continue
		}
		f := ProjectFact{ID: pr.ID, Name: pr.Name, Opened: pr.Opened, OpenedAt: time.Unix(0, pr.OpenedAt).UTC()}
		if pr.closedAt(n) {
			f.Closed, f.ClosedAt = pr.Closed, time.Unix(0, pr.ClosedAt).UTC()
		}
		for _, p := range pr.participants(n) {
			f.Participants = append(f.Participants, p.Member)
		}
		out = append(out, f)
	}
	return out
}

// AssetStatusFact is a status an asset took.
type AssetStatusFact struct {
	Seq      uint64    `json:"seq"`
	Status   string    `json:"status"`
	Occurred time.Time `json:"occurred_at"`
}

// AssetHistory is an asset with its filing time and status changes up to
// a position.
type AssetHistory struct {
	AssetFact
	FiledAt time.Time         `json:"filed_at"`
	History []AssetStatusFact `json:"history,omitempty"`
}

// AssetHistories returns the assets filed at or before n, by id.
func (m *Model) AssetHistories(n uint64) []AssetHistory {
	n = m.clamp(n)
	var out []AssetHistory
	for _, af := range m.Assets(n) {
		a := m.assets[af.ID]
		h := AssetHistory{AssetFact: af, FiledAt: time.Unix(0, a.Occurred).UTC()}
		for _, s := range a.Statuses {
			if s.At <= n {
				h.History = append(h.History, AssetStatusFact{Seq: s.At, Status: s.Status, Occurred: time.Unix(0, s.Occurred).UTC()})
			}
		}
		out = append(out, h)
	}
	return out
}

// DisputeTimes returns when each dispute raised at or before n was
// resolved (zero if not by n), by dispute position.
func (m *Model) DisputeTimes(n uint64) map[uint64]time.Time {
	n = m.clamp(n)
	out := map[uint64]time.Time{}
	for _, d := range m.disputes {
		if d.Seq > n {
			break
		}
		if d.Resolved != 0 && d.Resolved <= n {
			out[d.Seq] = time.Unix(0, d.ResolvedAt).UTC()
		} else {
			out[d.Seq] = time.Time{}
		}
	}
	return out
}

// Scheme returns the latest version of an evaluation scheme adopted at or
// before n and its position.
func (m *Model) Scheme(id string, n uint64) (ledger.EvaluationSchemeAdopted, uint64, bool) {
	n = m.clamp(n)
	for i := len(m.schemes) - 1; i >= 0; i-- {
		if s := m.schemes[i]; s.At <= n && s.Scheme.Scheme == id {
			return s.Scheme, s.At, true
		}
	}
	return ledger.EvaluationSchemeAdopted{}, 0, false
}

// SchemeIDs lists the evaluation schemes adopted at or before n.
func (m *Model) SchemeIDs(n uint64) []string {
	n = m.clamp(n)
	seen := map[string]bool{}
	var out []string
	for _, s := range m.schemes {
		if s.At <= n && !seen[s.Scheme.Scheme] {
			seen[s.Scheme.Scheme] = true
			out = append(out, s.Scheme.Scheme)
		}
	}
	return out
}

// RatingFact is an expert rating recorded at or before a position.
type RatingFact struct {
	Seq uint64 `json:"seq"`
	ledger.EvaluationRated
}

// Ratings returns the ratings recorded at or before n, in order.
func (m *Model) Ratings(n uint64) []RatingFact {
	n = m.clamp(n)
	var out []RatingFact
	for _, r := range m.ratings {
		if r.At > n {
			break
		}
		out = append(out, RatingFact{Seq: r.At, EvaluationRated: r.Rated})
	}
	return out
}
