package api

import (
	"net/http"
	"testing"
)

func TestSampleServes(t *testing.T) {
	te := newTestEnv(t, true)
	r := te.do("GET", "/v1/alliances/"+sampleAlliance, "auditor", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	var o Overview
	r.JSON(t, &o)
	if o.AsOfSeq != te.last(sampleAlliance) || o.Members == 0 {
		t.Fatalf("overview %+v, log at %d", o, te.last(sampleAlliance))
	}
}
