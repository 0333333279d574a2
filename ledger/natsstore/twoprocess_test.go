package natsstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
)

// Two writer processes append to one alliance through a NATS server
// listening on loopback. Each also tries to admit the same contested
// members: with serializable appends exactly one admission of each
// succeeds, and the other is rejected after the loser catches up and
// re-validates.

const (
	twoAlliance   = "twoproc"
	twoPerProcess = 300
	twoEvery      = 7 // every 7th append is followed by a contested admission
	twoContested  = (twoPerProcess + twoEvery - 1) / twoEvery
)

func TestTwoWriterChild(t *testing.T) {
	url := os.Getenv("ALLIANCE_TWO_URL")
	if url == "" {
		t.Skip("run by TestTwoWriterProcesses")
	}
	name := os.Getenv("ALLIANCE_TWO_NAME")
	nc, err := natsstore.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	st, err := natsstore.New(nc, natsstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := ledger.NewWriter(st, ledger.WriterOptions{})
	defer w.Close()
	ctx := context.Background()
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	report := func(format string, a ...any) {
		mu.Lock()
		fmt.Fprintf(out, format+"\n", a...)
		out.Flush()
		mu.Unlock()
	}
	at := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Go(func() {
			for i := c; i < twoPerProcess; i += 8 {
				key := fmt.Sprintf("%s-%d", name, i)
				rc, err := w.Append(ctx, ledger.Request{Alliance: twoAlliance, Actor: name, IdempotencyKey: key, Commands: []ledger.Command{
					ledger.NewCommand(at, &ledger.ContributionRecorded{Member: "M02", Kind: "cash", Value: ledger.Money{Amount: 1, Currency: "CNY"}, Description: key}),
				}})
				if err != nil {
					report("error %s %v", key, err)
					continue
				}
				report("ack %s %d", key, rc.First)
				if i%twoEvery == 0 {
					m := fmt.Sprintf("X%02d", i/twoEvery)
					_, err := w.Append(ctx, ledger.Request{Alliance: twoAlliance, Actor: name, Commands: []ledger.Command{
						ledger.NewCommand(at, &ledger.MemberAdmitted{Member: m, Name: name, Kind: "other", Role: "ordinary"}),
					}})
					switch {
					case err == nil:
						report("admitted %s", m)
					case errors.Is(err, ledger.ErrConflict):
						report("refused %s", m)
					default:
						report("error admit %s %v", m, err)
					}
				}
			}
		})
	}
	wg.Wait()
}

func TestTwoWriterProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes; skipped with -short")
	}
	emb, err := natsstore.StartEmbedded(t.TempDir(), "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Shutdown()
	nc, err := emb.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	st, err := natsstore.New(nc, natsstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := ledger.NewWriter(st, ledger.WriterOptions{})
	defer w.Close()
	setup := crashSetup()
	setup.Alliance = twoAlliance
	if _, err := w.Append(t.Context(), setup); err != nil {
		t.Fatal(err)
	}
	w.Close()

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		lines []string
		err   error
	}
	results := make([]outcome, 2)
	var wg sync.WaitGroup
	for p := range 2 {
		wg.Go(func() {
			cmd := exec.Command(exe, "-test.run=^TestTwoWriterChild$")
			cmd.Env = append(os.Environ(), "ALLIANCE_TWO_URL="+emb.ClientURL(), fmt.Sprintf("ALLIANCE_TWO_NAME=p%d", p))
			cmd.Stderr = os.Stderr
			out, err := cmd.Output()
			results[p] = outcome{strings.Split(strings.TrimSpace(string(out)), "\n"), err}
		})
	}
	wg.Wait()

	acks := map[string]string{}
	admitted := map[string]int{}
	refused := map[string]int{}
	for p, r := range results {
		if r.err != nil {
			t.Fatalf("process %d: %v", p, r.err)
		}
		for _, l := range r.lines {
			f := strings.Fields(l)
			switch {
			case len(f) == 0 || f[0] == "PASS" || f[0] == "ok":
			case f[0] == "ack":
				acks[f[1]] = f[2]
			case f[0] == "admitted":
				admitted[f[1]]++
			case f[0] == "refused":
				refused[f[1]]++
			case f[0] == "error":
				t.Errorf("process %d: %s", p, l)
			}
		}
	}
	if len(acks) != 2*twoPerProcess {
		t.Errorf("%d acknowledged appends, want %d", len(acks), 2*twoPerProcess)
	}
	for i := range twoContested {
		m := fmt.Sprintf("X%02d", i)
		if admitted[m] != 1 || refused[m] != 1 {
			t.Errorf("member %s: admitted %d times, refused %d times; want once each", m, admitted[m], refused[m])
		}
	}

	// The log holds every acknowledged append once, at its position, gaplessly.
	seen := map[string]bool{}
	var n uint64
	err = st.Read(t.Context(), twoAlliance, 1, func(s ledger.Stored) error {
		n++
		if s.Seq != n {
			return fmt.Errorf("gap at %d", n)
		}
		e, err := ledger.DecodeEvent(s.Data)
		if err != nil {
			return err
		}
		if e.Type == ledger.TypeContributionRecorded {
			if seen[e.IdempotencyKey] {
				return fmt.Errorf("%s stored twice", e.IdempotencyKey)
			}
			seen[e.IdempotencyKey] = true
			if want := acks[e.IdempotencyKey]; want != fmt.Sprint(s.Seq) {
				return fmt.Errorf("%s at %d, acknowledged at %s", e.IdempotencyKey, s.Seq, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(acks) {
		t.Errorf("log has %d contributions, %d were acknowledged", len(seen), len(acks))
	}
	if want := uint64(3 + 2*twoPerProcess + twoContested); n != want {
		t.Errorf("log has %d events, want %d", n, want)
	}
}
