package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// The writer decides requests one at a time on one goroutine per alliance,
// so whatever it does per event bounds an alliance's append rate. Most of an
// event's bytes do not depend on the alliance's state: the envelope's type,
// version, alliance, actor, business time, idempotency key and digest, and
// most of the payload. The caller's goroutine encodes those when the request
// arrives (many callers, every core); the writer adds what only it knows
// (the position, the aggregate, the recording time, derived payload
// fields) and copies the rest. TestWriterEncodingIsCanonical holds
// the result to what encoding/json writes for the event.

// encoded is the state-independent encoding of a request, made by newPending.
type encoded struct {
	cmds   []encodedCommand
	actor  []byte   // `,"actor":X`
	tail   []byte   // `,"idempotency_key":K,"command_digest":D,"payload":` (the first two if keyed)
	digest string   // hex SHA-256 of the body, if the request has a key
	sum    [32]byte // the same, as bytes
}

type encodedCommand struct {
	payload []byte // as submitted
	// derived is where a contribution's derivable members (value to
	// counterparty) are in payload; zero for other payloads.
	derived [2]int
	id      string // the event's id
	open    []byte // `{"id":I,"seq":`
	head    []byte // `,"type":T,"v":N,"alliance":A,"aggregate":`
	time    []byte // the business time as stored, nil if none was given
}

func encodeRequest(req *Request) (encoded, error) {
	x := encoded{cmds: make([]encodedCommand, len(req.Commands))}
	// The small pieces share one buffer: a subslice stays valid even if a
	// later append moves the buffer.
	buf := make([]byte, 0, 160+len(req.Actor)+len(req.IdempotencyKey)+len(req.Commands)*(150+len(req.Alliance)))
	piece := func(from int) []byte { return buf[from:len(buf):len(buf)] }
	for i := range req.Commands {
		c, xc := &req.Commands[i], &x.cmds[i]
		if p, ok := c.Payload.(*ContributionRecorded); ok {
			b, from, to := p.appendJSONSplit(make([]byte, 0, 512))
			xc.payload, xc.derived = b, [2]int{from, to}
		} else {
			b, err := marshal(c.Payload)
			if err != nil {
				return encoded{}, fmt.Errorf("encode %s payload: %w", c.Type, err)
			}
			xc.payload = b
		}
		xc.id = newID()
		from := len(buf)
		buf = append(buf, `{"id":`...)
		buf = appendJSONString(buf, xc.id)
		buf = append(buf, `,"seq":`...)
		xc.open = piece(from)
		from = len(buf)
		buf = append(buf, `,"type":`...)
		buf = appendJSONString(buf, c.Type)
		buf = append(buf, `,"v":`...)
		buf = strconv.AppendInt(buf, int64(registry[c.Type].current), 10)
		buf = append(buf, `,"alliance":`...)
		buf = appendJSONString(buf, req.Alliance)
		buf = append(buf, `,"aggregate":`...)
		xc.head = piece(from)
		if !c.OccurredAt.IsZero() {
			from = len(buf)
			buf = c.OccurredAt.UTC().AppendFormat(buf, time.RFC3339Nano)
			xc.time = piece(from)
		}
	}
	from := len(buf)
	buf = append(buf, `,"actor":`...)
	buf = appendJSONString(buf, req.Actor)
	x.actor = piece(from)
	from = len(buf)
	if req.IdempotencyKey != "" {
		x.sum = req.digestOf(x.cmds)
		x.digest = hex.EncodeToString(x.sum[:])
		buf = append(buf, `,"idempotency_key":`...)
		buf = appendJSONString(buf, req.IdempotencyKey)
		buf = append(buf, `,"command_digest":"`...)
		buf = append(buf, x.digest...)
		buf = append(buf, '"')
	}
	buf = append(buf, `,"payload":`...)
	x.tail = piece(from)
	return x, nil
}

// size is how many bytes the request's events take at most encoded (and
// a comma each), given the length of the recording time, as far as the
// state-independent parts tell, so that the writer can make room for a
// commit's events at once. The position, aggregate and business time are
// taken at their longest; a contribution's derived value and counterparty
// are allowed for. A payload that decide rewrites otherwise may come out
// longer: the commit's buffer then grows.
func (x *encoded) size(recorded int) int {
	const fixed = 20 + // position
		100 + // aggregate, quoted
		len(`,"occurred_at":"","recorded_at":""}`) + 35 + // business time
		1 // comma
	n := 0
	for i := range x.cmds {
		xc := &x.cmds[i]
		n += fixed + len(xc.open) + len(xc.head) + len(x.actor) + recorded + len(x.tail) + len(xc.payload)
		if xc.derived != [2]int{} {
			n += len(`,"value":{"amount":,"currency":""},"counterparty":""`) + 20 + 3 + 64
		}
	}
	return n
}

// zeroTime is how the digest writes a command without a business time.
var zeroTime = time.Time{}.AppendFormat(nil, time.RFC3339Nano)

// digestOf is the SHA-256 of the request's body, which an idempotency key
// is bound to: the actor, and each command's type, business time and
// payload as submitted, each followed by a zero byte.
func (r *Request) digestOf(cmds []encodedCommand) [32]byte {
	h := sha256.New()
	h.Write([]byte(r.Actor))
	h.Write([]byte{0})
	for i, c := range r.Commands {
		h.Write([]byte(c.Type))
		h.Write([]byte{0})
		if t := cmds[i].time; t != nil {
			h.Write(t)
		} else {
			h.Write(zeroTime)
		}
		h.Write([]byte{0})
		h.Write(cmds[i].payload)
		h.Write([]byte{0})
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// appendEvent appends to b command i of the request encoded as the event at
// seq, exactly as encoding/json writes the Event (without HTML escaping),
// and returns the result and where the event's payload starts in it.
// payload is the decided payload; derived says decide filled in fields, so
// the caller's encoding of it is stale.
func (x *encoded) appendEvent(b []byte, i int, seq uint64, aggregate string, recorded []byte, payload Payload, derived bool) ([]byte, int, error) {
	xc := &x.cmds[i]
	raw := xc.payload
	b = append(b, xc.open...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, xc.head...)
	b = appendJSONString(b, aggregate)
	b = append(b, x.actor...)
	b = append(b, `,"occurred_at":"`...)
	if t := xc.time; t != nil {
		b = append(b, t...)
	} else {
		b = append(b, recorded...) // a command without a business time occurred when recorded
	}
	b = append(b, `","recorded_at":"`...)
	b = append(b, recorded...)
	b = append(b, '"')
	b = append(b, x.tail...)
	start := len(b)
	switch {
	case !derived:
		b = append(b, raw...)
	case xc.derived != [2]int{}:
		d := xc.derived
		b = append(b, raw[:d[0]]...)
		b = payload.(*ContributionRecorded).appendJSONDerived(b)
		b = append(b, raw[d[1]:]...)
	default:
		if f, ok := payload.(fastEncoder); ok {
			b = f.appendJSON(b)
		} else {
			p, err := marshal(payload)
			if err != nil {
				return nil, 0, err
			}
			b = append(b, p...)
		}
	}
	return append(b, '}'), start, nil
}
