package ledger

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// WriterOptions configure a Writer. Zero values take the defaults.
type WriterOptions struct {
	// MaxCommitEvents and MaxCommitBytes cap one commit; they must stay below
	// the server's max payload (1 MB by default).
	MaxCommitEvents int // default 4096
	MaxCommitBytes  int // default 900 KiB
	// Now is the clock that stamps recorded_at (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
	// CommitDelay is how long a commit may wait, once the store is free,
	// for more requests to join it, when it holds fewer requests than the
	// commit before it (group commit's commit delay: with many callers,
	// each waiting for its answer before it sends the next request, a
	// commit sent at once carries only those that happened to arrive
	// while the last one was written, and the store's cost per commit is
	// spread over few events). A lone caller never waits: its commits
	// hold one request each. Default DefaultCommitDelay; negative: none.
	CommitDelay time.Duration
	// OnCommit, if set, is told of each commit once the store holds it,
	// before its callers are answered, in log order per alliance (the
	// audit tree is kept up to date this way). It runs on the publishing
	// goroutine: it must be quick and must not call the writer.
	OnCommit func(*Commit)
}

// Writer appends validated commands to the store. Per alliance, one
// goroutine decides and appends in group commits: while a commit is being
// written and fsynced, arriving requests are decided into the next one,
// which is sent as soon as the store is free (up to the caps). Requests are validated in order against the
// state as it will be after the requests before them, so one caller's
// invalid command is rejected alone.
type Writer struct {
	store Store
	opts  WriterOptions
	log   *slog.Logger

	// Appends read the alliances' writers and whether the writer is
	// closed without a lock (a thousand callers at once would queue for
	// one); mu orders creating a writer with Close.
	mu        sync.Mutex
	alliances sync.Map // alliance id → *allianceWriter
	closed    atomic.Bool
	wg        sync.WaitGroup
	stop      chan struct{}
}

// NewWriter returns a writer over store. Close it to stop its goroutines.
func NewWriter(store Store, opts WriterOptions) *Writer {
	if opts.MaxCommitEvents <= 0 {
		opts.MaxCommitEvents = 4096
	}
	if opts.MaxCommitBytes <= 0 {
		opts.MaxCommitBytes = 900 << 10
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.CommitDelay == 0 {
		opts.CommitDelay = DefaultCommitDelay
	}
	return &Writer{store: store, opts: opts, log: opts.Logger, stop: make(chan struct{})}
}

// DefaultCommitDelay is WriterOptions.CommitDelay's default: about what a
// durable write of a commit takes on a commodity SSD.
const DefaultCommitDelay = 2 * time.Millisecond

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("writer closed")

// Close stops the writer. Requests not yet taken into a commit fail with
// ErrClosed; a commit being written completes.
func (w *Writer) Close() {
	w.mu.Lock()
	if !w.closed.Swap(true) {
		close(w.stop)
	}
	w.mu.Unlock()
	w.wg.Wait()
}

// Append validates req and appends its events atomically. It returns once
// the commit holding them is durable.
func (w *Writer) Append(ctx context.Context, req Request) (Receipt, error) {
	if err := req.Validate(w.opts.Now()); err != nil {
		return Receipt{}, err
	}
	p, err := newPending(ctx, req)
	if err != nil {
		return Receipt{}, err
	}
	aw, err := w.allianceWriter(req.Alliance)
	if err != nil {
		return Receipt{}, err
	}
	// A send alone first: a select locks every channel it names, and with
	// a thousand callers w.stop's lock would be the busiest in the process.
	select {
	case aw.queue <- p:
	default:
		select {
		case aw.queue <- p:
		case <-ctx.Done():
			return Receipt{}, ctx.Err()
		case <-w.stop:
			return Receipt{}, ErrClosed
		}
	}
	if w.closed.Load() {
		// Close may have drained the queue before p was in it. Once the
		// writer's goroutines are gone, every answer they will ever give
		// has been given.
		w.wg.Wait()
		select {
		case r := <-p.done:
			return r.receipt, r.err
		default:
			return Receipt{}, ErrClosed
		}
	}
	// p was queued before Close (if ever) closed w.stop, so the writer
	// answers it: taken into a commit, or refused when it stops.
	done := ctx.Done()
	if done == nil {
		r := <-p.done
		return r.receipt, r.err
	}
	select {
	case r := <-p.done:
		return r.receipt, r.err
	case <-done:
		// The request may still be committed; a retry with the same
		// idempotency key finds out.
		return Receipt{}, ctx.Err()
	}
}

// AppendInOrder appends requests that depend on each other (an import, the
// sample alliance) in their order without waiting for each commit: they are
// queued together, so group commit packs them. Each request is still atomic
// on its own; the receipts come back in order, and the first error stops
// the wait (requests after a failed one are validated on their own and
// usually fail too).
func (w *Writer) AppendInOrder(ctx context.Context, reqs []Request, progress func(done int)) ([]Receipt, error) {
	if err := validateAll(reqs, w.opts.Now()); err != nil {
		return nil, err
	}
	enc := encodeAll(ctx, reqs)
	defer enc.stop()
	receipts := make([]Receipt, 0, len(reqs))
	next := 0 // requests handed to a writer
	for len(receipts) < len(reqs) {
		// Keep a bounded window in flight so progress is steady and memory flat.
		for next < len(reqs) && next-len(receipts) < 4096 && enc.released(next) {
			p, err := enc.get(ctx, next)
			if err != nil {
				return receipts, err
			}
			aw, err := w.allianceWriter(reqs[next].Alliance)
			if err != nil {
				return receipts, err
			}
			select {
			case aw.queue <- p:
				next++
			case <-ctx.Done():
				return receipts, ctx.Err()
			case <-w.stop:
				return receipts, ErrClosed
			}
		}
		select {
		case r := <-enc.ps[len(receipts)].done:
			if r.err != nil {
				return receipts, fmt.Errorf("request %d (%s): %w", len(receipts), reqs[len(receipts)].IdempotencyKey, r.err)
			}
			receipts = append(receipts, r.receipt)
			enc.release(len(receipts))
			if progress != nil {
				progress(len(receipts))
			}
		case <-ctx.Done():
			return receipts, ctx.Err()
		case <-w.stop:
			// Requests not answered yet may or may not be stored: a
			// retry with the same keys finds out.
			return receipts, ErrClosed
		}
	}
	return receipts, nil
}

// validateAll checks every request by itself, on every core, and fails
// with the first bad one in order: before anything is queued.
func validateAll(reqs []Request, now time.Time) error {
	errs := make([]error, len(reqs))
	parallelChunks(len(reqs), chunkOf(reqs), func(from, to int) bool {
		for i := from; i < to; i++ {
			if err := reqs[i].Validate(now); err != nil {
				errs[i] = fmt.Errorf("request %d: %w", i, err)
			}
		}
		return true
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// encoding encodes validated requests on every core, chunk by chunk in
// order, while the first ones are already being appended: an import's
// encoding overlaps its appends instead of preceding them. It keeps at
// most encodeAhead commands ahead of the requests stored, so that what
// the writer copies from an encoding was made moments before and is still
// in the processor's cache, and so that the encoders take turns with the
// writer rather than a core for themselves while the appends start.
type encoding struct {
	chunk int // requests per chunk
	ps    []*pending
	errs  []error
	ready []chan struct{} // closed when chunk i is encoded
	start []chan struct{} // closed when chunk i may be encoded
	ahead int             // chunks encoded ahead of the first not stored
	freed int             // chunks whose start is closed
	quit  atomic.Bool
	wg    sync.WaitGroup
}

// encodeAhead is about how many commands are encoded ahead of those
// stored: a few full commits.
const encodeAhead = 8192

// encodeChunk is about how many commands a chunk of requests holds: enough
// to make handing out chunks cheap, few enough that the writer can start on
// the first soon.
const encodeChunk = 256

// chunkOf is how many of reqs make a chunk of about encodeChunk commands:
// 256 requests of one command, one of 200 (an import's).
func chunkOf(reqs []Request) int {
	cmds := 0
	for i := range reqs {
		cmds += len(reqs[i].Commands)
	}
	return max(1, encodeChunk*len(reqs)/max(cmds, 1))
}

func encodeAll(ctx context.Context, reqs []Request) *encoding {
	size := chunkOf(reqs)
	n := (len(reqs) + size - 1) / size
	e := &encoding{chunk: size, ps: make([]*pending, len(reqs)), errs: make([]error, len(reqs)),
		ready: make([]chan struct{}, n), start: make([]chan struct{}, n), ahead: max(1, encodeAhead/encodeChunk)}
	for i := range e.ready {
		e.ready[i], e.start[i] = make(chan struct{}), make(chan struct{})
	}
	e.release(0)
	e.wg.Go(func() {
		parallelChunks(len(reqs), size, func(from, to int) bool {
			select {
			case <-e.start[from/size]:
			case <-ctx.Done():
				return false // get gives up too
			}
			for i := from; i < to; i++ {
				e.ps[i], e.errs[i] = newPending(ctx, reqs[i])
			}
			close(e.ready[from/size])
			return !e.quit.Load()
		})
	})
	return e
}

// get waits for request i's encoding. An error here (validation makes one
// all but impossible) comes after the requests before it were queued.
func (e *encoding) get(ctx context.Context, i int) (*pending, error) {
	select {
	case <-e.ready[i/e.chunk]:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := e.errs[i]; err != nil {
		return nil, fmt.Errorf("request %d: %w", i, err)
	}
	return e.ps[i], nil
}

// release lets the chunks up to e.ahead past the one holding request
// stored (the first not stored yet) be encoded. Only the appending
// goroutine calls it.
func (e *encoding) release(stored int) {
	for upTo := min(stored/e.chunk+e.ahead, len(e.start)); e.freed < upTo; e.freed++ {
		close(e.start[e.freed])
	}
}

// released reports whether request i's chunk may be encoded. The batch
// loop asks get only for those: get never waits for a chunk no encoder
// may start.
func (e *encoding) released(i int) bool { return i/e.chunk < e.freed }

func (e *encoding) stop() {
	e.quit.Store(true)
	e.release(len(e.ps) + e.ahead*e.chunk) // wake the encoders waiting, to see quit
	e.wg.Wait()
}

// parallelChunks calls fn for consecutive ranges of size indexes
// below n, claimed in increasing order by GOMAXPROCS goroutines, until fn
// returns false or the ranges run out.
func parallelChunks(n, size int, fn func(from, to int) bool) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), (n+size-1)/size) {
		wg.Go(func() {
			for {
				from := int(next.Add(int64(size))) - size
				if from >= n || !fn(from, min(from+size, n)) {
					return
				}
			}
		})
	}
	wg.Wait()
}

// Last returns the position of an alliance's last event as the writer knows
// it, loading the alliance from the store if needed.
func (w *Writer) Last(ctx context.Context, alliance string) (uint64, error) {
	aw, err := w.allianceWriter(alliance)
	if err != nil {
		return 0, err
	}
	ch := make(chan uint64, 1)
	select {
	case aw.inspect <- ch:
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-w.stop:
		return 0, ErrClosed
	}
	select {
	case n := <-ch:
		return n, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (w *Writer) allianceWriter(id string) (*allianceWriter, error) {
	if aw, ok := w.alliances.Load(id); ok {
		if w.closed.Load() {
			return nil, ErrClosed
		}
		return aw.(*allianceWriter), nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed.Load() {
		return nil, ErrClosed
	}
	if aw, ok := w.alliances.Load(id); ok {
		return aw.(*allianceWriter), nil
	}
	aw := &allianceWriter{
		w: w, id: id, state: NewState(id),
		queue: make(chan *pending, 4096), inspect: make(chan chan uint64),
	}
	w.alliances.Store(id, aw)
	w.wg.Add(1)
	go aw.run()
	return aw, nil
}

type pending struct {
	ctx     context.Context
	req     Request
	encoded // what of its events does not depend on the state
	done    chan result
	// leader is an earlier request in the same commit with the same
	// idempotency key and body; this one gets its receipt.
	leader     *pending
	first      uint64
	last       uint64
	recordedAt time.Time // of the commit that holds its events
	attempts   int       // commits that failed with a conflict
}

func newPending(ctx context.Context, req Request) (*pending, error) {
	x, err := encodeRequest(&req)
	if err != nil {
		return nil, err
	}
	return &pending{ctx: ctx, req: req, encoded: x, done: make(chan result, 1)}, nil
}

type result struct {
	receipt Receipt
	err     error
}

func (p *pending) reply(r Receipt, err error) { p.done <- result{r, err} }

type allianceWriter struct {
	w       *Writer
	id      string
	state   *State
	loaded  bool
	queue   chan *pending
	inspect chan chan uint64
	carry   []*pending // requests to decide before the queue's (did not fit, or must be retried)

	// While one commit is being written and fsynced by the publisher
	// goroutine, arriving requests are decided into the next, open commit on
	// top of the speculative state; it is sealed and sent the moment the
	// previous one is acknowledged. So deciding overlaps the disk, and each
	// commit takes everything that arrived while the last one was written.
	flight   []*inflight // at most one
	building *building   // the open commit, if any
	// durable is the last position known to be in the store. An
	// idempotency key the state holds from a later position is in the open
	// commit or the one in flight: a retry arriving meanwhile must wait
	// for that commit, not be told it is recorded before it is durable.
	durable uint64
	full    bool // the open commit has no room for the next request
	decided int  // events decided since the writer last yielded
	publish chan *inflight
	results chan *inflight
	// lastRequests is how many requests the last stored commit held: how
	// many callers were waiting together, for CommitDelay.
	lastRequests int
	// lastBytes is the size of the last commit sent, which bounds the room
	// the next is given at first.
	lastBytes int
	// ev is the event being decided: the state keeps none, so one will do.
	ev Event
}

// inflight is a commit on its way to the store.
type inflight struct {
	commit     *Commit
	accepted   []*pending
	recordedAt time.Time
	mark       int   // the state's journal before this commit's decisions
	err        error // the store's answer
}

func (aw *allianceWriter) run() {
	defer aw.w.wg.Done()
	aw.publish = make(chan *inflight, 1)
	aw.results = make(chan *inflight, 1)
	pubDone := make(chan struct{})
	go aw.publisher(pubDone)
	defer func() {
		close(aw.publish)
		<-pubDone
	}()
	// hold wakes the loop when the open commit has waited CommitDelay.
	hold := time.NewTimer(time.Hour)
	hold.Stop()
	defer hold.Stop()
	for {
		var held <-chan time.Time
		if aw.building != nil && len(aw.building.accepted) > 0 && len(aw.flight) == 0 {
			if rest := aw.holdFor(aw.building); rest > 0 {
				hold.Reset(rest)
				held = hold.C
			} else {
				aw.seal()
				continue
			}
		}
		// A full open commit takes nothing until it is sent, and catching
		// up with the log waits until nothing is in flight.
		quiet := len(aw.flight) == 0 && (aw.building == nil || len(aw.building.accepted) == 0)
		canAdd := !aw.full && (aw.loaded || quiet)
		// Requests that must go first (retries, or those that did not fit).
		if len(aw.carry) > 0 && canAdd {
			aw.addAll()
			continue
		}
		var queue chan *pending
		if canAdd {
			queue = aw.queue
		}
		var results chan *inflight
		if len(aw.flight) > 0 {
			results = aw.results
		}
		select {
		case <-held:
		case f := <-results:
			aw.settle(f)
		case p := <-queue:
			aw.carry = append(aw.carry, p)
			// Take everything else that queued meanwhile.
		fill:
			for len(aw.carry) < aw.w.opts.MaxCommitEvents {
				select {
				case p := <-aw.queue:
					aw.carry = append(aw.carry, p)
				default:
					break fill
				}
			}
			aw.addAll()
		case ch := <-aw.inspect:
			aw.quiesce()
			if err := aw.load(); err != nil {
				aw.w.log.Error("load alliance state", "alliance", aw.id, "err", err)
			}
			ch <- aw.state.Last()
		case <-aw.w.stop:
			aw.quiesce()
			aw.drain()
			return
		}
	}
}

// holdFor is how much longer the open commit b should wait for more
// requests before it is sent, the store being free: none when it is
// full, holds as many requests as the last commit, or has waited
// CommitDelay since its first request was decided.
func (aw *allianceWriter) holdFor(b *building) time.Duration {
	d := aw.w.opts.CommitDelay
	if d <= 0 || aw.full || len(b.accepted) >= aw.lastRequests {
		return 0
	}
	return d - time.Since(b.opened)
}

// quiesce sends the open commit and waits until nothing is in flight.
func (aw *allianceWriter) quiesce() {
	for len(aw.flight) > 0 || (aw.building != nil && len(aw.building.accepted) > 0) {
		if len(aw.flight) == 0 {
			aw.seal()
			continue
		}
		aw.settle(<-aw.results)
	}
}

// addAll decides the carried requests into the open commit, in order,
// until one does not fit. Between requests it looks for the answer to the
// commit in flight, so that the open commit is sent the moment the store
// is free rather than after the whole batch is decided.
func (aw *allianceWriter) addAll() {
	if !aw.loaded {
		if err := aw.load(); err != nil {
			aw.w.log.Error("load alliance state", "alliance", aw.id, "err", err)
			for _, p := range aw.carry {
				p.reply(Receipt{}, err)
			}
			aw.carry = nil
			return
		}
	}
	for i := 0; len(aw.carry) > 0; i++ {
		if i%16 == 15 && len(aw.flight) > 0 {
			select {
			case f := <-aw.results:
				aw.settle(f)
				if f.err != nil {
					return // settle rearranged the carried requests
				}
				if aw.building != nil && len(aw.building.accepted) > 0 {
					aw.seal()
				}
			default:
			}
		}
		if aw.building == nil {
			aw.building = aw.open()
		}
		if !aw.add(aw.building, aw.carry[0]) {
			aw.full = true
			return
		}
		aw.decided += len(aw.carry[0].req.Commands)
		aw.carry[0] = nil
		aw.carry = aw.carry[1:]
		if aw.decided >= yieldEvery && len(aw.flight) > 0 {
			// Deciding a long run of requests keeps a core busy; the
			// commit in flight needs the publisher and the server's
			// goroutines to run now and then, or it waits in the run
			// queue for a time slice to end while the writer decides.
			aw.decided = 0
			runtime.Gosched()
		}
	}
	if aw.building != nil && len(aw.building.commit.Events) == 0 && len(aw.building.accepted) == 0 {
		// Every request was rejected: open a fresh commit (with a fresh
		// recorded time) for the next ones.
		aw.building = nil
	}
}

// seal sends the open commit down the pipeline.
func (aw *allianceWriter) seal() {
	b := aw.building
	aw.building, aw.full = nil, false
	for _, p := range b.accepted {
		if p.leader != nil {
			// A retry answered with the original's receipt: its positions
			// and recording time, marked duplicate. (Leaders come first:
			// their recordedAt is set, in this commit or the one before.)
			p.first, p.last, p.recordedAt = p.leader.first, p.leader.last, p.leader.recordedAt
		} else {
			p.recordedAt = b.recordedAt
		}
	}
	// The events are in the commit's encoding, in order, a comma apart;
	// those appended before the buffer last grew are pointed at it.
	c := b.commit
	c.wire = append(b.wire, "]}"...)
	aw.lastBytes = len(c.wire)
	pos := b.head
	for i, e := range c.Events {
		c.Events[i] = c.wire[pos : pos+len(e) : pos+len(e)]
		pos += len(e) + 1
	}
	f := &inflight{commit: c, accepted: b.accepted, recordedAt: b.recordedAt, mark: b.mark}
	if len(b.commit.Events) == 0 {
		// Only retries of requests whose commit is now durable.
		f.replyAll(aw.id)
		return
	}
	aw.flight = append(aw.flight, f)
	aw.publish <- f
}

// publisher appends the sealed commits, one at a time, so that the writer
// goroutine can decide the next commit while this one is written.
func (aw *allianceWriter) publisher(done chan<- struct{}) {
	defer close(done)
	for f := range aw.publish {
		f.err = aw.w.store.Append(context.Background(), f.commit)
		if f.err == nil {
			if h := aw.w.opts.OnCommit; h != nil {
				h(f.commit)
			}
			f.replyAll(aw.id)
		}
		aw.results <- f
	}
}

// replyAll answers the callers of a stored commit. The publisher calls it,
// off the writer goroutine: positions were fixed when the commit was sealed.
func (f *inflight) replyAll(alliance string) {
	for _, p := range f.accepted {
		p.reply(Receipt{Alliance: alliance, First: p.first, Last: p.last, RecordedAt: p.recordedAt, Duplicate: p.leader != nil}, nil)
	}
}

func (aw *allianceWriter) drain() {
	for _, p := range aw.carry {
		p.reply(Receipt{}, ErrClosed)
	}
	aw.carry = nil
	for {
		select {
		case p := <-aw.queue:
			p.reply(Receipt{}, ErrClosed)
		default:
			return
		}
	}
}

// yieldEvery is how many events the writer decides, while a commit is in
// flight, before it lets other goroutines run.
const yieldEvery = 256

// maxConflictRetries bounds how often one request is retried after other
// writers moved the log on.
const maxConflictRetries = 100

// settle handles the store's answer for the commit in flight.
func (aw *allianceWriter) settle(f *inflight) {
	if len(aw.flight) != 1 || f != aw.flight[0] {
		panic("ledger: settled a commit that is not in flight")
	}
	aw.flight = aw.flight[:0]
	b := aw.building
	if f.err == nil {
		aw.durable = f.commit.Last()
		aw.lastRequests = len(f.accepted)
		// The commit's effects are in the log: forget how to undo them
		// (but not the open commit's, which may still be undone).
		upTo := len(aw.state.journal)
		if b != nil {
			upTo = b.mark
			b.mark = 0
		}
		aw.state.forget(upTo)
		return // the publisher has answered the callers
	}
	// The commit failed, and the open commit, decided on top of it, is
	// void: undo both, then retry their requests in order.
	aw.state.rollback(f.mark)
	var retry []*pending
	if b != nil {
		retry = b.accepted
		aw.building, aw.full = nil, false
	}
	for _, p := range retry {
		p.leader, p.first, p.last = nil, 0, 0
	}
	err := f.err
	if IsConflict(err) {
		// Another writer appended: catch up, then re-validate everything.
		aw.w.log.Debug("append conflict, catching up", "alliance", aw.id, "err", err)
		if lerr := aw.load(); lerr != nil {
			err = lerr
		} else {
			again := make([]*pending, 0, len(f.accepted)+len(retry))
			for _, p := range f.accepted {
				p.leader, p.first, p.last = nil, 0, 0
				if p.attempts++; p.attempts > maxConflictRetries {
					p.reply(Receipt{}, fmt.Errorf("append to alliance %s: gave up after %d conflicts: %w", aw.id, maxConflictRetries, f.err))
					continue
				}
				again = append(again, p)
			}
			aw.carry = append(append(again, retry...), aw.carry...)
			return
		}
	}
	aw.w.log.Error("append commit", "alliance", aw.id, "events", len(f.commit.Events), "err", err)
	for _, p := range f.accepted {
		p.reply(Receipt{}, fmt.Errorf("append to alliance %s: %w", aw.id, err))
	}
	// The open commit's requests did nothing wrong: retry them once the
	// state is re-read (the store's answer may hide what it holds).
	aw.carry = append(retry, aw.carry...)
	aw.loaded = false
}

// load reads the alliance's log into the state on first use, and catches
// up with events other writers appended.
//
// A read that fails (a cluster electing a stream leader answers 503s and
// times out for seconds) is tried again, resuming where it stopped, for up
// to loadRetryFor: the requests waiting would fail otherwise, though
// nothing is wrong with them. An event the state refuses is not retried.
func (aw *allianceWriter) load() error {
	wait := 50 * time.Millisecond
	deadline := time.Now().Add(loadRetryFor)
	for {
		stateErr, err := aw.loadOnce()
		if err == nil || stateErr || !time.Now().Before(deadline) {
			return err
		}
		aw.w.log.Warn("catching up failed; retrying", "alliance", aw.id, "err", err, "retry_in", wait)
		select {
		case <-aw.w.stop:
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// loadRetryFor bounds how long the writer keeps retrying a failed read.
const loadRetryFor = 15 * time.Second

// loadOnce reads what the state lacks; stateErr says the state refused an
// event (retrying would not help).
func (aw *allianceWriter) loadOnce() (stateErr bool, err error) {
	ctx := context.Background()
	from := aw.state.Last() + 1
	if from == 1 {
		// A million idempotency keys inserted one by one rehash the map
		// twenty times over: a third of the fold.
		if last, err := aw.w.store.Last(ctx, aw.id); err == nil {
			aw.state.reserve(last)
		}
	}
	// Decoding on every core, folding in order (a long log takes seconds
	// to read; the first request waits for it). The state keeps no event.
	err = ReadDecoded(ctx, aw.w.store, aw.id, from, 0, 0, func(batch []Decoded) error {
		for _, d := range batch {
			var err error
			if d.Err != nil {
				// Not written by a writer (someone published it by hand):
				// the position is taken, the event is ignored, as on the
				// read side.
				aw.w.log.Warn("event quarantined: the writer skips it", "alliance", aw.id, "seq", d.Seq, "err", d.Err)
				err = aw.state.Skip(d.Seq)
			} else {
				err = aw.state.Apply(d.Event)
			}
			if err != nil {
				stateErr = true
				return err
			}
		}
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		err = nil // no log yet
	}
	if err != nil {
		return stateErr, fmt.Errorf("catch up alliance %s from %d: %w", aw.id, from, err)
	}
	aw.loaded = true
	aw.durable = aw.state.Last()
	return false, nil
}

// building is the open commit: requests decided while the previous commit
// is being written, in arrival order, applied to the state speculatively.
type building struct {
	commit     *Commit
	accepted   []*pending
	size       int
	mark       int // the state's journal before the first decision
	recordedAt time.Time
	// recordedText is recordedAt as every event of the commit stores it.
	recordedText []byte
	// wire is the commit as MarshalCommit writes it, but for the closing
	// "]}": the events are decided straight into it, after its head.
	wire []byte
	head int
	// opened is when the first request was decided into it (the monotonic
	// clock, not WriterOptions.Now), for CommitDelay.
	opened time.Time
}

func (aw *allianceWriter) open() *building {
	s := aw.state
	now := aw.w.opts.Now().UTC()
	if now.Before(s.lastRecordedAt) {
		now = s.lastRecordedAt // recorded time never goes backwards in a log
	}
	c := &Commit{ID: newID(), Alliance: aw.id, First: s.Last() + 1}
	b := &building{commit: c, size: c.Size(), mark: s.mark(), recordedAt: now, opened: time.Now(),
		recordedText: now.AppendFormat(nil, time.RFC3339Nano)}
	// Room for the requests waiting, up to a full commit and the largest
	// of them, which may be decided into it before it turns out not to
	// fit: a commit of a megabyte is laid out once, not grown by doubling.
	// But no more than half again the last commit's size: the open commit
	// is sent the moment the store is free, usually long before the
	// requests waiting are all decided, and room made for them all would be
	// allocated (and cleared) for nothing, a megabyte a commit. A commit
	// that outgrows it grows its buffer.
	limit := aw.w.opts.MaxCommitBytes
	if aw.lastBytes > 0 {
		limit = min(limit, max(aw.lastBytes+aw.lastBytes/2, 64<<10))
	}
	room, most := b.size+2, 0
	for _, p := range aw.carry {
		if room >= limit {
			break
		}
		n := p.size(len(b.recordedText))
		room += n
		most = max(most, n)
	}
	b.wire = appendCommitHead(make([]byte, 0, min(room, limit)+most), c)
	b.head = len(b.wire)
	return b
}

// add decides one request into the open commit. It answers rejected
// requests at once and returns false, leaving the state as it was, when
// the request does not fit: it goes into the next commit.
func (aw *allianceWriter) add(b *building, p *pending) bool {
	s := aw.state
	if err := p.ctx.Err(); err != nil {
		p.reply(Receipt{}, err)
		return true
	}
	if key := p.req.IdempotencyKey; key != "" {
		if rec, ok := s.keys[key]; ok && rec.First > aw.durable {
			l := aw.undurable(key)
			if l == nil {
				p.reply(Receipt{}, fmt.Errorf("ledger: alliance %s: key %q is at position %d, in no commit of the writer's", aw.id, key, rec.First))
				return true
			}
			if l.digest != p.digest {
				p.reply(Receipt{}, conflict("idempotency_key", "key %q was already used for a different request", key))
				return true
			}
			p.leader = l // the same request, sent again before it was durable: one append
			b.accepted = append(b.accepted, p)
			return true
		} else if ok {
			if rec.Digest != p.sum {
				p.reply(Receipt{}, conflict("idempotency_key", "key %q was already used for a different request (positions %d-%d)", key, rec.First, rec.Last))
			} else {
				p.reply(Receipt{Alliance: aw.id, First: rec.First, Last: rec.Last, Duplicate: true}, nil)
			}
			return true
		}
	}
	m, wm := s.mark(), len(b.wire)
	events, err := aw.decideRequest(p, b)
	if err != nil {
		s.rollback(m)
		b.wire = b.wire[:wm]
		p.reply(Receipt{}, err)
		return true
	}
	n := 0
	for _, e := range events {
		n += len(e) + 1
	}
	if len(b.commit.Events)+len(events) > aw.w.opts.MaxCommitEvents || b.size+n > aw.w.opts.MaxCommitBytes {
		s.rollback(m)
		b.wire = b.wire[:wm]
		if len(b.commit.Events) == 0 {
			p.reply(Receipt{}, invalid("commands", "the request's %d events (%d bytes) exceed one commit (%d events, %d bytes)", len(events), n, aw.w.opts.MaxCommitEvents, aw.w.opts.MaxCommitBytes))
			return true
		}
		return false
	}
	p.first = b.commit.First + uint64(len(b.commit.Events))
	p.last = p.first + uint64(len(events)) - 1
	b.commit.Events = append(b.commit.Events, events...)
	b.size += n
	b.accepted = append(b.accepted, p)
	return true
}

// undurable returns the request with this key in the open commit or the
// one in flight. Retries that arrive before their request is durable are
// rare: a scan serves them, and keeps every other request free of an index
// of the keys not yet durable.
func (aw *allianceWriter) undurable(key string) *pending {
	var lists [][]*pending
	if aw.building != nil {
		lists = append(lists, aw.building.accepted)
	}
	for _, f := range aw.flight {
		lists = append(lists, f.accepted)
	}
	for _, l := range lists {
		for _, p := range l {
			if p.leader == nil && p.req.IdempotencyKey == key {
				return p
			}
		}
	}
	return nil
}

// decideRequest validates one request's commands against the state and
// returns their encoded events, applied to the state (journaled). The
// events are appended to the open commit's encoding; the caller cuts it
// back if the request is refused or does not fit.
func (aw *allianceWriter) decideRequest(p *pending, b *building) ([][]byte, error) {
	s := aw.state
	now := b.recordedAt
	events := make([][]byte, 0, len(p.req.Commands))
	for i, c := range p.req.Commands {
		seq := s.Last() + 1
		payload := clonePayload(c.Payload) // decide fills derived fields on a copy, never on the caller's value
		err := s.requireFounded()
		if c.Type == TypeAllianceFounded {
			err = nil
		}
		s.dc = decideContext{seq: seq}
		if err == nil {
			err = payload.decide(s, &s.dc)
		}
		derived := s.dc.derived
		s.dc = decideContext{}
		if err != nil {
			if len(p.req.Commands) > 1 {
				err = prefixed(fmt.Sprintf("commands[%d]", i), err)
			}
			return nil, err
		}
		e := &aw.ev
		*e = Event{
			ID: p.cmds[i].id, Seq: seq, Type: c.Type, Version: registry[c.Type].current,
			Alliance: aw.id, Aggregate: payload.aggregate(seq), Actor: p.req.Actor,
			OccurredAt: occurredAt(c.OccurredAt, now), RecordedAt: now,
			IdempotencyKey: p.req.IdempotencyKey, CommandDigest: p.digest,
			Payload: payload,
		}
		if len(b.commit.Events)+len(events) > 0 {
			b.wire = append(b.wire, ',')
		}
		from := len(b.wire)
		wire, start, err := p.appendEvent(b.wire, i, seq, e.Aggregate, b.recordedText, payload, derived)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", c.Type, err)
		}
		b.wire = wire
		e.Raw = wire[start : len(wire)-1]
		s.applyEvent(e)
		*e = Event{} // keeps nothing of this commit alive
		// If the buffer grows, the events before stay valid where they
		// were; seal points them into the final buffer.
		events = append(events, wire[from:len(wire):len(wire)])
	}
	if err := s.checkInvariants(); err != nil {
		return nil, err
	}
	return events, nil
}

// occurredAt is a command's business time; a command that gives none
// occurred when it is recorded. The request's digest is of the command as
// given, so a retry without a time finds the original.
func occurredAt(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t.UTC()
}

// checkInvariants holds after every request: the founding request must also
// admit the custodian.
func (s *State) checkInvariants() error {
	if s.founded {
		if m, ok := s.members[s.custodian]; !ok || !m.Active {
			return invalid("payload.custodian", "the custodian %q must be admitted as a member in the same request as the founding", s.custodian)
		}
	}
	return nil
}

func clonePayload(p Payload) Payload {
	// The frequent types without reflection: cloning is on the path of
	// every append and of every event an audit re-validates.
	switch p := p.(type) {
	case *ContributionRecorded:
		return shallowCopy(p)
	case *ContributionConfirmed:
		return shallowCopy(p)
	case *ContributionContested:
		return shallowCopy(p)
	case *FundingReceived:
		return shallowCopy(p)
	case *CostIncurred:
		return shallowCopy(p)
	case *LossRealized:
		return shallowCopy(p)
	case *IPFiled:
		return shallowCopy(p)
	case *IPStatusChanged:
		return shallowCopy(p)
	case *EntryReversed:
		return shallowCopy(p)
	case *EntryCorrected:
		return shallowCopy(p)
	}
	v := reflect.ValueOf(p)
	c := reflect.New(v.Elem().Type())
	c.Elem().Set(v.Elem())
	return c.Interface().(Payload)
}

func shallowCopy[T any](p *T) *T {
	c := *p
	return &c
}

// newID returns a new UUIDv7. Its random bits come from crypto/rand
// through a buffer, so that the ids of a busy writer's events do not each
// cost a read of the system's randomness under uuid's global lock.
func newID() string {
	r := idRandom.Get().(*bufio.Reader)
	u, err := uuid.NewV7FromReader(r)
	idRandom.Put(r)
	if err != nil {
		panic(fmt.Sprintf("ledger: no randomness for an id: %v", err))
	}
	return u.String()
}

var idRandom = sync.Pool{New: func() any { return bufio.NewReaderSize(rand.Reader, 4096) }}
