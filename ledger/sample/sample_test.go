package sample_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math/big"
	"reflect"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/memstore"
	"github.com/alliance-ledger/alliance/ledger/sample"
)

const alliance = "yrd-ev-battery"

var (
	start = time.Date(2023, 3, 1, 9, 30, 0, 0, time.FixedZone("CST", 8*60*60))
	end   = start.AddDate(3, 0, 0)
	// far is an until later than the sample's three years.
	far = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
)

func newWriter(t *testing.T, now time.Time) (*ledger.Writer, *memstore.Store) {
	t.Helper()
	store := memstore.New()
	w := ledger.NewWriter(store, ledger.WriterOptions{Now: func() time.Time { return now }})
	t.Cleanup(w.Close)
	return w, store
}

// appendAll appends the requests one after another and checks that each
// lands at the positions Requests counted on.
func appendAll(t *testing.T, w *ledger.Writer, reqs []ledger.Request) {
	t.Helper()
	ctx := context.Background()
	var next uint64 = 1
	for i, r := range reqs {
		rec, err := w.Append(ctx, r)
		if err != nil {
			t.Fatalf("request %d (%s, %s): %v", i, r.IdempotencyKey, r.Commands[0].Type, err)
		}
		if rec.Duplicate || rec.First != next || rec.Last != next+uint64(len(r.Commands))-1 {
			t.Fatalf("request %d (%s): receipt %+v, want positions %d-%d", i, r.IdempotencyKey, rec, next, next+uint64(len(r.Commands))-1)
		}
		next = rec.Last + 1
	}
}

func readAll(t *testing.T, store *memstore.Store) []*ledger.Event {
	t.Helper()
	var events []*ledger.Event
	err := store.Read(context.Background(), alliance, 1, func(st ledger.Stored) error {
		e, err := ledger.DecodeEvent(st.Data)
		if err != nil {
			return err
		}
		events = append(events, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return events
}

func TestAppendsCleanlyAndIdempotently(t *testing.T) {
	reqs := sample.Requests(alliance, start, far)
	w, store := newWriter(t, end.Add(48*time.Hour))
	appendAll(t, w, reqs)

	events := readAll(t, store)
	sum := sample.Summarize(reqs)
	t.Logf("summary: %+v (%d requests)", sum, len(reqs))
	if len(events) != sum.Events {
		t.Fatalf("%d events stored, Summarize says %d", len(events), sum.Events)
	}
	var got sample.Summary
	types := map[string]int{}
	for _, e := range events {
		types[e.Type]++
	}
	got.Events = len(events)
	got.Members = types[ledger.TypeMemberAdmitted]
	got.Projects = types[ledger.TypeProjectOpened]
	got.Contributions = types[ledger.TypeContributionRecorded]
	got.IPFilings = types[ledger.TypeIPFiled]
	got.Fundings = types[ledger.TypeFundingReceived]
	got.Costs = types[ledger.TypeCostIncurred]
	got.Pools = types[ledger.TypePoolDeclared]
	got.Payouts = types[ledger.TypePayoutCommitted]
	got.Disputes = types[ledger.TypeDisputeRaised]
	if got != sum {
		t.Errorf("stored counts %+v, Summarize %+v", got, sum)
	}
	for _, typ := range ledger.EventTypes() {
		if types[typ] == 0 {
			t.Errorf("no %s event in the sample", typ)
		}
	}

	// Appending everything again changes nothing.
	ctx := context.Background()
	last, err := w.Last(ctx, alliance)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range reqs {
		rec, err := w.Append(ctx, r)
		if err != nil {
			t.Fatalf("second append of request %d (%s): %v", i, r.IdempotencyKey, err)
		}
		if !rec.Duplicate {
			t.Fatalf("second append of request %d (%s) was not a duplicate: %+v", i, r.IdempotencyKey, rec)
		}
	}
	if again, err := w.Last(ctx, alliance); err != nil || again != last {
		t.Fatalf("log moved from %d to %d (%v) on the second append", last, again, err)
	}
	// So does appending a fresh copy (a second run of the demo).
	for i, r := range sample.Requests(alliance, start, far) {
		if rec, err := w.Append(ctx, r); err != nil || !rec.Duplicate {
			t.Fatalf("rebuilt request %d (%s): %+v, %v", i, r.IdempotencyKey, rec, err)
		}
	}
}

// TestPayoutInputs recomputes the P1 payout from the stored log: the
// weighted contributions its inputs cite are the stored values (as the
// writer valued and corrected them) times the agreement's kind weights, and
// the allocation is proportional to them.
func TestPayoutInputs(t *testing.T) {
	w, store := newWriter(t, end.Add(48*time.Hour))
	appendAll(t, w, sample.Requests(alliance, start, far))
	events := readAll(t, store)

	values := map[uint64]*ledger.ContributionRecorded{}
	var payout *ledger.PayoutCommitted
	var pool *ledger.PoolDeclared
	var weights map[string]ledger.Ratio
	for _, e := range events {
		switch p := e.Payload.(type) {
		case *ledger.AgreementSigned:
			weights = p.Distribution.KindWeights
		case *ledger.ContributionRecorded:
			values[e.Seq] = p
		case *ledger.EntryCorrected:
			if _, ok := values[p.Entry]; ok {
				r, err := p.Corrected(ledger.TypeContributionRecorded)
				if err != nil {
					t.Fatal(err)
				}
				values[p.Entry] = r.(*ledger.ContributionRecorded)
			}
		case *ledger.PoolDeclared:
			if pool == nil {
				pool = p
			}
		case *ledger.PayoutCommitted:
			if p.Pool != pool.Pool {
				continue // the services pool is shared by Shapley; projections/payout recomputes it
			}
			if payout != nil {
				t.Fatal("more than one payout of the licensing pool")
			}
			payout = p
			if p.ComputedAt != e.Seq-1 {
				t.Errorf("payout at %d computed at %d, want the position before it", e.Seq, p.ComputedAt)
			}
		}
	}
	if payout == nil || pool == nil {
		t.Fatal("no pool or payout")
	}
	var in struct {
		Project       string                  `json:"project"`
		Contributions []uint64                `json:"contributions"`
		WeightedFen   map[string]ledger.Ratio `json:"weighted_fen"`
	}
	if err := json.Unmarshal(payout.Inputs, &in); err != nil {
		t.Fatal(err)
	}
	want := map[string]*big.Rat{}
	for _, pos := range in.Contributions {
		c := values[pos]
		if c == nil || c.Project != in.Project {
			t.Fatalf("inputs cite position %d, which is not a contribution to %s", pos, in.Project)
		}
		if want[c.Member] == nil {
			want[c.Member] = new(big.Rat)
		}
		v := weights[c.Kind].Rat()
		want[c.Member].Add(want[c.Member], v.Mul(v, new(big.Rat).SetInt64(c.Value.Amount)))
	}
	if len(want) != len(in.WeightedFen) || len(want) != len(payout.Allocations) || len(want) < 3 {
		t.Fatalf("inputs weigh %d members, recomputed %d, allocated %d", len(in.WeightedFen), len(want), len(payout.Allocations))
	}
	total := new(big.Rat)
	for id, w := range want {
		if in.WeightedFen[id].Rat().Cmp(w) != 0 {
			t.Errorf("%s: inputs say %s, the log says %s", id, in.WeightedFen[id], w.RatString())
		}
		total.Add(total, w)
	}
	var sum int64
	for _, a := range payout.Allocations {
		exact := new(big.Rat).Mul(new(big.Rat).SetInt64(pool.Amount.Amount), want[a.Member])
		exact.Quo(exact, total)
		diff := new(big.Rat).Sub(new(big.Rat).SetInt64(a.Amount.Amount), exact)
		if diff.Cmp(big.NewRat(-1, 1)) <= 0 || diff.Cmp(big.NewRat(1, 1)) >= 0 {
			t.Errorf("%s gets %d fen, its exact share is %s", a.Member, a.Amount.Amount, exact.FloatString(2))
		}
		sum += a.Amount.Amount
	}
	if sum != pool.Amount.Amount {
		t.Errorf("allocations sum to %d, the pool is %d", sum, pool.Amount.Amount)
	}
}

var creditCode = regexp.MustCompile(`^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$`)

func TestCoverage(t *testing.T) {
	reqs := sample.Requests(alliance, start, far)
	memberKinds := map[string]bool{}
	roles := map[string]int{}
	codes := 0
	contribKinds := map[string]bool{}
	ipTypes := map[string]bool{}
	sources := map[string]bool{}
	types := map[string]bool{}
	for _, r := range reqs {
		for _, c := range r.Commands {
			types[c.Type] = true
			switch p := c.Payload.(type) {
			case *ledger.MemberAdmitted:
				memberKinds[p.Kind] = true
				roles[p.Role]++
				if p.CreditCode != "" {
					codes++
					if !creditCode.MatchString(p.CreditCode) {
						t.Errorf("%s: credit code %q", p.Member, p.CreditCode)
					}
				}
			case *ledger.ContributionRecorded:
				contribKinds[p.Kind] = true
				if p.Kind == "cash" && (p.Value.Amount < 500_000_00 || p.Value.Amount > 5_000_000_00) {
					t.Errorf("cash contribution of %s outside 50万–500万 yuan", p.Value)
				}
			case *ledger.IPFiled:
				ipTypes[p.Type] = true
			case *ledger.FundingReceived:
				sources[p.Source] = true
			}
		}
	}
	sum := sample.Summarize(reqs)
	if sum.Members < 12 || sum.Members > 14 {
		t.Errorf("%d members, want 12-14", sum.Members)
	}
	if roles["chair"] != 1 || roles["vice-chair"] != 2 || roles["council"] == 0 || roles["ordinary"] == 0 {
		t.Errorf("roles at admission: %v", roles)
	}
	if codes == 0 || codes == sum.Members {
		t.Errorf("%d of %d members have a credit code; want some, not all", codes, sum.Members)
	}
	if sum.Contributions < 150 || sum.Contributions > 300 {
		t.Errorf("%d contributions, want 150-300", sum.Contributions)
	}
	if sum.IPFilings < 25 || sum.IPFilings > 40 {
		t.Errorf("%d IP filings, want 25-40", sum.IPFilings)
	}
	if sum.Projects < 4 || sum.Pools != 2 || sum.Payouts != 2 {
		t.Errorf("summary %+v", sum)
	}
	for name, pair := range map[string]struct {
		want []string
		got  map[string]bool
	}{
		"member kind":       {ledger.MemberKinds, memberKinds},
		"contribution kind": {ledger.ContributionKinds, contribKinds},
		"IP type":           {ledger.IPTypes, ipTypes},
		"funding source":    {ledger.FundingSources, sources},
		"event type":        {ledger.EventTypes(), types},
	} {
		for _, k := range pair.want {
			if !pair.got[k] {
				t.Errorf("no %s %q in the sample", name, k)
			}
		}
	}
}

func TestShape(t *testing.T) {
	reqs := sample.Requests(alliance, start, far)
	keys := map[string]bool{}
	prev := time.Time{}
	for i, r := range reqs {
		if r.Alliance != alliance {
			t.Fatalf("request %d: alliance %q", i, r.Alliance)
		}
		if r.Actor != "secretariat" && !regexp.MustCompile(`^member:M[0-9]{2}$`).MatchString(r.Actor) {
			t.Fatalf("request %d: actor %q", i, r.Actor)
		}
		if keys[r.IdempotencyKey] || !regexp.MustCompile(`^sample-[0-9]{4}$`).MatchString(r.IdempotencyKey) {
			t.Fatalf("request %d: key %q", i, r.IdempotencyKey)
		}
		keys[r.IdempotencyKey] = true
		for _, c := range r.Commands {
			if c.OccurredAt.Before(prev) {
				t.Fatalf("request %d (%s): %s goes back in time from %s", i, c.Type, c.OccurredAt, prev)
			}
			prev = c.OccurredAt
			if c.OccurredAt.Before(start) || c.OccurredAt.After(end) {
				t.Fatalf("request %d (%s): %s outside the three years", i, c.Type, c.OccurredAt)
			}
			if err := c.Payload.Validate(); err != nil {
				t.Fatalf("request %d (%s): %v", i, c.Type, err)
			}
		}
	}
	if first := reqs[0].Commands[0]; first.Type != ledger.TypeAllianceFounded || !first.OccurredAt.Equal(start) {
		t.Errorf("the first command is %s at %s, want the founding at the start", first.Type, first.OccurredAt)
	}
}

func TestDeterministic(t *testing.T) {
	a := sample.Requests(alliance, start, far)
	b := sample.Requests(alliance, start, far)
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ja, jb) {
		t.Fatal("two calls built different requests")
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two calls built requests that are not deeply equal")
	}
	// An until past the three years changes nothing.
	if c, _ := json.Marshal(sample.Requests(alliance, start, end)); !bytes.Equal(ja, c) {
		t.Error("until = start + 3 years built a different sample")
	}
}

func TestUntil(t *testing.T) {
	full := sample.Requests(alliance, start, far)
	until := start.AddDate(1, 0, 0)
	part := sample.Requests(alliance, start, until)
	if len(part) == 0 || len(part) >= len(full) {
		t.Fatalf("%d requests up to a year, %d in all", len(part), len(full))
	}
	for i, r := range part {
		for _, c := range r.Commands {
			if c.OccurredAt.After(until) {
				t.Fatalf("request %d (%s) at %s, after until %s", i, c.Type, c.OccurredAt, until)
			}
		}
		a, _ := json.Marshal(r)
		b, _ := json.Marshal(full[i])
		if !bytes.Equal(a, b) {
			t.Fatalf("request %d differs from the full sample's", i)
		}
	}
	if next := full[len(part)].Commands[0].OccurredAt; !next.After(until) {
		t.Errorf("the first request left out is at %s, not after until %s", next, until)
	}
	sum := sample.Summarize(part)
	t.Logf("first year: %+v", sum)
	if sum.Contributions == 0 || sum.IPFilings == 0 || sum.Fundings == 0 {
		t.Errorf("first year summary %+v", sum)
	}

	// The first year appends cleanly with the clock at until; the rest
	// follows later (a second run of the demo) and appends cleanly too.
	w, _ := newWriter(t, until)
	appendAll(t, w, part)
	w2, store := newWriter(t, end.Add(48*time.Hour))
	appendAll(t, w2, full)
	if n := len(readAll(t, store)); n != sample.Summarize(full).Events {
		t.Fatalf("%d events", n)
	}

	if got := sample.Requests(alliance, start, start.Add(-time.Hour)); len(got) != 0 {
		t.Errorf("until before the start built %d requests", len(got))
	}
	if got := sample.Requests(alliance, start, start); len(got) != 1 || !slices.ContainsFunc(got[0].Commands, func(c ledger.Command) bool { return c.Type == ledger.TypeAllianceFounded }) {
		t.Errorf("until = start built %d requests, want the founding", len(got))
	}
}

// TestResume appends the first year, then the full sample on the same
// writer: the first year's requests are duplicates, the rest is new.
func TestResume(t *testing.T) {
	until := start.AddDate(1, 6, 0)
	part := sample.Requests(alliance, start, until)
	w, store := newWriter(t, end.Add(48*time.Hour))
	appendAll(t, w, part)
	ctx := context.Background()
	for i, r := range sample.Requests(alliance, start, far) {
		rec, err := w.Append(ctx, r)
		if err != nil {
			t.Fatalf("request %d (%s): %v", i, r.IdempotencyKey, err)
		}
		if rec.Duplicate != (i < len(part)) {
			t.Fatalf("request %d (%s): duplicate %v", i, r.IdempotencyKey, rec.Duplicate)
		}
	}
	if n := len(readAll(t, store)); n != sample.Summarize(sample.Requests(alliance, start, far)).Events {
		t.Fatalf("%d events after resuming", n)
	}
}

// TestOtherStarts builds and appends the sample from founding dates at
// awkward times of day, on a leap day, and two years before now with the
// real clock, as `alliance demo` does.
func TestOtherStarts(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name         string
		start, until time.Time
	}{
		{"just before midnight in China", time.Date(2019, 12, 31, 23, 59, 59, 0, time.FixedZone("CST", 8*60*60)), far},
		{"leap day in UTC", time.Date(2024, 2, 29, 16, 0, 0, 0, time.UTC), far},
		{"two years ago until now", now.AddDate(-2, 0, 0), now},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reqs := sample.Requests(alliance, tc.start, tc.until)
			clock := tc.until
			if clock.After(tc.start.AddDate(3, 0, 0)) {
				clock = tc.start.AddDate(3, 0, 2)
			}
			w, store := newWriter(t, clock)
			appendAll(t, w, reqs)
			if n := len(readAll(t, store)); n != sample.Summarize(reqs).Events {
				t.Fatalf("%d events stored, %d built", n, sample.Summarize(reqs).Events)
			}
			lastAt := reqs[len(reqs)-1].Commands[0].OccurredAt
			if lastAt.Before(tc.start) || lastAt.After(tc.until) || lastAt.After(tc.start.AddDate(3, 0, 0)) {
				t.Fatalf("last business time %s", lastAt)
			}
		})
	}
}
