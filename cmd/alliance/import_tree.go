package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/audit"
)

// importTree builds the alliance's audit tree while an import appends, so
// that the checkpoint signed after a large import does not read the whole
// log back and hash it once the rows are in: the rows' commits are hashed
// as the writer reports them stored, on a goroutine of its own, while the
// writer decides the next ones.
type importTree struct {
	c    *audit.Checkpointer
	mu   sync.Mutex
	todo []*ledger.Commit // stored, not yet hashed
	shut bool
	wake chan struct{}
	done chan error // the log's read, once the goroutine ends
	// raced is set when signing during the import stopped: another
	// process signed a checkpoint meanwhile, or a signature failed.
	raced bool
}

// startImportTree returns a tree builder when a checkpoint will be due
// once n more events follow position last in the alliance's log, and nil
// when none will be (or the key cannot be loaded): checkpointIfDue then
// decides after the import, as after any append.
func startImportTree(ctx context.Context, lc *ledgerConn, sf storeFlags, kf keyFlags, alliance string, last, n int) *importTree {
	signer, _, _, err := kf.load(sf)
	if err != nil {
		return nil
	}
	c := lc.newCheckpointer(alliance, signer)
	if err := c.LoadLatest(ctx); err != nil || !c.DueFor(int64(last+n), time.Now()) {
		return nil
	}
	t := &importTree{c: c, wake: make(chan struct{}, 1), done: make(chan error, 1)}
	go t.run(ctx)
	return t
}

// onCommit is the writer's OnCommit: it runs on the writer's publishing
// goroutine, so it only queues.
func (t *importTree) onCommit(c *ledger.Commit) {
	t.mu.Lock()
	t.todo = append(t.todo, c)
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *importTree) run(ctx context.Context) {
	// The log as it stands (it may hold some of the import's commits
	// already: those are skipped below).
	if err := t.c.Load(ctx); err != nil {
		t.done <- err
		return
	}
	tree := t.c.Tree()
	gap := false
	for {
		t.mu.Lock()
		todo, shut := t.todo, t.shut
		t.todo = nil
		t.mu.Unlock()
		for _, c := range todo {
			size := uint64(tree.Size())
			if gap || c.Last() <= size {
				continue
			}
			if c.First > size+1 {
				// Another writer appended in between: the tree stops
				// here, and the checkpoint reads the rest from the log.
				gap = true
				continue
			}
			// A commit's events are the exact bytes the log stores
			// (MarshalCommit copies them verbatim): the leaves a read of
			// the log would give.
			for _, ev := range c.Events[size+1-c.First:] {
				tree.Append(ev)
			}
		}
		if !gap && !t.raced && tree.Size()-t.c.LatestSize() >= audit.MaxLeavesPerRecord {
			t.signWhole(ctx)
		}
		if shut {
			t.done <- nil
			return
		}
		<-t.wake
	}
}

// signWhole signs the whole records of MaxLeavesPerRecord events the tree
// holds, as the checkpoint after the import would on its way: signed now,
// they overlap the import's appends instead of following them. If another
// process signed a checkpoint since this one read the latest, it leaves
// the rest to the checkpoint after the import, which reads the latest
// again.
func (t *importTree) signWhole(ctx context.Context) {
	mine := t.c.Latest()
	if err := t.c.LoadLatest(ctx); err != nil || !sameRecord(mine, t.c.Latest()) {
		t.raced = true
		return
	}
	if _, err := t.c.SignWhole(ctx, time.Now()); err != nil {
		t.raced = true
	}
}

func sameRecord(a, b *audit.CheckpointRecord) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Size == b.Size && a.Note == b.Note
}

// stop ends the goroutine and returns what its read of the log returned.
func (t *importTree) stop() error {
	t.mu.Lock()
	t.shut = true
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
	return <-t.done
}

// checkpoint signs a checkpoint if one is due, as checkpointIfDue does,
// with the tree built during the import: only events appended by others
// meanwhile are read from the log. A failure is reported, not fatal.
func (t *importTree) checkpoint(ctx context.Context, e *env, lc *ledgerConn, alliance string) {
	err := func() error {
		if err := t.stop(); err != nil {
			return err
		}
		// Another process may have signed one meanwhile.
		if err := t.c.LoadLatest(ctx); err != nil {
			return err
		}
		last, err := lc.store.Last(ctx, alliance)
		if err != nil || !t.c.DueFor(int64(last), time.Now()) {
			return err
		}
		_, _, err = t.c.Checkpoint(ctx, time.Now())
		return err
	}()
	if err != nil {
		fmt.Fprintf(e.stderr, "warning: no checkpoint signed: %v\n", err)
	}
}
