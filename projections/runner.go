package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"

	"github.com/alliance-ledger/alliance/ledger"
)

// RunnerOptions configures a Runner.
type RunnerOptions struct {
	// Snapshots, if set, is where the runner restores from and saves to.
	Snapshots SnapshotStore
	// SnapshotEvery is how many events the runner folds between two
	// snapshots; 0 means 100,000.
	SnapshotEvery uint64
	// Workers decode events in parallel; 0 means GOMAXPROCS.
	Workers int
	// Logger receives quarantine warnings and snapshot notes; nil means
	// slog.Default().
	Logger *slog.Logger
	// Progress, if set, is called after each batch with the position folded.
	Progress func(seq uint64)
}

// Runner keeps one alliance's model up to date with its log: it restores
// the latest snapshot, folds what follows in order while decoding in
// parallel, quarantines what does not decode or fit, saves snapshots, and
// lets reads wait for a position (read your writes).
type Runner struct {
	store    ledger.Store
	alliance string
	opts     RunnerOptions
	log      *slog.Logger

	mu       sync.RWMutex
	model    *Model
	lastID   string        // id of the event at model.Last(), "" if skipped
	advanced chan struct{} // closed and replaced each time the model advances
	err      error         // set when following stopped for good

	messages []Message // stream messages the store skipped, by stream sequence

	snapMu   sync.Mutex // one snapshot save at a time
	lastSnap uint64
	restored uint64 // position of the snapshot restored at start, 0 if none
}

// NewRunner returns a runner for an alliance, with an empty model.
func NewRunner(store ledger.Store, alliance string, opts RunnerOptions) *Runner {
	if opts.SnapshotEvery == 0 {
		opts.SnapshotEvery = 100_000
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Runner{store: store, alliance: alliance, opts: opts, log: log.With("alliance", alliance),
		model: NewModel(alliance), advanced: make(chan struct{})}
}

// Restore loads the latest snapshot at a position <= atMost (0: any) and
// checks that the log still holds the same event at its position. A
// snapshot that does not decode, is of another format, or does not match
// the log is logged and ignored: the runner then folds from the start.
// It returns the position restored, 0 if none.
func (r *Runner) Restore(ctx context.Context, atMost uint64) (uint64, error) {
	if r.opts.Snapshots == nil {
		return 0, nil
	}
	if atMost == 0 {
		atMost = ^uint64(0)
	}
	seq, data, err := r.opts.Snapshots.LoadSnapshot(ctx, r.alliance, atMost)
	if errors.Is(err, ledger.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("alliance %s: load snapshot: %w", r.alliance, err)
	}
	m, lastID, err := DecodeModel(data)
	if err == nil && (m.Alliance != r.alliance || m.Last() != seq) {
		err = fmt.Errorf("snapshot of %s at %d is labelled %s at %d", m.Alliance, m.Last(), r.alliance, seq)
	}
	if err == nil {
		err = r.checkLastID(ctx, seq, lastID)
	}
	if err != nil {
		r.log.Warn("snapshot ignored; folding the log from the start", "seq", seq, "err", err)
		return 0, nil
	}
	r.mu.Lock()
	r.model, r.lastID, r.lastSnap, r.restored = m, lastID, seq, seq
	// The model moved on: readers waiting for a position it now holds
	// must not wait for the next event folded (there may be none).
	close(r.advanced)
	r.advanced = make(chan struct{})
	r.mu.Unlock()
	return seq, nil
}

var errStop = errors.New("stop")

// checkLastID checks that the log holds the event with id at position seq.
func (r *Runner) checkLastID(ctx context.Context, seq uint64, id string) error {
	if id == "" {
		return nil // the snapshot ends on a quarantined position
	}
	var got string
	err := r.store.Read(ctx, r.alliance, seq, func(s ledger.Stored) error {
		e, err := ledger.DecodeEvent(s.Data)
		if err == nil {
			got = e.ID
		}
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	if got != id {
		return fmt.Errorf("the log's event at position %d is %q, the snapshot's was %q", seq, got, id)
	}
	return nil
}

// Restored is the position of the snapshot restored at start, 0 if none.
func (r *Runner) Restored() uint64 { return r.restored }

// CatchUp folds the log up to its end as of now, or up to position until
// when until > 0.
func (r *Runner) CatchUp(ctx context.Context, until uint64) error {
	return r.run(ctx, false, until)
}

// Follow folds the log and keeps following it until ctx ends. It may be
// called again after it failed (the server does, a second later): readers
// wait again meanwhile.
func (r *Runner) Follow(ctx context.Context) error {
	r.mu.Lock()
	r.err = nil
	r.mu.Unlock()
	err := r.run(ctx, true, 0)
	if err != nil && ctx.Err() == nil {
		r.mu.Lock()
		r.err = err
		close(r.advanced)
		r.advanced = make(chan struct{})
		r.mu.Unlock()
	}
	return err
}

// decoded is a batch of stored events on its way to the fold.
func (r *Runner) run(ctx context.Context, follow bool, until uint64) error {
	if follow {
		// Catch up in full batches first, then follow the tail.
		if err := r.run(ctx, false, 0); err != nil {
			return err
		}
	}
	from := r.Last() + 1
	if until > 0 && from > until {
		return nil
	}
	fold := func(batch []ledger.Decoded) error {
		r.fold(batch)
		if e := r.maybeSnapshot(ctx); e != nil {
			r.log.Warn("snapshot not saved", "err", e)
		}
		return nil
	}
	if !follow {
		return ledger.ReadDecoded(ctx, r.store, r.alliance, from, until, r.opts.Workers, fold)
	}
	// The tail: events arrive one by one.
	return ledger.FollowDecoded(ctx, r.store, r.alliance, from, r.opts.Workers, fold)
}

// fold applies a decoded batch under the write lock.
func (r *Runner) fold(batch []ledger.Decoded) {
	r.mu.Lock()
	for _, d := range batch {
		if d.Seq <= r.model.Last() {
			continue
		}
		e, err := d.Event, d.Err
		if err == nil {
			err = r.model.Apply(e)
		}
		if err != nil {
			typ := ""
			if e != nil {
				typ = e.Type
			}
			r.model.Skip(d.Seq, typ, err.Error())
			r.lastID = ""
			r.log.Warn("event quarantined: the projections skip it", "seq", d.Seq, "type", typ, "reason", err)
			continue
		}
		r.lastID = e.ID
	}
	last := r.model.Last()
	close(r.advanced)
	r.advanced = make(chan struct{})
	r.mu.Unlock()
	if r.opts.Progress != nil {
		r.opts.Progress(last)
	}
}

func (r *Runner) maybeSnapshot(ctx context.Context) error {
	if r.opts.Snapshots == nil || r.Last()-r.lastSnap < r.opts.SnapshotEvery {
		return nil
	}
	return r.Snapshot(ctx)
}

// Snapshot saves the model now, if it moved since the last snapshot.
func (r *Runner) Snapshot(ctx context.Context) error {
	if r.opts.Snapshots == nil {
		return nil
	}
	r.snapMu.Lock()
	defer r.snapMu.Unlock()
	r.mu.RLock()
	seq := r.model.Last()
	if seq == r.lastSnap || seq == 0 {
		r.mu.RUnlock()
		return nil
	}
	data, err := r.model.Encode(r.lastID)
	r.mu.RUnlock()
	if err != nil {
		return err
	}
	if err := r.opts.Snapshots.SaveSnapshot(ctx, r.alliance, seq, data); err != nil {
		return fmt.Errorf("alliance %s: save snapshot at %d: %w", r.alliance, seq, err)
	}
	r.lastSnap = seq
	r.log.Debug("snapshot saved", "seq", seq, "bytes", len(data))
	return nil
}

// Last is the position the model has reached.
func (r *Runner) Last() uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.model.Last()
}

// WaitFor waits until the model has folded position seq (read your
// writes), ctx ends, or following stopped with an error.
func (r *Runner) WaitFor(ctx context.Context, seq uint64) error {
	for {
		r.mu.RLock()
		last, ch, err := r.model.Last(), r.advanced, r.err
		r.mu.RUnlock()
		if last >= seq {
			return nil
		}
		if err != nil {
			return fmt.Errorf("alliance %s: projections stopped at position %d: %w", r.alliance, last, err)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("alliance %s: waiting for position %d (projections are at %d): %w", r.alliance, seq, last, ctx.Err())
		}
	}
}

// View runs fn with the model, which fn must only read, under the read
// lock.
func (r *Runner) View(fn func(m *Model) error) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return fn(r.model)
}

// Message is a stream message the store stepped over because it is not a
// commit of the log (garbage published by hand): it holds no position.
type Message struct {
	StreamSeq uint64 `json:"stream_seq"`
	Reason    string `json:"reason"`
}

// Quarantine lists what the read side stepped over.
type Quarantine struct {
	// Events are positions whose event did not decode, validate or fit.
	Events []Skipped `json:"events"`
	// Messages are stream messages that are not commits.
	Messages []Message `json:"messages"`
}

// NoteMessage records a stream message the store skipped (wire the store's
// quarantine hook to it). The same message reported again is kept once.
func (r *Runner) NoteMessage(streamSeq uint64, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, found := slices.BinarySearchFunc(r.messages, streamSeq, func(m Message, s uint64) int { return cmpUint(m.StreamSeq, s) })
	if found {
		return
	}
	r.messages = slices.Insert(r.messages, i, Message{StreamSeq: streamSeq, Reason: reason})
	r.log.Warn("stream message quarantined: not a commit of the log", "stream_seq", streamSeq, "reason", reason)
}

// Quarantined lists what the projections skipped.
func (r *Runner) Quarantined() Quarantine {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return Quarantine{Events: r.model.Skipped(), Messages: append([]Message{}, r.messages...)}
}
