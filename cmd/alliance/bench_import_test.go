package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
)

// TestBenchImportRuns imports a small file three times, each into an
// alliance of its own (a run into the same one would append nothing): the
// median run is reported with the slowest and fastest, and every run
// appended its rows.
func TestBenchImportRuns(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"alliance", "bench", "import", "--rows", "300", "--runs", "3", "--formats", "csv", "--json"}
	if err := run(context.Background(), args, nil, &stdout, &stderr, func(string) string { return "" }); err != nil {
		t.Fatalf("bench import: %v\n%s", err, stderr.Bytes())
	}
	var res importBench
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("the output is not one JSON object: %v\n%s", err, stdout.Bytes())
	}
	if res.Runs != 3 || res.Rows != 300 {
		t.Errorf("runs %d of %d rows, want 3 of 300", res.Runs, res.Rows)
	}
	if !(0 < res.CSVMin && res.CSVMin <= res.CSVRowsPerS && res.CSVRowsPerS <= res.CSVMax) {
		t.Errorf("CSV rows/s: median %.0f, slowest %.0f, fastest %.0f", res.CSVRowsPerS, res.CSVMin, res.CSVMax)
	}
	if res.Appended != 900 || res.CSVPhases.Appended != 300 || res.CSVPhases.AppendS <= 0 {
		t.Errorf("%d rows appended in all, %d by the median run in %gs; want 900 and 300", res.Appended, res.CSVPhases.Appended, res.CSVPhases.AppendS)
	}
	if res.XLSXRowsPer != 0 {
		t.Errorf("XLSX (not asked for): %.0f rows/s", res.XLSXRowsPer)
	}
}
