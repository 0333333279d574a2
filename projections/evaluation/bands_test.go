package evaluation_test

import (
	"testing"

	"github.com/alliance-ledger/alliance/projections/evaluation"
)

func TestBandBoundaries(t *testing.T) {
	high := evaluation.BandInfo{ID: "high", ZH: "高", EN: "high"}
	fairlyHigh := evaluation.BandInfo{ID: "fairly-high", ZH: "较高", EN: "fairly high"}
	average := evaluation.BandInfo{ID: "average", ZH: "一般", EN: "average"}
	poor := evaluation.BandInfo{ID: "poor", ZH: "差", EN: "poor"}
	tests := []struct {
		score string
		want  evaluation.BandInfo
	}{
		{"-5", poor},
		{"0", poor},
		{"64", poor},
		{"64.9", poor}, // a fraction belongs to its whole part's band
		{"129/2", poor},
		{"65", average},
		{"74.99", average},
		{"75", fairlyHigh},
		{"85", fairlyHigh},
		{"85.6", fairlyHigh},
		{"85.99", fairlyHigh},
		{"8599999/100000", fairlyHigh},
		{"86", high},
		{"100", high},
		{"101", high},
	}
	for _, tt := range tests {
		if got := evaluation.Band(mathRat(tt.score)); got != tt.want {
			t.Errorf("Band(%s) = %+v, want %+v", tt.score, got, tt.want)
		}
	}
}
