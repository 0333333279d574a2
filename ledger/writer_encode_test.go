package ledger_test

import (
	"bytes"
	"context"
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
