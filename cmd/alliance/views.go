package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/projections"
)

// viewFlags are the flags of balances, risk and outputs: which alliance,
// as of what, for which business period.
type viewFlags struct {
	store    storeFlags
	alliance string
	asOfSeq  uint64
	asOfTime string
	from, to string
	period   string
	asJSON   bool
}

func (f *viewFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	f.store.register(fs, getenv)
	fs.StringVar(&f.alliance, "alliance", getenv("ALLIANCE_ID"), "alliance id (default $ALLIANCE_ID)")
	fs.Uint64Var(&f.asOfSeq, "as-of-seq", 0, "show the view as of this log position (default: the latest)")
	fs.StringVar(&f.asOfTime, "as-of-time", "", "show the view as of this recorded time: RFC 3339, or a date meaning the end of that day in the alliance's time zone")
	fs.StringVar(&f.from, "from", "", "count only what occurred on or after this business date/time (YYYY-MM-DD or RFC 3339)")
	fs.StringVar(&f.to, "to", "", "count only what occurred up to this business date (inclusive) or before this RFC 3339 time")
	fs.StringVar(&f.period, "period", "", "business period shorthand: 2025, 2025-Q3 or 2025-07 (instead of --from/--to)")
	fs.BoolVar(&f.asJSON, "json", false, "print the view as JSON")
}

// openedView is a model caught up for a query.
type openedView struct {
	lc     *ledgerConn
	runner *projections.Runner
	query  projections.Query
	env    *env
	flags  *viewFlags
}

// open folds the alliance's log for the flags' query: from the nearest
// snapshot at or before the position asked (any, without one), replaying
// what follows up to it, and resolves the query.
func (f *viewFlags) open(ctx context.Context, e *env) (*openedView, error) {
	if f.alliance == "" {
		return nil, errors.New("name the alliance with --alliance or $ALLIANCE_ID")
	}
	if f.asOfSeq != 0 && f.asOfTime != "" {
		return nil, errors.New("give --as-of-seq or --as-of-time, not both")
	}
	if f.period != "" && (f.from != "" || f.to != "") {
		return nil, errors.New("give --period or --from/--to, not both")
	}
	lc, err := f.store.open(ctx, e)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			lc.Close()
		}
	}()
	last, err := lc.store.Last(ctx, f.alliance)
	if errors.Is(err, ledger.ErrNotFound) || (err == nil && last == 0) {
		return nil, fmt.Errorf("alliance %q has no log in %s", f.alliance, f.store.where())
	}
	if err != nil {
		return nil, err
	}
	if f.asOfSeq > last {
		return nil, fmt.Errorf("--as-of-seq %d is beyond the log's last position %d", f.asOfSeq, last)
	}
	target := last
	if f.asOfSeq != 0 {
		target = f.asOfSeq
	}
	bar := newProgress(e.stderr, "reading "+f.alliance, int(target))
	r := lc.runner(f.alliance, projections.RunnerOptions{Snapshots: lc.store.Snapshots(), Progress: func(seq uint64) { bar.Set(int(seq)) }})
	if _, err := r.Restore(ctx, f.asOfSeq); err != nil {
		return nil, err
	}
	err = r.CatchUp(ctx, f.asOfSeq)
	bar.Done()
	if err != nil {
		return nil, err
	}
	// Save what a long replay built, so the next read starts from it.
	if r.Last()-r.Restored() >= 10_000 {
		if err := r.Snapshot(ctx); err != nil {
			lc.logger.Warn("snapshot not saved", "err", err)
		}
	}
	q := projections.Query{Seq: f.asOfSeq}
	err = r.View(func(m *projections.Model) error {
		loc := m.Location()
		if f.asOfTime != "" {
			t, err := projections.ParseDateTime(f.asOfTime, loc, true)
			if err != nil {
				return fmt.Errorf("--as-of-time: %w", err)
			}
			q.Seq = m.SeqAtTime(t)
			if q.Seq == 0 {
				return fmt.Errorf("--as-of-time %s is before the alliance's first event", f.asOfTime)
			}
		}
		if f.period != "" {
			var err error
			if q.From, q.To, err = projections.ParsePeriod(f.period, loc); err != nil {
				return fmt.Errorf("--period: %w", err)
			}
		}
		if f.from != "" {
			t, err := projections.ParseDateTime(f.from, loc, false)
			if err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			q.From = t
		}
		if f.to != "" {
			t, err := projections.ParseDateTime(f.to, loc, true)
			if err != nil {
				return fmt.Errorf("--to: %w", err)
			}
			q.To = t
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ok = true
	return &openedView{lc: lc, runner: r, query: q, env: e, flags: f}, nil
}

func (v *openedView) Close() { v.lc.Close() }

// readView runs a view command: it parses the view flags and the
// command's own (more registers them), folds the log for the query and
// computes the view. It reports whether --json was asked.
func readView[V any](ctx context.Context, e *env, name, about string, args []string, more func(*flag.FlagSet),
	compute func(*projections.Model, projections.Query) (V, error)) (V, bool, error) {
	var zero V
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var vf viewFlags
	vf.register(fs, e.getenv)
	if more != nil {
		more(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: alliance %s [flags]\n\n%s\n\nFlags:\n", name, about)
		fs.PrintDefaults()
	}
	if _, err := parseInterleaved(fs, args); err != nil {
		return zero, false, err
	}
	v, err := vf.open(ctx, e)
	if err != nil {
		return zero, false, err
	}
	defer v.Close()
	var view V
	err = v.runner.View(func(m *projections.Model) (err error) { view, err = compute(m, v.query); return })
	return view, vf.asJSON, err
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// describeCut is the heading line of a view.
func describeCut(c projections.Cut) string {
	s := fmt.Sprintf("alliance %s, as of position %d", c.Alliance, c.AsOfSeq)
	if c.From != nil || c.To != nil {
		from, to := "…", "…"
		if c.From != nil {
			from = c.From.Format("2006-01-02 15:04")
		}
		if c.To != nil {
			to = c.To.Format("2006-01-02 15:04")
		}
		s += fmt.Sprintf(", occurred from %s to before %s", from, to)
	}
	return s
}

// amount formats minor units with thousands separators, no currency.
func amount(minor int64, currency string) string {
	exp, _ := ledger.CurrencyExponent(currency)
	neg := minor < 0
	if neg {
		minor = -minor
	}
	digits := strconv.FormatInt(minor, 10)
	for len(digits) <= exp {
		digits = "0" + digits
	}
	intPart, frac := digits[:len(digits)-exp], digits[len(digits)-exp:]
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if exp > 0 {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// ratioAmount formats an exact amount of minor units, rounded to the minor unit.
func ratioAmount(r ledger.Ratio, currency string) string {
	x := r.Rat()
	n := new(big.Int).Quo(new(big.Int).Add(new(big.Int).Mul(x.Num(), big.NewInt(2)), x.Denom()), new(big.Int).Mul(x.Denom(), big.NewInt(2)))
	return amount(n.Int64(), currency)
}

// percent formats an exact share as a percentage with two decimals.
func percent(r ledger.Ratio) string {
	f, _ := new(big.Rat).Mul(r.Rat(), big.NewRat(100, 1)).Float64()
	return strconv.FormatFloat(f, 'f', 2, 64) + "%"
}

func runBalances(ctx context.Context, e *env, args []string) error {
	var member *string
	b, asJSON, err := readView(ctx, e, "balances",
		"Member balances: contributions by status, funding, payouts, costs and losses borne, net position.", args,
		func(fs *flag.FlagSet) {
			member = fs.String("member", "", "show this member's statement, by project and kind")
		},
		(*projections.Model).Balances)
	if err != nil {
		return err
	}
	if *member != "" {
		var found *projections.MemberBalance
		for i := range b.Members {
			if b.Members[i].Member == *member {
				found = &b.Members[i]
			}
		}
		if found == nil {
			return fmt.Errorf("member %q is not a member of alliance %s at position %d", *member, b.Alliance, b.AsOfSeq)
		}
		if asJSON {
			return printJSON(e.stdout, struct {
				projections.Cut
				projections.MemberBalance
			}{b.Cut, *found})
		}
		return printStatement(e.stdout, b.Cut, found)
	}
	if asJSON {
		return printJSON(e.stdout, b)
	}
	fmt.Fprintf(e.stdout, "Member balances: %s\n\n", describeCut(b.Cut))
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "MEMBER\tNAME\tCUR\tCONFIRMED\tUNCONFIRMED\tCONTESTED\tFUNDING\tCOSTS BORNE\tPAYOUTS\tLOSSES BORNE\tNET\t")
	row := func(id, name string, a projections.Amounts) {
		c := a.Currency
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", id, name, c, amount(a.Confirmed, c), amount(a.Unconfirmed, c),
			amount(a.Contested, c), amount(a.FundingReceived, c), amount(a.CostsBorne, c), amount(a.PayoutsReceived, c), amount(a.LossesBorne, c), amount(a.Net, c))
	}
	for _, mb := range b.Members {
		name := mb.Name
		if !mb.Active {
			name += " (left)"
		}
		if len(mb.Totals) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t\t\t\t\t\t\t\t\t\t\n", mb.Member, name)
		}
		for _, a := range mb.Totals {
			row(mb.Member, name, a)
		}
	}
	for _, a := range b.Common.Totals {
		row("(common)", "the alliance's own funds", a)
	}
	for _, a := range b.Totals {
		row("TOTAL", "", a)
	}
	return tw.Flush()
}

func printStatement(w io.Writer, cut projections.Cut, mb *projections.MemberBalance) error {
	fmt.Fprintf(w, "Statement of %s %s (%s, %s): %s\n\n", mb.Member, mb.Name, mb.Kind, mb.Role, describeCut(cut))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PROJECT\tCUR\tKIND\tCONFIRMED\tUNCONFIRMED\tCONTESTED\tFUNDING\tCOSTS BORNE\tPAYOUTS\tLOSSES BORNE\tNET\t")
	line := func(project string, a projections.Amounts) {
		c := a.Currency
		for _, k := range a.ByKind {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\t\t\t\t\t\n", project, c, k.Kind, amount(k.Confirmed, c), amount(k.Unconfirmed, c), amount(k.Contested, c))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", project, c, "all", amount(a.Confirmed, c), amount(a.Unconfirmed, c),
			amount(a.Contested, c), amount(a.FundingReceived, c), amount(a.CostsBorne, c), amount(a.PayoutsReceived, c), amount(a.LossesBorne, c), amount(a.Net, c))
	}
	for _, p := range mb.Projects {
		name := p.Project
		if name == "" {
			name = "(alliance)"
		}
		for _, a := range p.Amounts {
			line(name, a)
		}
	}
	for _, a := range mb.Totals {
		line("TOTAL", a)
	}
	return tw.Flush()
}

func runRisk(ctx context.Context, e *env, args []string) error {
	var project *string
	r, asJSON, err := readView(ctx, e, "risk",
		"Risk shares per project under the agreement's risk rule, and realized losses split by them.", args,
		func(fs *flag.FlagSet) { project = fs.String("project", "", "only this project") },
		(*projections.Model).Risk)
	if err != nil {
		return err
	}
	if *project != "" {
		var keep []projections.ProjectRisk
		for _, p := range r.Projects {
			if p.Project == *project {
				keep = append(keep, p)
			}
		}
		if keep == nil {
			return fmt.Errorf("project %q is not opened in alliance %s at position %d", *project, r.Alliance, r.AsOfSeq)
		}
		r.Projects = keep
	}
	if asJSON {
		return printJSON(e.stdout, r)
	}
	fmt.Fprintf(e.stdout, "Risk shares: %s\n", describeCut(r.Cut))
	for _, p := range r.Projects {
		state := "open"
		if p.Closed {
			state = fmt.Sprintf("closed at position %d", p.ClosedAt)
		}
		atRisk := fmt.Sprintf("at risk %s %s", ratioAmount(p.AtRisk, p.Currency), p.Currency)
		if p.Rule == "equal" {
			atRisk = fmt.Sprintf("equal shares among %s participants", p.AtRisk)
		}
		fmt.Fprintf(e.stdout, "\n%s %s (%s): rule %q of agreement v%d; %s; realized losses %s %s\n",
			p.Project, p.Name, state, p.Rule, p.AgreementVersion, atRisk, amount(p.Loss, p.Currency), p.Currency)
		if p.Note != "" {
			fmt.Fprintf(e.stdout, "  %s\n", p.Note)
			continue
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "  MEMBER\tBASIS\tSHARE\t%\tLOSS BORNE\t")
		for _, s := range p.Shares {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t\n", s.Member, ratioAmount(s.Basis, p.Currency), s.Share, percent(s.Share), amount(s.LossBorne, p.Currency))
		}
		tw.Flush()
	}
	return nil
}

func runOutputs(ctx context.Context, e *env, args []string) error {
	o, asJSON, err := readView(ctx, e, "outputs",
		"Innovation outputs (IP filings, standards, papers, new products) by member, project, type, status\nand year, counted and weighted by ownership share; licence revenue per asset.", args,
		nil, (*projections.Model).Outputs)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.stdout, o)
	}
	fmt.Fprintf(e.stdout, "Innovation outputs: %s\n%d assets filed\n", describeCut(o.Cut), o.Assets)
	for _, g := range []struct {
		title string
		rows  []projections.OutputTotal
	}{{"BY TYPE", o.ByType}, {"BY STATUS", o.ByStatus}, {"BY YEAR FILED", o.ByPeriod}, {"BY PROJECT", o.ByProject}, {"BY MEMBER (weighted by ownership share)", o.ByMember}} {
		fmt.Fprintf(e.stdout, "\n%s\n", g.title)
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		for _, r := range g.rows {
			key := r.Key
			if key == "" {
				key = "(no project)"
			}
			fmt.Fprintf(tw, "  %s\t%d\t%s\t\n", key, r.Count, r.Weighted)
		}
		tw.Flush()
	}
	if len(o.Revenue) > 0 {
		fmt.Fprintf(e.stdout, "\nLICENCE REVENUE\n")
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		for _, r := range o.Revenue {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s %s\t%d entries\t\n", r.Asset, r.Type, r.Title, amount(r.Amount, r.Currency), r.Currency, r.Entries)
		}
		tw.Flush()
	}
	return nil
}

func runReplay(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var sf storeFlags
	sf.register(fs, e.getenv)
	alliance := fs.String("alliance", e.getenv("ALLIANCE_ID"), "alliance id (default $ALLIANCE_ID; empty: every alliance)")
	noSnapshot := fs.Bool("no-snapshot", false, "do not save a snapshot of the rebuilt projections")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: alliance replay [flags]\n\nRebuilds every projection from the first event (ignoring snapshots), reports what was folded and\nquarantined, and saves a fresh snapshot.\n\nFlags:")
		fs.PrintDefaults()
	}
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	lc, err := sf.open(ctx, e)
	if err != nil {
		return err
	}
	defer lc.Close()
	ids, err := lc.alliances(ctx, *alliance)
	if err != nil {
		return err
	}
	type summary struct {
		Alliance    string                 `json:"alliance"`
		Events      uint64                 `json:"events"`
		Folded      uint64                 `json:"folded"`
		Seconds     float64                `json:"seconds"`
		EPS         float64                `json:"events_per_second"`
		Members     int                    `json:"members"`
		Projects    int                    `json:"projects"`
		Assets      int                    `json:"assets"`
		Types       map[string]uint64      `json:"types"`
		Quarantine  projections.Quarantine `json:"quarantine"`
		SnapshotSeq uint64                 `json:"snapshot_seq,omitempty"`
	}
	var out []summary
	for _, id := range ids {
		last, err := lc.store.Last(ctx, id)
		if err != nil {
			return fmt.Errorf("alliance %s: %w", id, err)
		}
		bar := newProgress(e.stderr, "replaying "+id, int(last))
		opts := projections.RunnerOptions{Progress: func(seq uint64) { bar.Set(int(seq)) }}
		if !*noSnapshot {
			opts.Snapshots = lc.store.Snapshots()
			opts.SnapshotEvery = ^uint64(0) // one snapshot, at the end
		}
		r := lc.runner(id, opts)
		start := time.Now()
		err = r.CatchUp(ctx, 0)
		bar.Done()
		if err != nil {
			return fmt.Errorf("alliance %s: replay: %w", id, err)
		}
		secs := time.Since(start).Seconds()
		s := summary{Alliance: id, Events: last, Seconds: secs, Quarantine: r.Quarantined()}
		r.View(func(m *projections.Model) error {
			s.Folded = m.Last() - uint64(len(s.Quarantine.Events))
			s.Types = m.TypeCounts()
			b, err := m.Balances(projections.Query{})
			if err == nil {
				s.Members = len(b.Members)
			}
			if o, err := m.Outputs(projections.Query{}); err == nil {
				s.Assets = o.Assets
			}
			if rk, err := m.Risk(projections.Query{}); err == nil {
				s.Projects = len(rk.Projects)
			}
			return nil
		})
		if secs > 0 {
			s.EPS = float64(s.Folded) / secs
		}
		if !*noSnapshot {
			if err := r.Snapshot(ctx); err != nil {
				return err
			}
			s.SnapshotSeq = r.Last()
		}
		out = append(out, s)
	}
	if *asJSON {
		return printJSON(e.stdout, out)
	}
	for _, s := range out {
		fmt.Fprintf(e.stdout, "alliance %s: rebuilt from position 1 to %d in %.2fs (%.0f events/s)\n", s.Alliance, s.Events, s.Seconds, s.EPS)
		fmt.Fprintf(e.stdout, "  folded %d events: %d members, %d projects, %d IP assets\n", s.Folded, s.Members, s.Projects, s.Assets)
		fmt.Fprintf(e.stdout, "  quarantined: %d events, %d stream messages\n", len(s.Quarantine.Events), len(s.Quarantine.Messages))
		for _, q := range s.Quarantine.Events {
			fmt.Fprintf(e.stdout, "    position %d %s: %s\n", q.Seq, q.Type, q.Reason)
		}
		for _, q := range s.Quarantine.Messages {
			fmt.Fprintf(e.stdout, "    stream message %d: %s\n", q.StreamSeq, q.Reason)
		}
		if s.SnapshotSeq != 0 {
			fmt.Fprintf(e.stdout, "  snapshot saved at position %d\n", s.SnapshotSeq)
		}
	}
	return nil
}
