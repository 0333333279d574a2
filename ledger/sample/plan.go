package sample

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
)

// The sample is built in two steps. Planning decides, from a fixed-seed
// generator, what happens on which day of the three years and schedules an
// action for each request. Running sorts the actions by business time and
// builds the requests in that order; an action's build function runs then,
// so it can cite the positions of earlier entries (a confirmation cites its
// contribution) and compute from what was recorded before it (a payout from
// the confirmed contributions). Nothing in planning depends on `until`, so
// a shorter sample is always a prefix of the full one, with the same keys.

// cst is China Standard Time. China has kept UTC+8 without daylight saving
// since 1991, so a fixed zone equals Asia/Shanghai and needs no tzdata.
var cst = time.FixedZone("CST", 8*60*60)

// lastDay is the last day (counted from the founding) on which anything is
// scheduled; three years are at least 1095 days.
const lastDay = 1088

// ref is the log position of an entry, known once its action has run.
type ref struct{ pos uint64 }

func (r *ref) get() uint64 {
	if r == nil || r.pos == 0 {
		panic("sample: an action cites an entry that is not built yet (check the days in the script)")
	}
	return r.pos
}

// action is one request to be built.
type action struct {
	at    time.Time
	actor string
	build func() []ledger.Payload
	// done is told the position of the request's first event.
	done func(first uint64)
}

type planner struct {
	start    time.Time // the founding's business time
	midnight time.Time // 00:00 CST of the founding day
	rng      *rand.Rand
	actions  []*action
	team     map[string][]string // researchers by member
	t        *tracker
}

// tracker is what the running requests know of the log they build: the
// positions handed out so far and the facts later requests compute from.
type tracker struct {
	seq         uint64
	agreement   int              // version in force
	rates       map[string]int64 // person-month rate by member kind, in fen
	kindWeights map[string]ledger.Ratio
	contribs    map[uint64]*contribRec
	licence     map[string]int64 // licence revenue by project, in fen
	serviceY3   int64            // service revenue from the third year on, in fen
}

type contribRec struct {
	member, project, kind string
	value                 int64
	status                string // recorded, confirmed, contested, reversed
}

func newPlanner(start time.Time) *planner {
	start = start.Round(0) // drop a monotonic clock reading
	local := start.In(cst)
	p := &planner{
		start:    start,
		midnight: time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, cst),
		// A fixed seed: the same sample on every machine and every run.
		rng: rand.New(rand.NewPCG(0x616c6c69616e6365, 0x73616d706c650001)),
		t: &tracker{
			rates: map[string]int64{}, kindWeights: map[string]ledger.Ratio{},
			contribs: map[uint64]*contribRec{}, licence: map[string]int64{},
		},
	}
	p.team = researchers(p.rng)
	return p
}

// when returns a business time on the given day (counted from the founding
// day), during office hours, never before the founding itself.
func (p *planner) when(day int) time.Time {
	t := p.midnight.Add(time.Duration(day)*24*time.Hour + 9*time.Hour + time.Duration(p.rng.IntN(8*60))*time.Minute)
	if t.Before(p.start) {
		t = p.start
	}
	return t.UTC()
}

// date returns the calendar date (in China) of a day.
func (p *planner) date(day int) ledger.Date {
	return ledger.Date(p.midnight.AddDate(0, 0, day).Format(time.DateOnly))
}

// year returns the calendar year (in China) of a day.
func (p *planner) year(day int) int { return p.midnight.AddDate(0, 0, day).Year() }

// add schedules a request of one or more commands built when it runs.
func (p *planner) add(day int, actor string, build func() []ledger.Payload) *action {
	a := &action{at: p.when(day), actor: actor, build: build}
	p.actions = append(p.actions, a)
	return a
}

// add1 schedules a request of a single, fixed command and returns the
// reference to its position.
func (p *planner) add1(day int, actor string, pl ledger.Payload) *ref {
	r := new(ref)
	a := p.add(day, actor, func() []ledger.Payload { return []ledger.Payload{pl} })
	a.done = func(first uint64) { r.pos = first }
	return r
}

// run builds the requests in business-time order, up to limit.
func (p *planner) run(alliance string, limit time.Time) []ledger.Request {
	sort.SliceStable(p.actions, func(i, j int) bool { return p.actions[i].at.Before(p.actions[j].at) })
	var out []ledger.Request
	for i, a := range p.actions {
		if a.at.After(limit) {
			break
		}
		payloads := a.build()
		cmds := make([]ledger.Command, len(payloads))
		for j, pl := range payloads {
			cmds[j] = ledger.NewCommand(a.at, pl)
		}
		first := p.t.seq + 1
		p.t.seq += uint64(len(cmds))
		out = append(out, ledger.Request{
			Alliance:       alliance,
			Actor:          a.actor,
			IdempotencyKey: fmt.Sprintf("sample-%04d", i+1),
			Commands:       cmds,
		})
		if a.done != nil {
			a.done(first)
		}
	}
	return out
}

// Amounts. The base currency is CNY; amounts are in fen.

const currency = "CNY"

func fen(n int64) ledger.Money  { return ledger.Money{Amount: n, Currency: currency} }
func yuan(n int64) ledger.Money { return fen(n * 100) }
func wan(n int64) ledger.Money  { return yuan(n * 10_000) }

// between returns a random multiple of step in [lo, hi].
func (p *planner) between(lo, hi, step int64) int64 {
	return lo + step*p.rng.Int64N((hi-lo)/step+1)
}

func (p *planner) pick(s []string) string { return s[p.rng.IntN(len(s))] }

// mulRound is quantity × unit rounded half away from zero, as the writer
// values contributions.
func mulRound(q ledger.Ratio, unit int64) int64 {
	v := new(big.Rat).Mul(q.Rat(), new(big.Rat).SetInt64(unit))
	num, den := new(big.Int).Set(v.Num()), v.Denom()
	quo, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(rem, big.NewInt(2)).Cmp(den) >= 0 {
		quo.Add(quo, big.NewInt(1))
	}
	return quo.Int64()
}

// evidence points at a document of the secretariat's archive; the digest
// stands in for the document's SHA-256.
func evidence(title, path string) *ledger.Evidence {
	sum := sha256.Sum256([]byte("alliance-ledger sample document: " + path))
	return &ledger.Evidence{SHA256: hex.EncodeToString(sum[:]), URI: "dms://secretariat/" + path, Title: title}
}

func actorOf(memberID string) string { return "member:" + memberID }

const secretariat = "secretariat"
