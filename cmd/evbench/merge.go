package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/evbench/evbench/reports/compare"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/engine"
	"github.com/evbench/evbench/scenarios"
)

func init() { addCommand(newMergeCmd) }

// newMergeCmd is `evbench merge A.json B.json [...] --out MERGED.json`: one
// document from the same scenario run on several load-generator hosts at
// the same time.
func newMergeCmd() *cobra.Command {
	var (
		out   string
		force bool
		wait  time.Duration
	)
	c := &cobra.Command{
		Use:   "merge A.json B.json [...] --out MERGED.json",
		Short: "Merge results.json files from load generators that ran the same scenario at the same time",
		Long: `merge combines results documents of one scenario run at the same time on several
load-generator hosts into one document, as if one generator had offered the sum
of their loads.

Points with the same system, params and repeat are combined:
  histograms   e2e, per-attempt, attempts per delivery, publish and ingress
               HdrHistograms are added exactly; percentiles are recomputed
  counts       sent, delivered, lost, duplicates, dead-lettered, retries,
               out-of-order and error classes add (sent == delivered + lost
               still holds, and is checked)
  shards       parts of one sharded run (evbench run --shard, same id base)
               are counted from their id sets instead: sent, delivered and
               lost from the union, an event recorded by two parts is one
               delivery and one duplicate; the same event sent by two parts
               is refused; a note names missing shards and the latest start
  clocks       the processes' clock offsets (against a sink, or the Kafka
               broker) are compared pairwise where they land in latency
               (shard and sink, producer shard and consume process); a
               pair further apart, bounds included, than 10% of the merged
               e2e p50 is a warning on stderr and in the notes
  rates        offered_per_s and achieved_per_s add; params are kept, so the
               merged document still compares with single-host ones
  resources    cpu seconds and bytes sent add; max_rss_bytes is the largest
  lag          generator lag p99 and max are the largest (upper bounds)
  time series  added second by second; per-second p50/p99 are the largest of
               the parts (upper bounds: per-second histograms are not stored)
  thresholds   re-evaluated on the merged numbers
  status       the worst of the parts; notes are kept once each
Points and subscribers found in one document only are appended as they are.
The environment is the first document's, with started_at the earliest and
finished_at the latest; scenario and command are the first's.

Documents must have the same schema and scenario name; --force merges
different scenario names (never different schemas). --out names the output
file (a folder gets results.json inside it; "-" writes to stdout); it may not
be one of the inputs (by path, or the same file through a link).
--wait D waits up to D for every input to hold its final results (a merge
started with the shards it merges), then fails naming the missing ones.
Exit codes: 0 written, 1 write error, 2 bad input.`,
		Example: `  evbench merge host1/results.json host2/results.json host3/results.json --out merged.json
  evbench merge a.json b.json --out merged/ && evbench report merged/results.json
  evbench merge --wait 30m /results/shard-{0,1,2}/results.json --out /results/merged/`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return badInput(errors.New("--out is required (a file, a folder, or - for stdout)"))
			}
			path := out
			if out != "-" {
				if st, err := os.Stat(out); err == nil && st.IsDir() || strings.HasSuffix(out, string(os.PathSeparator)) {
					path = filepath.Join(out, "results.json")
				}
				if err := checkNotAnInput(path, args); err != nil {
					return badInput(err)
				}
			}
			if wait > 0 {
				if err := waitForInputs(args, wait, cmd.ErrOrStderr()); err != nil { // mergewait.go
					return badInput(err)
				}
			}
			docs := make([]*results.Results, len(args))
			for i, a := range args {
				r, err := compareReadResults(a)
				if err != nil {
					return err
				}
				docs[i] = r
			}
			thresholds, err := mergeThresholds(docs[0])
			if err != nil {
				return badInput(fmt.Errorf("%s: %w", args[0], err))
			}
			merged, err := compare.MergeWith(compare.MergeOptions{
				Force:      force,
				Names:      args,
				Thresholds: thresholds,
			}, docs...)
			if err != nil {
				return badInput(err)
			}
			if out == "-" {
				b, err := json.MarshalIndent(merged, "", "  ")
				if err != nil {
					return fmt.Errorf("encode merged results: %w", err)
				}
				_, err = cmd.OutOrStdout().Write(append(b, '\n'))
				return err
			}
			if path != out {
				if err := os.MkdirAll(out, 0o755); err != nil {
					return fmt.Errorf("create %s: %w", out, err)
				}
			}
			if err := results.WriteFile(path, merged); err != nil {
				return err
			}
			multi := 0
			for _, p := range merged.Points {
				for _, n := range p.Notes {
					if strings.HasPrefix(n, compare.ClockNotePrefix+"WARNING") {
						fmt.Fprintf(cmd.ErrOrStderr(), "warning: point %s: %s\n", compare.KeyOf(&p), strings.TrimPrefix(n, compare.ClockNotePrefix+"WARNING: "))
					}
				}
				for _, n := range p.Notes {
					if strings.HasPrefix(n, compare.MergedNote) {
						multi++
						break
					}
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "merged %d documents into %s: %d point(s), %d of them combined from several documents\n",
				len(docs), path, len(merged.Points), multi)
			return nil
		},
	}
	c.Flags().StringVarP(&out, "out", "o", "", "output file, folder (results.json inside) or - for stdout (required)")
	c.Flags().BoolVar(&force, "force", false, "merge documents whose scenario names differ")
	c.Flags().DurationVar(&wait, "wait", 0, "wait up to this long for every input to hold its final results (shards still running; e.g. a merge Job started with them)")
	return c
}

// mergeThresholds re-evaluates the first document's scenario thresholds on
// a merged point, with the same evaluator as evbench run. The thresholds
// are parsed once, here, as the loader parses a scenario's; one that does
// not parse is an error (the document was not written by evbench run).
func mergeThresholds(first *results.Results) (func(*results.Point) []results.Threshold, error) {
	var sc struct {
		Thresholds []scenarios.Threshold `json:"thresholds"`
	}
	if len(first.Scenario) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(first.Scenario, &sc); err != nil {
		return nil, fmt.Errorf("scenario thresholds: %w", err)
	}
	if len(sc.Thresholds) == 0 {
		return nil, nil
	}
	return func(p *results.Point) []results.Threshold { return engine.Evaluate(sc.Thresholds, p) }, nil
}

// checkNotAnInput refuses an output path that names one of the inputs,
// by path or as the same file (a symbolic or hard link): the merge would
// replace a part with the whole, and a second merge would count it twice.
func checkNotAnInput(out string, inputs []string) error {
	outAbs, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	outSt, outErr := os.Stat(out)
	for _, in := range inputs {
		if inAbs, err := filepath.Abs(in); err == nil && inAbs == outAbs {
			return fmt.Errorf("--out %s is the input %s: the merge would overwrite one of its parts", out, in)
		}
		if outErr != nil {
			continue
		}
		if st, err := os.Stat(in); err == nil && os.SameFile(st, outSt) {
			return fmt.Errorf("--out %s is the same file as the input %s: the merge would overwrite one of its parts", out, in)
		}
	}
	return nil
}
