package projections

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
)

// SnapshotFormat is the version of the snapshot encoding and of the fold's
// meaning. A snapshot of another format is never restored: the model is
// rebuilt from the log instead. Bump it whenever Model or its fold changes.
const SnapshotFormat = 4

// ErrNoSnapshot is returned by a SnapshotStore that has no snapshot to
// give; stores may return any error wrapping ledger.ErrNotFound instead.
var ErrNoSnapshot = fmt.Errorf("no snapshot: %w", ledger.ErrNotFound)

// SnapshotStore keeps encoded models with the position they cover.
type SnapshotStore interface {
	// SaveSnapshot stores data as the alliance's snapshot at position seq.
	SaveSnapshot(ctx context.Context, alliance string, seq uint64, data []byte) error
	// LoadSnapshot returns the alliance's latest snapshot at a position
	// <= atMost, or ErrNoSnapshot.
	LoadSnapshot(ctx context.Context, alliance string, atMost uint64) (uint64, []byte, error)
}

// snapshot is the encoded form of a Model: maps become sorted slices so
// that one model always encodes to the same bytes.
type snapshot struct {
	Format     int
	Alliance   string
	Last       uint64
	LastID     string // the id of the event at Last, to check the log is the same
	Founded    bool
	Info       []byte // ledger.AllianceFounded as JSON
	Members    []member
	Projects   []project
	Assets     []asset
	Pools      []pool
	Agreements []encodedAgreement
	Names      []string
	Entries    []byte // the entries, in entryCodec's binary form
	Disputes   []dispute
	Recorded   []timeMark
	Types      []typeCount
	Skipped    []Skipped
	Schemes    []schemeVersion
	Ratings    []rating
}

type encodedAgreement struct {
	At   uint64
	JSON []byte
}

type typeCount struct {
	Type  string
	Count uint64
}

// Encode returns the model's snapshot bytes. lastID is the id of the event
// at the model's last position ("" if it was skipped or the log is empty).
func (m *Model) Encode(lastID string) ([]byte, error) {
	info, err := json.Marshal(m.info)
	if err != nil {
		return nil, err
	}
	s := snapshot{Format: SnapshotFormat, Alliance: m.Alliance, Last: m.last, LastID: lastID,
		Founded: m.founded, Info: info, Recorded: m.recorded, Skipped: m.skipped, Schemes: m.schemes, Ratings: m.ratings}
	for _, k := range sortedKeys(m.members) {
		s.Members = append(s.Members, *m.members[k])
	}
	for _, k := range sortedKeys(m.projects) {
		s.Projects = append(s.Projects, *m.projects[k])
	}
	for _, k := range sortedKeys(m.assets) {
		s.Assets = append(s.Assets, *m.assets[k])
	}
	for _, k := range sortedKeys(m.pools) {
		s.Pools = append(s.Pools, *m.pools[k])
	}
	for _, a := range m.agrees {
		b, err := json.Marshal(a.Agreement)
		if err != nil {
			return nil, err
		}
		s.Agreements = append(s.Agreements, encodedAgreement{At: a.At, JSON: b})
	}
	s.Names = m.names
	s.Entries = appendEntries(nil, &m.entries)
	for _, d := range m.disputes {
		s.Disputes = append(s.Disputes, *d)
	}
	for _, k := range sortedKeys(m.types) {
		s.Types = append(s.Types, typeCount{k, m.types[k]})
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&s); err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeModel restores a model from snapshot bytes. It returns the id of
// the event at the snapshot's last position, for the caller to check
// against the log.
func DecodeModel(data []byte) (*Model, string, error) {
	var s snapshot
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return nil, "", fmt.Errorf("decode snapshot: %w", err)
	}
	if s.Format != SnapshotFormat {
		return nil, "", fmt.Errorf("snapshot format %d, this build reads %d", s.Format, SnapshotFormat)
	}
	m := NewModel(s.Alliance)
	m.last, m.founded, m.recorded, m.skipped = s.Last, s.Founded, s.Recorded, s.Skipped
	m.schemes, m.ratings = s.Schemes, s.Ratings
	if err := json.Unmarshal(s.Info, &m.info); err != nil {
		return nil, "", fmt.Errorf("decode snapshot: alliance: %w", err)
	}
	if m.founded {
		loc, err := time.LoadLocation(m.info.TimeZone)
		if err != nil || m.info.TimeZone == "" {
			loc, _ = time.LoadLocation(ledger.DefaultTimeZone)
		}
		m.loc = loc
	}
	for i := range s.Members {
		m.members[s.Members[i].ID] = &s.Members[i]
	}
	for i := range s.Projects {
		m.projects[s.Projects[i].ID] = &s.Projects[i]
	}
	for i := range s.Assets {
		m.assets[s.Assets[i].ID] = &s.Assets[i]
	}
	for i := range s.Pools {
		m.pools[s.Pools[i].ID] = &s.Pools[i]
	}
	for _, a := range s.Agreements {
		var ag ledger.Agreement
		if err := json.Unmarshal(a.JSON, &ag); err != nil {
			return nil, "", fmt.Errorf("decode snapshot: agreement: %w", err)
		}
		m.agrees = append(m.agrees, agreement{At: a.At, Agreement: ag})
	}
	if len(s.Names) == 0 || s.Names[0] != "" {
		return nil, "", fmt.Errorf("decode snapshot: no name table")
	}
	m.names = s.Names
	m.nameIdx = make(map[string]int32, len(s.Names))
	for i, name := range s.Names {
		if _, dup := m.nameIdx[name]; dup {
			return nil, "", fmt.Errorf("decode snapshot: name %q twice", name)
		}
		m.nameIdx[name] = int32(i)
	}
	entries, err := decodeEntries(s.Entries)
	if err != nil {
		return nil, "", fmt.Errorf("decode snapshot: %w", err)
	}
	m.entries = *entries
	m.seqs = make([]uint64, entries.len())
	for i := range entries.len() {
		m.seqs[i] = entries.at(i).Seq
		if i > 0 && m.seqs[i] <= m.seqs[i-1] {
			return nil, "", fmt.Errorf("decode snapshot: entries out of order")
		}
	}
	m.kindSlot = make([]int8, len(m.names))
	for i, name := range m.names {
		m.kindSlot[i] = int8(slices.Index(ledger.ContributionKinds, name))
	}
	for i := range entries.len() {
		e := entries.at(i)
		if !e.validNames(len(m.names)) {
			return nil, "", fmt.Errorf("decode snapshot: entry %d names nothing known", e.Seq)
		}
	}
	for i := range s.Disputes {
		m.disputes = append(m.disputes, &s.Disputes[i])
	}
	for _, t := range s.Types {
		m.types[t.Type] = t.Count
	}
	m.indexEntries(m.last)
	m.rebuildSums()
	return m, s.LastID, nil
}

// validNames reports whether every name index of the entry is in a table
// of n names.
func (e *entry) validNames(n int) bool {
	ok := func(v *version) bool {
		for _, i := range []int32{v.Member, v.Project, v.Kind, v.Currency, v.Asset, v.Pool, v.Qty} {
			if i < 0 || int(i) >= n {
				return false
			}
		}
		for _, a := range v.Allocs {
			if a.Member < 0 || int(a.Member) >= n {
				return false
			}
		}
		return true
	}
	if !ok(&e.First) {
		return false
	}
	for i := range e.More {
		if !ok(&e.More[i]) {
			return false
		}
	}
	return true
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// MemorySnapshots is a SnapshotStore in memory, for tests.
type MemorySnapshots struct {
	mu    sync.Mutex
	snaps map[string]map[uint64][]byte
	Saves int
}

func (s *MemorySnapshots) SaveSnapshot(_ context.Context, alliance string, seq uint64, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.snaps == nil {
		s.snaps = map[string]map[uint64][]byte{}
	}
	if s.snaps[alliance] == nil {
		s.snaps[alliance] = map[uint64][]byte{}
	}
	s.snaps[alliance][seq] = slices.Clone(data)
	s.Saves++
	return nil
}

func (s *MemorySnapshots) LoadSnapshot(_ context.Context, alliance string, atMost uint64) (uint64, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var best uint64
	var data []byte
	for seq, d := range s.snaps[alliance] {
		if seq <= atMost && (data == nil || seq > best) {
			best, data = seq, d
		}
	}
	if data == nil {
		return 0, nil, ErrNoSnapshot
	}
	return best, slices.Clone(data), nil
}

// The entries, most of a snapshot, are encoded by hand: gob's reflection
// made restoring a snapshot nearly as slow as replaying the log. Each entry
// is a sequence of unsigned varints (signed ones zig-zag encoded):
//
//	seq kind occurred reversed nversions {version} nmarks {at status}
//	version: at member project kind currency asset pool amount nallocs {member amount}

func appendEntries(b []byte, l *entryList) []byte {
	b = binary.AppendUvarint(b, uint64(l.len()))
	for i := range l.len() {
		e := l.at(i)
		b = binary.AppendUvarint(b, e.Seq)
		b = binary.AppendUvarint(b, uint64(e.Kind))
		b = binary.AppendVarint(b, e.Occurred)
		b = binary.AppendUvarint(b, e.Reversed)
		b = binary.AppendUvarint(b, uint64(1+len(e.More)))
		b = appendVersion(b, &e.First)
		for j := range e.More {
			b = appendVersion(b, &e.More[j])
		}
		b = binary.AppendUvarint(b, uint64(len(e.Marks)))
		for _, mk := range e.Marks {
			b = binary.AppendUvarint(b, mk.At)
			b = binary.AppendUvarint(b, uint64(mk.Status))
		}
	}
	return b
}

func appendVersion(b []byte, v *version) []byte {
	b = binary.AppendUvarint(b, v.At)
	for _, x := range [7]int32{v.Member, v.Project, v.Kind, v.Currency, v.Asset, v.Pool, v.Qty} {
		b = binary.AppendUvarint(b, uint64(uint32(x)))
	}
	b = binary.AppendVarint(b, v.Amount)
	b = binary.AppendUvarint(b, uint64(len(v.Allocs)))
	for _, a := range v.Allocs {
		b = binary.AppendUvarint(b, uint64(uint32(a.Member)))
		b = binary.AppendVarint(b, a.Amount)
	}
	return b
}

// entryReader reads what appendEntries wrote; the first error sticks.
type entryReader struct {
	b   []byte
	err error
}

func (r *entryReader) u() uint64 {
	if r.err != nil {
		return 0
	}
	x, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errors.New("entries are cut short or malformed")
		return 0
	}
	r.b = r.b[n:]
	return x
}

func (r *entryReader) i() int64 {
	if r.err != nil {
		return 0
	}
	x, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errors.New("entries are cut short or malformed")
		return 0
	}
	r.b = r.b[n:]
	return x
}

// count reads a length, refusing one longer than the bytes left could hold.
func (r *entryReader) count() int {
	n := r.u()
	if n > uint64(len(r.b)) {
		r.err = errors.New("entries claim more items than they hold")
		return 0
	}
	return int(n)
}

func (r *entryReader) version() version {
	v := version{At: r.u()}
	for _, p := range [7]*int32{&v.Member, &v.Project, &v.Kind, &v.Currency, &v.Asset, &v.Pool, &v.Qty} {
		*p = int32(uint32(r.u()))
	}
	v.Amount = r.i()
	if n := r.count(); n > 0 {
		v.Allocs = make([]allocation, n)
		for k := range v.Allocs {
			v.Allocs[k] = allocation{Member: int32(uint32(r.u())), Amount: r.i()}
		}
	}
	return v
}

func decodeEntries(b []byte) (*entryList, error) {
	r := &entryReader{b: b}
	n := r.count()
	out := &entryList{}
	var marks []mark // marks are cut from shared chunks, capped
	for range n {
		e := out.add(entry{})
		e.Seq = r.u()
		e.Kind = uint8(r.u())
		e.Occurred = r.i()
		e.Reversed = r.u()
		nv := r.count()
		if nv == 0 && r.err == nil {
			r.err = errors.New("an entry has no version")
		}
		if r.err != nil {
			return nil, r.err
		}
		e.First = r.version()
		if nv > 1 {
			e.More = make([]version, nv-1)
			for j := range e.More {
				e.More[j] = r.version()
			}
		}
		if nm := r.count(); nm > 0 {
			if len(marks)+nm > cap(marks) {
				marks = make([]mark, 0, max(nm, 4096))
			}
			start := len(marks)
			for range nm {
				marks = append(marks, mark{At: r.u(), Status: uint8(r.u())})
			}
			// Capped: a mark added later reallocates, never overwrites the
			// next entry's.
			e.Marks = marks[start:len(marks):len(marks)]
		}
		if r.err != nil {
			return nil, r.err
		}
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = errors.New("entries have trailing bytes")
	}
	return out, r.err
}
