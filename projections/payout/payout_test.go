package payout_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
	"github.com/alliance-ledger/alliance/ledger/sample"
	"github.com/alliance-ledger/alliance/projections"
	"github.com/alliance-ledger/alliance/projections/payout"
	"github.com/alliance-ledger/alliance/projections/sharing"
)

const alliance = "battery"

var start = time.Date(2022, 3, 1, 9, 0, 0, 0, time.UTC)

// sampleLog writes the sample alliance to an embedded JetStream on a temp
// directory and returns the store and a writer on it.
func sampleLog(t *testing.T) (*natsstore.Store, *ledger.Writer) {
	t.Helper()
	return sampleLogOf(t, sample.Requests(alliance, start, start.AddDate(4, 0, 0)))
}

// sampleLogOf writes requests to an embedded JetStream on a temp directory.
func sampleLogOf(t *testing.T, reqs []ledger.Request) (*natsstore.Store, *ledger.Writer) {
	t.Helper()
	e, err := natsstore.StartEmbedded(t.TempDir(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Shutdown)
	nc, err := e.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	s, err := natsstore.New(nc, natsstore.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w := ledger.NewWriter(s, ledger.WriterOptions{})
	t.Cleanup(w.Close)
	if len(reqs) > 0 {
		if _, err := w.AppendInOrder(context.Background(), reqs, nil); err != nil {
			t.Fatal(err)
		}
	}
	return s, w
}

// model folds the whole log from the store, from zero.
func model(t *testing.T, s ledger.Store) *projections.Model {
	t.Helper()
	m := projections.NewModel(alliance)
	err := s.Read(context.Background(), alliance, 1, func(st ledger.Stored) error {
		e, err := ledger.DecodeEvent(st.Data)
		if err != nil {
			return err
		}
		return m.Apply(e)
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func appendOne(t *testing.T, w *ledger.Writer, actor, key string, p ...ledger.Payload) ledger.Receipt {
	t.Helper()
	r := ledger.Request{Alliance: alliance, Actor: actor, IdempotencyKey: key}
	for _, pl := range p {
		r.Commands = append(r.Commands, ledger.NewCommand(start.AddDate(3, 0, 20), pl))
	}
	rc, err := w.Append(context.Background(), r)
	if err != nil {
		t.Fatalf("append %s: %v", key, err)
	}
	return rc
}

func payoutsIn(m *projections.Model) []uint64 {
	var out []uint64
	for _, id := range m.PoolIDs(0) {
		p, _ := m.Pool(id, 0)
		for _, pf := range p.Payouts {
			if pf.Adjusts == 0 {
				out = append(out, pf.Seq)
			}
		}
	}
	return out
}

// TestSamplePayoutsRecompute: the sample's payouts (proportional for the
// licensing pool, Shapley for the services pool) are recomputed from the
// log to the same amounts, although the sample computed them its own way.
func TestSamplePayoutsRecompute(t *testing.T) {
	s, _ := sampleLog(t)
	m := model(t, s)
	seqs := payoutsIn(m)
	if len(seqs) != 2 {
		t.Fatalf("sample has payouts at %v, want 2", seqs)
	}
	for _, seq := range seqs {
		ck, err := payout.Recompute(m, seq)
		if err != nil {
			t.Fatal(err)
		}
		if !ck.Match {
			t.Errorf("payout at %d (%s): recomputed amounts differ: %+v", seq, ck.Method, ck.Differences)
		}
	}
}

// TestCommitThenRecompute commits a multi-factor corrected Shapley payout,
// appends events that change every factor, and recomputes the payout from
// a fresh fold of the log: identical amounts and inputs. The allocation as
// of the new end of the log differs, so the check can fail.
func TestCommitThenRecompute(t *testing.T) {
	s, w := sampleLog(t)
	m := model(t, s)
	players := []string{"M02", "M03", "M05", "M06", "M10"}
	rc := appendOne(t, w, "secretariat", "pool-t", &ledger.PoolDeclared{Pool: "POOL-T", Amount: ledger.Money{Amount: 123_456_789, Currency: "CNY"},
		Source: "test", Members: players})
	coalitions := []ledger.CoalitionValue{
		{Members: []string{"M02"}, Value: cny(200)}, {Members: []string{"M03"}, Value: cny(150)},
		{Members: []string{"M05"}, Value: cny(100)}, {Members: []string{"M06"}, Value: cny(50)}, {Members: []string{"M10"}, Value: cny(20)},
		{Members: []string{"M02", "M03"}, Value: cny(420)}, {Members: []string{"M05", "M10"}, Value: cny(160)},
		{Members: players, Value: cny(1000)},
	}
	appendOne(t, w, "secretariat", "assess-t", &ledger.PoolAssessed{Pool: "POOL-T", Assessor: "panel", Method: "agreed", Players: players, Coalitions: coalitions})
	m = model(t, s)
	a, err := payout.Compute(m, payout.Request{Pool: "POOL-T", Method: "multifactor-shapley"})
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, mr := range a.Members {
		sum += mr.Amount
		if mr.Amount < 0 {
			t.Errorf("%s gets %d", mr.Member, mr.Amount)
		}
	}
	if sum != 123_456_789 {
		t.Fatalf("allocation sums to %d, want the pool", sum)
	}
	if len(a.Inputs.Factors) != 4 {
		t.Fatalf("factors %v, want investment, risk, innovation, effort", a.Inputs.Factors)
	}
	pl, err := a.Payload()
	if err != nil {
		t.Fatal(err)
	}
	prc := appendOne(t, w, "secretariat", "payout-t", pl)
	_ = rc

	// Later events change the investment, effort and innovation factors.
	c := appendOne(t, w, "member:M10", "late-cash", &ledger.ContributionRecorded{Member: "M10", Kind: "cash", Value: cny(5_000_000), Valuation: "declared"})
	appendOne(t, w, "secretariat", "late-confirm", &ledger.ContributionConfirmed{Contribution: c.First, By: "M01"})
	appendOne(t, w, "secretariat", "late-ip", &ledger.IPFiled{Asset: "IP-LATE", Type: "patent-invention", Title: "late",
		Owners: []ledger.Share{{Member: "M10", Share: ledger.MustRatio("1")}}})

	m = model(t, s)
	ck, err := payout.Recompute(m, prc.First)
	if err != nil {
		t.Fatal(err)
	}
	if !ck.Match || !ck.InputsMatch {
		t.Fatalf("recomputed payout: match %v, inputs match %v, differences %+v", ck.Match, ck.InputsMatch, ck.Differences)
	}
	now, err := payout.Compute(m, payout.Request{Pool: "POOL-T", Method: "multifactor-shapley"})
	if err != nil {
		t.Fatal(err)
	}
	if now.Amounts()["M10"] <= ck.Recomputed.Amounts()["M10"] {
		t.Errorf("M10 gets %d as of now and %d as of the payout; the later contribution and IP should raise it", now.Amounts()["M10"], ck.Recomputed.Amounts()["M10"])
	}

	// M10 disputes; the dispute is resolved by recomputing as of now.
	d := appendOne(t, w, "member:M10", "dispute-t", &ledger.DisputeRaised{Subject: prc.First, By: "M10", Claim: "我单位后续确认的投入与专利未计入", ClaimedAmount: ptr(cny(400))})
	m = model(t, s)
	ex, err := payout.Examine(m, d.First)
	if err != nil {
		t.Fatal(err)
	}
	if !ex.Check.Match || ex.Claimant.Current != now.Amounts()["M10"] || ex.Claimant.Claimed == nil {
		t.Errorf("examination: %+v", ex.Claimant)
	}
	var text strings.Builder
	if err := ex.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "reproduces the committed amounts exactly") || !strings.Contains(text.String(), "recorded at position") {
		t.Errorf("examination text:\n%s", text.String())
	}
	before, err := m.Balances(projections.Query{})
	if err != nil {
		t.Fatal(err)
	}
	adj, _, err := payout.Adjust(m, prc.First, 0)
	if err != nil {
		t.Fatal(err)
	}
	adj.Dispute, adj.Reason = d.First, "recomputed as of now"
	appendOne(t, w, "secretariat", "resolve-t", adj,
		&ledger.DisputeResolved{Dispute: d.First, Outcome: "upheld", Resolution: "重新计算"})
	m = model(t, s)
	after, err := m.Balances(projections.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var delta int64
	for _, al := range adj.Adjustments {
		if al.Member == "M10" {
			delta = al.Amount.Amount
		}
	}
	if delta <= 0 {
		t.Fatalf("adjustments %+v give M10 nothing", adj.Adjustments)
	}
	if got := payouts(after, "M10") - payouts(before, "M10"); got != delta {
		t.Errorf("M10's payouts changed by %d, the adjustment is %d", got, delta)
	}
	inForce, err := payout.InForce(m, prc.First, 0)
	if err != nil {
		t.Fatal(err)
	}
	for id, amt := range now.Amounts() {
		if inForce[id] != amt {
			t.Errorf("%s: %d in force after the adjustment, recomputed %d", id, inForce[id], amt)
		}
	}
	df, _ := m.Dispute(d.First, 0)
	if df.Outcome != "upheld" || len(df.Adjustments) != 1 {
		t.Errorf("dispute after resolution: %+v", df)
	}
	// Nothing left to adjust.
	if _, _, err := payout.Adjust(m, prc.First, 0); err == nil {
		t.Error("a second adjustment as of the same position found differences")
	}
}

// TestEveryMethodSharesThePool computes the services pool by every method
// the agreement allows, as of the end of the sample.
func TestEveryMethodSharesThePool(t *testing.T) {
	s, _ := sampleLog(t)
	m := model(t, s)
	pool, err := m.Pool("POOL-Y3-SERVICES", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range ledger.DistributionMethods {
		t.Run(method, func(t *testing.T) {
			a, err := payout.Compute(m, payout.Request{Pool: pool.ID, Method: method})
			if err != nil {
				t.Fatal(err)
			}
			var sum int64
			for _, mr := range a.Members {
				if mr.Amount < 0 {
					t.Errorf("%s gets %d", mr.Member, mr.Amount)
				}
				sum += mr.Amount
				// The rounding step explains the amount exactly.
				if mr.Rounding.Floor+mr.Rounding.Extra != mr.Amount {
					t.Errorf("%s: floor %d + extra %d != %d", mr.Member, mr.Rounding.Floor, mr.Rounding.Extra, mr.Amount)
				}
			}
			if sum != pool.Amount.Amount {
				t.Errorf("sums to %d, the pool is %d", sum, pool.Amount.Amount)
			}
			var text strings.Builder
			if err := a.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text.String(), "rounding: exact") {
				t.Errorf("text has no rounding step:\n%s", text.String())
			}
		})
	}
	if _, err := payout.Compute(m, payout.Request{Pool: pool.ID, Method: "lottery"}); err == nil {
		t.Error("an unknown method was accepted")
	}
	if _, err := payout.Compute(m, payout.Request{Pool: "NOPE"}); err == nil {
		t.Error("an unknown pool was accepted")
	}
	if _, err := payout.Compute(m, payout.Request{Pool: pool.ID, AsOf: pool.Declared - 1}); err == nil {
		t.Error("a pool was shared as of a position before it was declared")
	}
}

func payouts(b *projections.Balances, member string) int64 {
	for _, mb := range b.Members {
		if mb.Member == member {
			var sum int64
			for _, c := range mb.Totals {
				sum += c.PayoutsReceived
			}
			return sum
		}
	}
	return 0
}

func cny(yuan int64) ledger.Money { return ledger.Money{Amount: yuan * 100_00, Currency: "CNY"} }

func ptr[T any](v T) *T { return &v }

// TestExamineSampleDisputes: in the sample, M09 disputes the licensing
// payout because its data contribution was not confirmed when the payout
// was computed; the examination finds the payout reproduced and names
// that contribution, confirmed since. M03's dispute over a contribution
// shows the contribution then and now.
func TestExamineSampleDisputes(t *testing.T) {
	s, _ := sampleLog(t)
	m := model(t, s)
	var payoutDispute, contribDispute *projections.DisputeFact
	for _, d := range m.Disputes(0) {
		switch {
		case d.SubjectType == ledger.TypePayoutCommitted && d.By == "M09":
			payoutDispute = &d
		case d.SubjectType == ledger.TypeContributionRecorded:
			contribDispute = &d
		}
	}
	if payoutDispute == nil || contribDispute == nil {
		t.Fatalf("sample disputes: %+v", m.Disputes(0))
	}

	ex, err := payout.Examine(m, payoutDispute.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if !ex.Check.Match {
		t.Errorf("the licensing payout is not reproduced: %+v", ex.Check.Differences)
	}
	found := false
	for _, c := range ex.Changes {
		if c.Member == "M09" && strings.Contains(c.What, "was recorded at position") && strings.Contains(c.What, "is confirmed now") {
			found = true
		}
	}
	if !found {
		t.Errorf("no change names M09's contribution confirmed after the payout: %+v", ex.Changes)
	}
	if ex.Claimant.Current <= ex.Claimant.Committed {
		t.Errorf("M09: %d as of now, %d committed; counting its confirmed contribution should raise it", ex.Claimant.Current, ex.Claimant.Committed)
	}

	ex, err = payout.Examine(m, contribDispute.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Contribution == nil || ex.Contribution.Then == nil || ex.Contribution.Now == nil {
		t.Fatalf("contribution examination: %+v", ex.Contribution)
	}
	if ex.Contribution.Then.Seq != contribDispute.Subject {
		t.Errorf("examined contribution %d, disputed %d", ex.Contribution.Then.Seq, contribDispute.Subject)
	}
	var text strings.Builder
	if err := ex.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"When raised:", "Now:"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	if _, err := payout.Examine(m, 1); err == nil {
		t.Error("examined a dispute at position 1, where the alliance was founded")
	}
}

// TestSampledPayoutRecomputes: with more than 20 players the Shapley value
// is sampled; the seed and sample count recorded with the payout make the
// recomputation draw the same orders and give the same amounts, and the
// estimate is close to the exact value the assessment implies.
func TestSampledPayoutRecomputes(t *testing.T) {
	s, w := sampleLogOf(t, func() []ledger.Request {
		g := sample.NewSynthetic(alliance, 7, start)
		reqs := make([]ledger.Request, 400)
		for i := range reqs {
			reqs[i] = g.Next()
		}
		return reqs
	}())
	var players []string
	for i := 1; i <= 30; i++ {
		players = append(players, fmt.Sprintf("M%03d", i))
	}
	var coalitions []ledger.CoalitionValue
	for i, id := range players {
		coalitions = append(coalitions, ledger.CoalitionValue{Members: []string{id}, Value: cny(int64(100 + 7*i))})
		if i > 0 {
			coalitions = append(coalitions, ledger.CoalitionValue{Members: []string{players[i-1], id}, Value: cny(int64(250 + 11*i))})
		}
		if i > 1 {
			coalitions = append(coalitions, ledger.CoalitionValue{Members: []string{players[i-2], players[i-1], id}, Value: cny(int64(600 + 13*i))})
		}
	}
	appendOne(t, w, "secretariat", "pool-s", &ledger.PoolDeclared{Pool: "POOL-S", Amount: cny(1_000_000), Source: "test", Members: players})
	appendOne(t, w, "secretariat", "assess-s", &ledger.PoolAssessed{Pool: "POOL-S", Assessor: "panel", Method: "agreed", Players: players, Coalitions: coalitions})
	m := model(t, s)
	a, err := payout.Compute(m, payout.Request{Pool: "POOL-S"})
	if err != nil {
		t.Fatal(err)
	}
	sh := a.Inputs.Shapley
	if sh == nil || sh.Exact || sh.Seed == 0 || sh.Samples != sharing.DefaultSamples {
		t.Fatalf("shapley inputs %+v, want sampled with a derived seed", sh)
	}
	pl, err := a.Payload()
	if err != nil {
		t.Fatal(err)
	}
	rc := appendOne(t, w, "secretariat", "payout-s", pl)
	appendOne(t, w, "secretariat", "more", &ledger.ContributionRecorded{Member: "M005", Kind: "cash", Value: cny(10), Valuation: "declared"})
	m = model(t, s)
	ck, err := payout.Recompute(m, rc.First)
	if err != nil {
		t.Fatal(err)
	}
	if !ck.Match || !ck.InputsMatch {
		t.Fatalf("sampled payout recomputed: match %v, inputs match %v: %+v", ck.Match, ck.InputsMatch, ck.Differences)
	}
	// Against the exact value of the same game.
	idx := map[string]int{}
	for i, id := range players {
		idx[id] = i
	}
	var terms []sharing.Assessed
	for _, c := range coalitions {
		t := sharing.Assessed{Value: c.Value.Amount}
		for _, id := range c.Members {
			t.Members = append(t.Members, idx[id])
		}
		terms = append(terms, t)
	}
	g, err := sharing.NewGame(len(players), terms)
	if err != nil {
		t.Fatal(err)
	}
	exact, _, err := sharing.Apportion(cny(1_000_000).Amount, g.ClosedForm())
	if err != nil {
		t.Fatal(err)
	}
	for i, mr := range a.Members {
		if rel := math.Abs(float64(mr.Amount-exact[i])) / float64(exact[i]); rel > sh.MaxRelErr+1e-9 {
			t.Errorf("%s: sampled %d, exact %d: relative error %.4f%% above the recorded bound %.4f%%", mr.Member, mr.Amount, exact[i], 100*rel, 100*sh.MaxRelErr)
		}
	}
}

// TestNegativeCorrectionIsClamped: under risk-shapley a member with no
// risk loses v(N)/3 of its Shapley value; M03's 17/6 (thousand) becomes
// −5/6, so it gets nothing and the others are scaled by 66/71 to keep the
// total: M01 44/71, M02 737/71 of 1,000.00 CNY per unit of v. The pool of
// 11,000.00 CNY then splits 619.72 (the extra fen: remainder .83 against
// .17) / 10,380.28 / 0. The rule is reported, not silent.
func TestNegativeCorrectionIsClamped(t *testing.T) {
	s, w := sampleLogOf(t, nil)
	at := start
	var reqs []ledger.Request
	add := func(key string, p ...ledger.Payload) {
		r := ledger.Request{Alliance: alliance, Actor: "secretariat", IdempotencyKey: key}
		for _, pl := range p {
			r.Commands = append(r.Commands, ledger.NewCommand(at, pl))
		}
		reqs = append(reqs, r)
	}
	add("found", &ledger.AllianceFounded{Name: "联盟", Type: "rd-cooperation", LegalForm: "non-legal-person", BaseCurrency: "CNY", Custodian: "M01"},
		&ledger.MemberAdmitted{Member: "M01", Name: "某大学", Kind: "university", Role: "chair"},
		&ledger.MemberAdmitted{Member: "M02", Name: "某公司", Kind: "enterprise", Role: "ordinary"},
		&ledger.MemberAdmitted{Member: "M03", Name: "某院", Kind: "research-institute", Role: "ordinary"})
	add("agree", &ledger.AgreementSigned{Agreement: ledger.Agreement{Title: "协议", EffectiveDate: "2022-03-01",
		Distribution: ledger.Distribution{Method: "risk-shapley"}, Risk: ledger.RiskRule{Rule: "contribution"},
		IPOwnership: "by-contribution", Signatories: []string{"M01", "M02", "M03"}}})
	add("p1", &ledger.ProjectOpened{Project: "P1", Name: "p", Lead: "M02", Start: "2022-03-01",
		Participants: []ledger.Participant{{Member: "M01", Budget: cny(1)}, {Member: "M02", Budget: cny(1)}, {Member: "M03", Budget: cny(1)}}})
	add("c1", &ledger.ContributionRecorded{Member: "M02", Project: "P1", Kind: "cash", Value: cny(500)}) // 7
	add("k1", &ledger.ContributionConfirmed{Contribution: 7, By: "M01"})
	add("pool", &ledger.PoolDeclared{Pool: "POOL1", Amount: ledger.Money{Amount: 1_100_000, Currency: "CNY"}, Project: "P1", Source: "x"})
	money := func(x int64) ledger.Money { return ledger.Money{Amount: x, Currency: "CNY"} }
	add("assess", &ledger.PoolAssessed{Pool: "POOL1", Assessor: "panel", Method: "agreed", Players: []string{"M01", "M02", "M03"},
		Coalitions: []ledger.CoalitionValue{{Members: []string{"M01"}, Value: money(100000)}, {Members: []string{"M02"}, Value: money(100000)},
			{Members: []string{"M03"}, Value: money(100000)}, {Members: []string{"M01", "M02"}, Value: money(700000)},
			{Members: []string{"M01", "M03"}, Value: money(500000)}, {Members: []string{"M02", "M03"}, Value: money(400000)},
			{Members: []string{"M01", "M02", "M03"}, Value: money(1100000)}}})
	if _, err := w.AppendInOrder(context.Background(), reqs, nil); err != nil {
		t.Fatal(err)
	}
	a, err := payout.Compute(model(t, s), payout.Request{Pool: "POOL1"})
	if err != nil {
		t.Fatal(err)
	}
	got := a.Amounts()
	if got["M01"] != 61972 || got["M02"] != 1038028 || got["M03"] != 0 {
		t.Errorf("amounts %v, want M01 61972, M02 1038028, M03 0", got)
	}
	if len(a.Inputs.Clamped) != 1 || a.Inputs.Clamped[0] != "M03" || len(a.Notes) == 0 {
		t.Errorf("clamped %v, notes %v: the rule must be reported", a.Inputs.Clamped, a.Notes)
	}
	m3 := a.Members[2]
	if m3.Clamp == nil || m3.Clamp.Before.String() != "-250000/3" || !m3.Clamp.After.IsZero() {
		t.Errorf("M03's clamp %+v, want -83,333.33⅓ fen to 0", m3.Clamp)
	}
}
