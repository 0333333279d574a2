package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Commit is one atomic group of events appended together: one JetStream
// message, one fsync. Events holds each event's canonical bytes; the commit
// records the position of its first event, so positions are gapless across
// commits.
type Commit struct {
	ID       string   // unique commit id (UUIDv7); the JetStream Nats-Msg-Id
	Alliance string   // alliance id
	First    uint64   // position of Events[0]
	Events   [][]byte // canonical event bytes, in position order

	// wire is the commit as MarshalCommit writes it, when the writer built
	// it while deciding: the events are laid out in it, so publishing a
	// commit of a megabyte does not copy it once more.
	wire []byte
}

// Last is the position of the commit's last event.
func (c *Commit) Last() uint64 { return c.First + uint64(len(c.Events)) - 1 }

// Size is the commit's encoded size in bytes.
func (c *Commit) Size() int {
	n := len(`{"commit":"","alliance":"","first":,"events":[]}`) + len(c.ID) + len(c.Alliance) + 20
	for _, e := range c.Events {
		n += len(e) + 1
	}
	return n
}

// MarshalCommit encodes a commit. The event bytes are copied verbatim, so
// what a reader decodes is exactly what the writer hashed.
//
// A commit the writer built comes with its encoding, which is returned
// as it is if the commit still matches it: the same header, and every
// event the very bytes laid out in it.
func MarshalCommit(c *Commit) []byte {
	if c.wire != nil && c.wireMatches() {
		return c.wire
	}
	b := appendCommitHead(make([]byte, 0, c.Size()), c)
	for i, e := range c.Events {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e...)
	}
	b = append(b, "]}"...)
	return b
}

// appendCommitHead appends what MarshalCommit writes before the events.
func appendCommitHead(b []byte, c *Commit) []byte {
	b = append(b, `{"commit":`...)
	b = strconv.AppendQuote(b, c.ID)
	b = append(b, `,"alliance":`...)
	b = strconv.AppendQuote(b, c.Alliance)
	b = append(b, `,"first":`...)
	b = strconv.AppendUint(b, c.First, 10)
	return append(b, `,"events":[`...)
}

// wireMatches reports whether c.wire is what MarshalCommit would write for
// c: its header is c's, and each event is a slice of it, in place.
func (c *Commit) wireMatches() bool {
	var head [256]byte // the longest head, without allocating
	h := appendCommitHead(head[:0], c)
	w := c.wire
	if len(w) < len(h)+2 || !bytes.Equal(w[:len(h)], h) || string(w[len(w)-2:]) != "]}" {
		return false
	}
	pos := len(h)
	for i, e := range c.Events {
		if i > 0 {
			if pos >= len(w) || w[pos] != ',' {
				return false
			}
			pos++
		}
		if len(e) == 0 || pos+len(e) > len(w) || &e[0] != &w[pos] {
			return false
		}
		pos += len(e)
	}
	return pos == len(w)-2
}

// ValidAllianceID reports whether id can name an alliance (and its stream):
// ^[a-z0-9][a-z0-9_-]{0,62}$.
func ValidAllianceID(id string) bool {
	if len(id) == 0 || len(id) > 63 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && (c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// UnmarshalCommit decodes and checks a commit's framing: a message that is
// not a well-formed commit (say, one published by hand with the nats CLI) is
// rejected here, so readers can quarantine it. It does not decode payloads.
//
// Commits in the layout MarshalCommit writes take a hand-written decoder
// (unmarshalCommitFast, jsondecode.go); anything else, and anything that
// decoder is unsure of, goes through encoding/json. Both accept and reject
// the same messages and give the same commit: FuzzUnmarshalCommitFast
// holds them to it. The events may share data's memory: the caller must
// not modify data while they are in use.
func UnmarshalCommit(data []byte) (*Commit, error) {
	c, ok := unmarshalCommitFast(data)
	if !ok {
		var err error
		if c, err = unmarshalCommitSlow(data); err != nil {
			return nil, err
		}
	}
	if err := c.checkFraming(); err != nil {
		return nil, err
	}
	return c, nil
}

// unmarshalCommitSlow decodes a commit with encoding/json: the reference
// the fast path must agree with, and the source of every decoding error.
func unmarshalCommitSlow(data []byte) (*Commit, error) {
	var raw struct {
		ID       string            `json:"commit"`
		Alliance string            `json:"alliance"`
		First    uint64            `json:"first"`
		Events   []json.RawMessage `json:"events"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("commit does not decode: %w", err)
	}
	// More misses a stray closing bracket: look at what is left.
	if dec.More() || len(bytes.TrimSpace(data[dec.InputOffset():])) > 0 {
		return nil, fmt.Errorf("commit has trailing data")
	}
	c := &Commit{ID: raw.ID, Alliance: raw.Alliance, First: raw.First, Events: make([][]byte, len(raw.Events))}
	for i, e := range raw.Events {
		c.Events[i] = []byte(e)
	}
	return c, nil
}

// checkFraming checks a decoded commit as UnmarshalCommit promises.
func (c *Commit) checkFraming() error {
	if c.ID == "" {
		return fmt.Errorf("commit has no id")
	}
	if !ValidAllianceID(c.Alliance) {
		return fmt.Errorf("commit names no valid alliance (%q)", c.Alliance)
	}
	if c.First == 0 {
		return fmt.Errorf("commit has no first position")
	}
	if len(c.Events) == 0 {
		return fmt.Errorf("commit has no events")
	}
	return c.checkEvents()
}

// Validate refuses a commit that could not be stored faithfully, one that
// would not read back as the same id and event bytes at the same positions
// (readers would quarantine it after the writer was told it was stored).
// Every Store calls it before appending.
func (c *Commit) Validate() error {
	if c == nil {
		return fmt.Errorf("nil commit: %w", ErrInvalid)
	}
	if !ValidAllianceID(c.Alliance) {
		return fmt.Errorf("commit %s: alliance id %q: %w", c.ID, c.Alliance, ErrInvalid)
	}
	if c.ID == "" || len(c.ID) > 128 {
		return fmt.Errorf("commit id %q must have 1 to 128 bytes: %w", c.ID, ErrInvalid)
	}
	for _, r := range []byte(c.ID) {
		// The id travels in a NATS header: no spaces or control characters.
		if r <= ' ' || r >= 0x7f || r == '"' || r == '\\' {
			return fmt.Errorf("commit id %q must be printable ASCII without spaces or quotes: %w", c.ID, ErrInvalid)
		}
	}
	if c.First == 0 {
		return fmt.Errorf("commit %s: positions start at 1: %w", c.ID, ErrInvalid)
	}
	if len(c.Events) == 0 {
		return fmt.Errorf("commit %s has no events: %w", c.ID, ErrInvalid)
	}
	if err := c.checkEvents(); err != nil {
		return fmt.Errorf("commit %s: %v: %w", c.ID, err, ErrInvalid)
	}
	return nil
}

// checkEvents checks that each event is a JSON object, without surrounding
// space, at its position and of the commit's alliance. It reads only the
// head of each event: this runs on every append and every read.
func (c *Commit) checkEvents() error {
	for i, e := range c.Events {
		if len(e) < 2 || e[0] != '{' || e[len(e)-1] != '}' {
			return fmt.Errorf("commit event %d is not a JSON object without surrounding space", i)
		}
		// The writer's head, as expected: nothing to allocate or report.
		if seq, alliance, ok := canonicalHeadBytes(e); ok && seq == c.First+uint64(i) && string(alliance) == c.Alliance {
			continue
		}
		seq, alliance, err := eventHead(e)
		if err != nil {
			return fmt.Errorf("commit event %d: %w", i, err)
		}
		if want := c.First + uint64(i); seq != want {
			return fmt.Errorf("commit event %d has position %d, want %d", i, seq, want)
		}
		if alliance != c.Alliance {
			return fmt.Errorf("commit event %d belongs to alliance %q, not %q", i, alliance, c.Alliance)
		}
	}
	return nil
}

// eventHead reads an event's "seq" and "alliance" members. Events the
// writer encodes start with them in a fixed order, which a strict scanner
// reads; anything else goes through encoding/json.
func eventHead(e []byte) (uint64, string, error) {
	if seq, alliance, ok := canonicalHead(e); ok {
		return seq, alliance, nil
	}
	return eventHeadSlow(e)
}

// eventHeadSlow is eventHead through encoding/json, apart: its results
// escape to the decoder, which would cost the fast path allocations.
func eventHeadSlow(e []byte) (seq uint64, alliance string, err error) {
	dec := json.NewDecoder(bytes.NewReader(e))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return 0, "", fmt.Errorf("event is not a JSON object")
	}
	var haveSeq, haveAlliance bool
	for dec.More() && !(haveSeq && haveAlliance) {
		tok, err := dec.Token()
		if err != nil {
			return 0, "", fmt.Errorf("event does not decode: %w", err)
		}
		key, _ := tok.(string)
		switch key {
		case "seq":
			if err := dec.Decode(&seq); err != nil {
				return 0, "", fmt.Errorf("event seq: %w", err)
			}
			haveSeq = true
		case "alliance":
			if err := dec.Decode(&alliance); err != nil {
				return 0, "", fmt.Errorf("event alliance: %w", err)
			}
			haveAlliance = true
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return 0, "", fmt.Errorf("event does not decode: %w", err)
			}
		}
	}
	if !haveSeq || !haveAlliance {
		return 0, "", fmt.Errorf("event has no seq or alliance")
	}
	return seq, alliance, nil
}

// canonicalHead parses the head the writer always produces:
// {"id":"…","seq":N,"type":"…","v":N,"alliance":"…", reading each member
// strictly in sequence, so a match is exactly what a JSON parser would see.
func canonicalHead(e []byte) (seq uint64, alliance string, ok bool) {
	seq, a, ok := canonicalHeadBytes(e)
	return seq, string(a), ok
}

// canonicalHeadBytes is canonicalHead with the alliance id as it is
// written, for comparing without a copy.
func canonicalHeadBytes(e []byte) (seq uint64, alliance []byte, ok bool) {
	rest, ok := cutPrefix(e, `{"id":`)
	if !ok {
		return 0, nil, false
	}
	if rest, ok = skipPlainString(rest); !ok {
		return 0, nil, false
	}
	if rest, ok = cutPrefix(rest, `,"seq":`); !ok {
		return 0, nil, false
	}
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' && n < 19 {
		seq = seq*10 + uint64(rest[n]-'0')
		n++
	}
	if n == 0 || (rest[0] == '0' && n > 1) {
		return 0, nil, false
	}
	rest = rest[n:]
	if rest, ok = cutPrefix(rest, `,"type":`); !ok {
		return 0, nil, false
	}
	if rest, ok = skipPlainString(rest); !ok {
		return 0, nil, false
	}
	if rest, ok = cutPrefix(rest, `,"v":`); !ok {
		return 0, nil, false
	}
	n = 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' && n < 10 {
		n++
	}
	if n == 0 {
		return 0, nil, false
	}
	if rest, ok = cutPrefix(rest[n:], `,"alliance":`); !ok {
		return 0, nil, false
	}
	start := rest
	if rest, ok = skipPlainString(rest); !ok {
		return 0, nil, false
	}
	return seq, start[1 : len(start)-len(rest)-1], true
}

func cutPrefix(b []byte, p string) ([]byte, bool) {
	if len(b) < len(p) || string(b[:len(p)]) != p {
		return b, false
	}
	return b[len(p):], true
}

// skipPlainString skips a JSON string with no escapes and no control
// characters (ids, type names and alliance ids never need them).
func skipPlainString(b []byte) ([]byte, bool) {
	if len(b) == 0 || b[0] != '"' {
		return b, false
	}
	for i := 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return b[i+1:], true
		case c == '\\' || c < 0x20:
			return b, false
		}
	}
	return b, false
}
