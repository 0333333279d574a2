package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/sample"
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
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: alliance demo [flags]\n\nBuilds a sample alliance (a dozen members, projects over three years, contributions of every kind,")
		fmt.Fprintln(e.stderr, "IP filings, funding, a disputed payout) in the data directory and prints a summary. Running it")
		fmt.Fprintln(e.stderr, "again appends nothing twice.\n\nFlags:")
		fs.PrintDefaults()
	}
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	_ = noServe // serving arrives with the HTTP API; until then demo always exits after building
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
	receipts, err := w.AppendInOrder(ctx, reqs, bar.Set)
	bar.Done()
	if err != nil {
		return fmt.Errorf("build sample alliance: %w", err)
	}
	elapsed := time.Since(start)
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
	for _, c := range []string{"log --type contribution", "balances", "balances --member M02 --period 2025", "risk", "outputs"} {
		fmt.Fprintf(e.stdout, "  alliance %s --data %s --alliance %s\n", c, sf.data, *alliance)
	}
	return nil
}
