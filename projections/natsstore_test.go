package projections_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
	"github.com/alliance-ledger/alliance/ledger/sample"
	"github.com/alliance-ledger/alliance/projections"
)

// jetStream starts an embedded JetStream on a temp directory and returns a
// store on it with its quarantine hook, and a raw client connection.
func jetStream(t *testing.T, onQuarantine func(natsstore.Quarantined)) (*natsstore.Store, *nats.Conn, *natsstore.Embedded) {
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
	s, err := natsstore.New(nc, natsstore.Options{OnQuarantine: onQuarantine, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s, nc, e
}

// appendSynthetic appends n requests of a synthetic alliance (sample's
// generator with the given seed) through w, in order, and returns the
// generator: its Last is where the log ends.
func appendSynthetic(t *testing.T, w *ledger.Writer, id string, seed uint64, n int) *sample.Synthetic {
	t.Helper()
	g := sample.NewSynthetic(id, seed, synStart)
	reqs := make([]ledger.Request, 0, n)
	for range n {
		reqs = append(reqs, g.Next())
	}
	if _, err := w.AppendInOrder(t.Context(), reqs, nil); err != nil {
		t.Fatal(err)
	}
	return g
}

// forged is a commit a writer never made, published with the nats client at
// the log's next position: its events have valid envelopes but payloads
// that do not decode or validate.
func forged(t *testing.T, alliance string, first uint64, events ...[3]string) *ledger.Commit {
	t.Helper()
	c := &ledger.Commit{ID: uuid.NewString(), Alliance: alliance, First: first}
	for i, p := range events {
		typ, v, payload := p[0], p[1], p[2]
		ev := fmt.Sprintf(`{"id":"%s","seq":%d,"type":"%s","v":%s,"alliance":"%s","aggregate":"x","actor":"nats-cli","occurred_at":"2024-05-01T00:00:00Z","recorded_at":"2024-05-01T00:00:00Z","payload":%s}`,
			uuid.NewString(), first+uint64(i), typ, v, alliance, payload)
		c.Events = append(c.Events, []byte(ev))
	}
	return c
}

// TestQuarantineRawPublishes: garbage and wrong-schema events published
// straight to the stream with a raw NATS client are skipped and reported
// by the projections, which keep folding what follows; the writer steps
// over them too.
func TestQuarantineRawPublishes(t *testing.T) {
	ctx := context.Background()
	var runner *projections.Runner
	store, nc, _ := jetStream(t, func(q natsstore.Quarantined) {
		if runner != nil {
			runner.NoteMessage(q.StreamSeq, q.Reason)
		}
	})
	const id = "quarantine"
	w := ledger.NewWriter(store, ledger.WriterOptions{Logger: slog.New(slog.DiscardHandler)})
	defer w.Close()
	start := time.Date(2023, 9, 4, 9, 0, 0, 0, time.UTC)
	reqs := sample.Requests(id, start, start.AddDate(3, 0, 0))
	if _, err := w.AppendInOrder(ctx, reqs, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := store.Last(ctx, id)

	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	subject := natsstore.Subject(id)
	// Garbage: not a commit at all.
	garbage, err := js.Publish(ctx, subject, []byte("hello from the nats CLI"))
	if err != nil {
		t.Fatal(err)
	}
	// A commit at the right place whose events have the wrong schema: a
	// payload field of the wrong type, and an unknown schema version.
	c := forged(t, id, before+1,
		[3]string{"contribution.recorded", "2", `{"member":42,"kind":"cash"}`},
		[3]string{"contribution.recorded", "9", `{"member":"M01"}`},
		[3]string{"member.admitted", "1", `{"member":"X9","name":"","kind":"enterprise","role":"ordinary"}`})
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: subject, Data: ledger.MarshalCommit(c),
		Header: nats.Header{jetstream.MsgIDHeader: {c.ID}}}); err != nil {
		t.Fatal(err)
	}
	// The writer carries on after them.
	at := time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)
	more := []ledger.Request{
		{Alliance: id, Actor: "secretariat", IdempotencyKey: "after-1", Commands: []ledger.Command{ledger.NewCommand(at,
			&ledger.FundingReceived{Source: "service-revenue", Payer: "检测服务客户", Amount: ledger.Money{Amount: 12_345_600, Currency: "CNY"}})}},
		{Alliance: id, Actor: "secretariat", IdempotencyKey: "after-2", Commands: []ledger.Command{ledger.NewCommand(at,
			&ledger.MemberAdmitted{Member: "X10", Name: "新成员单位", Kind: "enterprise", Role: "ordinary"})}},
	}
	rec, err := w.AppendInOrder(ctx, more, nil)
	if err != nil {
		t.Fatalf("append after the raw publishes: %v", err)
	}
	if first := rec[0].First; first != before+4 {
		t.Fatalf("the writer appended at %d, want %d (after the 3 forged positions)", first, before+4)
	}
	last := rec[len(rec)-1].Last

	runner = projections.NewRunner(store, id, projections.RunnerOptions{Logger: slog.New(slog.DiscardHandler)})
	if err := runner.CatchUp(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if runner.Last() != last {
		t.Fatalf("projections reached %d, the log ends at %d", runner.Last(), last)
	}
	q := runner.Quarantined()
	if len(q.Messages) != 1 || q.Messages[0].StreamSeq != garbage.Sequence {
		t.Errorf("quarantined messages %+v, want stream seq %d", q.Messages, garbage.Sequence)
	}
	if len(q.Events) != 3 {
		t.Fatalf("quarantined events %+v, want 3", q.Events)
	}
	for i, want := range []string{"cannot unmarshal number", "unknown schema version 9", "name"} {
		if q.Events[i].Seq != before+1+uint64(i) || !strings.Contains(q.Events[i].Reason, want) {
			t.Errorf("quarantined event %d = %+v, want position %d, reason mentioning %q", i, q.Events[i], before+1+uint64(i), want)
		}
	}
	// What was skipped is not in the views; everything else is.
	var got, want string
	runner.View(func(m *projections.Model) error { got = views(t, m, projections.Query{}); return nil })
	var evs []*ledger.Event
	store.Read(ctx, id, 1, func(s ledger.Stored) error {
		if s.Seq > before && s.Seq <= before+3 {
			return nil
		}
		e, err := ledger.DecodeEvent(s.Data)
		if err != nil {
			return err
		}
		evs = append(evs, e)
		return nil
	})
	clean := projections.NewModel(id)
	for _, e := range evs {
		if e.Seq == before+4 {
			for s := before + 1; s <= before+3; s++ {
				clean.Skip(s, "", "")
			}
		}
		if err := clean.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	want = views(t, clean, projections.Query{})
	if got != want {
		t.Errorf("views with the raw publishes differ from views of the log without them")
	}
}

// TestSnapshotsInJetStream: the runner saves snapshots in the JetStream
// object store; a new runner on a new connection resumes from the latest
// instead of folding from zero, and ends in the same model as a rebuild.
func TestSnapshotsInJetStream(t *testing.T) {
	ctx := context.Background()
	store, _, e := jetStream(t, nil)
	const id = "snapshots"
	// The runner folds whole commits: small ones, so that it passes
	// several snapshot points on the way.
	w := ledger.NewWriter(store, ledger.WriterOptions{MaxCommitEvents: 200})
	defer w.Close()
	g := appendSynthetic(t, w, id, 5, 3000)
	r := projections.NewRunner(store, id, projections.RunnerOptions{Snapshots: store.Snapshots(), SnapshotEvery: 1000})
	if err := r.CatchUp(ctx, 0); err != nil {
		t.Fatal(err)
	}
	var want []byte
	r.View(func(m *projections.Model) (err error) { want, err = m.Encode(""); return })

	nc2, err := e.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc2.Close()
	store2, err := natsstore.New(nc2, natsstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	folded := 0
	r2 := projections.NewRunner(store2, id, projections.RunnerOptions{Snapshots: store2.Snapshots(),
		Progress: func(uint64) { folded++ }})
	at, err := r2.Restore(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A snapshot is saved after the batch of commits (a few hundred
	// events) that takes the model 1000 past the last one.
	if at < g.Last()-2000 || at > g.Last() {
		t.Fatalf("restored the snapshot at %d; the log ends at %d, snapshots every 1000", at, g.Last())
	}
	if err := r2.CatchUp(ctx, 0); err != nil {
		t.Fatal(err)
	}
	var got []byte
	r2.View(func(m *projections.Model) (err error) { got, err = m.Encode(""); return })
	if !bytes.Equal(got, want) {
		t.Fatal("the runner resumed from a snapshot differs from the one that folded everything")
	}
	// An older snapshot still answers as of an earlier position: the
	// nearest snapshot at or before it, plus replay.
	r3 := projections.NewRunner(store2, id, projections.RunnerOptions{Snapshots: store2.Snapshots()})
	if at3, err := r3.Restore(ctx, at-1); err != nil || at3 == 0 || at3 >= at {
		t.Fatalf("restore at most %d: got %d, %v", at-1, at3, err)
	}
}

// A reader waiting for a position that a restored snapshot holds is let
// go when the snapshot is restored, not when the next event is folded:
// after a restart the log may stay as it is for hours.
func TestWaitForSeesRestore(t *testing.T) {
	ctx := context.Background()
	store, _, _ := jetStream(t, nil)
	const id = "restorewait"
	w := ledger.NewWriter(store, ledger.WriterOptions{})
	defer w.Close()
	g := appendSynthetic(t, w, id, 3, 300)
	r := projections.NewRunner(store, id, projections.RunnerOptions{})
	if err := r.CatchUp(ctx, 0); err != nil {
		t.Fatal(err)
	}
	err := r.View(func(m *projections.Model) error {
		data, err := m.Encode("")
		if err != nil {
			return err
		}
		return store.Snapshots().SaveSnapshot(ctx, id, m.Last(), data)
	})
	if err != nil {
		t.Fatal(err)
	}
	r2 := projections.NewRunner(store, id, projections.RunnerOptions{Snapshots: store.Snapshots()})
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	waited := make(chan error, 1)
	go func() { waited <- r2.WaitFor(wctx, g.Last()) }()
	time.Sleep(100 * time.Millisecond) // the reader waits (if it started later, it finds the position at once)
	if at, err := r2.Restore(ctx, 0); err != nil || at != g.Last() {
		t.Fatalf("restored at %d (%v), want %d", at, err, g.Last())
	}
	if err := <-waited; err != nil {
		t.Fatalf("a reader waiting for %d, which the snapshot holds: %v", g.Last(), err)
	}
}

// TestFollowReadYourWrites: a runner following the log lets a reader wait
// for the position its append returned, and the view then includes it; a
// wait for a position never written ends with the caller's context.
func TestFollowReadYourWrites(t *testing.T) {
	ctx := t.Context()
	store, _, _ := jetStream(t, nil)
	const id = "follow"
	clock := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	w := ledger.NewWriter(store, ledger.WriterOptions{Now: now})
	defer w.Close()
	g := appendSynthetic(t, w, id, 3, 200)
	r := projections.NewRunner(store, id, projections.RunnerOptions{})
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Follow(fctx) }()

	for i := range 20 {
		mu.Lock()
		clock = clock.Add(time.Hour)
		mu.Unlock()
		rec, err := w.Append(ctx, g.Next())
		if err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
		err = r.WaitFor(wctx, rec.Last)
		wcancel()
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		r.View(func(m *projections.Model) error {
			if m.Last() < rec.Last {
				t.Fatalf("waited for %d, the model is at %d", rec.Last, m.Last())
			}
			// As of the recorded time of this append, the view ends at it.
			if got := m.SeqAtTime(rec.RecordedAt); got < rec.Last {
				t.Fatalf("as of the append's recorded time %s: position %d, want >= %d", rec.RecordedAt, got, rec.Last)
			}
			if got := m.SeqAtTime(rec.RecordedAt.Add(-time.Minute)); got >= rec.First {
				t.Fatalf("as of a minute before the append: position %d, want < %d", got, rec.First)
			}
			return nil
		})
	}
	wctx, wcancel := context.WithTimeout(ctx, 100*time.Millisecond)
	if err := r.WaitFor(wctx, r.Last()+1000); err == nil {
		t.Fatal("waiting for a position never written returned without error")
	}
	wcancel()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Follow ended with %v, want context.Canceled", err)
	}
}

// plainStore hides the store's ledger.CommitReader: a runner over it
// catches up through Read, event by event.
type plainStore struct{ ledger.Store }

// TestCatchUpInCommitsAsRead: a runner that reads whole commits and
// decodes them in one pass folds the same events, quarantines the same
// events and reports the same stream messages, with the same reasons, as
// one that reads the store's events, whatever positions it stops at: on a
// log with garbage, a commit under another id, a commit replayed at the
// wrong position and a forged commit whose events do not validate.
func TestCatchUpInCommitsAsRead(t *testing.T) {
	ctx := t.Context()
	var (
		mu      sync.Mutex
		reports []string
	)
	store, nc, _ := jetStream(t, func(q natsstore.Quarantined) {
		mu.Lock()
		reports = append(reports, fmt.Sprintf("%d: %s", q.StreamSeq, q.Reason))
		mu.Unlock()
	})
	taken := func() []string {
		mu.Lock()
		defer mu.Unlock()
		r := reports
		reports = nil
		return r
	}
	const id = "commits"
	w := ledger.NewWriter(store, ledger.WriterOptions{Logger: slog.New(slog.DiscardHandler), MaxCommitEvents: 50})
	defer w.Close()
	appendSynthetic(t, w, id, 7, 1500)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	subject := natsstore.Subject(id)
	publish := func(c *ledger.Commit, msgID string) {
		t.Helper()
		if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: subject, Data: ledger.MarshalCommit(c),
			Header: nats.Header{jetstream.MsgIDHeader: {msgID}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := js.Publish(ctx, subject, []byte(`{"commit":"x","alliance":"commits","first":1,"events":[{]}`)); err != nil {
		t.Fatal(err)
	}
	var old *ledger.Commit // the log's second commit, replayed below
	seen := 0
	store.Read(ctx, id, 1, func(s ledger.Stored) error {
		if old == nil || s.CommitID == old.ID {
			if old == nil && seen > 0 {
				old = &ledger.Commit{ID: s.CommitID, Alliance: id, First: s.Seq}
			}
			if old != nil {
				old.Events = append(old.Events, s.Data)
			}
			seen++
			return nil
		}
		return errors.New("enough")
	})
	// (Under a new id: JetStream drops a message whose id it has seen.)
	old.ID = uuid.NewString()
	publish(old, old.ID)
	last, _ := store.Last(ctx, id)
	next := forged(t, id, last+1, [3]string{"member.admitted", "1", `{"member":"X8","name":"","kind":"enterprise","role":"ordinary"}`})
	publish(next, "another-id")
	bad := forged(t, id, last+1,
		[3]string{"contribution.recorded", "2", `{"member":42,"kind":"cash"}`},
		[3]string{"contribution.recorded", "9", `{"member":"M01"}`})
	publish(bad, bad.ID)
	taken()
	var more []ledger.Request
	for i := range 200 {
		at := synStart.AddDate(3, 0, i)
		more = append(more, ledger.Request{Alliance: id, Actor: "secretariat", IdempotencyKey: fmt.Sprintf("after-%d", i),
			Commands: []ledger.Command{ledger.NewCommand(at, &ledger.FundingReceived{Source: "service-revenue", Payer: "检测服务客户",
				Amount: ledger.Money{Amount: int64(1000 + i), Currency: "CNY"}})}})
	}
	if _, err := w.AppendInOrder(ctx, more, nil); err != nil {
		t.Fatal(err)
	}
	end, _ := store.Last(ctx, id)
	taken()

	for seed := uint64(1); seed <= 3; seed++ {
		rng := rand.New(rand.NewPCG(seed, 0))
		plain := projections.NewRunner(plainStore{store}, id, projections.RunnerOptions{Logger: slog.New(slog.DiscardHandler)})
		commits := projections.NewRunner(store, id, projections.RunnerOptions{Logger: slog.New(slog.DiscardHandler)})
		reported := 0
		for plain.Last() < end {
			until := plain.Last() + 1 + rng.Uint64N(300)
			if rng.IntN(4) == 0 {
				until = 0
			}
			if err := plain.CatchUp(ctx, until); err != nil {
				t.Fatal(err)
			}
			wantReports := taken()
			if err := commits.CatchUp(ctx, until); err != nil {
				t.Fatal(err)
			}
			gotReports := taken()
			reported += len(wantReports)
			if plain.Last() != commits.Last() {
				t.Fatalf("seed %d, until %d: read reached %d, commits %d", seed, until, plain.Last(), commits.Last())
			}
			if !slices.Equal(gotReports, wantReports) {
				t.Fatalf("seed %d, until %d: stream messages reported\n%q\nwant\n%q", seed, until, gotReports, wantReports)
			}
			var want, got []byte
			plain.View(func(m *projections.Model) error { want, err = m.Encode(""); return err })
			commits.View(func(m *projections.Model) error { got, err = m.Encode(""); return err })
			if !bytes.Equal(got, want) {
				t.Fatalf("seed %d, until %d: the models differ", seed, until)
			}
		}
		if reported < 3 {
			t.Fatalf("seed %d: %d stream messages reported, want the 3 published at least", seed, reported)
		}
		if q, want := commits.Quarantined(), plain.Quarantined(); fmt.Sprint(q.Events) != fmt.Sprint(want.Events) || len(want.Events) != 2 {
			t.Fatalf("seed %d: quarantined events %+v, want %+v (two)", seed, q.Events, want.Events)
		}
	}
	if end < 1500 {
		t.Fatalf("the log has %d events: too short to test batches", end)
	}
}
