package audit

import (
	"fmt"
	"math"

	"golang.org/x/mod/sumdb/tlog"
)

// InclusionProof shows that an event is at position Seq of the tree whose
// root is Root. It carries everything a verifier needs besides the event
// bytes, and checks with tlog alone: hashes are base64 strings in JSON
// (tlog.Hash's own encoding).
type InclusionProof struct {
	Seq      uint64      `json:"seq"`       // position of the event, 1-based (leaf Seq−1)
	Size     int64       `json:"tree_size"` // the tree the proof is for
	LeafHash tlog.Hash   `json:"leaf_hash"` // tlog.RecordHash of the event's bytes
	Root     tlog.Hash   `json:"root"`      // root of the tree of Size leaves
	Proof    []tlog.Hash `json:"proof"`     // RFC 6962 audit path
}

// Verify checks that event hashes to p.LeafHash and that p.Proof places that
// leaf at position p.Seq of the tree of p.Size leaves with root p.Root. It
// does not say the root is the ledger's: compare it with a signed checkpoint
// of the same size.
func (p InclusionProof) Verify(event []byte) error {
	if h := tlog.RecordHash(event); h != p.LeafHash {
		return fmt.Errorf("inclusion proof of position %d: the event hashes to %s, the proof is for leaf %s", p.Seq, h, p.LeafHash)
	}
	if p.Seq == 0 || p.Seq > math.MaxInt64 {
		return fmt.Errorf("inclusion proof of position %d: positions start at 1", p.Seq)
	}
	if err := tlog.CheckRecord(p.Proof, p.Size, p.Root, int64(p.Seq-1), p.LeafHash); err != nil {
		return fmt.Errorf("inclusion proof of position %d in the tree of size %d, root %s: %w", p.Seq, p.Size, p.Root, err)
	}
	return nil
}

// ConsistencyProof shows that the tree of NewSize leaves with root NewRoot
// extends the tree of OldSize leaves with root OldRoot: the log only grew.
type ConsistencyProof struct {
	OldSize int64       `json:"old_size"`
	OldRoot tlog.Hash   `json:"old_root"`
	NewSize int64       `json:"new_size"`
	NewRoot tlog.Hash   `json:"new_root"`
	Proof   []tlog.Hash `json:"proof"` // RFC 6962 consistency proof
}

// Verify checks the proof with tlog.CheckTree.
func (p ConsistencyProof) Verify() error {
	if err := tlog.CheckTree(p.Proof, p.NewSize, p.NewRoot, p.OldSize, p.OldRoot); err != nil {
		return fmt.Errorf("consistency proof from tree size %d, root %s to size %d, root %s: %w",
			p.OldSize, p.OldRoot, p.NewSize, p.NewRoot, err)
	}
	return nil
}

// Inclusion returns the inclusion proof of the event at position seq in the
// tree of the first size leaves, with the leaf hash and root it is checked
// against.
func (t *Tree) Inclusion(seq uint64, size int64) (InclusionProof, error) {
	// One read lock over proof, leaf and root, so that they are of the same
	// tree even if the writer appends meanwhile.
	t.mu.RLock()
	defer t.mu.RUnlock()
	proof, err := t.proveInclusion(seq, size)
	if err != nil {
		return InclusionProof{}, err
	}
	root, err := tlog.TreeHash(size, storedHashes{t})
	if err != nil {
		return InclusionProof{}, err
	}
	leaf := t.at(tlog.StoredHashIndex(0, int64(seq-1)))
	return InclusionProof{Seq: seq, Size: size, LeafHash: leaf, Root: root, Proof: proof}, nil
}

// Consistency returns the consistency proof from the tree of oldSize leaves
// to the tree of newSize leaves, with both roots.
func (t *Tree) Consistency(oldSize, newSize int64) (ConsistencyProof, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	proof, err := t.proveConsistency(oldSize, newSize)
	if err != nil {
		return ConsistencyProof{}, err
	}
	oldRoot, err := tlog.TreeHash(oldSize, storedHashes{t})
	if err != nil {
		return ConsistencyProof{}, err
	}
	newRoot, err := tlog.TreeHash(newSize, storedHashes{t})
	if err != nil {
		return ConsistencyProof{}, err
	}
	return ConsistencyProof{OldSize: oldSize, OldRoot: oldRoot, NewSize: newSize, NewRoot: newRoot, Proof: proof}, nil
}
