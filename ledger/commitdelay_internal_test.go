package ledger

import (
	"testing"
	"time"
)

// holdFor holds an open commit, the store being free, only while it has
// fewer requests than the last commit, is not full, and has waited less
// than CommitDelay.
func TestHoldFor(t *testing.T) {
	const d = 2 * time.Millisecond
	now := time.Now()
	b := func(requests int, opened time.Time) *building {
		return &building{accepted: make([]*pending, requests), opened: opened}
	}
	for _, c := range []struct {
		name         string
		delay        time.Duration
		lastRequests int
		full         bool
		b            *building
		hold         bool
	}{
		{"fewer than the last commit, just opened", d, 8, false, b(3, now), true},
		{"as many as the last commit", d, 8, false, b(8, now), false},
		{"more than the last commit", d, 8, false, b(9, now), false},
		{"first commit", d, 0, false, b(1, now), false},
		{"a lone caller", d, 1, false, b(1, now), false},
		{"waited long enough", d, 8, false, b(3, now.Add(-d)), false},
		{"full", d, 8, true, b(3, now), false},
		{"no delay", -1, 8, false, b(3, now), false},
	} {
		aw := &allianceWriter{w: &Writer{opts: WriterOptions{CommitDelay: c.delay}}, lastRequests: c.lastRequests, full: c.full}
		got := aw.holdFor(c.b)
		if (got > 0) != c.hold || got > d {
			t.Errorf("%s: hold %v, want hold %v (at most %v)", c.name, got, c.hold, d)
		}
	}
}
