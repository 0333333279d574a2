package ledger_test

import (
	"context"
	"testing"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/memstore"
	"github.com/alliance-ledger/alliance/ledger/sample"
)

// syntheticEvents appends n synthetic requests (see sample.NewSynthetic: a
// realistic mix, about 80% contributions and confirmations) and returns the
// stored bytes of every event.
func syntheticEvents(tb testing.TB, seed uint64, n int) [][]byte {
	tb.Helper()
	const alliance = "syn-bench"
	store := memstore.New()
	w := ledger.NewWriter(store, ledger.WriterOptions{})
	defer w.Close()
	g := sample.NewSynthetic(alliance, seed, time.Date(2022, 1, 3, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	reqs := make([]ledger.Request, n)
	for i := range reqs {
		reqs[i] = g.Next()
	}
	if _, err := w.AppendInOrder(context.Background(), reqs, nil); err != nil {
		tb.Fatal(err)
	}
	return storedEvents(tb, store, alliance)
}

// sampleEvents appends the demo alliance's three years and returns the
// stored bytes of every event.
func sampleEvents(tb testing.TB) [][]byte {
	tb.Helper()
	const alliance = "yrd-ev-battery"
	start := time.Date(2023, 3, 1, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
	store := memstore.New()
	w := ledger.NewWriter(store, ledger.WriterOptions{Now: func() time.Time { return start.AddDate(3, 0, 2) }})
	defer w.Close()
	if _, err := w.AppendInOrder(context.Background(), sample.Requests(alliance, start, start.AddDate(3, 0, 0)), nil); err != nil {
		tb.Fatal(err)
	}
	return storedEvents(tb, store, alliance)
}

func storedEvents(tb testing.TB, store *memstore.Store, alliance string) [][]byte {
	tb.Helper()
	var out [][]byte
	err := store.Read(context.Background(), alliance, 1, func(st ledger.Stored) error {
		out = append(out, st.Data)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// eventsOfTypes keeps the events of the given types.
func eventsOfTypes(tb testing.TB, evs [][]byte, types ...string) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, data := range evs {
		e, err := ledger.DecodeEventSlow(data)
		if err != nil {
			tb.Fatal(err)
		}
		for _, t := range types {
			if e.Type == t {
				out = append(out, data)
			}
		}
	}
	return out
}

type decodeFunc func([]byte) (*ledger.Event, error)

// decodeAndValidate is what the read side does with every event.
func decodeAndValidate(b *testing.B, decode decodeFunc, data []byte) {
	e, err := decode(data)
	if err != nil {
		b.Fatal(err)
	}
	if err := e.Payload.Validate(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkDecodeEvent measures DecodeEvent+Validate, one event per op,
// over synthetic events: contributions recorded and confirmed (most of a
// real log) and the whole mix, with the fast path (DecodeEvent) and with
// encoding/json alone (DecodeEventSlow). The machine may be shared: compare
// fast and slow from the same run, and see the speedup sub-benchmarks,
// which interleave both and report slow/fast.
func BenchmarkDecodeEvent(b *testing.B) {
	all := syntheticEvents(b, 1, 20000)
	sets := []struct {
		name string
		evs  [][]byte
	}{
		{"recorded", eventsOfTypes(b, all, ledger.TypeContributionRecorded)},
		{"confirmed", eventsOfTypes(b, all, ledger.TypeContributionConfirmed)},
		{"mix", all},
	}
	impls := []struct {
		name   string
		decode decodeFunc
	}{{"fast", ledger.DecodeEvent}, {"slow", ledger.DecodeEventSlow}}
	for _, set := range sets {
		for _, impl := range impls {
			b.Run(set.name+"/"+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				var bytes int64
				cpu0 := cpuTime()
				for i := 0; b.Loop(); i++ {
					data := set.evs[i%len(set.evs)]
					bytes += int64(len(data))
					decodeAndValidate(b, impl.decode, data)
				}
				// CPU time (garbage collection included) is steadier than
				// wall time on a shared machine.
				b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
				b.SetBytes(bytes / int64(b.N))
			})
		}
		// speedup runs both on the same events in alternating batches, so
		// noise from other processes hits both alike.
		b.Run(set.name+"/speedup", func(b *testing.B) {
			const batch = 64
			var fast, slow time.Duration
			for i := 0; b.Loop(); i++ {
				off := i * batch % len(set.evs)
				t0 := time.Now()
				for j := range batch {
					decodeAndValidate(b, ledger.DecodeEvent, set.evs[(off+j)%len(set.evs)])
				}
				t1 := time.Now()
				for j := range batch {
					decodeAndValidate(b, ledger.DecodeEventSlow, set.evs[(off+j)%len(set.evs)])
				}
				fast += t1.Sub(t0)
				slow += time.Since(t1)
			}
			b.ReportMetric(float64(fast.Nanoseconds())/float64(b.N*batch), "fast-ns/event")
			b.ReportMetric(float64(slow.Nanoseconds())/float64(b.N*batch), "slow-ns/event")
			b.ReportMetric(float64(slow)/float64(fast), "slow/fast")
		})
	}
}

// BenchmarkUnmarshalCommit measures UnmarshalCommit on a commit of 1000
// synthetic events (about half a megabyte, as a busy commit), with the fast
// path and with encoding/json alone, and the two interleaved (speedup).
func BenchmarkUnmarshalCommit(b *testing.B) {
	evs := syntheticEvents(b, 1, 2000)[100:1100]
	e, err := ledger.DecodeEventSlow(evs[0])
	if err != nil {
		b.Fatal(err)
	}
	data := ledger.MarshalCommit(&ledger.Commit{ID: "c1", Alliance: e.Alliance, First: e.Seq, Events: evs})
	impls := []struct {
		name      string
		unmarshal func([]byte) (*ledger.Commit, error)
	}{{"fast", ledger.UnmarshalCommit}, {"slow", ledger.UnmarshalCommitSlow}}
	for _, impl := range impls {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := impl.unmarshal(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("speedup", func(b *testing.B) {
		var fast, slow time.Duration
		for b.Loop() {
			t0 := time.Now()
			if _, err := ledger.UnmarshalCommit(data); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if _, err := ledger.UnmarshalCommitSlow(data); err != nil {
				b.Fatal(err)
			}
			fast += t1.Sub(t0)
			slow += time.Since(t1)
		}
		b.ReportMetric(float64(fast.Microseconds())/float64(b.N), "fast-µs/commit")
		b.ReportMetric(float64(slow.Microseconds())/float64(b.N), "slow-µs/commit")
		b.ReportMetric(float64(slow)/float64(fast), "slow/fast")
	})
}
