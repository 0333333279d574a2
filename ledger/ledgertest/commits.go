// Package ledgertest is the conformance suite every ledger.Store passes, and
// helpers to fabricate commits for tests.
package ledgertest

import (
	"encoding/json"
	"strings"

	"github.com/google/uuid"

	"github.com/alliance-ledger/alliance/ledger"
)

// Event returns the canonical (compact JSON) bytes of a test event at
// position seq; text pads it to vary its size.
func Event(alliance string, seq uint64, text string) []byte {
	type payload struct {
		N    uint64 `json:"n"`
		Text string `json:"text"`
	}
	b, err := json.Marshal(struct {
		Seq      uint64  `json:"seq"`
		Alliance string  `json:"alliance"`
		Type     string  `json:"type"`
		Payload  payload `json:"payload"`
	}{seq, alliance, "test.event", payload{seq, text}})
	if err != nil {
		panic(err) // cannot happen: the value is plain data
	}
	return b
}

// NewCommit returns a commit of n test events at positions first.. with a
// fresh UUIDv7 id. Event sizes vary with their position.
func NewCommit(alliance string, first uint64, n int) *ledger.Commit {
	return newCommit(alliance, first, n, func(seq uint64) string {
		return strings.Repeat("x", int(seq%37))
	})
}

// newCommit is NewCommit with each event's text chosen by text.
func newCommit(alliance string, first uint64, n int, text func(seq uint64) string) *ledger.Commit {
	c := &ledger.Commit{
		ID:       uuid.Must(uuid.NewV7()).String(),
		Alliance: alliance,
		First:    first,
		Events:   make([][]byte, n),
	}
	for i := range c.Events {
		seq := first + uint64(i)
		c.Events[i] = Event(alliance, seq, text(seq))
	}
	return c
}

// Stored returns the events of commits as a store returns them.
func Stored(commits ...*ledger.Commit) []ledger.Stored {
	var out []ledger.Stored
	for _, c := range commits {
		for i, e := range c.Events {
			out = append(out, ledger.Stored{Seq: c.First + uint64(i), CommitID: c.ID, Data: e})
		}
	}
	return out
}

// NewAllianceID returns an alliance id no other test uses.
func NewAllianceID() string {
	return "t-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
}
