// Package memstore is an in-memory ledger.Store for fast unit tests. It keeps
// the same contract as the JetStream store (ledgertest.Run checks both) but
// nothing survives the process.
package memstore

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/alliance-ledger/alliance/ledger"
)

// Store is an in-memory ledger.Store. The zero value is not usable; call New.
type Store struct {
	mu   sync.Mutex
	logs map[string]*log
}

// log is one alliance's events. Stored elements are never modified after
// append, so a reader may keep a prefix of events after dropping the lock.
type log struct {
	events []ledger.Stored
	// grew is closed (and replaced) on every append to wake followers.
	grew chan struct{}
}

var _ ledger.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{logs: make(map[string]*log)}
}

// Append implements ledger.Store.
func (s *Store) Append(ctx context.Context, c *ledger.Commit) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.logs[c.Alliance]
	next := uint64(1)
	if l != nil {
		next = uint64(len(l.events)) + 1
	}
	if c.First != next {
		return &ledger.ConflictError{Alliance: c.Alliance, Want: c.First, Next: next}
	}
	if l == nil {
		l = &log{grew: make(chan struct{})}
		s.logs[c.Alliance] = l
	}
	for i, e := range c.Events {
		l.events = append(l.events, ledger.Stored{
			Seq:      c.First + uint64(i),
			CommitID: c.ID,
			Data:     slices.Clone(e), // the caller may reuse its buffers
		})
	}
	close(l.grew)
	l.grew = make(chan struct{})
	return nil
}

// Last implements ledger.Store.
func (s *Store) Last(ctx context.Context, alliance string) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.logs[alliance]; l != nil {
		return uint64(len(l.events)), nil
	}
	return 0, nil
}

// Read implements ledger.Store.
func (s *Store) Read(ctx context.Context, alliance string, from uint64, fn func(ledger.Stored) error) error {
	events, _, err := s.since(alliance, from)
	if err != nil {
		return err
	}
	return emit(ctx, events, fn)
}

// Follow implements ledger.Store.
func (s *Store) Follow(ctx context.Context, alliance string, from uint64, fn func(ledger.Stored) error) error {
	from = max(from, 1)
	for {
		events, grew, err := s.since(alliance, from)
		if err != nil {
			return err
		}
		if err := emit(ctx, events, fn); err != nil {
			return err
		}
		from += uint64(len(events))
		if len(events) > 0 {
			continue // more may have arrived while fn ran
		}
		select {
		case <-grew:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// since returns the events at positions >= from and the channel that is
// closed on the next append.
func (s *Store) since(alliance string, from uint64) ([]ledger.Stored, <-chan struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.logs[alliance]
	if l == nil {
		return nil, nil, fmt.Errorf("alliance %s has no log: %w", alliance, ledger.ErrNotFound)
	}
	from = max(from, 1)
	if from > uint64(len(l.events)) {
		return nil, l.grew, nil
	}
	// Elements are never modified once appended, so the caller may read this
	// prefix after the lock is released while appends go on past its end.
	return l.events[from-1:], l.grew, nil
}

// emit calls fn for each event with a private copy of its bytes, outside the
// store's lock so that fn may use the store.
func emit(ctx context.Context, events []ledger.Stored, fn func(ledger.Stored) error) error {
	for _, e := range events {
		if err := ctx.Err(); err != nil {
			return err
		}
		e.Data = slices.Clone(e.Data)
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// Alliances implements ledger.Store.
func (s *Store) Alliances(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.logs))
	for id := range s.logs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}
