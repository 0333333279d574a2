package audit

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/tlog"
)

func TestInclusionProof(t *testing.T) {
	tree, ref := big()
	for _, tc := range []struct{ seq, size int64 }{{1, 1}, {1, 2}, {5, 8}, {8, 8}, {700, 1025}, {bigTree, bigTree}} {
		p, err := tree.Inclusion(uint64(tc.seq), tc.size)
		if err != nil {
			t.Fatalf("Inclusion(%d, %d): %v", tc.seq, tc.size, err)
		}
		if p.Root != ref.root(t, tc.size) || p.LeafHash != tlog.RecordHash(event(tc.seq)) {
			t.Errorf("Inclusion(%d, %d) has root %s, leaf %s", tc.seq, tc.size, p.Root, p.LeafHash)
		}
		if err := p.Verify(event(tc.seq)); err != nil {
			t.Errorf("Inclusion(%d, %d).Verify: %v", tc.seq, tc.size, err)
		}
		// What a verifier receives is JSON.
		var back InclusionProof
		roundTrip(t, p, &back)
		if err := back.Verify(event(tc.seq)); err != nil {
			t.Errorf("Inclusion(%d, %d) after JSON: %v", tc.seq, tc.size, err)
		}
	}

	p, err := tree.Inclusion(5, 8)
	if err != nil {
		t.Fatal(err)
	}
	other := tlog.RecordHash([]byte("other"))
	for _, tc := range []struct {
		name  string
		edit  func(*InclusionProof)
		event []byte
		want  string
	}{
		{"another event", nil, event(6),
			"inclusion proof of position 5: the event hashes to " + tlog.RecordHash(event(6)).String() + ", the proof is for leaf " + p.LeafHash.String()},
		{"another root", func(p *InclusionProof) { p.Root = other }, event(5),
			"inclusion proof of position 5 in the tree of size 8, root " + other.String() + ": invalid transparency proof"},
		{"another position", func(p *InclusionProof) { p.Seq = 6 }, event(5),
			"inclusion proof of position 6 in the tree of size 8, root " + p.Root.String() + ": invalid transparency proof"},
		{"a position beyond the tree", func(p *InclusionProof) { p.Seq = 9 }, event(5),
			"inclusion proof of position 9 in the tree of size 8, root " + p.Root.String() + ": tlog: invalid inputs in CheckRecord"},
		{"position 0", func(p *InclusionProof) { p.Seq = 0 }, event(5),
			"inclusion proof of position 0: positions start at 1"},
		{"a proof cut short", func(p *InclusionProof) { p.Proof = p.Proof[1:] }, event(5),
			"inclusion proof of position 5 in the tree of size 8, root " + p.Root.String() + ": invalid transparency proof"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := p
			q.Proof = append([]tlog.Hash(nil), p.Proof...)
			if tc.edit != nil {
				tc.edit(&q)
			}
			err := q.Verify(tc.event)
			if err == nil {
				t.Fatal("Verify accepted it")
			}
			if err.Error() != tc.want {
				t.Errorf("error %q\nwant  %q", err, tc.want)
			}
		})
	}
}

func TestConsistencyProof(t *testing.T) {
	tree, ref := big()
	for _, tc := range []struct{ old, new int64 }{{1, 1}, {1, 2}, {3, 8}, {8, 8}, {1000, 1025}, {1, bigTree}} {
		p, err := tree.Consistency(tc.old, tc.new)
		if err != nil {
			t.Fatalf("Consistency(%d, %d): %v", tc.old, tc.new, err)
		}
		if p.OldRoot != ref.root(t, tc.old) || p.NewRoot != ref.root(t, tc.new) {
			t.Errorf("Consistency(%d, %d) has roots %s, %s", tc.old, tc.new, p.OldRoot, p.NewRoot)
		}
		if err := p.Verify(); err != nil {
			t.Errorf("Consistency(%d, %d).Verify: %v", tc.old, tc.new, err)
		}
		var back ConsistencyProof
		roundTrip(t, p, &back)
		if err := back.Verify(); err != nil {
			t.Errorf("Consistency(%d, %d) after JSON: %v", tc.old, tc.new, err)
		}
	}

	p, err := tree.Consistency(3, 8)
	if err != nil {
		t.Fatal(err)
	}
	q := p
	q.OldRoot = p.NewRoot
	want := "consistency proof from tree size 3, root " + p.NewRoot.String() + " to size 8, root " + p.NewRoot.String() + ": invalid transparency proof"
	if err := q.Verify(); err == nil || err.Error() != want {
		t.Errorf("Verify with the wrong old root: %v, want %q", err, want)
	}
}

// TestProofJSON shows the wire form: hashes are base64 strings, as
// tlog.Hash marshals itself.
func TestProofJSON(t *testing.T) {
	tree := treeOf(2)
	p, err := tree.Inclusion(1, 2)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"seq":1,"tree_size":2,"leaf_hash":"` + p.LeafHash.String() + `","root":"` + p.Root.String() +
		`","proof":["` + tlog.RecordHash(event(2)).String() + `"]}`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
	var bad InclusionProof
	if err := json.Unmarshal([]byte(strings.Replace(want, `"root":"`, `"root":"x`, 1)), &bad); err == nil {
		t.Error("a malformed root hash unmarshalled")
	}
}

func roundTrip(t *testing.T, v, back any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, back); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
}
