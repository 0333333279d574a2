package ledger_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/memstore"
)

// The history ends with the POOL-2025 story: declared for M01 and M02 (34),
// assessed (35), paid by Shapley (36), disputed by M02 (37), adjusted (38)
// and resolved (39) in one request.
func TestSharingCommands(t *testing.T) {
	store := memstore.New()
	w := newWriter(t, store)
	for _, r := range history() {
		mustAppend(t, w, r)
	}
	mustAppend(t, w, req("poolx", cmd(40, &ledger.PoolDeclared{Pool: "POOL-X", Amount: cny(1000), Source: "x"}))) // 42
	mustAppend(t, w, req("dispute-again", cmd(41, &ledger.DisputeRaised{Subject: 36, By: "M01", Claim: "再议"})))   // 43

	// The resolution cites the adjustment appended with it.
	var resolved *ledger.DisputeResolved
	for _, st := range readAll(t, store) {
		if e, err := ledger.DecodeEvent(st.Data); err == nil && e.Seq == 39 {
			resolved, _ = e.Payload.(*ledger.DisputeResolved)
		}
	}
	if resolved == nil || !cmp.Equal(resolved.Adjustments, []uint64{38}) {
		t.Fatalf("resolution at 39 = %+v, want it to cite the adjustment at 38", resolved)
	}

	coalition := func(v ledger.Money, ids ...string) ledger.CoalitionValue {
		return ledger.CoalitionValue{Members: ids, Value: v}
	}
	assess := func(players []string, cs ...ledger.CoalitionValue) *ledger.PoolAssessed {
		return &ledger.PoolAssessed{Pool: "POOL-2025", Assessor: "panel", Method: "expert-panel", Players: players, Coalitions: cs}
	}
	adjust := func(dispute uint64, a, b int64) *ledger.PayoutAdjusted {
		return &ledger.PayoutAdjusted{Payout: 36, Dispute: dispute, Reason: "x",
			Adjustments: []ledger.Allocation{{Member: "M01", Amount: cny(a)}, {Member: "M02", Amount: cny(b)}}}
	}
	two := []string{"M01", "M02"}
	tests := []struct {
		name  string
		cmd   ledger.Payload
		field string
		kind  error
	}{
		{"assess unknown pool", &ledger.PoolAssessed{Pool: "NOPE", Assessor: "p", Method: "agreed", Players: two, Coalitions: []ledger.CoalitionValue{coalition(cny(1), "M01")}}, "payload.pool", ledger.ErrNotFound},
		{"assess with unknown method", &ledger.PoolAssessed{Pool: "POOL-2025", Assessor: "p", Method: "guess", Players: two, Coalitions: []ledger.CoalitionValue{coalition(cny(1), "M01")}}, "payload.method", ledger.ErrInvalid},
		{"coalition member not a player", assess(two, coalition(cny(1), "M03")), "payload.coalitions[0].members[0]", ledger.ErrInvalid},
		{"coalition valued twice", assess(two, coalition(cny(1), "M01", "M02"), coalition(cny(2), "M02", "M01")), "payload.coalitions[1].members", ledger.ErrInvalid},
		{"empty coalition", assess(two, coalition(cny(1))), "payload.coalitions[0].members", ledger.ErrInvalid},
		{"negative coalition value", assess(two, coalition(cny(-1), "M01")), "payload.coalitions[0].value.amount", ledger.ErrInvalid},
		{"player outside the pool's members", assess([]string{"M01", "M02", "M03"}, coalition(cny(1), "M03")), "payload.players[2]", ledger.ErrInvalid},
		{"player listed twice", assess([]string{"M01", "M01"}, coalition(cny(1), "M01")), "payload.players[1]", ledger.ErrInvalid},
		{"coalition in another currency", assess(two, coalition(ledger.Money{Amount: 5, Currency: "USD"}, "M01")), "payload.coalitions[0].value.currency", ledger.ErrInvalid},
		{"adjustments not summing to zero", adjust(43, -100, 99), "payload.adjustments", ledger.ErrInvalid},
		{"adjustment below zero", adjust(43, -600_000, 600_000), "payload.adjustments[0].amount", ledger.ErrInvalid},
		{"adjust an assessment", &ledger.PayoutAdjusted{Payout: 35, Reason: "x", Adjustments: []ledger.Allocation{{Member: "M01", Amount: cny(1)}, {Member: "M02", Amount: cny(-1)}}}, "payload.payout", ledger.ErrNotFound},
		{"adjust an adjustment", &ledger.PayoutAdjusted{Payout: 38, Reason: "x", Adjustments: []ledger.Allocation{{Member: "M01", Amount: cny(1)}, {Member: "M02", Amount: cny(-1)}}}, "payload.payout", ledger.ErrNotFound},
		{"adjust for a resolved dispute", adjust(37, -1, 1), "payload.dispute", ledger.ErrConflict},
		{"zero adjustment", adjust(43, 0, 0), "payload.adjustments[0].amount", ledger.ErrInvalid},
		{"method the agreement does not allow", &ledger.PayoutCommitted{Pool: "POOL-X", Method: "risk-shapley", ComputedAt: 42, Allocations: []ledger.Allocation{{Member: "M01", Amount: cny(1000)}}}, "payload.method", ledger.ErrInvalid},
		{"reverse a payout with adjustments", &ledger.EntryReversed{Entry: 36, Reason: "x"}, "payload.entry", ledger.ErrInvalid},
		{"correct an adjustment", &ledger.EntryCorrected{Entry: 38, Reason: "x", Replacement: []byte(`{}`)}, "payload.entry", ledger.ErrInvalid},
		{"rejected dispute with adjustments", &ledger.DisputeResolved{Dispute: 43, Outcome: "rejected", Resolution: "x", Adjustments: []uint64{38}}, "payload.outcome", ledger.ErrInvalid},
		{"pool member who is not a member", &ledger.PoolDeclared{Pool: "POOL-Y", Amount: cny(1), Source: "x", Members: []string{"M77"}}, "payload.members[0]", ledger.ErrNotFound},
	}
	before := readAll(t, store)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.Append(t.Context(), req("", cmd(42, tt.cmd)))
			var fe *ledger.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *ledger.FieldError", err)
			}
			if fe.Field != tt.field || !errors.Is(err, tt.kind) {
				t.Errorf("err = %q (field %q, kind %v), want field %q, kind %v", err, fe.Field, fe.Kind, tt.field, tt.kind)
			}
			if diff := cmp.Diff(before, readAll(t, store)); diff != "" {
				t.Errorf("log changed by a rejected command (-before +after):\n%s", diff)
			}
		})
	}

	// A re-assessment after the payout is fine; so is a second adjustment,
	// and reversing adjustments then the payout itself.
	mustAppend(t, w, req("reassess", cmd(42, assess(two, coalition(cny(300_000), "M01"), coalition(cny(250_000), "M02"), coalition(cny(1_000_000), "M01", "M02")))))
	rc := mustAppend(t, w, req("adjust2", cmd(43, adjust(43, -5_000, 5_000))))
	mustAppend(t, w, req("undo2", cmd(44, &ledger.EntryReversed{Entry: rc.First, Reason: "x"})))
	mustAppend(t, w, req("undo1", cmd(44, &ledger.EntryReversed{Entry: 38, Reason: "x"})))
	mustAppend(t, w, req("undo-payout", cmd(44, &ledger.EntryReversed{Entry: 36, Reason: "x"})))
}

// TestAgreementFactorAHP: factor weights derived from AHP judgements are
// filled in by the writer with the consistency ratio; inconsistent
// judgements are refused with the ratio in the error, appending nothing.
func TestAgreementFactorAHP(t *testing.T) {
	store := memstore.New()
	w := newWriter(t, store)
	mustAppend(t, w, founding())
	amend := func(matrix [][]string) *ledger.AgreementSigned {
		a := agreement()
		a.Distribution.Method = "multifactor-shapley"
		a.Distribution.FactorAHP = &ledger.FactorAHP{Factors: []string{"investment", "risk", "innovation"}, Matrix: matrix}
		return a
	}
	// Inconsistent: investment ≫ risk, risk ≫ innovation, yet innovation ≫ investment.
	_, err := w.Append(t.Context(), req("bad", cmd(1, amend([][]string{{"1", "5", "1/5"}, {"1/5", "1", "5"}, {"5", "1/5", "1"}}))))
	var fe *ledger.FieldError
	if !errors.As(err, &fe) || fe.Field != "payload.distribution.factor_ahp.matrix" || !strings.Contains(err.Error(), "consistency ratio") {
		t.Fatalf("err = %v, want the matrix refused with its consistency ratio", err)
	}
	if n := len(readAll(t, store)); n != 5 {
		t.Fatalf("%d events after a refused agreement, want 5", n)
	}
	// Perfectly consistent 4:2:1 judgements give 4/7, 2/7, 1/7 to six decimals.
	rc := mustAppend(t, w, req("good", cmd(1, amend([][]string{{"1", "2", "4"}, {"1/2", "1", "2"}, {"1/4", "1/2", "1"}}))))
	var signed *ledger.AgreementSigned
	for _, st := range readAll(t, store) {
		if e, err := ledger.DecodeEvent(st.Data); err == nil && e.Seq == rc.First {
			signed, _ = e.Payload.(*ledger.AgreementSigned)
		}
	}
	want := map[string]string{"investment": "0.571429", "risk": "0.285714", "innovation": "0.142857"}
	got := map[string]string{}
	for k, v := range signed.Distribution.FactorWeights {
		got[k] = v.String()
	}
	if diff := cmp.Diff(want, got); diff != "" || signed.Distribution.FactorAHP.ConsistencyRatio != "0.0000" {
		t.Errorf("stored weights (-want +got):\n%s\nconsistency ratio %q", diff, signed.Distribution.FactorAHP.ConsistencyRatio)
	}
}
