package sharing_test

import (
	"testing"

	"github.com/alliance-ledger/alliance/projections/sharing"
)

// BenchmarkShapleyTable20 measures the exact Shapley value of a random
// 20-player table (2^20 coalitions).
func BenchmarkShapleyTable20(b *testing.B) {
	v := sharing.RandomTable(20, 1)
	for b.Loop() {
		if _, err := sharing.ShapleyTable(20, v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkShapleySampled200 measures sampling SynergyGame(200, 1) with
// DefaultSamples and reports the true max relative error against the
// closed form.
func BenchmarkShapleySampled200(b *testing.B) {
	g, err := sharing.SynergyGame(200, 1)
	if err != nil {
		b.Fatal(err)
	}
	var sh *sharing.Shapley
	for b.Loop() {
		if sh, err = sharing.ShapleySampled(g, 1, sharing.DefaultSamples); err != nil {
			b.Fatal(err)
		}
	}
	worst := 0.0
	for _, e := range relErrs(sh.Values, g.ClosedForm()) {
		worst = max(worst, e)
	}
	b.ReportMetric(100*worst, "%maxrelerr")
	b.ReportMetric(100*sh.MaxRelErr, "%bound")
}
