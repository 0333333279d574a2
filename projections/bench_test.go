package projections_test

import (
	"math/rand/v2"
	"testing"

	"github.com/alliance-ledger/alliance/projections"
)

// BenchmarkBalancesAsOf measures balances as of random positions of a
// synthetic log of 100,000 requests.
func BenchmarkBalancesAsOf(b *testing.B) {
	store := syntheticLog(b, "bench", 1, 100_000)
	m := fold(b, "bench", events(b, store, "bench"))
	rng := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	for range b.N {
		if _, err := m.Balances(projections.Query{Seq: 1 + rng.Uint64N(m.Last())}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFold measures folding decoded events into a model.
func BenchmarkFold(b *testing.B) {
	store := syntheticLog(b, "bench", 1, 100_000)
	evs := events(b, store, "bench")
	b.ResetTimer()
	for range b.N {
		m := projections.NewModel("bench")
		for _, e := range evs {
			if err := m.Apply(e); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkSnapshot measures encoding and restoring a model of a synthetic
// log of 100,000 requests.
func BenchmarkSnapshot(b *testing.B) {
	store := syntheticLog(b, "bench", 1, 100_000)
	m := fold(b, "bench", events(b, store, "bench"))
	data, err := m.Encode("")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		for range b.N {
			if _, err := m.Encode(""); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(data)), "bytes")
	})
	b.Run("decode", func(b *testing.B) {
		for range b.N {
			if _, _, err := projections.DecodeModel(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
