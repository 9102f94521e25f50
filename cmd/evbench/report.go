package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/evbench/evbench/reports/chart"
	"github.com/evbench/evbench/reports/cost"
	"github.com/evbench/evbench/reports/curves"
	"github.com/evbench/evbench/reports/html"
	"github.com/evbench/evbench/reports/netlinks"
	"github.com/evbench/evbench/reports/results"
)

func init() { addCommand(newReportCmd) }

// newReportCmd is `evbench report RESULTS.json [--out DIR] [--profile P]`:
// it rebuilds report.html, the PNG charts and the .hlog files from a
// results document alone, without re-running anything.
func newReportCmd() *cobra.Command {
	var out, profile string
	c := &cobra.Command{
		Use:   "report RESULTS.json",
		Short: "Write report.html, PNG charts and HdrHistogram .hlog files from a results.json",
		Long: `report reads a results.json and writes, into --out (default: the folder of the
results file):

  report.html   one self-contained page (no network access needed): verdict,
                caveats, environment, thresholds, per-subscriber tables, charts,
                sweep curves, cost (when the scenario has a cost block or
                --profile is given), the scenario and the command to reproduce
  *.png         one image per chart
  *.hlog        HdrHistogram interval logs per system and subscriber (values in
                microseconds), for HistogramLogAnalyzer and friends

evbench run writes the same files at the end of a run unless --no-report.`,
		Example: `  evbench report evbench-results/ecommerce-20260314-092653/results.json
  evbench report results.json --out /tmp/report --profile managed-kafka-entry`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := results.ReadFile(args[0])
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return badInput(err)
				}
				return badInput(fmt.Errorf("%w (is it an evbench results.json?)", err))
			}
			if len(r.Points) == 0 {
				return badInput(fmt.Errorf("%s: no points: nothing to report (status %s%s)", args[0], r.Status, errorSuffix(r.Error)))
			}
			if profile != "" {
				if _, err := cost.ResolveProfile(r, profile, nil); err != nil {
					return badInput(fmt.Errorf("--profile: %w", err))
				}
			}
			dir := out
			if dir == "" {
				dir = filepath.Dir(args[0])
			}
			extra, warnings := reportSections(r, profile)
			for _, w := range warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "evbench: report: %s\n", w)
			}
			path, err := html.Generate(dir, r, extra...)
			if err != nil {
				return fmt.Errorf("write report: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "report: %s\n", path)
			return nil
		},
	}
	c.Flags().StringVarP(&out, "out", "o", "", "output folder (default: the folder of RESULTS.json)")
	c.Flags().StringVarP(&profile, "profile", "p", "", "add the cost section priced with this profile (built-in name or YAML file)")
	return c
}

// writeReport is what `evbench run` calls after writing results.json: the
// same files as `evbench report`, into the run's output folder.
func writeReport(dir string, r *results.Results) (string, error) {
	extra, _ := reportSections(r, "")
	return html.Generate(dir, r, extra...)
}

// reportSections builds the sections other packages contribute: the
// network links and latency claims (when a point recorded links), sweep
// curves (when there is more than one point per system or a saturation
// search) and the cost model (when the scenario has a cost block or a
// profile is named). A section that cannot be built does not stop the
// report: it is replaced by a short section saying why, and the reason is
// returned as a warning.
func reportSections(r *results.Results, profile string) ([]chart.Section, []string) {
	var out []chart.Section
	var warnings []string
	unavailable := func(id, title string, err error) {
		warnings = append(warnings, fmt.Sprintf("%s: %v", title, err))
		out = append(out, chart.Section{ID: id, Title: title,
			Paragraphs: []string{"This section could not be built from these results: " + err.Error()}})
	}
	if sec, ok := netlinks.Section(r); ok {
		out = append(out, sec)
	}
	secs, err := curves.Sections(r)
	if err != nil {
		unavailable("sweep-curves", "Throughput and saturation", err)
	} else {
		out = append(out, secs...)
	}
	if profile != "" || cost.ScenarioCost(r) != nil {
		p, err := cost.ResolveProfile(r, profile, nil)
		if err == nil {
			var sec chart.Section
			if sec, err = cost.Section(r, p); err == nil {
				out = append(out, sec)
			}
		}
		if err != nil {
			unavailable("cost", "Cost model and break-even", err)
		}
	}
	return out, warnings
}

func errorSuffix(e string) string {
	if e == "" {
		return ""
	}
	return ": " + e
}
