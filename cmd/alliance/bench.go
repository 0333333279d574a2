package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
)

func runBench(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "replay" {
		return runBenchReplay(ctx, e, args[1:])
	}
	if len(args) > 0 && args[0] == "shapley" {
		return runBenchShapley(ctx, e, args[1:])
	}
	if len(args) > 0 && args[0] == "audit" {
		return runBenchAudit(ctx, e, args[1:])
	}
	if len(args) > 0 && args[0] == "evaluation" {
		return runBenchEvaluation(ctx, e, args[1:])
	}
	if len(args) > 0 && args[0] == "import" {
		return runBenchImport(ctx, e, args[1:])
	}
	if len(args) > 0 && args[0] == "http" {
		return runBenchHTTP(ctx, e, args[1:])
	}
	if len(args) > 0 && args[0] == "soak" {
		return runBenchSoak(ctx, e, args[1:])
	}
	if len(args) == 0 || args[0] != "append" {
		fmt.Fprintln(e.stderr, "Usage: alliance bench append|replay|shapley|audit|evaluation|import|http|soak [flags]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	fs := flag.NewFlagSet("bench append", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dir := fs.String("data", "", "directory for the benchmark's JetStream files (default: a new temporary directory, removed afterwards)")
	events := fs.Int("events", 200_000, "events to append with --callers concurrent callers")
	events64 := fs.Int("events-64", 100_000, "events to append with 64 concurrent callers")
	naiveEvents := fs.Int("naive-events", 3_000, "events to publish one durable message at a time")
	callers := fs.Int("callers", 1024, "concurrent callers of the main run")
	commitDelay := fs.Duration("commit-delay", ledger.DefaultCommitDelay, "the writer's commit delay, as serve's --commit-delay (0: none)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: alliance bench append [flags]\n\nMeasures durable appends (SyncAlways) on an embedded JetStream server:")
		fmt.Fprintln(e.stderr, "  ledger_eps     validated contribution commands through the writer, each caller waiting for its ack")
		fmt.Fprintln(e.stderr, "  ledger_eps_64  the same with 64 callers")
		fmt.Fprintln(e.stderr, "  raw_eps        the main run's commit messages, encoded beforehand, published serially with the same headers")
		fmt.Fprintln(e.stderr, "  naive_eps      one durable publish per event, waiting for each ack")
		fmt.Fprintln(e.stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cleanup, err := benchDir(dir, "alliance-bench-")
	if err != nil {
		return err
	}
	defer cleanup()
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	progress := func(format string, a ...any) {
		if !*asJSON {
			fmt.Fprintf(e.stderr, format+"\n", a...)
		}
	}
	res, err := benchAppend(ctx, *dir, *callers, *events, *events64, *naiveEvents, *commitDelay, progress)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(res)
	}
	fmt.Fprintf(e.stdout, "events         %d\n", res.Events)
	fmt.Fprintf(e.stdout, "ledger_eps     %.0f  (%d callers, %d commits, %.0f events/commit)\n", res.LedgerEPS, res.Callers, res.Commits, res.EventsPerCommit)
	fmt.Fprintf(e.stdout, "               store busy %.0f%% of the run\n", 100*res.StoreBusy)
	fmt.Fprintf(e.stdout, "ledger_eps_64  %.0f\n", res.LedgerEPS64)
	fmt.Fprintf(e.stdout, "raw_eps        %.0f\n", res.RawEPS)
	fmt.Fprintf(e.stdout, "naive_eps      %.0f\n", res.NaiveEPS)
	fmt.Fprintf(e.stdout, "ratio          %.3f  (ledger_eps / raw_eps)\n", res.Ratio)
	fmt.Fprintf(e.stdout, "64 vs naive    %.1fx\n", res.LedgerEPS64/res.NaiveEPS)
	return nil
}

// benchDir makes *dir a new temporary directory when it is empty, and
// returns what removes it (nothing, for a directory the user named).
func benchDir(dir *string, prefix string) (func(), error) {
	if *dir != "" {
		return func() {}, nil
	}
	d, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	*dir = d
	return func() { os.RemoveAll(d) }, nil
}

// startCPUProfile writes a CPU profile to path (nothing when it is "")
// until the returned function is called.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

type benchResult struct {
	Events          int     `json:"events"`
	LedgerEPS       float64 `json:"ledger_eps"`
	LedgerEPS64     float64 `json:"ledger_eps_64"`
	RawEPS          float64 `json:"raw_eps"`
	NaiveEPS        float64 `json:"naive_eps"`
	Ratio           float64 `json:"ratio"`
	Callers         int     `json:"callers"`
	Commits         int     `json:"commits"`
	EventsPerCommit float64 `json:"events_per_commit"`
	AvgEventBytes   float64 `json:"avg_event_bytes"`
	Events64        int     `json:"events_64"`
	NaiveEvents     int     `json:"naive_events"`
	CPUs            int     `json:"cpus"`
	GoVersion       string  `json:"go_version"`
	SyncAlways      bool    `json:"sync_always"`
	CommitDelayMs   float64 `json:"commit_delay_ms"` // the writer's WriterOptions.CommitDelay
	// StoreBusy is the share of the main run's wall time spent inside the
	// store's Append (publishing and waiting for the fsync'd ack).
	StoreBusy float64 `json:"store_busy"`
}

// capturingStore keeps every commit the writer appends, for the raw run.
type capturingStore struct {
	ledger.Store
	mu       sync.Mutex
	commits  []*ledger.Commit
	capture  bool
	inAppend time.Duration // time spent in the store's Append while capturing
}

func (c *capturingStore) Append(ctx context.Context, cm *ledger.Commit) error {
	start := time.Now()
	err := c.Store.Append(ctx, cm)
	if c.capture {
		c.inAppend += time.Since(start)
	}
	if err == nil && c.capture {
		c.mu.Lock()
		c.commits = append(c.commits, cm)
		c.mu.Unlock()
	}
	return err
}

const benchAlliance = "bench"

func benchAppend(ctx context.Context, dir string, callers, events, events64, naiveEvents int, commitDelay time.Duration, progress func(string, ...any)) (*benchResult, error) {
	emb, err := natsstore.StartEmbedded(dir, "", nil)
	if err != nil {
		return nil, err
	}
	defer emb.Shutdown()
	nc, err := emb.Connect()
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	st, err := natsstore.New(nc, natsstore.Options{})
	if err != nil {
		return nil, err
	}
	cs := &capturingStore{Store: st}
	w := ledger.NewWriter(cs, ledger.WriterOptions{CommitDelay: writerDelay(commitDelay)})
	defer w.Close()
	if _, err := w.Append(ctx, benchSetup()); err != nil {
		return nil, fmt.Errorf("set up bench alliance: %w", err)
	}

	res := &benchResult{Callers: callers, Events: events, Events64: events64, NaiveEvents: naiveEvents, CommitDelayMs: msOf(commitDelay),
		CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), SyncAlways: true}

	progress("appending %d events with %d callers...", events, callers)
	cs.capture = true
	d, err := appendLoad(ctx, w, callers, events, "a")
	if err != nil {
		return nil, err
	}
	cs.capture = false
	res.LedgerEPS = float64(events) / d.Seconds()
	res.Commits = len(cs.commits)
	res.StoreBusy = cs.inAppend.Seconds() / d.Seconds()
	res.EventsPerCommit = float64(events) / float64(len(cs.commits))

	progress("appending %d events with 64 callers...", events64)
	d, err = appendLoad(ctx, w, 64, events64, "b")
	if err != nil {
		return nil, err
	}
	res.LedgerEPS64 = float64(events64) / d.Seconds()

	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	progress("publishing the same %d commits serially...", len(cs.commits))
	msgs := make([][]byte, len(cs.commits))
	var bytesTotal, nEvents int
	for i, c := range cs.commits {
		msgs[i] = ledger.MarshalCommit(c)
		for _, ev := range c.Events {
			bytesTotal += len(ev)
			nEvents++
		}
	}
	res.AvgEventBytes = float64(bytesTotal) / float64(nEvents)
	d, err = publishSerially(ctx, js, "rawbench", msgs)
	if err != nil {
		return nil, err
	}
	res.RawEPS = float64(events) / d.Seconds()

	progress("publishing %d events one message each...", naiveEvents)
	one := make([][]byte, 0, naiveEvents)
	for _, c := range cs.commits {
		for _, ev := range c.Events {
			if len(one) < naiveEvents {
				one = append(one, ev)
			}
		}
	}
	d, err = publishSerially(ctx, js, "naivebench", one)
	if err != nil {
		return nil, err
	}
	res.NaiveEPS = float64(len(one)) / d.Seconds()
	res.Ratio = res.LedgerEPS / res.RawEPS
	return res, nil
}

// appendLoad runs callers goroutines appending n contribution commands,
// each waiting for its ack, and returns the wall time. The requests are
// built beforehand, as a client would have them ready; validating and
// encoding them is part of the measured append.
func appendLoad(ctx context.Context, w *ledger.Writer, callers, n int, tag string) (time.Duration, error) {
	reqs := make([]ledger.Request, n)
	for i := range reqs {
		reqs[i] = benchContribution(tag, i+1)
	}
	return appendRequests(ctx, w, callers, reqs)
}

// appendRequests appends reqs with the given number of concurrent callers,
// each waiting for its receipt, and returns the time it took.
func appendRequests(ctx context.Context, w *ledger.Writer, callers int, reqs []ledger.Request) (time.Duration, error) {
	n := len(reqs)
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range callers {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(n) || ctx.Err() != nil {
					return
				}
				if _, err := w.Append(ctx, reqs[i-1]); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	if err, ok := firstErr.Load().(error); ok {
		return 0, fmt.Errorf("append: %w", err)
	}
	return d, ctx.Err()
}

var benchMembers = []struct{ id, name, kind string }{
	{"M01", "华东理工大学", "university"}, {"M02", "江苏新能动力电池有限公司", "enterprise"},
	{"M03", "中科院先进材料研究所", "research-institute"}, {"M04", "浙江锂源材料科技股份有限公司", "enterprise"},
	{"M05", "上海电驱系统有限公司", "enterprise"}, {"M06", "合肥工业大学", "university"},
	{"M07", "国家动力电池检测中心", "other"}, {"M08", "苏州智造装备有限公司", "enterprise"},
}

func benchSetup() ledger.Request {
	at := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	cmds := []ledger.Command{ledger.NewCommand(at, &ledger.AllianceFounded{Name: "动力电池产业技术创新战略联盟（基准测试）", Type: "industry-chain",
		LegalForm: "non-legal-person", BaseCurrency: "CNY", Custodian: "M01"})}
	roles := []string{"chair", "vice-chair", "council", "council", "ordinary", "ordinary", "ordinary", "ordinary"}
	var parts []ledger.Participant
	for i, m := range benchMembers {
		cmds = append(cmds, ledger.NewCommand(at, &ledger.MemberAdmitted{Member: m.id, Name: m.name, Kind: m.kind, Role: roles[i]}))
		parts = append(parts, ledger.Participant{Member: m.id, Budget: ledger.Money{Amount: 500_000_000, Currency: "CNY"}})
	}
	cmds = append(cmds, ledger.NewCommand(at, &ledger.AgreementSigned{Agreement: ledger.Agreement{
		Title: "联盟章程与利益分配协议", EffectiveDate: "2025-01-06",
		Distribution: ledger.Distribution{Method: "shapley"}, Risk: ledger.RiskRule{Rule: "contribution"},
		Valuation:   ledger.Valuation{PersonMonthRates: map[string]ledger.Money{"enterprise": {Amount: 3_500_000, Currency: "CNY"}, "university": {Amount: 2_800_000, Currency: "CNY"}, "research-institute": {Amount: 3_000_000, Currency: "CNY"}, "other": {Amount: 2_500_000, Currency: "CNY"}}},
		IPOwnership: "by-contribution", Signatories: []string{"M01", "M02", "M03"},
	}}))
	cmds = append(cmds, ledger.NewCommand(at, &ledger.ProjectOpened{Project: "P-2025-01", Name: "高镍正极材料与固态电解质联合攻关",
		Lead: "M02", Participants: parts, Start: "2025-01-06", End: "2027-12-31"}))
	return ledger.Request{Alliance: benchAlliance, Actor: "secretariat", IdempotencyKey: "bench-setup", Commands: cmds}
}

// benchContribution is a realistic contribution command: cash or
// person-months valued at the agreement's rate, with evidence.
func benchContribution(tag string, i int) ledger.Request {
	m := benchMembers[1+i%(len(benchMembers)-1)] // not the custodian: its counterparty is the custodian
	sum := sha256.Sum256([]byte(tag + strconv.Itoa(i)))
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i%10000) * time.Minute)
	p := &ledger.ContributionRecorded{Member: m.id, Project: "P-2025-01", Kind: "cash",
		Value:       ledger.Money{Amount: int64(10_000_00 + i%5000*100), Currency: "CNY"},
		Description: "第" + strconv.Itoa(i%12+1) + "期研发经费投入（正极材料中试线）",
		Evidence:    &ledger.Evidence{SHA256: hex.EncodeToString(sum[:]), Title: "银行回单"},
	}
	if i%3 == 0 {
		q := ledger.NewRatio(int64(i%40+1), 2)
		p.Kind, p.Value, p.Quantity, p.Unit = "personnel", ledger.Money{}, &q, "person-month"
		p.Description = "研发人员投入（电芯设计与测试）"
	}
	return ledger.Request{Alliance: benchAlliance, Actor: "member:" + m.id, IdempotencyKey: tag + "-" + strconv.Itoa(i),
		Commands: []ledger.Command{ledger.NewCommand(at, p)}}
}

// publishSerially publishes msgs to a fresh stream with the ledger's
// settings, one at a time, each with a message id and the expected last
// sequence, waiting for each ack.
func publishSerially(ctx context.Context, js jetstream.JetStream, id string, msgs [][]byte) (time.Duration, error) {
	if _, err := js.CreateOrUpdateStream(ctx, natsstore.StreamConfig(id, 1)); err != nil {
		return 0, err
	}
	subject := natsstore.Subject(id)
	ids := make([]string, len(msgs))
	for i := range msgs {
		ids[i] = fmt.Sprintf("%s-%d", id, i)
	}
	start := time.Now()
	for i, data := range msgs {
		if _, err := js.Publish(ctx, subject, data, jetstream.WithMsgID(ids[i]), jetstream.WithExpectLastSequence(uint64(i))); err != nil {
			return 0, fmt.Errorf("publish %d: %w", i, err)
		}
	}
	return time.Since(start), nil
}

// writerDelay is WriterOptions.CommitDelay for a --commit-delay flag, where
// 0 means none.
func writerDelay(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}
