package api

import (
	"errors"
	"fmt"
	"html/template"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/audit"
	"github.com/alliance-ledger/alliance/projections"
	"github.com/alliance-ledger/alliance/projections/evaluation"
	"github.com/alliance-ledger/alliance/projections/payout"
)

// chart is a drawn chart with its legend and the table of its figures,
// the text alternative for those who would rather read.
type chart struct {
	SVG    template.HTML
	Legend []legendItem
	Table  *figureTable
}

// figureTable is a chart's data as a table.
type figureTable struct {
	Caption string
	Head    []string
	Rows    []figureRow
	Foot    *figureRow
}

type figureRow struct {
	Label string
	Cells []figureCell
}

// figureCell is a cell; Figure, when set, is its data-figure name.
type figureCell struct {
	Text, Figure, Exact string
}

func (pc *pageCtx) t(key string) string {
	s, err := pc.d.T(key)
	if err != nil {
		panic(err) // caught by the server's recovery; the tests render every page
	}
	return s
}

// title is the page title: the page's name after the alliance's.
func (pc *pageCtx) title(key string) string { return pc.t(key) }

// ---- Overview ----

type overviewPage struct {
	O          Overview
	Founded    ledger.AllianceFounded
	NameOther  string
	Totals     []projections.Amounts
	Checkpoint *CheckpointView
	Chart      *chart
	Other      []ledger.Money // contributions in other currencies, not charted
}

func (s *Server) pageOverview(pc *pageCtx) error {
	pc.d.PeriodForm = true
	var out overviewPage
	err := pc.view(func(m *projections.Model, q projections.Query) error {
		out.O = overview(m, q.Seq)
		out.Founded = out.O.Founded
		out.NameOther = out.Founded.NameEN
		if pc.d.Lang == "en" {
			out.NameOther = out.Founded.Name
		}
		b, err := s.balances(pc.d.AllianceID, m, q)
		if err != nil {
			return err
		}
		out.Totals = b.Totals
		out.Chart, out.Other = pc.contributionsChart(m, q)
		return nil
	})
	if err != nil {
		return err
	}
	cps, err := audit.ReadCheckpoints(pc.r.Context(), s.cfg.Store.Audit(), pc.d.AllianceID)
	if err != nil {
		return err
	}
	if len(cps) > 0 {
		cv := checkpointView(cps[len(cps)-1])
		out.Checkpoint = &cv
	}
	pc.render("overview", http.StatusOK, pc.title("nav_overview"), out)
	return nil
}

// contributionsChart stacks the confirmed contributions in the base
// currency by kind, per quarter (per year over a long history) of the
// business time they occurred at.
func (pc *pageCtx) contributionsChart(m *projections.Model, q projections.Query) (*chart, []ledger.Money) {
	f, _ := m.Founded()
	cur := f.BaseCurrency
	loc := m.Location()
	type cell struct {
		period string
		kind   int
	}
	sums := map[cell]int64{}
	periods := map[string]bool{}
	others := map[string]int64{}
	var first, last time.Time
	var facts []projections.ContributionFact
	for _, cf := range m.Contributions(q.Seq, "") {
		if cf.Status != "confirmed" || !q.From.IsZero() && cf.Occurred.Before(q.From) || !q.To.IsZero() && !cf.Occurred.Before(q.To) {
			continue
		}
		if cf.Value.Currency != cur {
			others[cf.Value.Currency] += cf.Value.Amount
			continue
		}
		facts = append(facts, cf)
		if first.IsZero() || cf.Occurred.Before(first) {
			first = cf.Occurred
		}
		if cf.Occurred.After(last) {
			last = cf.Occurred
		}
	}
	quarterly := last.Sub(first) < 5*365*24*time.Hour
	label := func(t time.Time) string {
		t = t.In(loc)
		if quarterly {
			return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())+2)/3)
		}
		return strconv.Itoa(t.Year())
	}
	kinds := ledger.ContributionKinds
	for _, cf := range facts {
		p := label(cf.Occurred)
		periods[p] = true
		k := slices.Index(kinds, cf.Kind)
		if k < 0 {
			continue
		}
		sums[cell{p, k}] += cf.Value.Amount
	}
	var other []ledger.Money
	for _, c := range sortedMapKeys(others) {
		other = append(other, ledger.Money{Amount: others[c], Currency: c})
	}
	if len(periods) == 0 {
		return nil, other
	}
	// Every period between the first and the last, empty ones too.
	var cats []string
	for t := first.In(loc); ; {
		p := label(t)
		if len(cats) == 0 || cats[len(cats)-1] != p {
			cats = append(cats, p)
		}
		if p == label(last) {
			break
		}
		t = t.AddDate(0, 1, 0)
	}
	var series []chartSeries
	var used []int
	for k, kind := range kinds {
		for _, p := range cats {
			if sums[cell{p, k}] != 0 {
				series = append(series, chartSeries{Label: pc.d.E("kind", kind), Color: palette[k%len(palette)]})
				used = append(used, k)
				break
			}
		}
	}
	values := make([][]int64, len(cats))
	tab := &figureTable{Caption: pc.t("chart_data"), Head: []string{pc.t("period_col")}}
	for _, k := range used {
		tab.Head = append(tab.Head, pc.d.E("kind", kinds[k]))
	}
	tab.Head = append(tab.Head, pc.t("total"))
	totals := make([]int64, len(used))
	var grand int64
	for i, p := range cats {
		row := figureRow{Label: p}
		var sum int64
		for j, k := range used {
			v := sums[cell{p, k}]
			values[i] = append(values[i], v)
			totals[j] += v
			sum += v
			row.Cells = append(row.Cells, figureCell{Text: formatMoney(v, cur)})
		}
		grand += sum
		row.Cells = append(row.Cells, figureCell{Text: formatMoney(sum, cur)})
		tab.Rows = append(tab.Rows, row)
	}
	foot := figureRow{Label: pc.t("total")}
	for j, k := range used {
		foot.Cells = append(foot.Cells, figureCell{Text: formatMoney(totals[j], cur), Figure: "contrib-kind-" + kinds[k] + "-" + cur})
	}
	foot.Cells = append(foot.Cells, figureCell{Text: formatMoney(grand, cur), Figure: "contrib-total-" + cur})
	tab.Foot = &foot
	title := pc.t("chart_contributions")
	svg := stackedBars(title, pc.t("chart_contributions_desc"), cats, series, values,
		func(v int64) string { return formatMoney(v, cur) }, func(v int64) string { return compactMoney(v, cur, pc.d.Lang) })
	return &chart{SVG: svg, Legend: legend(series), Table: tab}, other
}

func sortedMapKeys[V any](mp map[string]V) []string {
	out := make([]string, 0, len(mp))
	for k := range mp {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ---- Members ----

type membersPage struct {
	Rows       []memberRow
	Common     []projections.Amounts
	Totals     []projections.Amounts
	Restricted bool
	Directory  []projections.MemberFact
	Chart      *chart
}

// memberRow is a member's totals in one currency (or none yet).
type memberRow struct {
	ID, Kind, Role string
	Active         bool
	A              *projections.Amounts
	Link           bool
}

func (s *Server) pageMembers(pc *pageCtx) error {
	pc.d.PeriodForm = true
	var out membersPage
	err := pc.view(func(m *projections.Model, q projections.Query) error {
		b, err := s.balances(pc.d.AllianceID, m, q)
		if err != nil {
			return err
		}
		b = restrictBalances(pc.p, b)
		out.Restricted = pc.p.Role == RoleMember
		for _, mb := range b.Members {
			if len(mb.Totals) == 0 {
				out.Rows = append(out.Rows, memberRow{ID: mb.Member, Kind: mb.Kind, Role: mb.Role, Active: mb.Active, Link: true})
			}
			for i := range mb.Totals {
				out.Rows = append(out.Rows, memberRow{ID: mb.Member, Kind: mb.Kind, Role: mb.Role, Active: mb.Active, A: &mb.Totals[i], Link: i == 0})
			}
		}
		out.Common, out.Totals = b.Common.Totals, b.Totals
		out.Directory = m.Members(q.Seq)
		if !out.Restricted {
			out.Chart = pc.netChart(m, b)
		}
		return nil
	})
	if err != nil {
		return err
	}
	pc.render("members", http.StatusOK, pc.title("nav_members"), out)
	return nil
}

// netChart draws each member's confirmed contributions in the base
// currency as horizontal bars.
func (pc *pageCtx) netChart(m *projections.Model, b *projections.Balances) *chart {
	f, _ := m.Founded()
	cur := f.BaseCurrency
	var bars []hbar
	var top int64
	for _, mb := range b.Members {
		for _, a := range mb.Totals {
			if a.Currency == cur && a.Confirmed > 0 {
				bars = append(bars, hbar{Label: mb.Member, Tip: mb.Member + " " + pc.d.MemberName(mb.Member) + ": " + formatMoney(a.Confirmed, cur),
					Value: float64(a.Confirmed), Text: compactMoney(a.Confirmed, cur, pc.d.Lang)})
				top = max(top, a.Confirmed)
			}
		}
	}
	if len(bars) == 0 {
		return nil
	}
	return &chart{SVG: hbars(pc.t("chart_member_contributions"), pc.t("chart_member_contributions_desc"), bars, float64(top))}
}

// ---- A member's statement ----

type statementPage struct {
	Member        string
	Balance       projections.MemberBalance
	Contributions []projections.ContributionFact
}

func (s *Server) pageStatement(pc *pageCtx) error {
	member := pc.r.PathValue("member")
	if err := ownOnly(pc.p, member); err != nil {
		return err
	}
	pc.d.PeriodForm = true
	var out statementPage
	err := pc.view(func(m *projections.Model, q projections.Query) error {
		b, err := s.balances(pc.d.AllianceID, m, q)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(b.Members, func(mb projections.MemberBalance) bool { return mb.Member == member })
		if i < 0 {
			return notFound("member %q has no balance in alliance %s as of %d", member, pc.d.AllianceID, q.Seq)
		}
		out.Member, out.Balance = member, b.Members[i]
		for _, cf := range m.Contributions(q.Seq, "") {
			if cf.Member == member && (q.From.IsZero() || !cf.Occurred.Before(q.From)) && (q.To.IsZero() || cf.Occurred.Before(q.To)) {
				out.Contributions = append(out.Contributions, cf)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	pc.render("statement", http.StatusOK, pc.t("statement_title")+" · "+member, out)
	return nil
}

// ---- Projects and risk shares ----

type projectsPage struct {
	Rows []projectRow
}

type projectRow struct {
	F projections.ProjectFact
	R *projections.ProjectRisk
}

func (s *Server) pageProjects(pc *pageCtx) error {
	pc.d.PeriodForm = true
	var out projectsPage
	err := pc.view(func(m *projections.Model, q projections.Query) error {
		r, err := m.Risk(q)
		if err != nil {
			return err
		}
		for _, pf := range m.Projects(q.Seq) {
			row := projectRow{F: pf}
			for i := range r.Projects {
				if r.Projects[i].Project == pf.ID {
					row.R = &r.Projects[i]
				}
			}
			out.Rows = append(out.Rows, row)
		}
		return nil
	})
	if err != nil {
		return err
	}
	pc.render("projects", http.StatusOK, pc.title("nav_projects"), out)
	return nil
}

type projectPage struct {
	F     projections.ProjectFact
	R     projections.ProjectRisk
	Chart *chart
}

func (s *Server) pageProject(pc *pageCtx) error {
	id := pc.r.PathValue("project")
	pc.d.PeriodForm = true
	var out projectPage
	err := pc.view(func(m *projections.Model, q projections.Query) error {
		i := slices.IndexFunc(m.Projects(q.Seq), func(pf projections.ProjectFact) bool { return pf.ID == id })
		if i < 0 {
			return notFound("there is no project %q as of %d", id, q.Seq)
		}
		out.F = m.Projects(q.Seq)[i]
		r, err := m.Risk(q)
		if err != nil {
			return err
		}
		j := slices.IndexFunc(r.Projects, func(pr projections.ProjectRisk) bool { return pr.Project == id })
		if j < 0 {
			return notFound("there is no project %q", id)
		}
		out.R = r.Projects[j]
		var bars []hbar
		for _, sh := range out.R.Shares {
			v, _ := sh.Share.Rat().Float64()
			bars = append(bars, hbar{Label: sh.Member, Value: v, Text: formatPercent(sh.Share),
				Tip: sh.Member + " " + pc.d.MemberName(sh.Member) + ": " + formatPercent(sh.Share) + " (" + sh.Share.String() + ")"})
		}
		if len(bars) > 0 && out.R.AtRisk.Sign() > 0 {
			out.Chart = &chart{SVG: hbars(pc.t("chart_risk"), pc.t("chart_risk_desc"), bars, 1)}
		}
		return nil
	})
	if err != nil {
		return err
	}
	pc.render("project", http.StatusOK, pc.t("project_title")+" "+id, out)
	return nil
}

// ---- Innovation outputs ----

type outputsPage struct {
	O        *projections.Outputs
	Types    []projections.OutputTotal // by type, in the ledger's order of types
	Assets   []projections.AssetHistory
	ByTime   *chart
	ByType   *chart
	Currency string
}

func (s *Server) pageOutputs(pc *pageCtx) error {
	pc.d.PeriodForm = true
	var out outputsPage
	err := pc.view(func(m *projections.Model, q projections.Query) error {
		o, err := m.Outputs(q)
		if err != nil {
			return err
		}
		out.O = o
		out.Types = slices.Clone(o.ByType)
		slices.SortStableFunc(out.Types, func(a, b projections.OutputTotal) int {
			return typeRank(a.Key) - typeRank(b.Key)
		})
		for _, a := range m.AssetHistories(q.Seq) {
			if (q.From.IsZero() || !a.FiledAt.Before(q.From)) && (q.To.IsZero() || a.FiledAt.Before(q.To)) {
				out.Assets = append(out.Assets, a)
			}
		}
		out.ByTime = pc.outputsByYear(o)
		var bars []hbar
		top := 0
		for _, t := range o.ByType {
			top = max(top, t.Count)
		}
		for _, typ := range ledger.IPTypes {
			for _, t := range o.ByType {
				if t.Key == typ {
					bars = append(bars, hbar{Label: pc.d.E("iptype", typ), Value: float64(t.Count), Text: strconv.Itoa(t.Count),
						Tip: pc.d.E("iptype", typ) + ": " + strconv.Itoa(t.Count), Color: palette[slices.Index(ledger.IPTypes, typ)%len(palette)]})
				}
			}
		}
		if len(bars) > 0 {
			out.ByType = &chart{SVG: hbars(pc.t("chart_outputs_type"), pc.t("chart_outputs_type_desc"), bars, float64(top))}
		}
		return nil
	})
	if err != nil {
		return err
	}
	pc.render("outputs", http.StatusOK, pc.title("nav_outputs"), out)
	return nil
}

// outputsByYear stacks the assets filed each year by type. An asset's
// owners' shares sum to one, so the weighted counts of the view's cells,
// summed over owners, count each asset once.
func (pc *pageCtx) outputsByYear(o *projections.Outputs) *chart {
	type key struct{ year, typ string }
	sums := map[key]*ratSum{}
	years := map[string]bool{}
	for _, c := range o.Cells {
		k := key{c.Period, c.Type}
		if sums[k] == nil {
			sums[k] = &ratSum{}
		}
		sums[k].add(c.Weighted)
		years[c.Period] = true
	}
	if len(years) == 0 {
		return nil
	}
	cats := sortedMapKeys(years)
	var series []chartSeries
	var used []string
	for i, typ := range ledger.IPTypes {
		for _, y := range cats {
			if sums[key{y, typ}] != nil {
				series = append(series, chartSeries{Label: pc.d.E("iptype", typ), Color: palette[i%len(palette)]})
				used = append(used, typ)
				break
			}
		}
	}
	values := make([][]int64, len(cats))
	tab := &figureTable{Caption: pc.t("chart_data"), Head: []string{pc.t("year_col")}}
	for _, typ := range used {
		tab.Head = append(tab.Head, pc.d.E("iptype", typ))
	}
	tab.Head = append(tab.Head, pc.t("total"))
	for i, y := range cats {
		row := figureRow{Label: y}
		var sum int64
		for _, typ := range used {
			var v int64
			if s := sums[key{y, typ}]; s != nil {
				v = s.count()
			}
			values[i] = append(values[i], v)
			sum += v
			row.Cells = append(row.Cells, figureCell{Text: strconv.FormatInt(v, 10)})
		}
		row.Cells = append(row.Cells, figureCell{Text: strconv.FormatInt(sum, 10), Figure: "outputs-year-" + y})
		tab.Rows = append(tab.Rows, row)
	}
	count := func(v int64) string { return strconv.FormatInt(v, 10) }
	svg := stackedBars(pc.t("chart_outputs_year"), pc.t("chart_outputs_year_desc"), cats, series, values, count, count)
	return &chart{SVG: svg, Legend: legend(series), Table: tab}
}

// ---- Payouts ----

type payoutsPage struct {
	Pools    []poolView
	Disputes []projections.DisputeFact
}

type poolView struct {
	P       *projections.PoolFact
	InForce map[uint64]map[string]int64 // by committed payout
}

func (s *Server) pagePayouts(pc *pageCtx) error {
	var out payoutsPage
	err := pc.view(func(m *projections.Model, q projections.Query) error {
		for _, id := range m.PoolIDs(q.Seq) {
			pf, err := m.Pool(id, q.Seq)
			if err != nil {
				return err
			}
			pv := poolView{P: pf, InForce: map[uint64]map[string]int64{}}
			for _, p := range pf.Payouts {
				if p.Adjusts == 0 {
					if pv.InForce[p.Seq], err = payout.InForce(m, p.Seq, q.Seq); err != nil {
						return err
					}
				}
			}
			out.Pools = append(out.Pools, pv)
		}
		out.Disputes = m.Disputes(q.Seq)
		return nil
	})
	if err != nil {
		return err
	}
	pc.render("payouts", http.StatusOK, pc.title("nav_payouts"), out)
	return nil
}

type payoutPage struct {
	Seq      uint64
	Pool     *projections.PoolFact
	P        *projections.PayoutFact
	Check    *payout.Check
	InForce  map[string]int64
	Currency string
	Chart    *chart
}

// Committed is a member's committed amount.
func (p *payoutPage) Committed(member string) int64 {
	for _, a := range p.P.Amounts {
		if a.Member == member {
			return a.Amount.Amount
		}
	}
	return 0
}

func (s *Server) pagePayout(pc *pageCtx) error {
	seq, err := strconv.ParseUint(pc.r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		return badRequest("seq", "%q is not a log position", pc.r.PathValue("seq"))
	}
	out := payoutPage{Seq: seq}
	err = pc.view(func(m *projections.Model, q projections.Query) error {
		if out.Pool, out.P, err = m.Payout(seq, q.Seq); err != nil {
			return err
		}
		out.Currency = out.Pool.Amount.Currency
		if out.P.Adjusts != 0 {
			return nil // an adjustment: its deltas, and a link to the payout
		}
		if out.Check, err = payout.Recompute(m, seq); err != nil {
			return err
		}
		if out.InForce, err = payout.InForce(m, seq, q.Seq); err != nil {
			return err
		}
		var bars []hbar
		var top int64
		for _, mr := range out.Check.Recomputed.Members {
			top = max(top, out.InForce[mr.Member])
		}
		for _, mr := range out.Check.Recomputed.Members {
			v := out.InForce[mr.Member]
			bars = append(bars, hbar{Label: mr.Member, Value: float64(v), Text: compactMoney(v, out.Currency, pc.d.Lang),
				Tip: mr.Member + " " + pc.d.MemberName(mr.Member) + ": " + formatMoney(v, out.Currency)})
		}
		if top > 0 {
			out.Chart = &chart{SVG: hbars(pc.t("chart_payout"), pc.t("chart_payout_desc"), bars, float64(top))}
		}
		return nil
	})
	if err != nil {
		return err
	}
	pc.render("payout", http.StatusOK, pc.t("payout_title")+" "+strconv.FormatUint(seq, 10), &out)
	return nil
}

// ---- Audit ----

type auditPage struct {
	Latest       *CheckpointView
	Checkpoints  []CheckpointView
	Cosignatures []audit.CosignatureRecord
	VerifierKey  string
	Behind       uint64 // events after the latest checkpoint
}

func (s *Server) pageAudit(pc *pageCtx) error {
	var out auditPage
	if err := pc.view(func(*projections.Model, projections.Query) error { return nil }); err != nil {
		return err
	}
	cps, err := audit.ReadCheckpoints(pc.r.Context(), s.cfg.Store.Audit(), pc.d.AllianceID)
	if err != nil {
		return err
	}
	for i := len(cps) - 1; i >= 0; i-- {
		out.Checkpoints = append(out.Checkpoints, checkpointView(cps[i]))
	}
	if len(out.Checkpoints) > 0 {
		out.Latest = &out.Checkpoints[0]
		if n := uint64(out.Latest.Size); pc.d.LastSeq > n {
			out.Behind = pc.d.LastSeq - n
		}
	}
	if out.Cosignatures, err = audit.ReadCosignatures(pc.r.Context(), s.cfg.Store.Audit(), pc.d.AllianceID); err != nil {
		return err
	}
	out.VerifierKey = s.cfg.VerifierKey
	pc.render("audit", http.StatusOK, pc.title("nav_audit"), out)
	return nil
}

// ---- Evaluation ----

type evaluationPage struct {
	Period string
	R      *evaluation.Report
	Radar  *chart
	Error  string
}

func (s *Server) pageEvaluation(pc *pageCtx) error {
	period := pc.r.URL.Query().Get("period")
	member := pc.r.URL.Query().Get("member")
	if member != "" {
		if err := ownOnly(pc.p, member); err != nil {
			return err
		}
	}
	pc.d.PeriodForm = true
	out := evaluationPage{Period: period}
	status := http.StatusOK
	err := pc.view(func(m *projections.Model, q projections.Query) error {
		if out.Period == "" && q.From.IsZero() && q.To.IsZero() {
			// The last whole year before now, in the alliance's zone.
			out.Period = strconv.Itoa(time.Now().In(m.Location()).Year() - 1)
			var err error
			if q.From, q.To, err = projections.ParsePeriod(out.Period, m.Location()); err != nil {
				return err
			}
		}
		if q.From.IsZero() || q.To.IsZero() {
			return badRequest("period", "name the period evaluated: period=2025 (a year, 2025-Q3, 2025-07) or from and to")
		}
		label := out.Period
		if label == "" {
			label = q.From.Format("2006-01-02") + "/" + q.To.Format("2006-01-02")
		}
		r, err := evaluation.Evaluate(m, evaluation.Options{Scheme: pc.r.URL.Query().Get("scheme"), From: q.From, To: q.To,
			Label: label, AsOf: q.Seq, Member: member})
		if err != nil {
			// Shown on the page, with the form to choose another period.
			p := problemFor(err)
			status, out.Error = p.Status, p.Detail
			return nil
		}
		out.R = r
		var axes []radarAxis
		for _, d := range r.Dimensions {
			v, _ := d.Score.Rat().Float64()
			name := d.ZH
			if pc.d.Lang == "en" {
				name = d.EN
			}
			axes = append(axes, radarAxis{Label: name, Score: v, Text: d.ScoreText})
		}
		if len(axes) >= 3 {
			out.Radar = &chart{SVG: radar(pc.t("chart_radar"), pc.t("chart_radar_desc"), axes)}
		}
		return nil
	})
	var p *Problem
	if errors.As(err, &p) && p.Status == http.StatusBadRequest && p.Field == "period" {
		status, out.Error, err = p.Status, p.Detail, nil
	}
	if err != nil {
		return err
	}
	if out.Period != "" {
		pc.d.Period = out.Period
	}
	pc.render("evaluation", status, pc.title("nav_evaluation"), out)
	return nil
}

// ratSum sums exact ratios.
type ratSum struct{ r big.Rat }

func (s *ratSum) add(x ledger.Ratio) { s.r.Add(&s.r, x.Rat()) }

// count is the sum as a whole number (rounded to the nearest; the sums
// made here are whole).
func (s *ratSum) count() int64 {
	x := new(big.Rat).Add(&s.r, big.NewRat(1, 2))
	return new(big.Int).Div(x.Num(), x.Denom()).Int64()
}

// typeRank orders IP types as the ledger lists them, unknown ones last.
func typeRank(t string) int {
	if i := slices.Index(ledger.IPTypes, t); i >= 0 {
		return i
	}
	return len(ledger.IPTypes)
}
