package sample

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
)

// Synthetic generates an endless stream of realistic requests for a large
// alliance: many members, a few dozen projects opening and closing, and a
// steady flow of contributions (most of them later confirmed), funding,
// costs, IP filings and their grants and licences, corrections, reversals,
// losses and payouts. Each request is valid given the ones before it when
// all are appended in order, one event per request after the first, so the
// generator knows every event's position without asking the writer. The
// same seed gives the same requests.
type Synthetic struct {
	alliance string
	rng      *rand.Rand
	at       time.Time
	seq      uint64 // position of the last event generated
	n        int    // requests generated

	members  []string
	projects []*synProject
	open     []*synProject
	pending  []synContribution // recorded, not confirmed, not reversed
	done     []synContribution // confirmed cash contributions, correctable
	assets   []synAsset
	nextProj int
	nextAst  int
	nextPool int
}

type synProject struct {
	id      string
	members []string
	opened  uint64
}

type synContribution struct {
	seq          uint64
	member       string
	project      string
	counterparty string
	cash         bool
}

type synAsset struct {
	id     string
	status string
}

var synKinds = []string{"cash", "cash", "cash", "personnel", "personnel", "personnel", "equipment", "technology", "data", "facility"}

// NewSynthetic returns a generator whose business time starts at start
// and advances about a minute and a half per event.
func NewSynthetic(alliance string, seed uint64, start time.Time) *Synthetic {
	return &Synthetic{alliance: alliance, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), at: start}
}

// Last is the position of the last event generated.
func (g *Synthetic) Last() uint64 { return g.seq }

func (g *Synthetic) money(fen int64) ledger.Money { return ledger.Money{Amount: fen, Currency: "CNY"} }

func (g *Synthetic) req(actor string, cmds ...ledger.Command) ledger.Request {
	g.n++
	g.seq += uint64(len(cmds))
	return ledger.Request{Alliance: g.alliance, Actor: actor, IdempotencyKey: "syn-" + strconv.Itoa(g.n), Commands: cmds}
}

// Next returns the next request.
func (g *Synthetic) Next() ledger.Request {
	if g.n == 0 {
		return g.setup()
	}
	g.at = g.at.Add(time.Duration(60+g.rng.IntN(60)) * time.Second)
	r := g.rng.IntN(1000)
	switch {
	case len(g.open) < 6 || r < 3:
		return g.openProject()
	case r < 6 && len(g.open) > 12:
		return g.closeProject()
	case r < 8 && len(g.members) < 200:
		return g.admit()
	case r < 560:
		return g.contribute()
	case r < 800 && len(g.pending) > 0:
		return g.confirm()
	case r < 815 && len(g.pending) > 0:
		return g.contest()
	case r < 860:
		return g.funding()
	case r < 920:
		return g.cost()
	case r < 945:
		return g.fileIP()
	case r < 965 && len(g.assets) > 0:
		return g.ipStatus()
	case r < 975 && len(g.done) > 0:
		return g.correct()
	case r < 982 && len(g.pending) > 0:
		return g.reverse()
	case r < 987:
		return g.loss()
	case r < 990:
		return g.payout()
	}
	return g.contribute()
}

func (g *Synthetic) setup() ledger.Request {
	cmds := []ledger.Command{ledger.NewCommand(g.at, &ledger.AllianceFounded{Name: "长三角智能制造产业技术创新战略联盟（合成数据）",
		Type: "industry-chain", LegalForm: "non-legal-person", BaseCurrency: "CNY", Custodian: "M001"})}
	for i := 1; i <= 40; i++ {
		cmds = append(cmds, g.admitCmd(i))
	}
	cmds = append(cmds, ledger.NewCommand(g.at, &ledger.AgreementSigned{Agreement: ledger.Agreement{
		Title: "联盟协议", EffectiveDate: ledger.Date(g.at.Format("2006-01-02")),
		Distribution: ledger.Distribution{Method: "shapley", Allowed: []string{"proportional"}},
		Risk: ledger.RiskRule{Rule: "contribution", Coefficients: map[string]ledger.Ratio{
			"cash": ledger.MustRatio("1"), "equipment": ledger.MustRatio("0.8"), "personnel": ledger.MustRatio("0.6"),
			"technology": ledger.MustRatio("0.9"), "data": ledger.MustRatio("0.5"), "facility": ledger.MustRatio("0.4")}},
		Valuation: ledger.Valuation{PersonMonthRates: map[string]ledger.Money{
			"enterprise": g.money(3_500_000), "university": g.money(2_800_000),
			"research-institute": g.money(3_000_000), "other": g.money(2_500_000)}},
		IPOwnership: "by-contribution", Signatories: []string{"M001", "M002", "M003"},
	}}))
	return g.req("secretariat", cmds...)
}

func (g *Synthetic) admitCmd(i int) ledger.Command {
	id := fmt.Sprintf("M%03d", i)
	g.members = append(g.members, id)
	role := "ordinary"
	switch {
	case i == 1:
		role = "chair"
	case i <= 3:
		role = "vice-chair"
	case i <= 8:
		role = "council"
	}
	kinds := []string{"enterprise", "enterprise", "enterprise", "university", "research-institute", "other"}
	return ledger.NewCommand(g.at, &ledger.MemberAdmitted{Member: id, Name: "成员单位" + id, Kind: kinds[i%len(kinds)], Role: role})
}

func (g *Synthetic) admit() ledger.Request {
	return g.req("secretariat", g.admitCmd(len(g.members)+1))
}

func (g *Synthetic) openProject() ledger.Request {
	g.nextProj++
	id := fmt.Sprintf("P%04d", g.nextProj)
	n := 3 + g.rng.IntN(6)
	seen := map[string]bool{}
	var parts []ledger.Participant
	var ids []string
	for len(parts) < n {
		m := g.members[g.rng.IntN(len(g.members))]
		if seen[m] {
			continue
		}
		seen[m] = true
		ids = append(ids, m)
		parts = append(parts, ledger.Participant{Member: m, Budget: g.money(int64(1+g.rng.IntN(50)) * 10_000_000)})
	}
	pr := &synProject{id: id, members: ids, opened: g.seq + 1}
	g.projects = append(g.projects, pr)
	g.open = append(g.open, pr)
	return g.req("secretariat", ledger.NewCommand(g.at, &ledger.ProjectOpened{Project: id, Name: "联合攻关项目 " + id,
		Lead: ids[0], Participants: parts, Start: ledger.Date(g.at.Format("2006-01-02"))}))
}

func (g *Synthetic) closeProject() ledger.Request {
	i := g.rng.IntN(len(g.open))
	pr := g.open[i]
	g.open = append(g.open[:i], g.open[i+1:]...)
	outcomes := []string{"completed", "completed", "completed", "terminated", "failed"}
	return g.req("secretariat", ledger.NewCommand(g.at, &ledger.ProjectClosed{Project: pr.id, Outcome: outcomes[g.rng.IntN(len(outcomes))]}))
}

func (g *Synthetic) counterparty(pr *synProject, member string) string {
	if pr.members[0] != member {
		return pr.members[0]
	}
	if member != "M001" {
		return "M001"
	}
	return "M002"
}

func (g *Synthetic) contribute() ledger.Request {
	pr := g.open[g.rng.IntN(len(g.open))]
	m := pr.members[g.rng.IntN(len(pr.members))]
	kind := synKinds[g.rng.IntN(len(synKinds))]
	sum := sha256.Sum256([]byte(g.alliance + strconv.Itoa(g.n)))
	p := &ledger.ContributionRecorded{Member: m, Project: pr.id, Kind: kind,
		Value:        g.money(int64(1+g.rng.IntN(2000)) * 100_00),
		Counterparty: g.counterparty(pr, m),
		Description:  "第" + strconv.Itoa(g.n%12+1) + "期投入（" + pr.id + "）",
		Evidence:     &ledger.Evidence{SHA256: hex.EncodeToString(sum[:]), Title: "凭证"},
	}
	switch kind {
	case "personnel":
		q := ledger.NewRatio(int64(1+g.rng.IntN(24)), 2)
		p.Value, p.Quantity, p.Unit = ledger.Money{}, &q, "person-month"
	case "equipment", "facility":
		q := ledger.NewRatio(int64(10+g.rng.IntN(500)), 1)
		u := g.money(int64(50+g.rng.IntN(500)) * 100)
		p.Value, p.Quantity, p.Unit, p.UnitValue, p.Valuation = ledger.Money{}, &q, "machine-hour", &u, "market-price"
	case "technology", "data":
		p.Valuation = "appraisal"
	}
	r := g.req("member:"+m, ledger.NewCommand(g.at, p))
	g.pending = append(g.pending, synContribution{seq: g.seq, member: m, project: pr.id, counterparty: p.Counterparty, cash: kind == "cash"})
	return r
}

// takePending removes and returns a random pending contribution.
func (g *Synthetic) takePending() synContribution {
	i := g.rng.IntN(len(g.pending))
	c := g.pending[i]
	g.pending[i] = g.pending[len(g.pending)-1]
	g.pending = g.pending[:len(g.pending)-1]
	return c
}

func (g *Synthetic) confirm() ledger.Request {
	c := g.takePending()
	if c.cash {
		g.done = append(g.done, c)
	}
	return g.req("member:"+c.counterparty, ledger.NewCommand(g.at, &ledger.ContributionConfirmed{Contribution: c.seq, By: c.counterparty}))
}

func (g *Synthetic) contest() ledger.Request {
	c := g.takePending()
	claimed := g.money(int64(1+g.rng.IntN(1000)) * 100_00)
	return g.req("member:"+c.counterparty, ledger.NewCommand(g.at, &ledger.ContributionContested{Contribution: c.seq, By: c.counterparty,
		Reason: "金额与凭证不符", ClaimedValue: &claimed}))
}

func (g *Synthetic) reverse() ledger.Request {
	c := g.takePending()
	return g.req("secretariat", ledger.NewCommand(g.at, &ledger.EntryReversed{Entry: c.seq, Reason: "重复录入"}))
}

func (g *Synthetic) correct() ledger.Request {
	i := g.rng.IntN(len(g.done))
	c := g.done[i]
	g.done[i] = g.done[len(g.done)-1]
	g.done = g.done[:len(g.done)-1]
	repl, err := json.Marshal(&ledger.ContributionRecorded{Member: c.member, Project: c.project, Kind: "cash",
		Value: g.money(int64(1+g.rng.IntN(2000)) * 100_00), Counterparty: c.counterparty, Description: "更正后的金额"})
	if err != nil {
		panic(err)
	}
	r := g.req("secretariat", ledger.NewCommand(g.at, &ledger.EntryCorrected{Entry: c.seq, Reason: "按银行回单更正金额", Replacement: repl}))
	g.pending = append(g.pending, c) // a corrected contribution is confirmed again
	return r
}

func (g *Synthetic) funding() ledger.Request {
	p := &ledger.FundingReceived{Amount: g.money(int64(1+g.rng.IntN(500)) * 10_000_00)}
	switch g.rng.IntN(4) {
	case 0:
		p.Source, p.Payer = "government-grant", "省科技厅重点研发计划"
		p.Project = g.open[g.rng.IntN(len(g.open))].id
	case 1:
		p.Source, p.Member = "member-dues", g.members[g.rng.IntN(len(g.members))]
		p.Amount = g.money(5_000_000)
	case 2:
		p.Source, p.Member = "matching-funds", g.members[g.rng.IntN(len(g.members))]
	default:
		p.Source, p.Payer = "service-revenue", "检测服务客户"
	}
	return g.req("secretariat", ledger.NewCommand(g.at, p))
}

func (g *Synthetic) cost() ledger.Request {
	pr := g.open[g.rng.IntN(len(g.open))]
	cats := []string{"personnel", "equipment", "materials", "services", "travel", "facility", "overhead"}
	p := &ledger.CostIncurred{Project: pr.id, Category: cats[g.rng.IntN(len(cats))], Amount: g.money(int64(1+g.rng.IntN(300)) * 1_000_00)}
	if g.rng.IntN(2) == 0 {
		p.BorneBy = pr.members[g.rng.IntN(len(pr.members))]
	}
	return g.req("secretariat", ledger.NewCommand(g.at, p))
}

func (g *Synthetic) fileIP() ledger.Request {
	pr := g.projects[g.rng.IntN(len(g.projects))]
	g.nextAst++
	id := fmt.Sprintf("IP%06d", g.nextAst)
	owners := []ledger.Share{{Member: pr.members[0], Share: ledger.MustRatio("1")}}
	if len(pr.members) > 1 && g.rng.IntN(3) > 0 {
		owners = []ledger.Share{{Member: pr.members[0], Share: ledger.MustRatio("0.6")}, {Member: pr.members[1], Share: ledger.MustRatio("0.4")}}
	}
	g.assets = append(g.assets, synAsset{id: id, status: "filed"})
	return g.req("secretariat", ledger.NewCommand(g.at, &ledger.IPFiled{Asset: id, Type: ledger.IPTypes[g.rng.IntN(len(ledger.IPTypes))],
		Title: "一种用于" + pr.id + "的装置及方法", Owners: owners, Project: pr.id, Inventors: []string{"张伟", "李娜"}}))
}

func (g *Synthetic) ipStatus() ledger.Request {
	i := g.rng.IntN(len(g.assets))
	a := &g.assets[i]
	switch a.status {
	case "filed":
		a.status = "granted"
		if g.rng.IntN(5) == 0 {
			a.status = "rejected"
		}
	case "granted":
		a.status = "licensed"
	case "licensed":
		amt := g.money(int64(1+g.rng.IntN(100)) * 10_000_00)
		return g.req("secretariat", ledger.NewCommand(g.at, &ledger.IPLicenceRevenue{Asset: a.id, Licensee: "某新能源汽车公司", Amount: amt}))
	default: // rejected: nothing more happens to it
		g.assets[i] = g.assets[len(g.assets)-1]
		g.assets = g.assets[:len(g.assets)-1]
		return g.contribute()
	}
	p := &ledger.IPStatusChanged{Asset: a.id, Status: a.status}
	if a.status == "licensed" {
		p.Counterparty = "某新能源汽车公司"
	}
	return g.req("secretariat", ledger.NewCommand(g.at, p))
}

func (g *Synthetic) loss() ledger.Request {
	pr := g.projects[g.rng.IntN(len(g.projects))]
	return g.req("secretariat", ledger.NewCommand(g.at, &ledger.LossRealized{Project: pr.id,
		Amount: g.money(int64(1+g.rng.IntN(100)) * 10_000_00), Reason: "中试样品报废"}))
}

// payout declares a pool, has it assessed (each project member alone worth
// the same, nothing more together) and shares it by the Shapley value,
// which for that game is an equal split: a payout anyone can recompute
// from the log. One request.
func (g *Synthetic) payout() ledger.Request {
	pr := g.projects[g.rng.IntN(len(g.projects))]
	g.nextPool++
	id := fmt.Sprintf("POOL%04d", g.nextPool)
	each := int64(1+g.rng.IntN(100)) * 10_000_00
	total := int64(len(pr.members)) * each
	assessed := &ledger.PoolAssessed{Pool: id, Assessor: "专家组", Method: "agreed", Players: pr.members,
		Coalitions: []ledger.CoalitionValue{{Members: pr.members, Value: g.money(total)}}}
	var allocs []ledger.Allocation
	for _, m := range pr.members {
		assessed.Coalitions = append(assessed.Coalitions, ledger.CoalitionValue{Members: []string{m}, Value: g.money(each)})
		allocs = append(allocs, ledger.Allocation{Member: m, Amount: g.money(each)})
	}
	return g.req("secretariat",
		ledger.NewCommand(g.at, &ledger.PoolDeclared{Pool: id, Amount: g.money(total), Project: pr.id, Source: "技术许可收益"}),
		ledger.NewCommand(g.at, assessed),
		ledger.NewCommand(g.at, &ledger.PayoutCommitted{Pool: id, Method: "shapley", ComputedAt: g.seq + 2, Allocations: allocs}))
}
