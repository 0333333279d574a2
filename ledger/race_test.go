//go:build race

package ledger_test

// raceEnabled: the race detector slows the exhaustive differential tests
// tenfold; under it they try a sample (the plain run tries everything).
const raceEnabled = true
