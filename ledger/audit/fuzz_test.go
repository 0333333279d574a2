package audit

import (
	"bytes"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/note"
)

func FuzzParseCheckpoint(f *testing.F) {
	f.Add([]byte(knownCheckpoint))
	f.Add([]byte("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"))
	f.Add([]byte("alliance-ledger/yrd-battery\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"))
	f.Add([]byte(knownCheckpoint + "extension\n— another\n"))
	f.Add([]byte(knownCheckpoint + "\n— alliance-ledger/yrd-battery 7nvHguyLAol3NjU/df8XyIp43ovu2ZiumzHjfFiUAHUEvQH57eqkKOhFVFTVS1E5XnObQhokY4qWbLnyMVaAU1xlVg4=\n"))
	f.Add([]byte("alliance-ledger/yrd-battery\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"))
	f.Add([]byte("o\n1\nAAAA\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, text []byte) {
		c, err := ParseCheckpoint(text)
		if err != nil {
			return
		}
		// Strict: the text is the one spelling of c.
		again := c.Marshal()
		if !bytes.Equal(again, text) {
			t.Fatalf("parsed %q, which marshals to %q", text, again)
		}
		c2, err := ParseCheckpoint(again)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", again, err)
		}
		if diff := cmp.Diff(c, c2); diff != "" {
			t.Fatalf("re-parse of %q (-first +second):\n%s", again, diff)
		}
		// Whatever parses can be signed.
		if err := c.check(); err != nil {
			t.Fatalf("parsed %q, but Sign would refuse it: %v", text, err)
		}
	})
}

func FuzzOpenCheckpoint(f *testing.F) {
	c := Checkpoint{Origin: Origin("yrd-battery"), Size: 8, Root: knownRoot()}
	signed := sign(f, c, ledgerSkey)
	f.Add(signed)
	f.Add(sign(f, c, ledgerSkey, m01Skey, m02Skey))
	f.Add(sign(f, c, m02Skey, ledgerSkey, m03Skey))
	f.Add(sign(f, c, impostorSkey))
	f.Add(bytes.Replace(signed, []byte("\n8\n"), []byte("\n9\n"), 1))
	f.Add(signNote(f, "hello\n", ledgerSkey))
	f.Add(c.Marshal())
	f.Add([]byte("\n\n— \n"))
	f.Add([]byte{})

	ledger := verifier(f, ledgerVkey)
	m01 := signer(f, m01Skey)
	members := []note.Verifier{verifier(f, m01Vkey), verifier(f, m02Vkey)}
	f.Fuzz(func(t *testing.T, msg []byte) {
		// Neither may panic, whatever msg is.
		Cosigners(msg, ledger, members)
		n, c, err := OpenCheckpoint(msg, ledger)
		if err != nil {
			return
		}
		if got := string(c.Marshal()); got != n.Text {
			t.Fatalf("opened checkpoint marshals to %q, the note's text is %q", got, n.Text)
		}

		// Whatever opens, a member can co-sign, and the result still opens
		// and lists the member last.
		out, err := CoSign(msg, ledger, nil, nil, m01)
		if err != nil {
			return // e.g. too many signatures
		}
		if _, c2, err := OpenCheckpoint(out, ledger); err != nil || !cmp.Equal(c, c2) {
			t.Fatalf("co-signed note of %q does not open the same: %+v, %v", msg, c2, err)
		}
		names, err := Cosigners(out, ledger, members[:1])
		if err != nil {
			t.Fatalf("Cosigners of the co-signed note of %q: %v", msg, err)
		}
		if len(names) == 0 || names[len(names)-1] != "member/M01" || slices.Index(names, "member/M01") != len(names)-1 {
			t.Fatalf("Cosigners of the co-signed note of %q = %q", msg, names)
		}
	})
}
