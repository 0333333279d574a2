package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"
)

// TestBenchHTTPSmoke runs bench http at tiny sizes: every figure comes out
// positive and the log grew by exactly the appends answered 201.
func TestBenchHTTPSmoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	args := []string{"alliance", "bench", "http", "--data", t.TempDir(),
		"--events", "2000", "--append-requests", "500", "--read-requests", "500", "--clients", "16", "--read-clients", "16", "--json"}
	if err := run(ctx, args, nil, &stdout, &stderr, func(string) string { return "" }); err != nil {
		t.Fatalf("bench http: %v\n%s", err, stderr.Bytes())
	}
	var res map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("the output is not one JSON object: %v\n%s", err, stdout.Bytes())
	}
	for _, k := range []string{"events", "ready_ms", "append_requests", "append_rps", "append_p50_ms", "append_p99_ms",
		"direct_append_rps", "append_vs_direct", "read_requests", "read_rps", "read_p50_ms", "read_p99_ms", "read_body_bytes",
		"read_members", "alliance_read_rps", "alliance_read_p99_ms", "alliance_read_body_bytes",
		"direct_read_rps", "read_vs_direct", "handler_read_rps", "read_vs_handler", "http_floor_rps", "healthz_rps",
		"balances_ms", "balances_json_ms", "append_events_per_commit", "direct_events_per_commit", "audit_ready_ms"} {
		if v, ok := res[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive number", k, res[k])
		}
	}
	if res["client"] != "lean" {
		t.Errorf("client = %v, want lean (the default)", res["client"])
	}
	if res["events"] != 2000.0 {
		t.Errorf("events = %v, want 2000", res["events"])
	}
	if res["append_count_ok"] != true || res["appended"] != 500.0 || res["created"] != 500.0 {
		t.Errorf("append count check: appended %v, created %v, ok %v; want 500, 500, true", res["appended"], res["created"], res["append_count_ok"])
	}
	targets, _ := res["targets"].(map[string]any)
	if targets["append_rps"] != 20000.0 || targets["read_rps"] != 20000.0 || targets["read_p99_ms"] != 10.0 {
		t.Errorf("targets = %v", res["targets"])
	}
	if _, ok := res["met"].(map[string]any)["read_p99_ms"].(bool); !ok {
		t.Errorf("met = %v, want booleans", res["met"])
	}
}
