package ledger

import (
	"encoding/hex"
	"time"
)

// State is what the writer knows of one alliance to validate commands
// against it: who the members are, which projects are open, which pools are
// paid out, which idempotency keys were used. It is a fold of the log.
//
// Every mutation is journaled so that the writer can apply a group of
// commands speculatively and undo them when a command or the commit fails.
type State struct {
	Alliance string
	// dc is the context of the decide in progress: a pointer to it passed
	// through the payload's interface would escape, and a context of its
	// own cost every event an allocation.
	dc   decideContext
	last uint64 // position of the last applied event
	// lastRecordedAt keeps recorded time monotonic within the log.
	lastRecordedAt time.Time

	founded      bool
	baseCurrency string
	timeZone     *time.Location
	custodian    string

	members       map[string]memberState
	agreements    []Agreement // by version - 1
	projects      map[string]projectState
	contributions seqTable[contributionState]
	assets        map[string]assetState
	pools         map[string]poolState
	payouts       map[uint64]payoutState
	disputes      map[uint64]disputeState
	types         []uint8 // event type (index in typeNames) by position - 1, for corrections and citations
	reversed      map[uint64]bool
	keys          map[string]keyRecord
	schemes       map[string]int // evaluation scheme: its latest version

	journal []undo
	// noJournal is set for a state that only re-validates a log (Check):
	// events there are in the log already and are never undone.
	noJournal bool
}

type memberState struct {
	Kind   string
	Role   string
	Active bool
}

type projectState struct {
	Open         bool
	Participants map[string]bool
}

type contributionState struct {
	Member       string
	Project      string
	Counterparty string
	Status       string // recorded, confirmed, contested, reversed
}

type assetState struct {
	Type   string
	Status string
	Owners map[string]bool
}

type poolState struct {
	Amount    Money
	Project   string
	Members   []string // as declared; never modified
	PayoutSeq uint64   // 0 while not paid out
}

type payoutState struct {
	Pool    string
	Settled bool
	// Amounts is each member's amount after the adjustments so far. It is
	// replaced, never modified in place, so the journal can restore it.
	Amounts map[string]int64
	// Adjustment is the payout.committed an adjustment adjusts, 0 for a
	// payout.committed itself; an adjustment's Amounts are its deltas.
	Adjustment uint64
	Adjusted   int // adjustments in force
}

type disputeState struct {
	Resolved bool
	Subject  uint64
	// Adjustments are the entries appended to resolve the dispute that cite
	// it (payout.adjusted).
	Adjustments []uint64
}

type keyRecord struct {
	Digest      [32]byte // SHA-256 of the request body (no pointer: the GC skips it)
	First, Last uint64
}

// NewState returns the empty state of an alliance that has no log yet.
func NewState(alliance string) *State {
	return &State{
		Alliance: alliance,
		members:  map[string]memberState{},
		projects: map[string]projectState{},
		assets:   map[string]assetState{},
		pools:    map[string]poolState{},
		payouts:  map[uint64]payoutState{},
		disputes: map[uint64]disputeState{},
		reversed: map[uint64]bool{},
		keys:     map[string]keyRecord{},
		schemes:  map[string]int{},
	}
}

// BaseCurrency is the alliance's base currency ("" before it is founded).
func (s *State) BaseCurrency() string { return s.baseCurrency }

// Location is the time zone the alliance reckons periods in (nil before it
// is founded).
func (s *State) Location() *time.Location { return s.timeZone }

// KeyUsed reports whether a request with this idempotency key is in the
// log already (an import run again skips the rows it appended before).
func (s *State) KeyUsed(key string) bool {
	_, ok := s.keys[key]
	return ok
}

// NewCheckState returns the empty state of an alliance for re-validating
// its log (Check): it does not keep the idempotency keys, which only a
// writer needs, and which cost an auditor's replay the most memory.
func NewCheckState(alliance string) *State {
	s := NewState(alliance)
	s.keys, s.noJournal = nil, true
	return s
}

// reserve makes room for a log of n events in an empty state.
func (s *State) reserve(n uint64) {
	n = min(n, 1<<24) // a hint, not a promise: bounded
	if len(s.keys) == 0 && s.keys != nil {
		s.keys = make(map[string]keyRecord, n)
	}
	if len(s.types) == 0 {
		s.types = make([]uint8, 0, n)
	}
}

// Last is the position of the last event the state has seen.
func (s *State) Last() uint64 { return s.last }

// Apply folds an event that is already in the log (read back from the
// store) into the state. Events must come in position order.
func (s *State) Apply(e *Event) error {
	if e.Seq != s.last+1 {
		return invalid("seq", "event at position %d applied after %d", e.Seq, s.last)
	}
	s.applyEvent(e)
	s.commit()
	return nil
}

// Check re-validates an event that is already in the log as the writer
// validated it when it was appended: by itself, then against the state of
// the log before it (the member exists and is active, the pool is not paid
// out, ...). It folds the event only if it holds; an event that does not
// hold leaves the state unchanged. Auditors run it over a whole log.
func (s *State) Check(e *Event) error {
	if err := e.Payload.Validate(); err != nil {
		return err
	}
	return s.CheckValidated(e)
}

// CheckValidated is Check for an event whose payload the caller has
// validated by itself already (on another goroutine, say).
func (s *State) CheckValidated(e *Event) error {
	if e.Seq != s.last+1 {
		return invalid("seq", "event at position %d follows position %d", e.Seq, s.last)
	}
	if e.Alliance != s.Alliance {
		return invalid("alliance", "event of alliance %q in the log of %q", e.Alliance, s.Alliance)
	}
	if e.Type != TypeAllianceFounded {
		if err := s.requireFounded(); err != nil {
			return err
		}
	} else if s.last != 0 {
		return invalid("type", "the alliance is founded again at position %d", e.Seq)
	}
	if !s.lastRecordedAt.IsZero() && e.RecordedAt.Before(s.lastRecordedAt) {
		return invalid("recorded_at", "recorded at %s, before the event before it (%s)", e.RecordedAt.Format(time.RFC3339Nano), s.lastRecordedAt.Format(time.RFC3339Nano))
	}
	m := s.mark()
	payload := clonePayload(e.Payload)
	s.dc = decideContext{seq: e.Seq, check: true}
	err := payload.decide(s, &s.dc)
	s.dc = decideContext{} // the state is what the events made it, nothing more
	if err != nil {
		s.rollback(m)
		return err
	}
	s.applyEvent(e)
	s.commit()
	return nil
}

// skippedType marks a position whose event was quarantined: it is taken,
// but nothing can cite it.
const skippedType = 0xff

// Skip moves past a position whose event does not decode or validate (one
// published to the log by hand): the position stays taken, nothing else
// changes.
func (s *State) Skip(seq uint64) error {
	if seq != s.last+1 {
		return invalid("seq", "event at position %d skipped after %d", seq, s.last)
	}
	s.last = seq
	s.types = append(s.types, skippedType)
	return nil
}

func (s *State) applyEvent(e *Event) {
	if !s.noJournal {
		s.journal = append(s.journal, undo{op: undoApply, seq: s.last, at: s.lastRecordedAt})
	}
	s.last = e.Seq
	if e.RecordedAt.After(s.lastRecordedAt) {
		s.lastRecordedAt = e.RecordedAt
	}
	s.types = append(s.types, typeIndex[e.Type])
	if e.IdempotencyKey != "" && s.keys != nil {
		rec, had := s.keys[e.IdempotencyKey]
		if !s.noJournal {
			s.journal = append(s.journal, undo{op: undoKey, key: e.IdempotencyKey, rec: rec, had: had})
		}
		if !had {
			rec = keyRecord{First: e.Seq}
			hex.Decode(rec.Digest[:], []byte(e.CommandDigest)) // a malformed digest stays zero and matches no request
		}
		rec.Last = e.Seq
		s.keys[e.IdempotencyKey] = rec
	}
	e.Payload.apply(s, e)
}

// setContribution sets the state of the contribution at seq, journaled.
func (s *State) setContribution(seq uint64, c contributionState) {
	if !s.noJournal {
		old, had := s.contributions.get(seq)
		s.journal = append(s.journal, undo{op: undoContribution, seq: seq, c: old, had: had})
	}
	s.contributions.put(seq, c, true)
}

// undo is one journal entry. The mutations every event makes (its
// position, its idempotency key, a contribution's state) are undone from
// the entry's fields; the rest through fn. Appending a closure for each
// would allocate several times per event on the writer's one goroutine.
type undo struct {
	op  undoOp
	had bool
	seq uint64
	at  time.Time
	key string
	rec keyRecord
	c   contributionState
	fn  func()
}

type undoOp uint8

const (
	undoFunc         undoOp = iota
	undoApply               // restore last (seq) and lastRecordedAt (at), drop the last type
	undoKey                 // restore keys[key] (rec if had, else none)
	undoContribution        // restore contributions[seq] (c if had, else none)
)

func (s *State) undo(u *undo) {
	switch u.op {
	case undoApply:
		s.last, s.lastRecordedAt = u.seq, u.at
		s.types = s.types[:len(s.types)-1]
	case undoKey:
		if u.had {
			s.keys[u.key] = u.rec
		} else {
			delete(s.keys, u.key)
		}
	case undoContribution:
		s.contributions.put(u.seq, u.c, u.had)
	default:
		u.fn()
	}
}

// mark returns the journal position to roll back to.
func (s *State) mark() int { return len(s.journal) }

// rollback undoes every mutation after mark, newest first.
func (s *State) rollback(mark int) {
	for i := len(s.journal) - 1; i >= mark; i-- {
		s.undo(&s.journal[i])
		s.journal[i] = undo{}
	}
	s.journal = s.journal[:mark]
}

// commit forgets the journal: the mutations are in the log for good.
func (s *State) commit() { s.forget(len(s.journal)) }

// forget drops the oldest n journal entries: those mutations are in the
// log for good, while later ones may still be undone.
func (s *State) forget(n int) {
	k := copy(s.journal, s.journal[n:])
	clear(s.journal[k:])
	s.journal = s.journal[:k]
}

// setMap sets m[k] = v and journals how to undo it.
func setMap[K comparable, V any](s *State, m map[K]V, k K, v V) {
	old, had := m[k]
	m[k] = v
	if s.noJournal {
		return
	}
	s.journal = append(s.journal, undo{fn: func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	}})
}

// set assigns *p = v and journals how to undo it.
func set[T any](s *State, p *T, v T) {
	old := *p
	*p = v
	if !s.noJournal {
		s.journal = append(s.journal, undo{fn: func() { *p = old }})
	}
}

func (s *State) activeMember(field, id string) error {
	m, ok := s.members[id]
	if !ok {
		return notFound(field, "member %q is not a member of the alliance", id)
	}
	if !m.Active {
		return invalid(field, "member %q has left the alliance", id)
	}
	return nil
}

func (s *State) knownMember(field, id string) error {
	if _, ok := s.members[id]; !ok {
		return notFound(field, "member %q is not a member of the alliance", id)
	}
	return nil
}

func (s *State) openProject(field, id string) error {
	p, ok := s.projects[id]
	if !ok {
		return notFound(field, "project %q does not exist", id)
	}
	if !p.Open {
		return invalid(field, "project %q is closed", id)
	}
	return nil
}

func (s *State) knownProject(field, id string) error {
	if _, ok := s.projects[id]; !ok {
		return notFound(field, "project %q does not exist", id)
	}
	return nil
}

// typeAt returns the type of the event at position seq, or "" if there is none.
func (s *State) typeAt(seq uint64) string {
	if seq == 0 || seq > uint64(len(s.types)) || s.types[seq-1] == skippedType {
		return ""
	}
	return typeNames[s.types[seq-1]]
}

// agreement returns the agreement in force (the latest version), if any.
func (s *State) agreement() (Agreement, bool) {
	if len(s.agreements) == 0 {
		return Agreement{}, false
	}
	return s.agreements[len(s.agreements)-1], true
}

// decideContext carries what decide needs besides the payload.
type decideContext struct {
	seq uint64 // the position the event will get
	// derived is set by decide when it filled in fields, so the payload
	// must be encoded again rather than reusing the caller's encoding.
	derived bool
	// check says the event is checked, not written: what decide derives
	// for storing it is not needed.
	check bool
}
