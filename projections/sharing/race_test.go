//go:build race

package sharing_test

// raceEnabled: the race detector slows the arithmetic tenfold; the
// property tests then check fewer games (the plain run checks them all).
const raceEnabled = true
