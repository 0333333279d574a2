// Package audit is the ledger's tamper evidence: an RFC 6962 Merkle tree
// over each alliance's log, checkpoints of that tree signed in the C2SP
// tlog-checkpoint / signed-note format, inclusion and consistency proofs,
// the signing keys, and members' co-signatures on checkpoints.
//
// Leaf i−1 of an alliance's tree is the exact stored bytes of the event at
// position i: the bytes are hashed as stored, never re-encoded, so anyone
// holding the events can recompute the tree.
//
// The hashing, proofs and signatures are golang.org/x/mod/sumdb/tlog and
// golang.org/x/mod/sumdb/note, the implementation the Go checksum database
// runs on, so a verifier needs only those two packages to check what this
// package produces. The package imports nothing else from this repository,
// so that the ledger itself can import it.
package audit

import (
	"fmt"
	"math"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// Stored hashes live in fixed-size chunks rather than one slice, so that a
// growing tree never copies (or briefly holds twice) all of its hashes, and
// no chunk is larger than 128 KiB.
const (
	chunkBits = 12
	chunkSize = 1 << chunkBits // hashes per full chunk
)

// Tree keeps the tlog "stored hashes" of a log in memory (about two hashes,
// 64 bytes, per leaf) so that any root, inclusion proof or consistency proof
// of any size up to Size can be produced. It is rebuilt from the log at
// start-up; appending is O(log n) amortised (about two SHA-256 per leaf).
//
// A Tree is safe for concurrent use: proofs can be served while the writer
// appends. The zero value is an empty tree.
type Tree struct {
	mu     sync.RWMutex
	size   int64         // leaves appended
	chunks [][]tlog.Hash // the stored hashes; every chunk but the last is full
}

// Tree is read by tlog's functions through this interface.
var _ tlog.HashReader = (*Tree)(nil)

// NewTree returns an empty tree.
func NewTree() *Tree { return &Tree{} }

// Append adds the event at the next position (Size()+1); event is its exact
// stored bytes.
func (t *Tree) Append(event []byte) {
	t.AppendLeafHash(tlog.RecordHash(event))
}

// AppendLeafHash is Append for a leaf hash already computed as
// tlog.RecordHash(event), so a caller that hashed the event elsewhere (or
// hashes in parallel while rebuilding) does not hash it twice.
func (t *Tree) AppendLeafHash(h tlog.Hash) {
	t.mu.Lock()
	defer t.mu.Unlock()
	// What tlog.StoredHashesForRecordHash computes, without the slices it
	// allocates for each leaf: the leaf hash, then for each trailing 1 bit
	// of the leaf's index the hash of the complete subtree it closes, with
	// its left sibling (stored already) — TestTreeMatchesTlog checks.
	n := t.size
	t.store(h)
	for i := 0; (n>>i)&1 == 1; i++ {
		h = tlog.NodeHash(t.at(tlog.StoredHashIndex(i, n>>i-1)), h)
		t.store(h)
	}
	t.size++
}

// store appends the next stored hash.
func (t *Tree) store(h tlog.Hash) {
	if len(t.chunks) == 0 || len(t.chunks[len(t.chunks)-1]) == chunkSize {
		t.chunks = append(t.chunks, nil)
	}
	last := &t.chunks[len(t.chunks)-1]
	if len(*last) == cap(*last) {
		// Each chunk grows by doubling, so that a small alliance's tree
		// stays small and the last chunk is never more than half empty.
		grown := make([]tlog.Hash, len(*last), min(max(2*cap(*last), 16), chunkSize))
		copy(grown, *last)
		*last = grown
	}
	*last = append(*last, h)
}

// at returns stored hash i, which must exist.
func (t *Tree) at(i int64) tlog.Hash { return t.chunks[i>>chunkBits][i&(chunkSize-1)] }

// stored returns the number of stored hashes, tlog.StoredHashCount(t.size).
func (t *Tree) stored() int64 {
	if len(t.chunks) == 0 {
		return 0
	}
	return int64(len(t.chunks)-1)*chunkSize + int64(len(t.chunks[len(t.chunks)-1]))
}

// Size returns the number of leaves: the position of the last event appended.
func (t *Tree) Size() int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.size
}

// LeafHash returns the leaf hash of the event at position seq (1-based).
func (t *Tree) LeafHash(seq uint64) (tlog.Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if err := t.checkSeq(seq, t.size); err != nil {
		return tlog.Hash{}, err
	}
	return t.at(tlog.StoredHashIndex(0, int64(seq-1))), nil
}

// Root returns the root hash of the tree of the first size leaves,
// 0 ≤ size ≤ Size(). Root(0) is the RFC 6962 hash of the empty tree,
// SHA-256 of nothing, because C2SP checkpoints allow a log of size 0 and an
// alliance's log is empty until its first event.
func (t *Tree) Root(size int64) (tlog.Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if size < 0 || size > t.size {
		return tlog.Hash{}, fmt.Errorf("root of tree size %d: the tree has %d leaves", size, t.size)
	}
	return tlog.TreeHash(size, storedHashes{t})
}

// ProveInclusion returns the proof that the event at position seq is leaf
// seq−1 of the tree of the first size leaves (seq ≤ size ≤ Size()).
func (t *Tree) ProveInclusion(seq uint64, size int64) (tlog.RecordProof, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.proveInclusion(seq, size)
}

func (t *Tree) proveInclusion(seq uint64, size int64) (tlog.RecordProof, error) {
	if err := t.checkSize(size); err != nil {
		return nil, fmt.Errorf("inclusion proof of position %d: %w", seq, err)
	}
	if err := t.checkSeq(seq, size); err != nil {
		return nil, err
	}
	return tlog.ProveRecord(size, int64(seq-1), storedHashes{t})
}

// ProveConsistency returns the proof that the tree of size newSize extends
// the tree of size oldSize (1 ≤ oldSize ≤ newSize ≤ Size()). There is no
// proof from the empty tree: every tree extends it, and tlog has no form
// for it.
func (t *Tree) ProveConsistency(oldSize, newSize int64) (tlog.TreeProof, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.proveConsistency(oldSize, newSize)
}

func (t *Tree) proveConsistency(oldSize, newSize int64) (tlog.TreeProof, error) {
	switch {
	case oldSize < 1:
		return nil, fmt.Errorf("consistency proof from tree size %d: the old size must be at least 1 (every tree extends the empty tree)", oldSize)
	case newSize < oldSize:
		return nil, fmt.Errorf("consistency proof from tree size %d to %d: the new tree is smaller", oldSize, newSize)
	case newSize > t.size:
		return nil, fmt.Errorf("consistency proof to tree size %d: the tree has %d leaves", newSize, t.size)
	}
	return tlog.ProveTree(newSize, oldSize, storedHashes{t})
}

// ReadHashes returns the stored hashes at the given indexes (see
// tlog.StoredHashIndex), so that tlog's functions can read the tree directly.
func (t *Tree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return storedHashes{t}.ReadHashes(indexes)
}

// storedHashes reads t's hashes for tlog while the caller holds t.mu: the
// exported ReadHashes would lock again, and a read lock taken twice
// deadlocks once a writer waits between the two.
type storedHashes struct{ t *Tree }

func (r storedHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	n := r.t.stored()
	for k, i := range indexes {
		if i < 0 || i >= n {
			return nil, fmt.Errorf("stored hash %d does not exist: the tree of %d leaves stores %d", i, r.t.size, n)
		}
		out[k] = r.t.at(i)
	}
	return out, nil
}

// checkSeq checks that position seq is a leaf of the tree of the first size
// leaves.
func (t *Tree) checkSeq(seq uint64, size int64) error {
	switch {
	case seq == 0:
		return fmt.Errorf("position 0: positions start at 1")
	case seq > math.MaxInt64 || int64(seq) > size:
		return fmt.Errorf("position %d is beyond tree size %d", seq, size)
	}
	return nil
}

func (t *Tree) checkSize(size int64) error {
	switch {
	case size < 1:
		return fmt.Errorf("tree size %d: a proof needs at least one leaf", size)
	case size > t.size:
		return fmt.Errorf("tree size %d: the tree has %d leaves", size, t.size)
	}
	return nil
}
