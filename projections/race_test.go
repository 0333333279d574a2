//go:build race

package projections_test

// raceEnabled: the race detector slows the fold tenfold; the property
// tests then check fewer and shorter logs (the plain run checks them all).
const raceEnabled = true
