package natsstore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/ledgertest"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
)

func TestConformance(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) ledger.Store {
		s, _ := newStore(t, startServer(t, t.TempDir()), natsstore.Options{})
		return s
	})
}

// TestQuarantineGarbage: messages published by hand that are not commits
// are reported and skipped, and appends carry on after them.
func TestQuarantineGarbage(t *testing.T) {
	e := startServer(t, t.TempDir())
	var q quarantines
	s, nc := newStore(t, e, natsstore.Options{OnQuarantine: q.add})
	id := ledgertest.NewAllianceID()
	subject := natsstore.Subject(id)

	c1 := ledgertest.NewCommit(id, 1, 2) // stream seq 1
	appendOK(t, s, c1)
	publishRaw(t, nc, subject, []byte("hello from the nats CLI"), nil) // seq 2
	// A core publish, without even waiting for the stream's ack.
	if err := nc.Publish(subject, []byte(`{"not":"a commit"}`)); err != nil { // seq 3
		t.Fatal(err)
	}
	waitLastSeq(t, nc, id, 3)
	c2 := ledgertest.NewCommit(id, 3, 3) // seq 4: the store's tail must walk over 2 and 3
	appendOK(t, s, c2)
	publishRaw(t, nc, subject, []byte{0xff, 0x00}, nil) // seq 5

	// A second store starts with no cached tail: it finds it behind seq 5.
	s2, _ := newStore(t, e, natsstore.Options{})
	if got := last(t, s2, id); got != 5 {
		t.Errorf("Last from a new store = %d, want 5", got)
	}
	c3 := ledgertest.NewCommit(id, 6, 1) // seq 6
	appendOK(t, s2, c3)

	want := ledgertest.Stored(c1, c2, c3)
	diff(t, "Read", want, readAll(t, s, id, 1))
	checkQuarantined(t, &q, id, 2, 3, 5)

	diff(t, "Read from inside c2", want[3:], readAll(t, s, id, 4))

	// Follow skips garbage already stored and garbage arriving later.
	q.reset()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	events := make(chan ledger.Stored, 100)
	done := make(chan error, 1)
	go func() {
		done <- s.Follow(ctx, id, 1, func(e ledger.Stored) error { events <- e; return nil })
	}()
	publishRaw(t, nc, subject, []byte("more garbage"), nil) // seq 7
	c4 := ledgertest.NewCommit(id, 7, 2)                    // seq 8
	appendOK(t, s2, c4)
	diff(t, "Follow", ledgertest.Stored(c1, c2, c3, c4), receive(t, events, 8))
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Follow returned %v, want context.Canceled", err)
	}
	checkQuarantined(t, &q, id, 2, 3, 5, 7)
}

// TestQuarantineForgedCommit: well-formed commits published by hand are
// quarantined when they lack the msg id header or do not fit their place.
func TestQuarantineForgedCommit(t *testing.T) {
	e := startServer(t, t.TempDir())
	var q quarantines
	s, nc := newStore(t, e, natsstore.Options{OnQuarantine: q.add})
	id := ledgertest.NewAllianceID()
	subject := natsstore.Subject(id)

	c1 := ledgertest.NewCommit(id, 1, 2) // seq 1: positions 1-2
	c2 := ledgertest.NewCommit(id, 3, 2) // seq 2: positions 3-4
	appendOK(t, s, c1)
	appendOK(t, s, c2)
	// seq 3: a commit from the future, without the header.
	publishRaw(t, nc, subject, ledger.MarshalCommit(ledgertest.NewCommit(id, 10, 1)), nil)
	// seq 4: a commit with its header, at a position already taken.
	old := ledgertest.NewCommit(id, 2, 1)
	publishRaw(t, nc, subject, ledger.MarshalCommit(old), nats.Header{jetstream.MsgIDHeader: {old.ID}})
	// seq 5: a commit at the right position, but without the header.
	publishRaw(t, nc, subject, ledger.MarshalCommit(ledgertest.NewCommit(id, 5, 1)), nil)

	c3 := ledgertest.NewCommit(id, 5, 3) // seq 6: positions 5-7
	appendOK(t, s, c3)
	s2, _ := newStore(t, e, natsstore.Options{})
	if got := last(t, s2, id); got != 7 {
		t.Errorf("Last from a new store = %d, want 7", got)
	}
	checkConflict(t, s2, ledgertest.NewCommit(id, 5, 1), 8)

	want := ledgertest.Stored(c1, c2, c3)
	diff(t, "Read", want, readAll(t, s, id, 1))
	checkQuarantined(t, &q, id, 3, 4, 5)
	// The forged commit at seq 4 breaks the order of First the seek relies
	// on: reading from c3 must still find it.
	diff(t, "Read from c3", want[4:], readAll(t, s, id, 5))
	diff(t, "Read from inside c3", want[5:], readAll(t, s, id, 6))
}

// TestStreamConfig: nothing can be removed from an alliance's stream.
func TestStreamConfig(t *testing.T) {
	e := startServer(t, t.TempDir())
	s, nc := newStore(t, e, natsstore.Options{})
	id := ledgertest.NewAllianceID()
	appendOK(t, s, ledgertest.NewCommit(id, 1, 2))

	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(t.Context(), natsstore.StreamName(id))
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	type limits struct {
		Subjects                         []string
		Storage                          jetstream.StorageType
		Replicas                         int
		DenyDelete, DenyPurge            bool
		AllowDirect                      bool
		Discard                          jetstream.DiscardPolicy
		MaxMsgs, MaxBytes, MaxPerSubject int64
		MaxAge                           time.Duration
	}
	cfg := info.Config
	got := limits{cfg.Subjects, cfg.Storage, cfg.Replicas, cfg.DenyDelete, cfg.DenyPurge, cfg.AllowDirect,
		cfg.Discard, cfg.MaxMsgs, cfg.MaxBytes, cfg.MaxMsgsPerSubject, cfg.MaxAge}
	want := limits{[]string{natsstore.Subject(id)}, jetstream.FileStorage, 1, true, true, true,
		jetstream.DiscardOld, -1, -1, -1, 0}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("stream config (-want +got):\n%s", d)
	}

	if err := st.DeleteMsg(t.Context(), 1); err == nil {
		t.Error("DeleteMsg succeeded")
	}
	if err := st.Purge(t.Context()); err == nil {
		t.Error("Purge succeeded")
	}
	if _, err := st.GetMsg(t.Context(), 1); err != nil {
		t.Errorf("message 1 after delete and purge attempts: %v", err)
	}
}

// TestTwoStores: two Store instances on one stream (two processes, in
// production) append serializably: the stream, not the cache, decides.
func TestTwoStores(t *testing.T) {
	e := startServer(t, t.TempDir())
	s1, _ := newStore(t, e, natsstore.Options{})
	s2, _ := newStore(t, e, natsstore.Options{})
	id := ledgertest.NewAllianceID()

	c1 := ledgertest.NewCommit(id, 1, 2)
	appendOK(t, s1, c1)
	if got := last(t, s2, id); got != 2 {
		t.Errorf("s2: Last = %d, want 2", got)
	}
	c2 := ledgertest.NewCommit(id, 3, 3)
	appendOK(t, s2, c2)
	// s1's cached tail still says 3.
	checkConflict(t, s1, ledgertest.NewCommit(id, 3, 1), 6)
	if got := last(t, s1, id); got != 5 {
		t.Errorf("s1: Last = %d, want 5", got)
	}
	diff(t, "s1: Read", ledgertest.Stored(c1, c2), readAll(t, s1, id, 1))

	// A store whose cached tail is behind must look at the stream before
	// refusing a commit at the real next position.
	c3 := ledgertest.NewCommit(id, 6, 1)
	appendOK(t, s2, c3)
	c4 := ledgertest.NewCommit(id, 7, 2)
	appendOK(t, s1, c4)
	diff(t, "s2: Read", ledgertest.Stored(c1, c2, c3, c4), readAll(t, s2, id, 1))

	// Race the two stores, over a new alliance (both create its stream)
	// and then along its log.
	id = ledgertest.NewAllianceID()
	var log []*ledger.Commit
	next := uint64(1)
	for round := range 20 {
		a, b := ledgertest.NewCommit(id, next, 1+round%3), ledgertest.NewCommit(id, next, 2)
		var errA, errB error
		var wg sync.WaitGroup
		wg.Go(func() { errA = s1.Append(t.Context(), a) })
		wg.Go(func() { errB = s2.Append(t.Context(), b) })
		wg.Wait()
		winner, loserErr := a, errB
		if errA != nil {
			winner, loserErr = b, errA
			if errB != nil {
				t.Fatalf("round %d: both appends failed: %v; %v", round, errA, errB)
			}
		}
		var ce *ledger.ConflictError
		if !errors.As(loserErr, &ce) || ce.Next != winner.Last()+1 {
			t.Fatalf("round %d: losing append: got %v, want a conflict with next %d", round, loserErr, winner.Last()+1)
		}
		log = append(log, winner)
		next = winner.Last() + 1
	}
	diff(t, "s1: Read after races", ledgertest.Stored(log...), readAll(t, s1, id, 1))
	diff(t, "s2: Read after races", ledgertest.Stored(log...), readAll(t, s2, id, 1))
}

// TestSettle: an append whose earlier attempt landed unseen is stored
// once, and a msg id already used by another message is refused.
func TestSettle(t *testing.T) {
	e := startServer(t, t.TempDir())
	s, nc := newStore(t, e, natsstore.Options{})
	id := ledgertest.NewAllianceID()
	appendOK(t, s, ledgertest.NewCommit(id, 1, 2)) // seq 1

	// What s would publish for c2, as if an attempt had landed but its ack
	// was lost: the retry finds it at seq 2 instead of storing it twice.
	c2 := ledgertest.NewCommit(id, 3, 2)
	publishRaw(t, nc, natsstore.Subject(id), ledger.MarshalCommit(c2), nats.Header{
		jetstream.MsgIDHeader:           {c2.ID},
		jetstream.ExpectedLastSeqHeader: {"1"},
	})
	appendOK(t, s, c2)
	if got := lastSeq(t, nc, id); got != 2 {
		t.Errorf("stream last sequence = %d, want 2 (c2 stored once)", got)
	}

	// Garbage carrying the id of the next commit.
	c3 := ledgertest.NewCommit(id, 5, 1)
	publishRaw(t, nc, natsstore.Subject(id), []byte("garbage"), nats.Header{jetstream.MsgIDHeader: {c3.ID}}) // seq 3
	if got := last(t, s, id); got != 4 {
		t.Fatalf("Last = %d, want 4", got)
	}
	err := s.Append(t.Context(), c3)
	if !errors.Is(err, ledger.ErrConflict) || ledger.IsConflict(err) {
		t.Errorf("Append with a msg id used by garbage: got %v, want ErrConflict but no *ConflictError", err)
	}
	diff(t, "Read of c2", ledgertest.Stored(c2), readAll(t, s, id, 3))
}

// TestRestart: the log survives the server, on disk.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	e, err := natsstore.StartEmbedded(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := e.Connect()
	if err != nil {
		t.Fatal(err)
	}
	s, err := natsstore.New(nc, natsstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id := ledgertest.NewAllianceID()
	commits := []*ledger.Commit{ledgertest.NewCommit(id, 1, 3), ledgertest.NewCommit(id, 4, 5)}
	for _, c := range commits {
		appendOK(t, s, c)
	}
	nc.Close()
	e.Shutdown()

	e2 := startServer(t, dir)
	s2, _ := newStore(t, e2, natsstore.Options{})
	diff(t, "Read after restart", ledgertest.Stored(commits...), readAll(t, s2, id, 1))
	c3 := ledgertest.NewCommit(id, 9, 2)
	appendOK(t, s2, c3)
	diff(t, "Read after an append", ledgertest.Stored(append(commits, c3)...), readAll(t, s2, id, 1))
	ids, err := s2.Alliances(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{id}, ids); d != "" {
		t.Errorf("Alliances (-want +got):\n%s", d)
	}
}

// TestListen: a listening embedded server takes TCP clients.
func TestListen(t *testing.T) {
	quiet := startServer(t, t.TempDir())
	if url := quiet.ClientURL(); url != "" {
		t.Errorf("ClientURL without a listener = %q, want empty", url)
	}

	e, err := natsstore.StartEmbedded(t.TempDir(), "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Shutdown)
	url := e.ClientURL()
	if !strings.HasPrefix(url, "nats://127.0.0.1:") || strings.HasSuffix(url, ":0") {
		t.Fatalf("ClientURL = %q, want nats://127.0.0.1:<port>", url)
	}
	plain, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("nats.Connect(%s): %v", url, err)
	}
	defer plain.Close()
	nc, err := natsstore.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	s, err := natsstore.New(nc, natsstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id := ledgertest.NewAllianceID()
	c := ledgertest.NewCommit(id, 1, 2)
	appendOK(t, s, c)
	s2, err := natsstore.New(plain, natsstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "Read over another TCP connection", ledgertest.Stored(c), readAll(t, s2, id, 1))
}

// TestMaxPayload: a commit too large for one message is refused up front.
func TestMaxPayload(t *testing.T) {
	e := startServer(t, t.TempDir())
	tests := []struct {
		name   string
		limit  int // Options.MaxPayload
		events int // of about 1 KB
	}{
		{"limit set in options", 64 << 10, 100},
		{"limit from the server", 0, 1100}, // the server's default is 1 MB
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newStore(t, e, natsstore.Options{MaxPayload: tc.limit})
			id := ledgertest.NewAllianceID()
			c := ledgertest.NewCommit(id, 1, tc.events)
			for i := range c.Events {
				c.Events[i] = ledgertest.Event(id, uint64(i+1), strings.Repeat("z", 1000))
			}
			size := len(ledger.MarshalCommit(c))
			err := s.Append(t.Context(), c)
			if !errors.Is(err, ledger.ErrInvalid) {
				t.Fatalf("Append of %d bytes: got %v, want ErrInvalid", size, err)
			}
			if !strings.Contains(err.Error(), fmt.Sprint(size)) {
				t.Errorf("error %q does not name the commit's size %d", err, size)
			}
			if got := last(t, s, id); got != 0 {
				t.Errorf("Last = %d, want 0", got)
			}
			// Smaller commits still go through.
			appendOK(t, s, ledgertest.NewCommit(id, 1, 3))
		})
	}
}

func startServer(t *testing.T, dir string) *natsstore.Embedded {
	t.Helper()
	e, err := natsstore.StartEmbedded(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Shutdown)
	return e
}

// newStore returns a store on a new connection to e, and the connection.
func newStore(t *testing.T, e *natsstore.Embedded, opts natsstore.Options) (*natsstore.Store, *nats.Conn) {
	t.Helper()
	nc, err := e.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	}
	s, err := natsstore.New(nc, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, nc
}

// publishRaw publishes a message straight to the stream, as the nats CLI
// would, and returns its stream sequence.
func publishRaw(t *testing.T, nc *nats.Conn, subject string, data []byte, hdr nats.Header) uint64 {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := js.PublishMsg(t.Context(), &nats.Msg{Subject: subject, Data: data, Header: hdr})
	if err != nil {
		t.Fatalf("publish to %s: %v", subject, err)
	}
	return ack.Sequence
}

func lastSeq(t *testing.T, nc *nats.Conn, id string) uint64 {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(t.Context(), natsstore.StreamName(id))
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.LastSeq
}

func waitLastSeq(t *testing.T, nc *nats.Conn, id string, seq uint64) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); lastSeq(t, nc, id) < seq; {
		if time.Now().After(deadline) {
			t.Fatalf("stream of %s did not reach sequence %d", id, seq)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func appendOK(t *testing.T, s ledger.Store, c *ledger.Commit) {
	t.Helper()
	if err := s.Append(t.Context(), c); err != nil {
		t.Fatalf("Append at %d: %v", c.First, err)
	}
}

func checkConflict(t *testing.T, s ledger.Store, c *ledger.Commit, next uint64) {
	t.Helper()
	var ce *ledger.ConflictError
	if err := s.Append(t.Context(), c); !errors.As(err, &ce) || ce.Next != next {
		t.Errorf("Append at %d: got %v, want a conflict with next position %d", c.First, err, next)
	}
}

func last(t *testing.T, s ledger.Store, id string) uint64 {
	t.Helper()
	n, err := s.Last(t.Context(), id)
	if err != nil {
		t.Fatalf("Last: %v", err)
	}
	return n
}

func readAll(t *testing.T, s ledger.Store, id string, from uint64) []ledger.Stored {
	t.Helper()
	var got []ledger.Stored
	if err := s.Read(t.Context(), id, from, func(e ledger.Stored) error {
		got = append(got, e)
		return nil
	}); err != nil {
		t.Fatalf("Read from %d: %v", from, err)
	}
	return got
}

func receive(t *testing.T, events <-chan ledger.Stored, n int) []ledger.Stored {
	t.Helper()
	var got []ledger.Stored
	timeout := time.After(10 * time.Second)
	for len(got) < n {
		select {
		case e := <-events:
			got = append(got, e)
		case <-timeout:
			t.Fatalf("received %d of %d events", len(got), n)
		}
	}
	return got
}

func diff(t *testing.T, what string, want, got []ledger.Stored) {
	t.Helper()
	asText := cmp.Transformer("string", func(b []byte) string { return string(b) })
	if d := cmp.Diff(want, got, asText); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// quarantines records OnQuarantine reports.
type quarantines struct {
	mu  sync.Mutex
	got []natsstore.Quarantined
}

func (q *quarantines) add(x natsstore.Quarantined) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.got = append(q.got, x)
}

func (q *quarantines) reset() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.got = nil
}

// checkQuarantined checks that exactly the messages at seqs of alliance id
// were reported, each with a reason.
func checkQuarantined(t *testing.T, q *quarantines, id string, seqs ...uint64) {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	var got []uint64
	for _, x := range q.got {
		if x.Alliance != id || x.Reason == "" {
			t.Errorf("quarantine report %+v: want alliance %s and a reason", x, id)
		}
		got = append(got, x.StreamSeq)
	}
	slices.Sort(got)
	got = slices.Compact(got)
	if d := cmp.Diff(seqs, got); d != "" {
		t.Errorf("quarantined stream sequences (-want +got):\n%s", d)
	}
}

// BenchmarkRead reads a log of 100,000 events in 2,000 commits.
func BenchmarkRead(b *testing.B) {
	e, err := natsstore.StartEmbedded(b.TempDir(), "", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Shutdown()
	nc, err := e.Connect()
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	s, err := natsstore.New(nc, natsstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	id := ledgertest.NewAllianceID()
	for i := range 2000 {
		if err := s.Append(b.Context(), ledgertest.NewCommit(id, uint64(i*50+1), 50)); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		n := 0
		if err := s.Read(b.Context(), id, 1, func(ledger.Stored) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != 100_000 {
			b.Fatalf("read %d events, want 100000", n)
		}
	}
}

// Two servers on one directory would corrupt each other's streams.
func TestDirectoryLocked(t *testing.T) {
	dir := t.TempDir()
	startServer(t, dir)
	if e, err := natsstore.StartEmbedded(dir, "", nil); err == nil {
		e.Shutdown()
		t.Fatal("a second embedded server started on a directory in use")
	} else if !strings.Contains(err.Error(), "is in use by process") {
		t.Errorf("err = %v, want it to name the process holding the directory", err)
	}
}

// A read from past the end of the log (a catch-up with nothing new) is
// answered from the store's own tail without searching the stream; once
// another store appended, or a message was published by hand, the stream
// is read as always and the new events are found.
func TestReadPastTheEnd(t *testing.T) {
	e := startServer(t, t.TempDir())
	var mu sync.Mutex
	var quarantined []uint64
	s1, nc := newStore(t, e, natsstore.Options{OnQuarantine: func(q natsstore.Quarantined) {
		mu.Lock()
		quarantined = append(quarantined, q.StreamSeq)
		mu.Unlock()
	}})
	reported := func() []uint64 {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(quarantined)
	}
	s2, _ := newStore(t, e, natsstore.Options{})
	id := ledgertest.NewAllianceID()
	c1, c2 := ledgertest.NewCommit(id, 1, 3), ledgertest.NewCommit(id, 4, 2)
	appendOK(t, s1, c1)
	appendOK(t, s1, c2)
	for _, from := range []uint64{6, 7, 100} {
		if got := readAll(t, s1, id, from); len(got) != 0 {
			t.Errorf("read from %d of a log of 5: %d events", from, len(got))
		}
	}
	diff(t, "read from 5", ledgertest.Stored(c2)[1:], readAll(t, s1, id, 5))

	c3 := ledgertest.NewCommit(id, 6, 2)
	appendOK(t, s2, c3)
	diff(t, "s1 reads what s2 appended", ledgertest.Stored(c3), readAll(t, s1, id, 6))

	// A message published by hand after the last commit: the stream's
	// last message is no longer the tail's, and the read still ends well
	// and reports it, also once the store's tail has stepped over it.
	stray := publishRaw(t, nc, natsstore.Subject(id), []byte("not a commit"), nil)
	if got := readAll(t, s1, id, 8); len(got) != 0 {
		t.Errorf("read from 8 after a stray message: %d events", len(got))
	}
	diff(t, "s1 reads from 7 after a stray message", ledgertest.Stored(c3)[1:], readAll(t, s1, id, 7))
	if last(t, s1, id) != 7 { // refreshes the tail, past the stray message
		t.Fatal("Last after a stray message")
	}
	before := len(reported())
	if got := readAll(t, s1, id, 8); len(got) != 0 {
		t.Errorf("read from 8 after a refresh: %d events", len(got))
	}
	if r := reported(); len(r) != before+1 || r[len(r)-1] != stray {
		t.Errorf("a read past the end after a refresh reported %v, want the stray message %d once more", r[before:], stray)
	}
}
