package projections_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/memstore"
	"github.com/alliance-ledger/alliance/projections"
)

var update = flag.Bool("update", false, "rewrite the golden views in testdata/golden")

// TestGolden runs the event scripts in testdata/golden and compares every
// view with the expected one in the same file.
//
// A script is a txtar archive. Its "script" file has one command per line:
//
//	@actor occurred_at type {payload}
//
// A line starting with "+" adds a command to the previous line's request;
// a line starting with "!" is a request that must be rejected, followed by
// " ~ " and a fragment of the error. Every other file, named
// "<view>[@<query>].json", is the expected view: view is balances, risk or
// outputs; query is seq=N, from=DATE, to=DATE joined by commas.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden scripts: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			m := runScript(t, ar)
			changed := false
			for i := range ar.Files {
				f := &ar.Files[i]
				if f.Name == "script" {
					continue
				}
				got := renderView(t, m, f.Name)
				if *update {
					if !bytes.Equal(f.Data, got) {
						f.Data, changed = got, true
					}
					continue
				}
				if !bytes.Equal(f.Data, got) {
					t.Errorf("%s differs (run with -update to accept):\n--- got\n%s", f.Name, got)
				}
			}
			if changed {
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

const goldenAlliance = "golden"

// runScript appends a script's requests through the writer into a memstore
// and folds the log.
func runScript(t *testing.T, ar *txtar.Archive) *projections.Model {
	t.Helper()
	var script []byte
	for _, f := range ar.Files {
		if f.Name == "script" {
			script = f.Data
		}
	}
	store := memstore.New()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	w := ledger.NewWriter(store, ledger.WriterOptions{Now: func() time.Time { return now }})
	defer w.Close()
	ctx := context.Background()
	type request struct {
		line   int
		req    ledger.Request
		reject string
	}
	var reqs []*request
	for i, line := range strings.Split(string(script), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cont := strings.HasPrefix(line, "+")
		reject := ""
		if strings.HasPrefix(line, "!") {
			var ok bool
			line, reject, ok = strings.Cut(line[1:], " ~ ")
			if !ok {
				t.Fatalf("line %d: a rejected request needs ' ~ error fragment'", i+1)
			}
		}
		line = strings.TrimSpace(strings.TrimPrefix(line, "+"))
		fields := strings.SplitN(line, " ", 4)
		if len(fields) != 4 || !strings.HasPrefix(fields[0], "@") {
			t.Fatalf("line %d: want '@actor occurred_at type {payload}', got %q", i+1, line)
		}
		occurred, err := time.Parse(time.RFC3339, fields[1])
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		var cmd ledger.Command
		raw := fmt.Sprintf(`{"type":%q,"occurred_at":%q,"payload":%s}`, fields[2], occurred.Format(time.RFC3339), fields[3])
		if err := json.Unmarshal([]byte(raw), &cmd); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if cont {
			if len(reqs) == 0 {
				t.Fatalf("line %d continues nothing", i+1)
			}
			r := reqs[len(reqs)-1]
			r.req.Commands = append(r.req.Commands, cmd)
			continue
		}
		reqs = append(reqs, &request{line: i + 1, reject: reject, req: ledger.Request{Alliance: goldenAlliance,
			Actor: fields[0][1:], IdempotencyKey: "line-" + strconv.Itoa(i+1), Commands: []ledger.Command{cmd}}})
	}
	for _, r := range reqs {
		before, _ := store.Last(ctx, goldenAlliance)
		_, err := w.Append(ctx, r.req)
		after, _ := store.Last(ctx, goldenAlliance)
		switch {
		case r.reject == "" && err != nil:
			t.Fatalf("line %d: %v", r.line, err)
		case r.reject != "" && err == nil:
			t.Fatalf("line %d: accepted, want rejected with %q", r.line, r.reject)
		case r.reject != "" && !strings.Contains(err.Error(), r.reject):
			t.Fatalf("line %d: rejected with %q, want %q", r.line, err, r.reject)
		case r.reject != "" && after != before:
			t.Fatalf("line %d: rejected but the log moved from %d to %d", r.line, before, after)
		}
	}
	m := fold(t, goldenAlliance, events(t, store, goldenAlliance))
	for seq := uint64(1); seq <= m.Last(); seq++ {
		checkInvariants(t, m, projections.Query{Seq: seq})
	}
	return m
}

// renderView computes the view a golden file names, as indented JSON.
func renderView(t *testing.T, m *projections.Model, name string) []byte {
	t.Helper()
	base := strings.TrimSuffix(name, ".json")
	view, query, _ := strings.Cut(base, "@")
	var q projections.Query
	if query != "" {
		for _, kv := range strings.Split(query, ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "seq":
				n, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				q.Seq = n
			case "from", "to":
				d, err := time.ParseInLocation("2006-01-02", v, m.Location())
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if k == "from" {
					q.From = d
				} else {
					q.To = d
				}
			default:
				t.Fatalf("%s: unknown query key %q", name, k)
			}
		}
	}
	var (
		v   any
		err error
	)
	switch view {
	case "balances":
		v, err = m.Balances(q)
	case "risk":
		v, err = m.Risk(q)
	case "outputs":
		v, err = m.Outputs(q)
	default:
		t.Fatalf("%s: unknown view %q", name, view)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
