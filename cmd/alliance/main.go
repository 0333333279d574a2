// Command alliance is the collaboration ledger of an industrial technology
// innovation alliance: one binary for recording, inspecting and serving it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "alliance:", err)
		}
		os.Exit(1)
	}
}

// errUsage means the usage was already printed; main only exits.
var errUsage = errors.New("usage")

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

func commands() []command {
	return []command{
		{"demo", "build the sample alliance, then serve it (--no-serve: build only)", runDemo},
		{"serve", "serve the JSON API, the web dashboard and metrics over HTTP", runServe},
		{"token", "create, list or revoke API tokens (token create|list|revoke)", runToken},
		{"record", "append one command (an event) to an alliance's log", runRecord},
		{"log", "print an alliance's events", runLog},
		{"balances", "member balances, as of any position, time or period", runBalances},
		{"risk", "risk shares per project and realized losses split by them", runRisk},
		{"outputs", "innovation outputs by member, project, type, status and year", runOutputs},
		{"allocate", "share a benefit pool (preview, --commit to record the payout)", runAllocate},
		{"explain", "recompute a committed payout from the log and explain each amount", runExplain},
		{"dispute", "raise, show, resolve or list disputes (dispute raise|show|resolve|list)", runDispute},
		{"import", "import members, projects, contributions, IP, funding and costs from XLSX or CSV (import template)", runImport},
		{"export", "the log as JSON lines, the views as CSV or XLSX, as of any position", runExport},
		{"report", "performance evaluation report of a period (report evaluation --period 2025)", runReport},
		{"audit", "signed checkpoints, proofs, co-signatures, audit packs (audit key|checkpoint|checkpoints|prove|cosign|export)", runAudit},
		{"verify", "check the log end to end, or an audit pack offline", runVerify},
		{"replay", "rebuild every projection from the first event", runReplay},
		{"bench", "measure the ledger (bench append|replay|shapley|audit|evaluation|import|http|soak)", runBench},
	}
}

// env is what every subcommand gets from run: its streams and environment.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) < 2 || args[1] == "-h" || args[1] == "--help" || args[1] == "help" {
		printUsage(stderr)
		if len(args) < 2 {
			return errUsage
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[1] {
			err := c.run(ctx, e, args[2:])
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
	}
	printUsage(stderr)
	return fmt.Errorf("unknown command %q", args[1])
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: alliance <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'alliance <command> --help' for a command's flags.")
	fmt.Fprintln(w, "Every command keeps its data under --data (default $ALLIANCE_DATA, else ./alliance-data).")
}
