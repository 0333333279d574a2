package audit

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/tlog"
)

// Origin returns the origin of an alliance's log, "alliance-ledger/" +
// alliance. The origin is the log's identity: it is the first line of every
// checkpoint of that log and the name of the ledger key that signs them, so a
// checkpoint of one alliance can never pass for another's. (Alliance ids are
// lowercase letters, digits, '_' and '-', so the origin is a valid note key
// name.)
func Origin(alliance string) string { return "alliance-ledger/" + alliance }

// Checkpoint is the body of a C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint):
// the origin line, the tree size in decimal and the base64 root hash, each
// ending in a newline, then any extension lines.
type Checkpoint struct {
	Origin string    // the log's identity, see Origin
	Size   int64     // number of leaves: the position of the last event covered
	Root   tlog.Hash // RFC 6962 root of the tree of Size leaves
	// Extensions are opaque lines after the root. The ledger writes none (the
	// spec advises against them: monitors cannot audit them); a parsed
	// checkpoint keeps those it had, so it marshals back to the same bytes.
	Extensions []string
}

// Marshal returns the checkpoint's text, the body of its signed note. It
// does not check the fields (Sign does): a checkpoint built by the ledger is
// well-formed, and one from ParseCheckpoint marshals back to its input.
func (c Checkpoint) Marshal() []byte {
	b := fmt.Appendf(nil, "%s\n%d\n%s\n", c.Origin, c.Size, c.Root)
	for _, e := range c.Extensions {
		b = append(b, e...)
		b = append(b, '\n')
	}
	return b
}

// check reports the first field that would not make a valid checkpoint: its
// text must be one a signed note can carry and ParseCheckpoint reads back
// as the same value.
func (c Checkpoint) check() error {
	if err := checkLine(c.Origin); err != nil {
		return fmt.Errorf("checkpoint origin %q %w", c.Origin, err)
	}
	if c.Size < 0 {
		return fmt.Errorf("checkpoint size %d is negative", c.Size)
	}
	for i, e := range c.Extensions {
		if err := checkLine(e); err != nil {
			return fmt.Errorf("checkpoint extension line %d %q %w", i+1, e, err)
		}
	}
	return nil
}

// checkLine checks one line of a checkpoint: non-empty (a blank line would
// end the note text) and free of what a signed note may not contain.
func checkLine(s string) error {
	if s == "" {
		return errors.New("is empty")
	}
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8")
	}
	for _, r := range s {
		if r < 0x20 {
			return fmt.Errorf("contains control character %U", r)
		}
	}
	return nil
}

// ParseCheckpoint parses a checkpoint's text strictly: exactly the bytes that
// Marshal would write for the value it returns, so two different texts never
// stand for the same checkpoint. Errors name the line that is wrong.
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	if len(text) == 0 {
		return Checkpoint{}, fmt.Errorf("checkpoint is empty")
	}
	if text[len(text)-1] != '\n' {
		n := bytes.Count(text, []byte("\n")) + 1
		return Checkpoint{}, fmt.Errorf("checkpoint line %d does not end in a newline", n)
	}
	lines := strings.Split(string(text[:len(text)-1]), "\n")
	for i, l := range lines {
		if err := checkLine(l); err != nil {
			return Checkpoint{}, fmt.Errorf("checkpoint line %d (%s) %w", i+1, lineName(i), err)
		}
	}
	if len(lines) < 3 {
		return Checkpoint{}, fmt.Errorf("checkpoint ends after line %d: line %d (%s) is missing", len(lines), len(lines)+1, lineName(len(lines)))
	}

	c := Checkpoint{Origin: lines[0]}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("checkpoint line 2 (tree size) %q is not a decimal number without sign or leading zeros", lines[1])
	}
	c.Size = size
	root, err := tlog.ParseHash(lines[2])
	// Go's base64 decoder skips '\r' and tolerates non-zero padding bits;
	// re-encoding rejects every spelling but the canonical one.
	if err != nil || root.String() != lines[2] {
		return Checkpoint{}, fmt.Errorf("checkpoint line 3 (root hash) %q is not the base64 of a %d-byte hash", lines[2], tlog.HashSize)
	}
	c.Root = root
	if len(lines) > 3 {
		c.Extensions = lines[3:]
	}
	return c, nil
}

func lineName(i int) string {
	switch i {
	case 0:
		return "origin"
	case 1:
		return "tree size"
	case 2:
		return "root hash"
	}
	return "extension"
}
