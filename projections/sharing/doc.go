// Package sharing is the pure mathematics of benefit sharing: the Shapley
// value of a cooperative game (exact up to MaxExact players, seeded
// permutation sampling beyond), its risk- or multi-factor correction, the
// rule for corrected values below zero, Nash bargaining, and the
// apportionment of a money pool in integer minor units.
//
// Players are indices 0..n-1. The caller orders them (the ledger orders
// members by id) and every tie-break prefers the lower index, so the same
// inputs give the same amounts everywhere.
//
// Amounts and Shapley values are exact: int64 minor units and *big.Rat.
// Floats appear only in informational error estimates of the sampler and
// never decide an amount. The package imports only the standard library.
package sharing
