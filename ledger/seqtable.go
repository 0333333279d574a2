package ledger

// seqTable maps log positions to values. Positions are dense and only
// grow, so fixed-size chunks indexed by position do what a map[uint64]V
// did without hashing, without rehashing the whole table as it grows, and
// with no per-entry overhead beyond a presence flag. A chunk is allocated
// when the first position in it is set, so a kind of entry that is rare in
// a log (payouts) costs little.
type seqTable[V any] struct {
	chunks [][]seqSlot[V]
}

type seqSlot[V any] struct {
	v  V
	ok bool
}

const (
	seqChunkBits = 10
	seqChunkSize = 1 << seqChunkBits
)

// get returns the value at seq and whether there is one.
func (t *seqTable[V]) get(seq uint64) (V, bool) {
	i := seq >> seqChunkBits
	if i >= uint64(len(t.chunks)) || t.chunks[i] == nil {
		var zero V
		return zero, false
	}
	s := &t.chunks[i][seq&(seqChunkSize-1)]
	return s.v, s.ok
}

// put sets the value at seq (ok) or removes it (!ok).
func (t *seqTable[V]) put(seq uint64, v V, ok bool) {
	i := seq >> seqChunkBits
	if i >= uint64(len(t.chunks)) {
		if !ok {
			return
		}
		t.chunks = append(t.chunks, make([][]seqSlot[V], int(i)+1-len(t.chunks))...)
	}
	if t.chunks[i] == nil {
		if !ok {
			return
		}
		t.chunks[i] = make([]seqSlot[V], seqChunkSize)
	}
	t.chunks[i][seq&(seqChunkSize-1)] = seqSlot[V]{v, ok}
}
