package ledgertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/alliance-ledger/alliance/ledger"
)

// Run checks that the stores newStore makes keep the ledger.Store contract.
// newStore is called once per subtest and must return a new, empty store;
// the subtests run in parallel.
func Run(t *testing.T, newStore func(t *testing.T) ledger.Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s ledger.Store)
	}{
		{"AppendRead", testAppendRead},
		{"Last", testLast},
		{"UnknownAlliance", testUnknownAlliance},
		{"Conflict", testConflict},
		{"Invalid", testInvalid},
		{"Race", testRace},
		{"Isolation", testIsolation},
		{"Follow", testFollow},
		{"FollowFromEnd", testFollowFromEnd},
		{"FnError", testFnError},
		{"ReadSnapshot", testReadSnapshot},
		{"Immutable", testImmutable},
		{"ManyCommits", testManyCommits},
		{"LargeCommit", testLargeCommit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.test(t, newStore(t))
		})
	}
}

// waitLimit bounds every wait for a store, so that a broken store fails
// the test instead of hanging it.
const waitLimit = 10 * time.Second

func testAppendRead(t *testing.T, s ledger.Store) {
	id := NewAllianceID()
	// Positions: 1 | 2-5 | 6-7 | 8-16 | 17-19.
	commits := chain(id, 1, 1, 4, 2, 9, 3)
	appendAll(t, s, commits...)
	all := Stored(commits...)

	tests := []struct {
		name string
		from uint64
		want []ledger.Stored
	}{
		{"from the start", 1, all},
		{"from the second event of a commit", 2, all[1:]},
		{"from the start of a commit", 6, all[5:]},
		{"from the middle of a commit", 10, all[9:]},
		{"from the last event", 19, all[18:]},
		{"from just past the end", 20, nil},
		{"from far past the end", 1000, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			diff(t, "Read", tc.want, readAll(t, s, id, tc.from))
		})
	}
}

func testLast(t *testing.T, s ledger.Store) {
	id := NewAllianceID()
	if got := last(t, s, id); got != 0 {
		t.Errorf("Last of an unknown alliance = %d, want 0", got)
	}
	appendAll(t, s, chain(id, 1, 3, 5)...)
	if got := last(t, s, id); got != 8 {
		t.Errorf("Last after appending 8 events = %d, want 8", got)
	}
	appendAll(t, s, NewCommit(id, 9, 1))
	if got := last(t, s, id); got != 9 {
		t.Errorf("Last after appending a 9th event = %d, want 9", got)
	}
	if got := last(t, s, NewAllianceID()); got != 0 {
		t.Errorf("Last of another, unknown alliance = %d, want 0", got)
	}
}

func testUnknownAlliance(t *testing.T, s ledger.Store) {
	appendAll(t, s, NewCommit(NewAllianceID(), 1, 2)) // the store is not empty
	id := NewAllianceID()
	fn := func(e ledger.Stored) error { return fmt.Errorf("event %d of an unknown alliance", e.Seq) }

	err := s.Read(t.Context(), id, 1, fn)
	if !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("Read of an unknown alliance: got %v, want ErrNotFound", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	err = s.Follow(ctx, id, 1, fn)
	if !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("Follow of an unknown alliance: got %v, want ErrNotFound", err)
	}
}

func testConflict(t *testing.T, s ledger.Store) {
	t.Run("new alliance", func(t *testing.T) {
		id := NewAllianceID()
		for _, first := range []uint64{2, 5} {
			checkConflict(t, s, NewCommit(id, first, 2), 1)
		}
		if got := last(t, s, id); got != 0 {
			t.Errorf("Last after refused appends = %d, want 0", got)
		}
		if err := s.Read(t.Context(), id, 1, func(ledger.Stored) error { return nil }); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("Read after refused appends: got %v, want ErrNotFound (no log created)", err)
		}
		if ids := alliances(t, s); slices.Contains(ids, id) {
			t.Errorf("Alliances lists %s after refused appends: %v", id, ids)
		}
	})
	t.Run("existing log", func(t *testing.T) {
		id := NewAllianceID()
		commits := chain(id, 1, 2, 3) // next position: 6
		appendAll(t, s, commits...)
		tests := []struct {
			name string
			c    *ledger.Commit
		}{
			{"first position", NewCommit(id, 1, 1)},
			{"inside the first commit", NewCommit(id, 2, 3)},
			{"the last position", NewCommit(id, 5, 1)},
			{"one past the next", NewCommit(id, 7, 2)},
			{"far ahead", NewCommit(id, 100, 1)},
			{"the last commit again", commits[1]},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) { checkConflict(t, s, tc.c, 6) })
		}
		diff(t, "Read after refused appends", Stored(commits...), readAll(t, s, id, 1))
		if got := last(t, s, id); got != 5 {
			t.Errorf("Last after refused appends = %d, want 5", got)
		}
	})
}

// checkConflict appends c and checks that it is refused with a conflict
// saying the log's next position is next.
func checkConflict(t *testing.T, s ledger.Store, c *ledger.Commit, next uint64) {
	t.Helper()
	err := s.Append(t.Context(), c)
	var ce *ledger.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("Append at %d: got %v, want a *ledger.ConflictError", c.First, err)
	}
	want := ledger.ConflictError{Alliance: c.Alliance, Want: c.First, Next: next}
	if d := cmp.Diff(want, *ce); d != "" {
		t.Errorf("Append at %d: ConflictError mismatch (-want +got):\n%s", c.First, d)
	}
	if !errors.Is(err, ledger.ErrConflict) {
		t.Errorf("Append at %d: errors.Is(%v, ErrConflict) = false", c.First, err)
	}
}

func testInvalid(t *testing.T, s ledger.Store) {
	id := NewAllianceID()
	other := NewAllianceID()
	appendAll(t, s, NewCommit(other, 1, 2))
	withEvent := func(first uint64, e string) *ledger.Commit {
		c := NewCommit(id, first, 2)
		c.Events[1] = []byte(e)
		return c
	}
	tests := []struct {
		name string
		c    *ledger.Commit
	}{
		{"no events", &ledger.Commit{ID: "c1", Alliance: id, First: 1}},
		{"empty events", &ledger.Commit{ID: "c1", Alliance: id, First: 1, Events: [][]byte{}}},
		{"bad alliance id", NewCommit("Not An Id", 1, 1)},
		{"empty alliance id", NewCommit("", 1, 1)},
		{"position 0", NewCommit(id, 0, 1)},
		{"no commit id", func() *ledger.Commit { c := NewCommit(id, 1, 1); c.ID = ""; return c }()},
		{"commit id with a space", func() *ledger.Commit { c := NewCommit(id, 1, 1); c.ID = "a b"; return c }()},
		{"event at the wrong position", withEvent(1, string(Event(id, 5, "")))},
		{"event of another alliance", withEvent(1, string(Event(other, 2, "")))},
		{"event that is not JSON", withEvent(1, "not json")},
		{"event with surrounding space", withEvent(1, " "+string(Event(id, 2, ""))+" ")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Append(t.Context(), tc.c)
			if !errors.Is(err, ledger.ErrInvalid) {
				t.Errorf("Append: got %v, want ErrInvalid", err)
			}
			if ledger.IsConflict(err) {
				t.Errorf("Append: %v is a conflict, want only ErrInvalid", err)
			}
		})
	}
	if got := last(t, s, id); got != 0 {
		t.Errorf("Last after invalid appends = %d, want 0", got)
	}
	if ids := alliances(t, s); slices.Contains(ids, id) {
		t.Errorf("Alliances lists %s after invalid appends: %v", id, ids)
	}

	// An invalid commit at the right position of an existing log is refused too.
	valid := NewCommit(id, 1, 2)
	appendAll(t, s, valid)
	if err := s.Append(t.Context(), withEvent(3, "{}")); !errors.Is(err, ledger.ErrInvalid) {
		t.Errorf("Append of an invalid commit at the next position: got %v, want ErrInvalid", err)
	}
	diff(t, "Read after an invalid append", Stored(valid), readAll(t, s, id, 1))
}

func testRace(t *testing.T, s ledger.Store) {
	const writers = 8
	id := NewAllianceID()
	var log []*ledger.Commit
	next := uint64(1)
	// The first round races to create the log, the second to extend it.
	for round := range 2 {
		commits := make([]*ledger.Commit, writers)
		for i := range commits {
			commits[i] = NewCommit(id, next, 1+i%3)
		}
		errs := make([]error, writers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, c := range commits {
			wg.Go(func() {
				<-start
				errs[i] = s.Append(t.Context(), c)
			})
		}
		close(start)
		wg.Wait()

		var winner *ledger.Commit
		for i, err := range errs {
			if err == nil {
				if winner != nil {
					t.Fatalf("round %d: two appends at position %d succeeded", round, next)
				}
				winner = commits[i]
			}
		}
		if winner == nil {
			t.Fatalf("round %d: no append at position %d succeeded: %v", round, next, errs)
		}
		for i, err := range errs {
			if commits[i] == winner {
				continue
			}
			var ce *ledger.ConflictError
			if !errors.As(err, &ce) {
				t.Errorf("round %d: losing append: got %v, want a *ledger.ConflictError", round, err)
			} else if ce.Next != winner.Last()+1 {
				t.Errorf("round %d: losing append: Next = %d, want %d", round, ce.Next, winner.Last()+1)
			}
		}
		log = append(log, winner)
		next = winner.Last() + 1
	}
	diff(t, "Read after races", Stored(log...), readAll(t, s, id, 1))
}

func testIsolation(t *testing.T, s ledger.Store) {
	ids := []string{NewAllianceID(), NewAllianceID(), NewAllianceID()}
	logs := make(map[string][]*ledger.Commit)
	// Interleave the appends so that a store mixing the logs up would show.
	for round := range 3 {
		for i, id := range ids {
			next := uint64(1)
			if l := logs[id]; len(l) > 0 {
				next = l[len(l)-1].Last() + 1
			}
			c := NewCommit(id, next, 1+round+i)
			appendAll(t, s, c)
			logs[id] = append(logs[id], c)
		}
	}
	for _, id := range ids {
		diff(t, "Read of "+id, Stored(logs[id]...), readAll(t, s, id, 1))
		if got, want := last(t, s, id), logs[id][len(logs[id])-1].Last(); got != want {
			t.Errorf("Last(%s) = %d, want %d", id, got, want)
		}
	}

	got := alliances(t, s)
	if !slices.IsSorted(got) {
		t.Errorf("Alliances not sorted: %v", got)
	}
	var ours []string
	for _, id := range got {
		if slices.Contains(ids, id) {
			ours = append(ours, id)
		}
	}
	want := slices.Sorted(slices.Values(ids))
	if d := cmp.Diff(want, ours); d != "" {
		t.Errorf("Alliances mismatch (-want +got):\n%s", d)
	}
}

func testFollow(t *testing.T, s ledger.Store) {
	id := NewAllianceID()
	before := chain(id, 1, 2, 3) // 1-5
	appendAll(t, s, before...)
	after := chain(id, 6, 1, 4, 2) // 6-12

	tests := []struct {
		name string
		from uint64
	}{
		{"from the start", 1},
		{"from the middle of a commit", 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := follow(t, s, id, tc.from)
			f.expect(t, Stored(before...)[tc.from-1:])
			f.stop(t)
		})
	}

	t.Run("then new events", func(t *testing.T) {
		f := follow(t, s, id, 3)
		f.expect(t, Stored(before...)[2:])
		appended := make(chan error, 1)
		go func() { // another writer
			for _, c := range after {
				if err := s.Append(context.Background(), c); err != nil {
					appended <- err
					return
				}
			}
			appended <- nil
		}()
		f.expect(t, Stored(after...))
		if err := <-appended; err != nil {
			t.Fatalf("Append: %v", err)
		}
		f.stop(t)
	})
}

func testFollowFromEnd(t *testing.T, s ledger.Store) {
	id := NewAllianceID()
	appendAll(t, s, chain(id, 1, 2)...)
	f := follow(t, s, id, 3)
	select {
	case e := <-f.events:
		t.Fatalf("Follow from the end delivered position %d before any append", e.Seq)
	case <-time.After(100 * time.Millisecond):
	}
	c := NewCommit(id, 3, 2)
	appendAll(t, s, c)
	f.expect(t, Stored(c))
	f.stop(t)
}

func testFnError(t *testing.T, s ledger.Store) {
	id := NewAllianceID()
	appendAll(t, s, chain(id, 1, 2, 3)...)
	errStop := errors.New("stop here")
	for _, follow := range []bool{false, true} {
		t.Run(fmt.Sprintf("follow=%v", follow), func(t *testing.T) {
			var seen []uint64
			fn := func(e ledger.Stored) error {
				seen = append(seen, e.Seq)
				if e.Seq == 3 {
					return errStop
				}
				return nil
			}
			ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
			defer cancel()
			read := s.Read
			if follow {
				read = s.Follow
			}
			if err := read(ctx, id, 2, fn); !errors.Is(err, errStop) {
				t.Errorf("got %v, want the error fn returned", err)
			}
			if d := cmp.Diff([]uint64{2, 3}, seen); d != "" {
				t.Errorf("positions seen (-want +got):\n%s", d)
			}
		})
	}
}

// testReadSnapshot checks that Read stops at the events stored when it
// started, even if more are appended while it runs.
func testReadSnapshot(t *testing.T, s ledger.Store) {
	id := NewAllianceID()
	first := chain(id, 1, 2, 2)
	appendAll(t, s, first...)
	more := NewCommit(id, 5, 3)
	var got []ledger.Stored
	err := s.Read(t.Context(), id, 1, func(e ledger.Stored) error {
		if e.Seq == 1 {
			if err := s.Append(t.Context(), more); err != nil {
				return fmt.Errorf("append during Read: %w", err)
			}
		}
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	diff(t, "Read with an append during it", Stored(first...), got)
	diff(t, "Read after it", Stored(append(first, more)...), readAll(t, s, id, 1))
}

func testImmutable(t *testing.T, s ledger.Store) {
	id := NewAllianceID()
	c := NewCommit(id, 1, 3)
	want := Stored(cloneCommit(c))
	appendAll(t, s, c)

	for _, e := range c.Events {
		copy(e, bytes.Repeat([]byte("X"), len(e)))
	}
	got := readAll(t, s, id, 1)
	diff(t, "Read after the appended slices changed", want, got)

	for _, e := range got {
		copy(e.Data, bytes.Repeat([]byte("Y"), len(e.Data)))
	}
	diff(t, "Read after the read slices changed", want, readAll(t, s, id, 1))
}

func testManyCommits(t *testing.T, s ledger.Store) {
	const n = 2000
	id := NewAllianceID()
	commits := make([]*ledger.Commit, n)
	next := uint64(1)
	for i := range commits {
		commits[i] = NewCommit(id, next, 1+(i*7)%50) // 1..50 events
		next = commits[i].Last() + 1
	}
	appendAll(t, s, commits...)
	all := Stored(commits...)
	total := uint64(len(all))

	if got := last(t, s, id); got != total {
		t.Errorf("Last = %d, want %d", got, total)
	}
	for _, from := range []uint64{1, total - total/4, total - 10, total} {
		got := readAll(t, s, id, from)
		if len(got) != len(all[from-1:]) {
			t.Errorf("Read from %d: %d events, want %d", from, len(got), len(all[from-1:]))
			continue
		}
		diff(t, fmt.Sprintf("Read from %d", from), all[from-1:], got)
	}
}

func testLargeCommit(t *testing.T, s ledger.Store) {
	id := NewAllianceID()
	text := strings.Repeat("large commit ", 80) // ~1 KB per event
	big := newCommit(id, 2, 700, func(uint64) string { return text })
	if size := len(ledger.MarshalCommit(big)); size < 700_000 || size > 900_000 {
		t.Fatalf("test commit is %d bytes, want about 700 KB", size)
	}
	commits := []*ledger.Commit{NewCommit(id, 1, 1), big, NewCommit(id, big.Last()+1, 2)}
	appendAll(t, s, commits...)
	diff(t, "Read", Stored(commits...), readAll(t, s, id, 1))
	diff(t, "Read from inside the large commit", Stored(commits...)[400:], readAll(t, s, id, 401))
}

// chain returns commits of the given sizes, each starting where the one
// before ends, the first at position first.
func chain(id string, first uint64, sizes ...int) []*ledger.Commit {
	commits := make([]*ledger.Commit, len(sizes))
	for i, n := range sizes {
		commits[i] = NewCommit(id, first, n)
		first += uint64(n)
	}
	return commits
}

func cloneCommit(c *ledger.Commit) *ledger.Commit {
	d := *c
	d.Events = make([][]byte, len(c.Events))
	for i, e := range c.Events {
		d.Events[i] = slices.Clone(e)
	}
	return &d
}

func appendAll(t *testing.T, s ledger.Store, commits ...*ledger.Commit) {
	t.Helper()
	for _, c := range commits {
		if err := s.Append(t.Context(), c); err != nil {
			t.Fatalf("Append(%s at %d, %d events): %v", c.Alliance, c.First, len(c.Events), err)
		}
	}
}

func readAll(t *testing.T, s ledger.Store, id string, from uint64) []ledger.Stored {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	var got []ledger.Stored
	err := s.Read(ctx, id, from, func(e ledger.Stored) error {
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatalf("Read(%s from %d): %v", id, from, err)
	}
	return got
}

func last(t *testing.T, s ledger.Store, id string) uint64 {
	t.Helper()
	n, err := s.Last(t.Context(), id)
	if err != nil {
		t.Fatalf("Last(%s): %v", id, err)
	}
	return n
}

func alliances(t *testing.T, s ledger.Store) []string {
	t.Helper()
	ids, err := s.Alliances(t.Context())
	if err != nil {
		t.Fatalf("Alliances: %v", err)
	}
	return ids
}

// diff reports the differences between two runs of events.
func diff(t *testing.T, what string, want, got []ledger.Stored) {
	t.Helper()
	// cmp's reflection takes seconds on a log of 50,000 events: compare
	// plainly first and ask cmp only to explain a difference.
	if slices.EqualFunc(want, got, func(a, b ledger.Stored) bool {
		return a.Seq == b.Seq && a.CommitID == b.CommitID && bytes.Equal(a.Data, b.Data)
	}) {
		return
	}
	// Show event bytes as text.
	asText := cmp.Transformer("string", func(b []byte) string { return string(b) })
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty(), asText); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// follower is a Follow running in the background.
type follower struct {
	events chan ledger.Stored
	done   chan error
	cancel context.CancelFunc
}

func follow(t *testing.T, s ledger.Store, id string, from uint64) *follower {
	ctx, cancel := context.WithCancel(t.Context())
	f := &follower{events: make(chan ledger.Stored, 1000), done: make(chan error, 1), cancel: cancel}
	go func() {
		f.done <- s.Follow(ctx, id, from, func(e ledger.Stored) error {
			select {
			case f.events <- e:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	t.Cleanup(cancel)
	return f
}

// expect waits for the follower to deliver exactly want, in order.
func (f *follower) expect(t *testing.T, want []ledger.Stored) {
	t.Helper()
	var got []ledger.Stored
	timeout := time.After(waitLimit)
	for len(got) < len(want) {
		select {
		case e := <-f.events:
			got = append(got, e)
		case err := <-f.done:
			t.Fatalf("Follow returned %v after %d of %d events", err, len(got), len(want))
		case <-timeout:
			t.Fatalf("Follow delivered %d of %d events in %v", len(got), len(want), waitLimit)
		}
	}
	diff(t, "Follow", want, got)
}

// stop cancels the follower and checks that Follow returns ctx's error
// without delivering anything more.
func (f *follower) stop(t *testing.T) {
	t.Helper()
	f.cancel()
	select {
	case err := <-f.done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Follow returned %v after cancel, want context.Canceled", err)
		}
	case <-time.After(waitLimit):
		t.Fatalf("Follow did not return within %v of cancel", waitLimit)
	}
	if n := len(f.events); n > 0 {
		t.Errorf("Follow delivered %d unexpected events", n)
	}
}
