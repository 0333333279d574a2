// Package natsstore is the production ledger.Store: every alliance's log is
// one JetStream stream, one message per commit.
//
// Writes are serialised by the server: each commit is published with
// Nats-Expected-Last-Sequence set to the stream's last sequence, so two
// writers (in one process or many) can never both append at one position.
// Messages that are not commits of this store (say, published by hand with
// the nats CLI) are quarantined: reported, logged and skipped, never fatal.
//
// A message is a commit of an alliance when ledger.UnmarshalCommit accepts
// its body, the commit names that alliance, and its Nats-Msg-Id header is the
// commit id (which every Append sets); it is accepted in the log when its
// First is the position after the previous accepted commit.
package natsstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/alliance-ledger/alliance/ledger"
)

// Options configures a Store.
type Options struct {
	// Replicas of each alliance stream; 0 means 1. Only used when a stream
	// is created.
	Replicas int
	// OnQuarantine, if set, is called each time a read steps over a message
	// that is not a valid commit (so it may be called again for the same
	// message by a later read). It runs on the reading goroutine.
	OnQuarantine func(Quarantined)
	// Logger receives warnings about quarantined messages and retried
	// appends; nil means slog.Default().
	Logger *slog.Logger
	// MaxPayload is the largest message the store publishes; 0 asks the
	// server (nats.Conn.MaxPayload) at each append.
	MaxPayload int
}

// Quarantined describes a stream message that readers skip because it is
// not a valid commit at its place in the log.
type Quarantined struct {
	Alliance  string
	StreamSeq uint64
	Reason    string
}

// Store is the JetStream ledger.Store. It is safe for concurrent use.
type Store struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	opts Options
	log  *slog.Logger

	mu        sync.Mutex
	alliances map[string]*alliance
}

// alliance is the store's cached knowledge of one alliance's stream.
type alliance struct {
	id string

	// mu serialises appends and tail refreshes of this alliance.
	mu     sync.Mutex
	tail   tail
	tailOK bool // tail was read from the stream

	// stream is the stream handle, nil until the stream is known to exist.
	// Guarded by Store.mu, not alliance.mu, so reads need not wait for an
	// append.
	stream jetstream.Stream
}

var _ ledger.Store = (*Store)(nil)

// StreamName is the JetStream stream holding an alliance's log. Alliance ids
// are valid stream names as they are.
func StreamName(id string) string { return streamPrefix + id }

// Subject is the subject an alliance's commits are published on.
func Subject(id string) string { return "alliance." + id + ".commits" }

const streamPrefix = "ALLIANCE_"

// New returns a store using nc. The connection stays the caller's to close.
func New(nc *nats.Conn, opts Options) (*Store, error) {
	if nc == nil {
		return nil, errors.New("natsstore: nil connection")
	}
	if opts.Replicas == 0 {
		opts.Replicas = 1
	}
	if opts.Replicas < 0 || opts.Replicas > 5 {
		return nil, fmt.Errorf("natsstore: %d replicas: want 1 to 5", opts.Replicas)
	}
	if opts.MaxPayload < 0 {
		return nil, fmt.Errorf("natsstore: negative max payload %d", opts.MaxPayload)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("natsstore: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Store{nc: nc, js: js, opts: opts, log: log, alliances: make(map[string]*alliance)}, nil
}

// StreamConfig is the configuration of an alliance's stream: nothing may
// ever be removed from it, by limits or by hand.
func StreamConfig(id string, replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              StreamName(id),
		Description:       "alliance ledger " + id,
		Subjects:          []string{Subject(id)},
		Retention:         jetstream.LimitsPolicy,
		MaxConsumers:      -1,
		MaxMsgs:           -1,
		MaxBytes:          -1,
		MaxAge:            0, // no age limit
		MaxMsgsPerSubject: -1,
		MaxMsgSize:        -1, // bounded by the server's max payload
		Discard:           jetstream.DiscardOld,
		Storage:           jetstream.FileStorage,
		Replicas:          replicas,
		DenyDelete:        true,
		DenyPurge:         true,
		AllowDirect:       true, // GetMsg served by any replica, without the API round trip
	}
}

// alliance returns the cached state of id, creating it on first use.
func (s *Store) alliance(id string) *alliance {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.alliances[id]
	if a == nil {
		a = &alliance{id: id}
		s.alliances[id] = a
	}
	return a
}

// errNoLog is the error for an alliance whose stream does not exist.
func errNoLog(id string) error {
	return fmt.Errorf("alliance %s has no log: %w", id, ledger.ErrNotFound)
}

// stream returns the handle of id's stream, or an error wrapping
// ledger.ErrNotFound if the stream does not exist.
func (s *Store) stream(ctx context.Context, a *alliance) (jetstream.Stream, error) {
	s.mu.Lock()
	st := a.stream
	s.mu.Unlock()
	if st != nil {
		return st, nil
	}
	st, err := s.js.Stream(ctx, StreamName(a.id))
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, errNoLog(a.id)
	}
	if err != nil {
		return nil, fmt.Errorf("alliance %s: stream: %w", a.id, err)
	}
	s.setStream(a, st)
	return st, nil
}

// setStream caches a stream handle; nil forgets it (the stream was deleted
// behind our back, so it must be looked up again).
func (s *Store) setStream(a *alliance, st jetstream.Stream) {
	s.mu.Lock()
	a.stream = st
	s.mu.Unlock()
}

// Last implements ledger.Store. It reads the stream each time, so it sees
// appends made by other processes.
func (s *Store) Last(ctx context.Context, id string) (uint64, error) {
	if !ledger.ValidAllianceID(id) {
		return 0, nil // no stream can hold it
	}
	a := s.alliance(id)
	a.mu.Lock()
	defer a.mu.Unlock()
	st, err := s.stream(ctx, a)
	if errors.Is(err, ledger.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if err := s.refresh(ctx, a, st); err != nil {
		if errors.Is(err, ledger.ErrNotFound) {
			return 0, nil
		}
		return 0, err
	}
	return a.tail.next - 1, nil
}

// Alliances implements ledger.Store: the alliances that have a stream.
func (s *Store) Alliances(ctx context.Context) ([]string, error) {
	names := s.js.StreamNames(ctx, jetstream.WithStreamListSubject("alliance.*.commits"))
	var ids []string
	for name := range names.Name() {
		id, ok := strings.CutPrefix(name, streamPrefix)
		if ok && ledger.ValidAllianceID(id) {
			ids = append(ids, id)
		}
	}
	if err := names.Err(); err != nil {
		return nil, fmt.Errorf("list alliance streams: %w", err)
	}
	slices.Sort(ids)
	return ids, nil
}

// quarantine reports a message that readers skip.
func (s *Store) quarantine(id string, seq uint64, reason string) {
	s.log.Warn("ledger: quarantined stream message",
		"alliance", id, "stream", StreamName(id), "stream_seq", seq, "reason", reason)
	if s.opts.OnQuarantine != nil {
		s.opts.OnQuarantine(Quarantined{Alliance: id, StreamSeq: seq, Reason: reason})
	}
}

// JetStream returns the store's JetStream context, for the buckets other
// packages keep next to the logs (API tokens, say).
func (s *Store) JetStream() jetstream.JetStream { return s.js }

// Replicas is the replica count the store creates streams and buckets with.
func (s *Store) Replicas() int { return s.opts.Replicas }

var _ ledger.CommitReader = (*Store)(nil)
