package audit

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Sign returns c as a signed note, signed by each of signers in order (the
// ledger's key first, by convention).
func Sign(c Checkpoint, signers ...note.Signer) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if len(signers) == 0 {
		return nil, errors.New("sign checkpoint: no signer given")
	}
	msg, err := note.Sign(&note.Note{Text: string(c.Marshal())}, signers...)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	return msg, nil
}

// OpenCheckpoint verifies that msg is a note signed by the ledger's key and
// parses its checkpoint. Other signatures may be present (members'
// co-signatures, a previous ledger key): they are returned in the note's
// UnverifiedSigs, unchecked. The caller still has to check that the origin
// is the log it expects.
func OpenCheckpoint(msg []byte, ledger note.Verifier) (*note.Note, Checkpoint, error) {
	if ledger == nil {
		return nil, Checkpoint{}, errors.New("open checkpoint: no ledger key given")
	}
	n, err := openNote(msg, note.VerifierList(ledger))
	if err != nil {
		return nil, Checkpoint{}, fmt.Errorf("open checkpoint: %w", explainOpen(err, ledger))
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return nil, Checkpoint{}, fmt.Errorf("open checkpoint signed by %s: %w", keyID(ledger.Name(), ledger.KeyHash()), err)
	}
	return n, c, nil
}

// openNote is note.Open that also refuses a signature not spelled in
// canonical base64. note.Open decodes signatures leniently, ignoring the
// unused low bits of the last character before the padding, so a signed
// note altered there still verified: one signature, several spellings.
// note.Sign never writes those bits, so a note that has them was altered.
func openNote(msg []byte, known note.Verifiers) (*note.Note, error) {
	n, err := note.Open(msg, known)
	if err != nil {
		return nil, err
	}
	for _, sigs := range [][]note.Signature{n.Sigs, n.UnverifiedSigs} {
		for _, s := range sigs {
			if b, err := base64.StdEncoding.DecodeString(s.Base64); err != nil || base64.StdEncoding.EncodeToString(b) != s.Base64 {
				return nil, &note.InvalidSignatureError{Name: s.Name, Hash: s.Hash}
			}
		}
	}
	return n, nil
}

// explainOpen turns note.Open's errors into what went wrong for a
// checkpoint, keeping the original error wrapped for errors.As.
func explainOpen(err error, ledger note.Verifier) error {
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		var by []string
		for _, s := range unverified.Note.UnverifiedSigs {
			by = append(by, keyID(s.Name, s.Hash))
		}
		return fmt.Errorf("not signed by the ledger key %s (signed only by %s): %w",
			keyID(ledger.Name(), ledger.KeyHash()), strings.Join(by, ", "), err)
	case errors.As(err, &invalid):
		return fmt.Errorf("the signature by key %s does not verify (the note was altered, or the signature is not that key's): %w",
			keyID(invalid.Name, invalid.Hash), err)
	}
	return fmt.Errorf("not a well-formed signed note: %w", err)
}

// keyID names a key the way a verifier key string starts: name+hash.
func keyID(name string, hash uint32) string { return fmt.Sprintf("%s+%08x", name, hash) }

// CoSign is what a member runs before vouching for a checkpoint: it checks
// that msg is signed by the ledger and that its tree extends the last
// checkpoint the member signed (prev, nil for the member's first), by the
// consistency proof from prev to it, and only then adds the member's
// signature after the signatures already there. Having signed both, the
// member can later show that the ledger forked or rewrote its log if it
// ever presents a checkpoint that does not extend them.
//
// A prev of size 0 needs no proof: every tree extends the empty tree.
func CoSign(msg []byte, ledger note.Verifier, prev *Checkpoint, proof tlog.TreeProof, member note.Signer) ([]byte, error) {
	if member == nil {
		return nil, errors.New("co-sign: no member key given")
	}
	n, c, err := OpenCheckpoint(msg, ledger)
	if err != nil {
		return nil, fmt.Errorf("co-sign: %w", err)
	}
	if member.Name() == ledger.Name() && member.KeyHash() == ledger.KeyHash() {
		return nil, fmt.Errorf("co-sign: member key %s is the ledger's own key", keyID(member.Name(), member.KeyHash()))
	}
	if prev != nil {
		if err := checkExtends(c, *prev, proof); err != nil {
			return nil, fmt.Errorf("co-sign: %w", err)
		}
	}

	// Sign the same text alone to get the member's signature line.
	own, err := note.Sign(&note.Note{Text: n.Text}, member)
	if err != nil {
		return nil, fmt.Errorf("co-sign as %s: %w", keyID(member.Name(), member.KeyHash()), err)
	}
	line := own[len(n.Text)+1:]

	// Rebuild the note from msg's own signature lines rather than with
	// note.Sign(n, member): that would list the ledger's signature before
	// every other, reordering the co-signatures already there. A previous
	// signature by the member's key is replaced, as note.Sign does.
	split := bytes.LastIndex(msg, []byte("\n\n")) // note.Open checked it is there
	out := append([]byte(nil), msg[:split+2]...)
	sigs := 1
	for _, l := range bytes.SplitAfter(msg[split+2:], []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		if name, hash, ok := sigKey(l); ok && name == member.Name() && hash == member.KeyHash() {
			continue
		}
		out = append(out, l...)
		sigs++
	}
	if sigs > maxSigs {
		return nil, fmt.Errorf("co-sign: the checkpoint would carry %d signatures, and note.Open refuses a note with more than %d", sigs, maxSigs)
	}
	return append(out, line...), nil
}

// maxSigs is the most signatures note.Open accepts on a note.
const maxSigs = 100

// checkExtends checks that checkpoint c extends prev, the last one the
// member signed, by proof.
func checkExtends(c, prev Checkpoint, proof tlog.TreeProof) error {
	switch {
	case c.Origin != prev.Origin:
		return fmt.Errorf("checkpoint is of log %q, the last one co-signed is of log %q", c.Origin, prev.Origin)
	case c.Size < prev.Size:
		return fmt.Errorf("checkpoint of tree size %d is smaller than the last one co-signed, of size %d: the log would have lost events", c.Size, prev.Size)
	case prev.Size == 0:
		if prev.Root != emptyRoot {
			return fmt.Errorf("the last checkpoint co-signed has size 0 but root %s, not the empty tree's", prev.Root)
		}
		if len(proof) != 0 {
			return fmt.Errorf("a consistency proof from the empty tree has no hashes, this one has %d", len(proof))
		}
		return nil
	}
	if err := tlog.CheckTree(proof, c.Size, c.Root, prev.Size, prev.Root); err != nil {
		return fmt.Errorf("checkpoint of tree size %d, root %s does not extend the last one co-signed, of size %d, root %s: %w",
			c.Size, c.Root, prev.Size, prev.Root, err)
	}
	return nil
}

// emptyRoot is the RFC 6962 root of the empty tree, SHA-256 of nothing.
var emptyRoot, _ = tlog.TreeHash(0, nil)

// sigKey returns the key name and hash of a signature line
// "— name base64(hash || signature)\n".
func sigKey(line []byte) (name string, hash uint32, ok bool) {
	rest, ok := strings.CutPrefix(strings.TrimSuffix(string(line), "\n"), "— ")
	if !ok {
		return "", 0, false
	}
	name, b64, _ := strings.Cut(rest, " ")
	sig, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(sig) < 4 {
		return "", 0, false
	}
	return name, binary.BigEndian.Uint32(sig), true
}

// Cosigners returns the names of the members (of the given members' keys)
// whose valid signatures are on msg, in the order of the signatures. msg must
// be a checkpoint signed by the ledger. A signature that claims one of the
// known keys but does not verify is an error naming the key, not a signature
// to skip: someone forged or altered something. Members must not include
// the ledger's key.
func Cosigners(msg []byte, ledger note.Verifier, members []note.Verifier) ([]string, error) {
	if ledger == nil {
		return nil, errors.New("cosigners: no ledger key given")
	}
	n, err := openNote(msg, note.VerifierList(append([]note.Verifier{ledger}, members...)...))
	if err != nil {
		return nil, fmt.Errorf("cosigners: %w", explainOpen(err, ledger))
	}
	var names []string
	signedByLedger := false
	for _, s := range n.Sigs {
		if s.Name == ledger.Name() && s.Hash == ledger.KeyHash() {
			signedByLedger = true
			continue
		}
		names = append(names, s.Name)
	}
	if !signedByLedger {
		return nil, fmt.Errorf("cosigners: checkpoint is not signed by the ledger key %s", keyID(ledger.Name(), ledger.KeyHash()))
	}
	if _, err := ParseCheckpoint([]byte(n.Text)); err != nil {
		return nil, fmt.Errorf("cosigners: %w", err)
	}
	return names, nil
}
