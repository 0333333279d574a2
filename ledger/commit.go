package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
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
func MarshalCommit(c *Commit) []byte {
	b := make([]byte, 0, c.Size())
	b = append(b, `{"commit":`...)
	b = strconv.AppendQuote(b, c.ID)
	b = append(b, `,"alliance":`...)
	b = strconv.AppendQuote(b, c.Alliance)
	b = append(b, `,"first":`...)
	b = strconv.AppendUint(b, c.First, 10)
	b = append(b, `,"events":[`...)
	for i, e := range c.Events {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e...)
	}
	b = append(b, "]}"...)
	return b
}

var allianceIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidAllianceID reports whether id can name an alliance (and its stream).
func ValidAllianceID(id string) bool { return allianceIDPattern.MatchString(id) }

// UnmarshalCommit decodes and checks a commit's framing: a message that is
// not a well-formed commit (say, one published by hand with the nats CLI) is
// rejected here, so readers can quarantine it. It does not decode payloads.
func UnmarshalCommit(data []byte) (*Commit, error) {
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
	if dec.More() {
		return nil, fmt.Errorf("commit has trailing data")
	}
	if raw.ID == "" {
		return nil, fmt.Errorf("commit has no id")
	}
	if !ValidAllianceID(raw.Alliance) {
		return nil, fmt.Errorf("commit names no valid alliance (%q)", raw.Alliance)
	}
	if raw.First == 0 {
		return nil, fmt.Errorf("commit has no first position")
	}
	if len(raw.Events) == 0 {
		return nil, fmt.Errorf("commit has no events")
	}
	c := &Commit{ID: raw.ID, Alliance: raw.Alliance, First: raw.First, Events: make([][]byte, len(raw.Events))}
	for i, e := range raw.Events {
		var head struct {
			Seq      uint64 `json:"seq"`
			Alliance string `json:"alliance"`
		}
		if err := json.Unmarshal(e, &head); err != nil {
			return nil, fmt.Errorf("commit event %d does not decode: %w", i, err)
		}
		if head.Seq != raw.First+uint64(i) {
			return nil, fmt.Errorf("commit event %d has position %d, want %d", i, head.Seq, raw.First+uint64(i))
		}
		if head.Alliance != raw.Alliance {
			return nil, fmt.Errorf("commit event %d belongs to alliance %q, not %q", i, head.Alliance, raw.Alliance)
		}
		c.Events[i] = []byte(e)
	}
	return c, nil
}
