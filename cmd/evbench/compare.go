package main

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/evbench/evbench/reports/compare"
	"github.com/evbench/evbench/reports/results"
)

func init() { addCommand(newCompareCmd) }

// newCompareCmd is `evbench compare BASE.json CANDIDATE.json`: the
// regression gate of a CI job (exit 1 when the candidate regressed).
func newCompareCmd() *cobra.Command {
	opts := compare.DefaultOptions()
	latTol := comparePercentFlag{&opts.LatencyTolerance}
	thrTol := comparePercentFlag{&opts.ThroughputTolerance}
	floor := compareFloorFlag{&opts.LatencyFloor}
	var asJSON bool
	c := &cobra.Command{
		Use:   "compare BASE.json CANDIDATE.json",
		Short: "Compare two results.json metric by metric; exit 1 when the candidate regressed",
		Long: `compare matches the points of two results documents by system, params and
repeat, and their subscribers by name, and compares for each: e2e p50, p99,
p99.9 and max, achieved_per_s, lost, dead_lettered, duplicates, and publish
p99 (kafka, bridge), with the absolute and the relative change.

A metric is a regression when the candidate is worse beyond a tolerance:
  latency      up by more than --latency-tolerance (default 10%) AND by more
               than --latency-floor (default 1ms), so microsecond noise on a
               fast path does not fail a build
  achieved/s   down by more than --throughput-tolerance (default 5%)
  lost, dead-lettered
               any increase
  status       a point that completed in the base and not in the candidate
Duplicates are shown but never gate (at-least-once delivery makes them vary).
--ignore METRIC[,METRIC] shows a metric without gating on it; metrics:
` + strings.Join(compare.Metrics, ", ") + `.

Points and subscribers present on one side only are listed, not compared.
Differences in cpus, cpu model, platform, broker kind, the embedded-broker flag
or the scenario are printed as warnings (both revisions are shown): numbers
from different machines are not comparable, but compare still runs.

Output: a text table, or the same comparison as JSON with --json (stdout).
Exit codes: 0 no regression, 1 regression (summary on stderr), 2 bad input
(unreadable or invalid results, bad flag values, no point in common).`,
		Example: `  evbench compare baseline/results.json evbench-results/ci/results.json
  evbench compare base.json cand.json --latency-tolerance 20% --latency-floor 2ms --json
  evbench compare base.json cand.json --ignore e2e_max_us`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			base, err := compareReadResults(args[0])
			if err != nil {
				return err
			}
			cand, err := compareReadResults(args[1])
			if err != nil {
				return err
			}
			rep, err := compare.Compare(base, cand, opts)
			if err != nil {
				return badInput(fmt.Errorf("compare %s with %s: %w", args[0], args[1], err))
			}
			rep.Base.Label, rep.Candidate.Label = args[0], args[1]
			out := cmd.OutOrStdout()
			if asJSON {
				for _, w := range rep.Warnings {
					fmt.Fprintf(cmd.ErrOrStderr(), "evbench: compare: warning: %s\n", w)
				}
				err = rep.WriteJSON(out)
			} else {
				err = rep.WriteText(out)
			}
			if err != nil {
				return err
			}
			if rep.Regressed() {
				lines := make([]string, len(rep.Regressions))
				for i, g := range rep.Regressions {
					lines[i] = "  - " + g.String()
				}
				return fmt.Errorf("%s regressed against %s: %d regression(s)\n%s", args[1], args[0], len(rep.Regressions), strings.Join(lines, "\n"))
			}
			return nil
		},
	}
	f := c.Flags()
	f.Var(latTol, "latency-tolerance", "relative latency increase allowed, percent (e.g. 10%)")
	f.Var(floor, "latency-floor", "absolute latency increase below which nothing regresses (e.g. 1ms, 500us, 0)")
	f.Var(thrTol, "throughput-tolerance", "relative drop of achieved_per_s allowed, percent (e.g. 5%)")
	f.StringSliceVar(&opts.Ignore, "ignore", nil, "metrics to show without gating on them (comma-separated)")
	f.BoolVar(&asJSON, "json", false, "print the comparison as JSON")
	return c
}

// compareReadResults reads and validates a results document; every failure is bad
// input (exit 2).
func compareReadResults(path string) (*results.Results, error) {
	r, err := results.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, badInput(err)
		}
		return nil, badInput(fmt.Errorf("%w (is it an evbench results.json?)", err))
	}
	return r, nil
}

// comparePercentFlag is a tolerance given in percent ("10%" or "10") and stored as
// a fraction.
type comparePercentFlag struct{ v *float64 }

func (p comparePercentFlag) String() string {
	if p.v == nil {
		return ""
	}
	return strconv.FormatFloat(*p.v*100, 'f', -1, 64) + "%"
}

func (p comparePercentFlag) Set(s string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%")), 64)
	if err != nil || f < 0 || f != f || f > 1e6 {
		return fmt.Errorf("%q is not a percentage (e.g. 10%%)", s)
	}
	*p.v = f / 100
	return nil
}

func (p comparePercentFlag) Type() string { return "percent" }

// compareFloorFlag is a non-negative duration; a bare "0" is allowed.
type compareFloorFlag struct{ v *time.Duration }

func (d compareFloorFlag) String() string {
	if d.v == nil {
		return ""
	}
	return d.v.String()
}

func (d compareFloorFlag) Set(s string) error {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || v < 0 {
		return fmt.Errorf("%q is not a duration >= 0 (e.g. 1ms, 500us)", s)
	}
	*d.v = v
	return nil
}

func (d compareFloorFlag) Type() string { return "duration" }
