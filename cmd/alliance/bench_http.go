package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alliance-ledger/alliance/api"
	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/audit"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
	"github.com/alliance-ledger/alliance/projections"
)

// httpBenchTargets are the figures the API is asked to reach on a 2-core
// machine: a PostgreSQL event table there does 13-18k single-event
// transactions a second at 64 clients, with no HTTP in front.
var httpBenchTargets = httpTargets{AppendRPS: 20_000, ReadRPS: 20_000, ReadP99Ms: 10}

type httpTargets struct {
	AppendRPS float64 `json:"append_rps"`
	ReadRPS   float64 `json:"read_rps"`
	ReadP99Ms float64 `json:"read_p99_ms"`
}

type httpMet struct {
	AppendRPS bool `json:"append_rps"`
	ReadRPS   bool `json:"read_rps"`
	ReadP99Ms bool `json:"read_p99_ms"`
}

type httpBenchResult struct {
	// Events is the size of the read alliance's log.
	Events          int     `json:"events"`
	GenerateSeconds float64 `json:"generate_seconds"` // 0 when a previous run's log was reused
	// ReadyMs is the server's cold start on that log: from Warm until its
	// projections have folded every event (restored from a snapshot at
	// ReadyRestoredSeq, 0 for none).
	ReadyMs          float64 `json:"ready_ms"`
	ReadyRestoredSeq uint64  `json:"ready_restored_seq"`
	// AuditReadyMs is the audit tree of the same log built by the
	// checkpointer, as serve does at start (until an inclusion proof in
	// the whole log answers), before anything is measured.
	AuditReadyMs float64 `json:"audit_ready_ms"`
	// MaxSeconds stops each measured run after that long (the counts
	// below are what completed).
	MaxSeconds float64 `json:"max_seconds"`

	// Appends: single-event POST /contributions, each client waiting for
	// its 201, durable (the writer answers after JetStream's fsync).
	Clients        int     `json:"clients"`
	AppendRequests int     `json:"append_requests"`
	AppendRPS      float64 `json:"append_rps"`
	AppendP50Ms    float64 `json:"append_p50_ms"`
	AppendP99Ms    float64 `json:"append_p99_ms"`
	// AppendCPUus is the process's CPU time (server, embedded NATS and
	// client together) per append, in microseconds.
	AppendCPUus float64 `json:"append_cpu_us"`
	// AppendEventsPerCommit is the writer's group commits: events per
	// JetStream message (and fsync) during the run.
	AppendEventsPerCommit float64 `json:"append_events_per_commit"`
	// Appended is how much the log's last position grew during the HTTP
	// run; AppendCountOK that it equals Created, the number of 201s.
	Appended      uint64 `json:"appended"`
	Created       int64  `json:"created"`
	AppendCountOK bool   `json:"append_count_ok"`
	// DirectAppend*: the same commands through writer.Append from as many
	// goroutines, without HTTP.
	DirectAppendRequests  int     `json:"direct_append_requests"`
	DirectAppendRPS       float64 `json:"direct_append_rps"`
	DirectAppendP50Ms     float64 `json:"direct_append_p50_ms"`
	DirectAppendP99Ms     float64 `json:"direct_append_p99_ms"`
	DirectAppendCPUus     float64 `json:"direct_append_cpu_us"`
	DirectEventsPerCommit float64 `json:"direct_events_per_commit"`
	AppendVsDirect        float64 `json:"append_vs_direct"`
	// AppendCPUVsDirect is direct_append_cpu_us / append_cpu_us: the same
	// comparison by CPU time per append, which a busy machine disturbs
	// less than throughput.
	AppendCPUVsDirect float64 `json:"append_cpu_vs_direct"`

	// Reads: a member's balance query, GET /balances?member=M on the read
	// alliance, the members taken in turn (each member's answer is cut
	// once from the alliance's view, then served from the response cache).
	ReadClients   int     `json:"read_clients"`
	ReadRequests  int     `json:"read_requests"`
	ReadRPS       float64 `json:"read_rps"`
	ReadP50Ms     float64 `json:"read_p50_ms"`
	ReadP99Ms     float64 `json:"read_p99_ms"`
	ReadCPUus     float64 `json:"read_cpu_us"`
	ReadBodyBytes int     `json:"read_body_bytes"`
	ReadMembers   int     `json:"read_members"`
	// AllianceRead*: GET /balances, every member's balances at once (the
	// secretariat's view; about 1 KB per member).
	AllianceReadRequests  int     `json:"alliance_read_requests"`
	AllianceReadRPS       float64 `json:"alliance_read_rps"`
	AllianceReadP50Ms     float64 `json:"alliance_read_p50_ms"`
	AllianceReadP99Ms     float64 `json:"alliance_read_p99_ms"`
	AllianceReadCPUus     float64 `json:"alliance_read_cpu_us"`
	AllianceReadBodyBytes int     `json:"alliance_read_body_bytes"`
	// BalancesMs and BalancesJSONMs are one Model.Balances as of the end
	// and one json.Marshal of its result, alone (medians of 5).
	BalancesMs     float64 `json:"balances_ms"`
	BalancesJSONMs float64 `json:"balances_json_ms"`
	// DirectRead*: runner.View + Model.Balances from as many goroutines,
	// computed each time (no cache).
	DirectReadRequests int     `json:"direct_read_requests"`
	DirectReadRPS      float64 `json:"direct_read_rps"`
	DirectReadP99Ms    float64 `json:"direct_read_p99_ms"`
	DirectReadCPUus    float64 `json:"direct_read_cpu_us"`
	ReadVsDirect       float64 `json:"read_vs_direct"`     // alliance_read_rps / direct_read_rps
	ReadCPUVsDirect    float64 `json:"read_cpu_vs_direct"` // direct_read_cpu_us / alliance_read_cpu_us
	// HandlerRead*: the API's handler for the alliance's balances (auth,
	// middleware, view, JSON) called with httptest.NewRecorder, no network.
	HandlerReadRequests int     `json:"handler_read_requests"`
	HandlerReadRPS      float64 `json:"handler_read_rps"`
	ReadVsHandler       float64 `json:"read_vs_handler"` // alliance_read_rps / handler_read_rps

	// Client is the load generator: "lean" (bench_client.go, HTTP/1.1
	// written and read by hand, as wrk does) or "net/http" (its client).
	Client string `json:"client"`
	// CommitDelayMs is the writer's commit delay (serve's --commit-delay).
	CommitDelayMs float64 `json:"commit_delay_ms"`
	// HTTPFloor*: a handler that only writes {"status":"ok"}, on an
	// http.Server configured like the API's, with the same client and
	// read clients: the HTTP stack's own ceiling on this machine.
	HTTPFloorRPS   float64 `json:"http_floor_rps"`
	HTTPFloorP99Ms float64 `json:"http_floor_p99_ms"`
	HTTPFloorCPUus float64 `json:"http_floor_cpu_us"`
	// HealthzRPS is GET /healthz through the API (which asks NATS for
	// the alliances' streams).
	HealthzRPS    float64 `json:"healthz_rps"`
	ReadVsFloor   float64 `json:"read_vs_floor"` // read_rps / http_floor_rps
	AppendVsFloor float64 `json:"append_vs_floor"`

	Targets    httpTargets `json:"targets"`
	Met        httpMet     `json:"met"`
	CPUs       int         `json:"cpus"`
	GoVersion  string      `json:"go_version"`
	SyncAlways bool        `json:"sync_always"`
}

type httpBenchConfig struct {
	dir            string
	seed           uint64
	events         int
	appendRequests int
	clients        int
	readRequests   int
	readClients    int
	maxRun         time.Duration
	cpuProfile     string
	client         string // "lean" or "net/http"
	commitDelay    time.Duration
	stderr         io.Writer
	progress       func(string, ...any)
}

func runBenchHTTP(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("bench http", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var cfg httpBenchConfig
	fs.StringVar(&cfg.dir, "data", "", "directory for the benchmark's JetStream files; a read log generated there before is reused (default: a new temporary directory, removed afterwards)")
	fs.IntVar(&cfg.events, "events", 1_000_000, "events in the read alliance's generated log")
	fs.Uint64Var(&cfg.seed, "seed", 1, "seed of the generated log")
	fs.IntVar(&cfg.appendRequests, "append-requests", 100_000, "single-event POST /contributions to send (0: skip the appends)")
	fs.IntVar(&cfg.clients, "clients", 64, "concurrent clients of the appends")
	fs.IntVar(&cfg.readRequests, "read-requests", 200_000, "GET /balances to send (0: skip the reads)")
	fs.IntVar(&cfg.readClients, "read-clients", 64, "concurrent clients of the reads")
	fs.DurationVar(&cfg.maxRun, "max-run", 30*time.Second, "stop each measured run after this long, reporting the requests it completed (0: no limit)")
	fs.StringVar(&cfg.client, "client", "lean", "the load generator: lean (HTTP/1.1 written and read by hand, as wrk does) or net/http (Go's client, which costs about as much CPU per request as the server)")
	fs.DurationVar(&cfg.commitDelay, "commit-delay", ledger.DefaultCommitDelay, "the writer's commit delay, as serve's --commit-delay (0: none)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured runs (after the log is generated and the server ready) to this file; samples carry the labels side=client|server and run=floor|healthz|read_http|alliance_read_http|read_direct|read_handler|append_direct|append_http (go tool pprof -tagfocus)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: alliance bench http [flags]\n\nServes the API in-process as 'alliance serve' does (embedded JetStream, loopback TCP) and drives it")
		fmt.Fprintln(e.stderr, "with real HTTP clients:")
		fmt.Fprintln(e.stderr, "  append_rps      single-event POST /contributions, each client waiting for its 201 (durable)")
		fmt.Fprintln(e.stderr, "  read_rps        a member's balance query, GET /balances?member=M on an alliance of --events events,")
		fmt.Fprintln(e.stderr, "                  the members in turn, with read_p50_ms, read_p99_ms")
		fmt.Fprintln(e.stderr, "  alliance_read_rps GET /balances, every member's balances at once, with its p50 and p99")
		fmt.Fprintln(e.stderr, "and, from the same run, the baselines they are divided by:")
		fmt.Fprintln(e.stderr, "  append_vs_direct  writer.Append from as many goroutines, no HTTP")
		fmt.Fprintln(e.stderr, "  read_vs_direct    alliance reads against runner.View + Model.Balances from as many goroutines, no HTTP")
		fmt.Fprintln(e.stderr, "  read_vs_handler   alliance reads against the API handler through httptest.NewRecorder, no network")
		fmt.Fprintln(e.stderr, "  http_floor_rps    a handler that does nothing, same server settings and clients")
		fmt.Fprintln(e.stderr, "Progress goes to stderr.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.clients < 1 || cfg.readClients < 1 || cfg.events < 1 || cfg.appendRequests < 0 || cfg.readRequests < 0 {
		return errors.New("--clients, --read-clients and --events must be positive, the request counts not negative")
	}
	cleanup, err := benchDir(&cfg.dir, "alliance-bench-http-")
	if err != nil {
		return err
	}
	defer cleanup()
	cfg.stderr = e.stderr
	cfg.progress = func(format string, a ...any) { fmt.Fprintf(e.stderr, format+"\n", a...) }
	res, err := benchHTTP(ctx, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := json.NewEncoder(e.stdout).Encode(res); err != nil {
			return err
		}
	} else {
		printHTTPBench(e.stdout, res)
	}
	if cfg.appendRequests > 0 && !res.AppendCountOK {
		return fmt.Errorf("the log grew by %d events for %d created (201) appends", res.Appended, res.Created)
	}
	return nil
}

func printHTTPBench(w io.Writer, r *httpBenchResult) {
	met := func(b bool) string {
		if b {
			return "met"
		}
		return "NOT met"
	}
	fmt.Fprintf(w, "events             %d  (generated in %.1f s; server ready in %.0f ms, restored at %d; audit tree %.0f ms)\n",
		r.Events, r.GenerateSeconds, r.ReadyMs, r.ReadyRestoredSeq, r.AuditReadyMs)
	if r.AppendRequests > 0 {
		fmt.Fprintf(w, "append_rps         %.0f  (%d requests, %d clients, p50 %.2f ms, p99 %.2f ms, %.0f µs CPU each; target %.0f: %s)\n",
			r.AppendRPS, r.AppendRequests, r.Clients, r.AppendP50Ms, r.AppendP99Ms, r.AppendCPUus, r.Targets.AppendRPS, met(r.Met.AppendRPS))
		fmt.Fprintf(w, "                   the log grew by %d for %d created; %.1f events a commit (commit delay %g ms)\n", r.Appended, r.Created, r.AppendEventsPerCommit, r.CommitDelayMs)
		fmt.Fprintf(w, "direct_append_rps  %.0f  (%d requests, p50 %.2f ms, p99 %.2f ms, %.0f µs CPU each; %.1f events a commit)\n",
			r.DirectAppendRPS, r.DirectAppendRequests, r.DirectAppendP50Ms, r.DirectAppendP99Ms, r.DirectAppendCPUus, r.DirectEventsPerCommit)
		fmt.Fprintf(w, "append_vs_direct   %.3f  (by CPU time per append %.3f)\n", r.AppendVsDirect, r.AppendCPUVsDirect)
	}
	if r.ReadRequests > 0 {
		fmt.Fprintf(w, "read_rps           %.0f  (GET /balances?member=M, %d members in turn; %d requests, %d clients, %d bytes each, %.0f µs CPU each; target %.0f: %s)\n",
			r.ReadRPS, r.ReadMembers, r.ReadRequests, r.ReadClients, r.ReadBodyBytes, r.ReadCPUus, r.Targets.ReadRPS, met(r.Met.ReadRPS))
		fmt.Fprintf(w, "read_p50_ms        %.2f\n", r.ReadP50Ms)
		fmt.Fprintf(w, "read_p99_ms        %.2f  (target %.0f: %s)\n", r.ReadP99Ms, r.Targets.ReadP99Ms, met(r.Met.ReadP99Ms))
		fmt.Fprintf(w, "alliance_read_rps  %.0f  (GET /balances, %d bytes each, p50 %.2f ms, p99 %.2f ms, %.0f µs CPU each)\n",
			r.AllianceReadRPS, r.AllianceReadBodyBytes, r.AllianceReadP50Ms, r.AllianceReadP99Ms, r.AllianceReadCPUus)
		fmt.Fprintf(w, "one balances       %.2f ms to compute, %.2f ms to encode\n", r.BalancesMs, r.BalancesJSONMs)
		fmt.Fprintf(w, "direct_read_rps    %.0f  (%d requests, p99 %.2f ms, %.0f µs CPU each)\n", r.DirectReadRPS, r.DirectReadRequests, r.DirectReadP99Ms, r.DirectReadCPUus)
		fmt.Fprintf(w, "read_vs_direct     %.3f  (by CPU time per read %.3f)\n", r.ReadVsDirect, r.ReadCPUVsDirect)
		fmt.Fprintf(w, "handler_read_rps   %.0f  (%d requests)\n", r.HandlerReadRPS, r.HandlerReadRequests)
		fmt.Fprintf(w, "read_vs_handler    %.3f\n", r.ReadVsHandler)
	}
	fmt.Fprintf(w, "http_floor_rps     %.0f  (client %s; p99 %.2f ms, %.0f µs CPU each; GET /healthz %.0f)\n", r.HTTPFloorRPS, r.Client, r.HTTPFloorP99Ms, r.HTTPFloorCPUus, r.HealthzRPS)
	if r.ReadRequests > 0 {
		fmt.Fprintf(w, "read_vs_floor      %.3f\n", r.ReadVsFloor)
	}
	if r.AppendRequests > 0 {
		fmt.Fprintf(w, "append_vs_floor    %.3f\n", r.AppendVsFloor)
	}
}

// httpBenchAlliancePrefix names the alliance the appends found; each run
// founds its own, so that a --data directory can be reused.
const httpBenchAlliancePrefix = "httpbench-"

func benchHTTP(ctx context.Context, cfg httpBenchConfig) (*httpBenchResult, error) {
	progress := cfg.progress
	res := &httpBenchResult{Clients: cfg.clients, ReadClients: cfg.readClients, MaxSeconds: cfg.maxRun.Seconds(), Client: cfg.client, CommitDelayMs: msOf(cfg.commitDelay),
		Targets: httpBenchTargets, CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), SyncAlways: true}

	bl, err := openBenchLog(ctx, cfg.dir, cfg.seed, cfg.events, progress)
	if err != nil {
		return nil, err
	}
	defer bl.close()
	res.Events = int(bl.last)
	res.GenerateSeconds = bl.generated.Seconds()

	// The server, wired as serve wires it (storeFlags.open, serve).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	logger := slog.New(slog.NewJSONHandler(cfg.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	lc := &ledgerConn{nc: bl.nc, logger: logger}
	lc.store, err = natsstore.New(bl.nc, natsstore.Options{Replicas: 1, Logger: logger,
		OnQuarantine: func(q natsstore.Quarantined) {
			lc.mu.Lock()
			lc.quarantined++
			r := lc.runners[q.Alliance]
			lc.mu.Unlock()
			if r != nil {
				r.NoteMessage(q.StreamSeq, q.Reason)
			}
		}})
	if err != nil {
		return nil, err
	}
	metrics := api.NewMetrics()
	var commits commitCounter
	w := ledger.NewWriter(lc.store, ledger.WriterOptions{Logger: logger, CommitDelay: writerDelay(cfg.commitDelay), OnCommit: func(c *ledger.Commit) {
		metrics.ObserveCommit(c)
		commits.observe(c)
	}})
	defer w.Close()
	tokens, err := api.OpenTokens(ctx, lc.store.JetStream(), 1)
	if err != nil {
		return nil, err
	}
	if err := tokens.Watch(ctx); err != nil {
		return nil, err
	}
	defer tokens.Close()
	signer, vkey, _, err := audit.LoadOrCreateKey(filepath.Join(cfg.dir, "keys", "ledger.key"), ledgerKeyName)
	if err != nil {
		return nil, err
	}
	srv, err := api.New(api.Config{
		Store: lc.store, Writer: w, Tokens: tokens, Logger: logger, Metrics: metrics, VerifierKey: vkey,
		NewRunner: func(alliance string) *projections.Runner {
			return lc.runner(alliance, projections.RunnerOptions{Snapshots: lc.store.Snapshots(), Logger: logger})
		},
		NewCheckpointer: func(alliance string) *audit.Checkpointer { return lc.newCheckpointer(alliance, signer) },
	})
	if err != nil {
		return nil, err
	}
	// The append alliance is the run's own: its stream goes when the run
	// ends (after the server stopped following it), so that a --data
	// directory reused run after run does not gather them, each followed
	// and replayed by the next run's server at start.
	var appendAlliance string
	defer func() {
		if appendAlliance == "" {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := lc.store.JetStream().DeleteStream(ctx, natsstore.StreamName(appendAlliance)); err != nil {
			logger.Warn("the append alliance's stream is not deleted", "alliance", appendAlliance, "err", err)
		}
	}()
	defer srv.Close()

	progress("starting the server on the %d-event log...", bl.last)
	start := time.Now()
	if err := srv.Warm(ctx); err != nil {
		return nil, fmt.Errorf("follow the alliances: %w", err)
	}
	lc.mu.Lock()
	readRunner := lc.runners[replayAlliance]
	lc.mu.Unlock()
	if readRunner == nil {
		return nil, fmt.Errorf("the server does not follow alliance %s", replayAlliance)
	}
	if err := readRunner.WaitFor(ctx, bl.last); err != nil {
		return nil, err
	}
	res.ReadyMs = msOf(time.Since(start))
	res.ReadyRestoredSeq = readRunner.Restored()
	if err := srv.WaitReady(ctx); err != nil { // alliances of earlier runs in --data
		return nil, err
	}
	progress("  ready in %.0f ms (snapshot restored at %d)", res.ReadyMs, res.ReadyRestoredSeq)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := httpBenchServer(labelled(cfg.cpuProfile != "", srv.Handler()), logger)
	go pprof.Do(ctx, pprof.Labels("side", "server"), func(context.Context) { hs.Serve(ln) })
	defer hs.Close()
	base := "http://" + ln.Addr().String()
	// The floor: a handler that does nothing, on a server set up alike.
	fln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	floor := httpBenchServer(labelled(cfg.cpuProfile != "", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "{\"status\":\"ok\"}\n")
	})), logger)
	go pprof.Do(ctx, pprof.Labels("side", "server"), func(context.Context) { floor.Serve(fln) })
	defer floor.Close()

	// net/http's client for the unmeasured requests (setup, checks), the
	// load client for the measured runs.
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true}, Timeout: time.Minute}
	defer client.CloseIdleConnections()
	conns := max(cfg.clients, cfg.readClients)
	load, err := newLoadClient(cfg.client, base, conns)
	if err != nil {
		return nil, err
	}
	defer load.close()
	floorLoad, err := newLoadClient(cfg.client, "http://"+fln.Addr().String(), conns)
	if err != nil {
		return nil, err
	}
	defer floorLoad.close()

	appendAlliance = httpBenchAlliancePrefix + strconv.FormatInt(time.Now().UnixNano(), 36)
	readToken, err := benchToken(ctx, tokens, replayAlliance)
	if err != nil {
		return nil, err
	}
	writeToken, err := benchToken(ctx, tokens, appendAlliance)
	if err != nil {
		return nil, err
	}

	// Checkpoints, as serve signs them; the audit tree of the read log is
	// built (as the first pass at start does) before anything is measured.
	go srv.RunCheckpoints(ctx, 30*time.Second)
	start = time.Now()
	// An inclusion proof in the tree of the whole log needs the tree built
	// (or waits for the first pass to build it).
	proof := fmt.Sprintf("%s/v1/alliances/%s/audit/proofs/inclusion?seq=1&size=%d", base, replayAlliance, bl.last)
	if err := httpExpectGet(ctx, client, proof, readToken, nil); err != nil {
		return nil, fmt.Errorf("the audit tree: %w", err)
	}
	res.AuditReadyMs = msOf(time.Since(start))

	stopProfile, err := startCPUProfile(cfg.cpuProfile)
	if err != nil {
		return nil, err
	}
	defer stopProfile()

	// The floor and /healthz, with the read clients.
	floorN := max(cfg.readRequests, cfg.appendRequests, 1000)
	progress("HTTP floor: %d GET with %d clients...", floorN, cfg.readClients)
	warmClients(ctx, floorLoad, cfg.readClients)
	ld, err := measureLoad(ctx, "floor", cfg.readClients, floorN, cfg.maxRun, func(ctx context.Context, i int) error {
		return floorLoad.get(ctx, "/healthz", "", nil)
	})
	if err != nil {
		return nil, fmt.Errorf("floor: %w", err)
	}
	res.HTTPFloorRPS, res.HTTPFloorP99Ms, res.HTTPFloorCPUus = ld.rps(), ld.pctMs(0.99), ld.cpuUs()
	healthN := max(floorN/4, 1000)
	progress("GET /healthz: %d with %d clients...", healthN, cfg.readClients)
	warmClients(ctx, load, conns)
	ld, err = measureLoad(ctx, "healthz", cfg.readClients, healthN, cfg.maxRun, func(ctx context.Context, i int) error {
		return load.get(ctx, "/healthz", "", nil)
	})
	if err != nil {
		return nil, fmt.Errorf("healthz: %w", err)
	}
	res.HealthzRPS = ld.rps()

	if cfg.readRequests > 0 {
		if err := benchReads(ctx, cfg, res, client, load, base, srv.Handler(), readRunner, readToken, bl.last); err != nil {
			return nil, err
		}
		res.ReadVsFloor = res.ReadRPS / res.HTTPFloorRPS
	}
	if cfg.appendRequests > 0 {
		if err := benchAppends(ctx, cfg, res, client, load, base, w, &commits, lc.store, appendAlliance, writeToken); err != nil {
			return nil, err
		}
		res.AppendVsFloor = res.AppendRPS / res.HTTPFloorRPS
	}
	res.Met = httpMet{
		AppendRPS: res.AppendRPS >= res.Targets.AppendRPS,
		ReadRPS:   res.ReadRPS >= res.Targets.ReadRPS,
		ReadP99Ms: cfg.readRequests > 0 && res.ReadP99Ms <= res.Targets.ReadP99Ms,
	}
	return res, nil
}

// benchReads measures a member's balance query, the alliance's balances
// and their baselines.
func benchReads(ctx context.Context, cfg httpBenchConfig, res *httpBenchResult, client *http.Client, load loadClient, base string,
	handler http.Handler, r *projections.Runner, token string, last uint64) error {
	path := "/v1/alliances/" + replayAlliance + "/balances"
	url := base + path
	// One read checked whole: the balances as of the log's end.
	var first []byte
	if err := httpExpectGet(ctx, client, url, token, &first); err != nil {
		return err
	}
	var b struct {
		AsOfSeq uint64 `json:"as_of_seq"`
		Members []struct {
			Member string `json:"member"`
		} `json:"members"`
	}
	if err := json.Unmarshal(first, &b); err != nil {
		return fmt.Errorf("balances do not decode: %w", err)
	}
	if b.AsOfSeq != last || len(b.Members) == 0 {
		return fmt.Errorf("balances as of %d with %d members, want as of %d with some", b.AsOfSeq, len(b.Members), last)
	}
	res.AllianceReadBodyBytes = len(first)

	// One computation and one encoding alone: where a request's time goes.
	var computeTimes, encodeTimes []time.Duration
	for range 5 {
		var b *projections.Balances
		t0 := time.Now()
		err := r.View(func(m *projections.Model) (err error) {
			b, err = m.Balances(projections.Query{Seq: m.Last()})
			return err
		})
		if err != nil {
			return err
		}
		t1 := time.Now()
		if _, err := json.Marshal(b); err != nil {
			return err
		}
		computeTimes, encodeTimes = append(computeTimes, t1.Sub(t0)), append(encodeTimes, time.Since(t1))
	}
	slices.Sort(computeTimes)
	slices.Sort(encodeTimes)
	res.BalancesMs, res.BalancesJSONMs = msOf(computeTimes[2]), msOf(encodeTimes[2])
	cfg.progress("  one Balances: %.2f ms to compute, %.2f ms to encode, %d bytes", res.BalancesMs, res.BalancesJSONMs, res.AllianceReadBodyBytes)

	// A member's balance query, each member's in turn.
	members := make([]string, len(b.Members))
	for i, m := range b.Members {
		members[i] = path + "?member=" + m.Member
	}
	var one []byte
	if err := httpExpectGet(ctx, client, base+members[0], token, &one); err != nil {
		return err
	}
	var mb struct {
		AsOfSeq uint64 `json:"as_of_seq"`
		Members []struct {
			Member string `json:"member"`
		} `json:"members"`
	}
	if err := json.Unmarshal(one, &mb); err != nil || mb.AsOfSeq != last || len(mb.Members) != 1 || mb.Members[0].Member != b.Members[0].Member {
		return fmt.Errorf("GET %s answers %.200s", members[0], one)
	}
	res.ReadBodyBytes, res.ReadMembers = len(one), len(members)
	cfg.progress("GET /balances?member=M: %d with %d clients, %d members in turn...", cfg.readRequests, cfg.readClients, len(members))
	warmClients(ctx, load, cfg.readClients)
	ld, err := measureLoad(ctx, "read_http", cfg.readClients, cfg.readRequests, cfg.maxRun, func(ctx context.Context, i int) error {
		return load.get(ctx, members[i%len(members)], token, nil)
	})
	if err != nil {
		return fmt.Errorf("member balances: %w", err)
	}
	res.ReadRequests, res.ReadRPS, res.ReadP50Ms, res.ReadP99Ms, res.ReadCPUus = ld.n(), ld.rps(), ld.pctMs(0.50), ld.pctMs(0.99), ld.cpuUs()

	cfg.progress("GET /balances: %d with %d clients...", cfg.readRequests, cfg.readClients)
	ld, err = measureLoad(ctx, "alliance_read_http", cfg.readClients, cfg.readRequests, cfg.maxRun, func(ctx context.Context, i int) error {
		return load.get(ctx, path, token, nil)
	})
	if err != nil {
		return fmt.Errorf("balances: %w", err)
	}
	res.AllianceReadRequests, res.AllianceReadRPS, res.AllianceReadP50Ms, res.AllianceReadP99Ms, res.AllianceReadCPUus = ld.n(), ld.rps(), ld.pctMs(0.50), ld.pctMs(0.99), ld.cpuUs()

	cfg.progress("runner.View + Balances: %d with %d goroutines...", cfg.readRequests, cfg.readClients)
	ld, err = measureLoad(ctx, "read_direct", cfg.readClients, cfg.readRequests, cfg.maxRun, func(ctx context.Context, i int) error {
		return r.View(func(m *projections.Model) error {
			_, err := m.Balances(projections.Query{Seq: m.Last()})
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("direct balances: %w", err)
	}
	res.DirectReadRequests, res.DirectReadRPS, res.DirectReadP99Ms, res.DirectReadCPUus = ld.n(), ld.rps(), ld.pctMs(0.99), ld.cpuUs()
	res.ReadVsDirect = res.AllianceReadRPS / res.DirectReadRPS
	res.ReadCPUVsDirect = ratio(res.DirectReadCPUus, res.AllianceReadCPUus)

	cfg.progress("the balances handler without network: %d with %d goroutines...", cfg.readRequests, cfg.readClients)
	ld, err = measureLoad(ctx, "read_handler", cfg.readClients, cfg.readRequests, cfg.maxRun, func(ctx context.Context, i int) error {
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			return fmt.Errorf("status %d: %s", rec.Code, bytes.TrimSpace(rec.Body.Bytes()))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("balances handler: %w", err)
	}
	res.HandlerReadRequests, res.HandlerReadRPS = ld.n(), ld.rps()
	res.ReadVsHandler = res.AllianceReadRPS / res.HandlerReadRPS
	return nil
}

// benchAppends founds the append alliance through the API, appends the
// direct baseline through the writer, then the HTTP run, and checks that
// the log grew by the number of 201s.
func benchAppends(ctx context.Context, cfg httpBenchConfig, res *httpBenchResult, client *http.Client, load loadClient, base string,
	w *ledger.Writer, commits *commitCounter, st *natsstore.Store, alliance, token string) error {
	// The founding request admits the custodian with it: the whole setup
	// (founding, members, agreement, project) is one atomic request.
	body, err := json.Marshal(struct {
		Commands []ledger.Command `json:"commands"`
	}{benchSetup().Commands})
	if err != nil {
		return err
	}
	// The writer's goroutine for the alliance starts here: in a profile it
	// carries the labels side=server run=append_setup.
	benchPhase.Store("append_setup")
	if err := httpExpectPost(ctx, client, base+"/v1/alliances/"+alliance+"/commands", token, "setup", body); err != nil {
		return fmt.Errorf("found %s: %w", alliance, err)
	}

	n := cfg.appendRequests
	// The direct baseline: the same commands, the writer called from as
	// many goroutines, each waiting for its receipt.
	reqs := make([]ledger.Request, n)
	for i := range reqs {
		reqs[i] = benchContribution("direct", i+1)
		reqs[i].Alliance = alliance
	}
	cfg.progress("writer.Append: %d single-event requests with %d goroutines...", n, cfg.clients)
	c0 := commits.load()
	ld, err := measureLoad(ctx, "append_direct", cfg.clients, n, cfg.maxRun, func(ctx context.Context, i int) error {
		_, err := w.Append(ctx, reqs[i])
		return err
	})
	if err != nil {
		return fmt.Errorf("direct appends: %w", err)
	}
	res.DirectAppendRequests, res.DirectAppendRPS, res.DirectAppendP50Ms, res.DirectAppendP99Ms, res.DirectAppendCPUus = ld.n(), ld.rps(), ld.pctMs(0.50), ld.pctMs(0.99), ld.cpuUs()
	res.DirectEventsPerCommit = commits.load().since(c0)
	reqs = nil

	// The HTTP run: bodies and keys ready beforehand, as a client would
	// have them.
	bodies := make([][]byte, n)
	keys := make([]string, n)
	for i := range bodies {
		c := benchContribution("http", i+1).Commands[0]
		if bodies[i], err = payloadBody(c); err != nil {
			return err
		}
		keys[i] = "http-" + strconv.Itoa(i+1)
	}
	before, err := st.Last(ctx, alliance)
	if err != nil {
		return err
	}
	path := "/v1/alliances/" + alliance + "/contributions"
	cfg.progress("POST /contributions: %d with %d clients...", n, cfg.clients)
	warmClients(ctx, load, cfg.clients)
	var created atomic.Int64
	c0 = commits.load()
	ld, err = measureLoad(ctx, "append_http", cfg.clients, n, cfg.maxRun, func(ctx context.Context, i int) error {
		if err := load.post(ctx, path, token, keys[i], bodies[i]); err != nil {
			return err
		}
		created.Add(1)
		return nil
	})
	res.Created = created.Load()
	after, lerr := st.Last(ctx, alliance)
	if lerr != nil {
		return lerr
	}
	res.Appended = after - before
	res.AppendEventsPerCommit = commits.load().since(c0)
	res.AppendCountOK = res.Appended == uint64(res.Created)
	if err != nil {
		return fmt.Errorf("appends over HTTP (%d created): %w", res.Created, err)
	}
	res.AppendRequests, res.AppendRPS, res.AppendP50Ms, res.AppendP99Ms, res.AppendCPUus = ld.n(), ld.rps(), ld.pctMs(0.50), ld.pctMs(0.99), ld.cpuUs()
	res.AppendVsDirect = res.AppendRPS / res.DirectAppendRPS
	res.AppendCPUVsDirect = ratio(res.DirectAppendCPUus, res.AppendCPUus)
	return nil
}

// commitCounter counts the writer's commits and their events.
type commitCounter struct{ commits, events atomic.Int64 }

type commitCount struct{ commits, events int64 }

func (c *commitCounter) observe(cm *ledger.Commit) {
	c.commits.Add(1)
	c.events.Add(int64(len(cm.Events)))
}

func (c *commitCounter) load() commitCount {
	return commitCount{c.commits.Load(), c.events.Load()}
}

// since is the events per commit between then and c.
func (c commitCount) since(then commitCount) float64 {
	if c.commits == then.commits {
		return 0
	}
	return float64(c.events-then.events) / float64(c.commits-then.commits)
}

// labelled, when on (profiling), runs h with the profiler labels
// side=server and run=the measured run in progress, so that the profile
// splits by run and side (go tool pprof -tagfocus run=append_http).
func labelled(on bool, h http.Handler) http.Handler {
	if !on {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		run, _ := benchPhase.Load().(string)
		pprof.Do(r.Context(), pprof.Labels("side", "server", "run", run), func(context.Context) { h.ServeHTTP(w, r) })
	})
}

// httpBenchServer is an http.Server with serve's settings.
func httpBenchServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// benchToken creates a secretariat token for the alliance and waits until
// the tokens' watch has seen it.
func benchToken(ctx context.Context, tokens *api.Tokens, alliance string) (string, error) {
	secret, _, err := tokens.Create(ctx, api.Principal{Role: api.RoleSecretariat, Alliance: alliance, Name: "bench http"}, time.Now())
	if err != nil {
		return "", err
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := tokens.Lookup(secret); ok {
			return secret, nil
		}
		if time.Now().After(deadline) {
			return "", errors.New("the new token was not seen by the tokens' watch within 10s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// payloadBody is the body of a write route: the command's payload with
// occurred_at.
func payloadBody(c ledger.Command) ([]byte, error) {
	p, err := json.Marshal(c.Payload)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(p, &m); err != nil {
		return nil, err
	}
	at, _ := json.Marshal(c.OccurredAt)
	m["occurred_at"] = at
	return json.Marshal(m)
}

// httpGet sends a GET and reads the body whole; body, if set, receives it.
func httpGet(ctx context.Context, client *http.Client, url, token string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return httpDo(client, req, true)
}

func httpDo(client *http.Client, req *http.Request, keep bool) (int, []byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	if keep || resp.StatusCode >= 300 {
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil, err
}

// httpExpectGet sends a GET that must answer 200, discarding the body unless
// body is set.
func httpExpectGet(ctx context.Context, client *http.Client, url, token string, body *[]byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	st, b, err := httpDo(client, req, body != nil)
	if err != nil {
		return err
	}
	if st != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %s", req.URL.Path, st, bytes.TrimSpace(b))
	}
	if body != nil {
		*body = b
	}
	return nil
}

// httpExpectPost sends a JSON POST with an idempotency key that must answer
// 201 Created.
func httpExpectPost(ctx context.Context, client *http.Client, url, token, key string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	st, b, err := httpDo(client, req, false)
	if err != nil {
		return err
	}
	if st != http.StatusCreated {
		return fmt.Errorf("POST %s: status %d: %s", req.URL.Path, st, bytes.TrimSpace(b))
	}
	return nil
}

// warmClients sends one GET /healthz from each of clients goroutines at
// once, unmeasured, so that the measured run starts with its connections
// open.
func warmClients(ctx context.Context, load loadClient, clients int) {
	var wg sync.WaitGroup
	for range clients {
		// The connections' goroutines start here: side=client.
		wg.Go(func() {
			pprof.Do(ctx, pprof.Labels("side", "client"), func(ctx context.Context) { load.get(ctx, "/healthz", "", nil) })
		})
	}
	wg.Wait()
}

// loadRun is a measured run: its wall time, every operation's latency
// (sorted), and the CPU time the process used meanwhile.
type loadRun struct {
	d   time.Duration
	lat []time.Duration
	cpu time.Duration
}

func (l *loadRun) n() int { return len(l.lat) }

func (l *loadRun) rps() float64 { return float64(len(l.lat)) / l.d.Seconds() }

// cpuUs is the process's CPU time per operation, in microseconds (0 where
// /proc is not available).
func (l *loadRun) cpuUs() float64 {
	if len(l.lat) == 0 {
		return 0
	}
	return float64(l.cpu.Microseconds()) / float64(len(l.lat))
}

// pctMs is the p-quantile latency (nearest rank), in milliseconds.
func (l *loadRun) pctMs(p float64) float64 {
	if len(l.lat) == 0 {
		return 0
	}
	i := min(max(int(math.Ceil(p*float64(len(l.lat))))-1, 0), len(l.lat)-1)
	return msOf(l.lat[i])
}

// ratio is a / b, 0 when b is (CPU times where /proc is missing).
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func msOf(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// processCPU is the CPU time (user and system) the process has used, from
// /proc/self/stat; 0 where it cannot be read.
func processCPU() time.Duration {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // fields 14 and 15, in clock ticks
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	const ticksPerSecond = 100 // USER_HZ, 100 on every Linux platform Go supports
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}

// benchPhase names the measured run in progress, for the profile's labels.
var benchPhase atomic.Value

// measureLoad runs op for 0..n-1 from clients goroutines, each taking the
// next index when its previous operation is done, until all are done or
// limit (if > 0) has passed; the first error stops them. The goroutines
// carry the profiler labels side=client and run.
func measureLoad(ctx context.Context, run string, clients, n int, limit time.Duration, op func(ctx context.Context, i int) error) (*loadRun, error) {
	benchPhase.Store(run)
	var next atomic.Int64
	var failed atomic.Bool
	var errOnce sync.Once
	var firstErr error
	lats := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	cpu0 := processCPU()
	start := time.Now()
	var deadline time.Time
	if limit > 0 {
		deadline = start.Add(limit)
	}
	for c := range clients {
		wg.Go(func() {
			l := make([]time.Duration, 0, min(n/clients+1, 1<<16))
			defer func() { lats[c] = l }()
			labels := pprof.Labels("side", "client", "run", run)
			pprof.Do(ctx, labels, func(ctx context.Context) {
				for !failed.Load() && ctx.Err() == nil {
					i := next.Add(1) - 1
					if i >= int64(n) {
						break
					}
					t0 := time.Now()
					if !deadline.IsZero() && t0.After(deadline) {
						break
					}
					if err := op(ctx, int(i)); err != nil {
						errOnce.Do(func() { firstErr = err })
						failed.Store(true)
						break
					}
					l = append(l, time.Since(t0))
				}
			})
		})
	}
	wg.Wait()
	d := time.Since(start)
	cpu := processCPU() - cpu0
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	all := slices.Concat(lats...)
	slices.Sort(all)
	return &loadRun{d: d, lat: all, cpu: cpu}, nil
}
