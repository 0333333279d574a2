package main

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
)

func TestBatchGC(t *testing.T) {
	total := memTotal()
	if total <= 0 {
		t.Skip("no /proc/meminfo here")
	}
	// t.Setenv restores both variables afterwards; unset, they leave the
	// choice to batchGC.
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	os.Unsetenv("GOGC")
	os.Unsetenv("GOMEMLIMIT")
	prevGC := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prevGC)
	prevLimit := debug.SetMemoryLimit(math.MaxInt64)
	defer debug.SetMemoryLimit(prevLimit)

	restore := batchGC()
	if got := debug.SetGCPercent(400); got != 400 {
		t.Errorf("in a batch command the collector runs at %d%%, want 400", got)
	}
	if got := debug.SetMemoryLimit(-1); got != total/2 {
		t.Errorf("memory limit %d, want half of %d", got, total)
	}
	restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after the command the collector runs at %d%%, want 100 again", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("after the command the memory limit is %d, want none", got)
	}

	// A GOGC the user gave is theirs.
	t.Setenv("GOGC", "150")
	restore = batchGC()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set the collector runs at %d%%, want it left alone", got)
	}
	restore()
}
