package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
	"github.com/alliance-ledger/alliance/ledger/sample"
	"github.com/alliance-ledger/alliance/projections"
)

type replayResult struct {
	Events int `json:"events"`
	// RebuildEPS is every projection folded from zero (reading, decoding
	// in parallel, folding in order), plus computing each view once.
	RebuildEPS float64 `json:"rebuild_eps"`
	// RebuildCPUus is the process's CPU time (runner, embedded NATS,
	// garbage collector) during the rebuild, in µs per event: steadier
	// than the rate on a shared machine, and what bounds it on two cores.
	RebuildCPUus float64 `json:"rebuild_cpu_us"`
	// RawReplayEPS is an ordered consumer reading the same stream and
	// doing nothing with the messages, in events per second.
	RawReplayEPS float64 `json:"raw_replay_eps"`
	Ratio        float64 `json:"ratio"`
	// AsOfMsMedian is the median time of balances as of 100 random
	// positions, on the rebuilt model.
	AsOfMsMedian float64 `json:"as_of_ms_median"`
	AsOfMsMax    float64 `json:"as_of_ms_max"`
	RSSMB        float64 `json:"rss_mb"`      // resident memory after the rebuild
	PeakRSSMB    float64 `json:"peak_rss_mb"` // the process's peak, generation included
	HeapMB       float64 `json:"heap_mb"`     // live heap after the rebuild (after a GC)
	// Snapshot of the rebuilt model: size, time to encode and save it,
	// and time to restore it in a new runner.
	SnapshotMB      float64 `json:"snapshot_mb"`
	SnapshotSaveMs  float64 `json:"snapshot_save_ms"`
	SnapshotLoadMs  float64 `json:"snapshot_restore_ms"`
	Commits         int     `json:"commits"`
	AvgEventBytes   float64 `json:"avg_event_bytes"`
	Workers         int     `json:"workers"`
	CPUs            int     `json:"cpus"`
	GoVersion       string  `json:"go_version"`
	GenerateSeconds float64 `json:"generate_seconds"`
}

const replayAlliance = "replaybench"

func runBenchReplay(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("bench replay", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dir := fs.String("data", "", "directory for the benchmark's JetStream files; a log generated there before is reused (default: a new temporary directory, removed afterwards)")
	events := fs.Int("events", 1_000_000, "events in the generated log")
	seed := fs.Uint64("seed", 1, "seed of the generated log and of the as-of positions")
	workers := fs.Int("workers", 0, "decoding goroutines (default GOMAXPROCS)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the rebuild to this file")
	asOfProfile := fs.String("asof-cpuprofile", "", "write a CPU profile of the as-of queries to this file")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: alliance bench replay [flags]\n\nGenerates a realistic log (contributions, confirmations, funding, costs, IP, corrections...) on an")
		fmt.Fprintln(e.stderr, "embedded JetStream and measures:")
		fmt.Fprintln(e.stderr, "  rebuild_eps      every projection folded from zero, events per second (rebuild_cpu_us: CPU µs an event)")
		fmt.Fprintln(e.stderr, "  raw_replay_eps   an ordered consumer reading the same stream and doing nothing")
		fmt.Fprintln(e.stderr, "  as_of_ms_median  balances as of 100 random positions")
		fmt.Fprintln(e.stderr, "  rss_mb           resident memory after the rebuild")
		fmt.Fprintln(e.stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cleanup, err := benchDir(dir, "alliance-bench-replay-")
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
	st, nc, last := bl.st, bl.nc, bl.last
	res := &replayResult{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), Workers: *workers}
	if res.Workers <= 0 {
		res.Workers = runtime.GOMAXPROCS(0)
	}

	res.GenerateSeconds = bl.generated.Seconds()
	res.Events = int(last)

	// Raw: an ordered consumer over the stream, doing nothing.
	progress("reading the stream with an ordered consumer...")
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	d, commits, bytes, err := rawReplay(ctx, js)
	if err != nil {
		return err
	}
	res.RawReplayEPS = float64(last) / d.Seconds()
	res.Commits = commits
	res.AvgEventBytes = float64(bytes) / float64(last)

	// Rebuild every projection from zero.
	progress("rebuilding the projections from zero...")
	runtime.GC()
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	start, cpu0 := time.Now(), processCPU()
	r := projections.NewRunner(st, replayAlliance, projections.RunnerOptions{Workers: *workers})
	if err := r.CatchUp(ctx, 0); err != nil {
		return err
	}
	err = r.View(func(m *projections.Model) error {
		if _, err := m.Balances(projections.Query{}); err != nil {
			return err
		}
		if _, err := m.Risk(projections.Query{}); err != nil {
			return err
		}
		_, err := m.Outputs(projections.Query{})
		return err
	})
	if err != nil {
		return err
	}
	d = time.Since(start)
	res.RebuildCPUus = float64((processCPU() - cpu0).Microseconds()) / float64(last)
	stopProfile()
	if r.Last() != last {
		return fmt.Errorf("rebuilt to position %d, the log ends at %d", r.Last(), last)
	}
	if q := r.Quarantined(); len(q.Events)+len(q.Messages) > 0 {
		return fmt.Errorf("the generated log has quarantined entries: %+v", q)
	}
	res.RebuildEPS = float64(last) / d.Seconds()
	res.Ratio = res.RebuildEPS / res.RawReplayEPS
	res.RSSMB = procStatusMB("VmRSS")
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.HeapMB = float64(ms.HeapAlloc) / (1 << 20)

	// As-of balances at random positions.
	progress("balances as of 100 random positions...")
	rng := rand.New(rand.NewPCG(*seed, 99))
	var times []float64
	stopProfile, err = startCPUProfile(*asOfProfile)
	if err != nil {
		return err
	}
	for range 100 {
		seq := 1 + rng.Uint64N(last)
		start := time.Now()
		err := r.View(func(m *projections.Model) error {
			_, err := m.Balances(projections.Query{Seq: seq})
			return err
		})
		if err != nil {
			return err
		}
		times = append(times, float64(time.Since(start).Microseconds())/1000)
	}
	stopProfile()
	slices.Sort(times)
	res.AsOfMsMedian = (times[49] + times[50]) / 2
	res.AsOfMsMax = times[99]

	// Snapshot: save the rebuilt model, restore it in a new runner.
	progress("saving and restoring a snapshot...")
	snaps := st.Snapshots()
	var snapBytes int
	start = time.Now()
	err = r.View(func(m *projections.Model) error {
		data, err := m.Encode("")
		if err != nil {
			return err
		}
		snapBytes = len(data)
		return snaps.SaveSnapshot(ctx, replayAlliance, m.Last(), data)
	})
	if err != nil {
		return err
	}
	res.SnapshotSaveMs = float64(time.Since(start).Milliseconds())
	res.SnapshotMB = float64(snapBytes) / (1 << 20)
	start = time.Now()
	r2 := projections.NewRunner(st, replayAlliance, projections.RunnerOptions{Snapshots: snaps})
	at, err := r2.Restore(ctx, 0)
	if err != nil {
		return err
	}
	if at != last {
		return fmt.Errorf("restored a snapshot at %d, saved at %d", at, last)
	}
	res.SnapshotLoadMs = float64(time.Since(start).Milliseconds())
	res.PeakRSSMB = procStatusMB("VmHWM")

	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(res)
	}
	fmt.Fprintf(e.stdout, "events           %d (%d commits, %.0f bytes/event)\n", res.Events, res.Commits, res.AvgEventBytes)
	fmt.Fprintf(e.stdout, "rebuild_eps      %.0f  (%d decoding workers, %.2f µs of CPU an event)\n", res.RebuildEPS, res.Workers, res.RebuildCPUus)
	fmt.Fprintf(e.stdout, "raw_replay_eps   %.0f\n", res.RawReplayEPS)
	fmt.Fprintf(e.stdout, "ratio            %.3f\n", res.Ratio)
	fmt.Fprintf(e.stdout, "as_of_ms_median  %.2f  (max %.2f)\n", res.AsOfMsMedian, res.AsOfMsMax)
	fmt.Fprintf(e.stdout, "rss_mb           %.0f  (heap %.0f, peak %.0f)\n", res.RSSMB, res.HeapMB, res.PeakRSSMB)
	fmt.Fprintf(e.stdout, "snapshot         %.1f MB, saved in %.0f ms, restored in %.0f ms\n", res.SnapshotMB, res.SnapshotSaveMs, res.SnapshotLoadMs)
	return nil
}

func isNotFound(err error) bool { return errors.Is(err, ledger.ErrNotFound) }

// benchLog is a generated log on an embedded server, for the benchmarks
// that read one.
type benchLog struct {
	st        *natsstore.Store
	nc        *nats.Conn
	last      uint64
	generated time.Duration // 0 when a previous run's log was reused
	close     func()
}

// openBenchLog starts an embedded server in dir and generates a log of n
// synthetic events there, unless a previous run left one of that size.
func openBenchLog(ctx context.Context, dir string, seed uint64, n int, progress func(string, ...any)) (*benchLog, error) {
	emb, err := natsstore.StartEmbedded(dir, "", nil)
	if err != nil {
		return nil, err
	}
	nc, err := emb.Connect()
	if err != nil {
		emb.Shutdown()
		return nil, err
	}
	bl := &benchLog{nc: nc, close: func() { nc.Close(); emb.Shutdown() }}
	fail := func(err error) (*benchLog, error) { bl.close(); return nil, err }
	if bl.st, err = natsstore.New(nc, natsstore.Options{}); err != nil {
		return fail(err)
	}
	last, err := bl.st.Last(ctx, replayAlliance)
	if err != nil && !isNotFound(err) {
		return fail(err)
	}
	if last < uint64(n) {
		if last != 0 {
			return fail(fmt.Errorf("the data directory holds a log of %d events, fewer than --events %d: use another directory", last, n))
		}
		progress("generating a log of %d events...", n)
		start := time.Now()
		if err := generateLog(ctx, bl.st, seed, n, progress); err != nil {
			return fail(err)
		}
		bl.generated = time.Since(start)
		if last, err = bl.st.Last(ctx, replayAlliance); err != nil {
			return fail(err)
		}
	}
	bl.last = last
	return bl, nil
}

// generateLog appends n synthetic events through the writer, in chunks so
// that the requests never all sit in memory.
func generateLog(ctx context.Context, st ledger.Store, seed uint64, n int, progress func(string, ...any)) error {
	w := ledger.NewWriter(st, ledger.WriterOptions{})
	defer w.Close()
	g := sample.NewSynthetic(replayAlliance, seed, time.Date(2021, 1, 4, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	const chunk = 50_000
	for g.Last() < uint64(n) {
		var reqs []ledger.Request
		for len(reqs) < chunk && g.Last() < uint64(n) {
			reqs = append(reqs, g.Next())
		}
		if _, err := w.AppendInOrder(ctx, reqs, nil); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
		progress("  %d events", g.Last())
	}
	return nil
}

// rawReplay reads every message of the bench stream with an ordered
// consumer and returns the time, the messages and the bytes of their
// events (headers of the commit envelopes excluded only approximately).
func rawReplay(ctx context.Context, js jetstream.JetStream) (time.Duration, int, int, error) {
	stream, err := js.Stream(ctx, natsstore.StreamName(replayAlliance))
	if err != nil {
		return 0, 0, 0, err
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	total := info.State.Msgs
	start := time.Now()
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return 0, 0, 0, err
	}
	it, err := cons.Messages()
	if err != nil {
		return 0, 0, 0, err
	}
	defer it.Stop()
	var n, bytes int
	for uint64(n) < total {
		msg, err := it.Next()
		if err != nil {
			return 0, 0, 0, err
		}
		n++
		bytes += len(msg.Data())
	}
	return time.Since(start), n, bytes, nil
}

// procStatusMB reads a memory figure of this process from /proc, in MiB.
func procStatusMB(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024
			}
		}
	}
	return 0
}
