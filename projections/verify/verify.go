// Package verify checks an alliance's log end to end, as an auditor would:
// it replays every event, recomputes the Merkle tree, checks every signed
// checkpoint and co-signature against it, re-validates every event against
// the state before it, and recomputes every committed payout. It reads the
// log from a source, which is the live store or an exported audit pack, so
// the same checks run online and offline.
package verify

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/audit"
	"github.com/alliance-ledger/alliance/projections"
	"github.com/alliance-ledger/alliance/projections/payout"
)

// Source gives the verifier an alliance's log and audit records.
type Source interface {
	// Events calls fn with each stored event's exact bytes, in order, with
	// the position the log gives it.
	Events(ctx context.Context, fn func(seq uint64, data []byte) error) error
	// Checkpoints and Cosignatures return the audit records, oldest first.
	Checkpoints(ctx context.Context) ([]audit.CheckpointRecord, error)
	Cosignatures(ctx context.Context) ([]audit.CosignatureRecord, error)
}

// StableSource is a Source whose event bytes stay as they are after the
// call (a store's, unlike a file reader's buffer): Verify keeps them
// without copying.
type StableSource interface {
	Source
	StableData() bool
}

// Problem is something that does not hold, at the first position it
// concerns.
type Problem struct {
	Seq  uint64 `json:"seq"`
	What string `json:"what"`
}

// Report is what a verification found.
type Report struct {
	Alliance     string        `json:"alliance"`
	OK           bool          `json:"ok"`
	Events       uint64        `json:"events"`
	Root         string        `json:"root,omitempty"` // the tree's root over every event, base64
	Checkpoints  int           `json:"checkpoints"`
	Cosignatures int           `json:"cosignatures"`
	Payouts      int           `json:"payouts"`
	LedgerKey    string        `json:"ledger_key"` // the verifier key checkpoints were checked against
	Elapsed      time.Duration `json:"elapsed_ns"`
	EventsPerSec float64       `json:"events_per_second"`
	// First is the first thing that does not hold, by position; Problems
	// are all of them (up to a bound), in position order.
	First    *Problem  `json:"first_problem,omitempty"`
	Problems []Problem `json:"problems,omitempty"`
}

// maxProblems bounds a report: past the first few, more say little.
const maxProblems = 100

// Options tunes a verification.
type Options struct {
	// LedgerKey is the note verifier key of the ledger's signing key
	// (`alliance audit key`); checkpoints signed by any other key fail.
	LedgerKey string
	// Progress, if set, is told the position reached now and then.
	Progress func(seq uint64)
}

// Verify checks the alliance's log from src.
func Verify(ctx context.Context, alliance string, src Source, opts Options) (*Report, error) {
	start := time.Now()
	ledgerV, err := audit.LoadVerifier(opts.LedgerKey)
	if err != nil {
		return nil, fmt.Errorf("ledger key: %w", err)
	}
	r := &Report{Alliance: alliance, LedgerKey: opts.LedgerKey}
	var problems []Problem
	add := func(seq uint64, format string, args ...any) {
		if len(problems) < maxProblems {
			problems = append(problems, Problem{Seq: seq, What: fmt.Sprintf(format, args...)})
		}
	}

	// The audit records are read while the events are checked: a large
	// log's leaf hashes take a while to decode, and a checkpoint read
	// before the events cannot cover events they lack.
	type records struct {
		cps []audit.CheckpointRecord
		cos []audit.CosignatureRecord
		err error
	}
	recs := make(chan records, 1)
	go func() {
		var rs records
		if rs.cps, rs.err = src.Checkpoints(ctx); rs.err == nil {
			rs.cos, rs.err = src.Cosignatures(ctx)
		}
		recs <- rs
	}()

	tree := audit.NewTree()
	state := ledger.NewCheckState(alliance)
	model := projections.NewModel(alliance)
	// After an event that does not hold, the state and the model no longer
	// follow the log; later rule checks would only echo the first failure.
	broken := false
	var last uint64
	// The model folds on a goroutine of its own, behind the rule checks:
	// the two are independent folds of the same events.
	var (
		modelProblems []Problem
		modelBroken   bool
		pending       []*ledger.Event
		toModel       = make(chan []*ledger.Event, 16)
		modelDone     = make(chan struct{})
	)
	go func() {
		defer close(modelDone)
		for evs := range toModel {
			for _, e := range evs {
				if modelBroken {
					continue
				}
				if err := model.Apply(e); err != nil {
					modelProblems = append(modelProblems, Problem{Seq: e.Seq, What: fmt.Sprintf("the %s does not fold: %v", e.Type, err)})
					modelBroken = true
				}
			}
		}
	}()
	// Decoding, validating and leaf hashing run on every core, in batches;
	// the tree and the rule checks take the batches in log order.
	err = pipeline(ctx, src, func(it *item) {
		seq := it.seq
		last = seq
		tree.AppendLeafHash(it.leaf)
		if opts.Progress != nil && seq%4096 == 0 {
			opts.Progress(seq)
		}
		if seq != uint64(tree.Size()) {
			add(seq, "position %d is not the next one (%d)", seq, tree.Size())
			broken = true
			return
		}
		if it.err != nil {
			add(seq, "the event does not decode: %v", it.err)
			broken = true
			return
		}
		e := it.e
		if e.Seq != seq {
			add(seq, "the event says it is at position %d", e.Seq)
			broken = true
			return
		}
		if broken {
			return
		}
		if it.invalid != nil {
			add(seq, "the %s is not valid: %v", e.Type, it.invalid)
			broken = true
			return
		}
		if err := state.CheckValidated(e); err != nil {
			add(seq, "the %s does not hold: %v", e.Type, err)
			broken = true
			return
		}
		if pending = append(pending, e); len(pending) == batchSize {
			toModel <- pending
			pending = nil
		}
	})
	if len(pending) > 0 {
		toModel <- pending
	}
	close(toModel)
	<-modelDone
	if err != nil {
		return nil, err
	}
	problems = append(problems, modelProblems...)
	broken = broken || modelBroken
	r.Events = last
	if opts.Progress != nil {
		opts.Progress(last)
	}
	if tree.Size() > 0 {
		root, err := tree.Root(tree.Size())
		if err != nil {
			return nil, err
		}
		r.Root = root.String()
	}

	// Every committed payout recomputes to its amounts.
	if !broken {
		var seqs []uint64
		for _, id := range model.PoolIDs(0) {
			pool, err := model.Pool(id, 0)
			if err != nil {
				return nil, err
			}
			for _, pf := range pool.Payouts {
				if pf.Adjusts == 0 {
					seqs = append(seqs, pf.Seq)
				}
			}
		}
		r.Payouts = len(seqs)
		// Each payout recomputes on its own from the folded model, which
		// reads concurrently: on every core, reported in order.
		checks, errs := make([]*payout.Check, len(seqs)), make([]error, len(seqs))
		var next atomic.Int64
		var wg sync.WaitGroup
		for range min(runtime.GOMAXPROCS(0), len(seqs)) {
			wg.Go(func() {
				for i := int(next.Add(1)) - 1; i < len(seqs); i = int(next.Add(1)) - 1 {
					checks[i], errs[i] = payout.Recompute(model, seqs[i])
				}
			})
		}
		wg.Wait()
		for i, seq := range seqs {
			if errs[i] != nil {
				add(seq, "the payout cannot be recomputed: %v", errs[i])
				continue
			}
			if ck := checks[i]; !ck.Match {
				d := ck.Differences[0]
				add(seq, "the payout does not recompute: %s was paid %d, the log gives %d (%d members differ)", d.Member, d.Committed, d.Recomputed, len(ck.Differences))
			}
		}
	}

	got := <-recs
	if got.err != nil {
		return nil, got.err
	}
	cps, cos := got.cps, got.cos
	r.Checkpoints = len(cps)
	bySize := map[int64]string{}
	for i, rec := range cps {
		if seq, what := checkCheckpoint(tree, ledgerV, alliance, rec); what != "" {
			add(seq, "checkpoint %d (tree size %d): %s", i+1, rec.Size, what)
			continue
		}
		bySize[rec.Size] = rec.Note
	}

	r.Cosignatures = len(cos)
	for _, rec := range cos {
		if what := checkCosignature(ledgerV, bySize, rec); what != "" {
			add(uint64(max(rec.Size, 1)), "co-signature of %s on tree size %d: %s", rec.Member, rec.Size, what)
		}
	}

	r.Add(problems...)
	r.Elapsed = time.Since(start)
	if s := r.Elapsed.Seconds(); s > 0 {
		r.EventsPerSec = float64(r.Events) / s
	}
	return r, nil
}

// checkCheckpoint checks one checkpoint record against the recomputed
// tree. It returns the first position concerned and what is wrong, or "".
func checkCheckpoint(tree *audit.Tree, ledgerV note.Verifier, alliance string, rec audit.CheckpointRecord) (uint64, string) {
	at := uint64(max(rec.Size, 1))
	_, cp, err := audit.OpenCheckpoint([]byte(rec.Note), ledgerV)
	if err != nil {
		return at, fmt.Sprintf("not signed by the ledger's key: %v", err)
	}
	if cp.Origin != audit.Origin(alliance) {
		return at, fmt.Sprintf("the checkpoint is of log %q, not %q", cp.Origin, audit.Origin(alliance))
	}
	if cp.Size != rec.Size {
		return at, fmt.Sprintf("the record says size %d, the signed checkpoint %d", rec.Size, cp.Size)
	}
	// The leaf hashes recorded with the checkpoint locate the first event
	// that differs from the one checkpointed.
	if len(rec.Leaves)%tlog.HashSize == 0 {
		for i := 0; i*tlog.HashSize < len(rec.Leaves); i++ {
			seq := uint64(rec.PrevSize) + uint64(i) + 1
			if seq > uint64(tree.Size()) {
				return seq, fmt.Sprintf("the log ends at position %d; the checkpoint covers %d", tree.Size(), rec.Size)
			}
			h, _ := tree.LeafHash(seq)
			if !bytes.Equal(h[:], rec.Leaves[i*tlog.HashSize:(i+1)*tlog.HashSize]) {
				return seq, fmt.Sprintf("the event at position %d is not the one checkpointed", seq)
			}
		}
	}
	if rec.Size > tree.Size() {
		return uint64(tree.Size()) + 1, fmt.Sprintf("the log ends at position %d; the checkpoint covers %d", tree.Size(), rec.Size)
	}
	root, err := tree.Root(rec.Size)
	if err != nil {
		return at, err.Error()
	}
	if root != cp.Root {
		return at, "the log's tree root differs from the signed one"
	}
	return 0, ""
}

// checkCosignature checks a member's co-signature: the note is a
// checkpoint the ledger signed (and verify found good) with a valid
// signature by the member's key.
func checkCosignature(ledgerV note.Verifier, good map[int64]string, rec audit.CosignatureRecord) string {
	mv, err := audit.LoadVerifier(rec.VKey)
	if err != nil {
		return fmt.Sprintf("the member's key: %v", err)
	}
	names, err := audit.Cosigners([]byte(rec.Note), ledgerV, []note.Verifier{mv})
	if err != nil {
		return err.Error()
	}
	if len(names) != 1 {
		return "the member's signature is missing"
	}
	n, cp, err := audit.OpenCheckpoint([]byte(rec.Note), ledgerV)
	if err != nil {
		return err.Error()
	}
	if cp.Size != rec.Size {
		return fmt.Sprintf("the record says size %d, the note %d", rec.Size, cp.Size)
	}
	signed, ok := good[rec.Size]
	if !ok {
		return "no good checkpoint of that size"
	}
	if _, want, err := audit.OpenCheckpoint([]byte(signed), ledgerV); err != nil || want.Root != cp.Root || n.Text == "" {
		return "the co-signed checkpoint is not the ledger's checkpoint of that size"
	}
	return ""
}

// Add adds problems found outside Verify (say, stream messages the store
// skipped) and keeps the report in position order.
func (r *Report) Add(ps ...Problem) {
	r.Problems = append(r.Problems, ps...)
	sort.SliceStable(r.Problems, func(i, j int) bool { return r.Problems[i].Seq < r.Problems[j].Seq })
	if len(r.Problems) > maxProblems {
		r.Problems = r.Problems[:maxProblems]
	}
	r.OK = len(r.Problems) == 0
	r.First = nil
	if !r.OK {
		r.First = &r.Problems[0]
	}
}

// item is one event on its way through the pipeline.
type item struct {
	seq  uint64
	data []byte
	leaf tlog.Hash
	e    *ledger.Event
	err  error
	// invalid is the payload's own validation error.
	invalid error
}

type batch struct {
	items []item
	done  chan struct{}
}

const batchSize = 512

// pipeline reads src's events, decodes and hashes them on every core, and
// calls fold with each in log order, on the calling goroutine.
func pipeline(ctx context.Context, src Source, fold func(*item)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *batch, 2*runtime.GOMAXPROCS(0))
	ordered := make(chan *batch, 4*runtime.GOMAXPROCS(0))
	// Folded batches' items are reused rather than allocated and cleared
	// again for every 512 events.
	free := make(chan []item, 8*runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for b := range work {
				for i := range b.items {
					it := &b.items[i]
					it.leaf = tlog.RecordHash(it.data)
					it.e, it.err = ledger.DecodeEventShared(it.data) // it.data is the item's own
					if it.err == nil {
						it.invalid = it.e.Payload.Validate()
					}
				}
				close(b.done)
			}
		})
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(ordered)
		defer close(work)
		newBatch := func() *batch {
			select {
			case items := <-free:
				return &batch{items: items, done: make(chan struct{})}
			default:
				return &batch{items: make([]item, 0, batchSize), done: make(chan struct{})}
			}
		}
		b := newBatch()
		send := func() bool {
			select {
			case ordered <- b:
			case <-ctx.Done():
				return false
			}
			select {
			case work <- b:
			case <-ctx.Done():
				return false
			}
			b = newBatch()
			return true
		}
		ss, ok := src.(StableSource)
		stable := ok && ss.StableData()
		err := src.Events(ctx, func(seq uint64, data []byte) error {
			if !stable {
				// The source may reuse data after the call; the event keeps it.
				data = append([]byte(nil), data...)
			}
			b.items = append(b.items, item{seq: seq, data: data})
			if len(b.items) == batchSize && !send() {
				return ctx.Err()
			}
			return nil
		})
		if err == nil && len(b.items) > 0 && !send() {
			err = ctx.Err()
		}
		readErr <- err
	}()
	for b := range ordered {
		select {
		case <-b.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		for i := range b.items {
			fold(&b.items[i])
		}
		clear(b.items)
		select {
		case free <- b.items[:0]:
		default:
		}
		b.items = nil
	}
	wg.Wait()
	return <-readErr
}
