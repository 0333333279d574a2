package ledger_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
)

// Decoders must never panic, whatever bytes the stream or a caller holds;
// what they accept must be consistent. Seeds are in testdata/fuzz.

func FuzzDecodeEvent(f *testing.F) {
	f.Add([]byte(`{"id":"x","seq":1,"type":"member.admitted","v":1,"alliance":"a","payload":{"member":"M01"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ledger.DecodeEvent(data)
		if err != nil {
			return
		}
		if e.Payload == nil || e.Payload.EventType() != e.Type {
			t.Fatalf("decoded %s with payload %T", e.Type, e.Payload)
		}
		// A decoded payload validates or not, but never panics.
		_ = e.Payload.Validate()
	})
}

func FuzzUnmarshalCommit(f *testing.F) {
	f.Add([]byte(`{"commit":"c1","alliance":"a","first":1,"events":[{"id":"x","seq":1,"type":"t","v":1,"alliance":"a"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ledger.UnmarshalCommit(data)
		if err != nil {
			return
		}
		// What decodes as a commit re-encodes to a commit with the same
		// id, position and event bytes.
		back, err := ledger.UnmarshalCommit(ledger.MarshalCommit(c))
		if err != nil {
			t.Fatalf("re-encoded commit does not decode: %v", err)
		}
		if back.ID != c.ID || back.First != c.First || len(back.Events) != len(c.Events) {
			t.Fatalf("commit changed on re-encoding")
		}
		for i := range c.Events {
			if string(back.Events[i]) != string(c.Events[i]) {
				t.Fatalf("event %d changed on re-encoding", i)
			}
		}
	})
}

// FuzzCommand decodes a command as the CLI and the API do, and validates it.
func FuzzCommand(f *testing.F) {
	f.Add([]byte(`{"type":"contribution.recorded","occurred_at":"2024-03-01T09:00:00+08:00","payload":{"member":"M02","kind":"cash","value":{"amount":100,"currency":"CNY"}}}`))
	f.Add([]byte(`{"type":"ip.filed","occurred_at":"2024-03-01T09:00:00Z","payload":{"asset":"A","type":"paper","title":"t","owners":[{"member":"M01","share":"1/3"},{"member":"M02","share":"2/3"}]}}`))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		var c ledger.Command
		if err := json.Unmarshal(data, &c); err != nil {
			return
		}
		r := ledger.Request{Alliance: "a", Actor: "fuzz", Commands: []ledger.Command{c}}
		_ = r.Validate(now)
	})
}
