package audit

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/tlog"
)

// event returns the bytes of a plausible stored event at position seq,
// different for every position.
func event(seq int64) []byte {
	return fmt.Appendf(nil, `{"seq":%d,"type":"contribution.recorded","alliance":"yrd-battery","payload":{"member":"M%02d","project":"P%d","value":"%d.00 CNY"}}`,
		seq, seq%13+1, seq%5+1, seq*1000)
}

// treeOf returns a Tree of the events at positions 1..n.
func treeOf(n int64) *Tree {
	t := NewTree()
	for seq := int64(1); seq <= n; seq++ {
		t.Append(event(seq))
	}
	return t
}

// reference computes the same trees the plain way tlog's own tests do, with
// the stored hashes in one slice, so roots and proofs are checked against a
// computation that shares nothing with Tree but tlog.
type reference struct {
	hashes []tlog.Hash
	n      int64
}

func referenceOf(n int64) *reference {
	r := &reference{}
	for seq := int64(1); seq <= n; seq++ {
		hs, err := tlog.StoredHashes(r.n, event(seq), r)
		if err != nil {
			panic(err)
		}
		r.hashes = append(r.hashes, hs...)
		r.n++
	}
	return r
}

func (r *reference) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		out[i] = r.hashes[x]
	}
	return out, nil
}

func (r *reference) root(t *testing.T, size int64) tlog.Hash {
	t.Helper()
	h, err := tlog.TreeHash(size, r)
	if err != nil {
		t.Fatalf("reference root of size %d: %v", size, err)
	}
	return h
}

// mth is RFC 6962's definition of the Merkle tree hash (section 2.1),
// recursion and all: a third computation of the root, from the RFC's text.
func mth(leaves [][]byte) tlog.Hash {
	switch n := len(leaves); n {
	case 0:
		h, _ := tlog.TreeHash(0, nil)
		return h
	case 1:
		return tlog.RecordHash(leaves[0])
	default:
		k := 1
		for k*2 < n {
			k *= 2
		}
		return tlog.NodeHash(mth(leaves[:k]), mth(leaves[k:]))
	}
}

const bigTree = 3000

var (
	bigOnce sync.Once
	bigT    *Tree
	bigRef  *reference
)

// big returns a Tree of bigTree events and its reference, built once.
func big() (*Tree, *reference) {
	bigOnce.Do(func() {
		bigT = treeOf(bigTree)
		bigRef = referenceOf(bigTree)
	})
	return bigT, bigRef
}

func TestRootEverySize(t *testing.T) {
	tree, ref := big()
	if got := tree.Size(); got != bigTree {
		t.Fatalf("Size() = %d, want %d", got, bigTree)
	}
	var events [][]byte
	for size := int64(1); size <= bigTree; size++ {
		got, err := tree.Root(size)
		if err != nil {
			t.Fatalf("Root(%d): %v", size, err)
		}
		if want := ref.root(t, size); got != want {
			t.Fatalf("Root(%d) = %s, tlog.TreeHash says %s", size, got, want)
		}
		if size <= 300 {
			events = append(events, event(size))
			if want := mth(events); got != want {
				t.Fatalf("Root(%d) = %s, RFC 6962's MTH says %s", size, got, want)
			}
		}
	}
}

func TestRootWhileAppending(t *testing.T) {
	ref := referenceOf(300)
	tree := NewTree()
	for size := int64(1); size <= 300; size++ {
		tree.Append(event(size))
		got, err := tree.Root(tree.Size())
		if err != nil {
			t.Fatal(err)
		}
		if want := ref.root(t, size); got != want {
			t.Fatalf("after %d appends, root %s, want %s", size, got, want)
		}
	}
}

func TestAppendLeafHashIsAppend(t *testing.T) {
	a, b := treeOf(100), NewTree()
	for seq := int64(1); seq <= 100; seq++ {
		b.AppendLeafHash(tlog.RecordHash(event(seq)))
	}
	ra, _ := a.Root(100)
	rb, _ := b.Root(100)
	if ra != rb {
		t.Errorf("root of appended events %s, of appended leaf hashes %s", ra, rb)
	}
}

// TestZeroTree: the zero Tree is an empty tree, as documented.
func TestZeroTree(t *testing.T) {
	var tree Tree
	tree.Append([]byte("x"))
	if got, want := tree.Size(), int64(1); got != want {
		t.Errorf("Size() = %d, want %d", got, want)
	}
}

func TestLeafHash(t *testing.T) {
	tree, _ := big()
	for _, seq := range []uint64{1, 2, 3, 4096, 4097, bigTree} {
		if seq > bigTree {
			continue
		}
		got, err := tree.LeafHash(seq)
		if err != nil {
			t.Fatalf("LeafHash(%d): %v", seq, err)
		}
		if want := tlog.RecordHash(event(int64(seq))); got != want {
			t.Errorf("LeafHash(%d) = %s, want %s", seq, got, want)
		}
	}
}

// sample returns the positions 1, 2, the middle, size−1, size and a few at
// random, the ones proofs go wrong at.
func sample(rng *rand.Rand, size int64) []int64 {
	s := []int64{1, 2, size / 2, size - 1, size}
	for range 3 {
		s = append(s, 1+rng.Int64N(size))
	}
	var out []int64
	for _, x := range s {
		if x >= 1 && x <= size {
			out = append(out, x)
		}
	}
	return out
}

// proofSizes are the tree sizes proofs are checked at: every size up to 70,
// then powers of two and their neighbours, and a few others.
func proofSizes() []int64 {
	var sizes []int64
	for s := int64(1); s <= 70; s++ {
		sizes = append(sizes, s)
	}
	for p := int64(128); p <= 2048; p *= 2 {
		sizes = append(sizes, p-1, p, p+1)
	}
	return append(sizes, 100, 300, 1000, 2999, bigTree)
}

func TestInclusionProofs(t *testing.T) {
	tree, ref := big()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range proofSizes() {
		root := ref.root(t, size)
		for _, seq := range sample(rng, size) {
			proof, err := tree.ProveInclusion(uint64(seq), size)
			if err != nil {
				t.Fatalf("ProveInclusion(%d, %d): %v", seq, size, err)
			}
			leaf := tlog.RecordHash(event(seq))
			if err := tlog.CheckRecord(proof, size, root, seq-1, leaf); err != nil {
				t.Fatalf("proof of position %d in tree size %d: %v", seq, size, err)
			}

			// The same proof says nothing about another leaf, root or
			// position. Nor about a tree of another shape: the proof binds
			// the root, not the size (a proof in a tree of 3 also checks in
			// one of 4, with the same root), which is why checkpoints sign
			// size and root together. Doubling or halving the size changes
			// the shape, so those must fail, as in the CT verifier's tests.
			wrong := []struct {
				name       string
				size       int64
				root       tlog.Hash
				index      int64
				leaf       tlog.Hash
				trueAnyway bool // a wrong claim the proof cannot tell apart
			}{
				{name: "another event", size: size, root: root, index: seq - 1, leaf: tlog.RecordHash(event(seq + 1))},
				{name: "another root", size: size, root: tlog.RecordHash(nil), index: seq - 1, leaf: leaf},
				{name: "another position", size: size, root: root, index: seq % size, leaf: leaf, trueAnyway: size == 1},
				{name: "a tree twice as large", size: 2 * size, root: root, index: seq - 1, leaf: leaf},
				{name: "a tree half as large", size: size / 2, root: root, index: seq - 1, leaf: leaf},
			}
			for _, w := range wrong {
				if w.trueAnyway || w.size < 1 || w.index >= w.size {
					continue
				}
				if err := tlog.CheckRecord(proof, w.size, w.root, w.index, w.leaf); err == nil {
					t.Errorf("proof of position %d in tree size %d also verifies for %s", seq, size, w.name)
				}
			}
		}
	}
}

func TestConsistencyProofs(t *testing.T) {
	tree, ref := big()
	type pair struct{ old, new int64 }
	var pairs []pair
	for n := int64(1); n <= 64; n++ {
		for o := int64(1); o <= n; o++ {
			pairs = append(pairs, pair{o, n})
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	sizes := proofSizes()
	for range 400 {
		a, b := sizes[rng.IntN(len(sizes))], sizes[rng.IntN(len(sizes))]
		pairs = append(pairs, pair{min(a, b), max(a, b)})
	}
	for _, p := range pairs {
		proof, err := tree.ProveConsistency(p.old, p.new)
		if err != nil {
			t.Fatalf("ProveConsistency(%d, %d): %v", p.old, p.new, err)
		}
		oldRoot, newRoot := ref.root(t, p.old), ref.root(t, p.new)
		if err := tlog.CheckTree(proof, p.new, newRoot, p.old, oldRoot); err != nil {
			t.Fatalf("consistency proof %d→%d: %v", p.old, p.new, err)
		}
		if p.old == p.new {
			continue // the proof is empty: it has nothing to be wrong about
		}
		other := tlog.RecordHash([]byte("not a root"))
		wrong := []struct {
			name     string
			old, new int64
			oldRoot  tlog.Hash
			newRoot  tlog.Hash
		}{
			{"another old root", p.old, p.new, other, newRoot},
			{"another new root", p.old, p.new, oldRoot, other},
			{"swapped roots", p.old, p.new, newRoot, oldRoot},
			{"an old size one smaller", p.old - 1, p.new, oldRoot, newRoot},
			{"an old size one larger", p.old + 1, p.new, oldRoot, newRoot},
			{"a new tree twice as large", p.old, 2 * p.new, oldRoot, newRoot},
			{"a new tree half as large", p.old, p.new / 2, oldRoot, newRoot},
		}
		for _, w := range wrong {
			if w.old < 1 || w.old > w.new {
				continue
			}
			if err := tlog.CheckTree(proof, w.new, w.newRoot, w.old, w.oldRoot); err == nil {
				t.Errorf("consistency proof %d→%d also verifies for %s", p.old, p.new, w.name)
			}
		}
	}
}

// TestRFC6962KnownAnswers pins the tree to RFC 6962 with the test vectors
// every Certificate Transparency implementation checks against: leaves "",
// 0x00, 0x10, 0x2021, ..., the roots of sizes 0 to 8, and proofs in those
// trees. They come from Google's certificate-transparency reference code, as
// republished in github.com/transparency-dev/merkle, testonly/constants.go
// (RootHashes) and proof/verify_test.go (inclusionProofs, consistencyProofs,
// whose leaf numbers are 1-based like positions here).
func TestRFC6962KnownAnswers(t *testing.T) {
	leaves := []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}
	roots := []string{
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", // empty tree: SHA-256("")
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}
	tree := NewTree()
	for _, l := range leaves {
		b, _ := hex.DecodeString(l)
		tree.Append(b)
	}
	for size, want := range roots {
		got, err := tree.Root(int64(size))
		if err != nil {
			t.Fatalf("Root(%d): %v", size, err)
		}
		if hex.EncodeToString(got[:]) != want {
			t.Errorf("Root(%d) = %x, RFC 6962 says %s", size, got, want)
		}
	}

	hexes := func(s string) []string { return strings.Fields(s) }
	inclusion := []struct {
		seq   uint64
		size  int64
		proof []string
	}{
		{1, 1, nil},
		{1, 8, hexes("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7 5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e 6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")},
		{6, 8, hexes("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0 d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")},
		{3, 3, hexes("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")},
		{2, 5, hexes("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d 5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")},
	}
	for _, tc := range inclusion {
		proof, err := tree.ProveInclusion(tc.seq, tc.size)
		if err != nil {
			t.Fatalf("ProveInclusion(%d, %d): %v", tc.seq, tc.size, err)
		}
		if diff := cmp.Diff(tc.proof, hexList(proof)); diff != "" {
			t.Errorf("ProveInclusion(%d, %d) differs from RFC 6962's (-want +got):\n%s", tc.seq, tc.size, diff)
		}
	}

	consistency := []struct {
		old, new int64
		proof    []string
	}{
		{1, 1, nil},
		{1, 8, hexes("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7 5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e 6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")},
		{6, 8, hexes("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0 d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")},
		{2, 5, hexes("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")},
		{6, 7, hexes("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")},
	}
	for _, tc := range consistency {
		proof, err := tree.ProveConsistency(tc.old, tc.new)
		if err != nil {
			t.Fatalf("ProveConsistency(%d, %d): %v", tc.old, tc.new, err)
		}
		if diff := cmp.Diff(tc.proof, hexList(proof)); diff != "" {
			t.Errorf("ProveConsistency(%d, %d) differs from RFC 6962's (-want +got):\n%s", tc.old, tc.new, diff)
		}
	}
}

func hexList[P ~[]tlog.Hash](p P) []string {
	var out []string
	for _, h := range p {
		out = append(out, hex.EncodeToString(h[:]))
	}
	return out
}

func TestTreeRejects(t *testing.T) {
	tree := treeOf(10)
	errs := []struct {
		name string
		err  error
		want string
	}{
		{"LeafHash(0)", second(tree.LeafHash(0)), "position 0: positions start at 1"},
		{"LeafHash(11)", second(tree.LeafHash(11)), "position 11 is beyond tree size 10"},
		{"Root(-1)", second(tree.Root(-1)), "root of tree size -1: the tree has 10 leaves"},
		{"Root(11)", second(tree.Root(11)), "root of tree size 11: the tree has 10 leaves"},
		{"ProveInclusion(0, 5)", second(tree.ProveInclusion(0, 5)), "position 0: positions start at 1"},
		{"ProveInclusion(6, 5)", second(tree.ProveInclusion(6, 5)), "position 6 is beyond tree size 5"},
		{"ProveInclusion(1, 0)", second(tree.ProveInclusion(1, 0)), "inclusion proof of position 1: tree size 0: a proof needs at least one leaf"},
		{"ProveInclusion(1, 11)", second(tree.ProveInclusion(1, 11)), "inclusion proof of position 1: tree size 11: the tree has 10 leaves"},
		{"ProveConsistency(0, 5)", second(tree.ProveConsistency(0, 5)), "consistency proof from tree size 0: the old size must be at least 1 (every tree extends the empty tree)"},
		{"ProveConsistency(6, 5)", second(tree.ProveConsistency(6, 5)), "consistency proof from tree size 6 to 5: the new tree is smaller"},
		{"ProveConsistency(5, 11)", second(tree.ProveConsistency(5, 11)), "consistency proof to tree size 11: the tree has 10 leaves"},
		{"ReadHashes(beyond)", second(tree.ReadHashes([]int64{tlog.StoredHashCount(10)})), "stored hash 18 does not exist: the tree of 10 leaves stores 18"},
		{"Inclusion(11, 10)", second(tree.Inclusion(11, 10)), "position 11 is beyond tree size 10"},
		{"Consistency(3, 2)", second(tree.Consistency(3, 2)), "consistency proof from tree size 3 to 2: the new tree is smaller"},
	}
	for _, e := range errs {
		if e.err == nil {
			t.Errorf("%s: no error, want %q", e.name, e.want)
		} else if e.err.Error() != e.want {
			t.Errorf("%s: error %q, want %q", e.name, e.err, e.want)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// TestTreeConcurrent serves proofs while the writer appends; run with -race.
func TestTreeConcurrent(t *testing.T) {
	tree := treeOf(1)
	var wg sync.WaitGroup
	wg.Go(func() {
		for seq := int64(2); seq <= 2000; seq++ {
			tree.Append(event(seq))
		}
	})
	for range 4 {
		wg.Go(func() {
			for range 200 {
				size := tree.Size()
				p, err := tree.Inclusion(uint64(size), size)
				if err != nil {
					t.Error(err)
					return
				}
				if err := p.Verify(event(size)); err != nil {
					t.Error(err)
					return
				}
				if _, err := tlog.TreeHash(size, tree); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestTreeMemory checks the "about two hashes per leaf" the Tree promises.
func TestTreeMemory(t *testing.T) {
	tree, _ := big()
	var capacity int
	for _, c := range tree.chunks {
		capacity += cap(c)
	}
	perLeaf := float64(capacity*tlog.HashSize) / float64(tree.Size())
	if perLeaf > 2.1*tlog.HashSize {
		t.Errorf("tree of %d leaves holds %.1f bytes of hashes per leaf, want about %d", tree.Size(), perLeaf, 2*tlog.HashSize)
	}
}

// AppendLeafHash computes the stored hashes itself; they must be exactly
// the ones tlog.StoredHashesForRecordHash gives, in the same order.
func TestTreeMatchesTlog(t *testing.T) {
	tree := NewTree()
	var ref []tlog.Hash
	for n := int64(0); n < 5000; n++ {
		h := tlog.RecordHash(event(n + 1))
		hashes, err := tlog.StoredHashesForRecordHash(n, h, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(idx))
			for i, x := range idx {
				out[i] = ref[x]
			}
			return out, nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		ref = append(ref, hashes...)
		tree.AppendLeafHash(h)
	}
	if got := tree.stored(); got != int64(len(ref)) {
		t.Fatalf("%d stored hashes, tlog has %d", got, len(ref))
	}
	for i, want := range ref {
		if got := tree.at(int64(i)); got != want {
			t.Fatalf("stored hash %d = %s, tlog says %s", i, got, want)
		}
	}
}
