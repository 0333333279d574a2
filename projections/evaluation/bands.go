package evaluation

import "math/big"

// BandInfo names a rating band: ID is stable, for data and code; ZH and EN
// are for people. ZH qualifies 活跃度 (activity), e.g. 活跃度高.
type BandInfo struct{ ID, ZH, EN string }

// The bands from the best down, each with the lowest whole score in it.
var activityBands = []struct {
	from int64
	info BandInfo
}{
	{86, BandInfo{ID: "high", ZH: "高", EN: "high"}},
	{75, BandInfo{ID: "fairly-high", ZH: "较高", EN: "fairly high"}},
	{65, BandInfo{ID: "average", ZH: "一般", EN: "average"}},
	{0, BandInfo{ID: "poor", ZH: "差", EN: "poor"}},
}

// Band is the national alliance activity rating band of a 0–100 score:
// "high" for 86 and above, "fairly-high" for 75–85, "average" for 65–74,
// "poor" for 64 and below.
//
// The bands are stated for whole scores, which leaves gaps (85 < s < 86);
// a fractional score belongs to the band of its whole part, i.e. it is
// rounded down, never up: 85.6 and 85.99 are fairly high, 64.9 is poor. A
// band is thereby earned only by reaching its stated lower bound, and no
// rounding rule (half up, half even) has to be chosen. Scores outside
// 0–100 fall in the nearest band. score must not be nil.
func Band(score *big.Rat) BandInfo {
	// big.Int.Div is Euclidean division: for the positive denominator it
	// is the floor, also for negative scores.
	whole := new(big.Int).Div(score.Num(), score.Denom())
	for _, b := range activityBands[:len(activityBands)-1] {
		if whole.Cmp(big.NewInt(b.from)) >= 0 {
			return b.info
		}
	}
	return activityBands[len(activityBands)-1].info
}
