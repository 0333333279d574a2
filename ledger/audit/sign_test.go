package audit

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Test keys, generated once with note.GenerateKey. The impostor has the
// ledger's key name but another key.
const (
	ledgerSkey   = "PRIVATE+KEY+alliance-ledger/yrd-battery+ee7bc782+AfC+MjZ8RtS/9nw3rv3Lzo8Cr9coq/7WUF95anTDnxdZ"
	ledgerVkey   = "alliance-ledger/yrd-battery+ee7bc782+AQihRA+qA8R7WEN9xSJrF2K8Y5wM/tmWJvYGySc4L0qm"
	impostorSkey = "PRIVATE+KEY+alliance-ledger/yrd-battery+3989e05d+AcrcM037jS5HpoKdsdk7VrGlIVkgc4/T9/+aAi80GsHj"
	m01Skey      = "PRIVATE+KEY+member/M01+b2545515+ATOe9zFg8R37DNqmcsAog3E8Y2p6Du6XG/TDboQFD63T"
	m01Vkey      = "member/M01+b2545515+AYAaRhOmb/a6jCnZ4hynYm8WEoNkWkAn3pkYjJJHQyNJ"
	m02Skey      = "PRIVATE+KEY+member/M02+326d4e8d+ATlR/UX5+qC2SMKNanVB7xwezXAPit8KQyFMvXe29ANR"
	m02Vkey      = "member/M02+326d4e8d+ATlmr/MJ5EGCcn+I8NYmjcYkb9aymoSX2OrZxXzD0suw"
	m03Skey      = "PRIVATE+KEY+member/M03+64c057f4+AWiWYHVQWVFDt5MfsxpN4iVX+55SU2Q7DibduBn8/noa"
)

func signer(t testing.TB, skey string) note.Signer {
	t.Helper()
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func verifier(t testing.TB, vkey string) note.Verifier {
	t.Helper()
	v, err := LoadVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// checkpointOf returns the checkpoint of the first size leaves of tree.
func checkpointOf(t testing.TB, tree *Tree, size int64) Checkpoint {
	t.Helper()
	root, err := tree.Root(size)
	if err != nil {
		t.Fatal(err)
	}
	return Checkpoint{Origin: Origin("yrd-battery"), Size: size, Root: root}
}

func sign(t testing.TB, c Checkpoint, skeys ...string) []byte {
	t.Helper()
	var signers []note.Signer
	for _, k := range skeys {
		signers = append(signers, signer(t, k))
	}
	msg, err := Sign(c, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// TestSignedCheckpointBytes pins the whole signed note: Ed25519 signatures
// are deterministic, so the bytes of a checkpoint signed by a given key
// never change.
func TestSignedCheckpointBytes(t *testing.T) {
	c := Checkpoint{Origin: Origin("yrd-battery"), Size: 8, Root: knownRoot()}
	want := knownCheckpoint + "\n" +
		"— alliance-ledger/yrd-battery 7nvHguyLAol3NjU/df8XyIp43ovu2ZiumzHjfFiUAHUEvQH57eqkKOhFVFTVS1E5XnObQhokY4qWbLnyMVaAU1xlVg4=\n"
	if diff := cmp.Diff(want, string(sign(t, c, ledgerSkey))); diff != "" {
		t.Errorf("signed checkpoint (-want +got):\n%s", diff)
	}
}

func TestOpenCheckpoint(t *testing.T) {
	ledger := verifier(t, ledgerVkey)
	c := Checkpoint{Origin: Origin("yrd-battery"), Size: 8, Root: knownRoot()}
	signed := sign(t, c, ledgerSkey)

	n, got, err := OpenCheckpoint(signed, ledger)
	if err != nil {
		t.Fatalf("OpenCheckpoint: %v", err)
	}
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("checkpoint (-want +got):\n%s", diff)
	}
	if len(n.Sigs) != 1 || n.Sigs[0].Name != ledger.Name() || n.Sigs[0].Hash != ledger.KeyHash() {
		t.Errorf("verified signatures %+v, want the ledger's alone", n.Sigs)
	}

	// Co-signatures ride along, unverified.
	n, _, err = OpenCheckpoint(sign(t, c, ledgerSkey, m01Skey), ledger)
	if err != nil {
		t.Fatalf("OpenCheckpoint of a co-signed checkpoint: %v", err)
	}
	if len(n.UnverifiedSigs) != 1 || n.UnverifiedSigs[0].Name != "member/M01" {
		t.Errorf("unverified signatures %+v, want member/M01's", n.UnverifiedSigs)
	}

	refused := []struct {
		name string
		msg  []byte
		want string
	}{{
		name: "signed by another key of the same name",
		msg:  sign(t, c, impostorSkey),
		want: "open checkpoint: not signed by the ledger key alliance-ledger/yrd-battery+ee7bc782 (signed only by alliance-ledger/yrd-battery+3989e05d): note has no verifiable signatures",
	}, {
		name: "signed by a member only",
		msg:  sign(t, c, m01Skey),
		want: "open checkpoint: not signed by the ledger key alliance-ledger/yrd-battery+ee7bc782 (signed only by member/M01+b2545515): note has no verifiable signatures",
	}, {
		name: "tree size changed",
		msg:  bytes.Replace(signed, []byte("\n8\n"), []byte("\n9\n"), 1),
		want: "open checkpoint: the signature by key alliance-ledger/yrd-battery+ee7bc782 does not verify (the note was altered, or the signature is not that key's): invalid signature for key alliance-ledger/yrd-battery+ee7bc782",
	}, {
		name: "root changed",
		msg:  bytes.Replace(signed, []byte("XcnaeacG"), []byte("XcnaeacH"), 1),
		want: "open checkpoint: the signature by key alliance-ledger/yrd-battery+ee7bc782 does not verify (the note was altered, or the signature is not that key's): invalid signature for key alliance-ledger/yrd-battery+ee7bc782",
	}, {
		name: "extension line added",
		msg:  bytes.Replace(signed, []byte("=\n\n"), []byte("=\nextra\n\n"), 1),
		want: "open checkpoint: the signature by key alliance-ledger/yrd-battery+ee7bc782 does not verify (the note was altered, or the signature is not that key's): invalid signature for key alliance-ledger/yrd-battery+ee7bc782",
	}, {
		name: "no signature",
		msg:  c.Marshal(),
		want: "open checkpoint: not a well-formed signed note: malformed note",
	}, {
		name: "signed text is not a checkpoint",
		msg:  signNote(t, "hello\n", ledgerSkey),
		want: "open checkpoint signed by alliance-ledger/yrd-battery+ee7bc782: checkpoint ends after line 1: line 2 (tree size) is missing",
	}}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			_, c, err := OpenCheckpoint(tc.msg, ledger)
			if err == nil {
				t.Fatalf("OpenCheckpoint accepted %+v", c)
			}
			if err.Error() != tc.want {
				t.Errorf("error %q\nwant  %q", err, tc.want)
			}
		})
	}

	// The error keeps note's for errors.As.
	_, _, err = OpenCheckpoint(sign(t, c, impostorSkey), ledger)
	if unverified := (*note.UnverifiedNoteError)(nil); !errors.As(err, &unverified) {
		t.Errorf("error %v does not wrap a *note.UnverifiedNoteError", err)
	}
}

func signNote(t testing.TB, text string, skey string) []byte {
	t.Helper()
	msg, err := note.Sign(&note.Note{Text: text}, signer(t, skey))
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func TestSignRefuses(t *testing.T) {
	root := knownRoot()
	ledger := signer(t, ledgerSkey)
	for _, tc := range []struct {
		name    string
		c       Checkpoint
		signers []note.Signer
		want    string
	}{
		{"no origin", Checkpoint{Size: 1, Root: root}, []note.Signer{ledger}, `checkpoint origin "" is empty`},
		{"newline in origin", Checkpoint{Origin: "a\nb", Size: 1, Root: root}, []note.Signer{ledger}, `checkpoint origin "a\nb" contains control character U+000A`},
		{"negative size", Checkpoint{Origin: "a", Size: -1, Root: root}, []note.Signer{ledger}, "checkpoint size -1 is negative"},
		{"empty extension", Checkpoint{Origin: "a", Size: 1, Root: root, Extensions: []string{"x", ""}}, []note.Signer{ledger}, `checkpoint extension line 2 "" is empty`},
		{"no signer", Checkpoint{Origin: "a", Size: 1, Root: root}, nil, "sign checkpoint: no signer given"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := Sign(tc.c, tc.signers...)
			if err == nil {
				t.Fatalf("Sign = %q, want error %q", msg, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error %q\nwant  %q", err, tc.want)
			}
		})
	}
}

// cosignFixture is a log of 8 events with checkpoints the ledger signed at
// sizes 3 and 8, and a fork of it that differs from position 2 on.
type cosignFixture struct {
	ledger        note.Verifier
	members       []note.Verifier
	tree, fork    *Tree
	c3, c8        Checkpoint
	msg3, msg8    []byte
	forkC8        Checkpoint
	forkMsg8      []byte
	proof3to8     tlog.TreeProof
	forkProof3to8 tlog.TreeProof
}

func newCosignFixture(t *testing.T) *cosignFixture {
	f := &cosignFixture{
		ledger:  verifier(t, ledgerVkey),
		members: []note.Verifier{verifier(t, m01Vkey), verifier(t, m02Vkey)},
		tree:    treeOf(8),
		fork:    NewTree(),
	}
	for seq := int64(1); seq <= 8; seq++ {
		e := event(seq)
		if seq >= 2 {
			e = append(e, ' ') // the rewritten history
		}
		f.fork.Append(e)
	}
	var err error
	f.c3, f.c8, f.forkC8 = checkpointOf(t, f.tree, 3), checkpointOf(t, f.tree, 8), checkpointOf(t, f.fork, 8)
	f.msg3, f.msg8, f.forkMsg8 = sign(t, f.c3, ledgerSkey), sign(t, f.c8, ledgerSkey), sign(t, f.forkC8, ledgerSkey)
	if f.proof3to8, err = f.tree.ProveConsistency(3, 8); err != nil {
		t.Fatal(err)
	}
	if f.forkProof3to8, err = f.fork.ProveConsistency(3, 8); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *cosignFixture) cosigners(t *testing.T, msg []byte) []string {
	t.Helper()
	names, err := Cosigners(msg, f.ledger, f.members)
	if err != nil {
		t.Fatalf("Cosigners: %v", err)
	}
	return names
}

func TestCoSign(t *testing.T) {
	f := newCosignFixture(t)
	m01, m02 := signer(t, m01Skey), signer(t, m02Skey)

	// M01 signs the first checkpoint it sees as is: there is nothing to
	// compare it with.
	msg3, err := CoSign(f.msg3, f.ledger, nil, nil, m01)
	if err != nil {
		t.Fatalf("CoSign of the first checkpoint: %v", err)
	}
	if !bytes.HasPrefix(msg3, f.msg3) {
		t.Errorf("co-signing changed what was there:\n%s\nbecame\n%s", f.msg3, msg3)
	}
	if diff := cmp.Diff([]string{"member/M01"}, f.cosigners(t, msg3)); diff != "" {
		t.Errorf("Cosigners (-want +got):\n%s", diff)
	}

	// Then the checkpoint at 8, which extends the one at 3.
	msg8, err := CoSign(f.msg8, f.ledger, &f.c3, f.proof3to8, m01)
	if err != nil {
		t.Fatalf("CoSign of a checkpoint extending the last: %v", err)
	}
	// M02 joins, signing after M01; the order is kept.
	msg8, err = CoSign(msg8, f.ledger, nil, nil, m02)
	if err != nil {
		t.Fatalf("CoSign by a second member: %v", err)
	}
	if diff := cmp.Diff([]string{"member/M01", "member/M02"}, f.cosigners(t, msg8)); diff != "" {
		t.Errorf("Cosigners (-want +got):\n%s", diff)
	}
	// M01 signing the same checkpoint again replaces its signature: it is
	// now the last one, and there is still one.
	again, err := CoSign(msg8, f.ledger, &f.c8, nil, m01)
	if err != nil {
		t.Fatalf("CoSign of the same checkpoint again: %v", err)
	}
	if diff := cmp.Diff([]string{"member/M02", "member/M01"}, f.cosigners(t, again)); diff != "" {
		t.Errorf("Cosigners after signing again (-want +got):\n%s", diff)
	}
	if n := bytes.Count(again, []byte("— member/M01 ")); n != 1 {
		t.Errorf("%d signatures by member/M01, want 1:\n%s", n, again)
	}
	// The co-signed checkpoint still opens for anyone with the ledger key.
	if _, c, err := OpenCheckpoint(msg8, f.ledger); err != nil || c.Size != 8 {
		t.Errorf("OpenCheckpoint of the co-signed note = %+v, %v", c, err)
	}

	// A member that signed the empty log signs anything that follows, with
	// no proof.
	empty := Checkpoint{Origin: Origin("yrd-battery"), Size: 0, Root: emptyRoot}
	if _, err := CoSign(f.msg3, f.ledger, &empty, nil, m01); err != nil {
		t.Errorf("CoSign after the empty checkpoint: %v", err)
	}
}

func TestCoSignRefuses(t *testing.T) {
	f := newCosignFixture(t)
	m01 := signer(t, m01Skey)
	otherLog := f.c3
	otherLog.Origin = Origin("other")
	empty := Checkpoint{Origin: Origin("yrd-battery"), Size: 0, Root: emptyRoot}
	emptyWrongRoot := empty
	emptyWrongRoot.Root = f.c3.Root

	for _, tc := range []struct {
		name   string
		msg    []byte
		prev   *Checkpoint
		proof  tlog.TreeProof
		member note.Signer
		want   string
	}{{
		name: "a forked log, with its own proof",
		msg:  f.forkMsg8, prev: &f.c3, proof: f.forkProof3to8, member: m01,
		want: "co-sign: checkpoint of tree size 8, root " + f.forkC8.Root.String() + " does not extend the last one co-signed, of size 3, root " + f.c3.Root.String() + ": invalid transparency proof",
	}, {
		name: "the right checkpoint with a proof from another tree",
		msg:  f.msg8, prev: &f.c3, proof: f.forkProof3to8, member: m01,
		want: "co-sign: checkpoint of tree size 8, root " + f.c8.Root.String() + " does not extend the last one co-signed, of size 3, root " + f.c3.Root.String() + ": invalid transparency proof",
	}, {
		name: "no proof",
		msg:  f.msg8, prev: &f.c3, proof: nil, member: m01,
		want: "co-sign: checkpoint of tree size 8, root " + f.c8.Root.String() + " does not extend the last one co-signed, of size 3, root " + f.c3.Root.String() + ": invalid transparency proof",
	}, {
		name: "a smaller tree",
		msg:  f.msg3, prev: &f.c8, proof: nil, member: m01,
		want: "co-sign: checkpoint of tree size 3 is smaller than the last one co-signed, of size 8: the log would have lost events",
	}, {
		name: "another log",
		msg:  f.msg8, prev: &otherLog, proof: f.proof3to8, member: m01,
		want: `co-sign: checkpoint is of log "alliance-ledger/yrd-battery", the last one co-signed is of log "alliance-ledger/other"`,
	}, {
		name: "a proof from the empty tree",
		msg:  f.msg3, prev: &empty, proof: f.proof3to8, member: m01,
		want: fmt.Sprintf("co-sign: a consistency proof from the empty tree has no hashes, this one has %d", len(f.proof3to8)),
	}, {
		name: "an empty previous checkpoint with a root",
		msg:  f.msg3, prev: &emptyWrongRoot, proof: nil, member: m01,
		want: "co-sign: the last checkpoint co-signed has size 0 but root " + f.c3.Root.String() + ", not the empty tree's",
	}, {
		name: "not signed by the ledger",
		msg:  sign(t, f.c8, impostorSkey), prev: &f.c3, proof: f.proof3to8, member: m01,
		want: "co-sign: open checkpoint: not signed by the ledger key alliance-ledger/yrd-battery+ee7bc782 (signed only by alliance-ledger/yrd-battery+3989e05d): note has no verifiable signatures",
	}, {
		name: "the ledger's own key",
		msg:  f.msg8, prev: &f.c3, proof: f.proof3to8, member: signer(t, ledgerSkey),
		want: "co-sign: member key alliance-ledger/yrd-battery+ee7bc782 is the ledger's own key",
	}, {
		name: "one signature too many",
		msg:  withSigLines(f.msg8, sign(t, f.c8, m03Skey), 99), prev: nil, proof: nil, member: m01,
		want: "co-sign: the checkpoint would carry 101 signatures, and note.Open refuses a note with more than 100",
	}, {
		name: "no member key",
		msg:  f.msg8, prev: &f.c3, proof: f.proof3to8, member: nil,
		want: "co-sign: no member key given",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := CoSign(tc.msg, f.ledger, tc.prev, tc.proof, tc.member)
			if err == nil {
				t.Fatalf("CoSign signed:\n%s", msg)
			}
			if err.Error() != tc.want {
				t.Errorf("error %q\nwant  %q", err, tc.want)
			}
		})
	}
}

func TestCosigners(t *testing.T) {
	f := newCosignFixture(t)

	// Unknown keys (M03 is not a member here) are not listed; the members
	// are, in the order they signed.
	msg := sign(t, f.c8, ledgerSkey, m02Skey, m03Skey, m01Skey)
	if diff := cmp.Diff([]string{"member/M02", "member/M01"}, f.cosigners(t, msg)); diff != "" {
		t.Errorf("Cosigners (-want +got):\n%s", diff)
	}
	if got := f.cosigners(t, f.msg8); len(got) != 0 {
		t.Errorf("Cosigners of a checkpoint only the ledger signed = %q", got)
	}

	// M01's signature of the checkpoint at 3, pasted under the one at 8.
	forged := withSigLines(f.msg8, sign(t, f.c3, m01Skey), 1)

	for _, tc := range []struct {
		name string
		msg  []byte
		want string
	}{{
		name: "a member's signature that does not verify",
		msg:  forged,
		want: "cosigners: the signature by key member/M01+b2545515 does not verify (the note was altered, or the signature is not that key's): invalid signature for key member/M01+b2545515",
	}, {
		name: "signed by members but not the ledger",
		msg:  sign(t, f.c8, m01Skey, m02Skey),
		want: "cosigners: checkpoint is not signed by the ledger key alliance-ledger/yrd-battery+ee7bc782",
	}, {
		name: "signed by no one known",
		msg:  sign(t, f.c8, impostorSkey),
		want: "cosigners: not signed by the ledger key alliance-ledger/yrd-battery+ee7bc782 (signed only by alliance-ledger/yrd-battery+3989e05d): note has no verifiable signatures",
	}, {
		name: "not a checkpoint",
		msg:  signNote(t, "hello\n", ledgerSkey),
		want: "cosigners: checkpoint ends after line 1: line 2 (tree size) is missing",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			names, err := Cosigners(tc.msg, f.ledger, f.members)
			if err == nil {
				t.Fatalf("Cosigners = %q, want error", names)
			}
			if err.Error() != tc.want {
				t.Errorf("error %q\nwant  %q", err, tc.want)
			}
		})
	}
}

// TestCoSignedDispute is the use the co-signatures are for: a member holds an
// event, its inclusion proof and a checkpoint both sides signed, and checks
// them with nothing but the ledger's and its own public keys.
func TestCoSignedDispute(t *testing.T) {
	f := newCosignFixture(t)
	msg, err := CoSign(f.msg8, f.ledger, nil, nil, signer(t, m01Skey))
	if err != nil {
		t.Fatal(err)
	}
	proof, err := f.tree.Inclusion(5, 8)
	if err != nil {
		t.Fatal(err)
	}

	names, err := Cosigners(msg, f.ledger, f.members)
	if err != nil || !strings.Contains(strings.Join(names, " "), "member/M01") {
		t.Fatalf("Cosigners = %q, %v", names, err)
	}
	_, c, err := OpenCheckpoint(msg, f.ledger)
	if err != nil {
		t.Fatal(err)
	}
	if c.Size != proof.Size || c.Root != proof.Root {
		t.Fatalf("proof is for tree %d %s, checkpoint is %d %s", proof.Size, proof.Root, c.Size, c.Root)
	}
	if err := proof.Verify(event(5)); err != nil {
		t.Fatal(err)
	}
}

// withSigLines returns msg with the signature line of other appended n times.
func withSigLines(msg, other []byte, n int) []byte {
	line := other[bytes.LastIndex(other, []byte("\n\n"))+2:]
	out := append([]byte(nil), msg...)
	for range n {
		out = append(out, line...)
	}
	return out
}
