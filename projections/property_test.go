package projections_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/alliance-ledger/alliance/projections"
)

// TestRebuildIncrementalSnapshotAgree is the fold's property test: for
// random valid logs, folding from zero, following one event at a time, and
// restoring a snapshot taken at any cut then replaying the rest all give
// the same model, byte for byte; and at every cut the views of the full
// model as of that position equal the views of the model that stopped
// there, balances reconcile, risk shares sum to exactly 1.
func TestRebuildIncrementalSnapshotAgree(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4}
	n := 500
	if testing.Short() || raceEnabled {
		seeds, n = seeds[:1], 200
	}
	for _, seed := range seeds {
		store := syntheticLog(t, "prop", seed, n)
		evs := events(t, store, "prop")
		full := fold(t, "prop", evs)
		scanned := fold(t, "prop", evs)
		projections.ScanOnly(scanned)
		want, err := full.Encode(evs[len(evs)-1].ID)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(seed, 7))
		inc := projections.NewModel("prop")
		for c := 1; c <= len(evs); c++ {
			if err := inc.Apply(evs[c-1]); err != nil {
				t.Fatalf("seed %d: position %d: %v", seed, c, err)
			}
			at := projections.Query{Seq: uint64(c)}
			if got, want := views(t, inc, projections.Query{}), views(t, full, at); got != want {
				t.Fatalf("seed %d: views of the model folded to %d differ from the full model's as of %d:\n%s\n%s", seed, c, c, got, want)
			}
			checkInvariants(t, full, at)
			if got, want := views(t, full, at), views(t, scanned, at); got != want {
				t.Fatalf("seed %d: as of %d, views from the kept sums differ from a scan of the entries:\n%s\n%s", seed, c, got, want)
			}
			// A random business period, as of this cut.
			from := evs[rng.IntN(c)].OccurredAt
			to := from.Add(time.Duration(1+rng.IntN(90*24)) * time.Hour)
			period := projections.Query{Seq: uint64(c), From: from, To: to}
			if got, want := views(t, inc, projections.Query{From: from, To: to}), views(t, full, period); got != want {
				t.Fatalf("seed %d: period views differ at %d", seed, c)
			}
			checkInvariants(t, full, period)

			if c%9 == 0 || c == len(evs) {
				snap, err := inc.Encode(evs[c-1].ID)
				if err != nil {
					t.Fatal(err)
				}
				restored, id, err := projections.DecodeModel(snap)
				if err != nil {
					t.Fatal(err)
				}
				if id != evs[c-1].ID {
					t.Fatalf("snapshot's last id %q, want %q", id, evs[c-1].ID)
				}
				for _, e := range evs[c:] {
					if err := restored.Apply(e); err != nil {
						t.Fatalf("seed %d: replay after snapshot at %d: position %d: %v", seed, c, e.Seq, err)
					}
				}
				got, err := restored.Encode(evs[len(evs)-1].ID)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("seed %d: snapshot at %d plus replay differs from the rebuild", seed, c)
				}
			}
		}
		got, err := inc.Encode(evs[len(evs)-1].ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("seed %d: incremental model differs from the rebuild", seed)
		}

		// The runner, in random steps with snapshots, restarted midway.
		ctx := context.Background()
		snaps := &projections.MemorySnapshots{}
		opts := projections.RunnerOptions{Snapshots: snaps, SnapshotEvery: 40}
		r := projections.NewRunner(store, "prop", opts)
		half := uint64(len(evs) / 2)
		for r.Last() < half {
			if err := r.CatchUp(ctx, r.Last()+uint64(1+rng.IntN(60))); err != nil {
				t.Fatal(err)
			}
		}
		if snaps.Saves == 0 {
			t.Fatal("the runner saved no snapshot")
		}
		r2 := projections.NewRunner(store, "prop", opts)
		restoredAt, err := r2.Restore(ctx, 0)
		if err != nil || restoredAt == 0 {
			t.Fatalf("restore: at %d, %v", restoredAt, err)
		}
		if err := r2.CatchUp(ctx, 0); err != nil {
			t.Fatal(err)
		}
		var fromRunner []byte
		r2.View(func(m *projections.Model) error {
			fromRunner, err = m.Encode(evs[len(evs)-1].ID)
			return err
		})
		if !bytes.Equal(fromRunner, want) {
			t.Fatalf("seed %d: runner restored at %d and caught up differs from the rebuild", seed, restoredAt)
		}
	}
}
