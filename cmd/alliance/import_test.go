package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/audit"
	"github.com/alliance-ledger/alliance/ledger/importer"
)

const importFounding = `[
 {"type": "alliance.founded", "occurred_at": "2024-03-01T09:00:00+08:00",
  "payload": {"name": "储能联盟", "type": "rd-cooperation", "legal_form": "non-legal-person", "base_currency": "CNY", "custodian": "M01"}},
 {"type": "member.admitted", "occurred_at": "2024-03-01T09:00:00+08:00",
  "payload": {"member": "M01", "name": "某大学", "kind": "university", "role": "chair"}},
 {"type": "member.admitted", "occurred_at": "2024-03-01T09:00:00+08:00",
  "payload": {"member": "M02", "name": "某电池公司", "kind": "enterprise", "role": "ordinary"}},
 {"type": "member.admitted", "occurred_at": "2024-03-01T09:00:00+08:00",
  "payload": {"member": "M03", "name": "某研究院", "kind": "research-institute", "role": "ordinary"}}
]`

// importContributions writes a contributions CSV file of n rows; bad maps
// a 0-based row to the member it names instead (an unknown one, say).
func importContributions(t *testing.T, n int, bad map[int]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("成员编号 member,投入类型 kind,金额(元) value,投入日期 date,说明 description\n")
	for i := range n {
		m := []string{"M02", "M03"}[i%2]
		if v, ok := bad[i]; ok {
			m = v
		}
		fmt.Fprintf(&b, "%s,cash,\"%d.%02d\",2025-03-01,批次 %d\n", m, 1000+i, i%100, i)
	}
	path := filepath.Join(t.TempDir(), "contributions.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func foundImportAlliance(t *testing.T, data, alliance string) {
	t.Helper()
	found := filepath.Join(t.TempDir(), "found.json")
	if err := os.WriteFile(found, []byte(importFounding), 0o644); err != nil {
		t.Fatal(err)
	}
	cli(t, data, "record", "--alliance", alliance, "--key", "found", "--file", found)
}

// A large import signs a checkpoint of the whole log, its tree built while
// the rows were appended: verify recomputes the tree from the log and
// checks the checkpoint against it.
func TestImportSignsCheckpoint(t *testing.T) {
	data := t.TempDir()
	foundImportAlliance(t, data, "big")
	// Several chunks and parse batches, and more events than one
	// checkpoint record holds: one is signed while the rows are appended.
	const n = audit.MaxLeavesPerRecord + 2345
	file := importContributions(t, n, nil)
	if out := cli(t, data, "import", "--alliance", "big", file); !strings.Contains(out, fmt.Sprintf("imported %d rows into big at positions 5-%d", n, n+4)) {
		t.Fatalf("import: %s", out)
	}
	var cps []struct {
		Size int64 `json:"size"`
	}
	if err := json.Unmarshal([]byte(cli(t, data, "audit", "checkpoints", "--alliance", "big", "--json")), &cps); err != nil {
		t.Fatal(err)
	}
	var sizes []int64
	for _, cp := range cps {
		sizes = append(sizes, cp.Size)
	}
	// The founding's checkpoint, one every MaxLeavesPerRecord events after
	// it, and the last of the whole log.
	if want := []int64{4, 4 + audit.MaxLeavesPerRecord, n + 4}; fmt.Sprint(sizes) != fmt.Sprint(want) {
		t.Fatalf("checkpoints of sizes %v, want %v", sizes, want)
	}
	if out := cli(t, data, "verify", "--alliance", "big"); !strings.HasPrefix(out, fmt.Sprintf("ok  big: %d events", n+4)) {
		t.Fatalf("verify: %s", out)
	}
	if out := cli(t, data, "import", "--alliance", "big", file); !strings.Contains(out, fmt.Sprintf("nothing appended: all %d rows were imported before", n)) {
		t.Fatalf("second import: %s", out)
	}
}

// Rows are checked while the file is read: a bad row anywhere, found by
// the parser or by the check against the state, still means every
// problem is reported, in file order, and nothing is appended.
func TestImportLargeFileWithErrors(t *testing.T) {
	data := t.TempDir()
	foundImportAlliance(t, data, "bad")
	file := importContributions(t, 3000, map[int]string{5: "M99", 1500: "bad id!", 2998: "M77"})
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == "ALLIANCE_DATA" {
			return data
		}
		return ""
	}
	err := run(context.Background(), []string{"alliance", "import", "--alliance", "bad", "--json", file}, strings.NewReader(""), &out, &errOut, getenv)
	if err == nil || !strings.Contains(err.Error(), "3 problems found; nothing was appended") {
		t.Fatalf("import: %v\n%s", err, errOut.String())
	}
	var rep importReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	// The parser's problems come first, then the check's, as the report
	// has always listed them.
	var got []string
	for _, e := range rep.Errors {
		got = append(got, fmt.Sprintf("%d %s", e.Row, e.Column))
	}
	if want := []string{"1502 成员编号 member", "7 member", "3000 member"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("errors at %q, want %q", got, want)
	}
	if rep.Rows != 2999 || rep.Appended != 0 {
		t.Errorf("%d rows, %d appended; want 2999 and 0", rep.Rows, rep.Appended)
	}
	if log := cli(t, data, "log", "--alliance", "bad", "--json"); strings.Count(strings.TrimSpace(log), "\n")+1 != 4 {
		t.Errorf("the log holds more than the founding:\n%s", log)
	}
}

// memRecords is an in-memory audit.Records.
type memRecords map[string][][]byte

func (m memRecords) Append(_ context.Context, alliance, kind string, data []byte) (uint64, error) {
	m[alliance+"/"+kind] = append(m[alliance+"/"+kind], data)
	return uint64(len(m[alliance+"/"+kind])), nil
}

func (m memRecords) Read(_ context.Context, alliance, kind string, fn func([]byte) error) error {
	for _, b := range m[alliance+"/"+kind] {
		if err := fn(b); err != nil {
			return err
		}
	}
	return nil
}

// The tree takes the import's commits after the log read when it loaded,
// skipping what that read held already, and stops at a commit that does
// not follow (another writer appended in between): the checkpoint reads
// the rest from the log, and its root is the log's.
func TestImportTreeFollowsCommits(t *testing.T) {
	signer, _, _, err := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), "ledger.key"), ledgerKeyName)
	if err != nil {
		t.Fatal(err)
	}
	var log [][]byte
	for i := range 12 {
		log = append(log, fmt.Appendf(nil, `{"seq":%d}`, i+1))
	}
	visible := 4 // what the log holds when the tree loads
	c := &audit.Checkpointer{Alliance: "a", Signer: signer, Records: memRecords{}, Every: 1,
		Read: func(_ context.Context, from uint64, fn func(uint64, []byte) error) error {
			for seq := from; seq <= uint64(visible); seq++ {
				if err := fn(seq, log[seq-1]); err != nil {
					return err
				}
			}
			return nil
		}}
	commit := func(first, last uint64) *ledger.Commit {
		return &ledger.Commit{Alliance: "a", First: first, Events: log[first-1 : last]}
	}
	tr := &importTree{c: c, wake: make(chan struct{}, 1), done: make(chan error, 1)}
	tr.onCommit(commit(2, 3)) // read when loading
	tr.onCommit(commit(4, 6)) // partly
	go tr.run(context.Background())
	tr.onCommit(commit(7, 8))
	tr.onCommit(commit(11, 12)) // 9 and 10 are another writer's
	if err := tr.stop(); err != nil {
		t.Fatal(err)
	}
	if got := c.Tree().Size(); got != 8 {
		t.Fatalf("the tree holds %d events, want 8", got)
	}
	visible = 12
	rec, signed, err := c.Checkpoint(context.Background(), time.Now())
	if err != nil || !signed {
		t.Fatalf("checkpoint: signed %v, %v", signed, err)
	}
	want := audit.NewTree()
	for _, ev := range log {
		want.Append(ev)
	}
	wantRoot, _ := want.Root(12)
	gotRoot, _ := c.Tree().Root(12)
	if rec.Size != 12 || gotRoot != wantRoot {
		t.Errorf("checkpoint of size %d, root %v; want 12, %v", rec.Size, gotRoot, wantRoot)
	}
}

// Rows checked batch by batch as parsed are chunked as the whole file's
// rows always were (the keys of a file imported before must not change):
// at most importChunk consecutive rows of one sheet, whatever the batches.
func TestImportChunksAsWholeFile(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		var rows []importer.Row
		sheets := []string{"成员", "项目", "投入"}
		for s := range sheets {
			for i := range rng.IntN(700) {
				rows = append(rows, importer.Row{Kind: "contributions", Sheet: sheets[s], Row: i + 2,
					Command: ledger.Command{Type: ledger.TypeContributionRecorded, Payload: &ledger.ContributionRecorded{}}})
			}
		}
		// The keys the whole file's rows were always given.
		f := &importer.File{Digest: strings.Repeat("ab", 32)}
		var want []string
		for lo := 0; lo < len(rows); {
			hi := lo + 1
			for hi < len(rows) && hi-lo < importChunk && rows[hi].Sheet == rows[lo].Sheet {
				hi++
			}
			want = append(want, fmt.Sprintf("import/%s/%s/%d-%d", f.Digest[:16], rows[lo].Sheet, rows[lo].Row, rows[hi-1].Row))
			lo = hi
		}
		c := &importCheck{st: ledger.NewState("a"), alliance: "a", rep: &importReport{ByKind: map[string]int{}}}
		for lo := 0; lo < len(rows); {
			hi := min(len(rows), lo+rng.IntN(450))
			c.add(checkBatch{f: f, rows: rows[lo:hi]})
			lo = hi
		}
		c.add(checkBatch{f: f, end: true})
		var got []string
		for _, r := range c.reqs {
			got = append(got, r.IdempotencyKey)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("round %d: keys\n%q\nwant\n%q", round, got, want)
		}
		if c.rep.Rows != len(rows) || len(c.errs) != len(rows) {
			t.Fatalf("round %d: %d rows counted, %d checked (every one refused by an alliance never founded), want %d", round, c.rep.Rows, len(c.errs), len(rows))
		}
	}
}

// While the import appends, the tree signs a checkpoint at every
// MaxLeavesPerRecord events, as the checkpoint after the import would on
// its way; if another process signed one meanwhile, it signs nothing and
// leaves the rest to the checkpoint after the import.
func TestImportTreeSignsWhileAppending(t *testing.T) {
	signer, _, _, err := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), "ledger.key"), ledgerKeyName)
	if err != nil {
		t.Fatal(err)
	}
	var log [][]byte
	for i := range 2*audit.MaxLeavesPerRecord + 1000 {
		log = append(log, fmt.Appendf(nil, `{"seq":%d}`, i+1))
	}
	commit := func(first, last int) *ledger.Commit {
		return &ledger.Commit{Alliance: "a", First: uint64(first), Events: log[first-1 : last]}
	}
	for _, other := range []bool{false, true} {
		recs := memRecords{}
		c := &audit.Checkpointer{Alliance: "a", Signer: signer, Records: recs, Every: 1,
			Read: func(_ context.Context, from uint64, fn func(uint64, []byte) error) error {
				if other {
					// Another process signs once this one has read the latest.
					recs.Append(context.Background(), "a", audit.KindCheckpoints, []byte(`{"size":4,"prev_size":0,"note":"x","leaf_hashes":"","signed_at":"2026-01-01T00:00:00Z"}`))
				}
				for seq := from; seq <= 4; seq++ {
					if err := fn(seq, log[seq-1]); err != nil {
						return err
					}
				}
				return nil
			}}
		tr := &importTree{c: c, wake: make(chan struct{}, 1), done: make(chan error, 1)}
		go tr.run(context.Background())
		for first := 5; first <= len(log); first += 5000 {
			tr.onCommit(commit(first, min(first+4999, len(log))))
		}
		if err := tr.stop(); err != nil {
			t.Fatal(err)
		}
		var sizes []int64
		recs.Read(context.Background(), "a", audit.KindCheckpoints, func(b []byte) error {
			var r audit.CheckpointRecord
			json.Unmarshal(b, &r)
			sizes = append(sizes, r.Size)
			return nil
		})
		want := []int64{audit.MaxLeavesPerRecord, 2 * audit.MaxLeavesPerRecord}
		if other {
			want = []int64{4}
		}
		if fmt.Sprint(sizes) != fmt.Sprint(want) || tr.raced != other {
			t.Errorf("another process signing: %v; records of sizes %v (want %v), raced %v", other, sizes, want, tr.raced)
		}
	}
}
