package ledger_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/memstore"
)

// BenchmarkWriterMemstore measures the writer alone (validation, deciding,
// encoding, group commit) over the in-memory store, with 1024 callers: the
// ceiling the JetStream store is measured against by alliance bench append.
func BenchmarkWriterMemstore(b *testing.B) {
	store := memstore.New()
	w := ledger.NewWriter(store, ledger.WriterOptions{Now: func() time.Time { return testNow }})
	defer w.Close()
	if _, err := w.Append(context.Background(), founding()); err != nil {
		b.Fatal(err)
	}
	reqs := make([]ledger.Request, b.N)
	for i := range reqs {
		reqs[i] = ledger.Request{Alliance: testAlliance, Actor: "member:M02", IdempotencyKey: fmt.Sprintf("k%d", i),
			Commands: []ledger.Command{cmd(1, &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: cny(int64(i%1000 + 1)),
				Description: "研发经费投入", Evidence: &ledger.Evidence{SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}})}}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	b.ResetTimer()
	for range 1024 {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if _, err := w.Append(context.Background(), reqs[i-1]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	// CPU time per event is steadier than wall time on a shared machine.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/event")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
