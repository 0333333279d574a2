package ledger

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/big"
	"math/bits"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Replaying a log decodes every event, and encoding/json made that cost
// some 20 µs an event: it scans each byte three times and decodes the
// payload twice (into the envelope's RawMessage, then into the payload).
// decodeEventFast reads the canonical layout the writer produces in one
// pass.
//
// The rule it lives by: for any input, it either returns exactly what
// decodeEventSlow (encoding/json) returns, or gives up (ok == false) and
// lets decodeEventSlow decide, errors included. It never produces an error
// of its own. It gives up on anything it does not fully understand:
// whitespace, keys it does not know exactly (encoding/json matches keys
// case-insensitively and ignores unknown ones), keys out of canonical order
// or repeated (encoding/json keeps the last), null, numbers with a fraction
// or an exponent, integers that overflow, trailing data. Strings with
// escapes or invalid UTF-8 are decoded by encoding/json itself, one string
// at a time. FuzzDecodeEventFast holds it to the rule.
//
// Equal values, not the same memory: an event and its payload share one
// allocation (an eventBox), the event's mostly unique strings another
// (flush), names are interned and canonical quantities shared between
// events (Ratio is immutable). Keeping one string or the payload of an
// event keeps those few hundred bytes alive; Raw is a copy of its own.

// eventMembers are the envelope's members, in the order appendEvent
// writes them, each as `"name":`.
var eventMembers = members("id", "seq", "type", "v", "alliance", "aggregate", "actor",
	"occurred_at", "recorded_at", "idempotency_key", "command_digest", "payload")

// decodeEventFast decodes an event in the writer's layout (see
// appendEvent): envelope members in their order, the payload last.
// With share, Raw is a subslice of data rather than a copy of its own.
func decodeEventFast(data []byte, share bool) (*Event, bool) {
	r := jsonReader{b: data}
	e, ok := r.event(share)
	if !ok || r.i != len(data) {
		return nil, false
	}
	return e, true
}

// event reads an event in the writer's layout at r.i, as decodeEventFast
// does, leaving r.i after its closing brace; with share, Raw is a subslice
// of r.b.
func (r *jsonReader) event(share bool) (*Event, bool) {
	data := r.b
	var (
		e     *Event // allocated with room for its payload once the type is known
		box   eventBox
		t     eventType
		idPos = -1
		seq   uint64
	)
	more, ok := r.beginObject()
	for next := 0; ok && more; more, ok = r.endMember() {
		var k int
		if k, ok = r.member(eventMembers, next); !ok {
			return nil, false
		}
		next = k + 1
		if k > 2 && e == nil {
			return nil, false // no type, or not before these: encoding/json decides
		}
		switch k {
		case 0: // id, read once the event is allocated
			idPos = r.i
			ok = r.skipString()
		case 1:
			ok = r.uint64(&seq)
		case 2:
			// Type names are plain: read one as is and take the
			// registry's string, which is equal and costs nothing.
			typ, verbatim, ok2 := r.stringSpan()
			if ok2 && verbatim {
				t, ok2 = registry[string(typ)]
			}
			if ok = ok2 && verbatim; !ok {
				break
			}
			e, box = newEventBox(t.name)
			e.Type, e.Seq = t.name, seq
			if idPos >= 0 {
				ok = r.textAt(idPos, &e.ID)
			}
		case 3:
			ok = r.int(&e.Version)
		case 4:
			ok = r.name(&e.Alliance)
		case 5:
			ok = r.text(&e.Aggregate)
		case 6:
			ok = r.name(&e.Actor)
		case 7:
			ok = r.time(&e.OccurredAt)
		case 8:
			ok = r.time(&e.RecordedAt)
		case 9:
			ok = r.text(&e.IdempotencyKey)
		case 10:
			ok = r.text(&e.CommandDigest)
		case 11:
			start := r.i
			if e.Version == t.current && box != nil {
				e.Payload, ok = r.payload(box)
			} else {
				ok = r.skipValue(0)
			}
			if share {
				e.Raw = data[start:r.i:r.i]
			} else {
				e.Raw = append(json.RawMessage(nil), data[start:r.i]...)
			}
		}
		if !ok {
			return nil, false
		}
	}
	if !ok || e == nil || e.Raw == nil {
		return nil, false
	}
	if e.Payload == nil {
		// Other types and older versions: now that the whole event is
		// known to be what encoding/json reads, decode the payload as it
		// does (upcasters included), from the same copy.
		p, err := t.decode(e.Version, e.Raw)
		if err != nil {
			return nil, false
		}
		e.Payload = p
	}
	r.flush()
	return e, true
}

// Corrected is p.Corrected(eventType), the replacement decoded as a
// payload of that type, read by the type's payload reader when it is in
// the writer's layout (as decodeEventFast reads a payload), and by
// p.Corrected otherwise, errors included. The read side folds every
// correction through it.
func Corrected(p *EntryCorrected, eventType string) (Payload, error) {
	if _, box := newEventBox(eventType); box != nil {
		r := jsonReader{b: p.Replacement}
		// json.Decoder.Decode reads the first value and leaves what
		// follows: only a replacement read to its end is the same.
		if typed, ok := r.payload(box); ok && r.i == len(r.b) {
			r.flush()
			return typed, nil
		}
	}
	return p.Corrected(eventType)
}

// An eventBox holds an event with room for its payload and the payload's
// parts, so that decoding one costs one allocation, not five. The payload
// is decoded into the box only when stored in the current schema version.
type eventBox any

type (
	contributionRecordedBox struct {
		Event
		payload   ContributionRecorded
		evidence  Evidence
		unitValue Money
		quantity  Ratio
	}
	contributionConfirmedBox struct {
		Event
		payload ContributionConfirmed
	}
	contributionContestedBox struct {
		Event
		payload ContributionContested
		claimed Money
	}
	fundingReceivedBox struct {
		Event
		payload  FundingReceived
		evidence Evidence
	}
	costIncurredBox struct {
		Event
		payload  CostIncurred
		evidence Evidence
	}
	lossRealizedBox struct {
		Event
		payload  LossRealized
		evidence Evidence
	}
	entryReversedBox struct {
		Event
		payload EntryReversed
	}
	ipStatusChangedBox struct {
		Event
		payload IPStatusChanged
	}
	ipFiledBox struct {
		Event
		payload  IPFiled
		evidence Evidence
	}
	ipLicenceRevenueBox struct {
		Event
		payload IPLicenceRevenue
	}
	entryCorrectedBox struct {
		Event
		payload EntryCorrected
	}
	memberAdmittedBox struct {
		Event
		payload MemberAdmitted
	}
	memberRoleChangedBox struct {
		Event
		payload MemberRoleChanged
	}
	memberDepartedBox struct {
		Event
		payload MemberDeparted
	}
	projectOpenedBox struct {
		Event
		payload ProjectOpened
	}
	projectParticipantsBox struct {
		Event
		payload ProjectParticipantsChanged
	}
	projectClosedBox struct {
		Event
		payload ProjectClosed
	}
	poolDeclaredBox struct {
		Event
		payload PoolDeclared
	}
	poolAssessedBox struct {
		Event
		payload  PoolAssessed
		document Evidence
	}
	payoutCommittedBox struct {
		Event
		payload PayoutCommitted
	}
	payoutSettledBox struct {
		Event
		payload PayoutSettled
	}
	payoutAdjustedBox struct {
		Event
		payload PayoutAdjusted
	}
	disputeRaisedBox struct {
		Event
		payload DisputeRaised
		claimed Money
	}
	disputeResolvedBox struct {
		Event
		payload DisputeResolved
	}
)

// newEventBox allocates an event of the named type, in a box when the type
// has a decoder of its own.
func newEventBox(typ string) (*Event, eventBox) {
	switch typ {
	case TypeContributionRecorded:
		b := new(contributionRecordedBox)
		return &b.Event, b
	case TypeContributionConfirmed:
		b := new(contributionConfirmedBox)
		return &b.Event, b
	case TypeContributionContested:
		b := new(contributionContestedBox)
		return &b.Event, b
	case TypeFundingReceived:
		b := new(fundingReceivedBox)
		return &b.Event, b
	case TypeCostIncurred:
		b := new(costIncurredBox)
		return &b.Event, b
	case TypeLossRealized:
		b := new(lossRealizedBox)
		return &b.Event, b
	case TypeEntryReversed:
		b := new(entryReversedBox)
		return &b.Event, b
	case TypeIPStatusChanged:
		b := new(ipStatusChangedBox)
		return &b.Event, b
	case TypeIPFiled:
		b := new(ipFiledBox)
		return &b.Event, b
	case TypeIPLicenceRevenue:
		b := new(ipLicenceRevenueBox)
		return &b.Event, b
	case TypeEntryCorrected:
		b := new(entryCorrectedBox)
		return &b.Event, b
	case TypeMemberAdmitted:
		b := new(memberAdmittedBox)
		return &b.Event, b
	case TypeMemberRoleChanged:
		b := new(memberRoleChangedBox)
		return &b.Event, b
	case TypeMemberDeparted:
		b := new(memberDepartedBox)
		return &b.Event, b
	case TypeProjectOpened:
		b := new(projectOpenedBox)
		return &b.Event, b
	case TypeProjectParticipants:
		b := new(projectParticipantsBox)
		return &b.Event, b
	case TypeProjectClosed:
		b := new(projectClosedBox)
		return &b.Event, b
	case TypePoolDeclared:
		b := new(poolDeclaredBox)
		return &b.Event, b
	case TypePoolAssessed:
		b := new(poolAssessedBox)
		return &b.Event, b
	case TypePayoutCommitted:
		b := new(payoutCommittedBox)
		return &b.Event, b
	case TypePayoutSettled:
		b := new(payoutSettledBox)
		return &b.Event, b
	case TypePayoutAdjusted:
		b := new(payoutAdjustedBox)
		return &b.Event, b
	case TypeDisputeRaised:
		b := new(disputeRaisedBox)
		return &b.Event, b
	case TypeDisputeResolved:
		b := new(disputeResolvedBox)
		return &b.Event, b
	}
	return new(Event), nil
}

// payload reads a payload stored in the current schema version into its
// box.
func (r *jsonReader) payload(box eventBox) (Payload, bool) {
	switch b := box.(type) {
	case *contributionRecordedBox:
		return &b.payload, r.contributionRecorded(b)
	case *contributionConfirmedBox:
		return &b.payload, r.contributionConfirmed(&b.payload)
	case *contributionContestedBox:
		return &b.payload, r.contributionContested(b)
	case *fundingReceivedBox:
		return &b.payload, r.fundingReceived(&b.payload, &b.evidence)
	case *costIncurredBox:
		return &b.payload, r.costIncurred(&b.payload, &b.evidence)
	case *lossRealizedBox:
		return &b.payload, r.lossRealized(&b.payload, &b.evidence)
	case *entryReversedBox:
		return &b.payload, r.entryReversed(&b.payload)
	case *ipStatusChangedBox:
		return &b.payload, r.ipStatusChanged(&b.payload)
	case *ipFiledBox:
		return &b.payload, r.ipFiled(&b.payload, &b.evidence)
	case *ipLicenceRevenueBox:
		return &b.payload, r.ipLicenceRevenue(&b.payload)
	case *entryCorrectedBox:
		return &b.payload, r.entryCorrected(&b.payload)
	case *memberAdmittedBox:
		return &b.payload, r.memberAdmitted(&b.payload)
	case *memberRoleChangedBox:
		return &b.payload, r.memberRoleChanged(&b.payload)
	case *memberDepartedBox:
		return &b.payload, r.memberDeparted(&b.payload)
	case *projectOpenedBox:
		return &b.payload, r.projectOpened(&b.payload)
	case *projectParticipantsBox:
		return &b.payload, r.projectParticipants(&b.payload)
	case *projectClosedBox:
		return &b.payload, r.projectClosed(&b.payload)
	case *poolDeclaredBox:
		return &b.payload, r.poolDeclared(&b.payload)
	case *poolAssessedBox:
		return &b.payload, r.poolAssessed(&b.payload, &b.document)
	case *payoutCommittedBox:
		return &b.payload, r.payoutCommitted(&b.payload)
	case *payoutSettledBox:
		return &b.payload, r.payoutSettled(&b.payload)
	case *payoutAdjustedBox:
		return &b.payload, r.payoutAdjusted(&b.payload)
	case *disputeRaisedBox:
		return &b.payload, r.disputeRaised(&b.payload, &b.claimed)
	case *disputeResolvedBox:
		return &b.payload, r.disputeResolved(&b.payload)
	}
	return nil, false
}

// jsonReader is a cursor over canonical JSON. Every method reports false
// when the input is not what it reads; the caller then gives up.
type jsonReader struct {
	b []byte
	i int
	// texts waiting for flush to copy them into one string.
	texts  [12]pendingText
	ntexts int
}

type pendingText struct {
	dst        *string
	start, end int
}

// char consumes c if it is the next byte.
func (r *jsonReader) char(c byte) bool {
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// beginObject consumes '{' and reports whether members follow (false for
// an empty object, whose '}' it consumes too).
func (r *jsonReader) beginObject() (members, ok bool) {
	if !r.char('{') {
		return false, false
	}
	if r.char('}') {
		return false, true
	}
	return true, true
}

// endMember consumes the ',' before another member (more) or the '}' that
// closes the object.
func (r *jsonReader) endMember() (more, ok bool) {
	if r.i < len(r.b) {
		switch r.b[r.i] {
		case ',':
			r.i++
			return true, true
		case '}':
			r.i++
			return false, true
		}
	}
	return false, false
}

// memberName is a member's name as written, `"name":`, with its first
// sixteen bytes as two words and masks, for comparing eight bytes at once.
type memberName struct {
	s              string
	w0, w1, m0, m1 uint64
}

// members returns the member names of an object, for member.
func members(names ...string) []memberName {
	out := make([]memberName, len(names))
	for i, n := range names {
		m := memberName{s: `"` + n + `":`}
		var buf [16]byte
		copy(buf[:], m.s)
		m.w0, m.w1 = binary.LittleEndian.Uint64(buf[:8]), binary.LittleEndian.Uint64(buf[8:])
		for j := range min(len(m.s), 16) {
			if j < 8 {
				m.m0 |= 0xff << (8 * j)
			} else {
				m.m1 |= 0xff << (8 * (j - 8))
			}
		}
		out[i] = m
	}
	return out
}

// member reads the name of the next member, which must be one of
// names[next:]: members must come in the order the encoders write them,
// which also excludes repeated members. It returns the member's index in
// names. A name written otherwise (another case, escapes) or unknown is not
// read: encoding/json decides.
func (r *jsonReader) member(names []memberName, next int) (int, bool) {
	rest := r.b[r.i:]
	if len(rest) < 16 {
		for k := next; k < len(names); k++ {
			if n := names[k].s; len(rest) >= len(n) && string(rest[:len(n)]) == n {
				r.i += len(n)
				return k, true
			}
		}
		return 0, false
	}
	w0, w1 := binary.LittleEndian.Uint64(rest), binary.LittleEndian.Uint64(rest[8:])
	for k := next; k < len(names); k++ {
		n := &names[k]
		if w0&n.m0 == n.w0 && w1&n.m1 == n.w1 && (len(n.s) <= 16 || len(rest) >= len(n.s) && string(rest[16:len(n.s)]) == n.s[16:]) {
			r.i += len(n.s)
			return k, true
		}
	}
	return 0, false
}

// stringSpan reads a string literal and returns its contents, without the
// quotes, and whether encoding/json would copy them as they are (no
// escapes, valid UTF-8).
func (r *jsonReader) stringSpan() (s []byte, verbatim, ok bool) {
	b := r.b
	i := r.i
	if i >= len(b) || b[i] != '"' {
		return nil, false, false
	}
	i++
	start := i
	escaped := false
	var high uint64 // or of the bytes read: bit 7 set if one is not ASCII
	for {
		if i+8 <= len(b) {
			// Eight bytes at a time up to a quote, a backslash or a
			// control character.
			x := binary.LittleEndian.Uint64(b[i:])
			m := stopMask(x)
			if m == 0 {
				high |= x
				i += 8
				continue
			}
			n := bits.TrailingZeros64(m) / 8
			high |= x & (1<<(8*n) - 1)
			i += n
		} else {
			for i < len(b) && !stopByte[b[i]] {
				high |= uint64(b[i])
				i++
			}
			if i >= len(b) {
				return nil, false, false
			}
		}
		switch b[i] {
		case '"':
			r.i = i + 1
			s = b[start:i]
			// encoding/json replaces invalid UTF-8 by U+FFFD.
			return s, !escaped && (high&0x8080808080808080 == 0 || utf8.Valid(s)), true
		case '\\':
			// Whatever the escape, what follows it up to the closing quote
			// is read on: encoding/json validates and decodes the string.
			escaped = true
			i += 2
		default: // a control character: a syntax error
			return nil, false, false
		}
	}
}

// stopByte marks the bytes that end a run of plain string bytes: a quote,
// a backslash or a control character.
var stopByte = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// stopMask has bit 7 of the first stop byte among the eight bytes of x
// set (in little-endian order), and no lower bit: each of its tests
// (x - c) &^ x & 0x80… marks the first byte below c, or equal to 0 for
// x^c, exactly; marks above it may be false.
func stopMask(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote := x ^ ('"' * ones)
	backslash := x ^ ('\\' * ones)
	return ((x-0x20*ones)&^x | (quote-ones)&^quote | (backslash-ones)&^backslash) & highs
}

// name reads a string that repeats from event to event (ids, kinds,
// currencies), interned.
func (r *jsonReader) name(s *string) bool {
	start := r.i
	span, verbatim, ok := r.stringSpan()
	if !ok {
		return false
	}
	if verbatim {
		*s = intern(span)
		return true
	}
	return json.Unmarshal(r.b[start:r.i], s) == nil
}

// text reads a string that is mostly unique (ids of events, digests,
// descriptions). Its copy waits for flush, which makes one string of all
// the texts waiting.
func (r *jsonReader) text(s *string) bool {
	start := r.i
	span, verbatim, ok := r.stringSpan()
	if !ok {
		return false
	}
	switch {
	case !verbatim:
		return json.Unmarshal(r.b[start:r.i], s) == nil
	case len(span) == 0:
		*s = ""
	case r.ntexts < len(r.texts):
		r.texts[r.ntexts] = pendingText{s, r.i - 1 - len(span), r.i - 1}
		r.ntexts++
	default:
		*s = string(span)
	}
	return true
}

// textAt is text for the string literal at pos.
func (r *jsonReader) textAt(pos int, s *string) bool {
	i := r.i
	r.i = pos
	ok := r.text(s)
	r.i = i
	return ok
}

// flush sets the texts waiting, from one copy.
func (r *jsonReader) flush() {
	n := 0
	for _, t := range r.texts[:r.ntexts] {
		n += t.end - t.start
	}
	var all strings.Builder
	all.Grow(n)
	for _, t := range r.texts[:r.ntexts] {
		all.Write(r.b[t.start:t.end])
	}
	s := all.String()
	for _, t := range r.texts[:r.ntexts] {
		*t.dst, s = s[:t.end-t.start], s[t.end-t.start:]
	}
	r.ntexts = 0
}

// internTable holds recently decoded names, so that each name decoded
// again and again (a member id in every contribution) is allocated once.
// A slot holds one string; another with the same hash replaces it.
var internTable [1 << slotBits]atomic.Pointer[string]

// intern returns string(b), from internTable when it is there.
func intern(b []byte) string {
	if len(b) > 64 {
		return string(b)
	}
	slot := &internTable[slotOf(b)]
	if p := slot.Load(); p != nil && *p == string(b) {
		return *p
	}
	s := string(b)
	slot.Store(&s)
	return s
}

// slotBits is the size of the tables of names and quantities: 4096 slots.
const slotBits = 12

// slotOf hashes a short string to a slot (a collision only costs an
// allocation): multiplicative hashing, eight bytes at a time.
func slotOf(b []byte) uint64 {
	const k = 0x9e3779b97f4a7c15
	h := uint64(len(b))
	for len(b) >= 8 {
		h = (h ^ binary.LittleEndian.Uint64(b)) * k
		b = b[8:]
	}
	var w uint64
	for i, c := range b {
		w |= uint64(c) << (8 * i)
	}
	return ((h ^ w) * k) >> (64 - slotBits)
}

// str reads a string literal into s, decoded as encoding/json does.
func (r *jsonReader) str(s *string) bool {
	start := r.i
	span, verbatim, ok := r.stringSpan()
	if !ok {
		return false
	}
	if verbatim {
		*s = string(span)
		return true
	}
	// Escapes or invalid UTF-8: rare in canonical bytes; let encoding/json
	// decode the literal, so the result is its own.
	return json.Unmarshal(r.b[start:r.i], s) == nil
}

// time reads a string literal through (*time.Time).UnmarshalJSON, as
// encoding/json does, or, in the UTC form the writer stores, through
// parseUTC, which gives the same time for a fraction of the cost. Literals
// with escapes are left to encoding/json.
func (r *jsonReader) time(t *time.Time) bool {
	start := r.i
	span, verbatim, ok := r.stringSpan()
	if !ok || !verbatim {
		return false
	}
	if v, ok := parseUTC(span); ok {
		*t = v
		return true
	}
	return t.UnmarshalJSON(r.b[start:r.i]) == nil
}

// parseUTC parses the times the writer stores, RFC 3339 in UTC with at
// most nine digits of fraction (2006-01-02T15:04:05.999999999Z), and
// reports false for anything else. What it accepts, time's own parser
// (parseRFC3339, behind UnmarshalJSON) accepts with the same checks of
// range and gives as time.Date in UTC, as here; time zones other than Z,
// which it resolves against the local zone, are left to it.
// FuzzParseUTC holds the two together.
func parseUTC(s []byte) (time.Time, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") || len(s) > len("2006-01-02T15:04:05.999999999Z") || s[len(s)-1] != 'Z' ||
		s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	hour, ok4 := decimal(s[11:13])
	minute, ok5 := decimal(s[14:16])
	sec, ok6 := decimal(s[17:19])
	nsec, ok7 := 0, true
	if frac := s[19 : len(s)-1]; len(frac) > 0 {
		if len(frac) < 2 || frac[0] != '.' {
			return time.Time{}, false
		}
		nsec, ok7 = decimal(frac[1:])
		for range 10 - len(frac) {
			nsec *= 10
		}
	}
	if !(ok4 && ok5 && ok6 && ok7) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	var midnight int64
	// The slot is by month and day: a business time and a recording
	// time, years apart, rarely share one.
	slot := &days[(int(s[6])*10+int(s[8])*4+int(s[9]))%len(days)]
	if d := slot.Load(); d != nil && string(d.text[:]) == string(s[:10]) {
		midnight = d.unix
	} else {
		year, ok1 := decimal(s[0:4])
		month, ok2 := decimal(s[5:7])
		day, ok3 := decimal(s[8:10])
		if !(ok1 && ok2 && ok3) || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) {
			return time.Time{}, false
		}
		midnight = time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC).Unix()
		d := &parsedDay{unix: midnight}
		copy(d.text[:], s[:10])
		slot.Store(d)
	}
	return time.Unix(midnight+int64(hour*3600+minute*60+sec), int64(nsec)).UTC(), true
}

// days are dates parseUTC read, with their midnights: the events of a log
// follow one another within a day, and the calendar arithmetic of
// time.Date is most of what reading a time costs. Only valid dates are
// kept.
var days [64]atomic.Pointer[parsedDay]

type parsedDay struct {
	text [10]byte // 2006-01-02
	unix int64
}

// decimal parses s, digits only, at most nine of them.
func decimal(s []byte) (int, bool) {
	n := 0
	for _, c := range s {
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + int(d)
	}
	return n, true
}

// daysIn is the number of days of a month of the proleptic Gregorian
// calendar, as time's parser reckons it.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// ratio reads a string literal into a Ratio as (*Ratio).UnmarshalJSON
// does: it decodes the JSON string and parses it with ParseRatio. Canonical
// decimals, the form quantities are stored in, are parsed by parseRatioFast
// and kept in ratioTable: the same few quantities come again and again, and
// a Ratio is immutable, so events can share one.
func (r *jsonReader) ratio(x *Ratio) bool {
	start := r.i
	span, verbatim, ok := r.stringSpan()
	if !ok {
		return false
	}
	if verbatim && len(span) <= maxFastRatio {
		slot := &ratioTable[slotOf(span)]
		if p := slot.Load(); p != nil && p.s == string(span) {
			*x = *p
			return true
		}
		if v, ok := parseRatioFast(string(span)); ok {
			slot.Store(&v)
			*x = v
			return true
		}
	}
	r.i = start
	var s string
	if !r.str(&s) {
		return false
	}
	v, err := ParseRatio(s)
	if err != nil {
		return false
	}
	*x = v
	return true
}

// ratioTable holds Ratios parsed by parseRatioFast, by their string (which
// is canonical); a slot holds one, another with the same hash replaces it.
var ratioTable [1 << slotBits]atomic.Pointer[Ratio]

// maxFastRatio is the longest string parseRatioFast parses.
const maxFastRatio = 19

// parseRatioFast is ParseRatio for the canonical decimals quantities are
// written in ("12.5", "300", "0.25": positive, no leading zero, no trailing
// zero after the point, at most 18 digits), whose canonical form is the
// string itself; it reports false for anything else. big.Rat.SetString and
// canonical cost a microsecond; this a tenth of that. FuzzParseRatioFast
// holds it to ParseRatio.
func parseRatioFast(s string) (Ratio, bool) {
	if len(s) == 0 || len(s) > maxFastRatio || s[0] == '0' && (len(s) == 1 || s[1] != '.') {
		return Ratio{}, false
	}
	var n uint64
	den := uint64(1)
	point := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			n = n*10 + uint64(c-'0')
			if point {
				den *= 10
			}
		case c == '.' && !point && i > 0 && i+1 < len(s) && s[len(s)-1] != '0':
			point = true
		default:
			return Ratio{}, false
		}
	}
	// At most 18 digits: n and den fit an int64.
	if n == 0 || len(s) > 18 && !point {
		return Ratio{}, false
	}
	if den == 1 {
		return Ratio{r: new(big.Rat).SetInt64(int64(n)), s: s}, true
	}
	return Ratio{r: new(big.Rat).SetFrac64(int64(n), int64(den)), s: s}, true
}

// digits reads an unsigned JSON integer: 0 or a non-zero digit and more
// digits, not followed by a fraction or an exponent, at most max.
func (r *jsonReader) digits(max uint64) (uint64, bool) {
	b := r.b
	i := r.i
	if i >= len(b) {
		return 0, false
	}
	var n uint64
	switch c := b[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			d := uint64(b[i] - '0')
			if n > (max-d)/10 {
				return 0, false // out of range: encoding/json fails
			}
			n = n*10 + d
			i++
		}
	default:
		return 0, false
	}
	if i < len(b) {
		// A digit after a leading 0 is a syntax error; a fraction or an
		// exponent does not fit an integer field.
		if c := b[i]; c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' {
			return 0, false
		}
	}
	r.i = i
	return n, true
}

func (r *jsonReader) uint64(v *uint64) bool {
	n, ok := r.digits(math.MaxUint64)
	if ok {
		*v = n
	}
	return ok
}

func (r *jsonReader) int64(v *int64) bool {
	if r.char('-') {
		n, ok := r.digits(1 << 63)
		if ok {
			*v = int64(-n)
		}
		return ok
	}
	n, ok := r.digits(math.MaxInt64)
	if ok {
		*v = int64(n)
	}
	return ok
}

func (r *jsonReader) int(v *int) bool {
	var n int64
	if !r.int64(&n) || int64(int(n)) != n {
		return false
	}
	*v = int(n)
	return true
}

// The payload decoders. Each reads the members its type's encoder writes,
// in that order; any other member, or order, and it gives up.

var moneyMembers = members("amount", "currency")

func (r *jsonReader) money(m *Money) bool {
	more, ok := r.beginObject()
	for next := 0; ok && more; more, ok = r.endMember() {
		var k int
		if k, ok = r.member(moneyMembers, next); !ok {
			return false
		}
		next = k + 1
		switch k {
		case 0:
			ok = r.int64(&m.Amount)
		case 1:
			ok = r.name(&m.Currency)
		}
		if !ok {
			return false
		}
	}
	return ok
}

// moneyPtr reads a money object into room and points m at it.
func (r *jsonReader) moneyPtr(m **Money, room *Money) bool {
	*m = room
	return r.money(room)
}

var evidenceMembers = members("sha256", "uri", "title")

// evidence reads an evidence object into room and points e at it.
func (r *jsonReader) evidence(e **Evidence, room *Evidence) bool {
	*e = room
	more, ok := r.beginObject()
	for next := 0; ok && more; more, ok = r.endMember() {
		var k int
		if k, ok = r.member(evidenceMembers, next); !ok {
			return false
		}
		next = k + 1
		switch k {
		case 0:
			ok = r.text(&room.SHA256)
		case 1:
			ok = r.text(&room.URI)
		case 2:
			ok = r.text(&room.Title)
		}
		if !ok {
			return false
		}
	}
	return ok
}

var contributionRecordedMembers = members("member", "project", "kind", "value", "quantity", "unit",
	"unit_value", "valuation", "counterparty", "description", "evidence")

func (r *jsonReader) contributionRecorded(b *contributionRecordedBox) bool {
	p := &b.payload
	more, ok := r.beginObject()
	for next := 0; ok && more; more, ok = r.endMember() {
		var k int
		if k, ok = r.member(contributionRecordedMembers, next); !ok {
			return false
		}
		next = k + 1
		switch k {
		case 0:
			ok = r.name(&p.Member)
		case 1:
			ok = r.name(&p.Project)
		case 2:
			ok = r.name(&p.Kind)
		case 3:
			ok = r.money(&p.Value)
		case 4:
			p.Quantity = &b.quantity
			ok = r.ratio(p.Quantity)
		case 5:
			ok = r.name(&p.Unit)
		case 6:
			ok = r.moneyPtr(&p.UnitValue, &b.unitValue)
		case 7:
			ok = r.name(&p.Valuation)
		case 8:
			ok = r.name(&p.Counterparty)
		case 9:
			ok = r.text(&p.Description)
		case 10:
			ok = r.evidence(&p.Evidence, &b.evidence)
		}
		if !ok {
			return false
		}
	}
	return ok
}

var contributionConfirmedMembers = members("contribution", "by", "note")

var entryReversedMembers = members("entry", "reason")

func (r *jsonReader) entryReversed(p *EntryReversed) bool {
	more, ok := r.beginObject()
	for next := 0; ok && more; more, ok = r.endMember() {
		var k int
		if k, ok = r.member(entryReversedMembers, next); !ok {
			return false
		}
		next = k + 1
		switch k {
		case 0:
			ok = r.uint64(&p.Entry)
		case 1:
			ok = r.text(&p.Reason)
		}
		if !ok {
			return false
		}
	}
	return ok
}

var ipStatusChangedMembers = members("asset", "status", "number", "counterparty", "note")

func (r *jsonReader) ipStatusChanged(p *IPStatusChanged) bool {
	more, ok := r.beginObject()
	for next := 0; ok && more; more, ok = r.endMember() {
		var k int
		if k, ok = r.member(ipStatusChangedMembers, next); !ok {
			return false
		}
		next = k + 1
		switch k {
		case 0:
			ok = r.name(&p.Asset)
		case 1:
			ok = r.name(&p.Status)
		case 2:
			ok = r.text(&p.Number)
		case 3:
			ok = r.text(&p.Counterparty)
		case 4:
			ok = r.text(&p.Note)
		}
		if !ok {
			return false
		}
	}
	return ok
}

func (r *jsonReader) contributionConfirmed(p *ContributionConfirmed) bool {
	more, ok := r.beginObject()
	for next := 0; ok && more; more, ok = r.endMember() {
		var k int
		if k, ok = r.member(contributionConfirmedMembers, next); !ok {
			return false
		}
		next = k + 1
		switch k {
		case 0:
			ok = r.uint64(&p.Contribution)
		case 1:
			ok = r.name(&p.By)
		case 2:
			ok = r.text(&p.Note)
		}
		if !ok {
			return false
		}
	}
	return ok
}

var contributionContestedMembers = members("contribution", "by", "reason", "claimed_value")

func (r *jsonReader) contributionContested(b *contributionContestedBox) bool {
	p := &b.payload
	more, ok := r.beginObject()
	for next := 0; ok && more; more, ok = r.endMember() {
		var k int
		if k, ok = r.member(contributionContestedMembers, next); !ok {
			return false
		}
		next = k + 1
		switch k {
		case 0:
			ok = r.uint64(&p.Contribution)
		case 1:
			ok = r.name(&p.By)
		case 2:
			ok = r.text(&p.Reason)
		case 3:
			ok = r.moneyPtr(&p.ClaimedValue, &b.claimed)
		}
		if !ok {
			return false
		}
	}
	return ok
}

var fundingReceivedMembers = members("source", "payer", "member", "amount", "project", "reference", "evidence")

func (r *jsonReader) fundingReceived(p *FundingReceived, ev *Evidence) bool {
	more, ok := r.beginObject()
	for next := 0; ok && more; more, ok = r.endMember() {
		var k int
		if k, ok = r.member(fundingReceivedMembers, next); !ok {
			return false
		}
		next = k + 1
		switch k {
		case 0:
			ok = r.name(&p.Source)
		case 1:
			ok = r.name(&p.Payer)
		case 2:
			ok = r.name(&p.Member)
		case 3:
			ok = r.money(&p.Amount)
		case 4:
			ok = r.name(&p.Project)
		case 5:
			ok = r.text(&p.Reference)
		case 6:
			ok = r.evidence(&p.Evidence, ev)
		}
		if !ok {
			return false
		}
	}
	return ok
}

var costIncurredMembers = members("project", "category", "amount", "borne_by", "description", "evidence")

func (r *jsonReader) costIncurred(p *CostIncurred, ev *Evidence) bool {
	more, ok := r.beginObject()
	for next := 0; ok && more; more, ok = r.endMember() {
		var k int
		if k, ok = r.member(costIncurredMembers, next); !ok {
			return false
		}
		next = k + 1
		switch k {
		case 0:
			ok = r.name(&p.Project)
		case 1:
			ok = r.name(&p.Category)
		case 2:
			ok = r.money(&p.Amount)
		case 3:
			ok = r.name(&p.BorneBy)
		case 4:
			ok = r.text(&p.Description)
		case 5:
			ok = r.evidence(&p.Evidence, ev)
		}
		if !ok {
			return false
		}
	}
	return ok
}

var lossRealizedMembers = members("project", "amount", "reason", "evidence")

func (r *jsonReader) lossRealized(p *LossRealized, ev *Evidence) bool {
	more, ok := r.beginObject()
	for next := 0; ok && more; more, ok = r.endMember() {
		var k int
		if k, ok = r.member(lossRealizedMembers, next); !ok {
			return false
		}
		next = k + 1
		switch k {
		case 0:
			ok = r.name(&p.Project)
		case 1:
			ok = r.money(&p.Amount)
		case 2:
			ok = r.text(&p.Reason)
		case 3:
			ok = r.evidence(&p.Evidence, ev)
		}
		if !ok {
			return false
		}
	}
	return ok
}

// object reads an object whose members are among names, in their order,
// calling field with each member's index to read its value. The readers of
// the rarer payloads below go through it; the frequent ones above spell
// the loop out.
func (r *jsonReader) object(names []memberName, field func(k int) bool) bool {
	more, ok := r.beginObject()
	for next := 0; ok && more; more, ok = r.endMember() {
		var k int
		if k, ok = r.member(names, next); !ok || !field(k) {
			return false
		}
		next = k + 1
	}
	return ok
}

// readArray reads an array without whitespace into a new slice, each
// element by read, which must set the strings it reads at once, not
// through text: the slice moves as it grows. An empty array is an empty
// slice, not nil, as encoding/json leaves it; null is left to it. read
// is a closure over r rather than a function of it: r passed to a
// function value would escape, and every decoder's reader with it.
func readArray[T any](r *jsonReader, read func(*T) bool) ([]T, bool) {
	if !r.char('[') {
		return nil, false
	}
	out := []T{}
	if r.char(']') {
		return out, true
	}
	for {
		out = append(out, *new(T))
		if !read(&out[len(out)-1]) {
			return nil, false
		}
		if !r.char(',') {
			return out, r.char(']')
		}
	}
}

// names reads an array of names (members, inventors).
func (r *jsonReader) names(s *[]string) bool {
	v, ok := readArray(r, r.name)
	*s = v
	return ok
}

// rawJSON reads an object or an array into a json.RawMessage as
// encoding/json does: a copy of the value's bytes, whitespace within
// included. Other values (null among them) are left to encoding/json.
func (r *jsonReader) rawJSON(m *json.RawMessage) bool {
	start := r.i
	if start >= len(r.b) || r.b[start] != '{' && r.b[start] != '[' || !r.skipValue(0) {
		return false
	}
	*m = append(json.RawMessage(nil), r.b[start:r.i]...)
	return true
}

var shareMembers = members("member", "share")

func readShare(r *jsonReader, s *Share) bool {
	return r.object(shareMembers, func(k int) bool {
		if k == 0 {
			return r.name(&s.Member)
		}
		return r.ratio(&s.Share)
	})
}

var participantMembers = members("member", "budget")

func readParticipant(r *jsonReader, p *Participant) bool {
	return r.object(participantMembers, func(k int) bool {
		if k == 0 {
			return r.name(&p.Member)
		}
		return r.money(&p.Budget)
	})
}

var allocationMembers = members("member", "amount")

func readAllocation(r *jsonReader, a *Allocation) bool {
	return r.object(allocationMembers, func(k int) bool {
		if k == 0 {
			return r.name(&a.Member)
		}
		return r.money(&a.Amount)
	})
}

var coalitionMembers = members("members", "value")

func readCoalition(r *jsonReader, c *CoalitionValue) bool {
	return r.object(coalitionMembers, func(k int) bool {
		if k == 0 {
			return r.names(&c.Members)
		}
		return r.money(&c.Value)
	})
}

var ipFiledMembers = members("asset", "type", "title", "number", "owners", "inventors", "project", "evidence")

func (r *jsonReader) ipFiled(p *IPFiled, ev *Evidence) bool {
	return r.object(ipFiledMembers, func(k int) (ok bool) {
		switch k {
		case 0:
			return r.name(&p.Asset)
		case 1:
			return r.name(&p.Type)
		case 2:
			return r.text(&p.Title)
		case 3:
			return r.text(&p.Number)
		case 4:
			p.Owners, ok = readArray(r, func(v *Share) bool { return readShare(r, v) })
			return ok
		case 5:
			return r.names(&p.Inventors)
		case 6:
			return r.name(&p.Project)
		}
		return r.evidence(&p.Evidence, ev)
	})
}

var ipLicenceRevenueMembers = members("asset", "licensee", "amount", "period")

func (r *jsonReader) ipLicenceRevenue(p *IPLicenceRevenue) bool {
	return r.object(ipLicenceRevenueMembers, func(k int) bool {
		switch k {
		case 0:
			return r.name(&p.Asset)
		case 1:
			return r.name(&p.Licensee)
		case 2:
			return r.money(&p.Amount)
		}
		return r.name(&p.Period)
	})
}

var entryCorrectedMembers = members("entry", "reason", "replacement")

func (r *jsonReader) entryCorrected(p *EntryCorrected) bool {
	return r.object(entryCorrectedMembers, func(k int) bool {
		switch k {
		case 0:
			return r.uint64(&p.Entry)
		case 1:
			return r.text(&p.Reason)
		}
		return r.rawJSON(&p.Replacement)
	})
}

var memberAdmittedMembers = members("member", "name", "name_en", "kind", "role", "credit_code")

func (r *jsonReader) memberAdmitted(p *MemberAdmitted) bool {
	return r.object(memberAdmittedMembers, func(k int) bool {
		switch k {
		case 0:
			return r.name(&p.Member)
		case 1:
			return r.text(&p.Name)
		case 2:
			return r.text(&p.NameEN)
		case 3:
			return r.name(&p.Kind)
		case 4:
			return r.name(&p.Role)
		}
		return r.text(&p.CreditCode)
	})
}

var memberRoleChangedMembers = members("member", "role")

func (r *jsonReader) memberRoleChanged(p *MemberRoleChanged) bool {
	return r.object(memberRoleChangedMembers, func(k int) bool {
		if k == 0 {
			return r.name(&p.Member)
		}
		return r.name(&p.Role)
	})
}

var memberDepartedMembers = members("member", "how", "reason")

func (r *jsonReader) memberDeparted(p *MemberDeparted) bool {
	return r.object(memberDepartedMembers, func(k int) bool {
		switch k {
		case 0:
			return r.name(&p.Member)
		case 1:
			return r.name(&p.How)
		}
		return r.text(&p.Reason)
	})
}

var projectOpenedMembers = members("project", "name", "lead", "participants", "start", "end")

func (r *jsonReader) projectOpened(p *ProjectOpened) bool {
	return r.object(projectOpenedMembers, func(k int) (ok bool) {
		switch k {
		case 0:
			return r.name(&p.Project)
		case 1:
			return r.text(&p.Name)
		case 2:
			return r.name(&p.Lead)
		case 3:
			p.Participants, ok = readArray(r, func(v *Participant) bool { return readParticipant(r, v) })
			return ok
		case 4:
			return r.name((*string)(&p.Start))
		}
		return r.name((*string)(&p.End))
	})
}

var projectParticipantsMembers = members("project", "participants", "reason")

func (r *jsonReader) projectParticipants(p *ProjectParticipantsChanged) bool {
	return r.object(projectParticipantsMembers, func(k int) (ok bool) {
		switch k {
		case 0:
			return r.name(&p.Project)
		case 1:
			p.Participants, ok = readArray(r, func(v *Participant) bool { return readParticipant(r, v) })
			return ok
		}
		return r.text(&p.Reason)
	})
}

var projectClosedMembers = members("project", "outcome", "note")

func (r *jsonReader) projectClosed(p *ProjectClosed) bool {
	return r.object(projectClosedMembers, func(k int) bool {
		switch k {
		case 0:
			return r.name(&p.Project)
		case 1:
			return r.name(&p.Outcome)
		}
		return r.text(&p.Note)
	})
}

var poolDeclaredMembers = members("pool", "amount", "project", "source", "period", "members")

func (r *jsonReader) poolDeclared(p *PoolDeclared) bool {
	return r.object(poolDeclaredMembers, func(k int) bool {
		switch k {
		case 0:
			return r.name(&p.Pool)
		case 1:
			return r.money(&p.Amount)
		case 2:
			return r.name(&p.Project)
		case 3:
			return r.name(&p.Source)
		case 4:
			return r.name(&p.Period)
		}
		return r.names(&p.Members)
	})
}

var poolAssessedMembers = members("pool", "assessor", "method", "basis", "document", "players", "coalitions")

func (r *jsonReader) poolAssessed(p *PoolAssessed, doc *Evidence) bool {
	return r.object(poolAssessedMembers, func(k int) (ok bool) {
		switch k {
		case 0:
			return r.name(&p.Pool)
		case 1:
			return r.name(&p.Assessor)
		case 2:
			return r.name(&p.Method)
		case 3:
			return r.text(&p.Basis)
		case 4:
			return r.evidence(&p.Document, doc)
		case 5:
			return r.names(&p.Players)
		}
		p.Coalitions, ok = readArray(r, func(v *CoalitionValue) bool { return readCoalition(r, v) })
		return ok
	})
}

var payoutCommittedMembers = members("pool", "method", "computed_at", "inputs", "allocations")

func (r *jsonReader) payoutCommitted(p *PayoutCommitted) bool {
	return r.object(payoutCommittedMembers, func(k int) (ok bool) {
		switch k {
		case 0:
			return r.name(&p.Pool)
		case 1:
			return r.name(&p.Method)
		case 2:
			return r.uint64(&p.ComputedAt)
		case 3:
			return r.rawJSON(&p.Inputs)
		}
		p.Allocations, ok = readArray(r, func(v *Allocation) bool { return readAllocation(r, v) })
		return ok
	})
}

var payoutSettledMembers = members("payout", "reference")

func (r *jsonReader) payoutSettled(p *PayoutSettled) bool {
	return r.object(payoutSettledMembers, func(k int) bool {
		if k == 0 {
			return r.uint64(&p.Payout)
		}
		return r.text(&p.Reference)
	})
}

var payoutAdjustedMembers = members("payout", "dispute", "reason", "computed_at", "inputs", "adjustments")

func (r *jsonReader) payoutAdjusted(p *PayoutAdjusted) bool {
	return r.object(payoutAdjustedMembers, func(k int) (ok bool) {
		switch k {
		case 0:
			return r.uint64(&p.Payout)
		case 1:
			return r.uint64(&p.Dispute)
		case 2:
			return r.text(&p.Reason)
		case 3:
			return r.uint64(&p.ComputedAt)
		case 4:
			return r.rawJSON(&p.Inputs)
		}
		p.Adjustments, ok = readArray(r, func(v *Allocation) bool { return readAllocation(r, v) })
		return ok
	})
}

var disputeRaisedMembers = members("subject", "by", "claim", "claimed_amount")

func (r *jsonReader) disputeRaised(p *DisputeRaised, claimed *Money) bool {
	return r.object(disputeRaisedMembers, func(k int) bool {
		switch k {
		case 0:
			return r.uint64(&p.Subject)
		case 1:
			return r.name(&p.By)
		case 2:
			return r.text(&p.Claim)
		}
		return r.moneyPtr(&p.ClaimedAmount, claimed)
	})
}

var disputeResolvedMembers = members("dispute", "outcome", "resolution", "adjustments")

func (r *jsonReader) disputeResolved(p *DisputeResolved) bool {
	return r.object(disputeResolvedMembers, func(k int) (ok bool) {
		switch k {
		case 0:
			return r.uint64(&p.Dispute)
		case 1:
			return r.name(&p.Outcome)
		case 2:
			return r.text(&p.Resolution)
		}
		p.Adjustments, ok = readArray(r, r.uint64)
		return ok
	})
}

// maxSkipDepth bounds the nesting skipValue follows; deeper values are
// left to encoding/json (whose own limit is 10000).
const maxSkipDepth = 64

// skipValue reads over one JSON value, checking its syntax as encoding/json
// does. Whitespace is allowed inside the value but not before it.
func (r *jsonReader) skipValue(depth int) bool {
	b := r.b
	if r.i >= len(b) {
		return false
	}
	switch c := b[r.i]; {
	case c == '{' || c == '[':
		if depth >= maxSkipDepth {
			return false
		}
		r.i++
		r.skipSpace()
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		if r.char(end) {
			return true
		}
		for {
			if c == '{' {
				if !r.skipString() {
					return false
				}
				r.skipSpace()
				if !r.char(':') {
					return false
				}
				r.skipSpace()
			}
			if !r.skipValue(depth + 1) {
				return false
			}
			r.skipSpace()
			if r.char(',') {
				r.skipSpace()
				continue
			}
			return r.char(end)
		}
	case c == '"':
		return r.skipString()
	case c == '-' || c >= '0' && c <= '9':
		return r.skipNumber()
	case c == 't':
		return r.literal("true")
	case c == 'f':
		return r.literal("false")
	case c == 'n':
		return r.literal("null")
	}
	return false
}

// skipString reads over a string literal, checking its escapes and that
// it holds no control characters, as encoding/json's scanner does (which
// does not check UTF-8).
func (r *jsonReader) skipString() bool {
	b := r.b
	i := r.i
	if i >= len(b) || b[i] != '"' {
		return false
	}
	i++
	for {
		if i+8 <= len(b) {
			m := stopMask(binary.LittleEndian.Uint64(b[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) / 8
		} else {
			for i < len(b) && !stopByte[b[i]] {
				i++
			}
			if i >= len(b) {
				return false
			}
		}
		switch b[i] {
		case '"':
			r.i = i + 1
			return true
		case '\\':
			if i+1 >= len(b) {
				return false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return false
				}
				i += 6
			default:
				return false
			}
		default: // a control character
			return false
		}
	}
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func (r *jsonReader) skipSpace() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

func (r *jsonReader) literal(s string) bool {
	if len(r.b)-r.i < len(s) || string(r.b[r.i:r.i+len(s)]) != s {
		return false
	}
	r.i += len(s)
	return true
}

// skipNumber reads a number as the JSON grammar has it:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (r *jsonReader) skipNumber() bool {
	b := r.b
	i := r.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	r.i = i
	return true
}

// commitMembers are a commit's members, in the order MarshalCommit writes
// them.
var commitMembers = members("commit", "alliance", "first", "events")

// unmarshalCommitFast decodes a commit in the layout MarshalCommit writes,
// as unmarshalCommitSlow does, or gives up (ok == false) on anything it
// does not fully understand, as decodeEventFast does. It checks the syntax
// of every event as encoding/json does, and copies each event's bytes.
func unmarshalCommitFast(data []byte) (*Commit, bool) {
	r := jsonReader{b: data}
	c := new(Commit)
	if !r.commit(c, func() (ok bool) { c.Events, ok = r.rawValues(); return ok }) {
		return nil, false
	}
	if c.Events == nil {
		c.Events = [][]byte{} // as encoding/json leaves it
	}
	return c, true
}

// commit reads a commit in MarshalCommit's layout into c, all of data:
// its members in their order, the events' value read by events.
func (r *jsonReader) commit(c *Commit, events func() bool) bool {
	more, ok := r.beginObject()
	for next := 0; ok && more; more, ok = r.endMember() {
		var k int
		if k, ok = r.member(commitMembers, next); !ok {
			return false
		}
		next = k + 1
		switch k {
		case 0:
			ok = r.str(&c.ID)
		case 1:
			ok = r.str(&c.Alliance)
		case 2:
			ok = r.uint64(&c.First)
		case 3:
			ok = events()
		}
		if !ok {
			return false
		}
	}
	return ok && r.i == len(r.b)
}

// DecodeCommitShared is UnmarshalCommit followed by DecodeEventShared of
// each of the commit's events (decoded[i], errs[i]): the same results, errors
// included, but a commit in the writer's layout is read in one pass, each
// event decoded where the split would have ended, instead of scanned once
// to split it and again to decode it. A rebuild reads every commit of a log
// this way. The events share data's memory: data must not be modified
// while they are in use.
func DecodeCommitShared(data []byte) (c *Commit, decoded []*Event, errs []error, err error) {
	if c, decoded, ok := decodeCommitFast(data); ok {
		return c, decoded, make([]error, len(decoded)), nil
	}
	if c, err = UnmarshalCommit(data); err != nil {
		return nil, nil, nil, err
	}
	decoded, errs = make([]*Event, len(c.Events)), make([]error, len(c.Events))
	for i, e := range c.Events {
		decoded[i], errs[i] = DecodeEventShared(e)
	}
	return c, decoded, errs, nil
}

// decodeCommitFast reads a commit in the writer's layout whose events all
// decode by decodeEventFast and are framed as checkFraming wants. It gives
// up on anything else (the caller then takes the two-pass way, which decides
// and explains): it never returns an error of its own. Given up on or not,
// it reads each event exactly as UnmarshalCommit would split it: an event
// decodeEventFast reads is a JSON object ending where rawValues' scan of it
// would (FuzzDecodeCommitShared holds it to that).
func decodeCommitFast(data []byte) (*Commit, []*Event, bool) {
	r := jsonReader{b: data}
	c := new(Commit)
	var decoded []*Event
	ok := r.commit(c, func() (ok bool) {
		if c.ID == "" || !ValidAllianceID(c.Alliance) || c.First == 0 {
			return false
		}
		c.Events, decoded, ok = r.decodedEvents(c)
		return ok
	})
	if !ok || len(c.Events) == 0 {
		return nil, nil, false
	}
	return c, decoded, true
}

// decodedEvents reads the events array of commit c, each event decoded in
// place and framed at its position in c.
func (r *jsonReader) decodedEvents(c *Commit) ([][]byte, []*Event, bool) {
	if !r.char('[') || r.char(']') {
		return nil, nil, false
	}
	var (
		events  [][]byte
		decoded []*Event
	)
	for {
		start := r.i
		e, ok := r.event(true)
		if !ok || e.Seq != c.First+uint64(len(events)) || e.Alliance != c.Alliance {
			return nil, nil, false
		}
		events = append(events, r.b[start:r.i:r.i])
		decoded = append(decoded, e)
		if r.char(',') {
			continue
		}
		return events, decoded, r.char(']')
	}
}

// rawValues reads an array without whitespace between its elements and
// returns a copy of each element.
func (r *jsonReader) rawValues() ([][]byte, bool) {
	if !r.char('[') {
		return nil, false
	}
	vals := [][]byte{}
	if r.char(']') {
		return vals, true
	}
	for {
		start := r.i
		if !r.skipValue(0) {
			return nil, false
		}
		// The events alias the commit's bytes, capped so that appending
		// to one cannot write over the next.
		vals = append(vals, r.b[start:r.i:r.i])
		if r.char(',') {
			continue
		}
		return vals, r.char(']')
	}
}
