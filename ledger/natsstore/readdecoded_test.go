package natsstore_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/ledgertest"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
)

// readOnly hides the store's ledger.CommitReader: ReadDecoded reads it
// through Read.
type readOnly struct{ ledger.Store }

// TestReadDecoded: reading whole commits and decoding them in one pass
// gives the events, verdicts and quarantine reports that Read and
// DecodeChecked give, for any range; an error from fn stops either read.
func TestReadDecoded(t *testing.T) {
	e := startServer(t, t.TempDir())
	var q quarantines
	s, nc := newStore(t, e, natsstore.Options{OnQuarantine: q.add})
	id := ledgertest.NewAllianceID()
	subject := natsstore.Subject(id)
	appendOK(t, s, ledgertest.NewCommit(id, 1, 2))                     // seq 1
	publishRaw(t, nc, subject, []byte("hello from the nats CLI"), nil) // seq 2
	appendOK(t, s, ledgertest.NewCommit(id, 3, 3))                     // seq 3
	publishRaw(t, nc, subject, []byte{0xff, 0x00}, nil)                // seq 4
	appendOK(t, s, ledgertest.NewCommit(id, 6, 1))                     // seq 5

	read := func(st ledger.Store, from, to uint64) (string, []natsstore.Quarantined) {
		t.Helper()
		q.reset()
		var out string
		err := ledger.ReadDecoded(t.Context(), st, id, from, to, 2, func(batch []ledger.Decoded) error {
			for _, d := range batch {
				out += fmt.Sprintf("%d %s %q %v %v\n", d.Seq, d.CommitID, d.Data, d.Event != nil, d.Err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		q.mu.Lock()
		defer q.mu.Unlock()
		return out, q.got
	}
	for _, r := range [][2]uint64{{1, 0}, {2, 0}, {4, 0}, {6, 0}, {7, 0}, {1, 2}, {1, 3}, {2, 5}, {4, 4}} {
		from, to := r[0], r[1]
		want, wantQ := read(readOnly{s}, from, to)
		got, gotQ := read(s, from, to)
		if got != want {
			t.Errorf("from %d to %d: commits gave\n%s\nRead gave\n%s", from, to, got, want)
		}
		if from == 1 && to == 0 && len(wantQ) != 2 {
			t.Errorf("Read reported %v, want the messages at 2 and 4", wantQ)
		}
		if fmt.Sprint(gotQ) != fmt.Sprint(wantQ) {
			t.Errorf("from %d to %d: commits reported %v, Read %v", from, to, gotQ, wantQ)
		}
		last := min(to, 6)
		if to == 0 {
			last = 6
		}
		if n := uint64(strings.Count(got, "\n")); from <= last && n != last-from+1 {
			t.Errorf("from %d to %d: %d events:\n%s", from, to, n, got)
		}
	}
	boom := errors.New("boom")
	for _, st := range []ledger.Store{s, readOnly{s}} {
		calls := 0
		err := ledger.ReadDecoded(t.Context(), st, id, 1, 0, 2, func([]ledger.Decoded) error { calls++; return boom })
		if !errors.Is(err, boom) || calls != 1 {
			t.Errorf("%T: fn failing: %v after %d calls, want boom after 1", st, err, calls)
		}
	}
}
