package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/big"
	"slices"
	"time"

	"github.com/alliance-ledger/alliance/projections/sharing"
)

// shapleyBench is what `alliance bench shapley` reports.
type shapleyBench struct {
	ExactPlayers int     `json:"exact_players"`
	ExactN20Ms   float64 `json:"exact_n20_ms"` // median, exact Shapley of a random game table
	MCPlayers    int     `json:"mc_players"`
	MCSamples    int     `json:"mc_samples"`
	MCSeed       uint64  `json:"mc_seed"`
	MCN200Ms     float64 `json:"mc_n200_ms"` // median, seeded permutation sampling
	// MCN200MaxRelErr is the largest relative error of the sampled values
	// against the game's closed-form Shapley value; MCN200EstMaxRelErr is
	// the sampler's own estimate of it.
	MCN200MaxRelErr    float64 `json:"mc_n200_max_rel_err"`
	MCN200EstMaxRelErr float64 `json:"mc_n200_est_max_rel_err"`
	Runs               int     `json:"runs"`
}

func runBenchShapley(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("bench shapley", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	exactN := fs.Int("exact-players", 20, "players of the random game computed exactly")
	mcN := fs.Int("mc-players", 200, "players of the sampled game")
	samples := fs.Int("samples", sharing.DefaultSamples, "sampled orders (antithetic pairs count two)")
	seed := fs.Uint64("seed", 1, "seed of the games and of the sampler")
	runs := fs.Int("runs", 5, "timed runs of each; the median is reported")
	asJSON := fs.Bool("json", false, "print one JSON object")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: alliance bench shapley [flags]\n\nMeasures the Shapley value computations:")
		fmt.Fprintln(e.stderr, "  exact_n20_ms         exact Shapley value of a random 20-player game table")
		fmt.Fprintln(e.stderr, "  mc_n200_ms           seeded permutation sampling for 200 players (a weighted additive game with")
		fmt.Fprintln(e.stderr, "                       pairwise and three-way synergies)")
		fmt.Fprintln(e.stderr, "  mc_n200_max_rel_err  the sample's largest relative error against the game's closed-form value")
		fmt.Fprintln(e.stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *exactN < 1 || *exactN > sharing.MaxExact || *mcN < 2 || *runs < 1 {
		return fmt.Errorf("--exact-players must be 1-%d, --mc-players at least 2 and --runs at least 1", sharing.MaxExact)
	}
	res := shapleyBench{ExactPlayers: *exactN, MCPlayers: *mcN, MCSamples: *samples, MCSeed: *seed, Runs: *runs}

	table := sharing.RandomTable(*exactN, *seed)
	var times []float64
	for range *runs {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		sh, err := sharing.ShapleyTable(*exactN, table)
		elapsed := time.Since(start)
		if err != nil {
			return err
		}
		// Efficiency: the values sum to v(N) exactly, or something is wrong.
		sum := new(big.Rat)
		for _, v := range sh.Values {
			sum.Add(sum, v)
		}
		if sum.Cmp(new(big.Rat).SetInt64(table[len(table)-1])) != 0 {
			return errors.New("exact Shapley values do not sum to v(N)")
		}
		times = append(times, ms(elapsed))
	}
	res.ExactN20Ms = median(times)

	g, err := sharing.SynergyGame(*mcN, *seed)
	if err != nil {
		return err
	}
	want := g.ClosedForm()
	times = times[:0]
	for i := range *runs {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		sh, err := sharing.ShapleySampled(g, *seed, *samples)
		elapsed := time.Since(start)
		if err != nil {
			return err
		}
		times = append(times, ms(elapsed))
		if i == 0 {
			res.MCN200EstMaxRelErr = sh.MaxRelErr
			for j, v := range sh.Values {
				if want[j].Sign() == 0 {
					continue
				}
				d := new(big.Rat).Sub(v, want[j])
				d.Quo(d, want[j])
				f, _ := d.Float64()
				res.MCN200MaxRelErr = math.Max(res.MCN200MaxRelErr, math.Abs(f))
			}
		}
	}
	res.MCN200Ms = median(times)
	if *asJSON {
		return printJSON(e.stdout, res)
	}
	fmt.Fprintf(e.stdout, "exact Shapley, %d players (random game table): %.1f ms (median of %d)\n", res.ExactPlayers, res.ExactN20Ms, res.Runs)
	fmt.Fprintf(e.stdout, "sampled Shapley, %d players, %d orders, seed %d: %.1f ms (median of %d)\n", res.MCPlayers, res.MCSamples, res.MCSeed, res.MCN200Ms, res.Runs)
	fmt.Fprintf(e.stdout, "  largest relative error against the closed form: %.4f%% (the sampler estimated %.4f%%)\n", 100*res.MCN200MaxRelErr, 100*res.MCN200EstMaxRelErr)
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
