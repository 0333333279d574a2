package natsstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/alliance-ledger/alliance/ledger"
)

// Read implements ledger.Store.
func (s *Store) Read(ctx context.Context, id string, from uint64, fn func(ledger.Stored) error) error {
	return s.read(ctx, id, from, false, fn)
}

// Follow implements ledger.Store.
func (s *Store) Follow(ctx context.Context, id string, from uint64, fn func(ledger.Stored) error) error {
	return s.read(ctx, id, from, true, fn)
}

func (s *Store) read(ctx context.Context, id string, from uint64, follow bool, fn func(ledger.Stored) error) error {
	st, start, next, end, err := s.readRange(ctx, id, from, follow)
	if err != nil || st == nil {
		return err
	}
	report := func(seq uint64, why string) { s.quarantine(id, seq, why) }
	_, err = s.scan(ctx, id, st, start, next, end, func(e ledger.Stored) error {
		if e.Seq < from {
			return nil
		}
		return fn(e)
	}, report)
	return err
}

// ReadCommits implements ledger.CommitReader.
func (s *Store) ReadCommits(ctx context.Context, id string, from uint64, begin func(next uint64), fn func(ledger.RawCommit) error) error {
	st, start, next, end, err := s.readRange(ctx, id, from, false)
	if err != nil || st == nil {
		return err
	}
	begin(next)
	return s.messages(ctx, id, st, start, end, func(seq uint64, hdr nats.Header, data []byte) error {
		return fn(ledger.RawCommit{StreamSeq: seq, Data: data, StoredID: hdr.Get(jetstream.MsgIDHeader)})
	})
}

// CheckCommit implements ledger.CommitReader.
func (s *Store) CheckCommit(id string, m ledger.RawCommit, c *ledger.Commit) string {
	return checkCommit(id, m.StoredID, c)
}

// Quarantine implements ledger.CommitReader.
func (s *Store) Quarantine(id string, seq uint64, why string) { s.quarantine(id, seq, why) }

// readRange finds what a read from position from scans: the stream, the
// sequence to start at, the position its first commit should start at,
// and the sequence to end at (0: never, for follow). A nil stream: there
// is nothing to read.
func (s *Store) readRange(ctx context.Context, id string, from uint64, follow bool) (st jetstream.Stream, start, next, end uint64, err error) {
	if !ledger.ValidAllianceID(id) {
		return nil, 0, 0, 0, errNoLog(id)
	}
	from = max(from, 1)
	a := s.alliance(id)
	if st, err = s.stream(ctx, a); err != nil {
		return nil, 0, 0, 0, err
	}
	info, err := st.Info(ctx)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s.setStream(a, nil)
		return nil, 0, 0, 0, errNoLog(id)
	}
	if err != nil {
		return nil, 0, 0, 0, fmt.Errorf("alliance %s: stream info: %w", id, err)
	}
	first, last := max(info.State.FirstSeq, 1), info.State.LastSeq
	if !follow && last < first {
		return nil, 0, 0, 0, nil // empty stream
	}
	if !follow && from > 1 && a.endsBefore(from, last) {
		return nil, 0, 0, 0, nil // a catch-up with nothing new: no seek, no consumer
	}
	start, next = first, uint64(1)
	if from > 1 && last >= first {
		if start, next, err = s.seek(ctx, id, st, from, first, last); err != nil {
			return nil, 0, 0, 0, err
		}
	}
	end = last
	if follow {
		end = 0
	}
	return st, start, next, end, nil
}

// seek finds where a read from position from starts: the stream sequence
// of the commit holding position from (or of an earlier commit) and that
// commit's First. It binary-searches the stream, whose commits' First grows
// with their sequence, stepping over messages that are not commits.
func (s *Store) seek(ctx context.Context, id string, st jetstream.Stream, from, first, last uint64) (uint64, uint64, error) {
	var (
		best    *ledger.Commit
		bestSeq uint64
	)
	lo, hi := first, last // first >= 1, so hi = mid-1 cannot wrap
	for lo <= hi {
		mid := lo + (hi-lo)/2
		seq, c, err := nextCommit(ctx, id, st, mid, hi)
		if err != nil {
			return 0, 0, err
		}
		switch {
		case c == nil:
			hi = mid - 1
		case c.First <= from:
			best, bestSeq = c, seq
			lo = seq + 1
		default:
			hi = mid - 1
		}
	}
	if best == nil {
		return first, 1, nil
	}
	// A forged commit (a replay with its msg id header, say) could mislead
	// the search past the events we want. A start that does not follow the
	// commit before it is suspect: scan the whole log instead, which is slow
	// but reads exactly what a reader from the start would.
	ok, err := linked(ctx, id, st, bestSeq, best, first)
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		s.log.Warn("ledger: commit found by seek does not follow its predecessor; reading from the start",
			"alliance", id, "stream_seq", bestSeq, "commit", best.ID)
		return first, 1, nil
	}
	return bestSeq, best.First, nil
}

// nextCommit returns the first commit at a sequence in [from, to], or nil.
func nextCommit(ctx context.Context, id string, st jetstream.Stream, from, to uint64) (uint64, *ledger.Commit, error) {
	for seq := from; seq <= to; seq++ {
		c, _, err := commitAt(ctx, id, st, seq)
		if err != nil || c != nil {
			return seq, c, err
		}
	}
	return 0, nil, nil
}

// linked reports whether commit c, stored at seq, starts right after the
// commit before it (at position 1 if there is none).
func linked(ctx context.Context, id string, st jetstream.Stream, seq uint64, c *ledger.Commit, first uint64) (bool, error) {
	for s := seq - 1; s >= first && s > 0; s-- {
		p, _, err := commitAt(ctx, id, st, s)
		if err != nil {
			return false, err
		}
		if p != nil {
			return p.Last()+1 == c.First, nil
		}
	}
	return c.First == 1, nil
}

// scan reads the stream from sequence start, where position next is
// expected, to sequence end (0: until ctx ends), calling fn (if not nil) for
// each event of each commit whose First is the position expected, and bad
// for every other message. It returns the position after the last commit.
func (s *Store) scan(ctx context.Context, id string, st jetstream.Stream, start, next, end uint64,
	fn func(ledger.Stored) error, bad func(seq uint64, why string)) (uint64, error) {
	err := s.messages(ctx, id, st, start, end, func(seq uint64, hdr nats.Header, data []byte) error {
		c, why := decode(id, hdr, data)
		if c != nil && c.First != next {
			why = fmt.Sprintf("commit %s starts at position %d, want %d", c.ID, c.First, next)
			c = nil
		}
		if c == nil {
			bad(seq, why)
			return nil
		}
		if err := emit(c, fn); err != nil {
			return err
		}
		next = c.Last() + 1
		return nil
	})
	return next, err
}

// messages calls fn for each message of the alliance's stream from
// sequence start to sequence end (0: until ctx ends), in order.
func (s *Store) messages(ctx context.Context, id string, st jetstream.Stream, start, end uint64,
	fn func(seq uint64, hdr nats.Header, data []byte) error) error {
	// An ordered consumer streams the messages in batches (one GetMsg per
	// message would be far too slow for long logs) and recreates itself,
	// resuming in order, if the server or the connection fails.
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{Subject(id)},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    start,
	})
	if err != nil {
		return fmt.Errorf("alliance %s: read: %w", id, err)
	}
	// Bound the client's buffer in bytes too: 500 commits of a megabyte each
	// would be half a gigabyte.
	it, err := cons.Messages(jetstream.PullMaxMessagesWithBytesLimit(500, max(8<<20, 2*s.maxPayload())))
	if err != nil {
		return fmt.Errorf("alliance %s: read: %w", id, err)
	}
	defer s.dropConsumer(ctx, id, cons)
	defer it.Stop()
	// Stop rather than a Next context: it also interrupts the consumer's
	// own retries while the server is unreachable.
	defer context.AfterFunc(ctx, it.Stop)()

	for {
		m, err := it.Next()
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			return fmt.Errorf("alliance %s: read: %w", id, err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("alliance %s: read: %w", id, err)
		}
		seq := meta.Sequence.Stream
		if err := fn(seq, m.Headers(), m.Data()); err != nil {
			return err
		}
		if end != 0 && seq >= end {
			return nil
		}
	}
}

// emit calls fn, if not nil, for each event of c.
func emit(c *ledger.Commit, fn func(ledger.Stored) error) error {
	if fn == nil {
		return nil
	}
	for i, e := range c.Events {
		if err := fn(ledger.Stored{Seq: c.First + uint64(i), CommitID: c.ID, Data: e}); err != nil {
			return err
		}
	}
	return nil
}

// dropConsumer deletes a finished read's consumer now rather than leave it
// to the server's inactivity timeout: readers come and go often.
func (s *Store) dropConsumer(ctx context.Context, id string, cons jetstream.Consumer) {
	info := cons.CachedInfo()
	if info == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := s.js.DeleteConsumer(ctx, StreamName(id), info.Name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		s.log.Debug("ledger: cannot delete read consumer", "alliance", id, "consumer", info.Name, "err", err)
	}
}
