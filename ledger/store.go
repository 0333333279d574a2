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
