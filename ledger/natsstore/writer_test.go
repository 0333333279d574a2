package natsstore_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
	"github.com/alliance-ledger/alliance/ledger/sample"
)

// The writer over the real store: the sample alliance's three years of
// requests append in order, survive a server restart, and appending them
// again after it (same keys) adds nothing.
func TestWriterOnJetStream(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2023, 9, 4, 9, 0, 0, 0, time.UTC)
	reqs := sample.Requests("sample", start, start.AddDate(3, 0, 0))

	e, err := natsstore.StartEmbedded(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := newStoreNoCleanup(t, e)
	w := ledger.NewWriter(s, ledger.WriterOptions{})
	receipts, err := w.AppendInOrder(t.Context(), reqs, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	before := readAll(t, s, "sample", 1)
	if want := receipts[len(receipts)-1].Last; uint64(len(before)) != want {
		t.Fatalf("log has %d events, the last receipt says %d", len(before), want)
	}
	e.Shutdown()

	e = startServer(t, dir)
	s, _ = newStore(t, e, natsstore.Options{})
	w = ledger.NewWriter(s, ledger.WriterOptions{})
	defer w.Close()
	again, err := w.AppendInOrder(t.Context(), reqs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, rc := range again {
		if !rc.Duplicate || rc.First != receipts[i].First || rc.Last != receipts[i].Last {
			t.Fatalf("request %d after restart: %+v, want the original positions %d-%d as a duplicate", i, rc, receipts[i].First, receipts[i].Last)
		}
	}
	if d := cmp.Diff(before, readAll(t, s, "sample", 1)); d != "" {
		t.Fatalf("log changed by appending the same requests again:\n%s", d)
	}
	for _, st := range before {
		if _, err := ledger.DecodeEvent(st.Data); err != nil {
			t.Fatalf("position %d: %v", st.Seq, err)
		}
	}
}

// 64 callers appending concurrently through one writer to JetStream: no
// event lost or duplicated, each caller's events in its order.
func TestConcurrentWritersOnJetStream(t *testing.T) {
	e := startServer(t, t.TempDir())
	s, _ := newStore(t, e, natsstore.Options{})
	w := ledger.NewWriter(s, ledger.WriterOptions{})
	defer w.Close()
	setup := crashSetup()
	setup.Alliance = "conc"
	if _, err := w.Append(t.Context(), setup); err != nil {
		t.Fatal(err)
	}
	const callers, each = 64, 25
	at := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				_, err := w.Append(t.Context(), ledger.Request{Alliance: "conc", Actor: fmt.Sprintf("c%d", c), IdempotencyKey: fmt.Sprintf("c%d-%d", c, i),
					Commands: []ledger.Command{ledger.NewCommand(at, &ledger.ContributionRecorded{Member: "M02", Kind: "cash",
						Value: ledger.Money{Amount: 1, Currency: "CNY"}, Description: fmt.Sprint(i)})}})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	events := readAll(t, s, "conc", 1)
	if want := 3 + callers*each; len(events) != want {
		t.Fatalf("log has %d events, want %d", len(events), want)
	}
	next := map[string]int{}
	for i, st := range events {
		if st.Seq != uint64(i+1) {
			t.Fatalf("gap at %d", i+1)
		}
		e, err := ledger.DecodeEvent(st.Data)
		if err != nil {
			t.Fatal(err)
		}
		if e.Type != ledger.TypeContributionRecorded {
			continue
		}
		if got, want := e.Payload.(*ledger.ContributionRecorded).Description, fmt.Sprint(next[e.Actor]); got != want {
			t.Fatalf("%s: event %d is its #%s, want #%s", e.Actor, st.Seq, got, want)
		}
		next[e.Actor]++
	}
}

// newStoreNoCleanup is newStore for a server the test shuts down itself
// (which closes the connection).
func newStoreNoCleanup(t *testing.T, e *natsstore.Embedded) *natsstore.Store {
	t.Helper()
	nc, err := e.Connect()
	if err != nil {
		t.Fatal(err)
	}
	s, err := natsstore.New(nc, natsstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
