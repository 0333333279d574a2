package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// Command asks the ledger to record one fact: an event type, the business
// time it happened at, and the payload. The writer validates it and, if it
// holds, appends it as one event.
type Command struct {
	Type string `json:"type"`
	// OccurredAt is when the fact happened (business time); zero means
	// when the writer records it.
	OccurredAt time.Time `json:"occurred_at"`
	Payload    Payload   `json:"payload"`
}

// NewCommand builds a command for a payload.
func NewCommand(occurredAt time.Time, p Payload) Command {
	return Command{Type: p.EventType(), OccurredAt: occurredAt, Payload: p}
}

// UnmarshalJSON decodes a command strictly: an unknown type or an unknown
// payload field is an error that names it.
func (c *Command) UnmarshalJSON(b []byte) error {
	var raw struct {
		Type       string          `json:"type"`
		OccurredAt *time.Time      `json:"occurred_at"`
		Payload    json.RawMessage `json:"payload"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return invalid("", "command does not decode: %v", err)
	}
	p, err := NewPayload(raw.Type)
	if err != nil {
		return err
	}
	if len(raw.Payload) == 0 {
		return invalid("payload", "is required")
	}
	dec = json.NewDecoder(bytes.NewReader(raw.Payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return invalid("payload", "does not decode as %s: %v", raw.Type, err)
	}
	c.Type, c.Payload = raw.Type, p
	if raw.OccurredAt != nil {
		c.OccurredAt = *raw.OccurredAt
	}
	return nil
}

// Request is what one caller appends atomically: one or more commands with
// the principal who asks and an idempotency key.
type Request struct {
	Alliance string
	Actor    string
	// IdempotencyKey makes retries safe forever: a request with a key that
	// was already used returns the original positions if its body is the
	// same, and fails with ErrConflict if it is not.
	IdempotencyKey string
	Commands       []Command
}

// Receipt tells a caller where its events are.
type Receipt struct {
	Alliance   string    `json:"alliance"`
	First      uint64    `json:"first_seq"`
	Last       uint64    `json:"last_seq"`
	RecordedAt time.Time `json:"recorded_at,omitzero"` // not known to a retry answered from the idempotency record
	// Duplicate is true when the idempotency key was used before and the
	// receipt is the original one.
	Duplicate bool `json:"duplicate,omitempty"`
}

// Limits on a request.
const (
	maxCommandsPerRequest = 1000
	maxKeyLength          = 200
)

// Validate checks the request by itself, before it reaches the writer.
func (r *Request) Validate(now time.Time) error {
	if !ValidAllianceID(r.Alliance) {
		return invalid("alliance", "alliance id %q must be 1-63 lowercase letters, digits, '_' or '-', starting with a letter or digit", r.Alliance)
	}
	if r.Actor == "" || len(r.Actor) > 200 || !utf8.ValidString(r.Actor) {
		return invalid("actor", "the principal appending must be named (at most 200 bytes)")
	}
	if len(r.IdempotencyKey) > maxKeyLength || !utf8.ValidString(r.IdempotencyKey) {
		return invalid("idempotency_key", "must be valid UTF-8 of at most %d bytes", maxKeyLength)
	}
	if len(r.Commands) == 0 {
		return invalid("commands", "at least one command is required")
	}
	if len(r.Commands) > maxCommandsPerRequest {
		return invalid("commands", "%d commands in one request, the limit is %d", len(r.Commands), maxCommandsPerRequest)
	}
	for i := range r.Commands {
		if err := r.Commands[i].validate(now); err != nil {
			if len(r.Commands) > 1 {
				return prefixed(fmt.Sprintf("commands[%d]", i), err)
			}
			return err
		}
	}
	return nil
}

func (c *Command) validate(now time.Time) error {
	if c.Payload == nil {
		return invalid("payload", "is required")
	}
	if c.Type == "" {
		c.Type = c.Payload.EventType()
	}
	if c.Type != c.Payload.EventType() {
		return invalid("type", "type %q does not match a %s payload", c.Type, c.Payload.EventType())
	}
	if err := validateOccurredAt(c.OccurredAt, now); err != nil {
		return err
	}
	return c.Payload.Validate()
}
