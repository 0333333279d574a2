//go:build faults && linux

package natsstore_test

// Fault tests on a real three-node nats-server cluster (see
// cluster_harness_test.go), run with
//
//	go test -tags faults -run Cluster -v ./ledger/natsstore/
//
// The ledger appends under a steady load to a stream with three replicas
// while these faults are injected, each three times: SIGKILL of the stream
// leader, SIGKILL of a follower then its restart, SIGKILL of all three
// nodes then their restart, SIGSTOP of the leader for five seconds then
// SIGCONT. After each: every acknowledged append is in the log exactly
// once at its acknowledged position, positions are gapless, the log
// verifies, and appends resumed (the time from the fault to the first
// acknowledgement of an append started after it is reported).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
	"github.com/alliance-ledger/alliance/projections"
)

const (
	faultRepeats = 3
	// resumeLimit is how long appends may take to resume after a fault
	// before the test fails.
	resumeLimit = 60 * time.Second
	// settleLoad is how long the load runs after appends resumed, before
	// the log is checked.
	settleLoad = 2 * time.Second
	pauseFor   = 5 * time.Second
)

// storeLogger logs a store's warnings (appends settled after an unknown
// outcome, say) to a file next to the servers' logs, and counts them by
// message; the counts are logged when the test ends.
func storeLogger(t *testing.T, c *testCluster, name string) *slog.Logger {
	f, err := os.Create(filepath.Join(c.nodes[0].dir, "..", name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	h := &countingHandler{Handler: slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelWarn}), counts: map[string]int{}}
	t.Cleanup(func() {
		f.Close()
		h.mu.Lock()
		defer h.mu.Unlock()
		for msg, n := range h.counts {
			t.Logf("%s: %d× %q", name, n, msg)
		}
	})
	return slog.New(h)
}

type countingHandler struct {
	slog.Handler
	mu     sync.Mutex
	counts map[string]int
}

func (h *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	h.counts[r.Message]++
	h.mu.Unlock()
	return h.Handler.Handle(ctx, r)
}

// openLedger opens a store with three replicas on its own connection and a
// writer over it, as one `alliance serve --replicas 3` does.
func openLedger(t *testing.T, c *testCluster, name string) (*natsstore.Store, *ledger.Writer) {
	t.Helper()
	st, err := natsstore.New(c.connect(), natsstore.Options{Replicas: 3, Logger: storeLogger(t, c, name)})
	if err != nil {
		t.Fatal(err)
	}
	w := ledger.NewWriter(st, ledger.WriterOptions{})
	t.Cleanup(w.Close)
	return st, w
}

type fault struct {
	name string
	// inject injects the fault (the tracker is told when) and undoes it,
	// restarting what it killed, once appends have resumed. It returns
	// how long appends took to resume and a new stream leader to answer
	// (-1 if not measured).
	inject func(tr *tracker) (resumed, leader time.Duration)
}

func TestClusterFaults(t *testing.T) {
	const id = "faults"
	c := startCluster(t)
	admin := c.connect()
	st, w := openLedger(t, c, "writer")
	c.waitJetStream(st.JetStream())
	vkey := verifierKey(t)
	ctx := context.Background()
	if _, err := w.Append(ctx, clusterSetup(id)); err != nil {
		t.Fatal(err)
	}
	adminStore, err := natsstore.New(admin, natsstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	js := adminStore.JetStream()
	c.waitHealthy(js, id)
	watchStore, err := natsstore.New(c.connect(), natsstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	watchJS := watchStore.JetStream()

	tr := newTracker(id)
	tr.run(w, "w", 8)
	defer tr.shutdown()
	time.Sleep(time.Second) // load running before the first fault

	faults := []fault{
		{"kill -9 stream leader", func(tr *tracker) (time.Duration, time.Duration) {
			leader, _ := c.waitHealthy(js, id)
			n := c.node(leader)
			wt := tr.faultAt()
			lw := watchLeader(watchJS, id, leader, wt.since)
			c.kill(n)
			d := tr.resumed(t, wt, resumeLimit)
			c.start(n)
			return d, lw.result(resumeLimit)
		}},
		{"kill -9 follower, restart", func(tr *tracker) (time.Duration, time.Duration) {
			_, followers := c.waitHealthy(js, id)
			n := c.node(followers[0])
			wt := tr.faultAt()
			c.kill(n)
			time.Sleep(time.Second) // the cluster runs on two nodes meanwhile
			c.start(n)
			return tr.resumed(t, wt, resumeLimit), -1
		}},
		{"kill -9 all three, restart", func(tr *tracker) (time.Duration, time.Duration) {
			c.waitHealthy(js, id)
			wt := tr.faultAt()
			for _, n := range c.nodes {
				c.signal(n, syscall.SIGKILL)
			}
			for _, n := range c.nodes {
				<-n.exited
			}
			lw := watchLeader(watchJS, id, "", wt.since)
			for _, n := range c.nodes {
				c.start(n)
			}
			return tr.resumed(t, wt, resumeLimit), lw.result(resumeLimit)
		}},
		{"SIGSTOP stream leader 5s, SIGCONT", func(tr *tracker) (time.Duration, time.Duration) {
			leader, _ := c.waitHealthy(js, id)
			n := c.node(leader)
			wt := tr.faultAt()
			lw := watchLeader(watchJS, id, leader, wt.since)
			c.signal(n, syscall.SIGSTOP)
			time.Sleep(pauseFor)
			c.signal(n, syscall.SIGCONT)
			// A new leader is elected while the old one is paused, or the
			// old one carries on once resumed.
			return tr.resumed(t, wt, resumeLimit), lw.result(time.Second)
		}},
	}

	var rows []faultRow
	for _, f := range faults {
		if only := os.Getenv("FAULTS_ONLY"); only != "" && !strings.Contains(f.name, only) {
			continue
		}
		for rep := 1; rep <= faultRepeats; rep++ {
			d, nl := f.inject(tr)
			time.Sleep(settleLoad)
			res, errs := tr.check(t, c, vkey)
			row := faultRow{Test: t.Name(), Fault: f.name, Repetition: rep, Acked: res.acked, Lost: res.lost,
				Duplicates: res.duplicates, Quarantined: res.quarantined, Events: res.events, Errors: errs,
				RefusedStored: res.refusedStored, RecoveryMS: ms(d), NewLeaderMS: ms(nl)}
			t.Logf("%s #%d: writes resumed after %v (new leader after %v); %d acknowledged, %d lost, %d duplicates, %d events, %d append errors",
				f.name, rep, d.Round(time.Millisecond), msText(nl), res.acked, res.lost, res.duplicates, res.events, errs)
			rows = append(rows, row)
			if t.Failed() {
				addRows(t, rows)
				t.FailNow()
			}
		}
	}
	tr.mu.Lock()
	if tr.errs > 0 {
		t.Logf("append errors (not acknowledged, so not required in the log): %d, first: %q", tr.errs, tr.errLog)
	}
	tr.mu.Unlock()
	addRows(t, rows)
}

// TestClusterTwoWriters: two stores and writers on separate connections
// (two `alliance serve` instances) append to one alliance while the stream
// leader is killed; appends stay serializable and two projection runners,
// one on each connection, converge to the same balances.
func TestClusterTwoWriters(t *testing.T) {
	const id = "twowriters"
	c := startCluster(t)
	st1, w1 := openLedger(t, c, "writer1")
	st2, w2 := openLedger(t, c, "writer2")
	c.waitJetStream(st1.JetStream())
	vkey := verifierKey(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := w1.Append(ctx, clusterSetup(id)); err != nil {
		t.Fatal(err)
	}
	js := st1.JetStream()
	c.waitHealthy(js, id)
	watchStore, err := natsstore.New(c.connect(), natsstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	watchJS := watchStore.JetStream()

	runners := []*projections.Runner{
		projections.NewRunner(st1, id, projections.RunnerOptions{Logger: slog.New(slog.DiscardHandler)}),
		projections.NewRunner(st2, id, projections.RunnerOptions{Logger: slog.New(slog.DiscardHandler)}),
	}
	// Each runner follows the log as `alliance serve` has it follow:
	// starting over a second after a failure.
	var restarts atomic.Int64
	for _, r := range runners {
		go func() {
			for ctx.Err() == nil {
				if err := r.Follow(ctx); err != nil && ctx.Err() == nil {
					restarts.Add(1)
					t.Logf("a runner stopped following, starting over: %v", err)
					time.Sleep(time.Second)
				}
			}
		}()
	}

	tr := newTracker(id)
	tr.run(w1, "a", 4)
	tr.run(w2, "b", 4)
	defer tr.shutdown()
	time.Sleep(time.Second)

	var rows []faultRow
	for rep := 1; rep <= faultRepeats; rep++ {
		leader, _ := c.waitHealthy(js, id)
		n := c.node(leader)
		wt := tr.faultAt()
		lw := watchLeader(watchJS, id, leader, wt.since)
		c.kill(n)
		d := tr.resumed(t, wt, resumeLimit)
		c.start(n)
		nl := lw.result(resumeLimit)
		time.Sleep(settleLoad)
		res, errs := tr.check(t, c, vkey)
		t.Logf("kill -9 leader #%d (two writers): writes resumed after %v (new leader after %v); %d acknowledged, %d lost, %d duplicates, %d events, %d append errors",
			rep, d.Round(time.Millisecond), msText(nl), res.acked, res.lost, res.duplicates, res.events, errs)
		rows = append(rows, faultRow{Test: t.Name(), Fault: "kill -9 stream leader, 2 writers", Repetition: rep, Acked: res.acked,
			Lost: res.lost, Duplicates: res.duplicates, Quarantined: res.quarantined, Events: res.events, Errors: errs,
			RefusedStored: res.refusedStored, RecoveryMS: ms(d), NewLeaderMS: ms(nl)})
		if t.Failed() {
			addRows(t, rows)
			t.FailNow()
		}
	}
	tr.shutdown()
	tr.stop = make(chan struct{}) // the deferred shutdown has nothing left to stop
	res := tr.checkLog(t, c, vkey)

	// Both runners reach the end of the log and agree.
	wctx, wcancel := context.WithTimeout(ctx, time.Minute)
	defer wcancel()
	var views [][]byte
	for i, r := range runners {
		if err := r.WaitFor(wctx, res.events); err != nil {
			t.Fatalf("runner %d did not reach position %d: %v (at %d)", i+1, res.events, err, r.Last())
		}
		var b []byte
		err := r.View(func(m *projections.Model) error {
			bal, err := m.Balances(projections.Query{Seq: res.events})
			if err != nil {
				return err
			}
			b, err = json.Marshal(bal)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		views = append(views, b)
	}
	if !bytes.Equal(views[0], views[1]) {
		t.Errorf("the runners' balances at position %d differ:\n%s\n%s", res.events, views[0], views[1])
	} else {
		t.Logf("both runners at position %d agree on the balances (%d bytes of JSON); they started over %d times", res.events, len(views[0]), restarts.Load())
	}
	// Read your writes after the faults: a write through either writer is
	// awaited by both runners, as a read with min_seq waits, also by a
	// runner that had stopped following and started over.
	for i, w := range []*ledger.Writer{w1, w2} {
		rc, err := w.Append(wctx, clusterContribution(id, fmt.Sprintf("after-%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		for j, r := range runners {
			if err := r.WaitFor(wctx, rc.Last); err != nil {
				t.Errorf("runner %d, waiting for position %d written through writer %d: %v", j+1, rc.Last, i+1, err)
			}
		}
	}
	tr.mu.Lock()
	if tr.errs > 0 {
		t.Logf("append errors (not acknowledged, so not required in the log): %d, first: %q", tr.errs, tr.errLog)
	}
	tr.mu.Unlock()
	addRows(t, rows)
}
