package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alliance-ledger/alliance/api"
)

func runToken(ctx context.Context, e *env, args []string) error {
	usage := "Usage: alliance token create|list|revoke [flags]"
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, usage)
		return errUsage
	}
	fs := flag.NewFlagSet("token "+args[0], flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var sf storeFlags
	sf.register(fs, e.getenv)
	asJSON := fs.Bool("json", false, "print JSON")
	var p api.Principal
	switch args[0] {
	case "create":
		fs.StringVar(&p.Role, "role", "", "role: "+strings.Join(api.Roles, ", "))
		fs.StringVar(&p.Alliance, "alliance", e.getenv("ALLIANCE_ID"), "the alliance the token is for, or '*' for every alliance (secretariat, auditor, evaluator)")
		fs.StringVar(&p.Member, "member", "", "the member a member token acts for")
		fs.StringVar(&p.Name, "name", "", "a name for the token (who holds it)")
		fs.Usage = func() {
			fmt.Fprintln(e.stderr, "Usage: alliance token create --role R --alliance A [--member M] --name N\n\nCreates an API token and prints it once; only its hash is stored.\n\nFlags:")
			fs.PrintDefaults()
		}
	case "list":
		fs.Usage = func() {
			fmt.Fprintln(e.stderr, "Usage: alliance token list\n\nLists the tokens (never their secrets), revoked ones included.\n\nFlags:")
			fs.PrintDefaults()
		}
	case "revoke":
		fs.Usage = func() {
			fmt.Fprintln(e.stderr, "Usage: alliance token revoke TOKEN-ID\n\nRevokes a token at once, on every server sharing the ledger.\n\nFlags:")
			fs.PrintDefaults()
		}
	default:
		fmt.Fprintln(e.stderr, usage)
		return fmt.Errorf("unknown token command %q", args[0])
	}
	rest, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if args[0] == "create" {
		// Check before opening anything, so that a mistake costs nothing.
		if err := p.Validate(); err != nil {
			return err
		}
	}
	if args[0] == "revoke" && len(rest) != 1 {
		return fmt.Errorf("give the id of the token to revoke (tok-..., as token list shows)")
	}
	lc, err := sf.open(ctx, e)
	if err != nil {
		return err
	}
	defer lc.Close()
	tokens, err := api.OpenTokens(ctx, lc.store.JetStream(), sf.replicas)
	if err != nil {
		return err
	}
	switch args[0] {
	case "create":
		secret, p, err := tokens.Create(ctx, p, time.Now())
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(e.stdout, struct {
				api.Principal
				Token string `json:"token"`
			}{p, secret})
		}
		fmt.Fprintf(e.stdout, "%s\n", secret)
		fmt.Fprintf(e.stderr, "token %s for %s; it is shown only now: keep it secret\n", p.ID, p.Actor())
		return nil
	case "revoke":
		p, err := tokens.Revoke(ctx, rest[0], time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "revoked %s (%s)\n", p.ID, p.Actor())
		return nil
	}
	ps, err := tokens.List(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if ps == nil {
			ps = []api.Principal{}
		}
		return printJSON(e.stdout, ps)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tALLIANCE\tMEMBER\tNAME\tCREATED\tREVOKED")
	for _, p := range ps {
		revoked := ""
		if p.RevokedAt != nil {
			revoked = p.RevokedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Role, p.Alliance, p.Member, p.Name, p.CreatedAt.Format(time.RFC3339), revoked)
	}
	return tw.Flush()
}
