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

// newCompareCmd is `evbench compare`: the regression gate of a CI job
// (exit 4 when the candidate regressed significantly).
func newCompareCmd() *cobra.Command {
	opts := compare.DefaultOptions()
	latTol := comparePercentFlag{&opts.LatencyTolerance}
	thrTol := comparePercentFlag{&opts.ThroughputTolerance}
	floor := compareFloorFlag{&opts.LatencyFloor}
	var (
		asJSON          bool
		format          string
		bases, cands    []string
		junitOut, mdOut string
	)
	c := &cobra.Command{
		Use:   "compare BASE.json CANDIDATE.json | BASE.json... -- CANDIDATE.json... | --base FILE... --candidate FILE...",
		Short: "Compare results metric by metric, with significance over repeats; exit 4 on a regression",
		Long: `compare matches the points of base and candidate results by system and params,
and their subscribers by name, and compares for each: e2e p50, p99, p99.9 and
max, achieved_per_s, lost, dead_lettered, duplicates, and publish p99 (kafka,
bridge).

One run per side (BASE.json CANDIDATE.json, no repeats) is compared point by
point with the tolerances alone: a single run has no spread to test.

Several runs per side (a scenario with sweep.repeats, several files per side,
or both) are compared as benchstat does: each metric's median on each side
with its 95% confidence interval, the change of the medians with a confidence
interval (Hodges-Lehmann), and the Mann-Whitney U test's p-value
(golang.org/x/perf/benchmath). A latency or throughput change regresses only
when it is beyond the tolerance AND significant (p <= --alpha). With too few
samples to ever reach significance (fewer than 4 per side at alpha 0.05) the
metric is reported as "cannot judge" and does not fail the gate. Give several
files per side either before and after "--" or with repeated --base and
--candidate flags.

A metric is a regression when the candidate is worse beyond a tolerance:
  latency      up by more than --latency-tolerance (default 10%) AND by more
               than --latency-floor (default 1ms), so microsecond noise on a
               fast path does not fail a build
  achieved/s   down by more than --throughput-tolerance (default 5%)
  lost, dead-lettered
               any increase (mean per run with several runs): loss is a
               correctness signal, not noise
  status       a point that completed in the base and not in the candidate
Duplicates are shown but never gate (at-least-once delivery makes them vary).
--ignore METRIC[,METRIC] shows a metric without gating on it; metrics:
` + strings.Join(compare.Metrics, ", ") + `.

Points and subscribers present on one side only are listed, not compared.
Differences in cpus, cpu model, platform, broker kind, the embedded-broker flag
or the scenario are printed as warnings (both revisions are shown): numbers
from different machines are not comparable, but compare still runs. When the
runs recorded more machine noise than the tolerance asked, compare says so.

Output (stdout): --format text (default), markdown (one table per system, for
a GitHub step summary or a pull request comment), junit (a test case per
compared metric and per candidate threshold) or json. --summary-md FILE and
--junit FILE also write those renderings to files in the same invocation.
Exit codes: 0 no regression, 4 regression (summary on stderr), 2 bad input
(unreadable or invalid results, bad flag values, no point in common), 1 an
output could not be written.`,
		Example: `  evbench compare baseline/results.json evbench-results/ci/results.json
  evbench compare base/*/results.json -- cand/*/results.json --format markdown
  evbench compare --base main.json --candidate pr.json --junit compare.xml --summary-md "$GITHUB_STEP_SUMMARY"
  evbench compare base.json cand.json --latency-tolerance 20% --latency-floor 2ms --format json
  evbench compare base.json cand.json --ignore e2e_max_us`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if asJSON {
				if cmd.Flags().Changed("format") && format != "json" {
					return badInput(fmt.Errorf("--json and --format %s disagree", format))
				}
				format = "json"
			}
			switch format {
			case "text", "markdown", "junit", "json":
			default:
				return badInput(fmt.Errorf("--format %q: want text, markdown, junit or json", format))
			}
			basePaths, candPaths, err := compareSides(args, cmd.ArgsLenAtDash(), bases, cands)
			if err != nil {
				return badInput(err)
			}
			baseDocs, err := compareReadAll(basePaths)
			if err != nil {
				return err
			}
			candDocs, err := compareReadAll(candPaths)
			if err != nil {
				return err
			}
			rep, err := compare.CompareSets(baseDocs, candDocs, opts)
			// Overloaded on every shared point: the report says why, and
			// the exit code is the overloaded generator's (not a pass).
			notComparable := errors.Is(err, compare.ErrNotComparable)
			if err != nil && !notComparable {
				return badInput(fmt.Errorf("compare %s with %s: %w", strings.Join(basePaths, ", "), strings.Join(candPaths, ", "), err))
			}
			rep.Base.Label, rep.Candidate.Label = basePaths[0], candPaths[0]
			for i := range rep.BaseDocs {
				rep.BaseDocs[i].Label = basePaths[i]
			}
			for i := range rep.CandidateDocs {
				rep.CandidateDocs[i].Label = candPaths[i]
			}
			out := cmd.OutOrStdout()
			if format != "text" {
				for _, w := range rep.Warnings {
					fmt.Fprintf(cmd.ErrOrStderr(), "evbench: compare: warning: %s\n", w)
				}
			}
			switch format {
			case "json":
				err = rep.WriteJSON(out)
			case "markdown":
				err = rep.WriteMarkdown(out)
			case "junit":
				err = rep.WriteJUnit(out)
			default:
				err = rep.WriteText(out)
			}
			if err != nil {
				return err
			}
			if err := appendSummary(mdOut, rep.WriteMarkdown); err != nil {
				return err
			}
			if err := writeJUnitFile(junitOut, rep.WriteJUnit); err != nil {
				return err
			}
			if rep.Regressed() {
				lines := make([]string, len(rep.Regressions))
				for i, g := range rep.Regressions {
					lines[i] = "  - " + g.String()
				}
				return &exitError{code: exitRegression, err: fmt.Errorf("%s regressed against %s: %d regression(s)\n%s",
					strings.Join(candPaths, ", "), strings.Join(basePaths, ", "), len(rep.Regressions), strings.Join(lines, "\n"))}
			}
			if notComparable {
				return &exitError{code: exitOverloaded, err: fmt.Errorf("compare %s with %s: %w", strings.Join(basePaths, ", "), strings.Join(candPaths, ", "), err)}
			}
			return nil
		},
	}
	f := c.Flags()
	f.Var(latTol, "latency-tolerance", "relative latency increase allowed, percent (e.g. 10%)")
	f.Var(floor, "latency-floor", "absolute latency increase below which nothing regresses (e.g. 1ms, 500us, 0)")
	f.Var(thrTol, "throughput-tolerance", "relative drop of achieved_per_s allowed, percent (e.g. 5%)")
	f.Float64Var(&opts.Alpha, "alpha", compare.DefaultAlpha, "significance level of the Mann-Whitney U test (several runs per side)")
	f.StringSliceVar(&opts.Ignore, "ignore", nil, "metrics to show without gating on them (comma-separated)")
	f.StringArrayVar(&bases, "base", nil, "a base results.json (repeat the flag for several runs)")
	f.StringArrayVar(&cands, "candidate", nil, "a candidate results.json (repeat the flag for several runs)")
	f.StringVar(&format, "format", "text", "output format on stdout: text, markdown, junit or json")
	f.BoolVar(&asJSON, "json", false, "print the comparison as JSON (same as --format json)")
	f.StringVar(&mdOut, "summary-md", "", "also write the Markdown summary to FILE (appended to, like $GITHUB_STEP_SUMMARY)")
	f.StringVar(&junitOut, "junit", "", "also write the JUnit XML report to FILE (replaced)")
	return c
}

// compareSides splits the command line into base and candidate files:
// "BASE CAND", "BASE... -- CAND...", or --base/--candidate flags.
func compareSides(args []string, dash int, bases, cands []string) ([]string, []string, error) {
	const usage = "give BASE.json CANDIDATE.json, or BASE.json... -- CANDIDATE.json..., or --base FILE --candidate FILE (each repeatable)"
	switch {
	case len(bases) > 0 || len(cands) > 0:
		if len(args) > 0 {
			return nil, nil, fmt.Errorf("--base/--candidate and file arguments cannot be mixed; %s", usage)
		}
		if len(bases) == 0 || len(cands) == 0 {
			return nil, nil, fmt.Errorf("--base and --candidate are both required; %s", usage)
		}
		return bases, cands, nil
	case dash >= 0:
		if dash == 0 || dash == len(args) {
			return nil, nil, fmt.Errorf("at least one file on each side of --; %s", usage)
		}
		return args[:dash], args[dash:], nil
	case len(args) == 2:
		return args[:1], args[1:], nil
	}
	return nil, nil, fmt.Errorf("accepts 2 arg(s), received %d; %s", len(args), usage)
}

func compareReadAll(paths []string) ([]*results.Results, error) {
	docs := make([]*results.Results, 0, len(paths))
	for _, p := range paths {
		r, err := compareReadResults(p)
		if err != nil {
			return nil, err
		}
		docs = append(docs, r)
	}
	return docs, nil
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
