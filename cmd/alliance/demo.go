package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/alliance-ledger/alliance/api"
	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/sample"
	"github.com/alliance-ledger/alliance/projections"
	"github.com/alliance-ledger/alliance/projections/payout"
)

// demoStart is the sample alliance's founding day. It is fixed: the sample's
// idempotency keys are bound to its business times, so running the demo
// again appends only what is new.
var demoStart = time.Date(2023, 9, 4, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var sf storeFlags
	sf.register(fs, e.getenv)
	alliance := fs.String("alliance", "yrd-battery", "id of the sample alliance")
	noServe := fs.Bool("no-serve", false, "build the sample alliance and exit")
	var vf serveFlags
	vf.register(fs, e.getenv)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: alliance demo [flags]\n\nBuilds a sample alliance (a dozen members, projects over three years, contributions of every kind,")
		fmt.Fprintln(e.stderr, "IP filings, funding, a disputed payout) in the data directory and prints a summary. Running it")
		fmt.Fprintln(e.stderr, "again appends nothing twice.\n\nFlags:")
		fs.PrintDefaults()
	}
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if err := vf.check(); err != nil {
		return err
	}
	lc, err := sf.open(ctx, e)
	if err != nil {
		return err
	}
	defer lc.Close()
	w := ledger.NewWriter(lc.store, ledger.WriterOptions{Logger: lc.logger})
	defer w.Close()

	reqs := sample.Requests(*alliance, demoStart, time.Now())
	bar := newProgress(e.stderr, "building "+*alliance, len(reqs))
	start := time.Now()
	receipts, err := appendSample(ctx, lc, w, *alliance, reqs, bar.Set)
	bar.Done()
	if err != nil {
		return fmt.Errorf("build sample alliance: %w", err)
	}
	elapsed := time.Since(start)
	checkpointIfDue(ctx, e, lc, sf, vf.key, *alliance)
	fresh := 0
	for _, rc := range receipts {
		if !rc.Duplicate {
			fresh++
		}
	}
	last, err := lc.store.Last(ctx, *alliance)
	if err != nil {
		return err
	}
	s := sample.Summarize(reqs)
	fmt.Fprintf(e.stdout, "Sample alliance %q in %s\n", *alliance, sf.where())
	if fresh == 0 {
		fmt.Fprintf(e.stdout, "already built: nothing appended (%d requests were recorded before)\n", len(reqs))
	} else {
		fmt.Fprintf(e.stdout, "appended %d requests in %s\n", fresh, elapsed.Round(time.Millisecond))
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  members admitted\t%d\n  projects\t%d\n  contributions\t%d\n  IP filings\t%d\n  funding receipts\t%d\n  costs\t%d\n  benefit pools\t%d\n  payouts\t%d\n  disputes\t%d\n  events in the log\t%d\n",
		s.Members, s.Projects, s.Contributions, s.IPFilings, s.Fundings, s.Costs, s.Pools, s.Payouts, s.Disputes, last)
	tw.Flush()
	fmt.Fprintf(e.stdout, "\nInspect it with:\n")
	for _, c := range []string{"log --type contribution", "balances", "balances --member M02 --period 2025", "risk", "outputs",
		"allocate --pool POOL-Y3-SERVICES --method multifactor-shapley", "dispute list", "audit checkpoints", "verify"} {
		fmt.Fprintf(e.stdout, "  alliance %s --data %s --alliance %s\n", c, sf.data, *alliance)
	}
	if *noServe {
		return nil
	}
	w.Close()
	return serveDemo(ctx, e, lc, sf, vf, *alliance)
}

// serveDemo serves the sample alliance with a fresh secretariat token and
// a member token, and prints the links that sign a browser in with them.
func serveDemo(ctx context.Context, e *env, lc *ledgerConn, sf storeFlags, vf serveFlags, alliance string) error {
	tokens, err := api.OpenTokens(ctx, lc.store.JetStream(), sf.replicas)
	if err != nil {
		return err
	}
	now := time.Now()
	sec, _, err := tokens.Create(ctx, api.Principal{Role: api.RoleSecretariat, Alliance: alliance, Name: "demo secretariat"}, now)
	if err != nil {
		return err
	}
	mem, _, err := tokens.Create(ctx, api.Principal{Role: api.RoleMember, Alliance: alliance, Member: "M02", Name: "demo member M02"}, now)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout)
	return serve(ctx, e, lc, sf, vf, func(url string) {
		fmt.Fprintf(e.stdout, "secretariat token: %s\nmember M02 token:  %s\n", sec, mem)
		fmt.Fprintf(e.stdout, "dashboard (secretariat): %s/login?token=%s&next=/a/%s\n", url, sec, alliance)
		fmt.Fprintf(e.stdout, "dashboard (member M02):  %s/login?token=%s&next=/a/%s\n", url, mem, alliance)
		fmt.Fprintf(e.stdout, "API: curl -H 'Authorization: Bearer %s' %s/v1/alliances/%s/balances\n", sec, url, alliance)
		fmt.Fprintln(e.stdout, "Stop with Ctrl-C.")
	})
}

// appendSample appends the sample's requests in order. The sample computes
// its payouts and adjustments its own way; here each is recomputed by the
// sharing methods from the log as of the position it names, so that the
// demo's payouts record their inputs as `alliance allocate` does.
func appendSample(ctx context.Context, lc *ledgerConn, w *ledger.Writer, alliance string, reqs []ledger.Request, progress func(int)) ([]ledger.Receipt, error) {
	r := lc.runner(alliance, projections.RunnerOptions{})
	var out []ledger.Receipt
	from := 0
	for i := 0; i <= len(reqs); i++ {
		if i < len(reqs) && !sharesPool(reqs[i]) {
			continue
		}
		done := len(out)
		rcs, err := w.AppendInOrder(ctx, reqs[from:i], func(n int) { progress(done + n) })
		if err != nil {
			return nil, err
		}
		out = append(out, rcs...)
		if i == len(reqs) {
			break
		}
		req, err := recomputed(ctx, r, reqs[i])
		if err != nil {
			return nil, fmt.Errorf("request %s: %w", reqs[i].IdempotencyKey, err)
		}
		rc, err := w.Append(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("request %s: %w", reqs[i].IdempotencyKey, err)
		}
		out = append(out, rc)
		progress(len(out))
		from = i + 1
	}
	return out, nil
}

func sharesPool(req ledger.Request) bool {
	for _, c := range req.Commands {
		switch c.Payload.(type) {
		case *ledger.PayoutCommitted, *ledger.PayoutAdjusted:
			return true
		}
	}
	return false
}

// recomputed replaces a request's payout or adjustment by the one the
// sharing methods compute as of the position it names.
func recomputed(ctx context.Context, r *projections.Runner, req ledger.Request) (ledger.Request, error) {
	out := req
	out.Commands = append([]ledger.Command(nil), req.Commands...)
	for i, c := range out.Commands {
		var err error
		switch p := c.Payload.(type) {
		case *ledger.PayoutCommitted:
			if err = r.CatchUp(ctx, p.ComputedAt); err != nil {
				return req, err
			}
			err = r.View(func(m *projections.Model) error {
				a, err := payout.Compute(m, payout.Request{Pool: p.Pool, Method: p.Method, AsOf: p.ComputedAt})
				if err != nil {
					return err
				}
				out.Commands[i].Payload, err = a.Payload()
				return err
			})
		case *ledger.PayoutAdjusted:
			if err = r.CatchUp(ctx, p.ComputedAt); err != nil {
				return req, err
			}
			err = r.View(func(m *projections.Model) error {
				adj, _, err := payout.Adjust(m, p.Payout, p.ComputedAt)
				if err != nil {
					return err
				}
				adj.Dispute, adj.Reason = p.Dispute, p.Reason
				out.Commands[i].Payload = adj
				return nil
			})
		}
		if err != nil {
			return req, err
		}
	}
	return out, nil
}
