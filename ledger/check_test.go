package ledger_test

import (
	"context"
	"testing"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/memstore"
	"github.com/alliance-ledger/alliance/ledger/sample"
)

// TestCheckRevalidatesTheLog: every event the writer appended holds again
// when the log is re-validated event by event, and an event that would
// not have been accepted is refused without changing the state.
func TestCheckRevalidatesTheLog(t *testing.T) {
	store := memstore.New()
	w := ledger.NewWriter(store, ledger.WriterOptions{})
	defer w.Close()
	start := time.Date(2022, 3, 1, 9, 0, 0, 0, time.UTC)
	if _, err := w.AppendInOrder(context.Background(), sample.Requests("s", start, start.AddDate(4, 0, 0)), nil); err != nil {
		t.Fatal(err)
	}
	s := ledger.NewState("s")
	var events []*ledger.Event
	err := store.Read(context.Background(), "s", 1, func(st ledger.Stored) error {
		e, err := ledger.DecodeEvent(st.Data)
		if err != nil {
			return err
		}
		events = append(events, e)
		return s.Check(e)
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Last() != uint64(len(events)) || len(events) < 500 {
		t.Fatalf("checked %d of %d events", s.Last(), len(events))
	}

	// The same log with one contribution moved to a member who never was.
	s = ledger.NewState("s")
	for _, e := range events {
		if c, ok := e.Payload.(*ledger.ContributionRecorded); ok && e.Seq > 100 {
			bad := *c
			bad.Member = "M99"
			forged := *e
			forged.Payload = &bad
			if err := s.Check(&forged); err == nil {
				t.Fatalf("a contribution by an unknown member at %d was accepted", e.Seq)
			}
			if s.Last() != e.Seq-1 {
				t.Fatalf("a refused event moved the state to %d", s.Last())
			}
			return
		}
		if err := s.Check(e); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("no contribution after position 100")
}
