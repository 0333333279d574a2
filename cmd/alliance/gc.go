package main

import (
	"bufio"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// batchGC tunes the garbage collector for a batch command that builds a
// large heap once (an import holds every parsed row, its requests and
// their events until they are appended): with Go's default (GOGC=100) it
// collected about every time the heap doubled, a quarter of an import's
// CPU time. It lets the heap grow to five times what is live (GOGC=400),
// under a soft limit of half the machine's memory, past which the
// collector works harder again rather than let the process swap. It
// returns a function that restores the settings. A GOGC or GOMEMLIMIT set
// in the environment is the user's choice and is kept, as is the default
// where the machine's memory cannot be read.
func batchGC() (restore func()) {
	_, gogc := os.LookupEnv("GOGC")
	_, limit := os.LookupEnv("GOMEMLIMIT")
	total := memTotal()
	if gogc || limit || total == 0 {
		return func() {}
	}
	prevLimit := debug.SetMemoryLimit(total / 2)
	prevGC := debug.SetGCPercent(400)
	return func() {
		debug.SetGCPercent(prevGC)
		debug.SetMemoryLimit(prevLimit)
	}
}

// memTotal is the machine's memory in bytes, from /proc/meminfo, or 0.
func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// MemTotal:       24683620 kB
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil || kb <= 0 {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
