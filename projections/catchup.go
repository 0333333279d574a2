package projections

import (
	"context"
	"fmt"
	"sync"

	"github.com/alliance-ledger/alliance/ledger"
)

// Catching up with a long log (a rebuild from zero reads a million events)
// is decoding: the workers take whole commits from a ledger.CommitReader
// and read each in one pass, its events decoded where the split would
// have ended (ledger.DecodeCommitShared), rather than the store splitting
// every commit on one goroutine and the workers scanning each event again.
// What the store's Read decides per message (does it decode, is it the
// alliance's, does it start where the log is) is decided here, in order,
// with the same words: the same commits are folded, the same messages
// quarantined.

// commitBatch is a run of messages in stream order, decoded by a worker.
type commitBatch struct {
	raw   []ledger.RawCommit
	bytes int
	// Per message: the commit (nil if it is not one, why says why) and
	// its events as decodeValid leaves them.
	commits []*ledger.Commit
	whys    []string
	events  [][]*ledger.Event
	errs    [][]error
	done    chan struct{}
}

// Batches hand the workers a few hundred kilobytes of commits at a time:
// a few hundred events, as the per-event batches do.
const (
	commitBatchBytes   = 256 << 10
	commitBatchCommits = 512
)

// catchUpCommits is run's catch-up (not follow) over a CommitReader.
func (r *Runner) catchUpCommits(ctx context.Context, cr ledger.CommitReader, from, until uint64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *commitBatch, 4*r.opts.Workers)
	ordered := make(chan *commitBatch, 4*r.opts.Workers)
	dispatch := func(b *commitBatch) error {
		select {
		case ordered <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
		work <- b // never blocks for long: the workers drain it
		return nil
	}
	var (
		next    uint64 // the position the next commit must start at
		began   = make(chan struct{})
		readErr error
	)
	go func() {
		defer close(work)
		defer close(ordered)
		b := &commitBatch{done: make(chan struct{})}
		readErr = cr.ReadCommits(ctx, r.alliance, from, func(n uint64) { next = n; close(began) }, func(m ledger.RawCommit) error {
			b.raw = append(b.raw, m)
			b.bytes += len(m.Data)
			if b.bytes >= commitBatchBytes || len(b.raw) >= commitBatchCommits {
				if err := dispatch(b); err != nil {
					return err
				}
				b = &commitBatch{done: make(chan struct{})}
			}
			return nil
		})
		if len(b.raw) > 0 {
			dispatch(b)
		}
	}()
	var wg sync.WaitGroup
	for range r.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				r.decodeCommits(cr, b)
				close(b.done)
			}
		}()
	}
	stopped := false         // past until: the rest is not wanted
	for b := range ordered { // check and fold, in order
		<-began // ReadCommits calls begin before its first message
		<-b.done
		if stopped || ctx.Err() != nil {
			continue
		}
		d := &decoded{}
		stop := false
		for j, m := range b.raw {
			c, why := b.commits[j], b.whys[j]
			if c != nil && c.First != next {
				why = fmt.Sprintf("commit %s starts at position %d, want %d", c.ID, c.First, next)
				c = nil
			}
			if c == nil {
				cr.Quarantine(r.alliance, m.StreamSeq, why)
				continue
			}
			next = c.Last() + 1
			for i, data := range c.Events {
				seq := c.First + uint64(i)
				if until > 0 && seq > until {
					stop = true
					break
				}
				if seq < from {
					continue
				}
				d.stored = append(d.stored, ledger.Stored{Seq: seq, CommitID: c.ID, Data: data})
				d.events = append(d.events, b.events[j][i])
				d.errs = append(d.errs, b.errs[j][i])
			}
			if stop {
				break
			}
		}
		if len(d.stored) > 0 {
			r.fold(d)
			if e := r.maybeSnapshot(ctx); e != nil {
				r.log.Warn("snapshot not saved", "err", e)
			}
		}
		if stop {
			stopped = true
			cancel() // stop reading
		}
	}
	wg.Wait()
	if stopped {
		return nil
	}
	return readErr
}

// decodeCommits decodes a batch's messages and their events.
func (r *Runner) decodeCommits(cr ledger.CommitReader, b *commitBatch) {
	n := len(b.raw)
	b.commits, b.whys = make([]*ledger.Commit, n), make([]string, n)
	b.events, b.errs = make([][]*ledger.Event, n), make([][]error, n)
	for j, m := range b.raw {
		c, events, errs, err := decodeCommitValid(m.Data)
		if err != nil {
			b.whys[j] = err.Error()
			continue
		}
		if why := cr.CheckCommit(r.alliance, m, c); why != "" {
			b.whys[j] = why
			continue
		}
		b.commits[j], b.events[j], b.errs[j] = c, events, errs
	}
}

// decodeCommitValid is ledger.UnmarshalCommit, then decodeValid of each of
// the commit's events, in one pass (ledger.DecodeCommitShared). If that
// panics (an upcaster's bug), the commit is split as Read splits it and
// each event decoded by decodeValid, which turns a panic into that event's
// error.
func decodeCommitValid(data []byte) (c *ledger.Commit, events []*ledger.Event, errs []error, err error) {
	ok := func() (ok bool) {
		defer func() {
			if recover() != nil {
				ok = false
			}
		}()
		c, events, errs, err = ledger.DecodeCommitShared(data)
		return true
	}()
	if ok {
		if err != nil {
			return nil, nil, nil, err
		}
		for i, e := range events {
			events[i], errs[i] = checkDecoded(e, errs[i], c.First+uint64(i))
		}
		return c, events, errs, nil
	}
	if c, err = ledger.UnmarshalCommit(data); err != nil {
		return nil, nil, nil, err
	}
	events, errs = make([]*ledger.Event, len(c.Events)), make([]error, len(c.Events))
	for i, e := range c.Events {
		events[i], errs[i] = decodeValid(ledger.Stored{Seq: c.First + uint64(i), CommitID: c.ID, Data: e})
	}
	return c, events, errs, nil
}
