package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/audit"
	"github.com/alliance-ledger/alliance/projections/verify"
)

// auditResult is what `alliance bench audit` reports.
type auditResult struct {
	Events        int     `json:"events"`
	TreeBuildEPS  float64 `json:"tree_build_eps"` // hashing the stored log into the tree
	VerifyEPS     float64 `json:"verify_eps"`     // a full verify: tree, checkpoints, every event re-validated, payouts
	VerifyOK      bool    `json:"verify_ok"`
	Checkpoints   int     `json:"checkpoints"`
	Payouts       int     `json:"payouts"`
	ProofUSMedian float64 `json:"proof_us_median"` // inclusion proof generated and checked, µs
	ProofUSMax    float64 `json:"proof_us_max"`
	Proofs        int     `json:"proofs"`
	// AppendOverhead is the ledger's append rate with the tree maintained
	// (every commit hashed into it as it is stored) over the rate without,
	// from alternating runs of the same load in the same process.
	AppendOverhead   float64 `json:"append_overhead"`
	AppendEPSWith    float64 `json:"append_eps_with_tree"`
	AppendEPSWithout float64 `json:"append_eps_without_tree"`
	AppendEvents     int     `json:"append_events"`
	Callers          int     `json:"callers"`
	CPUs             int     `json:"cpus"`
	GoVersion        string  `json:"go_version"`
}

func runBenchAudit(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("bench audit", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dir := fs.String("data", "", "directory for the benchmark's JetStream files; a log generated there before is reused (default: a new temporary directory, removed afterwards)")
	events := fs.Int("events", 1_000_000, "events in the generated log")
	seed := fs.Uint64("seed", 1, "seed of the generated log and of the proved positions")
	proofs := fs.Int("proofs", 1000, "inclusion proofs to time")
	appendEvents := fs.Int("append-events", 100_000, "events per append run (three runs with the tree, three without, in ABBAAB order)")
	callers := fs.Int("callers", 256, "concurrent callers of the append runs")
	asJSON := fs.Bool("json", false, "print one JSON object")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the verify to this file")
	skipAppend := fs.Bool("skip-append", false, "skip the append runs")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: alliance bench audit [flags]\n\nGenerates a realistic log on an embedded JetStream, signs a checkpoint of it, and measures:")
		fmt.Fprintln(e.stderr, "  verify_eps       a full verify (tree, checkpoints, every event re-validated, payouts recomputed)")
		fmt.Fprintln(e.stderr, "  proof_us_median  an inclusion proof generated and checked with tlog.CheckRecord")
		fmt.Fprintln(e.stderr, "  append_overhead  append rate with the tree maintained / without, same run")
		fmt.Fprintln(e.stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cleanup, err := benchDir(dir, "alliance-bench-audit-")
	if err != nil {
		return err
	}
	defer cleanup()
	progress := func(format string, a ...any) {
		if !*asJSON {
			fmt.Fprintf(e.stderr, format+"\n", a...)
		}
	}
	bl, err := openBenchLog(ctx, *dir, *seed, *events, progress)
	if err != nil {
		return err
	}
	defer bl.close()
	st := bl.st
	res := &auditResult{Events: *events, Proofs: *proofs, AppendEvents: *appendEvents, Callers: *callers,
		CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}

	signer, vkey, _, err := audit.LoadOrCreateKey(filepath.Join(*dir, "keys", "ledger.key"), ledgerKeyName)
	if err != nil {
		return err
	}
	cp := &audit.Checkpointer{Alliance: replayAlliance, Signer: signer, Records: st.Audit(),
		Read: func(ctx context.Context, from uint64, fn func(uint64, []byte) error) error {
			return st.Read(ctx, replayAlliance, from, func(s ledger.Stored) error { return fn(s.Seq, s.Data) })
		}}
	progress("building the tree and signing checkpoints...")
	start := time.Now()
	if err := cp.Load(ctx); err != nil {
		return err
	}
	res.Events = int(cp.Tree().Size())
	res.TreeBuildEPS = float64(res.Events) / time.Since(start).Seconds()
	if _, _, err := cp.Checkpoint(ctx, time.Now()); err != nil {
		return err
	}

	progress("verifying...")
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	rep, err := verify.Verify(ctx, replayAlliance, &storeSource{lc: &ledgerConn{store: st}, alliance: replayAlliance}, verify.Options{LedgerKey: vkey})
	if err != nil {
		return err
	}
	stop()
	res.VerifyEPS, res.VerifyOK, res.Checkpoints, res.Payouts = rep.EventsPerSec, rep.OK, rep.Checkpoints, rep.Payouts
	if !rep.OK {
		progress("verify found a problem: at %d: %s", rep.First.Seq, rep.First.What)
	}

	progress("timing %d inclusion proofs...", *proofs)
	tree := cp.Tree()
	size := tree.Size()
	root, err := tree.Root(size)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(*seed, 3))
	var times []float64
	for range *proofs {
		seq := 1 + rng.Uint64N(uint64(size))
		leaf, err := tree.LeafHash(seq)
		if err != nil {
			return err
		}
		t0 := time.Now()
		p, err := tree.ProveInclusion(seq, size)
		if err == nil {
			err = tlog.CheckRecord(p, size, root, int64(seq-1), leaf)
		}
		d := time.Since(t0)
		if err != nil {
			return fmt.Errorf("inclusion proof of %d: %w", seq, err)
		}
		times = append(times, float64(d.Nanoseconds())/1000)
	}
	res.ProofUSMedian = median(times)
	for _, t := range times {
		res.ProofUSMax = max(res.ProofUSMax, t)
	}

	progress("appending with and without the tree, %d events per run...", *appendEvents)
	var with, without time.Duration
	// ABBAAB: a drift of the machine's speed over the runs (a shared host,
	// a disk whose fsyncs slow down) weighs on both sides alike.
	runs := []bool{false, true, true, false, false, true}
	if *skipAppend {
		runs = nil
	}
	for i, withTree := range runs {
		d, err := appendRun(ctx, st, fmt.Sprintf("audit%d", i), withTree, *callers, *appendEvents)
		if err != nil {
			return err
		}
		if withTree {
			with += d
		} else {
			without += d
		}
	}
	if len(runs) > 0 {
		res.AppendEPSWith = float64(len(runs)/2**appendEvents) / with.Seconds()
		res.AppendEPSWithout = float64(len(runs)/2**appendEvents) / without.Seconds()
		res.AppendOverhead = res.AppendEPSWith / res.AppendEPSWithout
	}

	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(res)
	}
	fmt.Fprintf(e.stdout, "events           %d (tree built at %.0f events/s)\n", res.Events, res.TreeBuildEPS)
	fmt.Fprintf(e.stdout, "verify_eps       %.0f  (ok %v, %d checkpoints, %d payouts recomputed)\n", res.VerifyEPS, res.VerifyOK, res.Checkpoints, res.Payouts)
	fmt.Fprintf(e.stdout, "proof_us_median  %.1f  (max %.1f, %d proofs)\n", res.ProofUSMedian, res.ProofUSMax, res.Proofs)
	fmt.Fprintf(e.stdout, "append_overhead  %.3f  (%.0f events/s with the tree, %.0f without)\n", res.AppendOverhead, res.AppendEPSWith, res.AppendEPSWithout)
	return nil
}

// appendRun appends n contributions to a new alliance with the given
// callers; with the tree, every stored commit is hashed into it as the
// writer reports it (on a goroutine of its own, as a serving process
// would), and the run ends when the tree has every event.
func appendRun(ctx context.Context, st ledger.Store, alliance string, withTree bool, callers, n int) (time.Duration, error) {
	opts := ledger.WriterOptions{}
	var commits chan *ledger.Commit
	treeDone := make(chan int64)
	if withTree {
		commits = make(chan *ledger.Commit, 1024)
		opts.OnCommit = func(c *ledger.Commit) { commits <- c }
		go func() {
			t := audit.NewTree()
			for c := range commits {
				for _, ev := range c.Events {
					t.Append(ev)
				}
			}
			treeDone <- t.Size()
		}()
	}
	w := ledger.NewWriter(st, opts)
	setup := benchSetup()
	setup.Alliance = alliance
	if _, err := w.Append(ctx, setup); err != nil {
		w.Close()
		return 0, err
	}
	reqs := make([]ledger.Request, n)
	for i := range reqs {
		reqs[i] = benchContribution(alliance, i+1)
		reqs[i].Alliance = alliance
	}
	// Both kinds of run are timed alike: from the first append until the
	// writer is closed and, with the tree, the tree holds every event.
	start := time.Now()
	_, err := appendRequests(ctx, w, callers, reqs)
	w.Close()
	if withTree {
		close(commits)
		<-treeDone
	}
	return time.Since(start), err
}
