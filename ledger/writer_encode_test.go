package ledger_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/memstore"
)

// The writer assembles events from pieces its callers encoded and the few
// it adds itself; what it stores must be byte for byte what encoding/json
// writes for the decoded event, for every event type, with and without
// idempotency keys and business times, with derived fields filled in, and
// with strings that need escaping.
func TestWriterEncodingIsCanonical(t *testing.T) {
	store := memstore.New()
	w := ledger.NewWriter(store, ledger.WriterOptions{Now: func() time.Time { return time.Date(2024, 9, 1, 8, 30, 0, 123456000, time.UTC) }})
	defer w.Close()
	ctx := context.Background()
	for _, r := range history() {
		if _, err := w.Append(ctx, r); err != nil {
			t.Fatalf("%s: %v", r.IdempotencyKey, err)
		}
	}
	odd := "引号\"反斜杠\\换行\n制表\t控制\x01分隔\u2028段\u2029<html>&"
	extra := []ledger.Request{
		req("p9", cmd(19, &ledger.ProjectOpened{Project: "P9", Name: "回收", Lead: "M02", Start: "2024-09-01", End: "2025-12-31",
			Participants: []ledger.Participant{{Member: "M01", Budget: cny(1)}, {Member: "M02", Budget: cny(1)}, {Member: "M03", Budget: cny(1)}}})),
		{Alliance: testAlliance, Actor: "member:M02", Commands: []ledger.Command{ // no key, no business time
			{Payload: &ledger.ContributionRecorded{Member: "M02", Project: "P9", Kind: "cash", Value: cny(10), Description: odd}}}},
		{Alliance: testAlliance, Actor: "member:" + odd, IdempotencyKey: "k-" + odd, Commands: []ledger.Command{
			cmd(20, &ledger.ContributionRecorded{Member: "M01", Project: "P9", Kind: "personnel", Quantity: ratioPtr("2.25"), Unit: "person-month",
				Evidence: &ledger.Evidence{SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", URI: "https://example.org/a?b=c&d", Title: odd}}),
			cmd(20, &ledger.ContributionRecorded{Member: "M03", Kind: "data", Value: cny(99), Counterparty: "M02", Valuation: "market-price"}), // nothing derived
			cmd(21, &ledger.FundingReceived{Source: "member-dues", Member: "M04", Amount: cny(7), Reference: odd}),
		}},
		{Alliance: testAlliance, Actor: "secretariat", IdempotencyKey: "late", Commands: []ledger.Command{
			ledger.NewCommand(time.Date(2024, 8, 31, 23, 59, 59, 0, time.FixedZone("CST", 8*3600)), &ledger.CostIncurred{Project: "P9", Category: "travel", Amount: cny(3), BorneBy: "M02"})}},
	}
	for _, r := range extra {
		if _, err := w.Append(ctx, r); err != nil {
			t.Fatalf("%s: %v", r.IdempotencyKey, err)
		}
	}
	stored := readAll(t, store)
	if len(stored) < 30 {
		t.Fatalf("only %d events stored", len(stored))
	}
	// Each command became one event, in order, with what it asked for.
	type asked struct {
		r ledger.Request
		c ledger.Command
	}
	var cmds []asked
	for _, r := range append(history(), extra...) {
		for _, c := range r.Commands {
			cmds = append(cmds, asked{r, c})
		}
	}
	if len(stored) != len(cmds) {
		t.Fatalf("%d events stored for %d commands", len(stored), len(cmds))
	}
	types := map[string]bool{}
	for i, st := range stored {
		e, err := ledger.DecodeEvent(st.Data)
		if err != nil {
			t.Fatalf("event %d does not decode: %v", st.Seq, err)
		}
		types[e.Type] = true
		a := cmds[i]
		at := a.c.OccurredAt
		if at.IsZero() {
			at = e.RecordedAt
		}
		if e.Type != a.c.Payload.EventType() || e.Alliance != testAlliance || e.Actor != a.r.Actor ||
			e.IdempotencyKey != a.r.IdempotencyKey || !e.OccurredAt.Equal(at) {
			t.Errorf("event %d is a %s of %s by %q, key %q, at %s; the command asked for a %s by %q, key %q, at %s",
				st.Seq, e.Type, e.Alliance, e.Actor, e.IdempotencyKey, e.OccurredAt, a.c.Payload.EventType(), a.r.Actor, a.r.IdempotencyKey, at)
		}
		if c, ok := e.Payload.(*ledger.ContributionRecorded); ok && (c.Valuation == "" || c.Counterparty == "" || c.Value.Amount <= 0) {
			t.Errorf("contribution %d stored without its derived fields: %+v", st.Seq, c)
		}
		if want := marshalNoEscape(t, e.Payload); !bytes.Equal(e.Raw, want) {
			t.Errorf("event %d (%s) payload stored as\n%s\nencoding/json writes\n%s", st.Seq, e.Type, e.Raw, want)
		}
		if want := marshalNoEscape(t, e); !bytes.Equal(st.Data, want) {
			t.Errorf("event %d (%s) stored as\n%s\nencoding/json writes\n%s", st.Seq, e.Type, st.Data, want)
		}
	}
	if len(types) < 20 {
		t.Errorf("only %d event types covered", len(types))
	}
}

// wireStore checks each commit the writer hands it: its encoding, laid out
// while the writer decided, is what MarshalCommit writes for the commit's
// events from scratch, and is not copied again; a commit whose events were
// changed after is encoded from scratch.
type wireStore struct {
	ledger.Store
	t       *testing.T
	delay   time.Duration
	commits atomic.Int64
}

func (s *wireStore) Append(ctx context.Context, c *ledger.Commit) error {
	got := ledger.MarshalCommit(c)
	want := ledger.MarshalCommit(&ledger.Commit{ID: c.ID, Alliance: c.Alliance, First: c.First, Events: c.Events})
	if !bytes.Equal(got, want) {
		s.t.Errorf("commit %s at %d: the writer's encoding differs from MarshalCommit's:\n%s\n%s", c.ID, c.First, got, want)
	}
	if again := ledger.MarshalCommit(c); &again[0] != &got[0] {
		s.t.Errorf("commit %s at %d: encoded again instead of taken as built", c.ID, c.First)
	}
	if len(c.Events) > 1 {
		changed := *c
		changed.Events = append([][]byte{[]byte(`{"changed":true}`)}, c.Events[1:]...)
		want := ledger.MarshalCommit(&ledger.Commit{ID: c.ID, Alliance: c.Alliance, First: c.First, Events: changed.Events})
		if got := ledger.MarshalCommit(&changed); !bytes.Equal(got, want) {
			s.t.Errorf("commit %s with its first event replaced: encoded as built", c.ID)
		}
	}
	s.commits.Add(1)
	time.Sleep(s.delay) // requests arrive one by one while a commit is written
	return s.Store.Append(ctx, c)
}

// The writer lays out each commit's encoding as it decides: requests
// refused half-way or that do not fit are cut out of it, and a commit
// that takes more than there was room for when it was opened grows.
func TestWriterBuildsCommitEncoding(t *testing.T) {
	mem := memstore.New()
	ws := &wireStore{Store: mem, t: t, delay: 2 * time.Millisecond}
	w := ledger.NewWriter(ws, ledger.WriterOptions{Now: func() time.Time { return testNow }, MaxCommitEvents: 40})
	defer w.Close()
	ctx := context.Background()
	for _, r := range history() {
		if _, err := w.Append(ctx, r); err != nil {
			t.Fatalf("%s: %v", r.IdempotencyKey, err)
		}
	}
	var wg sync.WaitGroup
	var ok, refused atomic.Int64
	for i := range 300 {
		wg.Go(func() {
			cmds := []ledger.Command{}
			for j := range 1 + i%7 {
				cmds = append(cmds, cmd(19, &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: cny(int64(1 + j)), Description: fmt.Sprintf("请求 %d 第 %d 项", i, j)}))
			}
			if i%5 == 0 { // refused at its last command, after the others were laid out
				cmds = append(cmds, cmd(19, &ledger.ContributionRecorded{Member: "M99", Kind: "cash", Value: cny(1)}))
			}
			if _, err := w.Append(ctx, req(fmt.Sprintf("w%d", i), cmds...)); err != nil {
				if !errors.Is(err, ledger.ErrNotFound) {
					t.Errorf("request %d: %v", i, err)
				}
				refused.Add(1)
				return
			}
			ok.Add(1)
		})
		// Most commits are opened with room for the requests waiting, then
		// take more that arrive while the one before is written.
		time.Sleep(100 * time.Microsecond)
	}
	wg.Wait()
	if ok.Load() != 240 || refused.Load() != 60 {
		t.Errorf("%d appended, %d refused; want 240 and 60", ok.Load(), refused.Load())
	}
	if ws.commits.Load() < 20 {
		t.Errorf("only %d commits: the requests did not queue into shared commits", ws.commits.Load())
	}
	// What was stored decodes, in order, position by position.
	for i, st := range readAll(t, mem) {
		if _, err := ledger.DecodeEvent(st.Data); err != nil || st.Seq != uint64(i+1) {
			t.Fatalf("position %d: %v", i+1, err)
		}
	}
}
