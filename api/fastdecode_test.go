package api

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzTimedPayload holds the one-pass decoder of a payload with an
// occurred_at to the general path (a map, the time popped, the rest decoded
// strictly as a command): whatever it accepts, the general path accepts as
// the same command. Seeds: every event type of the sample with a business
// time.
func FuzzTimedPayload(f *testing.F) {
	var types []string
	index := map[string]int{}
	for _, wr := range writeRoutes {
		if len(wr.binds) == 0 {
			index[wr.typ] = len(types)
			types = append(types, wr.typ)
		}
	}
	for _, req := range sampleRequests() {
		for _, c := range req.Commands {
			i, ok := index[c.Type]
			if !ok {
				continue
			}
			body, err := json.Marshal(c.Payload)
			if err != nil {
				f.Fatal(err)
			}
			at, _ := json.Marshal(c.OccurredAt)
			f.Add(uint8(i), append(append(append([]byte(`{"occurred_at":`), at...), ','), body[1:]...))
		}
	}
	f.Add(uint8(index["contribution.recorded"]), []byte(`{"member":"M01","kind":"cash","value":{"amount":1,"currency":"CNY"},"occurred_at":null}`))
	f.Add(uint8(index["contribution.recorded"]), []byte(`{"member":"M01","kind":"cash","value":{"amount":1,"currency":"CNY"},"occurred_at":"2025-13-01"}`))
	f.Add(uint8(index["contribution.recorded"]), []byte(`{"member":"M01","occurred_at":"2025-01-01T00:00:00Z","occurred_at":"2024-01-01T00:00:00+08:00","kind":"cash"}`))
	s := &Server{}
	f.Fuzz(func(t *testing.T, i uint8, body []byte) {
		typ := types[int(i)%len(types)]
		fast, ok, err := fastCommand(typ, body)
		if !ok {
			return // refused, or left to the general path
		}
		if err != nil {
			t.Fatalf("ok with an error: %v", err)
		}
		m, err := parseObject(body)
		if err != nil {
			t.Fatalf("the fast path took %s that the general path refuses: %v", body, err)
		}
		at, err := popTime(m, "occurred_at")
		if err != nil {
			t.Fatalf("the fast path took %s that the general path refuses: %v", body, err)
		}
		general, err := s.command(typ, at, m)
		if err != nil {
			t.Fatalf("the fast path took %s that the general path refuses: %v", body, err)
		}
		if !reflect.DeepEqual(fast, general) {
			t.Fatalf("%s decodes as\n%#v\nthe general path says\n%#v", body, fast, general)
		}
	})
}
