package verify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/audit"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
	"github.com/alliance-ledger/alliance/ledger/sample"
	"github.com/alliance-ledger/alliance/projections/verify"
)

const alliance = "battery"

var start = time.Date(2022, 3, 1, 9, 0, 0, 0, time.UTC)

// ledgerOn is an embedded JetStream on a temp directory with a store.
func ledgerOn(t *testing.T) *natsstore.Store {
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
	s, err := natsstore.New(nc, natsstore.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// storeSource reads the log and the audit records from a store.
type storeSource struct {
	s        *natsstore.Store
	alliance string
}

func (s storeSource) Events(ctx context.Context, fn func(uint64, []byte) error) error {
	return s.s.Read(ctx, s.alliance, 1, func(st ledger.Stored) error { return fn(st.Seq, st.Data) })
}
func (s storeSource) Checkpoints(ctx context.Context) ([]audit.CheckpointRecord, error) {
	return audit.ReadCheckpoints(ctx, s.s.Audit(), s.alliance)
}
func (s storeSource) Cosignatures(ctx context.Context) ([]audit.CosignatureRecord, error) {
	return audit.ReadCosignatures(ctx, s.s.Audit(), s.alliance)
}

// memSource is a log in memory, for altering it.
type memSource struct {
	events [][]byte
	cps    []audit.CheckpointRecord
	cos    []audit.CosignatureRecord
}

func (m *memSource) Events(ctx context.Context, fn func(uint64, []byte) error) error {
	for i, e := range m.events {
		if err := fn(uint64(i+1), e); err != nil {
			return err
		}
	}
	return nil
}
func (m *memSource) Checkpoints(context.Context) ([]audit.CheckpointRecord, error) { return m.cps, nil }
func (m *memSource) Cosignatures(context.Context) ([]audit.CosignatureRecord, error) {
	return m.cos, nil
}

// fixture is the sample alliance in JetStream with checkpoints signed
// along the way (every 200 events) and at the end, and M02's co-signature.
type fixture struct {
	store  *natsstore.Store
	vkey   string
	keyDir string
	cp     *audit.Checkpointer
	events [][]byte
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{store: ledgerOn(t), keyDir: t.TempDir()}
	signer, vkey, _, err := audit.LoadOrCreateKey(filepath.Join(f.keyDir, "ledger.key"), "alliance-ledger")
	if err != nil {
		t.Fatal(err)
	}
	f.vkey = vkey
	ctx := context.Background()
	f.cp = &audit.Checkpointer{Alliance: alliance, Signer: signer, Records: f.store.Audit(), Every: 200,
		Read: func(ctx context.Context, from uint64, fn func(uint64, []byte) error) error {
			return f.store.Read(ctx, alliance, from, func(st ledger.Stored) error { return fn(st.Seq, st.Data) })
		}}
	w := ledger.NewWriter(f.store, ledger.WriterOptions{})
	defer w.Close()
	for _, r := range sample.Requests(alliance, start, start.AddDate(4, 0, 0)) {
		if _, err := w.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.cp.MaybeCheckpoint(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := f.cp.Checkpoint(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	// M02 co-signs the checkpoint at 400 then the last, with a proof.
	msigner, mvkey, _, err := audit.LoadOrCreateKey(filepath.Join(f.keyDir, "m02.key"), "member/"+alliance+"/M02")
	if err != nil {
		t.Fatal(err)
	}
	ledgerV, _ := audit.LoadVerifier(vkey)
	cps, err := audit.ReadCheckpoints(ctx, f.store.Audit(), alliance)
	if err != nil {
		t.Fatal(err)
	}
	var prev *audit.Checkpoint
	for _, rec := range []audit.CheckpointRecord{cps[1], cps[len(cps)-1]} {
		var proof tlog.TreeProof
		if prev != nil {
			p, err := f.cp.Tree().Consistency(prev.Size, rec.Size)
			if err != nil {
				t.Fatal(err)
			}
			proof = p.Proof
		}
		msg, err := audit.CoSign([]byte(rec.Note), ledgerV, prev, proof, msigner)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(audit.CosignatureRecord{Size: rec.Size, Member: "M02", VKey: mvkey, Note: string(msg), SignedAt: time.Now()})
		if _, err := f.store.Audit().Append(ctx, alliance, audit.KindCosignatures, b); err != nil {
			t.Fatal(err)
		}
		_, cp, _ := audit.OpenCheckpoint([]byte(rec.Note), ledgerV)
		prev = &cp
	}
	err = f.store.Read(ctx, alliance, 1, func(st ledger.Stored) error {
		f.events = append(f.events, append([]byte(nil), st.Data...))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) mem(t *testing.T) *memSource {
	t.Helper()
	src := storeSource{f.store, alliance}
	cps, err := src.Checkpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cos, err := src.Cosignatures(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return &memSource{events: f.events, cps: cps, cos: cos}
}

func run(t *testing.T, src verify.Source, vkey string) *verify.Report {
	t.Helper()
	r, err := verify.Verify(context.Background(), alliance, src, verify.Options{LedgerKey: vkey})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestVerifyAndProofs(t *testing.T) {
	f := newFixture(t)
	r := run(t, storeSource{f.store, alliance}, f.vkey)
	if !r.OK {
		t.Fatalf("the sample log does not verify: %+v", r.Problems)
	}
	if r.Events != uint64(len(f.events)) || r.Checkpoints < 4 || r.Cosignatures != 2 || r.Payouts != 2 {
		t.Errorf("report %+v", r)
	}

	// Inclusion proofs of events in signed checkpoints, and consistency
	// between checkpoints, checked with tlog alone against the roots in
	// the signed notes.
	ledgerV, _ := audit.LoadVerifier(f.vkey)
	cps := f.mem(t).cps
	roots := map[int64]tlog.Hash{}
	for _, rec := range cps {
		_, cp, err := audit.OpenCheckpoint([]byte(rec.Note), ledgerV)
		if err != nil {
			t.Fatal(err)
		}
		roots[cp.Size] = cp.Root
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		rec := cps[rng.IntN(len(cps))]
		seq := 1 + rng.Uint64N(uint64(rec.Size))
		p, err := f.cp.Tree().ProveInclusion(seq, rec.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(p, rec.Size, roots[rec.Size], int64(seq-1), tlog.RecordHash(f.events[seq-1])); err != nil {
			t.Fatalf("event %d in tree %d: %v", seq, rec.Size, err)
		}
		if tlog.CheckRecord(p, rec.Size, roots[rec.Size], int64(seq-1), tlog.RecordHash(append([]byte{' '}, f.events[seq-1]...))) == nil {
			t.Fatalf("a changed event %d passed its inclusion proof", seq)
		}
	}
	for i := range cps {
		for j := i + 1; j < len(cps); j++ {
			p, err := f.cp.Tree().ProveConsistency(cps[i].Size, cps[j].Size)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckTree(p, cps[j].Size, roots[cps[j].Size], cps[i].Size, roots[cps[i].Size]); err != nil {
				t.Fatalf("tree %d does not extend %d: %v", cps[j].Size, cps[i].Size, err)
			}
		}
	}
}

// TestRandomAlterationsAreCaught changes one byte of one event, 200 times,
// and verify names that event's position every time.
func TestRandomAlterationsAreCaught(t *testing.T) {
	f := newFixture(t)
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range 200 {
		m := f.mem(t)
		seq := 1 + rng.IntN(len(m.events))
		ev := append([]byte(nil), m.events[seq-1]...)
		pos := rng.IntN(len(ev))
		old := ev[pos]
		for ev[pos] == old || ev[pos] == '\n' {
			ev[pos] = byte(32 + rng.IntN(95))
		}
		m.events = append([][]byte(nil), m.events...)
		m.events[seq-1] = ev
		r := run(t, m, f.vkey)
		if r.OK || r.First.Seq != uint64(seq) {
			t.Fatalf("alteration %d: byte %d of the event at %d (%q -> %q): report first %+v", i, pos, seq, old, ev[pos], r.First)
		}
	}
}

// TestRebuiltStreamsAreCaught rebuilds the log in a new JetStream from a
// copy with one event altered, one dropped, or two swapped, with the
// audit records copied over; verify names the first position changed.
func TestRebuiltStreamsAreCaught(t *testing.T) {
	f := newFixture(t)
	orig := f.mem(t)
	alter := func(evs [][]byte, k int) [][]byte {
		out := append([][]byte(nil), evs...)
		out[k-1] = []byte(strings.Replace(string(out[k-1]), `"amount":`, `"amount":1`, 1))
		return out
	}
	k := 321 // an event with an amount to change
	for !strings.Contains(string(orig.events[k-1]), `"amount":`) {
		k++
	}
	cases := []struct {
		name   string
		change func([][]byte) [][]byte
		first  uint64
	}{
		{"altered", func(evs [][]byte) [][]byte { return alter(evs, k) }, uint64(k)},
		{"dropped", func(evs [][]byte) [][]byte {
			return append(append([][]byte(nil), evs[:449]...), evs[450:]...)
		}, 450},
		{"swapped", func(evs [][]byte) [][]byte {
			out := append([][]byte(nil), evs...)
			out[599], out[600] = out[600], out[599]
			return out
		}, 600},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if string(tc.change(orig.events)[tc.first-1]) == string(orig.events[tc.first-1]) {
				t.Fatal("the change changes nothing at the position it names")
			}
			copyStore := ledgerOn(t)
			ctx := context.Background()
			// A careful forger renumbers the events after a drop or a swap,
			// so that the copy is a well-formed log the store accepts.
			evs := tc.change(orig.events)
			for i, ev := range evs {
				var env struct{ Seq uint64 }
				json.Unmarshal(ev, &env)
				if env.Seq != uint64(i+1) {
					evs[i] = []byte(strings.Replace(string(ev), fmt.Sprintf(`"seq":%d,`, env.Seq), fmt.Sprintf(`"seq":%d,`, i+1), 1))
				}
			}
			for first := 0; first < len(evs); first += 50 {
				c := &ledger.Commit{ID: uuid.NewString(), Alliance: alliance, First: uint64(first + 1), Events: evs[first:min(first+50, len(evs))]}
				if err := copyStore.Append(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			for _, rec := range orig.cps {
				b, _ := json.Marshal(rec)
				copyStore.Audit().Append(ctx, alliance, audit.KindCheckpoints, b)
			}
			r := run(t, storeSource{copyStore, alliance}, f.vkey)
			if r.OK || r.First.Seq != tc.first {
				t.Fatalf("first problem %+v, want position %d", r.First, tc.first)
			}
		})
	}
}

// TestForgedCheckpoint: a checkpoint signed by another key, appended to the
// audit stream, is named; so is a co-signature whose member signature does
// not verify.
func TestForgedCheckpoint(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other, _, _, err := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), "other.key"), "alliance-ledger")
	if err != nil {
		t.Fatal(err)
	}
	size := f.cp.Tree().Size()
	root, _ := f.cp.Tree().Root(size)
	msg, err := audit.Sign(audit.Checkpoint{Origin: audit.Origin(alliance), Size: size, Root: root}, other)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(audit.CheckpointRecord{Size: size, PrevSize: size, Note: string(msg), SignedAt: time.Now()})
	if _, err := f.store.Audit().Append(ctx, alliance, audit.KindCheckpoints, b); err != nil {
		t.Fatal(err)
	}
	r := run(t, storeSource{f.store, alliance}, f.vkey)
	if r.OK || r.First.Seq != uint64(size) || !strings.Contains(r.First.What, "not signed by the ledger's key") {
		t.Fatalf("forged checkpoint: first problem %+v", r.First)
	}

	// Verifying against another key fails every checkpoint, from the first.
	_, otherV, _, _ := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), "third.key"), "alliance-ledger")
	r = run(t, f.mem(t), otherV)
	if r.OK || !strings.Contains(r.First.What, "not signed by the ledger's key") {
		t.Fatalf("wrong key: first problem %+v", r.First)
	}
}

// TestPackRoundTrip exports a pack (directory and archive), verifies it
// offline, and catches one byte changed in its events file.
func TestPackRoundTrip(t *testing.T) {
	f := newFixture(t)
	m := f.mem(t)
	size := int64(len(m.events))
	root, _ := f.cp.Tree().Root(size)
	content := audit.PackContent{
		Manifest: audit.Manifest{Format: audit.PackFormat, Alliance: alliance, Origin: audit.Origin(alliance), Events: size,
			Root: root.String(), LedgerKey: f.vkey, ExportedAt: time.Now().UTC()},
		Checkpoints: m.cps, Cosignatures: m.cos,
		Events: func(emit func([]byte) error) error {
			for _, e := range m.events {
				if err := emit(e); err != nil {
					return err
				}
			}
			return nil
		},
	}
	dir := filepath.Join(t.TempDir(), "pack")
	tgz := filepath.Join(t.TempDir(), "pack.tar.gz")
	for _, path := range []string{dir, tgz} {
		if err := audit.WritePack(path, content); err != nil {
			t.Fatal(err)
		}
		p, err := audit.OpenPack(path)
		if err != nil {
			t.Fatal(err)
		}
		if r := run(t, p, f.vkey); !r.OK || r.Events != uint64(size) || r.Cosignatures != 2 {
			t.Fatalf("%s: %+v", path, r)
		}
	}
	// One byte of the event at 123 in the directory pack.
	data, err := os.ReadFile(filepath.Join(dir, "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	lines[122] = strings.Replace(lines[122], `"seq":123`, `"seq":124`, 1)
	if err := os.WriteFile(filepath.Join(dir, "events.jsonl"), []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := audit.OpenPack(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r := run(t, p, f.vkey); r.OK || r.First.Seq != 123 {
		t.Fatalf("changed pack: first problem %+v", r.First)
	}
}
