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

// tail is where an alliance's stream ends: the sequence of its last message
// (whatever it holds: the next append expects it) and the position the next
// commit must start at.
type tail struct {
	lastSeq uint64
	next    uint64
	// ours says the message at lastSeq is a commit this store appended
	// (the one before next), not a message a refresh stepped over.
	ours bool
}

// endsBefore reports whether the alliance's log, as a stream whose last
// message is at last holds it, ends before position from: the cached tail
// says so when the stream's last message is still the commit this store
// appended last. (After a message published by hand, the stream is read:
// readers report such messages.) It does not wait for an append in
// progress; the caller then reads the stream to find out.
func (a *alliance) endsBefore(from, last uint64) bool {
	if !a.mu.TryLock() {
		return false
	}
	defer a.mu.Unlock()
	return a.tailOK && a.tail.ours && a.tail.lastSeq == last && from >= a.tail.next
}

// decode returns the commit a stream message holds, or why it holds none.
// It does not check that the commit's First fits its place in the log.
func decode(id string, hdr nats.Header, data []byte) (*ledger.Commit, string) {
	c, err := ledger.UnmarshalCommit(data)
	if err != nil {
		return nil, err.Error()
	}
	if why := checkCommit(id, hdr.Get(jetstream.MsgIDHeader), c); why != "" {
		return nil, why
	}
	return c, ""
}

// checkCommit tells why c, stored under msgID, is not a commit of alliance
// id's log, or "" if it is.
func checkCommit(id, msgID string, c *ledger.Commit) string {
	if c.Alliance != id {
		return fmt.Sprintf("commit %s belongs to alliance %q", c.ID, c.Alliance)
	}
	// Every Append sets the header; a commit body published by hand without
	// it (a copy of an old message, say) is not part of the log.
	if msgID != c.ID {
		return fmt.Sprintf("commit %s has %s %q", c.ID, jetstream.MsgIDHeader, msgID)
	}
	return ""
}

// commitAt returns the commit stored at seq, or nil (and why) if the message
// there is not one or does not exist.
//
// Callers ask for sequences up to the last one the stream reported, so the
// message exists: messages are never removed. A direct get answered by a
// replica that has not stored it yet says otherwise, and taking its word
// would put the tail before the last commit (the next append would then
// overlap it): a missing message is asked for again for a few seconds.
func commitAt(ctx context.Context, id string, st jetstream.Stream, seq uint64) (*ledger.Commit, string, error) {
	m, err := st.GetMsg(ctx, seq)
	for wait := newBackoff(); errors.Is(err, jetstream.ErrMsgNotFound) && wait.d < 2*time.Second; {
		if err := wait.sleep(ctx); err != nil {
			return nil, "", fmt.Errorf("alliance %s: get message %d: %w", id, seq, err)
		}
		m, err = st.GetMsg(ctx, seq)
	}
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, "no message", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("alliance %s: get message %d: %w", id, seq, err)
	}
	c, why := decode(id, m.Header, m.Data)
	return c, why, nil
}

// refresh brings a.tail up to date with the stream. a.mu must be held.
//
// Starting from the cached tail (or the empty log), it walks back from the
// stream's last message over messages that are not commits to the last
// commit, and checks that it follows the commit before it. It nearly always
// does: only commits forged complete with their Nats-Msg-Id header can
// break the order, and then the tail is settled the way readers settle it,
// by scanning forward.
func (s *Store) refresh(ctx context.Context, a *alliance, st jetstream.Stream) error {
	info, err := st.Info(ctx)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s.setStream(a, nil)
		a.tailOK = false
		return errNoLog(a.id)
	}
	if err != nil {
		return fmt.Errorf("alliance %s: stream info: %w", a.id, err)
	}
	last := info.State.LastSeq
	base := tail{next: 1}
	if a.tailOK && a.tail.lastSeq <= last {
		// What we knew still holds: messages are never removed.
		base = a.tail
	}
	next, ok, err := walkBack(ctx, a.id, st, base, last)
	if err != nil {
		return err
	}
	if !ok {
		s.log.Warn("ledger: last commit does not follow its predecessor; scanning the stream for the tail",
			"alliance", a.id, "from_seq", base.lastSeq+1, "to_seq", last)
		ignore := func(uint64, string) {} // readers report them
		if next, err = s.scan(ctx, a.id, st, base.lastSeq+1, base.next, last, nil, ignore); err != nil {
			return err
		}
	}
	// Nothing after our own last commit: it is still the stream's last.
	ours := base.ours && base.lastSeq == last
	a.tail, a.tailOK = tail{lastSeq: last, next: next, ours: ours}, true
	return nil
}

// walkBack returns the position after the last commit stored after base,
// up to sequence last, and whether that commit follows the commit (or the
// base) before it.
func walkBack(ctx context.Context, id string, st jetstream.Stream, base tail, last uint64) (next uint64, ok bool, err error) {
	var top *ledger.Commit
	for seq := last; seq > base.lastSeq; seq-- {
		c, _, err := commitAt(ctx, id, st, seq)
		if err != nil {
			return 0, false, err
		}
		switch {
		case c == nil:
		case top == nil:
			top = c
		default:
			return top.Last() + 1, c.Last()+1 == top.First, nil
		}
	}
	if top == nil {
		return base.next, true, nil
	}
	return top.Last() + 1, top.First == base.next, nil
}
