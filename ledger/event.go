package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Event is one entry of an alliance's log: an envelope and a typed payload.
// Its JSON encoding, produced once by the writer, is the event's canonical
// bytes; readers decode those bytes and never re-encode them.
type Event struct {
	ID         string    `json:"id"`        // UUIDv7
	Seq        uint64    `json:"seq"`       // position in the alliance's log, from 1
	Type       string    `json:"type"`      // e.g. "contribution.recorded"
	Version    int       `json:"v"`         // schema version of the payload as stored
	Alliance   string    `json:"alliance"`  // alliance id
	Aggregate  string    `json:"aggregate"` // what the event is about, e.g. "member/M01"
	Actor      string    `json:"actor"`     // principal who appended it
	OccurredAt time.Time `json:"occurred_at"`
	RecordedAt time.Time `json:"recorded_at"`
	// IdempotencyKey and CommandDigest make idempotency permanent: every event
	// of a request carries its key and the SHA-256 of the request body.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	CommandDigest  string `json:"command_digest,omitempty"`

	// Payload is the typed payload, upcast to the current schema version.
	Payload Payload `json:"-"`
	// Raw is the payload exactly as stored.
	Raw json.RawMessage `json:"payload"`
}

// Payload is the typed body of one event type. The set of payloads is closed:
// each is defined in this package with its validation rules.
type Payload interface {
	// EventType is the event's type name, e.g. "member.admitted".
	EventType() string
	// Validate checks the payload by itself: fields, amounts, currencies,
	// shares, dates. It does not look at the alliance's state.
	Validate() error
	// aggregate names what the event is about; seq is the event's own
	// position, for events that start an aggregate identified by position.
	aggregate(seq uint64) string
	// decide checks the payload against the alliance's state and fills in
	// derived fields (a valuation, a version number).
	decide(s *State, c *decideContext) error
	// apply folds an accepted event into the writer's state.
	apply(s *State, e *Event)
}

// eventType describes one event type: its current schema version, how to
// make an empty payload, and how to upcast each earlier version's JSON to
// the next version's.
type eventType struct {
	name    string
	current int
	new     func() Payload
	// upcast[v] turns version v's JSON into version v+1's.
	upcast map[int]func(json.RawMessage) (json.RawMessage, error)
}

func (t eventType) decode(version int, raw json.RawMessage) (Payload, error) {
	if version < 1 || version > t.current {
		return nil, fmt.Errorf("%s: unknown schema version %d (current is %d)", t.name, version, t.current)
	}
	for v := version; v < t.current; v++ {
		up, ok := t.upcast[v]
		if !ok {
			return nil, fmt.Errorf("%s: no upcaster from schema version %d", t.name, v)
		}
		var err error
		if raw, err = up(raw); err != nil {
			return nil, fmt.Errorf("%s: upcast from version %d: %w", t.name, v, err)
		}
	}
	p := t.new()
	if err := json.Unmarshal(raw, p); err != nil {
		return nil, fmt.Errorf("%s v%d payload: %w", t.name, version, err)
	}
	return p, nil
}

var registry = func() map[string]eventType {
	m := map[string]eventType{}
	for _, t := range eventTypes() {
		if _, dup := m[t.name]; dup {
			panic("duplicate event type " + t.name)
		}
		if t.current == 0 {
			t.current = 1
		}
		m[t.name] = t
	}
	return m
}()

// typeNames lists the event types, sorted; typeIndex maps a name to its
// index, so the writer's state keeps one byte per event.
var typeNames = EventTypes()

var typeIndex = func() map[string]uint8 {
	m := make(map[string]uint8, len(typeNames))
	for i, n := range typeNames {
		m[n] = uint8(i)
	}
	return m
}()

// EventTypes lists every event type name, sorted.
func EventTypes() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// CurrentVersion returns the current schema version of an event type.
func CurrentVersion(eventType string) (int, bool) {
	t, ok := registry[eventType]
	return t.current, ok
}

// NewPayload returns an empty payload of the named type, for decoding.
func NewPayload(eventType string) (Payload, error) {
	t, ok := registry[eventType]
	if !ok {
		return nil, invalid("type", "unknown event type %q", eventType)
	}
	return t.new(), nil
}

// DecodeEvent decodes an event's stored bytes, upcasting its payload from
// whatever schema version it was written in to the current one.
//
// Events in the canonical layout the writer produces take a hand-written
// decoder (decodeEventFast, jsondecode.go); anything else, and anything
// that decoder is unsure of, goes through encoding/json. Both give exactly
// the same result for the same bytes: FuzzDecodeEventFast holds them to it.
func DecodeEvent(data []byte) (*Event, error) {
	if e, ok := decodeEventFast(data, false); ok {
		return e, nil
	}
	return decodeEventSlow(data)
}

// DecodeEventShared is DecodeEvent for a caller that drops the event with
// data, a fold say: the event's Raw may share data's memory instead of
// being copied. data must not be modified while the event is in use.
func DecodeEventShared(data []byte) (*Event, error) {
	if e, ok := decodeEventFast(data, true); ok {
		return e, nil
	}
	return decodeEventSlow(data)
}

// decodeEventSlow is DecodeEvent by encoding/json alone: the reference the
// fast path must agree with, and the source of every decoding error.
func decodeEventSlow(data []byte) (*Event, error) {
	e := new(Event)
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("event does not decode: %w", err)
	}
	t, ok := registry[e.Type]
	if !ok {
		return nil, fmt.Errorf("event %d: unknown type %q", e.Seq, e.Type)
	}
	p, err := t.decode(e.Version, e.Raw)
	if err != nil {
		return nil, fmt.Errorf("event %d: %w", e.Seq, err)
	}
	e.Payload = p
	return e, nil
}

// marshal is json.Marshal without HTML escaping, so Chinese names and "<"
// in descriptions stay readable in the log.
func marshal(v any) ([]byte, error) {
	if f, ok := v.(fastEncoder); ok {
		return f.appendJSON(make([]byte, 0, 512)), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
