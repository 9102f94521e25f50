package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/evbench/evbench/reports/chart"
	"github.com/evbench/evbench/reports/cost"
	"github.com/evbench/evbench/reports/results"
)

func init() { addCommand(newCostCmd) }

// newCostCmd is `evbench cost RESULTS.json [--profile P] [--set key=value]`:
// it prices the measured systems with the cost model and prints the
// break-even table and the paragraph stating how measurements were scaled.
func newCostCmd() *cobra.Command {
	var (
		profile   string
		sets      []string
		varies    []string
		chartsDir string
		atRate    float64
		atSubs    int
	)
	cmd := &cobra.Command{
		Use:   "cost RESULTS.json",
		Short: "Price webhook fan-out and Kafka from measured usage and print where their costs cross",
		Long: `cost reads a results.json, fits each system's CPU and bytes per event from its
points, prices them with a cost profile and prints the break-even points (events
per hour where the cheaper design changes) for 1, 3, 5 and 10 subscribers.

Without --profile it uses the scenario's cost.profile if it names one and also
prints every built-in profile (` + strings.Join(cost.Builtins(), ", ") + `).
--profile takes a built-in name or a profile YAML file (each price with a source;
"extends: aws-list" inherits the rest). --set key=value overrides one price, e.g.
--set kafka.retention_hours=24; keys: ` + strings.Join(cost.Keys(), ", ") + `.

It then varies the assumptions one at a time (--vary key=lo..hi, repeatable;
by default every key over a plausible range) and prints how far each moves the
webhook-vs-Kafka break-even (at --at-subscribers, default 3) and which design is
cheaper at --at-rate (default 10,000 events/hour), with the assumptions the
verdict hinges on; --at-rate and --at-subscribers also place the cost-lines
table. --charts DIR
writes the tornado chart, the stacked cost composition per design and the
break-even map per profile as PNG. docs/cost.md explains every cost line.`,
		Example: `  evbench cost evbench-results/sweep/results.json
  evbench cost results.json --profile managed-kafka-entry --set webhook.egress_per_gb=0.09
  evbench cost results.json --profile aws-list --vary webhook.added_latency_s=0..5 --charts cost-charts`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			overrides, err := costParseSets(sets)
			if err != nil {
				return badInput(err)
			}
			var ranges []cost.Range
			for _, s := range varies {
				rg, err := cost.ParseVary(s)
				if err != nil {
					return badInput(err)
				}
				ranges = append(ranges, rg)
			}
			r, err := results.ReadFile(args[0])
			if err != nil {
				return badInput(err)
			}
			p, err := cost.ResolveProfile(r, profile, overrides)
			if err != nil {
				return badInput(err)
			}
			usage, err := cost.MeasuredUsage(r)
			if err != nil {
				return badInput(fmt.Errorf("%s: %w", args[0], err))
			}
			if un := cost.Unpriced(usage); len(un) > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: not priced (no cost family the model knows; families are %v): %s\n", results.Families, strings.Join(un, ", "))
				for _, s := range un {
					delete(usage, s)
				}
			}
			models := []*cost.Model{cost.NewModel(p, usage)}
			if _, ok := models[0].First(results.FamilyPush); !ok || len(usage) < 2 {
				return badInput(fmt.Errorf("%s: the cost comparison needs complete points of a push-family system (webhook) and at least one other priced system (have %s)", args[0], costSystems(usage)))
			}
			if profile == "" {
				if models, err = cost.Models(usage, p); err != nil {
					return err
				}
			}
			if !(atRate >= cost.MinEventsPerHour && atRate <= cost.MaxEventsPerHour) || atSubs < 1 || atSubs > 10_000 {
				return badInput(fmt.Errorf("--at-rate must be in 100..1e9 events/hour and --at-subscribers in 1..10000, got %v and %d", atRate, atSubs))
			}
			if err := costPrint(cmd.OutOrStdout(), r, p, usage, models, atRate, atSubs); err != nil {
				return err
			}
			if len(ranges) == 0 {
				ranges = cost.DefaultRanges(p)
			}
			sens, err := cost.Analyze(p, usage, ranges, atSubs, atRate)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintln(w)
			fmt.Fprint(w, cost.FormatTable(sens.Table()))
			fmt.Fprintln(w)
			fmt.Fprintln(w, costWrap(sens.Statement(), 100))
			if chartsDir != "" {
				return costCharts(w, chartsDir, models, sens)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&varies, "vary", nil, "vary one key over a range, key=lo..hi (repeatable); without it every assumption is varied over a default range")
	cmd.Flags().StringVar(&chartsDir, "charts", "", "write the cost charts (PNG) to this directory")
	cmd.Flags().Float64Var(&atRate, "at-rate", 10_000, "events per hour of the cost-lines table and the sensitivity's reference point")
	cmd.Flags().IntVar(&atSubs, "at-subscribers", 3, "subscribers of the cost-lines table and the sensitivity")
	cmd.Flags().StringVarP(&profile, "profile", "p", "", "cost profile: built-in name ("+strings.Join(cost.Builtins(), ", ")+") or YAML file")
	cmd.Flags().StringArrayVar(&sets, "set", nil, "override one price, key=value (repeatable)")
	return cmd
}

// costParseSets parses --set key=value flags.
func costParseSets(sets []string) (map[string]float64, error) {
	if len(sets) == 0 {
		return nil, nil
	}
	out := map[string]float64{}
	for _, s := range sets {
		k, val, ok := strings.Cut(s, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--set %q: want key=value, e.g. kafka.retention_hours=24", s)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			return nil, fmt.Errorf("--set %s: value %q is not a number", k, val)
		}
		out[strings.TrimSpace(k)] = f
	}
	return out, nil
}

func costSystems(usage map[string]cost.Usage) string {
	var s []string
	for k := range usage {
		s = append(s, k)
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func costPrint(w io.Writer, r *results.Results, p *cost.Profile, usage map[string]cost.Usage, models []*cost.Model, atRate float64, atSubs int) error {
	m := models[0]
	if r.Environment.Embedded {
		fmt.Fprintln(w, "NOTE: Kafka numbers come from the embedded in-memory broker (kfake, not disk-backed); Kafka-side CPU includes the broker.")
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, cost.FormatTable(cost.UsageTable(usage, m.Systems())))
	fmt.Fprintln(w)
	bt, err := cost.BreakEvenTable(models, cost.ReportSubscribers)
	if err != nil {
		return err
	}
	fmt.Fprint(w, cost.FormatTable(bt))
	fmt.Fprintln(w)
	ct, err := cost.CostTable(m, 3)
	if err != nil {
		return err
	}
	fmt.Fprint(w, cost.FormatTable(ct))
	fmt.Fprintln(w)
	lt, err := cost.LinesTable(m, atRate, atSubs)
	if err != nil {
		return err
	}
	fmt.Fprint(w, cost.FormatTable(lt))
	fmt.Fprintln(w)
	fmt.Fprintln(w, costWrap(cost.ModelParagraph(p, usage), 100))
	if _, ok := m.First(results.FamilyLog); ok {
		claim, err := cost.ClaimParagraphs(models)
		if err != nil {
			return err
		}
		for _, c := range claim {
			fmt.Fprintln(w)
			fmt.Fprintln(w, costWrap(c, 100))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, cost.FormatTable(cost.PriceTable(p)))
	return nil
}

// costCharts writes the tornado chart and, per profile, the cost
// composition and break-even map charts as PNG files to dir.
func costCharts(w io.Writer, dir string, models []*cost.Model, sens *cost.Sensitivity) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("charts: %w", err)
	}
	var charts []chart.Chart
	t, err := sens.TornadoChart(12)
	if err != nil {
		return err
	}
	charts = append(charts, t)
	for _, m := range models {
		cs, err := cost.ProfileCharts(m)
		if err != nil {
			return err
		}
		charts = append(charts, cs...)
	}
	for _, c := range charts {
		path := filepath.Join(dir, c.Name+".png")
		if err := os.WriteFile(path, c.PNG, 0o644); err != nil {
			return fmt.Errorf("charts: %w", err)
		}
		fmt.Fprintln(w, "wrote", path)
	}
	return nil
}

// costWrap wraps text at width columns on spaces.
func costWrap(s string, width int) string {
	var b strings.Builder
	col := 0
	for i, word := range strings.Fields(s) {
		if i > 0 {
			if col+1+len(word) > width {
				b.WriteByte('\n')
				col = 0
			} else {
				b.WriteByte(' ')
				col++
			}
		}
		b.WriteString(word)
		col += len(word)
	}
	return b.String()
}
