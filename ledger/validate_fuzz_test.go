package ledger_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/memstore"
)

// historyEvents are the events of history() as a writer stores them,
// decoded; built once per process.
var historyEvents = sync.OnceValue(func() []*ledger.Event {
	store := memstore.New()
	w := ledger.NewWriter(store, ledger.WriterOptions{Now: func() time.Time { return testNow }})
	defer w.Close()
	ctx := context.Background()
	for _, r := range history() {
		if _, err := w.Append(ctx, r); err != nil {
			panic(err)
		}
	}
	var out []*ledger.Event
	err := store.Read(ctx, testAlliance, 1, func(st ledger.Stored) error {
		e, err := ledger.DecodeEvent(st.Data)
		out = append(out, e)
		return err
	})
	if err != nil {
		panic(err)
	}
	return out
})

// stateAfter folds the first n events of history() into a fresh state.
func stateAfter(n int) *ledger.State {
	s := ledger.NewCheckState(testAlliance)
	for _, e := range historyEvents()[:n] {
		if err := s.Apply(e); err != nil {
			panic(err)
		}
	}
	return s
}

// checkFieldError fails unless err is a *ledger.FieldError that names the
// rule it broke.
func checkFieldError(t *testing.T, what string, err error) {
	t.Helper()
	var fe *ledger.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("%s: error %T %q is not a *ledger.FieldError", what, err, err)
	}
	if fe.Rule == "" && fe.Field == "" {
		t.Fatalf("%s: FieldError %#v names neither a field nor a rule", what, fe)
	}
	if fe.Rule == "" {
		t.Fatalf("%s: FieldError %#v has no rule", what, fe)
	}
	if !errors.Is(err, ledger.ErrInvalid) && !errors.Is(err, ledger.ErrNotFound) &&
		!errors.Is(err, ledger.ErrConflict) && !errors.Is(err, ledger.ErrForbidden) {
		t.Fatalf("%s: %v wraps none of the sentinel errors", what, err)
	}
}

// FuzzValidateCommand decodes a command of any event type (the type is
// chosen by the first argument, the payload is the fuzzer's bytes) as the
// API and the CLI decode one, validates it by itself, then decides it
// against the state of history() after some prefix of its events (the
// second argument; 0 is an alliance not yet founded), as the writer does.
// Nothing may panic; every rejection is a *ledger.FieldError with a rule;
// a rejected command leaves the state exactly as it was; an accepted one
// moves it on by one position. Seeds: one payload of every type from
// history(), and testdata/fuzz/FuzzValidateCommand.
func FuzzValidateCommand(f *testing.F) {
	types := ledger.EventTypes()
	index := map[string]uint8{}
	for i, name := range types {
		index[name] = uint8(i)
	}
	evs := historyEvents()
	for i, e := range evs {
		// Every payload against the state just before it (accepted),
		// against the full history (often rejected: a duplicate, a
		// closed project) and against an empty log.
		f.Add(index[e.Type], uint8(i), []byte(e.Raw))
		if i%3 == 0 {
			f.Add(index[e.Type], uint8(len(evs)), []byte(e.Raw))
			f.Add(index[e.Type], uint8(0), []byte(e.Raw))
		}
	}
	f.Add(index[ledger.TypeContributionRecorded], uint8(len(evs)), []byte(`{"member":"M02","project":"P1","kind":"cash","value":{"amount":-1,"currency":"CNY"}}`))
	f.Add(index[ledger.TypeIPFiled], uint8(10), []byte(`{"asset":"IP9","type":"paper","title":"t","owners":[{"member":"M01","share":"1/3"},{"member":"M02","share":"1/3"}]}`))
	f.Add(index[ledger.TypeContributionConfirmed], uint8(10), []byte(`{"contribution":8,"by":"M02"}`))
	f.Add(uint8(0), uint8(0), []byte(`null`))

	now := testNow
	f.Fuzz(func(t *testing.T, typeIndex, prefix uint8, payload []byte) {
		typ := types[int(typeIndex)%len(types)]
		n := int(prefix) % (len(evs) + 1)
		var body bytes.Buffer
		body.WriteString(`{"type":`)
		b, _ := json.Marshal(typ)
		body.Write(b)
		body.WriteString(`,"occurred_at":"2024-06-01T09:00:00+08:00","payload":`)
		body.Write(payload)
		body.WriteString(`}`)

		var c ledger.Command
		if err := json.Unmarshal(body.Bytes(), &c); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return // not JSON: encoding/json's own error
			}
			checkFieldError(t, "decode", err)
			return
		}
		if c.Type != typ || c.Payload == nil || c.Payload.EventType() != typ {
			t.Fatalf("decoded a %s command as %q with payload %T", typ, c.Type, c.Payload)
		}
		r := ledger.Request{Alliance: testAlliance, Actor: "fuzz", Commands: []ledger.Command{c}}
		if err := r.Validate(now); err != nil {
			checkFieldError(t, "Validate", err)
			return
		}

		s, twin := stateAfter(n), stateAfter(n)
		e := &ledger.Event{
			ID: "fuzz", Seq: s.Last() + 1, Type: typ, Version: 1, Alliance: testAlliance,
			Actor: "fuzz", OccurredAt: c.OccurredAt, RecordedAt: now, Payload: c.Payload,
		}
		if v, ok := ledger.CurrentVersion(typ); ok {
			e.Version = v
		}
		err := s.Check(e)
		if err != nil {
			checkFieldError(t, "decide", err)
			if !reflect.DeepEqual(s, twin) {
				t.Fatalf("rejected %s (%v) changed the state", typ, err)
			}
			return
		}
		if s.Last() != twin.Last()+1 {
			t.Fatalf("accepted %s moved the state from %d to %d", typ, twin.Last(), s.Last())
		}
	})
}
