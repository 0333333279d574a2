package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/natsstore"
)

type importBench struct {
	Rows        int     `json:"rows"`
	Runs        int     `json:"runs"`            // imports of each file, each into an alliance of its own
	CSVRowsPerS float64 `json:"csv_rows_per_s"`  // parse, validate, durable append (the median run)
	XLSXRowsPer float64 `json:"xlsx_rows_per_s"` // the same from a workbook
	// The slowest and fastest runs.
	CSVMin  float64 `json:"csv_rows_per_s_min"`
	CSVMax  float64 `json:"csv_rows_per_s_max"`
	XLSXMin float64 `json:"xlsx_rows_per_s_min"`
	XLSXMax float64 `json:"xlsx_rows_per_s_max"`

	// Appended counts the rows all the runs appended: each run's rows
	// once, or a run was not the import it claims to time.
	Appended int `json:"appended"`

	CSVBytes  int    `json:"csv_bytes"`
	XLSXBytes int    `json:"xlsx_bytes"`
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go_version"`
	// Where the median run's time went, as its --json report tells it.
	CSVPhases  importPhases `json:"csv_phases"`
	XLSXPhases importPhases `json:"xlsx_phases"`
}

// importPhases are the timings of an import's report; the rest of the
// elapsed time is opening the store, reading the alliance's log and
// signing the checkpoint.
type importPhases struct {
	Appended int     `json:"appended"`
	ParseS   float64 `json:"parse_s"`
	CheckS   float64 `json:"check_s"`
	AppendS  float64 `json:"append_s"`
	Elapsed  float64 `json:"elapsed_s"`
}

// benchRows are contribution rows of the bench alliance's members.
func benchRows(n int) [][]string {
	kinds := []string{"cash", "equipment", "data", "facility", "technology"}
	rows := make([][]string, n)
	for i := range rows {
		m := benchMembers[1+i%(len(benchMembers)-1)]
		rows[i] = []string{m.id, kinds[i%len(kinds)], fmt.Sprintf("%d.%02d", 1000+i%90000, i%100), "2025-03-01", fmt.Sprintf("批次 %d", i)}
	}
	return rows
}

var benchImportHeader = []string{"成员编号 member", "投入类型 kind", "金额(元) value", "投入日期 date", "说明 description"}

func runBenchImport(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("bench import", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	n := fs.Int("rows", 100_000, "contribution rows in each file")
	runs := fs.Int("runs", 1, "imports of each file (each into an alliance of its own); the median is reported")
	asJSON := fs.Bool("json", false, "print one JSON object")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the timed imports to this file")
	formats := fs.String("formats", "csv,xlsx", "which imports to time, comma-separated (a profile of one alone is easier to read)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runs < 1 {
		return fmt.Errorf("--runs %d: at least one", *runs)
	}
	timed := strings.Split(*formats, ",")
	for _, f := range timed {
		if f != "csv" && f != "xlsx" {
			return fmt.Errorf("--formats: %q is not csv or xlsx", f)
		}
	}
	dir, err := os.MkdirTemp("", "alliance-bench-import-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	rows := benchRows(*n)
	var cb bytes.Buffer
	cw := csv.NewWriter(&cb)
	cw.Write(benchImportHeader)
	cw.WriteAll(rows)
	csvPath := filepath.Join(dir, "contributions.csv")
	if err := os.WriteFile(csvPath, cb.Bytes(), 0o644); err != nil {
		return err
	}
	xlsxPath := filepath.Join(dir, "contributions.xlsx")
	if err := writeBenchWorkbook(xlsxPath, rows); err != nil {
		return err
	}
	res := &importBench{Rows: *n, Runs: *runs, CSVBytes: cb.Len(), CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if fi, err := os.Stat(xlsxPath); err == nil {
		res.XLSXBytes = int(fi.Size())
	}
	data := filepath.Join(dir, "data")
	// Two alliances like the append bench's, founded through the writer.
	emb, err := natsstore.StartEmbedded(data, "", nil)
	if err != nil {
		return err
	}
	nc, err := emb.Connect()
	if err != nil {
		emb.Shutdown()
		return err
	}
	st, err := natsstore.New(nc, natsstore.Options{})
	if err == nil {
		w := ledger.NewWriter(st, ledger.WriterOptions{})
	found:
		for _, f := range []string{"csv", "xlsx"} {
			for r := range *runs {
				setup := benchSetup()
				setup.Alliance = benchImportAlliance(f, r)
				if _, err = w.Append(ctx, setup); err != nil {
					break found
				}
			}
		}
		w.Close()
	}
	nc.Close()
	emb.Shutdown()
	if err != nil {
		return err
	}
	quiet := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	type run struct {
		rate   float64
		phases importPhases
	}
	for _, c := range []struct {
		format, path      string
		rate, least, most *float64
		phases            *importPhases
	}{{"csv", csvPath, &res.CSVRowsPerS, &res.CSVMin, &res.CSVMax, &res.CSVPhases},
		{"xlsx", xlsxPath, &res.XLSXRowsPer, &res.XLSXMin, &res.XLSXMax, &res.XLSXPhases}} {
		if !slices.Contains(timed, c.format) {
			continue
		}
		var all []run
		for r := range *runs {
			var report bytes.Buffer
			quiet.stdout = &report
			start := time.Now()
			var err error
			// Labelled so that a profile tells the two imports apart (go
			// tool pprof -tagfocus format=csv).
			pprof.Do(ctx, pprof.Labels("format", c.format), func(ctx context.Context) {
				err = runImport(ctx, quiet, []string{"--data", data, "--alliance", benchImportAlliance(c.format, r), "--json", c.path})
			})
			if err != nil {
				return fmt.Errorf("import %s: %w", c.path, err)
			}
			one := run{rate: float64(*n) / time.Since(start).Seconds()}
			if err := json.Unmarshal(report.Bytes(), &one.phases); err != nil {
				return fmt.Errorf("import %s: report: %w", c.path, err)
			}
			res.Appended += one.phases.Appended
			all = append(all, one)
		}
		slices.SortFunc(all, func(a, b run) int { return cmp.Compare(a.rate, b.rate) })
		med := all[len(all)/2] // of an even number of runs, the faster middle one
		*c.rate, *c.phases = med.rate, med.phases
		*c.least, *c.most = all[0].rate, all[len(all)-1].rate
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(res)
	}
	fmt.Fprintf(e.stdout, "%d contribution rows, parsed, checked and appended durably (median of %d): CSV %.0f rows/s (%.0f-%.0f), XLSX %.0f rows/s (%.0f-%.0f)\n",
		res.Rows, res.Runs, res.CSVRowsPerS, res.CSVMin, res.CSVMax, res.XLSXRowsPer, res.XLSXMin, res.XLSXMax)
	return nil
}

// benchImportAlliance is the alliance run r of a format imports into.
func benchImportAlliance(format string, r int) string {
	if r == 0 {
		return format
	}
	return fmt.Sprintf("%s-%d", format, r+1)
}

func writeBenchWorkbook(path string, rows [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "投入 contributions"); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter("投入 contributions")
	if err != nil {
		return err
	}
	row := func(cells []string) []any {
		out := make([]any, len(cells))
		for i, c := range cells {
			out[i] = c
		}
		return out
	}
	if err := sw.SetRow("A1", row(benchImportHeader)); err != nil {
		return err
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row(r)); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.SaveAs(path)
}
