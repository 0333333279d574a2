package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/memstore"
)

var testNow = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

func newWriter(t *testing.T, store ledger.Store) *ledger.Writer {
	t.Helper()
	w := ledger.NewWriter(store, ledger.WriterOptions{Now: func() time.Time { return testNow }})
	t.Cleanup(w.Close)
	return w
}

func mustAppend(t *testing.T, w *ledger.Writer, r ledger.Request) ledger.Receipt {
	t.Helper()
	rc, err := w.Append(t.Context(), r)
	if err != nil {
		t.Fatalf("append %s: %v", r.IdempotencyKey, err)
	}
	return rc
}

// readAll returns every stored event of the test alliance.
func readAll(t *testing.T, s ledger.Store) []ledger.Stored {
	t.Helper()
	var out []ledger.Stored
	err := s.Read(t.Context(), testAlliance, 1, func(st ledger.Stored) error {
		out = append(out, st)
		return nil
	})
	if err != nil && !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("read: %v", err)
	}
	return out
}

func TestWriterAppendsHistory(t *testing.T) {
	store := memstore.New()
	w := newWriter(t, store)
	var next uint64 = 1
	for _, r := range history() {
		rc := mustAppend(t, w, r)
		if rc.First != next || rc.Last != next+uint64(len(r.Commands))-1 {
			t.Fatalf("%s: receipt %d-%d, want %d-%d", r.IdempotencyKey, rc.First, rc.Last, next, next+uint64(len(r.Commands))-1)
		}
		next = rc.Last + 1
	}
	events := readAll(t, store)
	if len(events) != int(next-1) {
		t.Fatalf("log has %d events, want %d", len(events), next-1)
	}
	types := map[string]bool{}
	for i, st := range events {
		e, err := ledger.DecodeEvent(st.Data)
		if err != nil {
			t.Fatalf("decode %d: %v", st.Seq, err)
		}
		if e.Seq != uint64(i+1) || e.Alliance != testAlliance || e.Actor != "secretariat" || !e.RecordedAt.Equal(testNow) {
			t.Errorf("event %d envelope: seq %d alliance %q actor %q recorded %v", i+1, e.Seq, e.Alliance, e.Actor, e.RecordedAt)
		}
		types[e.Type] = true
	}
	for _, typ := range ledger.EventTypes() {
		if !types[typ] {
			t.Errorf("history does not exercise %s", typ)
		}
	}

	// Derived fields are filled in by the writer.
	e9, _ := ledger.DecodeEvent(events[8].Data)
	c := e9.Payload.(*ledger.ContributionRecorded)
	if want := cny(312_500); c.Value != want || c.Valuation != "agreement-rate" || c.Counterparty != "M02" {
		t.Errorf("personnel contribution: value %v valuation %q counterparty %q, want %v at the agreement rate confirmed by the chair M02", c.Value, c.Valuation, c.Counterparty, want)
	}
	e10, _ := ledger.DecodeEvent(events[9].Data)
	if c := e10.Payload.(*ledger.ContributionRecorded); c.Value != (ledger.Money{Amount: 13_515_000, Currency: "CNY"}) {
		t.Errorf("equipment contribution value %v, want 135150.00 CNY (300 × 450.50)", c.Value)
	}
	e1, _ := ledger.DecodeEvent(events[0].Data)
	if tz := e1.Payload.(*ledger.AllianceFounded).TimeZone; tz != "Asia/Shanghai" {
		t.Errorf("default time zone %q", tz)
	}
}

func TestWriterRejectsInvalidCommands(t *testing.T) {
	hist := history()
	base := hist[:8] // founded, agreement, project P1, contributions at 8, 9, 10
	tests := []struct {
		name  string
		cmd   ledger.Payload
		field string
		kind  error
	}{
		{"unknown member", &ledger.ContributionRecorded{Member: "M99", Project: "P1", Kind: "cash", Value: cny(1)}, "payload.member", ledger.ErrNotFound},
		{"non-participant", &ledger.ContributionRecorded{Member: "M04", Project: "P1", Kind: "cash", Value: cny(1)}, "payload.member", ledger.ErrInvalid},
		{"zero amount", &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: cny(0)}, "payload.value.amount", ledger.ErrInvalid},
		{"negative amount", &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: ledger.Money{Amount: -5, Currency: "CNY"}}, "payload.value.amount", ledger.ErrInvalid},
		{"unknown currency", &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: ledger.Money{Amount: 5, Currency: "XYZ"}}, "payload.value.currency", ledger.ErrInvalid},
		{"foreign currency", &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: ledger.Money{Amount: 5, Currency: "USD"}}, "payload.value.currency", ledger.ErrInvalid},
		{"unknown kind", &ledger.ContributionRecorded{Member: "M02", Kind: "gold", Value: cny(5)}, "payload.kind", ledger.ErrInvalid},
		{"unknown project", &ledger.ContributionRecorded{Member: "M02", Project: "P9", Kind: "cash", Value: cny(5)}, "payload.project", ledger.ErrNotFound},
		{"self counterparty", &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: cny(5), Counterparty: "M02"}, "payload.counterparty", ledger.ErrInvalid},
		{"shares not 100%", &ledger.IPFiled{Asset: "X", Type: "paper", Title: "t", Owners: []ledger.Share{{Member: "M01", Share: ratio("0.5")}, {Member: "M02", Share: ratio("0.4")}}}, "payload.owners", ledger.ErrInvalid},
		{"owner not a member", &ledger.IPFiled{Asset: "X", Type: "paper", Title: "t", Owners: []ledger.Share{{Member: "M01", Share: ratio("1/2")}, {Member: "M77", Share: ratio("1/2")}}}, "payload.owners[1].member", ledger.ErrNotFound},
		{"duplicate owner", &ledger.IPFiled{Asset: "X", Type: "paper", Title: "t", Owners: []ledger.Share{{Member: "M01", Share: ratio("1/2")}, {Member: "M01", Share: ratio("1/2")}}}, "payload.owners[1].member", ledger.ErrInvalid},
		{"member twice", &ledger.MemberAdmitted{Member: "M02", Name: "x", Kind: "enterprise", Role: "ordinary"}, "payload.member", ledger.ErrConflict},
		{"second chair", &ledger.MemberAdmitted{Member: "M09", Name: "x", Kind: "enterprise", Role: "chair"}, "payload.role", ledger.ErrConflict},
		{"bad credit code", &ledger.MemberAdmitted{Member: "M09", Name: "x", Kind: "enterprise", Role: "ordinary", CreditCode: "123"}, "payload.credit_code", ledger.ErrInvalid},
		{"custodian leaves", &ledger.MemberDeparted{Member: "M01", How: "withdrew"}, "payload.member", ledger.ErrInvalid},
		{"expelled without reason", &ledger.MemberDeparted{Member: "M04", How: "expelled"}, "payload.reason", ledger.ErrInvalid},
		{"second agreement", agreement(), "type", ledger.ErrConflict},
		{"project twice", &ledger.ProjectOpened{Project: "P1", Name: "x", Lead: "M01", Start: "2024-01-01", Participants: []ledger.Participant{{Member: "M01", Budget: cny(1)}}}, "payload.project", ledger.ErrConflict},
		{"lead not participant", &ledger.ProjectOpened{Project: "P2", Name: "x", Lead: "M02", Start: "2024-01-01", Participants: []ledger.Participant{{Member: "M01", Budget: cny(1)}}}, "payload.lead", ledger.ErrInvalid},
		{"end before start", &ledger.ProjectOpened{Project: "P2", Name: "x", Lead: "M01", Start: "2024-01-01", End: "2023-01-01", Participants: []ledger.Participant{{Member: "M01", Budget: cny(1)}}}, "payload.end", ledger.ErrInvalid},
		{"bad date", &ledger.ProjectOpened{Project: "P2", Name: "x", Lead: "M01", Start: "2024-13-01", Participants: []ledger.Participant{{Member: "M01", Budget: cny(1)}}}, "payload.start", ledger.ErrInvalid},
		{"confirm by non-counterparty", &ledger.ContributionConfirmed{Contribution: 9, By: "M03"}, "payload.by", ledger.ErrForbidden},
		{"confirm non-contribution", &ledger.ContributionConfirmed{Contribution: 6, By: "M01"}, "payload.contribution", ledger.ErrNotFound},
		{"payout of unknown pool", &ledger.PayoutCommitted{Pool: "NOPE", Method: "shapley", ComputedAt: 5, Allocations: []ledger.Allocation{{Member: "M01", Amount: cny(1)}}}, "payload.pool", ledger.ErrNotFound},
		{"reverse founding", &ledger.EntryReversed{Entry: 1, Reason: "oops"}, "payload.entry", ledger.ErrInvalid},
		{"reverse the future", &ledger.EntryReversed{Entry: 999, Reason: "oops"}, "payload.entry", ledger.ErrNotFound},
		{"dispute a member admission", &ledger.DisputeRaised{Subject: 2, By: "M02", Claim: "x"}, "payload.subject", ledger.ErrInvalid},
		{"licence revenue before licensing", &ledger.IPLicenceRevenue{Asset: "IP1", Licensee: "x", Amount: cny(1)}, "payload.asset", ledger.ErrNotFound},
		{"dues without member", &ledger.FundingReceived{Source: "member-dues", Payer: "x", Amount: cny(1)}, "payload.member", ledger.ErrInvalid},
		{"correct with another member", &ledger.EntryCorrected{Entry: 8, Reason: "x", Replacement: []byte(`{"member":"M01","project":"P1","kind":"cash","value":{"amount":1,"currency":"CNY"}}`)}, "payload.replacement.member", ledger.ErrInvalid},
		{"correct with unknown field", &ledger.EntryCorrected{Entry: 8, Reason: "x", Replacement: []byte(`{"member":"M02","bogus":1}`)}, "payload.replacement", ledger.ErrInvalid},
	}
	store := memstore.New()
	w := newWriter(t, store)
	for _, r := range base {
		mustAppend(t, w, r)
	}
	before := readAll(t, store)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.Append(t.Context(), req("", cmd(30, tt.cmd)))
			var fe *ledger.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *ledger.FieldError", err)
			}
			if fe.Field != tt.field || !errors.Is(err, tt.kind) {
				t.Errorf("err = %q (field %q, kind %v), want field %q, kind %v", err, fe.Field, fe.Kind, tt.field, tt.kind)
			}
			if fe.Rule == "" {
				t.Errorf("error names no rule")
			}
			if diff := cmp.Diff(before, readAll(t, store)); diff != "" {
				t.Errorf("log changed by a rejected command (-before +after):\n%s", diff)
			}
		})
	}
	// The writer still appends afterwards, at the next position.
	rc := mustAppend(t, w, req("after", cmd(31, &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: cny(7)})))
	if rc.First != uint64(len(before)+1) {
		t.Errorf("next append at %d, want %d", rc.First, len(before)+1)
	}
}

func TestRequestValidation(t *testing.T) {
	tests := []struct {
		name  string
		r     ledger.Request
		field string
	}{
		{"bad alliance id", ledger.Request{Alliance: "Bad Id", Actor: "a", Commands: []ledger.Command{cmd(1, &ledger.ProjectClosed{Project: "P1", Outcome: "completed"})}}, "alliance"},
		{"no actor", ledger.Request{Alliance: "a", Commands: []ledger.Command{cmd(1, &ledger.ProjectClosed{Project: "P1", Outcome: "completed"})}}, "actor"},
		{"no commands", ledger.Request{Alliance: "a", Actor: "a"}, "commands"},
		{"future time", ledger.Request{Alliance: "a", Actor: "a", Commands: []ledger.Command{ledger.NewCommand(testNow.Add(72*time.Hour), &ledger.ProjectClosed{Project: "P1", Outcome: "completed"})}}, "occurred_at"},
		{"type mismatch", ledger.Request{Alliance: "a", Actor: "a", Commands: []ledger.Command{{Type: "member.admitted", OccurredAt: day(1), Payload: &ledger.ProjectClosed{Project: "P1", Outcome: "completed"}}}}, "type"},
		{"second command named", ledger.Request{Alliance: "a", Actor: "a", Commands: []ledger.Command{cmd(1, &ledger.ProjectClosed{Project: "P1", Outcome: "completed"}), cmd(1, &ledger.ProjectClosed{Project: "P1", Outcome: "won"})}}, "commands[1].payload.outcome"},
	}
	w := newWriter(t, memstore.New())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.Append(t.Context(), tt.r)
			var fe *ledger.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, ledger.ErrInvalid) {
				t.Errorf("err = %v, want invalid field %q", err, tt.field)
			}
		})
	}
}

// A command without a business time occurred when it was recorded, and a
// retry of it later finds the original rather than conflicting.
func TestOccurredAtDefaultsToRecordedTime(t *testing.T) {
	store := memstore.New()
	var mu sync.Mutex
	now := testNow
	w := ledger.NewWriter(store, ledger.WriterOptions{Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Minute)
		return now
	}})
	t.Cleanup(w.Close)
	mustAppend(t, w, founding())
	r := req("untimed", ledger.Command{Payload: &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: cny(100)}})
	first := mustAppend(t, w, r)
	again := mustAppend(t, w, r)
	if !again.Duplicate || again.First != first.First {
		t.Fatalf("retry without a time: %+v, want the original %+v", again, first)
	}
	events := readAll(t, store)
	e, err := ledger.DecodeEvent(events[first.First-1].Data)
	if err != nil {
		t.Fatal(err)
	}
	if !e.OccurredAt.Equal(e.RecordedAt) || !e.RecordedAt.Equal(first.RecordedAt) {
		t.Fatalf("occurred_at %s, recorded_at %s (receipt %s): want both the recording time", e.OccurredAt, e.RecordedAt, first.RecordedAt)
	}
}

func TestFoundingNeedsCustodian(t *testing.T) {
	store := memstore.New()
	w := newWriter(t, store)
	r := founding()
	r.Commands = r.Commands[:1] // the custodian M01 is not admitted
	_, err := w.Append(t.Context(), r)
	var fe *ledger.FieldError
	if !errors.As(err, &fe) || fe.Field != "payload.custodian" {
		t.Fatalf("err = %v, want payload.custodian", err)
	}
	if n := len(readAll(t, store)); n != 0 {
		t.Fatalf("a rejected founding appended %d events", n)
	}
	_, err = w.Append(t.Context(), req("x", cmd(1, &ledger.MemberAdmitted{Member: "M01", Name: "x", Kind: "other", Role: "ordinary"})))
	if !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("command before founding: err = %v, want ErrNotFound", err)
	}
	mustAppend(t, w, founding())
}

func TestMultiCommandRequestIsAtomic(t *testing.T) {
	store := memstore.New()
	w := newWriter(t, store)
	mustAppend(t, w, founding())
	before := readAll(t, store)
	_, err := w.Append(t.Context(), req("pair",
		cmd(1, &ledger.MemberAdmitted{Member: "M05", Name: "x", Kind: "other", Role: "ordinary"}),
		cmd(1, &ledger.MemberAdmitted{Member: "M05", Name: "again", Kind: "other", Role: "ordinary"}),
	))
	var fe *ledger.FieldError
	if !errors.As(err, &fe) || fe.Field != "commands[1].payload.member" {
		t.Fatalf("err = %v, want commands[1].payload.member", err)
	}
	if diff := cmp.Diff(before, readAll(t, store)); diff != "" {
		t.Fatalf("half of a rejected request was appended:\n%s", diff)
	}
	// The first command alone is fine: the state was rolled back too.
	mustAppend(t, w, req("single", cmd(1, &ledger.MemberAdmitted{Member: "M05", Name: "x", Kind: "other", Role: "ordinary"})))
}

func TestIdempotency(t *testing.T) {
	store := memstore.New()
	w := newWriter(t, store)
	mustAppend(t, w, founding())
	r := req("contrib-1", cmd(2, &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: cny(100)}))
	first := mustAppend(t, w, r)

	again := mustAppend(t, w, r)
	if again.First != first.First || again.Last != first.Last || !again.Duplicate {
		t.Errorf("retry receipt %+v, want positions %d-%d marked duplicate", again, first.First, first.Last)
	}
	other := req("contrib-1", cmd(2, &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: cny(101)}))
	if _, err := w.Append(t.Context(), other); !errors.Is(err, ledger.ErrConflict) {
		t.Errorf("same key, other body: err = %v, want ErrConflict", err)
	}
	if n := len(readAll(t, store)); n != int(first.Last) {
		t.Errorf("log has %d events, want %d", n, first.Last)
	}

	// Permanent: a new writer that loads the log from the store remembers.
	w2 := newWriter(t, store)
	again2 := mustAppend(t, w2, r)
	if again2.First != first.First || !again2.Duplicate {
		t.Errorf("after reload: receipt %+v, want the original %d", again2, first.First)
	}

	// Concurrent retries of one request append it once.
	r3 := req("contrib-3", cmd(3, &ledger.ContributionRecorded{Member: "M03", Kind: "cash", Value: cny(300)}))
	var wg sync.WaitGroup
	receipts := make([]ledger.Receipt, 16)
	for i := range receipts {
		wg.Go(func() { receipts[i] = mustAppend(t, w, r3) })
	}
	wg.Wait()
	for _, rc := range receipts {
		if rc.First != receipts[0].First {
			t.Fatalf("concurrent retries got different positions: %+v", receipts)
		}
	}
	if n := len(readAll(t, store)); n != int(receipts[0].Last) {
		t.Errorf("log has %d events after concurrent retries, want %d", n, receipts[0].Last)
	}
}

// gatedStore holds the first Append until released, so that requests queue
// up behind it and go into one group commit.
type gatedStore struct {
	ledger.Store
	gate    chan struct{}
	once    sync.Once
	entered chan struct{}
}

func (g *gatedStore) Append(ctx context.Context, c *ledger.Commit) error {
	g.once.Do(func() { close(g.entered); <-g.gate })
	return g.Store.Append(ctx, c)
}

func TestGroupCommitIsolatesRejectedCommand(t *testing.T) {
	mem := memstore.New()
	w0 := newWriter(t, mem)
	mustAppend(t, w0, founding())
	w0.Close()

	g := &gatedStore{Store: mem, gate: make(chan struct{}), entered: make(chan struct{})}
	w := newWriter(t, g)
	errs := make(chan error, 4)
	go func() {
		_, err := w.Append(t.Context(), req("a", cmd(1, &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: cny(1)})))
		errs <- err
	}()
	<-g.entered // commit 1 is being written
	go func() {
		_, err := w.Append(t.Context(), req("a2", cmd(1, &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: cny(1)})))
		errs <- err
	}()
	time.Sleep(200 * time.Millisecond) // commit 2 is decided and waits its turn: the pipeline is full, the next three queue
	reqs := []ledger.Request{
		req("b", cmd(1, &ledger.ContributionRecorded{Member: "M03", Kind: "cash", Value: cny(2)})),
		req("bad", cmd(1, &ledger.ContributionRecorded{Member: "M99", Kind: "cash", Value: cny(3)})),
		req("c", cmd(1, &ledger.ContributionRecorded{Member: "M04", Kind: "cash", Value: cny(4)})),
	}
	results := make([]error, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Go(func() { _, results[i] = w.Append(t.Context(), r) })
		time.Sleep(20 * time.Millisecond) // keep arrival order for the assertion on positions below
	}
	close(g.gate)
	wg.Wait()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if results[0] != nil || results[2] != nil || !errors.Is(results[1], ledger.ErrNotFound) {
		t.Fatalf("results %v, want only the second to fail", results)
	}
	events := readAll(t, mem)
	last2 := events[len(events)-2:]
	if last2[0].CommitID != last2[1].CommitID {
		t.Errorf("the two valid queued requests went into different commits")
	}
}

func TestConcurrentWritersPreserveOrder(t *testing.T) {
	store := memstore.New()
	w := newWriter(t, store)
	mustAppend(t, w, founding())
	const callers, each = 64, 20
	members := []string{"M02", "M03", "M04"}
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				r := ledger.Request{Alliance: testAlliance, Actor: fmt.Sprintf("caller-%d", c), IdempotencyKey: fmt.Sprintf("%d-%d", c, i),
					Commands: []ledger.Command{cmd(1, &ledger.ContributionRecorded{Member: members[c%3], Kind: "cash", Value: cny(1), Description: fmt.Sprintf("%d", i)})}}
				if _, err := w.Append(t.Context(), r); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	events := readAll(t, store)
	if want := 5 + callers*each; len(events) != want {
		t.Fatalf("log has %d events, want %d", len(events), want)
	}
	nextByCaller := map[string]int{}
	seen := map[string]bool{}
	for i, st := range events {
		if st.Seq != uint64(i+1) {
			t.Fatalf("gap: event %d has position %d", i, st.Seq)
		}
		e, err := ledger.DecodeEvent(st.Data)
		if err != nil {
			t.Fatal(err)
		}
		if e.Type != ledger.TypeContributionRecorded {
			continue
		}
		if seen[e.IdempotencyKey] {
			t.Fatalf("duplicate event for %s", e.IdempotencyKey)
		}
		seen[e.IdempotencyKey] = true
		want := fmt.Sprintf("%d", nextByCaller[e.Actor])
		if got := e.Payload.(*ledger.ContributionRecorded).Description; got != want {
			t.Fatalf("%s: event %d is its #%s, want #%s", e.Actor, e.Seq, got, want)
		}
		nextByCaller[e.Actor]++
	}
}

func TestTwoWritersOnOneStoreAreSerializable(t *testing.T) {
	store := memstore.New()
	a, b := newWriter(t, store), newWriter(t, store)
	mustAppend(t, a, founding())
	// b loads the log, then a appends behind its back: b's next commit hits
	// a conflict, catches up and re-validates.
	if _, err := b.Last(t.Context(), testAlliance); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, a, req("a-admits", cmd(1, &ledger.MemberAdmitted{Member: "M05", Name: "x", Kind: "other", Role: "ordinary"})))
	if _, err := b.Append(t.Context(), req("b-admits", cmd(1, &ledger.MemberAdmitted{Member: "M05", Name: "y", Kind: "other", Role: "ordinary"}))); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("b admitting M05 again: err = %v, want ErrConflict after re-validation", err)
	}
	rc := mustAppend(t, b, req("b-contrib", cmd(1, &ledger.ContributionRecorded{Member: "M05", Kind: "cash", Value: cny(5)})))
	if rc.First != 7 {
		t.Fatalf("b appended at %d, want 7", rc.First)
	}

	// Both writing concurrently: every append lands once, gaplessly.
	var wg sync.WaitGroup
	for i, w := range []*ledger.Writer{a, b, a, b} {
		wg.Go(func() {
			for j := range 50 {
				mustAppend(t, w, req(fmt.Sprintf("w%d-%d", i, j), cmd(1, &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: cny(1)})))
			}
		})
	}
	wg.Wait()
	if n := len(readAll(t, store)); n != 7+200 {
		t.Fatalf("log has %d events, want %d", n, 207)
	}
}

func TestCommitCaps(t *testing.T) {
	store := memstore.New()
	w := ledger.NewWriter(store, ledger.WriterOptions{Now: func() time.Time { return testNow }, MaxCommitEvents: 8})
	t.Cleanup(w.Close)
	mustAppend(t, w, founding())
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			mustAppend(t, w, req(fmt.Sprintf("k%d", i), cmd(1, &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: cny(1)})))
		})
	}
	wg.Wait()
	perCommit := map[string]int{}
	for _, st := range readAll(t, store) {
		perCommit[st.CommitID]++
	}
	for id, n := range perCommit {
		if n > 8 {
			t.Errorf("commit %s has %d events, cap is 8", id, n)
		}
	}
	big := make([]ledger.Command, 9)
	for i := range big {
		big[i] = cmd(1, &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: cny(1)})
	}
	if _, err := w.Append(t.Context(), req("big", big...)); !errors.Is(err, ledger.ErrInvalid) {
		t.Errorf("request larger than a commit: err = %v, want ErrInvalid", err)
	}
}

// A retry that arrives while the original request's commit is still being
// written waits for that commit instead of being told, too early, that the
// request is recorded.
func TestRetryDuringCommitWaitsForIt(t *testing.T) {
	mem := memstore.New()
	w0 := newWriter(t, mem)
	mustAppend(t, w0, founding())
	w0.Close()

	g := &gatedStore{Store: mem, gate: make(chan struct{}), entered: make(chan struct{})}
	w := newWriter(t, g)
	r := req("k", cmd(1, &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: cny(1)}))
	first := make(chan ledger.Receipt, 1)
	go func() { first <- mustAppend(t, w, r) }()
	<-g.entered
	retry := make(chan ledger.Receipt, 1)
	go func() { retry <- mustAppend(t, w, r) }()
	select {
	case rc := <-retry:
		t.Fatalf("retry answered %+v before the original commit was durable", rc)
	case <-time.After(200 * time.Millisecond):
	}
	close(g.gate)
	a, b := <-first, <-retry
	if a.First != b.First || a.Last != b.Last || !a.RecordedAt.Equal(b.RecordedAt) || a.Duplicate || !b.Duplicate {
		t.Fatalf("original %+v, retry %+v: want the retry to get the original's receipt, marked duplicate", a, b)
	}
	if n := len(readAll(t, mem)); n != int(a.Last) {
		t.Fatalf("log has %d events, want %d", n, a.Last)
	}
}

func TestCustodianConfirmsForDepartedCounterparty(t *testing.T) {
	w := newWriter(t, memstore.New())
	mustAppend(t, w, founding())
	rc := mustAppend(t, w, req("c", cmd(1, &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: cny(1), Counterparty: "M04"})))
	mustAppend(t, w, req("leave", cmd(2, &ledger.MemberDeparted{Member: "M04", How: "withdrew"})))
	if _, err := w.Append(t.Context(), req("", cmd(3, &ledger.ContributionConfirmed{Contribution: rc.First, By: "M03"}))); !errors.Is(err, ledger.ErrForbidden) {
		t.Fatalf("confirmation by another member: err = %v, want ErrForbidden", err)
	}
	mustAppend(t, w, req("", cmd(3, &ledger.ContributionConfirmed{Contribution: rc.First, By: "M01"})))
}

// Appends racing with Close end with a receipt or ErrClosed, never hang.
func TestAppendDuringClose(t *testing.T) {
	w := ledger.NewWriter(memstore.New(), ledger.WriterOptions{Now: func() time.Time { return testNow }})
	mustAppend(t, w, founding())
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			_, err := w.Append(t.Context(), req(fmt.Sprint(i), cmd(1, &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: cny(1)})))
			if err != nil && !errors.Is(err, ledger.ErrClosed) {
				t.Error(err)
			}
		})
	}
	w.Close()
	wg.Wait()
}

// TestOnCommitSeesEveryEventInOrder: the hook is told of each stored
// commit before its callers hear back, so a caller finds its events there.
func TestOnCommitSeesEveryEventInOrder(t *testing.T) {
	store := memstore.New()
	var mu sync.Mutex
	var seen []uint64
	w := ledger.NewWriter(store, ledger.WriterOptions{Now: func() time.Time { return testNow }, OnCommit: func(c *ledger.Commit) {
		mu.Lock()
		defer mu.Unlock()
		for i := range c.Events {
			seen = append(seen, c.First+uint64(i))
		}
	}})
	t.Cleanup(w.Close)
	for _, r := range history() {
		rc := mustAppend(t, w, r)
		mu.Lock()
		n := uint64(len(seen))
		mu.Unlock()
		if n < rc.Last {
			t.Fatalf("append answered at %d, the hook has seen %d events", rc.Last, n)
		}
	}
	for i, s := range seen {
		if s != uint64(i+1) {
			t.Fatalf("hook saw position %d as the %d-th event", s, i+1)
		}
	}
}

// flakyStore fails its first reads, as a cluster electing a leader does.
type flakyStore struct {
	ledger.Store
	mu    sync.Mutex
	fails int
	reads int
}

func (f *flakyStore) Read(ctx context.Context, id string, from uint64, fn func(ledger.Stored) error) error {
	f.mu.Lock()
	f.reads++
	fail := f.reads <= f.fails
	f.mu.Unlock()
	if fail {
		return errors.New("nats: JetStream system temporarily unavailable")
	}
	return f.Store.Read(ctx, id, from, fn)
}

// A writer whose catch-up read fails for a moment retries it: the requests
// waiting succeed, once.
func TestWriterRetriesFailedCatchUp(t *testing.T) {
	mem := memstore.New()
	w0 := newWriter(t, mem)
	mustAppend(t, w0, founding())
	w0.Close()
	f := &flakyStore{Store: mem, fails: 3}
	w := newWriter(t, f)
	rc := mustAppend(t, w, req("after-flaky", cmd(1, &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: cny(1)})))
	if f.reads != 4 || rc.First != uint64(len(readAll(t, mem))) {
		t.Fatalf("%d reads, receipt %+v, log of %d", f.reads, rc, len(readAll(t, mem)))
	}
}

// AppendInOrder checks every request before queueing any, encodes them
// while the first are appended, and answers in order.
func TestAppendInOrder(t *testing.T) {
	store := memstore.New()
	w := newWriter(t, store)
	ctx := context.Background()
	mustAppend(t, w, founding())
	mustAppend(t, w, req("p", cmd(1, &ledger.ProjectOpened{Project: "P1", Name: "x", Lead: "M02", Start: "2024-03-02", End: "2025-12-31",
		Participants: []ledger.Participant{{Member: "M02", Budget: cny(1)}, {Member: "M03", Budget: cny(1)}}})))
	before := len(readAll(t, store))
	reqs := make([]ledger.Request, 2000)
	for i := range reqs {
		reqs[i] = req(fmt.Sprintf("c%d", i), cmd(2, &ledger.ContributionRecorded{Member: "M02", Project: "P1", Kind: "cash", Value: cny(int64(i + 1))}))
	}
	bad := slices.Clone(reqs)
	bad[1700] = ledger.Request{Alliance: testAlliance, Actor: "", IdempotencyKey: "bad", Commands: reqs[1700].Commands}
	if _, err := w.AppendInOrder(ctx, bad, nil); err == nil || !strings.Contains(err.Error(), "request 1700") {
		t.Fatalf("AppendInOrder with a bad request 1700: %v", err)
	}
	if n := len(readAll(t, store)); n != before {
		t.Fatalf("a refused batch appended %d events", n-before)
	}
	rcs, err := w.AppendInOrder(ctx, reqs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, rc := range rcs {
		if want := uint64(before + 1 + i); rc.First != want || rc.Last != want {
			t.Fatalf("receipt %d at %d-%d, want %d", i, rc.First, rc.Last, want)
		}
	}
	if n := len(readAll(t, store)); n != before+len(reqs) {
		t.Fatalf("%d events appended, want %d", n-before, len(reqs))
	}
}

// With its encoding held to a few commits ahead of what is stored,
// AppendInOrder still takes long batches of small and of large requests
// (more chunks than it encodes ahead) in order, and a batch cancelled
// half-way stops.
func TestAppendInOrderLongBatches(t *testing.T) {
	store := memstore.New()
	w := newWriter(t, store)
	mustAppend(t, w, founding())
	contribution := func(i int) ledger.Command {
		return cmd(2, &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: cny(int64(i + 1))})
	}
	small := make([]ledger.Request, 12000) // 47 chunks of 256
	for i := range small {
		small[i] = req(fmt.Sprintf("s%d", i), contribution(i))
	}
	large := make([]ledger.Request, 300) // 60 chunks of 5 requests of 50 commands
	for i := range large {
		cmds := make([]ledger.Command, 50)
		for j := range cmds {
			cmds[j] = contribution(j)
		}
		large[i] = req(fmt.Sprintf("l%d", i), cmds...)
	}
	next := uint64(len(readAll(t, store))) + 1
	for _, batch := range [][]ledger.Request{small, large} {
		steps := 0
		rcs, err := w.AppendInOrder(t.Context(), batch, func(done int) {
			if done != steps+1 {
				t.Errorf("progress %d after %d", done, steps)
			}
			steps = done
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, rc := range rcs {
			n := uint64(len(batch[i].Commands))
			if rc.First != next || rc.Last != next+n-1 {
				t.Fatalf("request %d of %d at %d-%d, want %d-%d", i, len(batch), rc.First, rc.Last, next, next+n-1)
			}
			next += n
		}
	}
	if got := uint64(len(readAll(t, store))); got != next-1 {
		t.Fatalf("%d events stored, want %d", got, next-1)
	}

	more := make([]ledger.Request, 20000)
	for i := range more {
		more[i] = req(fmt.Sprintf("m%d", i), contribution(i))
	}
	ctx, cancel := context.WithCancel(t.Context())
	rcs, err := w.AppendInOrder(ctx, more, func(done int) {
		if done == 500 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || len(rcs) < 500 || len(rcs) == len(more) {
		t.Fatalf("cancelled after 500: %d receipts, %v", len(rcs), err)
	}
}

// CommitDelay holds a commit only while callers wait together: a lone
// caller's commits hold one request each and are sent at once. With an
// hour's delay this test would not end otherwise.
func TestCommitDelayLeavesALoneCallerAlone(t *testing.T) {
	store := memstore.New()
	w := ledger.NewWriter(store, ledger.WriterOptions{Now: func() time.Time { return testNow }, CommitDelay: time.Hour})
	t.Cleanup(w.Close)
	mustAppend(t, w, founding())
	for i := range 20 {
		rc := mustAppend(t, w, req(fmt.Sprintf("lone-%d", i), cmd(1, &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: cny(1)})))
		if rc.First != rc.Last || rc.Duplicate {
			t.Fatalf("append %d: receipt %+v", i, rc)
		}
	}
	if n := len(readAll(t, store)); n != 5+20 {
		t.Fatalf("log has %d events, want 25", n)
	}
}
