package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"runtime"
	"time"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/projections"
	"github.com/alliance-ledger/alliance/projections/evaluation"
)

type evaluationBench struct {
	Events     uint64  `json:"events"`
	Period     string  `json:"period"`
	Members    int     `json:"members"`
	EvalMs     float64 `json:"eval_ms"`         // one year, direct and AHP weights, median
	EntropyMs  float64 `json:"eval_entropy_ms"` // the same with entropy weights over every member
	MemberMs   float64 `json:"eval_member_ms"`  // one member's evaluation
	Score      string  `json:"score"`
	Runs       int     `json:"runs"`
	CPUs       int     `json:"cpus"`
	GoVersion  string  `json:"go_version"`
	FoldSecond float64 `json:"fold_s"` // folding the log first, not part of the figures
}

// benchScheme is a scheme over the indicators a synthetic log feeds.
func benchScheme(id, method string) *ledger.EvaluationSchemeAdopted {
	t := func(x string) *ledger.Normalisation {
		r := ledger.MustRatio(x)
		return &ledger.Normalisation{Kind: "target", Target: &r}
	}
	w := func(n int) ledger.Weighting {
		if method == "entropy" {
			return ledger.Weighting{Method: "entropy"}
		}
		out := ledger.Weighting{Method: "direct"}
		for range n {
			out.Weights = append(out.Weights, ledger.NewRatio(1, int64(n)))
		}
		return out
	}
	return &ledger.EvaluationSchemeAdopted{Scheme: id, Title: "基准评价方案",
		Dimensions: []ledger.SchemeDimension{
			{Dimension: "organisation", Indicators: []ledger.SchemeIndicator{{Indicator: "members", Norm: t("200")}, {Indicator: "member_growth", Norm: t("10")},
				{Indicator: "dues_collected", Norm: t("1000000")}, {Indicator: "disputes_raised", Norm: t("10")}}, Weights: w(4)},
			{Dimension: "collaboration", Indicators: []ledger.SchemeIndicator{{Indicator: "rd_input", Norm: t("1000000000")}, {Indicator: "person_months", Norm: t("1000")},
				{Indicator: "cash_input", Norm: t("500000000")}, {Indicator: "joint_projects", Norm: t("1000")}, {Indicator: "cross_member_ip", Norm: t("50")}}, Weights: w(5)},
			{Dimension: "industry", Indicators: []ledger.SchemeIndicator{{Indicator: "patent_applications", Norm: t("100")}, {Indicator: "patent_grants", Norm: t("50")},
				{Indicator: "licences", Norm: t("20")}, {Indicator: "licence_revenue", Norm: t("10000000")}}, Weights: w(4)},
		},
		DimensionWeights: ledger.Weighting{Method: "ahp", Matrix: [][]string{{"1", "1/2", "1/2"}, {"2", "1", "1"}, {"2", "1", "1"}}}}
}

func runBenchEvaluation(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("bench evaluation", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dir := fs.String("data", "", "directory for the benchmark's JetStream files; a log generated there before is reused")
	events := fs.Int("events", 1_000_000, "events in the generated log")
	period := fs.String("period", "2022", "the year evaluated (the generated log runs from January 2021)")
	runs := fs.Int("runs", 5, "timed runs; the median is reported")
	asJSON := fs.Bool("json", false, "print one JSON object")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the evaluations to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cleanup, err := benchDir(dir, "alliance-bench-eval-")
	if err != nil {
		return err
	}
	defer cleanup()
	progress := func(format string, a ...any) {
		if !*asJSON {
			fmt.Fprintf(e.stderr, format+"\n", a...)
		}
	}
	bl, err := openBenchLog(ctx, *dir, 1, *events, progress)
	if err != nil {
		return err
	}
	defer bl.close()
	st := bl.st
	w := ledger.NewWriter(st, ledger.WriterOptions{})
	at := time.Date(2024, 1, 2, 9, 0, 0, 0, time.UTC)
	for _, s := range []*ledger.EvaluationSchemeAdopted{benchScheme("bench", "direct"), benchScheme("bench-entropy", "entropy")} {
		req := ledger.Request{Alliance: replayAlliance, Actor: "bench", IdempotencyKey: "bench-scheme-" + s.Scheme, Commands: []ledger.Command{ledger.NewCommand(at, s)}}
		if _, err := w.Append(ctx, req); err != nil {
			w.Close()
			return err
		}
	}
	w.Close()
	progress("folding the log...")
	start := time.Now()
	r := projections.NewRunner(st, replayAlliance, projections.RunnerOptions{})
	if err := r.CatchUp(ctx, 0); err != nil {
		return err
	}
	res := &evaluationBench{Period: *period, Runs: *runs, CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), FoldSecond: time.Since(start).Seconds()}
	return r.View(func(m *projections.Model) error {
		from, to, err := projections.ParsePeriod(*period, m.Location())
		if err != nil {
			return err
		}
		res.Events = m.Last()
		res.Members = len(m.Members(0))
		timeIt := func(opts evaluation.Options) (float64, *evaluation.Report, error) {
			var times []float64
			var rep *evaluation.Report
			for range *runs {
				t0 := time.Now()
				rep, err = evaluation.Evaluate(m, opts)
				if err != nil {
					return 0, nil, err
				}
				times = append(times, ms(time.Since(t0)))
			}
			return median(times), rep, nil
		}
		progress("evaluating %s...", *period)
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
		var rep *evaluation.Report
		if res.EvalMs, rep, err = timeIt(evaluation.Options{Scheme: "bench", From: from, To: to, Label: *period}); err != nil {
			return err
		}
		res.Score = rep.ScoreText + " " + rep.Band.EN
		if res.EntropyMs, _, err = timeIt(evaluation.Options{Scheme: "bench-entropy", From: from, To: to, Label: *period}); err != nil {
			return err
		}
		if res.MemberMs, _, err = timeIt(evaluation.Options{Scheme: "bench", From: from, To: to, Label: *period, Member: "M002"}); err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(e.stdout).Encode(res)
		}
		fmt.Fprintf(e.stdout, "evaluation of %s over a log of %d events (%d members): %.0f ms; with entropy weights %.0f ms; one member %.0f ms (medians of %d)\n",
			res.Period, res.Events, res.Members, res.EvalMs, res.EntropyMs, res.MemberMs, res.Runs)
		return nil
	})
}
