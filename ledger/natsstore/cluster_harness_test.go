//go:build faults && linux

package natsstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/audit"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
	"github.com/alliance-ledger/alliance/projections/verify"
)

// A three-node nats-server cluster on loopback, each node a child process
// of the real nats-server binary built from the module, so that it can be
// killed with SIGKILL, paused with SIGSTOP and restarted on its store
// directory.

type clusterNode struct {
	name        string
	port, cport int
	dir         string // config, log and JetStream store
	cmd         *exec.Cmd
	exited      chan struct{}
}

func (n *clusterNode) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.port) }

type testCluster struct {
	t     *testing.T
	bin   string
	nodes []*clusterNode
}

// buildNATSServer builds the nats-server of the module's go.mod (offline:
// it is in the module cache) into dir.
func buildNATSServer(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "nats-server")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/nats-io/nats-server/v2")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build nats-server: %v\n%s", err, out)
	}
	return bin
}

// freePorts returns n distinct free TCP ports on loopback.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// startCluster writes the three nodes' configs and starts them.
func startCluster(t *testing.T) *testCluster {
	t.Helper()
	root := t.TempDir()
	c := &testCluster{t: t, bin: buildNATSServer(t, root)}
	ports := freePorts(t, 6)
	var routes []string
	for i := range 3 {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ports[3+i]))
	}
	for i := range 3 {
		n := &clusterNode{name: fmt.Sprintf("n%d", i+1), port: ports[i], cport: ports[3+i], dir: filepath.Join(root, fmt.Sprintf("n%d", i+1))}
		if err := os.MkdirAll(n.dir, 0o700); err != nil {
			t.Fatal(err)
		}
		// The same settings as docs/cluster: every write fsynced before it
		// is acknowledged, as the embedded server does.
		conf := fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
jetstream {
  store_dir: %q
  sync_interval: always
}
cluster {
  name: faults
  listen: 127.0.0.1:%d
  routes: [%s]
}
`, n.name, n.port, filepath.Join(n.dir, "jetstream"), n.cport, strings.Join(routes, ", "))
		if err := os.WriteFile(filepath.Join(n.dir, "server.conf"), []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		c.nodes = append(c.nodes, n)
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			if n.cmd != nil && !n.stopped() {
				n.cmd.Process.Signal(syscall.SIGCONT)
				n.cmd.Process.Kill()
				<-n.exited
			}
		}
		if t.Failed() {
			for _, n := range c.nodes {
				// The warnings, errors and leader changes, the last 80.
				b, _ := os.ReadFile(filepath.Join(n.dir, "server.log"))
				var lines []string
				for l := range strings.Lines(string(b)) {
					if strings.Contains(l, "[WRN]") || strings.Contains(l, "[ERR]") || strings.Contains(l, "leader") {
						lines = append(lines, l)
					}
				}
				lines = lines[max(0, len(lines)-80):]
				t.Logf("%s's log, warnings, errors and leader changes:\n%s", n.name, strings.Join(lines, ""))
			}
		}
	})
	for _, n := range c.nodes {
		c.start(n)
	}
	for _, n := range c.nodes {
		c.waitListening(n)
	}
	return c
}

func (n *clusterNode) stopped() bool {
	select {
	case <-n.exited:
		return true
	default:
		return false
	}
}

// start starts a node's process (again) on its store directory.
func (c *testCluster) start(n *clusterNode) {
	c.t.Helper()
	logf, err := os.OpenFile(filepath.Join(n.dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(c.bin, "-c", filepath.Join(n.dir, "server.conf"))
	cmd.Stdout, cmd.Stderr = logf, logf
	// A test binary killed (by go test's timeout, say) takes its servers
	// with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	n.cmd, n.exited = cmd, make(chan struct{})
	go func() {
		cmd.Wait()
		logf.Close()
		close(n.exited)
	}()
}

func (c *testCluster) waitListening(n *clusterNode) {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", n.port), time.Second)
		if err == nil {
			conn.Close()
			return
		}
		if n.stopped() || time.Now().After(deadline) {
			c.t.Fatalf("%s does not listen: %v", n.name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL to a node and waits for the process to end.
func (c *testCluster) kill(n *clusterNode) {
	c.t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		c.t.Fatalf("kill %s: %v", n.name, err)
	}
	<-n.exited
}

func (c *testCluster) signal(n *clusterNode, sig syscall.Signal) {
	c.t.Helper()
	if err := n.cmd.Process.Signal(sig); err != nil {
		c.t.Fatalf("signal %v to %s: %v", sig, n.name, err)
	}
}

func (c *testCluster) node(name string) *clusterNode {
	for _, n := range c.nodes {
		if n.name == name {
			return n
		}
	}
	c.t.Fatalf("no node named %q", name)
	return nil
}

func (c *testCluster) urls() string {
	var us []string
	for _, n := range c.nodes {
		us = append(us, n.url())
	}
	return strings.Join(us, ",")
}

// connect opens a connection to all three nodes, as `alliance serve
// --nats-url` does.
func (c *testCluster) connect() *nats.Conn {
	c.t.Helper()
	nc, err := natsstore.Connect(c.urls())
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(nc.Close)
	return nc
}

// waitJetStream waits until the cluster has a JetStream meta leader (the
// account info API answers).
func (c *testCluster) waitJetStream(js jetstream.JetStream) {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("no JetStream meta leader after 60s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// streamCluster returns the stream's leader and its followers, or an error
// while there is no leader.
func streamCluster(js jetstream.JetStream, id string) (string, []*jetstream.PeerInfo, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, natsstore.StreamName(id))
	if err != nil {
		return "", nil, err
	}
	info := st.CachedInfo()
	if info.Cluster == nil || info.Cluster.Leader == "" {
		return "", nil, errors.New("no stream leader")
	}
	return info.Cluster.Leader, info.Cluster.Replicas, nil
}

// leaderWatch polls the stream's leader from the moment of a fault until a
// leader other than the one it started with answers: how long a failover
// took, as the servers see it.
type leaderWatch struct {
	stop   chan struct{}
	done   chan struct{}
	leader string
	after  time.Duration
}

func watchLeader(js jetstream.JetStream, id, old string, since time.Time) *leaderWatch {
	lw := &leaderWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(lw.done)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			st, err := js.Stream(ctx, natsstore.StreamName(id))
			cancel()
			if err == nil {
				if info := st.CachedInfo(); info.Cluster != nil && info.Cluster.Leader != "" && info.Cluster.Leader != old {
					lw.leader, lw.after = info.Cluster.Leader, time.Since(since)
					return
				}
			}
			select {
			case <-lw.stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return lw
}

// result gives the watch up to grace to see a new leader, stops it and
// returns how long after the fault a new leader answered, or -1 if none
// did.
func (lw *leaderWatch) result(grace time.Duration) time.Duration {
	select {
	case <-lw.done:
	case <-time.After(grace):
	}
	close(lw.stop)
	<-lw.done
	if lw.leader == "" {
		return -1
	}
	return lw.after
}

// waitHealthy waits until the stream has a leader and both followers are
// online and current, so that each fault starts from a whole cluster.
func (c *testCluster) waitHealthy(js jetstream.JetStream, id string) (leader string, followers []string) {
	c.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		l, peers, err := streamCluster(js, id)
		if err == nil {
			ok := len(peers) == 2
			var fs []string
			for _, p := range peers {
				ok = ok && p.Current && !p.Offline
				fs = append(fs, p.Name)
			}
			if ok {
				return l, fs
			}
			err = fmt.Errorf("leader %s, followers not current: %+v", l, peers)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("stream of %s not healthy after 90s: %v", id, last)
	return "", nil
}

// The load: goroutines appending single contributions with unique
// idempotency keys, through one or more writers, recording every
// acknowledged receipt.

type tracker struct {
	alliance string

	// gate is held shared by every append in progress: pause takes it
	// exclusively to let the appends in flight settle and stop new ones.
	gate sync.RWMutex

	mu    sync.Mutex
	acked map[string]uint64 // idempotency key -> acknowledged position
	// refused are the keys of appends that failed with an error that
	// does not leave the outcome open: neither the caller's own deadline
	// nor an "outcome unknown". They must not be in the log.
	refused map[string]string // key -> the error
	errs    int
	errLog  []string
	watch   *resumeWatch

	stop chan struct{}
	wg   sync.WaitGroup
}

// resumeWatch catches the first acknowledgement of an append started after
// a fault.
type resumeWatch struct {
	since time.Time
	done  chan struct{}
	at    time.Time
}

func newTracker(alliance string) *tracker {
	return &tracker{alliance: alliance, acked: map[string]uint64{}, refused: map[string]string{}, stop: make(chan struct{})}
}

// run starts n goroutines appending through w with keys prefix-g-i.
func (tr *tracker) run(w *ledger.Writer, prefix string, n int) {
	for g := range n {
		tr.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-tr.stop:
					return
				default:
				}
				key := fmt.Sprintf("%s-%d-%d", prefix, g, i)
				tr.gate.RLock()
				started := time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				rc, err := w.Append(ctx, clusterContribution(tr.alliance, key))
				callerGaveUp := err != nil && err == ctx.Err()
				cancel()
				done := time.Now()
				tr.gate.RUnlock()
				tr.mu.Lock()
				if err != nil {
					tr.errs++
					if !callerGaveUp && !strings.Contains(err.Error(), "outcome unknown") {
						tr.refused[key] = err.Error()
					}
					if len(tr.errLog) < 20 {
						tr.errLog = append(tr.errLog, fmt.Sprintf("%s: %v", key, err))
					}
				} else {
					tr.acked[key] = rc.First
					if wt := tr.watch; wt != nil && wt.at.IsZero() && started.After(wt.since) {
						wt.at = done
						close(wt.done)
					}
				}
				tr.mu.Unlock()
			}
		})
	}
}

// faultAt starts watching for appends resuming after a fault injected now.
func (tr *tracker) faultAt() *resumeWatch {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.watch = &resumeWatch{since: time.Now(), done: make(chan struct{})}
	return tr.watch
}

// resumed waits for the first acknowledged append started after the fault
// and returns how long after the fault it was acknowledged.
func (tr *tracker) resumed(t *testing.T, wt *resumeWatch, limit time.Duration) time.Duration {
	t.Helper()
	select {
	case <-wt.done:
		tr.mu.Lock()
		defer tr.mu.Unlock()
		return wt.at.Sub(wt.since)
	case <-time.After(limit):
		tr.mu.Lock()
		defer tr.mu.Unlock()
		t.Fatalf("no append acknowledged within %v of the fault; %d errors so far: %q", limit, tr.errs, tr.errLog)
		return 0
	}
}

// check pauses the load, checks the log and lets the load go on (also
// when the check fails the test). It returns the append errors so far too.
func (tr *tracker) check(t *testing.T, c *testCluster, vkey string) (logCheck, int) {
	t.Helper()
	tr.gate.Lock()
	defer tr.gate.Unlock()
	res := tr.checkLog(t, c, vkey)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return res, tr.errs
}

func (tr *tracker) shutdown() {
	close(tr.stop)
	tr.wg.Wait()
}

func clusterSetup(id string) ledger.Request {
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return ledger.Request{Alliance: id, Actor: "secretariat", IdempotencyKey: "setup", Commands: []ledger.Command{
		ledger.NewCommand(at, &ledger.AllianceFounded{Name: "集群故障测试联盟", Type: "rd-cooperation", LegalForm: "self-organised", BaseCurrency: "CNY", Custodian: "M01"}),
		ledger.NewCommand(at, &ledger.MemberAdmitted{Member: "M01", Name: "甲大学", Kind: "university", Role: "chair"}),
		ledger.NewCommand(at, &ledger.MemberAdmitted{Member: "M02", Name: "乙公司", Kind: "enterprise", Role: "ordinary"}),
	}}
}

func clusterContribution(id, key string) ledger.Request {
	at := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	return ledger.Request{Alliance: id, Actor: "member:M02", IdempotencyKey: key, Commands: []ledger.Command{
		ledger.NewCommand(at, &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: ledger.Money{Amount: 100, Currency: "CNY"}, Description: key}),
	}}
}

// logCheck is what a check of the log against the acknowledgements found.
type logCheck struct {
	acked, lost, duplicates, quarantined int
	refusedStored                        int // failed appends found in the log
	readRetries                          int
	events                               uint64
}

// checkLog reads the whole log through a fresh store on its own connection
// (load paused) and checks that every acknowledged append is in it exactly
// once at its acknowledged position, that positions are gapless, and that
// the log verifies (every event re-validated against the state before it,
// the model folds, the Merkle tree recomputes).
func (tr *tracker) checkLog(t *testing.T, c *testCluster, vkey string) logCheck {
	t.Helper()
	var res logCheck
	nc := c.connect()
	defer nc.Close()
	st, err := natsstore.New(nc, natsstore.Options{Logger: slog.New(slog.DiscardHandler), OnQuarantine: func(q natsstore.Quarantined) {
		res.quarantined++
		t.Errorf("quarantined stream message: %+v", q)
	}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Minute)
	// Reads may fail while a restarted node catches up (the server answers
	// "JetStream system temporarily unavailable"): read again from the
	// start, as the API's runners do, until the log reads in full.
	var (
		events [][]byte
		keys   map[string][]uint64
	)
	for {
		events, keys = nil, map[string][]uint64{}
		// An API request whose answer is lost in a leader change (creating
		// the read's consumer, say) waits for its context to end: bound
		// each attempt.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = st.Read(ctx, tr.alliance, 1, func(s ledger.Stored) error {
			if s.Seq != uint64(len(events)+1) {
				return fmt.Errorf("%w: event %d at position %d", errGap, len(events)+1, s.Seq)
			}
			e, err := ledger.DecodeEvent(s.Data)
			if err != nil {
				return fmt.Errorf("%w: position %d: %w", errGap, s.Seq, err)
			}
			keys[e.IdempotencyKey] = append(keys[e.IdempotencyKey], s.Seq)
			events = append(events, append([]byte(nil), s.Data...))
			return nil
		})
		cancel()
		if err == nil {
			break
		}
		if errors.Is(err, errGap) || time.Now().After(deadline) {
			t.Fatalf("read the log: %v", err)
		}
		res.readRetries++
		t.Logf("reading the log failed, reading again: %v", err)
		time.Sleep(500 * time.Millisecond)
	}
	res.events = uint64(len(events))
	for k, ps := range keys {
		if k != "setup" && len(ps) > 1 {
			res.duplicates++
			t.Errorf("request %s stored %d times, at %v", k, len(ps), ps)
		}
	}
	tr.mu.Lock()
	res.acked = len(tr.acked)
	for k, pos := range tr.acked {
		ps := keys[k]
		if len(ps) == 0 || ps[0] != pos {
			res.lost++
			t.Errorf("acknowledged request %s at position %d: the log has it at %v", k, pos, ps)
		}
	}
	for k, msg := range tr.refused {
		if ps := keys[k]; len(ps) > 0 {
			res.refusedStored++
			t.Errorf("append %s failed with an error that does not leave its outcome open (%s), yet the log has it at %v", k, msg, ps)
		}
	}
	tr.mu.Unlock()

	r, err := verify.Verify(context.Background(), tr.alliance, memEvents(events), verify.Options{LedgerKey: vkey})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if !r.OK || r.Events != res.events {
		t.Errorf("the log does not verify: %d events, first problem %+v", r.Events, r.First)
	}
	return res
}

// errGap marks a log that does not read as a gapless sequence of events.
var errGap = errors.New("bad log")

// memEvents is a verify.Source over events read once, without audit
// records: the checks that matter here are the log's.
type memEvents [][]byte

func (m memEvents) Events(ctx context.Context, fn func(uint64, []byte) error) error {
	for i, e := range m {
		if err := fn(uint64(i+1), e); err != nil {
			return err
		}
	}
	return nil
}
func (memEvents) Checkpoints(context.Context) ([]audit.CheckpointRecord, error)   { return nil, nil }
func (memEvents) Cosignatures(context.Context) ([]audit.CosignatureRecord, error) { return nil, nil }

// verifierKey makes a ledger signing key (verify wants the verifier key
// checkpoints would be checked against; there are none here).
func verifierKey(t *testing.T) string {
	t.Helper()
	_, vkey, _, err := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), "ledger.key"), "alliance-ledger")
	if err != nil {
		t.Fatal(err)
	}
	return vkey
}

// faultRow is one line of the report.
type faultRow struct {
	Test        string `json:"test"`
	Fault       string `json:"fault"`
	Repetition  int    `json:"repetition"`
	Acked       int    `json:"acked"`
	Lost        int    `json:"lost"`
	Duplicates  int    `json:"duplicates"`
	Quarantined int    `json:"quarantined"`
	Events      uint64 `json:"events"`
	Errors      int    `json:"append_errors"`
	// RefusedStored counts appends that failed with an error that does
	// not leave the outcome open and are in the log nonetheless.
	RefusedStored int     `json:"refused_but_stored"`
	RecoveryMS    float64 `json:"recovery_ms"`
	// NewLeaderMS is when a stream leader other than the one before the
	// fault answered stream info (-1: not measured, or no new leader).
	NewLeaderMS float64 `json:"new_leader_ms"`
}

// msText is a duration for the log, "-" if not measured.
func msText(d time.Duration) string {
	if d < 0 {
		return "-"
	}
	return d.Round(time.Millisecond).String()
}

func ms(d time.Duration) float64 {
	if d < 0 {
		return -1
	}
	return float64(d.Microseconds()) / 1000
}

var report struct {
	mu   sync.Mutex
	rows []faultRow
}

// addRows logs rows as a table and rewrites $FAULTS_REPORT with every row
// so far.
func addRows(t *testing.T, rows []faultRow) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-34s %4s %8s %5s %5s %9s %7s %12s %14s\n", "fault", "rep", "acked", "lost", "dups", "events", "errors", "recovery ms", "new leader ms")
	for _, r := range rows {
		leader := "-"
		if r.NewLeaderMS >= 0 {
			leader = fmt.Sprintf("%.0f", r.NewLeaderMS)
		}
		fmt.Fprintf(&b, "%-34s %4d %8d %5d %5d %9d %7d %12.0f %14s\n", r.Fault, r.Repetition, r.Acked, r.Lost, r.Duplicates, r.Events, r.Errors, r.RecoveryMS, leader)
	}
	t.Log(b.String())
	report.mu.Lock()
	defer report.mu.Unlock()
	report.rows = append(report.rows, rows...)
	if path := os.Getenv("FAULTS_REPORT"); path != "" {
		data, err := json.MarshalIndent(report.rows, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
