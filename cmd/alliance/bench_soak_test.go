package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"
)

// TestBenchSoakSmoke runs a 5-second soak sampled every second: the JSON
// has the samples, each with memory and the period's requests, and a
// verdict.
func TestBenchSoakSmoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	args := []string{"alliance", "bench", "soak", "--data", t.TempDir(), "--duration", "5s", "--sample", "1s", "--clients", "8", "--json"}
	err := run(ctx, args, nil, &stdout, &stderr, func(string) string { return "" })
	var res soakResult
	if jerr := json.Unmarshal(stdout.Bytes(), &res); jerr != nil {
		t.Fatalf("the output is not one JSON object (%v; run: %v)\n%s\n%s", jerr, err, stdout.Bytes(), stderr.Bytes())
	}
	if err != nil && res.Verdict != "growing" {
		t.Fatalf("bench soak: %v\n%s", err, stderr.Bytes())
	}
	if res.Errors != 0 {
		t.Errorf("%d requests failed: %s", res.Errors, res.FirstError)
	}
	if len(res.Samples) < 4 {
		t.Fatalf("%d samples, want about 5", len(res.Samples))
	}
	for i, s := range res.Samples {
		if s.HeapLiveMB <= 0 || s.HeapNetMB <= 0 || s.ViewCacheMB <= 0 || s.HeapInuseMB <= 0 || s.RSSMB <= 0 || s.Goroutines <= 0 || s.FDs <= 0 || s.Reads <= 0 || s.Events == 0 {
			t.Errorf("sample %d: %+v", i, s)
		}
	}
	if res.Writes == 0 || res.EventsEnd <= res.EventsStart || res.Reads == 0 || len(res.Routes) == 0 {
		t.Errorf("writes %d, reads %d, events %d to %d, routes %v", res.Writes, res.Reads, res.EventsStart, res.EventsEnd, res.Routes)
	}
	var raw map[string]any
	json.Unmarshal(stdout.Bytes(), &raw)
	if v, ok := raw["verdict"].(string); !ok || v == "" {
		t.Errorf("verdict = %v, want one", raw["verdict"])
	}
}

// TestSoakVerdict applies the rule to made-up curves.
func TestSoakVerdict(t *testing.T) {
	curve := func(heap func(i int) float64, events func(i int) uint64) *soakResult {
		r := &soakResult{Clients: 16, MaxBytesPerEvent: 4096}
		for i := range 60 {
			e := events(i)
			r.Samples = append(r.Samples, soakSample{T: float64(10 * (i + 1)), HeapNetMB: heap(i), Events: 1000 + e, Appended: e, Goroutines: 100, FDs: 50})
		}
		return r
	}
	noEvents := func(int) uint64 { return 0 }
	wobble := func(i int) float64 { return float64(i%3) - 1 } // ±1 MB
	for _, tc := range []struct {
		name string
		r    *soakResult
		want string
	}{
		{"flat", curve(func(i int) float64 { return 200 + wobble(i) }, noEvents), "flat"},
		// ±40 MB of noise, as the view cache makes, around a flat line.
		{"noisy", curve(func(i int) float64 { return 370 + 40*float64((i*7)%5-2)/2 }, noEvents), "flat"},
		{"leak", curve(func(i int) float64 { return 200 + 0.5*float64(i) }, noEvents), "growing"},
		// 1000 events a sample at 1 kB each: the log's growth.
		{"log", curve(func(i int) float64 { return 200 + float64(i)*1000*1024/(1<<20) + wobble(i) },
			func(i int) uint64 { return uint64(i) * 1000 }), "grows-with-log"},
		// 1000 events a sample at 40 kB each: more than the bound.
		{"heavy", curve(func(i int) float64 { return 200 + float64(i)*1000*40960/(1<<20) },
			func(i int) uint64 { return uint64(i) * 1000 }), "growing"},
		{"short", &soakResult{Samples: make([]soakSample, 5)}, "undetermined"},
	} {
		analyseSoak(tc.r)
		if tc.r.Verdict != tc.want {
			t.Errorf("%s: verdict %s, want %s (%+v)", tc.name, tc.r.Verdict, tc.want, tc.r)
		}
	}
	r := curve(func(i int) float64 { return 200 + wobble(i) }, noEvents)
	r.Samples[59].Goroutines = 1000
	if analyseSoak(r); r.Verdict != "growing" {
		t.Errorf("goroutines rising: verdict %s, want growing", r.Verdict)
	}
}
