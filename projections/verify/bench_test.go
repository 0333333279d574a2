package verify_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/audit"
	"github.com/alliance-ledger/alliance/ledger/memstore"
	"github.com/alliance-ledger/alliance/ledger/sample"
	"github.com/alliance-ledger/alliance/projections/verify"
)

// BenchmarkVerify verifies a synthetic log of 100,000 events held in
// memory: the decoding, hashing, rule checks, fold and payout
// recomputation of `alliance verify`, without the store's transport.
func BenchmarkVerify(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	st := memstore.New()
	w := ledger.NewWriter(st, ledger.WriterOptions{})
	g := sample.NewSynthetic("bench", 1, time.Date(2021, 1, 4, 9, 0, 0, 0, time.UTC))
	var reqs []ledger.Request
	for g.Last() < n {
		reqs = append(reqs, g.Next())
	}
	if _, err := w.AppendInOrder(ctx, reqs, nil); err != nil {
		b.Fatal(err)
	}
	w.Close()
	src := stableSource{&memSource{}}
	if err := st.Read(ctx, "bench", 1, func(s ledger.Stored) error {
		src.events = append(src.events, s.Data)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	_, vkey, _, err := audit.LoadOrCreateKey(filepath.Join(b.TempDir(), "ledger.key"), "alliance-ledger")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r, err := verify.Verify(ctx, "bench", src, verify.Options{LedgerKey: vkey})
		if err != nil {
			b.Fatal(err)
		}
		if !r.OK || r.Events != uint64(len(src.events)) {
			b.Fatalf("verify: ok %v, %d events of %d, first problem %+v", r.OK, r.Events, len(src.events), r.First)
		}
	}
	b.ReportMetric(float64(b.N*len(src.events))/b.Elapsed().Seconds(), "events/s")
}

// stableSource is a memSource whose event bytes stay put, as a store's do.
type stableSource struct{ *memSource }

func (stableSource) StableData() bool { return true }
