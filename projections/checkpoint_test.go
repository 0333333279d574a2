package projections_test

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/alliance-ledger/alliance/projections"
)

// TestCheckpoints holds the whole-history views read from checkpoints plus
// touches to a scan of the entries, on a log several checkpoints long, at
// the checkpoints' edges and at random positions; and a model restored
// from a snapshot rebuilds the same checkpoints.
func TestCheckpoints(t *testing.T) {
	const every = 1 << 12
	defer projections.CheckpointEvery(projections.CheckpointEvery(every))
	n := 5*every + 300
	store := syntheticLog(t, "cp", 9, n)
	evs := events(t, store, "cp")
	full := fold(t, "cp", evs)
	scanned := fold(t, "cp", evs)
	projections.ScanOnly(scanned)

	snap, err := full.Encode(evs[len(evs)-1].ID)
	if err != nil {
		t.Fatal(err)
	}
	restored, _, err := projections.DecodeModel(snap)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(projections.SumsState(restored), projections.SumsState(full)) {
		t.Fatal("the restored model's sums, checkpoints or touches differ from the folded model's")
	}

	var seqs []uint64
	for k := uint64(1); k <= 5; k++ {
		c := k * every
		seqs = append(seqs, c-1, c, c+1)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for range 40 {
		seqs = append(seqs, 1+rng.Uint64N(full.Last()))
	}
	seqs = append(seqs, full.Last())
	for _, seq := range seqs {
		q := projections.Query{Seq: seq}
		want := views(t, scanned, q)
		if got := views(t, full, q); got != want {
			t.Fatalf("as of %d: views from checkpoints differ from a scan", seq)
		}
		if got := views(t, restored, q); got != want {
			t.Fatalf("as of %d: views of the restored model differ from a scan", seq)
		}
		checkInvariants(t, full, q)
	}
}
