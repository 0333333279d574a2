package natsstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/alliance-ledger/alliance/ledger"
)

// Append implements ledger.Store. It returns nil only once the commit is in
// the stream, exactly once, at the alliance's next position. When it cannot
// tell (ctx ended while the server was unreachable) the error says the
// outcome is unknown: the caller must read the log to find out.
func (s *Store) Append(ctx context.Context, c *ledger.Commit) error {
	if err := c.Validate(); err != nil {
		return err
	}
	data := ledger.MarshalCommit(c)
	if limit := s.maxPayload() - headerBytes(c.ID); len(data) > limit {
		return fmt.Errorf("commit %s to alliance %s is %d bytes, more than the %d bytes a message may hold: %w",
			c.ID, c.Alliance, len(data), limit, ledger.ErrInvalid)
	}

	a := s.alliance(c.Alliance)
	a.mu.Lock()
	defer a.mu.Unlock()

	st, err := s.stream(ctx, a)
	if errors.Is(err, ledger.ErrNotFound) {
		a.tailOK = false
		if c.First != 1 {
			return &ledger.ConflictError{Alliance: c.Alliance, Want: c.First, Next: 1}
		}
		st, err = s.createStream(ctx, a)
	}
	if err != nil {
		return err
	}
	// The cached tail is good enough to publish with: if another writer
	// moved the stream on, the server refuses the expected sequence. It is
	// not good enough to refuse a commit: that takes a fresh look.
	fresh := false
	if !a.tailOK {
		if err := s.refresh(ctx, a, st); err != nil {
			return err
		}
		fresh = true
	}

	if err := ctx.Err(); err != nil {
		return err // nothing sent yet: the outcome is known
	}
	wait := newBackoff()
	// unsure is set once an attempt may still land (its outcome is
	// unknown): from then on a refusal of a later attempt says nothing
	// about the commit.
	unsure := false
	settled := func(err error) error {
		if unsure {
			return unknownOutcome(c, err)
		}
		return err
	}
	for {
		if a.tail.next != c.First {
			if fresh {
				return settled(&ledger.ConflictError{Alliance: c.Alliance, Want: c.First, Next: a.tail.next})
			}
			if err := s.refresh(ctx, a, st); err != nil {
				return settled(err)
			}
			fresh = true
			continue
		}
		expect := a.tail.lastSeq
		ack, err := s.js.PublishMsg(ctx, &nats.Msg{Subject: Subject(c.Alliance), Data: data},
			jetstream.WithMsgID(c.ID), jetstream.WithExpectLastSequence(expect))
		if err == nil && ack.Duplicate {
			return s.duplicate(ctx, a, st, c, data, ack)
		}
		if err == nil {
			a.tail = tail{lastSeq: ack.Sequence, next: c.Last() + 1, ours: true}
			return nil
		}

		pubErr := err
		wrongSeq := isWrongLastSequence(err)
		refused := false // this attempt was refused, an earlier one may land
		switch {
		case wrongSeq:
			// Another writer got there first, someone published by hand,
			// or an earlier attempt of ours landed after all (a standalone
			// server checks the sequence before the msg id).
		case errors.Is(err, nats.ErrMaxPayload) || isAPIError(err, jetstream.JSErrCodeStreamMessageExceedsMaximum):
			return fmt.Errorf("commit %s to alliance %s (%d bytes): %v: %w", c.ID, c.Alliance, len(data), err, ledger.ErrInvalid)
		case isAPIError(err, errCodeMsgIDInProcess):
			// A clustered stream is still storing an earlier attempt with
			// this msg id (it timed out on our side, say): it may yet land.
			// Look, and publish again: once it is stored the retry is
			// acknowledged as a duplicate.
			unsure = true
			s.log.Warn("ledger: an earlier attempt of the append is still in process, checking the stream",
				"alliance", c.Alliance, "commit", c.ID, "expected_last_seq", expect, "err", err)
		case isAPIError(err, 0) && !unsure:
			// The server answered and refused: nothing was stored.
			return fmt.Errorf("append commit %s to alliance %s: %w", c.ID, c.Alliance, err)
		case isAPIError(err, 0):
			refused = true
		case errors.Is(err, nats.ErrConnectionClosed):
			return unknownOutcome(c, err)
		default:
			// Timeout, no responders while a leader is elected, connection
			// lost: the message may or may not be stored.
			unsure = true
			s.log.Warn("ledger: append outcome unknown, checking the stream",
				"alliance", c.Alliance, "commit", c.ID, "expected_last_seq", expect, "err", err)
		}

		// Our message can only ever land at expect+1: look there.
		found, err := s.landed(ctx, a, st, c, data, expect+1, wait)
		if errors.Is(err, errOutcomeUnknown) {
			return unknownOutcome(c, err)
		}
		if err != nil {
			return err // the stream is gone, and our message with it
		}
		switch found {
		case landedOurs:
			a.tail = tail{lastSeq: expect + 1, next: c.Last() + 1, ours: true}
			return nil
		case landedOther:
			// Our message can no longer land. Whether we may retry at the new
			// end depends on what took the place: the loop checks.
			unsure = false
			if err := s.refresh(ctx, a, st); err != nil {
				return err
			}
			fresh = true
		case landedNothing:
			if wrongSeq {
				// The stream is not where we thought, yet expect+1 is empty:
				// it must have been recreated. Start over from what it holds.
				if err := s.refresh(ctx, a, st); err != nil {
					return settled(err)
				}
				fresh = true
				continue
			}
			if refused {
				// Refused now, yet an earlier attempt may still land.
				return unknownOutcome(c, pubErr)
			}
			// Not stored (yet): publish the same message again. The msg id
			// and expected sequence make a late first attempt harmless.
			if err := wait.sleep(ctx); err != nil {
				return unknownOutcome(c, err)
			}
		}
	}
}

// maxPayload is the largest message the store may publish.
func (s *Store) maxPayload() int {
	if s.opts.MaxPayload > 0 {
		return s.opts.MaxPayload
	}
	return int(s.nc.MaxPayload())
}

// headerBytes is the size of the headers Append sends with a commit; the
// server's payload limit counts headers and body together.
func headerBytes(id string) int {
	const maxUint64Digits = 20
	return len("NATS/1.0\r\n") +
		len(jetstream.MsgIDHeader) + len(": ") + len(id) + len("\r\n") +
		len(jetstream.ExpectedLastSeqHeader) + len(": ") + maxUint64Digits + len("\r\n") +
		len("\r\n")
}

// createStream creates id's stream for its first commit.
func (s *Store) createStream(ctx context.Context, a *alliance) (jetstream.Stream, error) {
	st, err := s.js.CreateStream(ctx, StreamConfig(a.id, s.opts.Replicas))
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		// It exists with another config: an operator may have changed, say,
		// its replicas. Use it as it is rather than undo that.
		st, err = s.js.Stream(ctx, StreamName(a.id))
	}
	if err != nil {
		return nil, fmt.Errorf("alliance %s: create stream: %w", a.id, err)
	}
	s.setStream(a, st)
	return st, nil
}

// duplicate handles an ack saying a message with the commit's id is already
// in the stream (a clustered server checks ids before the expected
// sequence, so a republished commit that had landed is acked this way).
func (s *Store) duplicate(ctx context.Context, a *alliance, st jetstream.Stream, c *ledger.Commit, data []byte, ack *jetstream.PubAck) error {
	m, err := st.GetMsg(ctx, ack.Sequence)
	// A direct get may be answered by a replica that has not stored the
	// message yet: give it a moment.
	for wait := newBackoff(); errors.Is(err, jetstream.ErrMsgNotFound) && wait.d < time.Second; {
		if wait.sleep(ctx) != nil {
			break
		}
		m, err = st.GetMsg(ctx, ack.Sequence)
	}
	if err != nil {
		// Stored, the server says: whether it is this commit is not known.
		return unknownOutcome(c, fmt.Errorf("server reports it stored at stream sequence %d, which does not read: %w", ack.Sequence, err))
	}
	if m.Header.Get(jetstream.MsgIDHeader) != c.ID || !bytes.Equal(m.Data, data) {
		return fmt.Errorf("commit id %s of alliance %s is already used by another message (stream sequence %d): %w",
			c.ID, c.Alliance, ack.Sequence, ledger.ErrConflict)
	}
	// Stored exactly once. The tail moves on at the next refresh.
	a.tailOK = false
	return nil
}

type landing int

const (
	landedNothing landing = iota // no message there yet
	landedOurs                   // our commit is stored there
	landedOther                  // another message took the place
)

// landed reports what is stored at seq, retrying (with wait) while the
// stream cannot be read, until ctx ends.
func (s *Store) landed(ctx context.Context, a *alliance, st jetstream.Stream, c *ledger.Commit, data []byte, seq uint64, wait *backoff) (landing, error) {
	for {
		m, err := st.GetMsg(ctx, seq)
		switch {
		case err == nil:
			if m.Header.Get(jetstream.MsgIDHeader) == c.ID && bytes.Equal(m.Data, data) {
				return landedOurs, nil
			}
			return landedOther, nil
		case errors.Is(err, jetstream.ErrMsgNotFound):
			return landedNothing, nil
		case errors.Is(err, nats.ErrConnectionClosed):
			return 0, fmt.Errorf("%w: %w", errOutcomeUnknown, err)
		case errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, nats.ErrNoResponders):
			// A direct get on a deleted stream finds no responders.
			if _, ierr := st.Info(ctx); errors.Is(ierr, jetstream.ErrStreamNotFound) {
				s.setStream(a, nil)
				a.tailOK = false
				return 0, errNoLog(a.id)
			}
		}
		s.log.Warn("ledger: cannot read the stream to settle an append, retrying",
			"alliance", a.id, "commit", c.ID, "stream_seq", seq, "err", err)
		if err := wait.sleep(ctx); err != nil {
			return 0, fmt.Errorf("%w: %w", errOutcomeUnknown, err)
		}
	}
}

// errCodeMsgIDInProcess is the JetStream error "duplicate message id is in
// process": a clustered stream has a message with this msg id proposed
// but not yet stored.
const errCodeMsgIDInProcess jetstream.ErrorCode = 10158

// errOutcomeUnknown marks an append that may or may not have been stored.
var errOutcomeUnknown = errors.New("outcome unknown")

func unknownOutcome(c *ledger.Commit, err error) error {
	if errors.Is(err, errOutcomeUnknown) {
		return fmt.Errorf("append commit %s to alliance %s: %w", c.ID, c.Alliance, err)
	}
	return fmt.Errorf("append commit %s to alliance %s: %w: %w", c.ID, c.Alliance, errOutcomeUnknown, err)
}

// isWrongLastSequence reports whether the server refused a publish because
// the stream's last sequence was not the expected one.
func isWrongLastSequence(err error) bool {
	return isAPIError(err, jetstream.JSErrCodeStreamWrongLastSequence) ||
		isAPIError(err, jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// isAPIError reports whether err is an error answered by the JetStream API
// with the given code (any code if 0).
func isAPIError(err error, code jetstream.ErrorCode) bool {
	var jsErr jetstream.JetStreamError
	if !errors.As(err, &jsErr) {
		return false
	}
	api := jsErr.APIError()
	return api != nil && (code == 0 || api.ErrorCode == code)
}

// backoff spaces retries: short at first (a leader election takes a few
// hundred milliseconds), at most two seconds apart.
type backoff struct{ d time.Duration }

func newBackoff() *backoff { return &backoff{d: 25 * time.Millisecond} }

func (b *backoff) sleep(ctx context.Context) error {
	t := time.NewTimer(b.d)
	defer t.Stop()
	b.d = min(2*b.d, 2*time.Second)
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
