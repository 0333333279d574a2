package audit_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/alliance-ledger/alliance/ledger/audit"
)

// memRecords is an in-memory audit.Records.
type memRecords struct {
	mu   sync.Mutex
	recs map[string][][]byte
}

func (m *memRecords) Append(_ context.Context, alliance, kind string, data []byte) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.recs == nil {
		m.recs = map[string][][]byte{}
	}
	k := alliance + "/" + kind
	m.recs[k] = append(m.recs[k], append([]byte(nil), data...))
	return uint64(len(m.recs[k])), nil
}

func (m *memRecords) Read(_ context.Context, alliance, kind string, fn func([]byte) error) error {
	m.mu.Lock()
	recs := m.recs[alliance+"/"+kind]
	m.mu.Unlock()
	for _, r := range recs {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// memLog is a log of events {"seq":N} in memory, read as a Checkpointer
// reads a store.
type memLog [][]byte

func (l *memLog) grow(n int) {
	for range n {
		*l = append(*l, fmt.Appendf(nil, `{"seq":%d}`, len(*l)+1))
	}
}

func (l *memLog) read(_ context.Context, from uint64, fn func(uint64, []byte) error) error {
	for seq := from; seq <= uint64(len(*l)); seq++ {
		if err := fn(seq, (*l)[seq-1]); err != nil {
			return err
		}
	}
	return nil
}

// TestCheckpointer: checkpoints come due by count and by age, a long
// stretch of events is signed in steps of MaxLeavesPerRecord, each record
// carries the leaf hashes it adds, and a reloaded checkpointer goes on
// from the latest record.
func TestCheckpointer(t *testing.T) {
	ctx := context.Background()
	var log memLog
	read, grow := log.read, log.grow
	signer, vkey, _, err := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), "k"), "alliance-ledger")
	if err != nil {
		t.Fatal(err)
	}
	recs := &memRecords{}
	c := &audit.Checkpointer{Alliance: "a", Signer: signer, Read: read, Records: recs, Every: 100, Interval: time.Hour}
	if err := c.Load(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, _, err := c.Checkpoint(ctx, now); err == nil {
		t.Fatal("an empty log was checkpointed")
	}
	grow(10)
	// No checkpoint yet: ten events are due at once (by age).
	if rec, signed, err := c.MaybeCheckpoint(ctx, now); err != nil || !signed || rec.Size != 10 {
		t.Fatalf("first checkpoint: %+v %v %v", rec, signed, err)
	}
	grow(50)
	if _, signed, _ := c.MaybeCheckpoint(ctx, now.Add(time.Minute)); signed {
		t.Fatal("signed after 50 events and a minute")
	}
	if rec, signed, _ := c.MaybeCheckpoint(ctx, now.Add(2*time.Hour)); !signed || rec.Size != 60 {
		t.Fatalf("not signed after an hour: %+v", rec)
	}
	grow(100)
	if rec, signed, _ := c.MaybeCheckpoint(ctx, now.Add(2*time.Hour)); !signed || rec.Size != 160 {
		t.Fatalf("not signed after 100 events: %+v", rec)
	}
	grow(2*audit.MaxLeavesPerRecord + 5)
	if _, _, err := c.Checkpoint(ctx, now); err != nil {
		t.Fatal(err)
	}
	got, err := audit.ReadCheckpoints(ctx, recs, "a")
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int64
	ledgerV, _ := audit.LoadVerifier(vkey)
	tree := audit.NewTree()
	for _, r := range got {
		sizes = append(sizes, r.Size)
		if int64(len(r.Leaves)) != (r.Size-r.PrevSize)*tlog.HashSize {
			t.Errorf("record of size %d after %d carries %d bytes of leaf hashes", r.Size, r.PrevSize, len(r.Leaves))
		}
		for i := 0; i < len(r.Leaves); i += tlog.HashSize {
			var h tlog.Hash
			copy(h[:], r.Leaves[i:])
			tree.AppendLeafHash(h)
		}
		_, cp, err := audit.OpenCheckpoint([]byte(r.Note), ledgerV)
		if err != nil {
			t.Fatal(err)
		}
		// The recorded leaf hashes hash up to the signed root.
		if root, _ := tree.Root(cp.Size); root != cp.Root || cp.Size != r.Size {
			t.Errorf("record of size %d: leaf hashes give another root than the signed one", r.Size)
		}
	}
	want := []int64{10, 60, 160, 160 + audit.MaxLeavesPerRecord, 160 + 2*audit.MaxLeavesPerRecord, int64(len(log))}
	if fmt.Sprint(sizes) != fmt.Sprint(want) {
		t.Errorf("checkpoint sizes %v, want %v", sizes, want)
	}
	// Reloaded, it goes on from the latest record.
	c2 := &audit.Checkpointer{Alliance: "a", Signer: signer, Read: read, Records: recs, Every: 100}
	if err := c2.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if c2.Latest().Size != int64(len(log)) || c2.Tree().Size() != int64(len(log)) {
		t.Errorf("reloaded: latest %d, tree %d", c2.Latest().Size, c2.Tree().Size())
	}
	if _, signed, _ := c2.Checkpoint(ctx, now); signed {
		t.Error("signed again with nothing new")
	}
}

// TestSignWhole: records signed while the tree grows (as an import's
// commits are stored) are those a checkpoint signed afterwards would have
// signed on its way: the same sizes, leaf hashes and roots.
func TestSignWhole(t *testing.T) {
	ctx := context.Background()
	var log memLog
	read := log.read
	signer, _, _, err := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), "k"), "alliance-ledger")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	log.grow(7)
	early, late := &memRecords{}, &memRecords{}
	ce := &audit.Checkpointer{Alliance: "a", Signer: signer, Read: read, Records: early, Every: 100}
	cl := &audit.Checkpointer{Alliance: "a", Signer: signer, Read: read, Records: late, Every: 100}
	for _, c := range []*audit.Checkpointer{ce, cl} {
		if _, _, err := c.Checkpoint(ctx, now); err != nil {
			t.Fatal(err)
		}
	}
	// The log grows in commits of 5000 events; the early checkpointer's
	// tree is given each commit as it is stored and signs whole records.
	var signedEarly []int
	for range 8 {
		for range 5000 {
			log.grow(1)
			ce.Tree().Append(log[len(log)-1])
		}
		n, err := ce.SignWhole(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		signedEarly = append(signedEarly, n)
		if ce.Tree().Size()-ce.Latest().Size >= audit.MaxLeavesPerRecord {
			t.Fatalf("tree of %d events left %d unsigned after SignWhole", ce.Tree().Size(), ce.Tree().Size()-ce.Latest().Size)
		}
	}
	if fmt.Sprint(signedEarly) != "[0 0 0 1 0 0 1 0]" {
		t.Errorf("records signed after each commit: %v", signedEarly)
	}
	for _, c := range []*audit.Checkpointer{ce, cl} {
		if _, _, err := c.Checkpoint(ctx, now); err != nil {
			t.Fatal(err)
		}
	}
	e, err := audit.ReadCheckpoints(ctx, early, "a")
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.ReadCheckpoints(ctx, late, "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(e) != 4 || len(e) != len(l) {
		t.Fatalf("%d records signed early, %d late; want 4 each", len(e), len(l))
	}
	for i := range e {
		// One signer, one tree: the signed notes are the same bytes.
		if e[i].Size != l[i].Size || e[i].PrevSize != l[i].PrevSize || e[i].Note != l[i].Note || string(e[i].Leaves) != string(l[i].Leaves) {
			t.Errorf("record %d: signed early %d after %d, late %d after %d, or their notes or leaves differ", i, e[i].Size, e[i].PrevSize, l[i].Size, l[i].PrevSize)
		}
	}
	// A checkpointer with no tree yet signs nothing.
	fresh := &audit.Checkpointer{Alliance: "a", Signer: signer, Read: read, Records: &memRecords{}}
	if n, err := fresh.SignWhole(ctx, now); n != 0 || err != nil {
		t.Errorf("SignWhole without a tree: %d, %v", n, err)
	}
}
