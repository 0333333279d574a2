package audit

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// BenchmarkTreeAppend appends events of about 600 bytes, the size of a
// typical stored event, as the writer and the start-up rebuild do.
func BenchmarkTreeAppend(b *testing.B) {
	ev := append(event(1), bytes.Repeat([]byte(" "), 600-len(event(1)))...)
	tree := NewTree()
	b.ReportAllocs()
	b.SetBytes(int64(len(ev)))
	for b.Loop() {
		tree.Append(ev)
	}
	b.ReportMetric(float64(hashBytes(tree))/float64(tree.Size()), "B/leaf")
}

// BenchmarkInclusionProof proves and checks the inclusion of events at
// random positions of a log of 1,000,000 events: what serving a proof and
// checking it cost.
func BenchmarkInclusionProof(b *testing.B) {
	const size = 1_000_000
	before := heapInUse()
	tree := NewTree()
	for seq := int64(1); seq <= size; seq++ {
		tree.Append(event(seq))
	}
	perLeaf := float64(heapInUse()-before) / size

	rng := rand.New(rand.NewPCG(5, 6))
	seqs := make([]int64, 1024)
	events := make([][]byte, len(seqs))
	for i := range seqs {
		seqs[i] = 1 + rng.Int64N(size)
		events[i] = event(seqs[i])
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		k := i % len(seqs)
		i++
		p, err := tree.Inclusion(uint64(seqs[k]), size)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Verify(events[k]); err != nil {
			b.Fatal(err)
		}
	}
	// Reported after the loop: b.Loop's start clears earlier metrics.
	b.ReportMetric(perLeaf, "heap-B/leaf")
}

// hashBytes is the memory the tree's stored hashes take, capacity included.
func hashBytes(t *Tree) int {
	n := 0
	for _, c := range t.chunks {
		n += cap(c) * tlog.HashSize
	}
	return n
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}
