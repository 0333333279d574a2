package projections

// ScanOnly makes a model answer whole-history queries by scanning its
// entries, as it does for business periods, instead of from its sums.
func ScanOnly(m *Model) { m.scanOnly = true }

// SumsState returns the model's kept sums, for comparing two models.
func SumsState(m *Model) any {
	return struct {
		Cur         checkpoint
		Checkpoints []checkpoint
		Touches     []touch
	}{m.sums.freeze(m.last), m.checkpoints, m.touches}
}

// CheckpointEvery sets how far apart models keep checkpoints (for every
// model folded or restored after it) and returns the previous value.
func CheckpointEvery(n uint64) uint64 {
	prev := checkpointEvery
	checkpointEvery = n
	return prev
}
