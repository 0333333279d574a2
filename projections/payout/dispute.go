package payout

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/projections"
)

// Examination is what the log says about a dispute: for a payout, the
// payout recomputed as of its own position (does it hold?) and as of now,
// the claimant's figures, and every input that changed in between; for a
// contribution, the contribution then and now.
type Examination struct {
	Dispute projections.DisputeFact `json:"dispute"`
	AsOf    uint64                  `json:"as_of"`

	Payout   *projections.PayoutFact `json:"payout,omitempty"`
	Check    *Check                  `json:"check,omitempty"`
	Current  *Allocation             `json:"current,omitempty"`
	Claimant *ClaimantFigures        `json:"claimant,omitempty"`

	Contribution *ContributionThenNow `json:"contribution,omitempty"`
	// Changes are the facts that differ between the position the subject
	// was computed or raised at and now.
	Changes []Change `json:"changes"`
}

// ClaimantFigures puts the disputing member's amounts side by side.
type ClaimantFigures struct {
	Member     string `json:"member"`
	Committed  int64  `json:"committed"`               // in the payout as committed
	InForce    int64  `json:"in_force"`                // with the adjustments so far
	Recomputed int64  `json:"recomputed"`              // recomputed as of the payout's position
	Current    int64  `json:"current"`                 // recomputed as of now
	Claimed    *int64 `json:"claimed,omitempty"`       // what the member claims
	Currency   string `json:"currency"`                //
	Error      string `json:"current_error,omitempty"` // why "as of now" could not be computed
}

// ContributionThenNow is a disputed contribution when the dispute was
// raised and now.
type ContributionThenNow struct {
	Then *projections.ContributionFact `json:"then"`
	Now  *projections.ContributionFact `json:"now,omitempty"` // nil: reversed
	// CountedIn are the payouts whose proportional base or factors cite it.
	CountedIn []uint64 `json:"counted_in,omitempty"`
}

// Change is one fact that differs.
type Change struct {
	Seq    uint64 `json:"seq"`
	Member string `json:"member,omitempty"`
	What   string `json:"what"`
}

// Examine examines the dispute raised at position seq, as of the log's
// last position.
func Examine(m *projections.Model, seq uint64) (*Examination, error) {
	d, err := m.Dispute(seq, 0)
	if err != nil {
		return nil, err
	}
	ex := &Examination{Dispute: *d, AsOf: m.Last(), Changes: []Change{}}
	switch d.SubjectType {
	case ledger.TypePayoutCommitted:
		return ex, ex.payout(m)
	case ledger.TypeContributionRecorded:
		return ex, ex.contribution(m)
	}
	return nil, invalid("dispute", "the dispute at position %d cites position %d, which is neither a payout nor a contribution", seq, d.Subject)
}

func (ex *Examination) payout(m *projections.Model) error {
	pool, pf, err := m.Payout(ex.Dispute.Subject, 0)
	if err != nil {
		return err
	}
	ex.Payout = pf
	if pf.Adjusts != 0 {
		return invalid("dispute", "position %d is an adjustment; disputes cite the payout itself (%d)", pf.Seq, pf.Adjusts)
	}
	if ex.Check, err = Recompute(m, pf.Seq); err != nil {
		return err
	}
	cl := &ClaimantFigures{Member: ex.Dispute.By, Currency: pool.Amount.Currency}
	for _, al := range pf.Amounts {
		if al.Member == cl.Member {
			cl.Committed = al.Amount.Amount
		}
	}
	inForce, err := InForce(m, pf.Seq, 0)
	if err != nil {
		return err
	}
	cl.InForce = inForce[cl.Member]
	cl.Recomputed = ex.Check.Recomputed.Amounts()[cl.Member]
	if cur, err := Compute(m, requestFor(pf, pool.ID, m.Last())); err == nil {
		ex.Current = cur
		cl.Current = cur.Amounts()[cl.Member]
	} else {
		cl.Error = err.Error()
	}
	if c := ex.Dispute.Claimed; c != nil {
		v := c.Amount
		cl.Claimed = &v
	}
	ex.Claimant = cl
	ex.Changes = changes(m, pool.Project, pool.Amount.Currency, pf.ComputedAt, m.Last())
	poolThen, _ := m.Pool(pool.ID, pf.ComputedAt)
	if poolThen != nil && pool.Assessment != nil && (poolThen.Assessment == nil || poolThen.Assessment.Seq != pool.Assessment.Seq) {
		ex.Changes = append(ex.Changes, Change{Seq: pool.Assessment.Seq,
			What: fmt.Sprintf("the pool was assessed again at position %d by %s", pool.Assessment.Seq, pool.Assessment.Assessor)})
	}
	if _, atThen, _ := m.Agreement(pf.ComputedAt); true {
		if ag, atNow, _ := m.Agreement(0); atNow != atThen {
			ex.Changes = append(ex.Changes, Change{Seq: atNow, What: fmt.Sprintf("the agreement was amended to version %d at position %d", ag.Version, atNow)})
		}
	}
	return nil
}

func (ex *Examination) contribution(m *projections.Model) error {
	seq := ex.Dispute.Subject
	find := func(n uint64) *projections.ContributionFact {
		for _, f := range m.Contributions(n, "") {
			if f.Seq == seq {
				return &f
			}
		}
		return nil
	}
	then := find(ex.Dispute.Seq)
	if then == nil {
		return invalid("dispute", "the contribution at position %d was not in force when the dispute was raised", seq)
	}
	tn := &ContributionThenNow{Then: then, Now: find(0)}
	for _, id := range m.PoolIDs(0) {
		pool, _ := m.Pool(id, 0)
		for _, pf := range pool.Payouts {
			if pf.Adjusts == 0 && pf.Reversed == 0 && cites(pf, seq) {
				tn.CountedIn = append(tn.CountedIn, pf.Seq)
			}
		}
	}
	ex.Contribution = tn
	ex.Changes = changes(m, then.Project, then.Value.Currency, ex.Dispute.Seq, m.Last())
	only := ex.Changes[:0]
	for _, c := range ex.Changes {
		if c.Seq == seq {
			only = append(only, c)
		}
	}
	ex.Changes = only
	return nil
}

// cites reports whether a payout's recorded inputs name a position among
// the entries behind its base or factors.
func cites(pf projections.PayoutFact, seq uint64) bool {
	in, err := decodeInputs(pf.Inputs)
	if err != nil {
		return false
	}
	for _, f := range in.Factors {
		for _, ps := range f.Events {
			for _, p := range ps {
				if p == seq {
					return true
				}
			}
		}
	}
	for _, ps := range in.Contributions {
		for _, p := range ps {
			if p == seq {
				return true
			}
		}
	}
	return false
}

func decodeInputs(b []byte) (*Inputs, error) {
	var in Inputs
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, err
	}
	return &in, nil
}

// changes lists the contributions in scope whose facts at position b
// differ from those at a.
func changes(m *projections.Model, project, currency string, a, b uint64) []Change {
	then := map[uint64]projections.ContributionFact{}
	for _, f := range m.Contributions(a, project) {
		then[f.Seq] = f
	}
	out := []Change{}
	seen := map[uint64]bool{}
	for _, now := range m.Contributions(b, project) {
		if now.Value.Currency != currency {
			continue
		}
		seen[now.Seq] = true
		was, ok := then[now.Seq]
		switch {
		case !ok:
			out = append(out, Change{Seq: now.Seq, Member: now.Member, What: fmt.Sprintf("%s contribution of %s recorded at position %d, after position %d (it occurred %s); now %s",
				now.Kind, now.Value, now.Seq, a, now.Occurred.Format("2006-01-02"), now.Status)})
		case was.Corrected != now.Corrected:
			out = append(out, Change{Seq: now.Seq, Member: now.Member, What: fmt.Sprintf("corrected at position %d: %s → %s; now %s",
				now.Corrected, was.Value, now.Value, now.Status)})
		case was.Status != now.Status:
			out = append(out, Change{Seq: now.Seq, Member: now.Member, What: fmt.Sprintf("%s contribution of %s was %s at position %d and is %s now",
				now.Kind, now.Value, was.Status, a, now.Status)})
		}
	}
	for _, was := range m.Contributions(a, project) {
		if !seen[was.Seq] && was.Value.Currency == currency {
			out = append(out, Change{Seq: was.Seq, Member: was.Member, What: fmt.Sprintf("%s contribution of %s was reversed after position %d", was.Kind, was.Value, a)})
		}
	}
	return out
}

// WriteText writes the examination as readable text.
func (ex *Examination) WriteText(w io.Writer) error {
	b := &strings.Builder{}
	d := ex.Dispute
	fmt.Fprintf(b, "Dispute %d by %s against position %d (%s), raised %s:\n  %q\n", d.Seq, d.By, d.Subject, d.SubjectType, d.Occurred.Format("2006-01-02"), d.Claim)
	if d.Resolved != 0 {
		fmt.Fprintf(b, "Resolved at position %d: %s. %s\n", d.Resolved, d.Outcome, d.Resolution)
		if len(d.Adjustments) > 0 {
			fmt.Fprintf(b, "Adjusting entries: %v\n", d.Adjustments)
		}
	} else {
		b.WriteString("Open.\n")
	}
	if ck := ex.Check; ck != nil {
		state := "reproduces the committed amounts exactly"
		if !ck.Match {
			state = fmt.Sprintf("does NOT reproduce the committed amounts (%d members differ)", len(ck.Differences))
		}
		fmt.Fprintf(b, "\nThe payout (%s, pool %s) recomputed as of its position %d %s.\n", ck.Method, ck.Pool, ck.ComputedAt, state)
		if cl := ex.Claimant; cl != nil {
			mo := func(x int64) string { return ledger.Money{Amount: x, Currency: cl.Currency}.String() }
			fmt.Fprintf(b, "%s: committed %s, in force %s, recomputed %s", cl.Member, mo(cl.Committed), mo(cl.InForce), mo(cl.Recomputed))
			if cl.Error != "" {
				fmt.Fprintf(b, ", as of now: cannot compute (%s)", cl.Error)
			} else {
				fmt.Fprintf(b, ", as of now (position %d) %s", ex.AsOf, mo(cl.Current))
			}
			if cl.Claimed != nil {
				fmt.Fprintf(b, "; claims %s (%+d minor units against the amount in force)", mo(*cl.Claimed), *cl.Claimed-cl.InForce)
			}
			b.WriteString(".\n")
		}
	}
	if c := ex.Contribution; c != nil {
		fmt.Fprintf(b, "\nWhen raised: %s %s by %s, %s.\n", c.Then.Kind, c.Then.Value, c.Then.Member, c.Then.Status)
		if c.Now == nil {
			b.WriteString("Now: reversed.\n")
		} else {
			fmt.Fprintf(b, "Now: %s %s, %s.\n", c.Now.Kind, c.Now.Value, c.Now.Status)
		}
		if len(c.CountedIn) > 0 {
			fmt.Fprintf(b, "Counted in the payouts at positions %v.\n", c.CountedIn)
		}
	}
	if len(ex.Changes) == 0 {
		b.WriteString("\nNothing it depends on has changed since.\n")
	} else {
		b.WriteString("\nWhat changed since:\n")
		for _, c := range ex.Changes {
			who := ""
			if c.Member != "" {
				who = c.Member + ": "
			}
			fmt.Fprintf(b, "  %d  %s%s\n", c.Seq, who, c.What)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
