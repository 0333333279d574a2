//go:build faults

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
	"github.com/alliance-ledger/alliance/projections"
)

// TestDurability kills `alliance serve` with SIGKILL under HTTP load, again
// and again, on one data directory (go test -tags faults -run Durability
// -v ./cmd/alliance/). The binary is built with go build, the sample
// alliance made by `alliance demo --no-serve`, and a secretariat token by
// `alliance token create`. Each round:
//
//  1. starts `alliance serve --addr 127.0.0.1:0` and times it to its first
//     acknowledged write;
//  2. retries, with the same Idempotency-Key and body, every request of
//     the round before that got no answer: one that the log held after the
//     kill must answer 200 with its position there, one it did not must
//     append (201), once; and a few acknowledged ones, which must answer
//     200 with their original positions;
//  3. reads balances?detail=projects, risk and outputs (with min_seq, so
//     they include everything acknowledged so far) from the restarted
//     server, whose model is a snapshot restored plus the log replayed
//     and followed;
//  4. drives 16 clients POSTing single contributions, each with its own
//     key, and kills the server after 0.5-3 s;
//  5. with the server dead, reads the log: gapless, every acknowledged
//     request present exactly once at the position it was acknowledged
//     with, no request twice; and folds it from the first event, without
//     snapshots, up to the position the server answered at in 3: the
//     three views must be equal to the server's;
//  6. every other round, runs `alliance replay` (a fresh snapshot at the
//     log's end), so that restarts alternate between a snapshot at the end
//     and one a whole round of writes behind.
//
// ALLIANCE_DURABILITY_KILLS sets the number of kills (default 10).
func TestDurability(t *testing.T) {
	kills := 10
	if s := os.Getenv("ALLIANCE_DURABILITY_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("ALLIANCE_DURABILITY_KILLS=%q: want a positive number", s)
		}
		kills = n
	}
	ctx := t.Context()
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "alliance")
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(tmp, "data")
	runBin(t, bin, "demo", "--no-serve", "--data", data)
	token := strings.TrimSpace(strings.SplitN(runBin(t, bin, "token", "create", "--data", data, "--role", "secretariat", "--alliance", "*", "--name", "durability"), "\n", 2)[0])
	if token == "" {
		t.Fatal("token create printed no token")
	}

	d := &durability{t: t, bin: bin, data: data, token: token, tmp: tmp,
		acked: map[string]uint64{}, bodies: map[string][]byte{}, rng: rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))}
	var serveTimes, writeTimes []time.Duration
	var stats durabilityStats
	var pending []string // keys of the requests without an answer, and where the log has them
	inLog := map[string]uint64{}
	for round := 0; round <= kills; round++ {
		final := round == kills
		srv := d.start(round)
		serveTimes = append(serveTimes, srv.serving)

		// 1. The first write after the restart.
		key := fmt.Sprintf("dur-r%d-first", round)
		t0 := time.Now()
		var first uint64
		for {
			rc, status, err := d.post(ctx, srv.client, srv.url, key, d.body(key))
			if err == nil && status == http.StatusCreated {
				first = rc.First
				break
			}
			if err == nil || time.Since(t0) > time.Minute {
				t.Fatalf("round %d: first write after restart: status %d, %v", round, status, err)
			}
			time.Sleep(5 * time.Millisecond) // not listening yet cannot happen: it printed its address
		}
		writeTimes = append(writeTimes, srv.since())
		d.acked[key] = first
		stats.acked++
		maxSeq := first

		// 2. Retries of what got no answer, and of a few acknowledged.
		for _, key := range pending {
			rc, status, err := d.post(ctx, srv.client, srv.url, key, d.bodies[key])
			if err != nil {
				t.Fatalf("round %d: retry %s: %v", round, key, err)
			}
			switch pos, had := inLog[key]; {
			case had && (status != http.StatusOK || rc.First != pos):
				t.Errorf("round %d: retry of %s, in the log at %d: status %d at %d, want 200 at %d", round, key, pos, status, rc.First, pos)
			case !had && status != http.StatusCreated:
				t.Errorf("round %d: retry of %s, not in the log: status %d, want 201", round, key, status)
			case had:
				stats.retriedFound++
			default:
				stats.retriedAppended++
			}
			d.acked[key] = rc.First
			stats.acked++
			maxSeq = max(maxSeq, rc.First)
		}
		pending = nil
		for _, key := range d.someAcked(20) {
			rc, status, err := d.post(ctx, srv.client, srv.url, key, d.bodies[key])
			if err != nil || status != http.StatusOK || rc.First != d.acked[key] {
				t.Errorf("round %d: retry of acknowledged %s at %d: status %d at %d, %v", round, key, d.acked[key], status, rc.First, err)
			}
			stats.retriedAcked++
		}

		// 3. The views of the restored and following server.
		views, at := d.views(ctx, srv, maxSeq)
		snapAt := srv.snapshotAt

		if final {
			srv.stop()
			d.verify(round, &stats)
			d.compare(round, views, at)
			t.Logf("final restart: snapshot at %d, views as of %d; up in %v, first write %v", snapAt, at, srv.serving.Round(time.Millisecond), writeTimes[len(writeTimes)-1].Round(time.Millisecond))
			break
		}

		// 4. Load, then SIGKILL.
		loadFor := time.Duration(500+d.rng.IntN(2500)) * time.Millisecond
		acked, unanswered := d.load(ctx, srv, round, 16, loadFor)
		stats.acked += acked
		stats.unanswered += len(unanswered)
		stats.kills++

		// 5. The log and the rebuild, with the server dead.
		keys := d.verify(round, &stats)
		d.compare(round, views, at)
		inLog = map[string]uint64{}
		for _, k := range unanswered {
			if pos := keys[k]; len(pos) > 0 {
				inLog[k] = pos[0]
			}
		}
		pending = unanswered
		t.Logf("round %d: killed after %v of load: %d acknowledged, %d without answer (%d of them in the log); restored from the snapshot at %d, views as of %d equal the rebuild; serving after %v, first write after %v",
			round, loadFor, acked, len(unanswered), len(inLog), snapAt, at, srv.serving.Round(time.Millisecond), writeTimes[len(writeTimes)-1].Round(time.Millisecond))

		// 6. A fresh snapshot every other round.
		if round%2 == 0 {
			runBin(t, bin, "replay", "--data", data, "--alliance", "yrd-battery")
		}
	}
	t.Logf("kills %d, acknowledged writes %d, lost %d, duplicates %d, without answer %d (on retry: %d were in the log, %d appended), acknowledged retried %d",
		stats.kills, stats.acked, stats.lost, stats.duplicates, stats.unanswered, stats.retriedFound, stats.retriedAppended, stats.retriedAcked)
	t.Logf("restart to 'serving': %s; to the first acknowledged write: %s", durStats(serveTimes), durStats(writeTimes))
	if stats.lost != 0 || stats.duplicates != 0 {
		t.Errorf("lost %d, duplicates %d: want 0", stats.lost, stats.duplicates)
	}
}

type durabilityStats struct {
	kills, acked, unanswered, lost, duplicates  int
	retriedFound, retriedAppended, retriedAcked int
}

type durability struct {
	t                     *testing.T
	bin, data, token, tmp string
	rng                   *rand.Rand
	mu                    sync.Mutex
	acked                 map[string]uint64 // idempotency key -> first position acknowledged
	bodies                map[string][]byte
	amount                int64
}

const durabilityAlliance = "yrd-battery"

// runBin runs the binary to its end and returns its stdout.
func runBin(t *testing.T, bin string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("alliance %s: %v\n%s", strings.Join(args, " "), err, errb.Bytes())
	}
	return out.String()
}

// body is a new contribution's body for key, remembered for retries.
func (d *durability) body(key string) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.amount++
	b := fmt.Appendf(nil, `{"member":"M02","kind":"cash","value":{"amount":%d,"currency":"CNY"},"valuation":"declared","counterparty":"M01","description":%q}`, 100+d.amount, key)
	d.bodies[key] = b
	return b
}

// someAcked picks up to n acknowledged keys.
func (d *durability) someAcked(n int) []string {
	keys := make([]string, 0, len(d.acked))
	for k := range d.acked {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	d.rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	return keys[:min(n, len(keys))]
}

type serveProc struct {
	cmd        *exec.Cmd
	url        string
	client     *http.Client
	started    time.Time
	serving    time.Duration // from start to its "serving" line
	snapshotAt uint64        // the snapshot it restored (the latest saved), 0 for none
	stderr     string
}

func (s *serveProc) since() time.Duration { return time.Since(s.started) }

// start runs serve on the data directory and waits for its address.
func (d *durability) start(round int) *serveProc {
	t := d.t
	s := &serveProc{snapshotAt: d.latestSnapshot()}
	s.stderr = filepath.Join(d.tmp, fmt.Sprintf("serve-%02d.log", round))
	errf, err := os.Create(s.stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	s.cmd = exec.Command(d.bin, "serve", "--data", d.data, "--addr", "127.0.0.1:0")
	s.cmd.Stderr = errf
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.started = time.Now()
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			s.cmd.Wait()
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "serving" {
				addr <- f[1]
			}
		}
		close(addr)
	}()
	select {
	case u, ok := <-addr:
		if !ok {
			b, _ := os.ReadFile(s.stderr)
			t.Fatalf("round %d: serve ended before serving:\n%s", round, b)
		}
		s.url = u
	case <-time.After(2 * time.Minute):
		t.Fatalf("round %d: serve did not start within 2 minutes", round)
	}
	s.serving = time.Since(s.started)
	s.client = &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		Proxy: nil, MaxIdleConns: 64, MaxIdleConnsPerHost: 64, DisableCompression: true,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}}
	return s
}

// stop ends serve with SIGTERM, as an operator would.
func (s *serveProc) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
	s.client.CloseIdleConnections()
}

type receipt struct {
	First     uint64 `json:"first_seq"`
	Last      uint64 `json:"last_seq"`
	Duplicate bool   `json:"duplicate"`
}

// post sends one contribution; err is a transport failure (no answer).
func (d *durability) post(ctx context.Context, client *http.Client, base, key string, body []byte) (receipt, int, error) {
	var rc receipt
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/alliances/"+durabilityAlliance+"/contributions", bytes.NewReader(body))
	if err != nil {
		return rc, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+d.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := client.Do(req)
	if err != nil {
		return rc, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return rc, 0, err
	}
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(b, &rc); err != nil || rc.First == 0 || rc.First != rc.Last {
			d.t.Errorf("POST %s: status %d with body %s", key, resp.StatusCode, b)
		}
		if rc.Duplicate != (resp.StatusCode == http.StatusOK) {
			d.t.Errorf("POST %s: status %d with duplicate=%v", key, resp.StatusCode, rc.Duplicate)
		}
	} else {
		d.t.Errorf("POST %s: status %d: %s", key, resp.StatusCode, bytes.TrimSpace(b))
	}
	return rc, resp.StatusCode, nil
}

// durabilityViews are the views compared with the rebuild.
var durabilityViews = []string{"balances?detail=projects", "risk", "outputs"}

// views reads the compared views from the server once it has folded
// minSeq, all as of the same position.
func (d *durability) views(ctx context.Context, s *serveProc, minSeq uint64) (map[string]json.RawMessage, uint64) {
	t := d.t
	out := map[string]json.RawMessage{}
	var at uint64
	for _, v := range durabilityViews {
		sep := "?"
		if strings.Contains(v, "?") {
			sep = "&"
		}
		u := fmt.Sprintf("%s/v1/alliances/%s/%s%smin_seq=%d", s.url, durabilityAlliance, v, sep, minSeq)
		if at != 0 {
			u += fmt.Sprintf("&as_of_seq=%d", at)
		}
		st, b, err := httpGet(ctx, s.client, u, d.token)
		if err != nil || st != http.StatusOK {
			t.Fatalf("GET %s: status %d, %v: %s", u, st, err, b)
		}
		var cut struct {
			AsOfSeq uint64 `json:"as_of_seq"`
		}
		if err := json.Unmarshal(b, &cut); err != nil || cut.AsOfSeq < minSeq {
			t.Fatalf("GET %s: as of %d (%v), want at least %d", u, cut.AsOfSeq, err, minSeq)
		}
		if at == 0 {
			at = cut.AsOfSeq
		}
		out[v] = b
	}
	return out, at
}

// load drives clients that POST contributions, each with a new key, and
// kills the server after loadFor. It returns the number acknowledged and
// the keys of the requests that got no answer.
func (d *durability) load(ctx context.Context, s *serveProc, round, clients int, loadFor time.Duration) (int, []string) {
	t := d.t
	var mu sync.Mutex
	acked := 0
	var unanswered []string
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := 0; ; i++ {
				key := fmt.Sprintf("dur-r%d-c%d-%d", round, c, i)
				rc, status, err := d.post(ctx, s.client, s.url, key, d.body(key))
				mu.Lock()
				if err != nil {
					unanswered = append(unanswered, key)
					mu.Unlock()
					return // the server is gone
				}
				if status == http.StatusCreated {
					d.mu.Lock()
					d.acked[key] = rc.First
					d.mu.Unlock()
					acked++
				}
				mu.Unlock()
				if status != http.StatusCreated {
					return
				}
			}
		})
	}
	time.Sleep(loadFor)
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := s.cmd.Wait()
	wg.Wait()
	s.client.CloseIdleConnections()
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("round %d: serve ended with %v, want killed", round, err)
	}
	if b, _ := os.ReadFile(s.stderr); bytes.Contains(b, []byte(`"level":"ERROR"`)) || bytes.Contains(b, []byte("snapshot ignored")) || bytes.Contains(b, []byte("quarantined")) {
		t.Errorf("round %d: serve logged errors (%s)", round, s.stderr)
	}
	return acked, unanswered
}

// open opens the data directory in this process (serve must be stopped).
func (d *durability) open() *ledgerConn {
	e := &env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	sf := storeFlags{data: d.data, replicas: 1}
	lc, err := sf.open(d.t.Context(), e)
	if err != nil {
		d.t.Fatal(err)
	}
	lc.onQuarantine = func(q natsstore.Quarantined) { d.t.Errorf("quarantined message after a kill: %+v", q) }
	return lc
}

// latestSnapshot is the position of the snapshot serve restores next.
func (d *durability) latestSnapshot() uint64 {
	lc := d.open()
	defer lc.Close()
	seq, _, err := lc.store.Snapshots().LoadSnapshot(d.t.Context(), durabilityAlliance, ^uint64(0))
	if err != nil {
		return 0
	}
	return seq
}

// verify reads the log and checks it against every acknowledgement:
// gapless, each acknowledged request once at its position, none twice. It
// returns the positions of the test's requests by key.
func (d *durability) verify(round int, stats *durabilityStats) map[string][]uint64 {
	t := d.t
	lc := d.open()
	defer lc.Close()
	keys := map[string][]uint64{}
	var n uint64
	err := lc.store.Read(t.Context(), durabilityAlliance, 1, func(s ledger.Stored) error {
		n++
		if s.Seq != n {
			return fmt.Errorf("gap: event %d at position %d", n, s.Seq)
		}
		e, err := ledger.DecodeEvent(s.Data)
		if err != nil {
			return fmt.Errorf("position %d: %w", s.Seq, err)
		}
		// The API scopes keys to the caller: "tok-...:dur-...".
		if _, k, ok := strings.Cut(e.IdempotencyKey, ":"); ok && strings.HasPrefix(k, "dur-") {
			keys[k] = append(keys[k], s.Seq)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("round %d: read the log: %v", round, err)
	}
	lost, dups := 0, 0
	for k, pos := range keys {
		if len(pos) > 1 {
			dups++
			t.Errorf("round %d: request %s appended %d times, at %v", round, k, len(pos), pos)
		}
	}
	for k, first := range d.acked {
		pos := keys[k]
		if len(pos) == 0 {
			lost++
			t.Errorf("round %d: request %s acknowledged at %d is not in the log (it ends at %d)", round, k, first, n)
		} else if pos[0] != first {
			lost++
			t.Errorf("round %d: request %s acknowledged at %d is at %d", round, k, first, pos[0])
		}
	}
	stats.lost = max(stats.lost, lost)
	stats.duplicates = max(stats.duplicates, dups)
	return keys
}

// compare folds the log from its first event, without snapshots, up to
// position at, and compares each view with the server's answer.
func (d *durability) compare(round int, served map[string]json.RawMessage, at uint64) {
	t := d.t
	lc := d.open()
	defer lc.Close()
	r := lc.runner(durabilityAlliance, projections.RunnerOptions{}) // no snapshots: from zero
	if err := r.CatchUp(t.Context(), at); err != nil {
		t.Fatalf("round %d: rebuild: %v", round, err)
	}
	rebuilt := map[string]any{}
	err := r.View(func(m *projections.Model) error {
		if m.Last() != at {
			return fmt.Errorf("rebuilt to %d, want %d", m.Last(), at)
		}
		var err error
		if rebuilt["balances?detail=projects"], err = m.Balances(projections.Query{}); err != nil {
			return err
		}
		if rebuilt["risk"], err = m.Risk(projections.Query{}); err != nil {
			return err
		}
		rebuilt["outputs"], err = m.Outputs(projections.Query{})
		return err
	})
	if err != nil {
		t.Fatalf("round %d: rebuild: %v", round, err)
	}
	for _, v := range durabilityViews {
		want, err := json.Marshal(rebuilt[v])
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		if err := errors.Join(json.Unmarshal(served[v], &a), json.Unmarshal(want, &b)); err != nil {
			t.Fatalf("round %d: %s: %v", round, v, err)
		}
		if !reflect.DeepEqual(a, b) {
			name := strings.NewReplacer("?", "-", "=", "-").Replace(v)
			sp := filepath.Join(d.tmp, fmt.Sprintf("served-%02d-%s.json", round, name))
			rp := filepath.Join(d.tmp, fmt.Sprintf("rebuilt-%02d-%s.json", round, name))
			os.WriteFile(sp, served[v], 0o644)
			os.WriteFile(rp, want, 0o644)
			t.Errorf("round %d: %s as of %d served after the restart differs from the rebuild from zero (%s, %s)", round, v, at, sp, rp)
		}
	}
}

// durStats is min / median / max of a list of durations.
func durStats(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	return fmt.Sprintf("min %v, median %v, max %v (%d restarts)", r(s[0]), r(s[len(s)/2]), r(s[len(s)-1]), len(s))
}
