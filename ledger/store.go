package ledger

import (
	"context"
	"errors"
	"fmt"
)

// Stored is one event as the store holds it: its position in the alliance's
// log and its exact bytes (the bytes the audit log hashes).
type Stored struct {
	Seq      uint64 // 1-based, gapless position in the alliance's log
	CommitID string // the commit that wrote it
	Data     []byte // canonical event bytes; never modified after append
}

// Store is the durable log of every alliance. One commit is one atomic unit:
// all of its events are stored or none is.
//
// Implementations: natsstore (JetStream, the production store) and memstore
// (in memory, for fast unit tests). Both pass ledgertest.Run.
type Store interface {
	// Append stores c iff c.First is the alliance's next position (last
	// position + 1; 1 for a new alliance). Otherwise it stores nothing and
	// returns a *ConflictError carrying the store's next position. The first
	// commit of an alliance creates its log.
	Append(ctx context.Context, c *Commit) error
	// Last returns the position of the alliance's last event, 0 if it has none.
	Last(ctx context.Context, alliance string) (uint64, error)
	// Read calls fn for each event at position >= from, in order, up to the
	// last event stored when Read started. An error from fn stops the read
	// and is returned.
	Read(ctx context.Context, alliance string, from uint64, fn func(Stored) error) error
	// Follow is Read that does not stop at the end: it waits for new events
	// until ctx ends or fn returns an error.
	Follow(ctx context.Context, alliance string, from uint64, fn func(Stored) error) error
	// Alliances lists the alliances that have a log, sorted.
	Alliances(ctx context.Context) ([]string, error)
}

// RawCommit is a message of an alliance's log as a CommitReader hands it
// over: not yet decoded, nor checked to be a commit of the log.
type RawCommit struct {
	StreamSeq uint64 // the store's own sequence of the message
	Data      []byte
	// StoredID is the id the store holds the message under (a NATS
	// message's Nats-Msg-Id header), which must be the commit's own.
	StoredID string
}

// A CommitReader is a Store that can hand a reader its messages undecoded,
// so that the reader decodes them on every core, in one pass with their
// events (DecodeCommitShared), and checks them in order itself: what Read
// does on one goroutine. A projections rebuild reads this way.
//
// The reader decides of each message as Read would: a message that does
// not decode, fails CheckCommit or does not start at the position expected
// (begin's, then each commit's Last+1) is not a commit of the log; it is
// reported with Quarantine and skipped.
type CommitReader interface {
	// ReadCommits calls begin with the position the first commit read is
	// expected to start at (at most from: the reader skips the events
	// before from), then fn for each message in stream order, up to the
	// last stored when it started. An error from fn stops the read and is
	// returned.
	ReadCommits(ctx context.Context, alliance string, from uint64, begin func(next uint64), fn func(RawCommit) error) error
	// CheckCommit tells why c, decoded from m, is not a commit of the
	// alliance's log as stored, or "" if it is.
	CheckCommit(alliance string, m RawCommit, c *Commit) string
	// Quarantine reports a message that is not a commit of the log, as
	// Read reports those it skips.
	Quarantine(alliance string, streamSeq uint64, why string)
}

// ConflictError says an append was not at the log's next position: another
// writer got there first. The writer catches up and retries.
type ConflictError struct {
	Alliance string
	Want     uint64 // the position the commit expected to start at
	Next     uint64 // the log's actual next position
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("append to alliance %s at position %d: log is at %d", e.Alliance, e.Want, e.Next)
}

func (e *ConflictError) Unwrap() error { return ErrConflict }

// IsConflict reports whether err is a stale-position append.
func IsConflict(err error) bool {
	var ce *ConflictError
	return errors.As(err, &ce)
}
