package api

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
)

// An alliance whose log cannot be read yet at start is tried again; one
// that never answers is left to open on its first request; neither keeps
// the others from opening or the server from starting.
func TestWarmAllRetriesAndGoesOn(t *testing.T) {
	timeout := errors.New("get message 1349: context deadline exceeded")
	fails := map[string]int{"slow": 2, "dead": 1 << 30}
	tries := map[string]int{}
	var opened []string
	open := func(ctx context.Context, id string) error {
		tries[id]++
		if id == "gone" {
			return &ledger.FieldError{Field: "alliance", Rule: "no such alliance", Kind: ledger.ErrNotFound}
		}
		if tries[id] <= fails[id] {
			return timeout
		}
		opened = append(opened, id)
		return nil
	}
	var logs bytes.Buffer
	err := warmAll(context.Background(), []string{"a", "slow", "dead", "gone", "b"}, open, slog.New(slog.NewTextHandler(&logs, nil)), 4, time.Millisecond)
	if err != nil {
		t.Fatalf("warmAll: %v", err)
	}
	if got := strings.Join(opened, ","); got != "a,slow,b" {
		t.Errorf("opened %s, want a,slow,b", got)
	}
	if tries["slow"] != 3 || tries["dead"] != 4 || tries["gone"] != 1 {
		t.Errorf("tries: slow %d, dead %d, gone %d; want 3, 4 (the attempts), 1 (not found is not retried)", tries["slow"], tries["dead"], tries["gone"])
	}
	if !strings.Contains(logs.String(), "alliance=dead") || !strings.Contains(logs.String(), "opens on its first request") {
		t.Errorf("the alliance given up on is not reported:\n%s", logs.String())
	}
}

// A start that is cancelled stops at once with the context's error.
func TestWarmAllStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	open := func(ctx context.Context, id string) error {
		n++
		cancel()
		return errors.New("timeout")
	}
	err := warmAll(ctx, []string{"a", "b"}, open, slog.New(slog.DiscardHandler), 5, time.Hour)
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Fatalf("warmAll after cancel: %v after %d opens, want context.Canceled after 1", err, n)
	}
}
