package natsstore_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
)

// The crash test runs appenders in a child process (this test binary,
// re-executed with ALLIANCE_CRASH_CHILD set) and kills it with SIGKILL at a
// random moment. The child prints a line for every commit the store
// acknowledged (with the SHA-256 of each event's bytes) before the writer
// answers its callers, and a line for every caller's receipt. After each
// kill the parent reopens the log and checks that every acknowledged event
// is there, byte for byte, once, in a gapless log.

const crashAlliance = "crash"

// ackStore reports each durable commit on stdout before the writer learns
// of it, so that an acknowledged request is always covered by a reported commit.
type ackStore struct {
	ledger.Store
	mu  sync.Mutex
	out *bufio.Writer
}

func (s *ackStore) Append(ctx context.Context, c *ledger.Commit) error {
	if err := s.Store.Append(ctx, c); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, ev := range c.Events {
		sum := sha256.Sum256(ev)
		fmt.Fprintf(s.out, "commit %d %s\n", c.First+uint64(i), hex.EncodeToString(sum[:]))
	}
	return s.out.Flush()
}

func TestCrashChild(t *testing.T) {
	dir := os.Getenv("ALLIANCE_CRASH_CHILD")
	if dir == "" {
		t.Skip("run by TestCrashRecovery")
	}
	round := os.Getenv("ALLIANCE_CRASH_ROUND")
	emb, err := natsstore.StartEmbedded(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := emb.Connect()
	if err != nil {
		t.Fatal(err)
	}
	st, err := natsstore.New(nc, natsstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := &ackStore{Store: st, out: bufio.NewWriter(os.Stdout)}
	w := ledger.NewWriter(out, ledger.WriterOptions{})
	ctx := context.Background()
	if _, err := w.Append(ctx, crashSetup()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for c := range 64 {
		wg.Go(func() {
			for i := 0; ; i++ {
				key := fmt.Sprintf("r%s-c%d-%d", round, c, i)
				rc, err := w.Append(ctx, crashContribution(key))
				if err != nil {
					fmt.Fprintf(os.Stderr, "append %s: %v\n", key, err)
					os.Exit(3)
				}
				out.mu.Lock()
				fmt.Fprintf(out.out, "ack %s %d %d\n", key, rc.First, rc.Last)
				out.out.Flush()
				out.mu.Unlock()
			}
		})
	}
	wg.Wait() // never returns: the parent kills the process
}

func crashSetup() ledger.Request {
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return ledger.Request{Alliance: crashAlliance, Actor: "secretariat", IdempotencyKey: "setup", Commands: []ledger.Command{
		ledger.NewCommand(at, &ledger.AllianceFounded{Name: "崩溃测试联盟", Type: "rd-cooperation", LegalForm: "self-organised", BaseCurrency: "CNY", Custodian: "M01"}),
		ledger.NewCommand(at, &ledger.MemberAdmitted{Member: "M01", Name: "甲大学", Kind: "university", Role: "chair"}),
		ledger.NewCommand(at, &ledger.MemberAdmitted{Member: "M02", Name: "乙公司", Kind: "enterprise", Role: "ordinary"}),
	}}
}

func crashContribution(key string) ledger.Request {
	at := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	return ledger.Request{Alliance: crashAlliance, Actor: "member:M02", IdempotencyKey: key, Commands: []ledger.Command{
		ledger.NewCommand(at, &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: ledger.Money{Amount: 100_00, Currency: "CNY"}, Description: key}),
	}}
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes; skipped with -short")
	}
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	commits := map[uint64]string{} // position -> sha256 of the acknowledged event bytes
	acks := map[string][2]uint64{} // idempotency key -> positions
	const rounds = 10
	for round := range rounds {
		cmd := exec.Command(exe, "-test.run=^TestCrashChild$", "-test.v=false")
		cmd.Env = append(os.Environ(), "ALLIANCE_CRASH_CHILD="+dir, "ALLIANCE_CRASH_ROUND="+strconv.Itoa(round))
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Let it run until it has acknowledged something, then kill it
		// under load after a random while.
		var deadline <-chan time.Time
		started := false
	collect:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					break collect
				}
				if !started && strings.HasPrefix(l, "ack ") {
					started = true
					deadline = time.After(time.Duration(50+rng.IntN(1000)) * time.Millisecond)
				}
				parseCrashLine(t, l, commits, acks)
			case <-deadline:
				break collect
			}
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		for l := range lines { // what the child wrote before it died
			parseCrashLine(t, l, commits, acks)
		}
		if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
			t.Fatalf("round %d: child ended with %v, want killed", round, err)
		}
		n := verifyCrashLog(t, dir, commits, acks)
		t.Logf("round %d: %d acknowledged requests so far, log has %d events", round, len(acks), n)
	}
}

func parseCrashLine(t *testing.T, l string, commits map[uint64]string, acks map[string][2]uint64) {
	f := strings.Fields(l)
	switch {
	case len(f) == 3 && f[0] == "commit" && len(f[2]) == 2*sha256.Size:
		// (The child's bufio.Writer writes a commit's lines in 4 KB chunks:
		// killed between two, it leaves a last line with a cut digest.)
		pos, _ := strconv.ParseUint(f[1], 10, 64)
		if old, ok := commits[pos]; ok && old != f[2] {
			t.Fatalf("position %d acknowledged twice with different bytes", pos)
		}
		commits[pos] = f[2]
	case len(f) == 4 && f[0] == "ack":
		first, _ := strconv.ParseUint(f[2], 10, 64)
		last, _ := strconv.ParseUint(f[3], 10, 64)
		acks[f[1]] = [2]uint64{first, last}
	}
	// Partial last lines of a killed child are ignored: they were never
	// acknowledged to anyone.
}

// verifyCrashLog reopens the data directory and checks the log against
// everything acknowledged. It returns the number of events.
func verifyCrashLog(t *testing.T, dir string, commits map[uint64]string, acks map[string][2]uint64) int {
	t.Helper()
	emb, err := natsstore.StartEmbedded(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Shutdown()
	nc, err := emb.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	st, err := natsstore.New(nc, natsstore.Options{OnQuarantine: func(q natsstore.Quarantined) {
		t.Errorf("quarantined message after crash: %+v", q)
	}})
	if err != nil {
		t.Fatal(err)
	}
	var events []ledger.Stored
	err = st.Read(t.Context(), crashAlliance, 1, func(s ledger.Stored) error {
		events = append(events, s)
		return nil
	})
	if err != nil && !errors.Is(err, ledger.ErrNotFound) {
		t.Fatal(err)
	}
	keys := map[string]uint64{}
	for i, s := range events {
		if s.Seq != uint64(i+1) {
			t.Fatalf("gap: event %d at position %d", i+1, s.Seq)
		}
		e, err := ledger.DecodeEvent(s.Data)
		if err != nil {
			t.Fatalf("position %d: %v", s.Seq, err)
		}
		if prev, dup := keys[e.IdempotencyKey]; dup && e.IdempotencyKey != "setup" {
			t.Fatalf("request %s stored twice (positions %d and %d)", e.IdempotencyKey, prev, s.Seq)
		}
		keys[e.IdempotencyKey] = s.Seq
	}
	for pos, want := range commits {
		if pos > uint64(len(events)) {
			t.Fatalf("acknowledged position %d lost: the log ends at %d", pos, len(events))
		}
		sum := sha256.Sum256(events[pos-1].Data)
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Fatalf("position %d: stored bytes differ from the acknowledged ones", pos)
		}
	}
	for key, pos := range acks {
		if keys[key] != pos[0] {
			t.Fatalf("acknowledged request %s at %d: log has it at %d", key, pos[0], keys[key])
		}
	}
	return len(events)
}
