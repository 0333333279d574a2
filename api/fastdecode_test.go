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
	c := uint8(index["contribution.recorded"])
	for _, b := range []string{
		`{"member":"M01","kind":"cash","value":{"currency":"CNY","amount":-0}}`,
		`{"member":"M01","kind":"cash","value":{"amount":123456789012345678,"currency":"CNY"}}`,
		`{"member":"M01","kind":"cash","value":{"amount":1234567890123456789,"currency":"CNY"}}`,
		`{"member":"M01","kind":"cash","value":{"amount":01,"currency":"CNY"}}`,
		`{"member":"M01","kind":"cash","value":{"amount":1.0,"currency":"CNY"}}`,
		`{"Member":"M01","kind":"cash"}`,
		`{"member":"M01","member":"M02"}`,
		`{"member":"M\u00301","kind":"cash"}`,
		"{\"member\":\"M\xff1\"}",
		` { "member" : "M01" , "quantity" : "3/2" , "unit" : "person-month" , "unit_value" : { "amount" : 5 , "currency" : "CNY" } } `,
		`{"member":"M01","quantity":"1.5.2"}`,
		`{"member":"M01","quantity":1.5}`,
		`{"member":"M01","evidence":{"title":"回单","sha256":"ab"},"description":"第1期"}`,
		`{"member":"M01","evidence":null}`,
		`{"member":"M01","occurred_at":"2025-03-01T09:00:00+08:00","kind":"cash"}`,
		`{"member":"M01","occurred_at":"2025-03-01"}`,
		`{"member":"M01"} x`,
		`{}`,
	} {
		f.Add(c, []byte(b))
	}
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

// The fast contribution reader takes the bodies clients send, with the
// members in the payload's order or sorted (a map encoded), with or
// without a business time, and decodes them as the general path does.
func TestFastContributionTakesUsualBodies(t *testing.T) {
	s := &Server{}
	n := 0
	for _, req := range sampleRequests() {
		for _, c := range req.Commands {
			if c.Type != "contribution.recorded" {
				continue
			}
			inOrder, err := json.Marshal(c.Payload)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(inOrder, &m); err != nil {
				t.Fatal(err)
			}
			at, _ := json.Marshal(c.OccurredAt)
			m["occurred_at"] = at
			sorted, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			for _, body := range [][]byte{inOrder, sorted} {
				fast, ok := fastContribution(body)
				if !ok {
					t.Fatalf("the fast reader gives up on %s", body)
				}
				gm, err := parseObject(body)
				if err != nil {
					t.Fatal(err)
				}
				gat, err := popTime(gm, "occurred_at")
				if err != nil {
					t.Fatal(err)
				}
				general, err := s.command("contribution.recorded", gat, gm)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(fast, general) {
					t.Fatalf("%s decodes as\n%#v\nthe general path says\n%#v", body, fast, general)
				}
				n++
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d contribution bodies in the sample", n)
	}
}
