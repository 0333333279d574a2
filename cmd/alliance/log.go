package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
)

var errStop = errors.New("stop")

func runLog(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("log", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var sf storeFlags
	sf.register(fs, e.getenv)
	alliance := fs.String("alliance", e.getenv("ALLIANCE_ID"), "alliance id (default $ALLIANCE_ID; empty: every alliance)")
	aggregate := fs.String("aggregate", "", "only events about this aggregate, e.g. member/M02 or project/P1 (a prefix such as member/ matches all members)")
	typ := fs.String("type", "", "only events of this type, or of a family: contribution matches contribution.*")
	from := fs.Uint64("from", 1, "first position")
	to := fs.Uint64("to", 0, "last position (0: to the end)")
	asJSON := fs.Bool("json", false, "print each event's stored bytes as one JSON line")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: alliance log [flags]\n\nPrints events in log order.\n\nFlags:")
		fs.PrintDefaults()
	}
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if *from == 0 {
		*from = 1
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
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	defer tw.Flush()
	for _, id := range ids {
		// Business times print in the alliance's zone, known from its founding.
		loc, _ := time.LoadLocation(ledger.DefaultTimeZone)
		err := lc.store.Read(ctx, id, *from, func(st ledger.Stored) error {
			if *to != 0 && st.Seq > *to {
				return errStop
			}
			ev, err := ledger.DecodeEvent(st.Data)
			if err != nil {
				fmt.Fprintf(e.stderr, "alliance %s position %d does not decode: %v\n", id, st.Seq, err)
				return nil
			}
			if f, ok := ev.Payload.(*ledger.AllianceFounded); ok {
				if l, err := time.LoadLocation(f.TimeZone); err == nil {
					loc = l
				}
			}
			if *typ != "" && ev.Type != *typ && !strings.HasPrefix(ev.Type, *typ+".") {
				return nil
			}
			if *aggregate != "" && ev.Aggregate != *aggregate && !(strings.HasSuffix(*aggregate, "/") && strings.HasPrefix(ev.Aggregate, *aggregate)) {
				return nil
			}
			if *asJSON {
				_, err := fmt.Fprintf(e.stdout, "%s\n", st.Data)
				return err
			}
			_, err = fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", id, st.Seq, ev.OccurredAt.In(loc).Format("2006-01-02 15:04"), ev.Type, ev.Aggregate, ev.Actor, ev.Raw)
			return err
		})
		if err != nil && !errors.Is(err, errStop) {
			return fmt.Errorf("read alliance %s: %w", id, err)
		}
	}
	tw.Flush()
	if lc.quarantined > 0 {
		fmt.Fprintf(e.stderr, "skipped %d stream messages that are not commits of the ledger (logged above with their stream sequences)\n", lc.quarantined)
	}
	return nil
}
