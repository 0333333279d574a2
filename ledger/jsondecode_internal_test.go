package ledger

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Every golden event in the current schema version of a type with a
// payload reader of its own is read by it, not handed to encoding/json:
// the equivalence tests would pass either way, the replay would not be
// as fast.
func TestPayloadReadersTakeGoldenEvents(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden events: %v", err)
	}
	readers := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		e, err := decodeEventSlow(bytes.TrimSpace(data))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		_, box := newEventBox(e.Type)
		if box == nil || e.Version != registry[e.Type].current {
			continue
		}
		r := jsonReader{b: e.Raw}
		if _, ok := r.payload(box); !ok || r.i != len(e.Raw) {
			t.Errorf("%s: the payload reader of %s gave up on %s", f, e.Type, e.Raw)
		}
		readers[e.Type] = true
	}
	for _, typ := range []string{TypeContributionRecorded, TypeIPFiled, TypeEntryCorrected, TypeProjectOpened,
		TypePoolAssessed, TypePayoutCommitted, TypePayoutAdjusted, TypeDisputeRaised, TypeDisputeResolved} {
		if !readers[typ] {
			t.Errorf("no golden %s event was read by its payload reader", typ)
		}
	}
}

// FuzzParseUTC checks the decoder's parser of UTC times against
// (*time.Time).UnmarshalJSON: where it accepts a time, UnmarshalJSON
// accepts it too and gives the same Time, location included.
func FuzzParseUTC(f *testing.F) {
	for _, s := range []string{"2022-01-03T01:13:07Z", "2026-11-27T16:38:59.350083227Z", "2024-02-29T00:00:00.5Z",
		"2023-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2000-02-29T23:59:59.999999999Z", "0000-01-01T00:00:00Z",
		"9999-12-31T23:59:59Z", "2024-04-31T00:00:00Z", "2024-13-01T00:00:00Z", "2024-00-10T00:00:00Z",
		"2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:60Z", "2024-01-01T00:00:00.Z",
		"2024-01-01T00:00:00.1234567890Z", "2024-01-01T00:00:00,5Z", "2024-01-01T00:00:00+08:00",
		"2024-01-01t00:00:00Z", "2024-01-01T00:00:00z", "+024-01-01T00:00:00Z", "2024-1-01T00:00:00Z",
		"2024-01-01T00:00:00.000000000Z", "2024-01-01T00:00:00.10Z", " 2024-01-01T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseUTC([]byte(s))
		if !ok {
			return
		}
		var want time.Time
		if err := want.UnmarshalJSON([]byte(`"` + s + `"`)); err != nil {
			t.Fatalf("parseUTC(%q) = %v, UnmarshalJSON fails: %v", s, got, err)
		}
		if got != want {
			t.Fatalf("parseUTC(%q) = %#v, UnmarshalJSON gives %#v", s, got, want)
		}
	})
}

// TestParseUTCAcrossDays reads times that share their date with the one
// before (and those that do not) as time's own parser does.
func TestParseUTCAcrossDays(t *testing.T) {
	at := time.Date(2023, 12, 30, 22, 0, 0, 0, time.UTC)
	for i := range 2000 {
		at = at.Add(time.Duration(i%7)*37*time.Minute + time.Duration(i)*time.Nanosecond)
		s := at.Format(time.RFC3339Nano)
		got, ok := parseUTC([]byte(s))
		if !ok || got != at {
			t.Fatalf("parseUTC(%q) = %#v, %v; want %#v", s, got, ok, at)
		}
		// A bad date after a good one of the same day is still bad.
		if _, ok := parseUTC([]byte(s[:11] + "24" + s[13:])); ok {
			t.Fatalf("parseUTC accepts hour 24 in %q", s)
		}
	}
}
