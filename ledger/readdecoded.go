package ledger

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
)

// Decoded is an event of a log as ReadDecoded hands it over.
type Decoded struct {
	Stored
	// Event is the event decoded, nil if its bytes do not decode. It
	// shares the stored bytes (DecodeEventShared).
	Event *Event
	// Err says why the event is not one to fold: it does not decode, says
	// it is at another position, or its payload does not validate by
	// itself. Readers skip such an event (its position stays taken).
	Err error
}

// DecodeChecked decodes a stored event as ReadDecoded does: Err is set if
// it does not decode (a panic in decoding included), is not at its
// position, or its payload does not validate.
func DecodeChecked(s Stored) (e *Event, err error) {
	defer func() {
		if p := recover(); p != nil {
			e, err = nil, fmt.Errorf("event does not decode: %v", p)
		}
	}()
	e, err = DecodeEventShared(s.Data)
	return checkDecoded(e, err, s.Seq)
}

// checkDecoded is DecodeChecked's verdict on an event decoded (or not,
// err) from position seq.
func checkDecoded(e *Event, err error, seq uint64) (_ *Event, cerr error) {
	defer func() {
		if p := recover(); p != nil {
			e, cerr = nil, fmt.Errorf("event does not decode: %v", p)
		}
	}()
	if err != nil {
		return nil, err
	}
	if e.Seq != seq {
		return e, fmt.Errorf("event says it is at position %d", e.Seq)
	}
	if err := e.Payload.Validate(); err != nil {
		return e, fmt.Errorf("%s does not validate: %w", e.Type, err)
	}
	return e, nil
}

// ReadDecoded calls fn with the alliance's events at positions from to to
// (0: up to the last stored when it started), in order, in batches, each decoded
// and checked (DecodeChecked) on one of workers goroutines (0: GOMAXPROCS)
// while fn runs on the caller's. An error from fn stops the read and is
// returned. A batch is fn's only until fn returns.
//
// Reading a long log is decoding. From a CommitReader the workers take
// whole commits and read each in one pass, every event decoded where a
// split would have ended (DecodeCommitShared), and what Read decides per
// message (does it decode, is it the alliance's, does it start where the
// log is) is decided here, in order, with the same words: the same events
// come out, and the same messages are reported with Quarantine and
// skipped. Other stores' events come from Read.
func ReadDecoded(ctx context.Context, s Store, alliance string, from, to uint64, workers int, fn func([]Decoded) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	from = max(from, 1)
	if cr, ok := s.(CommitReader); ok {
		return readCommitsDecoded(ctx, cr, alliance, from, to, workers, fn)
	}
	return readEventsDecoded(ctx, s, alliance, from, to, workers, fn)
}

// A pipeline's reader sends batches to the workers, which decode them,
// and in the same order to the caller, who takes each once it is decoded.
type pipeline[B any] struct {
	ctx     context.Context
	work    chan job[B]
	ordered chan job[B]
	wg      sync.WaitGroup
}

type job[B any] struct {
	b    *B
	done chan struct{}
}

// newPipeline starts workers goroutines that decode each batch.
func newPipeline[B any](ctx context.Context, workers int, decode func(*B)) *pipeline[B] {
	p := &pipeline[B]{ctx: ctx, work: make(chan job[B], 4*workers), ordered: make(chan job[B], 4*workers)}
	for range workers {
		p.wg.Go(func() {
			for j := range p.work {
				decode(j.b)
				close(j.done)
			}
		})
	}
	return p
}

// dispatch sends a batch on, unless ctx ends first.
func (p *pipeline[B]) dispatch(b *B) error {
	j := job[B]{b: b, done: make(chan struct{})}
	select {
	case p.ordered <- j:
	case <-p.ctx.Done():
		return p.ctx.Err()
	}
	p.work <- j // never blocks for long: the workers drain it
	return nil
}

// close says the reader sends no more.
func (p *pipeline[B]) close() {
	close(p.work)
	close(p.ordered)
}

// results calls fn with each batch in order, once decoded, until the reader
// closes the pipeline, then waits for the workers.
func (p *pipeline[B]) results(fn func(*B)) {
	for j := range p.ordered {
		<-j.done
		fn(j.b)
	}
	p.wg.Wait()
}

// decodedBatch is a run of Read's events.
type decodedBatch struct {
	events []Decoded
}

// Read's batches hold this many events.
const decodedBatchSize = 512

func readEventsDecoded(ctx context.Context, s Store, alliance string, from, to uint64, workers int, fn func([]Decoded) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := newPipeline(ctx, workers, decodeEvents)
	newBatch := func() *decodedBatch {
		return &decodedBatch{events: make([]Decoded, 0, decodedBatchSize)}
	}
	var readErr error
	go func() {
		defer p.close()
		b := newBatch()
		readErr = s.Read(ctx, alliance, from, func(st Stored) error {
			if to > 0 && st.Seq > to {
				return errReadTo
			}
			b.events = append(b.events, Decoded{Stored: st})
			if len(b.events) == decodedBatchSize {
				if err := p.dispatch(b); err != nil {
					return err
				}
				b = newBatch()
			}
			return nil
		})
		if len(b.events) > 0 {
			p.dispatch(b)
		}
	}()
	var err error
	p.results(func(b *decodedBatch) {
		if err == nil && ctx.Err() == nil {
			if err = fn(b.events); err != nil {
				cancel()
			}
		}
	})
	if err != nil {
		return err
	}
	if errors.Is(readErr, errReadTo) {
		return nil
	}
	return readErr
}

// decodeEvents decodes and checks a batch of Read's or Follow's events.
func decodeEvents(b *decodedBatch) {
	for i := range b.events {
		d := &b.events[i]
		d.Event, d.Err = DecodeChecked(d.Stored)
	}
}

// FollowDecoded is ReadDecoded that does not stop at the end: it follows
// the log (Store.Follow) until ctx ends or fn returns an error. A batch
// takes the events that have arrived and never waits to be filled.
func FollowDecoded(ctx context.Context, s Store, alliance string, from uint64, workers int, fn func([]Decoded) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := newPipeline(ctx, workers, decodeEvents)
	in := make(chan Stored, decodedBatchSize)
	var readErr error
	go func() {
		defer close(in)
		readErr = s.Follow(ctx, alliance, max(from, 1), func(st Stored) error {
			select {
			case in <- st:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	go func() {
		defer p.close()
		for st := range in {
			b := &decodedBatch{events: make([]Decoded, 0, decodedBatchSize)}
			b.events = append(b.events, Decoded{Stored: st})
		fill:
			for len(b.events) < decodedBatchSize {
				select {
				case st, ok := <-in:
					if !ok {
						break fill
					}
					b.events = append(b.events, Decoded{Stored: st})
				default:
					break fill
				}
			}
			if p.dispatch(b) != nil {
				for range in { // until Follow has returned, and readErr is set
				}
				return
			}
		}
	}()
	var err error
	p.results(func(b *decodedBatch) {
		if err == nil && ctx.Err() == nil {
			if err = fn(b.events); err != nil {
				cancel()
			}
		}
	})
	if err != nil {
		return err
	}
	if readErr == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return readErr
}

// errReadTo stops a read past its last position.
var errReadTo = errors.New("read past the last position wanted")

// commitBatch is a run of a CommitReader's messages, decoded by a worker.
type commitBatch struct {
	raw   []RawCommit
	bytes int
	// Per message: the commit (nil if it is not one, why says why) and
	// its events, checked.
	commits []*Commit
	whys    []string
	events  [][]*Event
	errs    [][]error
}

// A CommitReader's batches hand the workers a few hundred kilobytes of
// commits at a time: a few hundred events, as Read's batches do.
const (
	commitBatchBytes   = 256 << 10
	commitBatchCommits = 512
)

func readCommitsDecoded(ctx context.Context, cr CommitReader, alliance string, from, to uint64, workers int, fn func([]Decoded) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := newPipeline(ctx, workers, func(b *commitBatch) { decodeCommitBatch(cr, alliance, b) })
	var (
		next    uint64 // the position the next commit must start at
		began   = make(chan struct{})
		readErr error
	)
	go func() {
		defer p.close()
		b := &commitBatch{}
		readErr = cr.ReadCommits(ctx, alliance, from, func(n uint64) { next = n; close(began) }, func(m RawCommit) error {
			b.raw = append(b.raw, m)
			b.bytes += len(m.Data)
			if b.bytes >= commitBatchBytes || len(b.raw) >= commitBatchCommits {
				if err := p.dispatch(b); err != nil {
					return err
				}
				b = &commitBatch{}
			}
			return nil
		})
		if len(b.raw) > 0 {
			p.dispatch(b)
		}
	}()
	var (
		err    error
		done   bool      // past to: the rest is not wanted
		events []Decoded // reused: a batch is fn's only until it returns
	)
	p.results(func(b *commitBatch) { // check, in order
		<-began // ReadCommits calls begin before its first message
		if done || err != nil || ctx.Err() != nil {
			return
		}
		events = events[:0]
		for j, m := range b.raw {
			c, why := b.commits[j], b.whys[j]
			if c != nil && c.First != next {
				why = fmt.Sprintf("commit %s starts at position %d, want %d", c.ID, c.First, next)
				c = nil
			}
			if c == nil {
				cr.Quarantine(alliance, m.StreamSeq, why)
				continue
			}
			next = c.Last() + 1
			for i, data := range c.Events {
				seq := c.First + uint64(i)
				if to > 0 && seq > to {
					done = true
					break
				}
				if seq >= from {
					events = append(events, Decoded{Stored: Stored{Seq: seq, CommitID: c.ID, Data: data}, Event: b.events[j][i], Err: b.errs[j][i]})
				}
			}
			if done {
				break
			}
		}
		if len(events) > 0 {
			err = fn(events)
		}
		if err != nil || done {
			cancel() // stop reading
		}
		clear(events)
	})
	if err != nil || done {
		return err
	}
	return readErr
}

// decodeCommitBatch decodes a batch's messages and their events.
func decodeCommitBatch(cr CommitReader, alliance string, b *commitBatch) {
	n := len(b.raw)
	b.commits, b.whys = make([]*Commit, n), make([]string, n)
	b.events, b.errs = make([][]*Event, n), make([][]error, n)
	for j, m := range b.raw {
		c, events, errs, err := decodeCommitChecked(m.Data)
		if err != nil {
			b.whys[j] = err.Error()
			continue
		}
		if why := cr.CheckCommit(alliance, m, c); why != "" {
			b.whys[j] = why
			continue
		}
		b.commits[j], b.events[j], b.errs[j] = c, events, errs
	}
}

// decodeCommitChecked is UnmarshalCommit, then DecodeChecked of each of the
// commit's events, in one pass (DecodeCommitShared). If that panics (an
// upcaster's bug), the commit is split as Read splits it and each event
// decoded by DecodeChecked, which turns a panic into that event's error.
func decodeCommitChecked(data []byte) (c *Commit, events []*Event, errs []error, err error) {
	ok := func() (ok bool) {
		defer func() {
			if recover() != nil {
				ok = false
			}
		}()
		c, events, errs, err = DecodeCommitShared(data)
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
	if c, err = UnmarshalCommit(data); err != nil {
		return nil, nil, nil, err
	}
	events, errs = make([]*Event, len(c.Events)), make([]error, len(c.Events))
	for i, e := range c.Events {
		events[i], errs[i] = DecodeChecked(Stored{Seq: c.First + uint64(i), CommitID: c.ID, Data: e})
	}
	return c, events, errs, nil
}
