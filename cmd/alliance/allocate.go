package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/projections"
	"github.com/alliance-ledger/alliance/projections/payout"
)

// writeFlags are what a command that appends needs besides the view:
// who appends and the idempotency key.
type writeFlags struct {
	actor string
	key   string
}

func (f *writeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.actor, "actor", "", "principal recorded as the appender (default cli:<user>)")
	fs.StringVar(&f.key, "key", "", "idempotency key (default: derived from what is appended, so a retry appends nothing twice)")
}

func (f *writeFlags) principal() string {
	if f.actor != "" {
		return f.actor
	}
	if u, err := user.Current(); err == nil {
		return "cli:" + u.Username
	}
	return "cli"
}

// appendTo appends one request of payloads to the opened ledger.
func (v *openedView) appendTo(ctx context.Context, alliance string, wf writeFlags, defaultKey string, payloads ...ledger.Payload) (ledger.Receipt, error) {
	key := wf.key
	if key == "" {
		key = defaultKey
	}
	r := ledger.Request{Alliance: alliance, Actor: wf.principal(), IdempotencyKey: key}
	for _, p := range payloads {
		r.Commands = append(r.Commands, ledger.NewCommand(time.Now(), p))
	}
	w := ledger.NewWriter(v.lc.store, ledger.WriterOptions{Logger: v.lc.logger})
	defer w.Close()
	rc, err := w.Append(ctx, r)
	if err == nil && v.env != nil {
		checkpointIfDue(ctx, v.env, v.lc, v.flags.store, keyFlags{path: v.env.getenv("ALLIANCE_KEY")}, alliance)
	}
	return rc, err
}

// openFor parses a command's flags (view flags plus more) and opens the
// log as of the query. It returns the positional arguments.
func openFor(ctx context.Context, e *env, name, usage, about string, args []string, more func(*flag.FlagSet)) (*openedView, *viewFlags, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	vf := &viewFlags{}
	vf.register(fs, e.getenv)
	if more != nil {
		more(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: alliance %s\n\n%s\n\nFlags:\n", usage, about)
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return nil, nil, nil, err
	}
	if vf.period != "" || vf.from != "" || vf.to != "" {
		return nil, nil, nil, fmt.Errorf("%s works as of a position; --period, --from and --to do not apply", name)
	}
	v, err := vf.open(ctx, e)
	if err != nil {
		return nil, nil, nil, err
	}
	return v, vf, pos, nil
}

func runAllocate(ctx context.Context, e *env, args []string) error {
	var (
		pool, method string
		seed         uint64
		samples      int
		commit       bool
		wf           writeFlags
	)
	v, vf, _, err := openFor(ctx, e, "allocate", "allocate --pool ID [--method M] [--as-of-seq N] [--commit] [flags]",
		"Computes how a declared benefit pool is shared, as of a position (default: the latest), and explains\n"+
			"each member's amount. Nothing is appended unless --commit is given; then the allocation is recorded\n"+
			"as a payout.committed with every input and the position it was computed at.",
		args, func(fs *flag.FlagSet) {
			fs.StringVar(&pool, "pool", "", "the pool to share (required)")
			fs.StringVar(&method, "method", "", "distribution method: one the agreement allows (default: the agreement's own)")
			fs.Uint64Var(&seed, "seed", 0, "sampling seed beyond 20 players (default: derived from the pool and its assessment)")
			fs.IntVar(&samples, "samples", 0, "sampled orders beyond 20 players (default 10000)")
			fs.BoolVar(&commit, "commit", false, "record the allocation as a payout")
			wf.register(fs)
		})
	if err != nil {
		return err
	}
	defer v.Close()
	if pool == "" {
		var pools []string
		_ = v.runner.View(func(m *projections.Model) error {
			for _, id := range m.PoolIDs(0) {
				pf, _ := m.Pool(id, 0)
				state := "not paid out"
				for _, p := range pf.Payouts {
					if p.Adjusts == 0 && p.Reversed == 0 {
						state = fmt.Sprintf("paid out at %d", p.Seq)
					}
				}
				pools = append(pools, fmt.Sprintf("%s (%s, %s)", id, pf.Amount, state))
			}
			return nil
		})
		if len(pools) == 0 {
			return errors.New("name the pool with --pool; the alliance has declared none (record a pool.declared first)")
		}
		return fmt.Errorf("name the pool with --pool; declared: %s", strings.Join(pools, "; "))
	}
	var (
		a    *payout.Allocation
		paid *projections.PayoutFact // the payout in force, if the pool is paid out
	)
	// The allocation is as of the position asked; whether the pool is paid
	// out is a question for the end of the log.
	if err := v.runner.CatchUp(ctx, 0); err != nil {
		return err
	}
	err = v.runner.View(func(m *projections.Model) (err error) {
		if a, err = payout.Compute(m, payout.Request{Pool: pool, Method: method, AsOf: v.query.Seq, Seed: seed, Samples: samples}); err != nil {
			return err
		}
		pf, err := m.Pool(pool, 0)
		if err != nil {
			return err
		}
		for i, p := range pf.Payouts {
			if p.Adjusts == 0 && p.Reversed == 0 {
				paid = &pf.Payouts[i]
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var rc *ledger.Receipt
	if commit && paid != nil {
		// A retry of the same commit finds it; anything else is refused.
		same := paid.Method == a.Method && paid.ComputedAt == a.ComputedAt && len(paid.Amounts) == len(a.Members)
		for i, al := range paid.Amounts {
			same = same && al.Member == a.Members[i].Member && al.Amount.Amount == a.Members[i].Amount
		}
		if !same {
			return fmt.Errorf("pool %q is already paid out at position %d (%s as of %d); reverse that payout first to commit another", pool, paid.Seq, paid.Method, paid.ComputedAt)
		}
		rc = &ledger.Receipt{Alliance: vf.alliance, First: paid.Seq, Last: paid.Seq, Duplicate: true}
	} else if commit {
		p, err := a.Payload()
		if err != nil {
			return err
		}
		r, err := v.appendTo(ctx, vf.alliance, wf, fmt.Sprintf("payout/%s/%s/%d", a.Pool, a.Method, a.ComputedAt), p)
		if err != nil {
			return fmt.Errorf("commit the payout: %w", err)
		}
		rc = &r
	}
	if vf.asJSON {
		return printJSON(e.stdout, struct {
			*payout.Allocation
			Committed *ledger.Receipt `json:"committed,omitempty"`
		}{a, rc})
	}
	if err := a.WriteText(e.stdout); err != nil {
		return err
	}
	switch {
	case rc == nil:
		fmt.Fprintf(e.stdout, "\nPreview only: nothing was appended. Add --commit to record this payout.\n")
	case rc.Duplicate:
		fmt.Fprintf(e.stdout, "\nAlready committed at position %d.\n", rc.First)
	default:
		fmt.Fprintf(e.stdout, "\nCommitted as payout.committed at position %d.\n", rc.First)
	}
	return nil
}

func parsePosition(what, s string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%s %q is not a log position (a positive integer)", what, s)
	}
	return n, nil
}

func runExplain(ctx context.Context, e *env, args []string) error {
	v, vf, pos, err := openFor(ctx, e, "explain", "explain [flags] PAYOUT-POSITION",
		"Recomputes a committed payout from the log as of the position it records, checks that the amounts\n"+
			"are the ones committed, and explains each member's amount. Adjustments in force are listed.", args, nil)
	if err != nil {
		return err
	}
	defer v.Close()
	if len(pos) != 1 {
		return errors.New("give the position of the payout.committed to explain")
	}
	seq, err := parsePosition("payout", pos[0])
	if err != nil {
		return err
	}
	var (
		ck      *payout.Check
		inForce map[string]int64
		pf      *projections.PoolFact
	)
	err = v.runner.View(func(m *projections.Model) (err error) {
		if ck, err = payout.Recompute(m, seq); err != nil {
			return err
		}
		if pf, _, err = m.Payout(seq, v.query.Seq); err != nil {
			return err
		}
		inForce, err = payout.InForce(m, seq, v.query.Seq)
		return err
	})
	if err != nil {
		return err
	}
	var adjustments []projections.PayoutFact
	for _, p := range pf.Payouts {
		if p.Adjusts == seq {
			adjustments = append(adjustments, p)
		}
	}
	if vf.asJSON {
		return printJSON(e.stdout, struct {
			*payout.Check
			Adjustments []projections.PayoutFact `json:"adjustments"`
			InForce     map[string]int64         `json:"in_force"`
		}{ck, adjustments, inForce})
	}
	if ck.Match {
		fmt.Fprintf(e.stdout, "Payout at position %d: recomputed from the log as of position %d, the amounts are the ones committed.\n", seq, ck.ComputedAt)
	} else {
		fmt.Fprintf(e.stdout, "Payout at position %d: recomputed as of position %d, %d members' amounts DIFFER from the committed ones:\n", seq, ck.ComputedAt, len(ck.Differences))
		for _, d := range ck.Differences {
			fmt.Fprintf(e.stdout, "  %s: committed %s, recomputed %s\n", d.Member, amount(d.Committed, pf.Amount.Currency), amount(d.Recomputed, pf.Amount.Currency))
		}
	}
	if !ck.InputsMatch {
		fmt.Fprintln(e.stdout, "Its recorded inputs are not in the form this version records; the amounts above are what counts.")
	}
	fmt.Fprintln(e.stdout)
	if err := ck.Recomputed.WriteText(e.stdout); err != nil {
		return err
	}
	for _, a := range adjustments {
		state := ""
		if a.Reversed != 0 {
			state = fmt.Sprintf(" (reversed at %d)", a.Reversed)
		}
		fmt.Fprintf(e.stdout, "\nAdjusted at position %d%s", a.Seq, state)
		if a.Dispute != 0 {
			fmt.Fprintf(e.stdout, " for the dispute at %d", a.Dispute)
		}
		fmt.Fprintf(e.stdout, ": %s\n", a.Reason)
		for _, al := range a.Amounts {
			sign := "+"
			if al.Amount.Amount < 0 {
				sign = ""
			}
			fmt.Fprintf(e.stdout, "  %s %s%s\n", al.Member, sign, amount(al.Amount.Amount, al.Amount.Currency))
		}
	}
	if len(adjustments) > 0 {
		fmt.Fprintln(e.stdout, "\nIn force now:")
		for _, mr := range ck.Recomputed.Members {
			fmt.Fprintf(e.stdout, "  %s %s\n", mr.Member, amount(inForce[mr.Member], pf.Amount.Currency))
		}
	}
	return nil
}

func runDispute(ctx context.Context, e *env, args []string) error {
	if len(args) < 1 {
		fmt.Fprintln(e.stderr, "Usage: alliance dispute raise|show|resolve|list [flags]")
		return errors.New("name a dispute subcommand: raise, show, resolve or list")
	}
	switch args[0] {
	case "raise":
		return runDisputeRaise(ctx, e, args[1:])
	case "show":
		return runDisputeShow(ctx, e, args[1:])
	case "resolve":
		return runDisputeResolve(ctx, e, args[1:])
	case "list":
		return runDisputeList(ctx, e, args[1:])
	}
	return fmt.Errorf("unknown dispute subcommand %q: want raise, show, resolve or list", args[0])
}

func runDisputeRaise(ctx context.Context, e *env, args []string) error {
	var (
		subject   uint64
		by, claim string
		claimed   string
		wf        writeFlags
	)
	v, vf, _, err := openFor(ctx, e, "dispute raise", "dispute raise --subject POSITION --by MEMBER --claim TEXT [--claimed \"400,000.00 CNY\"]",
		"A member challenges a payout or a contribution. The payout is then recomputed as of its position and\n"+
			"as of now, and what changed in between is shown next to the claim.", args, func(fs *flag.FlagSet) {
			fs.Uint64Var(&subject, "subject", 0, "position of the disputed payout.committed or contribution.recorded")
			fs.StringVar(&by, "by", "", "the member raising the dispute")
			fs.StringVar(&claim, "claim", "", "what the member claims")
			fs.StringVar(&claimed, "claimed", "", "the amount the member claims, e.g. \"400,000.00 CNY\"")
			wf.register(fs)
		})
	if err != nil {
		return err
	}
	defer v.Close()
	p := &ledger.DisputeRaised{Subject: subject, By: by, Claim: claim}
	if claimed != "" {
		mm, err := parseMoney(claimed)
		if err != nil {
			return fmt.Errorf("--claimed: %w", err)
		}
		p.ClaimedAmount = &ledger.Money{Amount: mm["amount"].(int64), Currency: mm["currency"].(string)}
	}
	if wf.actor == "" && by != "" {
		wf.actor = "member:" + by
	}
	rc, err := v.appendTo(ctx, vf.alliance, wf, fmt.Sprintf("dispute/%d/%s/%x", subject, by, shortHash(claim)), p)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Dispute recorded at position %d.\n\n", rc.First)
	return showDispute(ctx, v, e, rc.First, vf.asJSON)
}

func shortHash(s string) []byte {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return []byte{byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h)}
}

// showDispute catches the view up to the dispute and prints its
// examination.
func showDispute(ctx context.Context, v *openedView, e *env, seq uint64, asJSON bool) error {
	if err := v.runner.CatchUp(ctx, 0); err != nil {
		return err
	}
	var ex *payout.Examination
	err := v.runner.View(func(m *projections.Model) (err error) {
		ex, err = payout.Examine(m, seq)
		return err
	})
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.stdout, ex)
	}
	return ex.WriteText(e.stdout)
}

func runDisputeShow(ctx context.Context, e *env, args []string) error {
	v, vf, pos, err := openFor(ctx, e, "dispute show", "dispute show [flags] DISPUTE-POSITION",
		"Shows a dispute with what the log says about it: the payout recomputed as of its position and as of\n"+
			"now, the claimant's figures, and every input that changed in between.", args, nil)
	if err != nil {
		return err
	}
	defer v.Close()
	if len(pos) != 1 {
		return errors.New("give the position of the dispute.raised")
	}
	seq, err := parsePosition("dispute", pos[0])
	if err != nil {
		return err
	}
	return showDispute(ctx, v, e, seq, vf.asJSON)
}

func runDisputeResolve(ctx context.Context, e *env, args []string) error {
	var (
		dispute             uint64
		outcome, resolution string
		adjust              bool
		cites               string
		wf                  writeFlags
	)
	v, vf, _, err := openFor(ctx, e, "dispute resolve", "dispute resolve --dispute POSITION --outcome O --resolution TEXT [--adjust [--as-of-seq N]] [--cite 12,13]",
		"Closes a dispute. With --adjust, the disputed payout is recomputed with its own method as of --as-of-seq\n"+
			"(default: the latest position) and a payout.adjusted moving the differences is appended with the\n"+
			"resolution, in one request. Nothing is ever edited.", args, func(fs *flag.FlagSet) {
			fs.Uint64Var(&dispute, "dispute", 0, "position of the dispute.raised")
			fs.StringVar(&outcome, "outcome", "", "outcome: "+strings.Join(ledger.DisputeOutcomes, ", "))
			fs.StringVar(&resolution, "resolution", "", "the resolution, as decided")
			fs.BoolVar(&adjust, "adjust", false, "recompute the disputed payout and append the adjustment")
			fs.StringVar(&cites, "cite", "", "positions of entries already appended to put the resolution into effect (comma-separated)")
			wf.register(fs)
		})
	if err != nil {
		return err
	}
	defer v.Close()
	res := &ledger.DisputeResolved{Dispute: dispute, Outcome: outcome, Resolution: resolution}
	for _, s := range strings.Split(cites, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		p, err := parsePosition("--cite", s)
		if err != nil {
			return err
		}
		res.Adjustments = append(res.Adjustments, p)
	}
	payloads := []ledger.Payload{res}
	if adjust {
		var adj *ledger.PayoutAdjusted
		err := v.runner.View(func(m *projections.Model) error {
			d, err := m.Dispute(dispute, 0)
			if err != nil {
				return err
			}
			if d.SubjectType != ledger.TypePayoutCommitted {
				return fmt.Errorf("--adjust: the dispute at %d is about a %s, not a payout; record the correction and cite it with --cite", dispute, d.SubjectType)
			}
			adj, _, err = payout.Adjust(m, d.Subject, v.query.Seq)
			return err
		})
		if err != nil {
			return err
		}
		adj.Dispute, adj.Reason = dispute, resolution
		payloads = []ledger.Payload{adj, res}
	}
	rc, err := v.appendTo(ctx, vf.alliance, wf, fmt.Sprintf("dispute/%d/resolve", dispute), payloads...)
	if err != nil {
		return err
	}
	if len(payloads) == 2 {
		fmt.Fprintf(e.stdout, "Adjustment recorded at position %d, resolution at %d.\n\n", rc.First, rc.Last)
	} else {
		fmt.Fprintf(e.stdout, "Resolution recorded at position %d.\n\n", rc.First)
	}
	return showDispute(ctx, v, e, dispute, vf.asJSON)
}

func runDisputeList(ctx context.Context, e *env, args []string) error {
	disputes, asJSON, err := readView(ctx, e, "dispute list", "Lists the disputes raised, open and resolved.", args, nil,
		func(m *projections.Model, q projections.Query) ([]projections.DisputeFact, error) {
			return m.Disputes(q.Seq), nil
		})
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.stdout, disputes)
	}
	for _, d := range disputes {
		state := "open"
		if d.Resolved != 0 {
			state = fmt.Sprintf("%s at %d", d.Outcome, d.Resolved)
		}
		fmt.Fprintf(e.stdout, "%d\t%s\tagainst %d (%s)\t%s\t%s\n", d.Seq, d.By, d.Subject, d.SubjectType, state, d.Claim)
	}
	return nil
}
