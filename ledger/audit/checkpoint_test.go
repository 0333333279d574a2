package audit

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/tlog"
)

func TestOrigin(t *testing.T) {
	if got, want := Origin("yrd-battery"), "alliance-ledger/yrd-battery"; got != want {
		t.Errorf("Origin = %q, want %q", got, want)
	}
}

// knownCheckpoint is the checkpoint of the RFC 6962 test tree of 8 leaves
// (see TestRFC6962KnownAnswers), written out by hand from the C2SP spec.
const knownCheckpoint = "alliance-ledger/yrd-battery\n" +
	"8\n" +
	"XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"

func knownRoot() tlog.Hash {
	h, err := tlog.ParseHash("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=")
	if err != nil {
		panic(err)
	}
	return h
}

func TestCheckpointMarshal(t *testing.T) {
	c := Checkpoint{Origin: Origin("yrd-battery"), Size: 8, Root: knownRoot()}
	if diff := cmp.Diff(knownCheckpoint, string(c.Marshal())); diff != "" {
		t.Errorf("Marshal (-want +got):\n%s", diff)
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	root := knownRoot()
	empty, _ := tlog.TreeHash(0, nil)
	for _, c := range []Checkpoint{
		{Origin: Origin("yrd-battery"), Size: 8, Root: root},
		{Origin: Origin("yrd-battery"), Size: 0, Root: empty},
		{Origin: "example.com/behind-the-sofa", Size: 20852163, Root: root},
		{Origin: Origin("x"), Size: 1<<63 - 1, Root: root},
		{Origin: "联盟/长三角", Size: 1, Root: root, Extensions: []string{"ext one", "— two"}},
	} {
		text := c.Marshal()
		got, err := ParseCheckpoint(text)
		if err != nil {
			t.Errorf("ParseCheckpoint(%q): %v", text, err)
			continue
		}
		if diff := cmp.Diff(c, got); diff != "" {
			t.Errorf("ParseCheckpoint(Marshal()) (-want +got):\n%s", diff)
		}
		if again := got.Marshal(); string(again) != string(text) {
			t.Errorf("re-marshalled %q, was %q", again, text)
		}
	}
}

// TestParseCheckpointSpecExample parses the example of
// https://c2sp.org/tlog-checkpoint.
func TestParseCheckpointSpecExample(t *testing.T) {
	c, err := ParseCheckpoint([]byte("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Origin != "example.com/behind-the-sofa" || c.Size != 20852163 || c.Root.String() != "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=" {
		t.Errorf("parsed %+v", c)
	}
}

func TestParseCheckpointErrors(t *testing.T) {
	const (
		origin = "alliance-ledger/yrd-battery\n"
		root   = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="
	)
	for _, tc := range []struct {
		name, text, want string
	}{
		{"empty", "", "checkpoint is empty"},
		{"only origin", origin, "checkpoint ends after line 1: line 2 (tree size) is missing"},
		{"no root", origin + "8\n", "checkpoint ends after line 2: line 3 (root hash) is missing"},
		{"no final newline", origin + "8\n" + root, "checkpoint line 3 does not end in a newline"},
		{"empty origin", "\n8\n" + root + "\n", "checkpoint line 1 (origin) is empty"},
		{"empty size", origin + "\n" + root + "\n", "checkpoint line 2 (tree size) is empty"},
		{"negative size", origin + "-8\n" + root + "\n", `checkpoint line 2 (tree size) "-8" is not a decimal number without sign or leading zeros`},
		{"plus sign", origin + "+8\n" + root + "\n", `checkpoint line 2 (tree size) "+8" is not a decimal number without sign or leading zeros`},
		{"leading zero", origin + "08\n" + root + "\n", `checkpoint line 2 (tree size) "08" is not a decimal number without sign or leading zeros`},
		{"size not a number", origin + "eight\n" + root + "\n", `checkpoint line 2 (tree size) "eight" is not a decimal number without sign or leading zeros`},
		{"size too large", origin + "9223372036854775808\n" + root + "\n", `checkpoint line 2 (tree size) "9223372036854775808" is not a decimal number without sign or leading zeros`},
		{"size with space", origin + "8 \n" + root + "\n", `checkpoint line 2 (tree size) "8 " is not a decimal number without sign or leading zeros`},
		{"bad base64", origin + "8\n" + "not base64!\n", `checkpoint line 3 (root hash) "not base64!" is not the base64 of a 32-byte hash`},
		{"short hash", origin + "8\n" + "AAAA\n", `checkpoint line 3 (root hash) "AAAA" is not the base64 of a 32-byte hash`},
		{"long hash", origin + "8\n" + root + "AAAA\n", `checkpoint line 3 (root hash) "` + root + `AAAA" is not the base64 of a 32-byte hash`},
		{"unpadded hash", origin + "8\n" + strings.TrimSuffix(root, "=") + "\n", `checkpoint line 3 (root hash) "` + strings.TrimSuffix(root, "=") + `" is not the base64 of a 32-byte hash`},
		{"non-canonical base64", origin + "8\n" + "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\n", `checkpoint line 3 (root hash) "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=" is not the base64 of a 32-byte hash`},
		{"carriage return", origin + "8\n" + root + "\r\n", "checkpoint line 3 (root hash) contains control character U+000D"},
		{"blank line after root", origin + "8\n" + root + "\n\n", "checkpoint line 4 (extension) is empty"},
		{"trailing garbage", origin + "8\n" + root + "\ngarbage", "checkpoint line 4 does not end in a newline"},
		{"blank line then signatures", origin + "8\n" + root + "\n\n— x AAAA\n", "checkpoint line 4 (extension) is empty"},
		{"invalid UTF-8", "alliance-ledger/\xff\n8\n" + root + "\n", "checkpoint line 1 (origin) is not valid UTF-8"},
		{"tab in origin", "alliance\tledger\n8\n" + root + "\n", "checkpoint line 1 (origin) contains control character U+0009"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseCheckpoint([]byte(tc.text))
			if err == nil {
				t.Fatalf("ParseCheckpoint(%q) = %+v, want error %q", tc.text, c, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("ParseCheckpoint(%q):\nerror %q\nwant  %q", tc.text, err, tc.want)
			}
		})
	}
}
