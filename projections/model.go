// Package projections is the read side of the ledger: deterministic folds of
// an alliance's log into member balances, risk shares and innovation
// outputs, readable as of any position, recorded time or business period.
//
// The fold (Model) is versioned: every fact it keeps remembers the position
// from which it holds (a contribution and its corrections, its confirmation
// or contest, its reversal; a member's role; a project's participants; an
// asset's status). A view at position n reads the version in force at n, so
// one model answers every as-of query up to its last position without
// replaying. Snapshots (snapshot.go) persist the model with the position it
// covers; a restart, or a one-shot reader, restores the nearest snapshot and
// replays only what follows.
//
// Same events in, same model out: the fold reads no clock, draws no random
// number and never lets map order reach a result.
package projections

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
)

// entry kinds: the money facts that corrections and reversals can touch.
const (
	kindContribution uint8 = iota + 1
	kindFunding
	kindCost
	kindLoss
	kindLicence
	kindPayout
)

// version is one state of an entry's facts, in force from position At.
// Names (members, projects, kinds, currencies...) are interned: an index
// into Model.names, 0 for none.
type version struct {
	At       uint64
	Member   int32 // contributor, paying member, member bearing a cost
	Project  int32
	Kind     int32 // contribution kind, funding source, cost category, licensee
	Currency int32
	Asset    int32 // licence revenue
	Pool     int32 // payout
	Qty      int32 // contribution in person-months: the quantity, exact ("2.5", "1/3")
	Amount   int64
	Allocs   []allocation
}

type allocation struct {
	Member int32
	Amount int64
}

// Entry statuses, as marked by later events.
const (
	stNone      uint8 = iota // contribution: recorded, unconfirmed; payout: unsettled
	stConfirmed              // contribution confirmed by its counterparty
	stContested              // contribution contested
	stRecorded               // contribution corrected: unconfirmed again
	stSettled                // payout settled
)

// mark is a status that holds from position At.
type mark struct {
	At     uint64
	Status uint8
}

// entry is one money fact of the log, with its history: First is the fact
// as recorded, More its corrections, Marks its status changes.
type entry struct {
	Seq      uint64
	Kind     uint8
	Occurred int64  // business time of the original record, Unix nanoseconds
	Reversed uint64 // position of the reversal, 0 if none
	First    version
	More     []version
	Marks    []mark
}

// at returns the entry's facts in force at position n (n >= e.Seq).
func (e *entry) at(n uint64) *version {
	for i := len(e.More) - 1; i >= 0; i-- {
		if e.More[i].At <= n {
			return &e.More[i]
		}
	}
	return &e.First
}

// status returns the entry's status at position n.
func (e *entry) status(n uint64) uint8 {
	for i := len(e.Marks) - 1; i >= 0; i-- {
		if e.Marks[i].At <= n {
			return e.Marks[i].Status
		}
	}
	return stNone
}

func (e *entry) reversedAt(n uint64) bool { return e.Reversed != 0 && e.Reversed <= n }

// member is a member unit with the history of its role and activity.
type member struct {
	ID, Name, NameEN, Kind string
	Admitted               uint64 // first admission
	Roles                  []roleVersion
}

type roleVersion struct {
	At       uint64
	Occurred int64 // business time, Unix nanoseconds
	Role     string
	Kind     string
	Active   bool
}

func (m *member) at(n uint64) (roleVersion, bool) {
	for i := len(m.Roles) - 1; i >= 0; i-- {
		if m.Roles[i].At <= n {
			return m.Roles[i], true
		}
	}
	return roleVersion{}, false
}

type project struct {
	ID, Name, Lead string
	Start, End     ledger.Date // planned, as opened
	Opened         uint64
	OpenedAt       int64  // business time of the opening
	Closed         uint64 // position of project.closed, 0 while open
	ClosedAt       int64  // its business time
	Outcome        string
	Participants   []participantsVersion
}

type participantsVersion struct {
	At           uint64
	Participants []ledger.Participant
}

func (p *project) participants(n uint64) []ledger.Participant {
	for i := len(p.Participants) - 1; i >= 0; i-- {
		if p.Participants[i].At <= n {
			return p.Participants[i].Participants
		}
	}
	return nil
}

func (p *project) closedAt(n uint64) bool { return p.Closed != 0 && p.Closed <= n }

type agreement struct {
	At        uint64
	Agreement ledger.Agreement
}

type asset struct {
	ID, Type, Title, Project string
	Filed                    uint64
	Occurred                 int64
	Owners                   []ledger.Share
	Statuses                 []assetStatus
}

type assetStatus struct {
	At       uint64
	Occurred int64
	Status   string
}

type pool struct {
	ID          string
	Declared    uint64
	Amount      ledger.Money
	Project     string
	Members     []string // as declared; empty: the project's participants or every active member
	Payout      []uint64 // positions of the pool's payouts
	Assessments []assessment
	Payouts     []payoutRecord // the payouts and adjustments, in position order
}

// assessment is a pool.assessed: coalition values in force from At.
type assessment struct {
	At         uint64
	Assessor   string
	Method     string
	Players    []string
	Coalitions []ledger.CoalitionValue
}

// payoutRecord is what a payout.committed or payout.adjusted says besides
// its amounts (which are its entry): how it was computed.
type payoutRecord struct {
	Seq        uint64
	Adjusts    uint64 // for an adjustment: the payout it adjusts
	Dispute    uint64
	Method     string
	ComputedAt uint64
	Inputs     []byte
	Reason     string
}

type dispute struct {
	Seq        uint64
	Subject    uint64
	By         string
	Claim      string
	Claimed    *ledger.Money
	Occurred   int64
	Resolved   uint64
	ResolvedAt int64 // business time of the resolution
	Outcome    string
	Text       string   // the resolution
	Adjusted   []uint64 // the entries the resolution cites
}

// Model is the versioned fold of one alliance's log.
type Model struct {
	Alliance string

	// markSlab is where entries' first marks come from, many to an
	// allocation: most contributions get exactly one (confirmed).
	markSlab []mark

	last     uint64
	founded  bool
	info     ledger.AllianceFounded
	loc      *time.Location
	members  map[string]*member
	projects map[string]*project
	assets   map[string]*asset
	pools    map[string]*pool
	agrees   []agreement
	entries  entryList // by position
	seqs     []uint64  // entries[i].Seq, dense for searching
	// entryIdx maps a position below its length to the index + 1 of the
	// entry recorded there, 0 for none: confirmations, corrections and
	// reversals find their entry without searching seqs.
	entryIdx []int32
	names    []string // interned names; names[0] is ""
	nameIdx  map[string]int32
	kindSlot []int8 // by name index: its slot in ledger.ContributionKinds, or -1

	// Whole-history sums (sums.go): current, checkpoints, touches.
	sums        sumCells
	checkpoints []checkpoint
	touches     []touch
	scanOnly    bool // answer whole-history queries by scanning (tests)
	disputes    []*dispute
	// recorded maps recorded time to positions: one mark per position at
	// which the log's latest recorded time grew.
	recorded []timeMark
	// types counts the events applied, by type.
	types map[string]uint64
	// skipped are the positions that were quarantined.
	skipped []Skipped
	// schemes and ratings feed the evaluation.
	schemes []schemeVersion
	ratings []rating
}

// schemeVersion is an evaluation.scheme_adopted, in force from At.
type schemeVersion struct {
	At     uint64
	Scheme ledger.EvaluationSchemeAdopted
}

// rating is an evaluation.rated.
type rating struct {
	At       uint64
	Occurred int64
	Rated    ledger.EvaluationRated
}

type timeMark struct {
	Seq      uint64
	Recorded int64 // the largest recorded time up to Seq, Unix nanoseconds
}

// Skipped is a position the fold stepped over: its event did not decode,
// did not validate, or did not fit the log before it.
type Skipped struct {
	Seq    uint64 `json:"seq"`
	Type   string `json:"type,omitempty"`
	Reason string `json:"reason"`
}

// NewModel returns the empty model of an alliance.
func NewModel(alliance string) *Model {
	return &Model{
		Alliance: alliance,
		loc:      time.UTC,
		members:  map[string]*member{},
		projects: map[string]*project{},
		assets:   map[string]*asset{},
		pools:    map[string]*pool{},
		types:    map[string]uint64{},
		names:    []string{""},
		nameIdx:  map[string]int32{"": 0},
		kindSlot: []int8{-1},
		sums:     sumCells{},
	}
}

// intern returns the index of a name, adding it on first use.
func (m *Model) intern(s string) int32 {
	if i, ok := m.nameIdx[s]; ok {
		return i
	}
	i := int32(len(m.names))
	m.names = append(m.names, s)
	m.nameIdx[s] = i
	m.kindSlot = append(m.kindSlot, int8(slices.Index(ledger.ContributionKinds, s)))
	return i
}

// lookup returns the index of a name, or -1 if it was never interned.
func (m *Model) lookup(s string) int32 {
	if i, ok := m.nameIdx[s]; ok {
		return i
	}
	return -1
}

// Last is the position of the last event the model has folded or skipped.
func (m *Model) Last() uint64 { return m.last }

// Location is the time zone the alliance reckons periods in.
func (m *Model) Location() *time.Location { return m.loc }

// Founded returns the alliance's founding facts.
func (m *Model) Founded() (ledger.AllianceFounded, bool) { return m.info, m.founded }

// Skipped lists the positions the fold stepped over, in order.
func (m *Model) Skipped() []Skipped { return append([]Skipped{}, m.skipped...) }

// Skip records that the event at seq was quarantined and moves past it.
func (m *Model) Skip(seq uint64, eventType, reason string) {
	if seq <= m.last {
		return
	}
	prev := m.last
	m.last = seq
	m.skipped = append(m.skipped, Skipped{Seq: seq, Type: eventType, Reason: reason})
	m.advanced(prev)
}

// SeqAtTime returns the last position recorded at or before t: the log's
// state as of that recorded time. Recorded times are monotonic in the log
// the writer keeps; for a log that is not, the first position recorded
// after t ends the prefix.
func (m *Model) SeqAtTime(t time.Time) uint64 {
	ns := t.UnixNano()
	i := sort.Search(len(m.recorded), func(i int) bool { return m.recorded[i].Recorded > ns })
	if i == len(m.recorded) {
		return m.last
	}
	return m.recorded[i].Seq - 1
}

// Apply folds the event at the next position. An event that does not fit
// the log (a reference to something that does not exist, a position out of
// order) is rejected with an error and leaves the model unchanged: the
// caller quarantines it with Skip.
func (m *Model) Apply(e *ledger.Event) error {
	if e.Seq != m.last+1 {
		return fmt.Errorf("event says it is at position %d, expected %d", e.Seq, m.last+1)
	}
	if e.Alliance != m.Alliance {
		return fmt.Errorf("event belongs to alliance %q", e.Alliance)
	}
	if !m.founded && e.Type != ledger.TypeAllianceFounded {
		return fmt.Errorf("%s before alliance.founded", e.Type)
	}
	if err := m.apply(e); err != nil {
		return err
	}
	m.last = e.Seq
	m.advanced(e.Seq - 1)
	m.types[e.Type]++
	rec := e.RecordedAt.UnixNano()
	if n := len(m.recorded); n == 0 || rec > m.recorded[n-1].Recorded {
		m.recorded = append(m.recorded, timeMark{Seq: e.Seq, Recorded: rec})
	}
	return nil
}

func (m *Model) apply(e *ledger.Event) error {
	n := e.Seq
	switch p := e.Payload.(type) {
	case *ledger.AllianceFounded:
		if m.founded {
			return fmt.Errorf("alliance is already founded")
		}
		loc, err := time.LoadLocation(p.TimeZone)
		if err != nil || p.TimeZone == "" {
			loc, _ = time.LoadLocation(ledger.DefaultTimeZone)
		}
		m.founded, m.info, m.loc = true, *p, loc
	case *ledger.MemberAdmitted:
		mb := m.members[p.Member]
		if mb == nil {
			mb = &member{ID: p.Member, Admitted: n}
			m.members[p.Member] = mb
		} else if r, _ := mb.at(n); r.Active {
			return fmt.Errorf("member %q is already a member", p.Member)
		}
		mb.Name, mb.NameEN, mb.Kind = p.Name, p.NameEN, p.Kind
		mb.Roles = append(mb.Roles, roleVersion{At: n, Occurred: e.OccurredAt.UnixNano(), Role: p.Role, Kind: p.Kind, Active: true})
	case *ledger.MemberRoleChanged:
		mb, err := m.activeMember(p.Member, n)
		if err != nil {
			return err
		}
		r, _ := mb.at(n)
		r.At, r.Occurred, r.Role = n, e.OccurredAt.UnixNano(), p.Role
		mb.Roles = append(mb.Roles, r)
	case *ledger.MemberDeparted:
		mb, err := m.activeMember(p.Member, n)
		if err != nil {
			return err
		}
		r, _ := mb.at(n)
		r.At, r.Occurred, r.Active = n, e.OccurredAt.UnixNano(), false
		mb.Roles = append(mb.Roles, r)
	case *ledger.AgreementSigned:
		m.agrees = append(m.agrees, agreement{At: n, Agreement: p.Agreement})
	case *ledger.AgreementAmended:
		if len(m.agrees) == 0 {
			return fmt.Errorf("amendment before any agreement was signed")
		}
		m.agrees = append(m.agrees, agreement{At: n, Agreement: p.Agreement})
	case *ledger.ProjectOpened:
		if _, ok := m.projects[p.Project]; ok {
			return fmt.Errorf("project %q is already opened", p.Project)
		}
		if err := m.knownMembers(p.Participants); err != nil {
			return err
		}
		m.projects[p.Project] = &project{ID: p.Project, Name: p.Name, Lead: p.Lead, Opened: n, Start: p.Start, End: p.End, OpenedAt: e.OccurredAt.UnixNano(),
			Participants: []participantsVersion{{At: n, Participants: p.Participants}}}
	case *ledger.ProjectParticipantsChanged:
		pr, err := m.openProject(p.Project)
		if err != nil {
			return err
		}
		if err := m.knownMembers(p.Participants); err != nil {
			return err
		}
		pr.Participants = append(pr.Participants, participantsVersion{At: n, Participants: p.Participants})
	case *ledger.ProjectClosed:
		pr, err := m.openProject(p.Project)
		if err != nil {
			return err
		}
		pr.Closed, pr.ClosedAt, pr.Outcome = n, e.OccurredAt.UnixNano(), p.Outcome
	case *ledger.ContributionRecorded:
		// Nothing is recorded to a closed project: every contribution to a
		// project was committed before it closed.
		if p.Project != "" {
			if _, err := m.openProject(p.Project); err != nil {
				return err
			}
		}
		v, err := m.contributionVersion(p, n)
		if err != nil {
			return err
		}
		m.addEntry(e, kindContribution, v)
	case *ledger.ContributionConfirmed:
		en, err := m.liveEntry(p.Contribution, kindContribution, "contribution", n)
		if err != nil {
			return err
		}
		m.addMark(en, mark{At: n, Status: stConfirmed})
		m.touched(n, en)
	case *ledger.ContributionContested:
		en, err := m.liveEntry(p.Contribution, kindContribution, "contribution", n)
		if err != nil {
			return err
		}
		m.addMark(en, mark{At: n, Status: stContested})
		m.touched(n, en)
	case *ledger.IPFiled:
		if _, ok := m.assets[p.Asset]; ok {
			return fmt.Errorf("asset %q is already filed", p.Asset)
		}
		for _, o := range p.Owners {
			if m.members[o.Member] == nil {
				return fmt.Errorf("owner %q is not a member", o.Member)
			}
		}
		m.assets[p.Asset] = &asset{ID: p.Asset, Type: p.Type, Title: p.Title, Project: p.Project,
			Filed: n, Occurred: e.OccurredAt.UnixNano(), Owners: p.Owners}
	case *ledger.IPStatusChanged:
		a := m.assets[p.Asset]
		if a == nil {
			return fmt.Errorf("asset %q is not filed", p.Asset)
		}
		a.Statuses = append(a.Statuses, assetStatus{At: n, Occurred: e.OccurredAt.UnixNano(), Status: p.Status})
	case *ledger.IPLicenceRevenue:
		v, err := m.licenceVersion(p, n)
		if err != nil {
			return err
		}
		m.addEntry(e, kindLicence, v)
	case *ledger.FundingReceived:
		v, err := m.fundingVersion(p, n)
		if err != nil {
			return err
		}
		m.addEntry(e, kindFunding, v)
	case *ledger.CostIncurred:
		v, err := m.costVersion(p, n)
		if err != nil {
			return err
		}
		m.addEntry(e, kindCost, v)
	case *ledger.LossRealized:
		v, err := m.lossVersion(p, n)
		if err != nil {
			return err
		}
		m.addEntry(e, kindLoss, v)
	case *ledger.PoolDeclared:
		if _, ok := m.pools[p.Pool]; ok {
			return fmt.Errorf("pool %q is already declared", p.Pool)
		}
		for _, id := range p.Members {
			if err := m.knownMember(id); err != nil {
				return err
			}
		}
		m.pools[p.Pool] = &pool{ID: p.Pool, Declared: n, Amount: p.Amount, Project: p.Project, Members: p.Members}
	case *ledger.PoolAssessed:
		pl := m.pools[p.Pool]
		if pl == nil {
			return fmt.Errorf("pool %q is not declared", p.Pool)
		}
		for _, id := range p.Players {
			if err := m.knownMember(id); err != nil {
				return err
			}
		}
		pl.Assessments = append(pl.Assessments, assessment{At: n, Assessor: p.Assessor, Method: p.Method,
			Players: p.Players, Coalitions: p.Coalitions})
	case *ledger.PayoutCommitted:
		v, err := m.payoutVersion(p, n)
		if err != nil {
			return err
		}
		m.addEntry(e, kindPayout, v)
		pl := m.pools[p.Pool]
		pl.Payout = append(pl.Payout, n)
		pl.Payouts = append(pl.Payouts, payoutRecord{Seq: n, Method: p.Method, ComputedAt: p.ComputedAt, Inputs: p.Inputs})
	case *ledger.PayoutAdjusted:
		en, err := m.liveEntry(p.Payout, kindPayout, "payout", n)
		if err != nil {
			return err
		}
		pl := m.pools[m.names[en.First.Pool]]
		if pl == nil || !slices.Contains(pl.Payout, p.Payout) {
			return fmt.Errorf("position %d is an adjustment, not a payout", p.Payout)
		}
		allocs := make([]allocation, len(p.Adjustments))
		var sum int64
		for i, a := range p.Adjustments {
			if err := m.knownMember(a.Member); err != nil {
				return err
			}
			if a.Amount.Currency != pl.Amount.Currency {
				return fmt.Errorf("adjustment of %q is in %s, the pool is in %s", a.Member, a.Amount.Currency, pl.Amount.Currency)
			}
			allocs[i] = allocation{Member: m.intern(a.Member), Amount: a.Amount.Amount}
			sum += a.Amount.Amount
		}
		if sum != 0 {
			return fmt.Errorf("adjustments sum to %d, not zero", sum)
		}
		m.addEntry(e, kindPayout, version{At: n, Pool: en.First.Pool, Project: en.First.Project, Currency: en.First.Currency, Allocs: allocs})
		pl.Payouts = append(pl.Payouts, payoutRecord{Seq: n, Adjusts: p.Payout, Dispute: p.Dispute,
			ComputedAt: p.ComputedAt, Inputs: p.Inputs, Reason: p.Reason})
	case *ledger.PayoutSettled:
		en, err := m.liveEntry(p.Payout, kindPayout, "payout", n)
		if err != nil {
			return err
		}
		m.addMark(en, mark{At: n, Status: stSettled})
		m.touched(n, en)
	case *ledger.DisputeRaised:
		if p.Subject >= n {
			return fmt.Errorf("dispute cites position %d, which is not before it", p.Subject)
		}
		m.disputes = append(m.disputes, &dispute{Seq: n, Subject: p.Subject, By: p.By, Claim: p.Claim, Claimed: p.ClaimedAmount,
			Occurred: e.OccurredAt.UnixNano()})
	case *ledger.DisputeResolved:
		d := m.dispute(p.Dispute)
		if d == nil || d.Resolved != 0 {
			return fmt.Errorf("there is no open dispute at position %d", p.Dispute)
		}
		d.Resolved, d.ResolvedAt, d.Outcome, d.Text, d.Adjusted = n, e.OccurredAt.UnixNano(), p.Outcome, p.Resolution, p.Adjustments
	case *ledger.EntryReversed:
		en := m.entry(p.Entry)
		if en == nil || en.Reversed != 0 {
			return fmt.Errorf("there is no entry in force at position %d to reverse", p.Entry)
		}
		en.Reversed = n
		m.touched(n, en)
	case *ledger.EntryCorrected:
		return m.correct(p, n)
	case *ledger.EvaluationSchemeAdopted:
		m.schemes = append(m.schemes, schemeVersion{At: n, Scheme: *p})
	case *ledger.EvaluationRated:
		if p.Member != "" {
			if err := m.knownMember(p.Member); err != nil {
				return err
			}
		}
		m.ratings = append(m.ratings, rating{At: n, Occurred: e.OccurredAt.UnixNano(), Rated: *p})
	default:
		return fmt.Errorf("event type %s is not folded", e.Type)
	}
	return nil
}

func (m *Model) addEntry(e *ledger.Event, kind uint8, v version) {
	m.seqs = append(m.seqs, e.Seq)
	m.entries.add(entry{Seq: e.Seq, Kind: kind, Occurred: e.OccurredAt.UnixNano(), First: v})
	idx := m.entries.len() - 1
	for uint64(len(m.entryIdx)) <= e.Seq {
		m.entryIdx = append(m.entryIdx, 0)
	}
	m.entryIdx[e.Seq] = int32(idx) + 1
	m.touchedAt(e.Seq, idx)
}

// indexEntries sets entryIdx from the entries, for the positions up to
// last (the entries past it, which a model never has, are searched).
func (m *Model) indexEntries(last uint64) {
	m.entryIdx = make([]int32, last+1)
	for i := range m.entries.len() {
		if seq := m.entries.at(i).Seq; seq <= last {
			m.entryIdx[seq] = int32(i) + 1
		}
	}
}

// entryIndex returns the index of the money entry at position seq.
func (m *Model) entryIndex(seq uint64) (int, bool) {
	if seq < uint64(len(m.entryIdx)) {
		i := m.entryIdx[seq]
		return int(i) - 1, i != 0
	}
	return slices.BinarySearch(m.seqs, seq)
}

// entry returns the money entry at position seq, or nil. The pointer is
// valid until the next entry is added.
func (m *Model) entry(seq uint64) *entry {
	i, ok := m.entryIndex(seq)
	if !ok {
		return nil
	}
	return m.entries.at(i)
}

func (m *Model) liveEntry(seq uint64, kind uint8, what string, n uint64) (*entry, error) {
	en := m.entry(seq)
	if en == nil || en.Kind != kind {
		return nil, fmt.Errorf("there is no %s at position %d", what, seq)
	}
	if en.reversedAt(n) {
		return nil, fmt.Errorf("the %s at position %d was reversed", what, seq)
	}
	return en, nil
}

func (m *Model) dispute(seq uint64) *dispute {
	for i := len(m.disputes) - 1; i >= 0; i-- {
		if m.disputes[i].Seq == seq {
			return m.disputes[i]
		}
	}
	return nil
}

func (m *Model) activeMember(id string, n uint64) (*member, error) {
	mb := m.members[id]
	if mb == nil {
		return nil, fmt.Errorf("member %q is not a member", id)
	}
	if r, _ := mb.at(n); !r.Active {
		return nil, fmt.Errorf("member %q has left", id)
	}
	return mb, nil
}

func (m *Model) knownMember(id string) error {
	if m.members[id] == nil {
		return fmt.Errorf("member %q is not a member", id)
	}
	return nil
}

func (m *Model) knownMembers(ps []ledger.Participant) error {
	for _, pt := range ps {
		if err := m.knownMember(pt.Member); err != nil {
			return err
		}
	}
	return nil
}

func (m *Model) knownProject(id string) error {
	if id != "" && m.projects[id] == nil {
		return fmt.Errorf("project %q is not opened", id)
	}
	return nil
}

func (m *Model) openProject(id string) (*project, error) {
	pr := m.projects[id]
	if pr == nil {
		return nil, fmt.Errorf("project %q is not opened", id)
	}
	if pr.Closed != 0 {
		return nil, fmt.Errorf("project %q is closed", id)
	}
	return pr, nil
}

func (m *Model) contributionVersion(p *ledger.ContributionRecorded, n uint64) (version, error) {
	if err := m.knownMember(p.Member); err != nil {
		return version{}, err
	}
	if err := m.knownProject(p.Project); err != nil {
		return version{}, err
	}
	if p.Value.Amount <= 0 {
		return version{}, fmt.Errorf("contribution has no value")
	}
	v := version{At: n, Member: m.intern(p.Member), Project: m.intern(p.Project), Kind: m.intern(p.Kind),
		Amount: p.Value.Amount, Currency: m.intern(p.Value.Currency)}
	if p.Quantity != nil && p.Kind == "personnel" && p.Unit == "person-month" {
		v.Qty = m.intern(p.Quantity.String())
	}
	return v, nil
}

func (m *Model) fundingVersion(p *ledger.FundingReceived, n uint64) (version, error) {
	if p.Member != "" {
		if err := m.knownMember(p.Member); err != nil {
			return version{}, err
		}
	}
	if err := m.knownProject(p.Project); err != nil {
		return version{}, err
	}
	return version{At: n, Member: m.intern(p.Member), Project: m.intern(p.Project), Kind: m.intern(p.Source),
		Amount: p.Amount.Amount, Currency: m.intern(p.Amount.Currency)}, nil
}

func (m *Model) costVersion(p *ledger.CostIncurred, n uint64) (version, error) {
	if p.BorneBy != "" {
		if err := m.knownMember(p.BorneBy); err != nil {
			return version{}, err
		}
	}
	if err := m.knownProject(p.Project); err != nil {
		return version{}, err
	}
	return version{At: n, Member: m.intern(p.BorneBy), Project: m.intern(p.Project), Kind: m.intern(p.Category),
		Amount: p.Amount.Amount, Currency: m.intern(p.Amount.Currency)}, nil
}

func (m *Model) lossVersion(p *ledger.LossRealized, n uint64) (version, error) {
	if err := m.knownProject(p.Project); err != nil {
		return version{}, err
	}
	return version{At: n, Project: m.intern(p.Project), Amount: p.Amount.Amount, Currency: m.intern(p.Amount.Currency)}, nil
}

func (m *Model) licenceVersion(p *ledger.IPLicenceRevenue, n uint64) (version, error) {
	if m.assets[p.Asset] == nil {
		return version{}, fmt.Errorf("asset %q is not filed", p.Asset)
	}
	return version{At: n, Asset: m.intern(p.Asset), Kind: m.intern(p.Licensee), Amount: p.Amount.Amount, Currency: m.intern(p.Amount.Currency)}, nil
}

func (m *Model) payoutVersion(p *ledger.PayoutCommitted, n uint64) (version, error) {
	pl := m.pools[p.Pool]
	if pl == nil {
		return version{}, fmt.Errorf("pool %q is not declared", p.Pool)
	}
	var sum int64
	for _, a := range p.Allocations {
		if err := m.knownMember(a.Member); err != nil {
			return version{}, err
		}
		if a.Amount.Currency != pl.Amount.Currency {
			return version{}, fmt.Errorf("allocation to %q is in %s, the pool is in %s", a.Member, a.Amount.Currency, pl.Amount.Currency)
		}
		sum += a.Amount.Amount
	}
	if sum != pl.Amount.Amount {
		return version{}, fmt.Errorf("allocations sum to %d, the pool is %d", sum, pl.Amount.Amount)
	}
	allocs := make([]allocation, len(p.Allocations))
	for i, a := range p.Allocations {
		allocs[i] = allocation{Member: m.intern(a.Member), Amount: a.Amount.Amount}
	}
	return version{At: n, Pool: m.intern(p.Pool), Project: m.intern(pl.Project), Amount: sum, Currency: m.intern(pl.Amount.Currency), Allocs: allocs}, nil
}

// correct folds an entry.corrected: the replacement becomes the entry's
// facts from position n. A corrected contribution must be confirmed again.
func (m *Model) correct(p *ledger.EntryCorrected, n uint64) error {
	en := m.entry(p.Entry)
	if en == nil || en.reversedAt(n) {
		return fmt.Errorf("there is no entry in force at position %d to correct", p.Entry)
	}
	var (
		v   version
		err error
	)
	cur := en.at(n)
	switch en.Kind {
	case kindContribution:
		var r ledger.Payload
		if r, err = ledger.Corrected(p, ledger.TypeContributionRecorded); err == nil {
			c := r.(*ledger.ContributionRecorded)
			if c.Member != m.names[cur.Member] || c.Project != m.names[cur.Project] {
				err = fmt.Errorf("a correction keeps the contribution's member and project")
			} else {
				v, err = m.contributionVersion(c, n)
			}
		}
	case kindFunding:
		var r ledger.Payload
		if r, err = ledger.Corrected(p, ledger.TypeFundingReceived); err == nil {
			v, err = m.fundingVersion(r.(*ledger.FundingReceived), n)
		}
	case kindCost:
		var r ledger.Payload
		if r, err = ledger.Corrected(p, ledger.TypeCostIncurred); err == nil {
			v, err = m.costVersion(r.(*ledger.CostIncurred), n)
		}
	case kindLoss:
		var r ledger.Payload
		if r, err = ledger.Corrected(p, ledger.TypeLossRealized); err == nil {
			v, err = m.lossVersion(r.(*ledger.LossRealized), n)
		}
	case kindLicence:
		var r ledger.Payload
		if r, err = ledger.Corrected(p, ledger.TypeIPLicenceRevenue); err == nil {
			v, err = m.licenceVersion(r.(*ledger.IPLicenceRevenue), n)
		}
	default:
		err = fmt.Errorf("a payout cannot be corrected")
	}
	if err != nil {
		return fmt.Errorf("correction of position %d: %w", p.Entry, err)
	}
	en.More = append(en.More, v)
	if en.Kind == kindContribution {
		m.addMark(en, mark{At: n, Status: stRecorded})
	}
	m.touched(n, en)
	return nil
}

// agreementAt returns the agreement in force at position n.
func (m *Model) agreementAt(n uint64) (ledger.Agreement, bool) {
	for i := len(m.agrees) - 1; i >= 0; i-- {
		if m.agrees[i].At <= n {
			return m.agrees[i].Agreement, true
		}
	}
	return ledger.Agreement{}, false
}

// TypeCounts returns how many events of each type the model folded.
func (m *Model) TypeCounts() map[string]uint64 {
	c := make(map[string]uint64, len(m.types))
	for k, v := range m.types {
		c[k] = v
	}
	return c
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](mp map[string]V) []string {
	ks := make([]string, 0, len(mp))
	for k := range mp {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// entryList holds the entries in chunks, so that adding one never copies
// the others and pointers to them stay valid.
type entryList struct {
	chunks [][]entry
	n      int
}

const entryChunkBits = 12

func (l *entryList) len() int { return l.n }

func (l *entryList) at(i int) *entry {
	return &l.chunks[i>>entryChunkBits][i&(1<<entryChunkBits-1)]
}

func (l *entryList) add(e entry) *entry {
	if l.n>>entryChunkBits == len(l.chunks) {
		l.chunks = append(l.chunks, make([]entry, 0, 1<<entryChunkBits))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, e)
	l.n++
	return &(*c)[len(*c)-1]
}

// addMark adds a status mark to an entry. An entry's first mark is a
// slice of one from markSlab, capacity one, so a second append copies it
// out rather than write over a neighbour's.
func (m *Model) addMark(en *entry, mk mark) {
	if len(en.Marks) > 0 {
		en.Marks = append(en.Marks, mk)
		return
	}
	if len(m.markSlab) == cap(m.markSlab) {
		m.markSlab = make([]mark, 0, 1024)
	}
	m.markSlab = append(m.markSlab, mk)
	i := len(m.markSlab) - 1
	en.Marks = m.markSlab[i : i+1 : i+1]
}
