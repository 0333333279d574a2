package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alliance-ledger/alliance/api"
	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/sample"
)

// The soak serves the sample alliance in-process exactly as `alliance
// serve` does (serve itself, on loopback) and drives it with a mixed
// read/write load for a while, sampling memory, goroutines, open files
// and latencies every period. Its verdict says whether memory stays flat.

const soakAlliance = "yrd-battery"

type soakSample struct {
	T        float64 `json:"t_s"`    // seconds since the load started
	Events   uint64  `json:"events"` // the log's length
	Appended uint64  `json:"appended"`
	// HeapLiveMB is runtime.MemStats.HeapAlloc right after a forced
	// runtime.GC(): the live heap. HeapInuseMB is HeapInuse at the same
	// moment (live heap plus fragmentation in spans in use).
	HeapLiveMB float64 `json:"heap_live_mb"`
	// ViewCacheMB estimates the API's cache of encoded views: the bytes of
	// the distinct answers (by ETag) the clients have received, up to the
	// cache's bound (serve keeps api's default, 256 MiB). Bounded by
	// design, it is most of the heap's growth in the first minutes of a
	// run with writes, since each new position makes new answers.
	// HeapNetMB is heap_live_mb less it: what the verdict is about.
	ViewCacheMB float64 `json:"view_cache_mb"`
	HeapNetMB   float64 `json:"heap_net_mb"`
	HeapInuseMB float64 `json:"heap_inuse_mb"`
	HeapSysMB   float64 `json:"heap_sys_mb"`
	RSSMB       float64 `json:"rss_mb"` // VmRSS of /proc/self/status
	Goroutines  int     `json:"goroutines"`
	FDs         int     `json:"fds"` // entries of /proc/self/fd
	// Reads and writes completed in the period, per second, and their
	// latencies.
	Reads      int     `json:"reads"`
	Writes     int     `json:"writes"`
	Errors     int     `json:"errors"`
	ReadRPS    float64 `json:"read_rps"`
	WriteRPS   float64 `json:"write_rps"`
	ReadP50Ms  float64 `json:"read_p50_ms"`
	ReadP99Ms  float64 `json:"read_p99_ms"`
	WriteP50Ms float64 `json:"write_p50_ms"`
	WriteP99Ms float64 `json:"write_p99_ms"`
}

type soakRoute struct {
	Route    string  `json:"route"`
	Requests int     `json:"requests"`
	P50Ms    float64 `json:"p50_ms"`
	P99Ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
}

type soakResult struct {
	DurationS  float64 `json:"duration_s"`
	SampleS    float64 `json:"sample_s"`
	Clients    int     `json:"clients"`
	WriteRatio float64 `json:"write_ratio"`
	Alliance   string  `json:"alliance"`
	// Baseline is sampled after the sample alliance is built and served,
	// before the load.
	Baseline    soakSample   `json:"baseline"`
	Samples     []soakSample `json:"samples"`
	EventsStart uint64       `json:"events_start"`
	EventsEnd   uint64       `json:"events_end"`
	Reads       int          `json:"reads"`
	Writes      int          `json:"writes"`
	Errors      int          `json:"errors"`
	FirstError  string       `json:"first_error,omitempty"`
	// Routes is each route's latency over the whole run.
	Routes []soakRoute `json:"routes"`
	// Server log lines at level WARN and ERROR during the run.
	ServerWarnings int      `json:"server_warnings"`
	ServerErrors   int      `json:"server_errors"`
	ServerLog      []string `json:"server_log,omitempty"` // the first five of them

	// The memory analysis, on heap_net_mb (see soakRule).
	HeapMiddleThirdMB float64 `json:"heap_middle_third_mb"`
	HeapLastThirdMB   float64 `json:"heap_last_third_mb"`
	HeapChangeMB      float64 `json:"heap_change_mb"`       // last third − middle third
	HeapChangeSEMB    float64 `json:"heap_change_se_mb"`    // its standard error
	HeapSlopeMBMin    float64 `json:"heap_slope_mb_min"`    // least squares over the second half
	HeapSlopeSEMBMin  float64 `json:"heap_slope_se_mb_min"` // its standard error
	RSSSlopeMBMin     float64 `json:"rss_slope_mb_min"`
	// BytesPerEvent is the least-squares slope of the live heap against
	// the log's length over the second half (0 without appends); the
	// unexplained figures are what is left once that many bytes per event
	// appended are taken off every sample.
	BytesPerEvent         float64 `json:"bytes_per_event"`
	UnexplainedChangeMB   float64 `json:"unexplained_change_mb"`
	UnexplainedSlopeMBMin float64 `json:"unexplained_slope_mb_min"`
	ToleranceMB           float64 `json:"tolerance_mb"`
	MaxBytesPerEvent      float64 `json:"max_bytes_per_event"`
	GoroutinesFlat        bool    `json:"goroutines_flat"`
	FDsFlat               bool    `json:"fds_flat"`
	// Verdict is flat, grows-with-log, growing, or undetermined (fewer
	// than 6 samples).
	Verdict   string `json:"verdict"`
	Rule      string `json:"rule"`
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go_version"`
}

// soakRule is the verdict's rule, printed in the help and the result.
const soakRule = "memory is heap_net_mb per sample: HeapAlloc after a forced GC less the view cache's estimated size " +
	"(the distinct answers received, up to its 256 MiB bound); the first third is warm-up. " +
	"tolerance = max(5% of the middle third's mean, 4 MB). A rise counts when it exceeds the tolerance and twice its standard error " +
	"(the curve is noisy: answers in flight, GC timing). flat: neither mean(last third) − mean(middle third) " +
	"nor the slope of a least-squares fit over the second half × that half's minutes is a rise. " +
	"With appends the model grows with the log by design: bytes_per_event is the fit of the heap against the log's length " +
	"over the second half; grows-with-log: not flat, but flat once bytes_per_event × events appended is taken off, " +
	"with bytes_per_event ≤ --max-bytes-per-event. growing: anything else, or goroutines or open files that keep rising"

type soakConfig struct {
	dir              string
	duration, sample time.Duration
	clients          int
	writeRatio       float64
	maxBytesPerEvent float64
	seed             uint64
}

func runBenchSoak(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("bench soak", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var cfg soakConfig
	fs.StringVar(&cfg.dir, "data", "", "directory for the JetStream files (default: a new temporary directory, removed afterwards); the sample alliance is built there")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Minute, "how long to run the load")
	fs.DurationVar(&cfg.sample, "sample", 10*time.Second, "sampling period")
	fs.IntVar(&cfg.clients, "clients", 16, "concurrent HTTP clients")
	fs.Float64Var(&cfg.writeRatio, "write-ratio", 0.2, "share of requests that write (0: reads only, whose memory must stay flat)")
	fs.Float64Var(&cfg.maxBytesPerEvent, "max-bytes-per-event", 4096, "growth per appended event still counted as the log's own (grows-with-log)")
	fs.Uint64Var(&cfg.seed, "seed", 1, "seed of the request mix")
	asJSON := fs.Bool("json", false, "print one JSON object (the samples and the verdict)")
	failOnGrowth := fs.Bool("fail-on-growth", true, "exit 1 when the verdict is \"growing\" (failed requests always do)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: alliance bench soak [flags]\n\nBuilds the sample alliance, serves it in-process as 'alliance serve' does (embedded JetStream, loopback")
		fmt.Fprintln(e.stderr, "HTTP) and drives it for --duration with --clients clients, each request a write with probability --write-ratio")
		fmt.Fprintln(e.stderr, "(contributions 60%, their confirmations 25%, IP filings 15%) or else a read (balances, a member's balance,")
		fmt.Fprintln(e.stderr, "a statement, risk, outputs, a page of events, the 2025 evaluation). Every --sample it forces a GC and records")
		fmt.Fprintln(e.stderr, "the live heap, heap in use, RSS, goroutines, open files, the log's length, and the period's read and write")
		fmt.Fprintln(e.stderr, "throughput and p50/p99 latency. The process holds the server, the embedded NATS server and the clients.")
		fmt.Fprintln(e.stderr, "\nVerdict: "+soakRule+".")
		fmt.Fprintln(e.stderr, "\nProgress goes to stderr. Exits 1 if the verdict is growing or a request failed.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.clients < 1 || cfg.duration <= 0 || cfg.sample <= 0 || cfg.writeRatio < 0 || cfg.writeRatio > 1 {
		return errors.New("--clients, --duration and --sample must be positive, --write-ratio in [0, 1]")
	}
	cleanup, err := benchDir(&cfg.dir, "alliance-bench-soak-")
	if err != nil {
		return err
	}
	defer cleanup()
	progress := func(format string, a ...any) { fmt.Fprintf(e.stderr, format+"\n", a...) }
	res, err := benchSoak(ctx, cfg, progress)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := json.NewEncoder(e.stdout).Encode(res); err != nil {
			return err
		}
	} else {
		printSoak(e.stdout, res)
	}
	if res.Errors > 0 {
		return fmt.Errorf("%d requests failed; the first: %s", res.Errors, res.FirstError)
	}
	if res.Verdict == "growing" && *failOnGrowth {
		return errors.New("memory keeps growing")
	}
	return nil
}

// serverLog counts the server's log lines at WARN and ERROR (slog's JSON
// handler writes one record per Write) and drops the rest.
type serverLog struct {
	mu             sync.Mutex
	warnings, errs int
	first          []string // the first few
}

func (l *serverLog) Write(p []byte) (int, error) {
	// serve logs JSON, the store's logger text.
	warn := bytes.Contains(p, []byte(`"level":"WARN"`)) || bytes.Contains(p, []byte("level=WARN"))
	isErr := bytes.Contains(p, []byte(`"level":"ERROR"`)) || bytes.Contains(p, []byte("level=ERROR"))
	if warn || isErr {
		l.mu.Lock()
		if isErr {
			l.errs++
		} else {
			l.warnings++
		}
		if len(l.first) < 5 {
			l.first = append(l.first, string(bytes.TrimSpace(p)))
		}
		l.mu.Unlock()
	}
	return len(p), nil
}

func benchSoak(ctx context.Context, cfg soakConfig, progress func(string, ...any)) (*soakResult, error) {
	res := &soakResult{DurationS: cfg.duration.Seconds(), SampleS: cfg.sample.Seconds(), Clients: cfg.clients,
		WriteRatio: cfg.writeRatio, Alliance: soakAlliance, Rule: soakRule, MaxBytesPerEvent: cfg.maxBytesPerEvent,
		CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	logs := &serverLog{}
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: logs, getenv: func(string) string { return "" }}
	sf := storeFlags{data: cfg.dir, replicas: 1}
	lc, err := sf.open(ctx, e)
	if err != nil {
		return nil, err
	}
	defer lc.Close()

	progress("building the sample alliance %s in %s...", soakAlliance, cfg.dir)
	w := ledger.NewWriter(lc.store, ledger.WriterOptions{Logger: lc.logger})
	_, err = appendSample(ctx, lc, w, soakAlliance, sample.Requests(soakAlliance, demoStart, time.Now()), func(int) {})
	w.Close()
	if err != nil {
		return nil, fmt.Errorf("build the sample alliance: %w", err)
	}
	tokens, err := api.OpenTokens(ctx, lc.store.JetStream(), 1)
	if err != nil {
		return nil, err
	}
	token, _, err := tokens.Create(ctx, api.Principal{Role: api.RoleSecretariat, Alliance: soakAlliance, Name: "bench soak"}, time.Now())
	tokens.Close()
	if err != nil {
		return nil, err
	}

	// serve itself, until the load is over.
	srvCtx, stopServe := context.WithCancel(ctx)
	defer stopServe()
	urlc := make(chan string, 1)
	served := make(chan error, 1)
	go func() {
		served <- serve(srvCtx, e, lc, sf, serveFlags{addr: "127.0.0.1:0", checkpointPeriod: 30 * time.Second, commitDelay: ledger.DefaultCommitDelay}, func(u string) { urlc <- u })
	}()
	var base string
	select {
	case base = <-urlc:
	case err := <-served:
		return nil, fmt.Errorf("serve: %w", err)
	}
	defer func() {
		stopServe()
		<-served
	}()
	client := &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * cfg.clients,
		MaxIdleConnsPerHost: 2 * cfg.clients,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}, Timeout: time.Minute}
	defer client.CloseIdleConnections()

	ld, err := newSoakLoad(ctx, client, base, token, cfg)
	if err != nil {
		return nil, err
	}
	res.EventsStart = ld.last.Load()
	res.Baseline = sampleProcess(ld.last.Load())
	res.Baseline.ViewCacheMB = mb(uint64(ld.cacheBytes.Load()))
	res.Baseline.HeapNetMB = res.Baseline.HeapLiveMB - res.Baseline.ViewCacheMB
	progress("serving %s: %d events; %d clients, write ratio %.2f, for %v, sampled every %v",
		base, res.EventsStart, cfg.clients, cfg.writeRatio, cfg.duration, cfg.sample)

	// At the end each client finishes the request it has in flight, so
	// that none is cut (a cut request is an error in the server's log).
	var stopped atomic.Bool
	stopLoad := func() { stopped.Store(true) }
	defer stopLoad()
	var wg sync.WaitGroup
	for c := range cfg.clients {
		wg.Go(func() { ld.client(ctx, c, &stopped) })
	}
	start := time.Now()
	tick := time.NewTicker(cfg.sample)
	defer tick.Stop()
	end := time.After(cfg.duration)
	prev := start
loop:
	for {
		select {
		case <-ctx.Done():
			stopLoad()
			wg.Wait()
			return nil, ctx.Err()
		case <-end:
			break loop
		case now := <-tick.C:
			s := ld.period(now.Sub(prev))
			prev = now
			m := sampleProcess(ld.last.Load())
			m.ViewCacheMB = mb(uint64(ld.cacheBytes.Load()))
			m.HeapNetMB = m.HeapLiveMB - m.ViewCacheMB
			m.T = now.Sub(start).Seconds()
			m.Appended = m.Events - res.EventsStart
			m.Reads, m.Writes, m.Errors, m.ReadRPS, m.WriteRPS = s.Reads, s.Writes, s.Errors, s.ReadRPS, s.WriteRPS
			m.ReadP50Ms, m.ReadP99Ms, m.WriteP50Ms, m.WriteP99Ms = s.ReadP50Ms, s.ReadP99Ms, s.WriteP50Ms, s.WriteP99Ms
			res.Samples = append(res.Samples, m)
			progress("  %5.0fs  live heap %6.1f MB  net of the view cache %6.1f MB  in use %6.1f MB  RSS %6.1f MB  goroutines %4d  fds %3d  events %7d  reads %6.0f/s p99 %6.2f ms  writes %5.0f/s p99 %6.2f ms",
				m.T, m.HeapLiveMB, m.HeapNetMB, m.HeapInuseMB, m.RSSMB, m.Goroutines, m.FDs, m.Events, m.ReadRPS, m.ReadP99Ms, m.WriteRPS, m.WriteP99Ms)
		}
	}
	stopLoad()
	wg.Wait()
	res.EventsEnd = ld.last.Load()
	res.Reads, res.Writes, res.Errors = int(ld.reads.Load()), int(ld.writes.Load()), int(ld.errors.Load())
	for route, lat := range ld.byRoute {
		slices.Sort(lat)
		l := &loadRun{lat: lat}
		res.Routes = append(res.Routes, soakRoute{Route: route, Requests: len(lat), P50Ms: l.pctMs(0.5), P99Ms: l.pctMs(0.99), MaxMs: msOf(lat[len(lat)-1])})
	}
	slices.SortFunc(res.Routes, func(a, b soakRoute) int { return strings.Compare(a.Route, b.Route) })
	if fe, ok := ld.firstErr.Load().(string); ok {
		res.FirstError = fe
	}
	logs.mu.Lock()
	res.ServerWarnings, res.ServerErrors, res.ServerLog = logs.warnings, logs.errs, logs.first
	logs.mu.Unlock()
	analyseSoak(res)
	return res, nil
}

// sampleProcess forces a GC and reads the process's memory, goroutines and
// open files.
func sampleProcess(events uint64) soakSample {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := soakSample{Events: events, HeapLiveMB: mb(ms.HeapAlloc), HeapInuseMB: mb(ms.HeapInuse), HeapSysMB: mb(ms.HeapSys),
		RSSMB: float64(procStatusKB("VmRSS")) / 1024, Goroutines: runtime.NumGoroutine()}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		s.FDs = len(fds)
	}
	return s
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

// procStatusKB is a "kB" field of /proc/self/status (0 where missing).
func procStatusKB(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// soakLoad is the clients' shared state: the alliance's active members,
// contributions waiting for confirmation, counters and the period's
// latencies.
type soakLoad struct {
	http        *http.Client
	base, token string
	cfg         soakConfig
	members     []string // active, other than the custodian
	custodian   string
	run         string // names this run's idempotency keys and assets
	keys        atomic.Int64
	last        atomic.Uint64 // highest position seen (the log's length)

	mu          sync.Mutex
	unconfirmed []uint64
	readLat     []time.Duration
	writeLat    []time.Duration
	periodErrs  int

	byRoute map[string][]time.Duration // the whole run's latencies by route
	// seen are the ETags of the answers received, until their bodies add
	// up to the view cache's bound; cacheBytes is that sum.
	seen       map[[12]byte]struct{}
	cacheBytes atomic.Int64

	reads, writes, errors atomic.Int64
	firstErr              atomic.Value
}

func newSoakLoad(ctx context.Context, client *http.Client, base, token string, cfg soakConfig) (*soakLoad, error) {
	ld := &soakLoad{http: client, base: base + "/v1/alliances/" + soakAlliance, token: token, cfg: cfg,
		run: strconv.FormatInt(time.Now().UnixNano(), 36), byRoute: map[string][]time.Duration{}, seen: map[[12]byte]struct{}{}}
	// The token is seen by serve's watch shortly after it started.
	var b []byte
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, body, err := httpGet(ctx, client, ld.base, token)
		if err == nil && st == http.StatusOK {
			b = body
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("GET %s: status %d, %v: %s", ld.base, st, err, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var overview struct {
		Custodian string `json:"custodian"`
	}
	json.Unmarshal(b, &overview)
	var bal struct {
		AsOfSeq uint64 `json:"as_of_seq"`
		Members []struct {
			Member string `json:"member"`
			Active bool   `json:"active"`
		} `json:"members"`
	}
	st, body, err := httpGet(ctx, client, ld.base+"/balances", token)
	if err != nil || st != http.StatusOK || json.Unmarshal(body, &bal) != nil {
		return nil, fmt.Errorf("GET balances: status %d, %v: %s", st, err, body)
	}
	ld.custodian = overview.Custodian
	if ld.custodian == "" {
		ld.custodian = "M01"
	}
	for _, m := range bal.Members {
		if m.Active && m.Member != ld.custodian {
			ld.members = append(ld.members, m.Member)
		}
	}
	if len(ld.members) == 0 {
		return nil, errors.New("the sample alliance has no active member besides the custodian")
	}
	ld.last.Store(bal.AsOfSeq)
	// Every read once, so that a route the sample cannot answer fails now.
	rng := rand.New(rand.NewPCG(cfg.seed, 0))
	for i := range soakReads {
		if _, err := ld.read(ctx, rng, i); err != nil {
			return nil, err
		}
	}
	return ld, nil
}

// soakReads are the read routes, taken in turn by each client.
var soakReads = []string{"balances", "member-balances", "statement", "risk", "outputs", "events", "evaluation"}

func (ld *soakLoad) read(ctx context.Context, rng *rand.Rand, i int) (string, error) {
	m := ld.members[rng.IntN(len(ld.members))]
	var path string
	route := soakReads[i%len(soakReads)]
	switch route {
	case "balances":
		path = "/balances"
	case "member-balances":
		path = "/balances?member=" + m
	case "statement":
		path = "/members/" + m + "/statement"
	case "risk":
		path = "/risk"
	case "outputs":
		path = "/outputs"
	case "events":
		path = fmt.Sprintf("/events?after=%d&limit=100", rng.Uint64N(ld.last.Load()))
	case "evaluation":
		path = "/evaluation?period=2025"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ld.base+path, nil)
	if err != nil {
		return route, err
	}
	req.Header.Set("Authorization", "Bearer "+ld.token)
	resp, err := ld.http.Do(req)
	if err != nil {
		return "GET " + route, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return "GET " + route, fmt.Errorf("GET %s: status %d: %s", req.URL.Path, resp.StatusCode, bytes.TrimSpace(b))
	}
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return "GET " + route, err
	}
	ld.noteCached(resp.Header.Get("ETag"), n)
	return "GET " + route, nil
}

// soakViewCacheBytes is the bound of the API's view cache as serve sets it
// (api.Config.ViewCacheBytes left 0: 256 MiB). The cache counts bodies only.
const soakViewCacheBytes = 256 << 20

// noteCached adds an answer's body to the view cache's estimate the first
// time its ETag is seen (an ETag names a cache entry). Past the cache's
// bound, which it then stays at (least recently used entries make room),
// the ETags are forgotten.
func (ld *soakLoad) noteCached(etag string, n int64) {
	var id [12]byte
	if len(etag) != 2+2*len(id) {
		return
	}
	if _, err := hex.Decode(id[:], []byte(etag[1:len(etag)-1])); err != nil {
		return
	}
	ld.mu.Lock()
	defer ld.mu.Unlock()
	if ld.seen == nil {
		return
	}
	if _, ok := ld.seen[id]; ok {
		return
	}
	ld.seen[id] = struct{}{}
	if ld.cacheBytes.Add(n) >= soakViewCacheBytes {
		ld.cacheBytes.Store(soakViewCacheBytes)
		ld.seen = nil
	}
}

// write sends one write and notes the position it got.
func (ld *soakLoad) write(ctx context.Context, rng *rand.Rand) (name string, err error) {
	key := ld.run + "-" + strconv.FormatInt(ld.keys.Add(1), 10)
	m := ld.members[rng.IntN(len(ld.members))]
	var route string
	var body []byte
	var contribution bool
	switch x := rng.Float64(); {
	case x < 0.25:
		ld.mu.Lock()
		var seq uint64
		if n := len(ld.unconfirmed); n > 0 {
			seq = ld.unconfirmed[n-1]
			ld.unconfirmed = ld.unconfirmed[:n-1]
		}
		ld.mu.Unlock()
		if seq != 0 {
			route, name = fmt.Sprintf("/contributions/%d/confirmation", seq), "POST confirmation"
			body = fmt.Appendf(nil, `{"by":%q}`, ld.custodian)
			break
		}
		fallthrough
	case x < 0.85:
		route, name, contribution = "/contributions", "POST contribution", true
		body = fmt.Appendf(nil, `{"member":%q,"kind":"cash","value":{"amount":%d,"currency":"CNY"},"valuation":"declared","counterparty":%q,"description":"soak %s"}`,
			m, 1000+rng.IntN(1_000_000), ld.custodian, key)
	default:
		route, name = "/ip", "POST ip"
		body = fmt.Appendf(nil, `{"asset":"SOAK-%s","type":"software-copyright","title":"soak %s","owners":[{"member":%q,"share":"1"}]}`, key, key, m)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ld.base+route, bytes.NewReader(body))
	if err != nil {
		return name, err
	}
	req.Header.Set("Authorization", "Bearer "+ld.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	st, b, err := httpDo(ld.http, req, true)
	if err != nil {
		return name, err
	}
	if st != http.StatusCreated {
		return name, fmt.Errorf("POST %s: status %d: %s", route, st, bytes.TrimSpace(b))
	}
	var rc ledger.Receipt
	if err := json.Unmarshal(b, &rc); err != nil {
		return name, err
	}
	for {
		l := ld.last.Load()
		if rc.Last <= l || ld.last.CompareAndSwap(l, rc.Last) {
			break
		}
	}
	if contribution {
		ld.mu.Lock()
		if len(ld.unconfirmed) < 10_000 {
			ld.unconfirmed = append(ld.unconfirmed, rc.First)
		}
		ld.mu.Unlock()
	}
	return name, nil
}

// client sends requests until ctx ends or stopped is set: a write with probability
// cfg.writeRatio, else the next read.
func (ld *soakLoad) client(ctx context.Context, c int, stopped *atomic.Bool) {
	rng := rand.New(rand.NewPCG(ld.cfg.seed, uint64(c)+1))
	for i := c; ctx.Err() == nil && !stopped.Load(); {
		isWrite := rng.Float64() < ld.cfg.writeRatio
		t0 := time.Now()
		var route string
		var err error
		if isWrite {
			route, err = ld.write(ctx, rng)
		} else {
			route, err = ld.read(ctx, rng, i)
			i++
		}
		d := time.Since(t0)
		if ctx.Err() != nil {
			return // cut by the end of the run
		}
		ld.mu.Lock()
		switch {
		case err != nil:
			ld.periodErrs++
			ld.errors.Add(1)
			ld.firstErr.CompareAndSwap(nil, err.Error())
		case isWrite:
			ld.byRoute[route] = append(ld.byRoute[route], d)
			ld.writeLat = append(ld.writeLat, d)
			ld.writes.Add(1)
		default:
			ld.byRoute[route] = append(ld.byRoute[route], d)
			ld.readLat = append(ld.readLat, d)
			ld.reads.Add(1)
		}
		ld.mu.Unlock()
		if err != nil {
			time.Sleep(100 * time.Millisecond) // do not spin on a failing server
		}
	}
}

// period takes the latencies recorded since the last call.
func (ld *soakLoad) period(d time.Duration) soakSample {
	ld.mu.Lock()
	r, w, errs := ld.readLat, ld.writeLat, ld.periodErrs
	ld.readLat, ld.writeLat, ld.periodErrs = make([]time.Duration, 0, len(r)), make([]time.Duration, 0, len(w)), 0
	ld.mu.Unlock()
	slices.Sort(r)
	slices.Sort(w)
	rl, wl := &loadRun{d: d, lat: r}, &loadRun{d: d, lat: w}
	return soakSample{Reads: len(r), Writes: len(w), Errors: errs, ReadRPS: rl.rps(), WriteRPS: wl.rps(),
		ReadP50Ms: rl.pctMs(0.5), ReadP99Ms: rl.pctMs(0.99), WriteP50Ms: wl.pctMs(0.5), WriteP99Ms: wl.pctMs(0.99)}
}

// analyseSoak applies soakRule to the samples.
func analyseSoak(res *soakResult) {
	s := res.Samples
	n := len(s)
	if n < 6 {
		res.Verdict = "undetermined"
		return
	}
	middle, last := s[n/3:2*n/3], s[2*n/3:]
	res.HeapMiddleThirdMB = meanOf(middle, func(x soakSample) float64 { return x.HeapNetMB })
	res.HeapLastThirdMB = meanOf(last, func(x soakSample) float64 { return x.HeapNetMB })
	net := func(x soakSample) float64 { return x.HeapNetMB }
	res.HeapChangeMB = res.HeapLastThirdMB - res.HeapMiddleThirdMB
	res.HeapChangeSEMB = changeSE(middle, last, net)
	res.ToleranceMB = max(0.05*res.HeapMiddleThirdMB, 4)
	half := s[n/2:]
	halfMin := (half[len(half)-1].T - half[0].T) / 60
	minutes := func(x soakSample) float64 { return x.T / 60 }
	res.HeapSlopeMBMin, res.HeapSlopeSEMBMin = fitOf(half, minutes, func(x soakSample) float64 { return x.HeapNetMB })
	res.RSSSlopeMBMin, _ = fitOf(half, minutes, func(x soakSample) float64 { return x.RSSMB })
	// A rise counts when it is both larger than the tolerance and more
	// than twice its standard error.
	flat := func(change, changeSE, slope, slopeSE float64) bool {
		up := change > res.ToleranceMB && change > 2*changeSE
		rising := slope*halfMin > res.ToleranceMB && slope > 2*slopeSE
		return !up && !rising
	}
	appended := s[n-1].Appended > s[n/2].Appended
	if appended {
		res.BytesPerEvent, _ = fitOf(half, func(x soakSample) float64 { return float64(x.Events) },
			func(x soakSample) float64 { return x.HeapNetMB * (1 << 20) })
	}
	// What the log's growth does not explain.
	perEventMB := max(res.BytesPerEvent, 0) / (1 << 20)
	adjusted := func(x soakSample) float64 { return x.HeapNetMB - perEventMB*float64(x.Appended) }
	res.UnexplainedChangeMB = meanOf(last, adjusted) - meanOf(middle, adjusted)
	unexplainedChangeSE := changeSE(middle, last, adjusted)
	var unexplainedSE float64
	res.UnexplainedSlopeMBMin, unexplainedSE = fitOf(half, minutes, adjusted)

	// Goroutines and open files: the last third's highest no higher than
	// the middle third's plus some slack (idle connections come and go).
	maxOf := func(xs []soakSample, f func(soakSample) int) int {
		m := 0
		for _, x := range xs {
			m = max(m, f(x))
		}
		return m
	}
	slack := 2*res.Clients + 16
	res.GoroutinesFlat = maxOf(last, func(x soakSample) int { return x.Goroutines }) <= maxOf(middle, func(x soakSample) int { return x.Goroutines })+slack
	res.FDsFlat = maxOf(last, func(x soakSample) int { return x.FDs }) <= maxOf(middle, func(x soakSample) int { return x.FDs })+slack

	switch {
	case !res.GoroutinesFlat || !res.FDsFlat:
		res.Verdict = "growing"
	case flat(res.HeapChangeMB, res.HeapChangeSEMB, res.HeapSlopeMBMin, res.HeapSlopeSEMBMin):
		res.Verdict = "flat"
	case appended && res.BytesPerEvent <= res.MaxBytesPerEvent && flat(res.UnexplainedChangeMB, unexplainedChangeSE, res.UnexplainedSlopeMBMin, unexplainedSE):
		res.Verdict = "grows-with-log"
	default:
		res.Verdict = "growing"
	}
}

func meanOf(xs []soakSample, f func(soakSample) float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sum := 0.0
	for _, x := range xs {
		sum += f(x)
	}
	return sum / float64(len(xs))
}

// changeSE is the standard error of mean(b) − mean(a).
func changeSE(a, b []soakSample, f func(soakSample) float64) float64 {
	v := func(xs []soakSample) float64 {
		if len(xs) < 2 {
			return 0
		}
		m, sum := meanOf(xs, f), 0.0
		for _, x := range xs {
			sum += (f(x) - m) * (f(x) - m)
		}
		return sum / float64(len(xs)-1) / float64(len(xs))
	}
	return math.Sqrt(v(a) + v(b))
}

// fitOf is the least-squares slope of y against x and its standard error.
func fitOf(xs []soakSample, x, y func(soakSample) float64) (slope, se float64) {
	mx, my := meanOf(xs, x), meanOf(xs, y)
	var num, den float64
	for _, s := range xs {
		dx := x(s) - mx
		num += dx * (y(s) - my)
		den += dx * dx
	}
	if den == 0 {
		return 0, 0
	}
	slope = num / den
	if len(xs) > 2 {
		var rss float64
		for _, s := range xs {
			r := y(s) - (my + slope*(x(s)-mx))
			rss += r * r
		}
		se = math.Sqrt(rss / float64(len(xs)-2) / den)
	}
	return slope, se
}

func printSoak(w io.Writer, r *soakResult) {
	fmt.Fprintf(w, "soak of %s: %.0f s, %d clients, write ratio %.2f, sampled every %.0f s (%d CPUs, %s)\n",
		r.Alliance, r.DurationS, r.Clients, r.WriteRatio, r.SampleS, r.CPUs, r.GoVersion)
	fmt.Fprintf(w, "requests: %d reads, %d writes, %d failed; the log grew from %d to %d events; server warnings %d, errors %d\n",
		r.Reads, r.Writes, r.Errors, r.EventsStart, r.EventsEnd, r.ServerWarnings, r.ServerErrors)
	fmt.Fprintf(w, "%7s %9s %9s %9s %9s %8s %6s %5s %8s %9s %8s %8s %8s %8s %8s\n",
		"t_s", "live_MB", "cache_MB", "net_MB", "inuse_MB", "rss_MB", "gor", "fds", "events", "read/s", "r_p50", "r_p99", "write/s", "w_p50", "w_p99")
	row := func(label string, s soakSample) {
		fmt.Fprintf(w, "%7s %9.1f %9.1f %9.1f %9.1f %8.1f %6d %5d %8d %9.0f %8.2f %8.2f %8.0f %8.2f %8.2f\n", label,
			s.HeapLiveMB, s.ViewCacheMB, s.HeapNetMB, s.HeapInuseMB, s.RSSMB, s.Goroutines, s.FDs, s.Events, s.ReadRPS, s.ReadP50Ms, s.ReadP99Ms, s.WriteRPS, s.WriteP50Ms, s.WriteP99Ms)
	}
	row("before", r.Baseline)
	for _, s := range r.Samples {
		row(strconv.FormatFloat(s.T, 'f', 0, 64), s)
	}
	for _, rt := range r.Routes {
		fmt.Fprintf(w, "  %-20s %8d requests  p50 %7.2f ms  p99 %8.2f ms  max %8.2f ms\n", rt.Route, rt.Requests, rt.P50Ms, rt.P99Ms, rt.MaxMs)
	}
	fmt.Fprintf(w, "live heap net of the view cache: middle third %.1f MB, last third %.1f MB (%+.1f ± %.1f MB), slope over the second half %+.2f ± %.2f MB/min (RSS %+.2f MB/min); tolerance %.1f MB\n",
		r.HeapMiddleThirdMB, r.HeapLastThirdMB, r.HeapChangeMB, r.HeapChangeSEMB, r.HeapSlopeMBMin, r.HeapSlopeSEMBMin, r.RSSSlopeMBMin, r.ToleranceMB)
	if r.BytesPerEvent != 0 {
		fmt.Fprintf(w, "per appended event: %.0f bytes of live heap; growth it does not explain: %+.1f MB, %+.2f MB/min\n",
			r.BytesPerEvent, r.UnexplainedChangeMB, r.UnexplainedSlopeMBMin)
	}
	fmt.Fprintf(w, "goroutines flat: %v, open files flat: %v\n", r.GoroutinesFlat, r.FDsFlat)
	for _, l := range r.ServerLog {
		fmt.Fprintf(w, "server: %s\n", l)
	}
	fmt.Fprintf(w, "verdict: %s\n", r.Verdict)
}
