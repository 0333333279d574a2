package audit

import (
	"bytes"
	"slices"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// FuzzAlteredCheckpoint alters one byte of a checkpoint the ledger signed
// (and members co-signed): the note picked, the byte's position and the
// bits flipped come from the input. An altered text, or an altered ledger
// signature, must not open; an altered member signature may leave the
// note opening (the ledger's signature still holds) but must not count as
// that member's: Cosigners either refuses the note or does not list the
// member.
func FuzzAlteredCheckpoint(f *testing.F) {
	c := Checkpoint{Origin: Origin("yrd-battery"), Size: 8, Root: knownRoot()}
	notes := [][]byte{
		sign(f, c, ledgerSkey),
		sign(f, c, ledgerSkey, m01Skey),
		sign(f, c, ledgerSkey, m01Skey, m02Skey),
		sign(f, Checkpoint{Origin: Origin("yrd-battery"), Size: 0, Root: knownRoot()}, ledgerSkey),
	}
	for i, n := range notes {
		for _, pos := range []int{0, 10, len(c.Marshal()) - 1, len(c.Marshal()), len(c.Marshal()) + 5, len(n) - 3, len(n) - 2, len(n) - 1} {
			f.Add(uint8(i), uint16(pos), uint8(1))
		}
	}
	f.Add(uint8(1), uint16(0), uint8(0x20))

	ledger := verifier(f, ledgerVkey)
	members := []note.Verifier{verifier(f, m01Vkey), verifier(f, m02Vkey)}
	f.Fuzz(func(t *testing.T, which uint8, pos uint16, flip uint8) {
		orig := notes[int(which)%len(notes)]
		if flip == 0 {
			flip = 1
		}
		i := int(pos) % len(orig)
		msg := bytes.Clone(orig)
		msg[i] ^= flip

		// Which part of the note the byte is in: the text and the blank
		// line after it, or the signature line of which key.
		blank := bytes.Index(orig, []byte("\n\n")) + 1
		signer := ""
		if i > blank {
			lineStart := bytes.LastIndexByte(orig[:i], '\n') + 1
			line := orig[lineStart:]
			line = line[:bytes.IndexByte(line, '\n')]
			// "— name base64"
			if f := bytes.Fields(line); len(f) == 3 {
				signer = string(f[1])
			}
		}

		_, _, err := OpenCheckpoint(msg, ledger)
		names, cerr := Cosigners(msg, ledger, members)
		if signer == "" || signer == ledger.Name() {
			if err == nil {
				t.Fatalf("altered byte %d (%q → %q) of the text or the ledger's signature, and the note still opens:\n%s", i, orig[i], msg[i], msg)
			}
			if cerr == nil {
				t.Fatalf("altered byte %d of the text or the ledger's signature, and Cosigners still accepts the note: %q", i, names)
			}
			return
		}
		if cerr == nil && slices.Contains(names, signer) {
			t.Fatalf("altered byte %d (%q → %q) of %s's signature, and it still counts as %s's:\n%s", i, orig[i], msg[i], signer, signer, msg)
		}
	})
}
