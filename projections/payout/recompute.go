package payout

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/projections"
)

// Check is a committed payout recomputed from the log.
type Check struct {
	Payout     uint64      `json:"payout"`
	Pool       string      `json:"pool"`
	Method     string      `json:"method"`
	ComputedAt uint64      `json:"computed_at"`
	Recomputed *Allocation `json:"recomputed"`
	// Match is true when the recomputed amounts equal the committed ones,
	// member by member, to the minor unit.
	Match bool `json:"match"`
	// InputsMatch is true when the recorded inputs equal the recomputed
	// ones (false for inputs recorded in another shape).
	InputsMatch bool         `json:"inputs_match"`
	Differences []AmountDiff `json:"differences,omitempty"`
}

// AmountDiff is a member whose amounts differ.
type AmountDiff struct {
	Member     string `json:"member"`
	Committed  int64  `json:"committed"`
	Recomputed int64  `json:"recomputed"`
}

// requestFor rebuilds the request a payout was computed with from what it
// recorded: its method, position and sampling parameters.
func requestFor(pf *projections.PayoutFact, pool string, asOf uint64) Request {
	req := Request{Pool: pool, Method: pf.Method, AsOf: asOf}
	var in Inputs
	if json.Unmarshal(pf.Inputs, &in) == nil && in.Format == InputsFormat && in.Shapley != nil && !in.Shapley.Exact {
		req.Seed, req.Samples = in.Shapley.Seed, in.Shapley.Samples
	}
	return req
}

// Recompute recomputes the payout committed at position seq as of the
// position it records, and compares.
func Recompute(m *projections.Model, seq uint64) (*Check, error) {
	pool, pf, err := m.Payout(seq, 0)
	if err != nil {
		return nil, err
	}
	if pf.Adjusts != 0 {
		return nil, invalid("payout", "position %d is an adjustment of the payout at %d, not a payout", seq, pf.Adjusts)
	}
	a, err := Compute(m, requestFor(pf, pool.ID, pf.ComputedAt))
	if err != nil {
		return nil, fmt.Errorf("recompute the payout at position %d: %w", seq, err)
	}
	ck := &Check{Payout: seq, Pool: pool.ID, Method: pf.Method, ComputedAt: pf.ComputedAt, Recomputed: a}
	committed := map[string]int64{}
	for _, al := range pf.Amounts {
		committed[al.Member] = al.Amount.Amount
	}
	ck.Differences = diffAmounts(committed, a.Amounts())
	ck.Match = len(ck.Differences) == 0
	ck.InputsMatch = sameJSON(pf.Inputs, a.Inputs)
	return ck, nil
}

func diffAmounts(was, now map[string]int64) []AmountDiff {
	var out []AmountDiff
	ids := map[string]bool{}
	for id := range was {
		ids[id] = true
	}
	for id := range now {
		ids[id] = true
	}
	for _, id := range slices.Sorted(func(yield func(string) bool) {
		for id := range ids {
			if !yield(id) {
				return
			}
		}
	}) {
		if was[id] != now[id] {
			out = append(out, AmountDiff{Member: id, Committed: was[id], Recomputed: now[id]})
		}
	}
	return out
}

// sameJSON compares recorded inputs with recomputed ones by meaning, not
// bytes (the ledger stores JSON compacted and escaped its own way).
func sameJSON(recorded []byte, in Inputs) bool {
	b, err := json.Marshal(in)
	if err != nil || len(recorded) == 0 {
		return false
	}
	var x, y any
	if json.Unmarshal(recorded, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// InForce returns a payout's amounts with the adjustments in force at n.
func InForce(m *projections.Model, seq, n uint64) (map[string]int64, error) {
	pool, pf, err := m.Payout(seq, n)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, al := range pf.Amounts {
		out[al.Member] += al.Amount.Amount
	}
	for _, adj := range pool.Payouts {
		if adj.Adjusts == seq && adj.Reversed == 0 {
			for _, al := range adj.Amounts {
				out[al.Member] += al.Amount.Amount
			}
		}
	}
	return out, nil
}

// Adjust recomputes a payout as of position asOf (0: the latest) with the
// payout's own method and parameters, and returns the adjustment that
// brings the amounts in force to the recomputed ones. Dispute and Reason
// are left for the caller.
func Adjust(m *projections.Model, seq, asOf uint64) (*ledger.PayoutAdjusted, *Allocation, error) {
	pool, pf, err := m.Payout(seq, 0)
	if err != nil {
		return nil, nil, err
	}
	if pf.Adjusts != 0 {
		return nil, nil, invalid("payout", "position %d is an adjustment, not a payout", seq)
	}
	if pf.Reversed != 0 {
		return nil, nil, invalid("payout", "the payout at position %d was reversed at %d", seq, pf.Reversed)
	}
	if asOf == 0 {
		asOf = m.Last()
	}
	a, err := Compute(m, requestFor(pf, pool.ID, asOf))
	if err != nil {
		return nil, nil, err
	}
	cur, err := InForce(m, seq, 0)
	if err != nil {
		return nil, nil, err
	}
	inputs, err := json.Marshal(a.Inputs)
	if err != nil {
		return nil, nil, err
	}
	adj := &ledger.PayoutAdjusted{Payout: seq, ComputedAt: a.ComputedAt, Inputs: inputs}
	for _, d := range diffAmounts(cur, a.Amounts()) {
		adj.Adjustments = append(adj.Adjustments, ledger.Allocation{Member: d.Member,
			Amount: ledger.Money{Amount: d.Recomputed - d.Committed, Currency: pool.Amount.Currency}})
	}
	if len(adj.Adjustments) == 0 {
		return nil, a, invalid("as_of_seq", "recomputed as of position %d the payout at %d gives the amounts already in force; there is nothing to adjust", asOf, seq)
	}
	return adj, a, nil
}
