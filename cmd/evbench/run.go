package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/engine"
	"github.com/evbench/evbench/scenarios"
)

func init() { addCommand(newRunCmd) }

// runFlags are the flags shared by run and sweep.
type runFlags struct {
	out      string
	duration string
	rate     string
	brokers  string
	quiet    bool
	noReport bool
	metrics  string
	junit    string // --junit FILE: thresholds as JUnit XML (cioutput.go)
	summary  string // --summary-md FILE: Markdown summary (cioutput.go)
}

func newRunCmd() *cobra.Command {
	var f runFlags
	c := &cobra.Command{
		Use:   "run FILE",
		Short: "Run a scenario (one point per system, or every point of its sweep)",
		Long: `run executes a scenario file against every system it enables and writes
results.json (plus dead-letters.jsonl, report.html, PNG charts and .hlog files)
into --out. FILE may name a built-in example: quickstart, ecommerce, sweep.

Ctrl-C stops the load, drains for at most 5 s, writes the results with status
"interrupted" and exits 130. A second Ctrl-C exits at once.`,
		Example: `  evbench run quickstart
  evbench run scenarios/examples/ecommerce.yaml --duration 60s --rate 500/s
  evbench run my.yaml --brokers 127.0.0.1:9092 --out ./out`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScenario(cmd, args[0], f)
		},
	}
	addRunFlags(c, &f)
	return c
}

func addRunFlags(c *cobra.Command, f *runFlags) {
	c.Flags().StringVar(&f.out, "out", "", "output folder (default ./evbench-results/<scenario>-<timestamp>/)")
	c.Flags().StringVar(&f.duration, "duration", "", "override load.duration (e.g. 30s); steps and spikes are scaled in proportion")
	c.Flags().StringVar(&f.rate, "rate", "", "override the rate (e.g. 500/s, 30000/min): constant/poisson run at it, other shapes are scaled to peak at it; replaces a sweep's rate list")
	c.Flags().StringVar(&f.brokers, "brokers", "", "Kafka bootstrap brokers host:port,... (default: the scenario's, else the embedded broker)")
	c.Flags().BoolVar(&f.quiet, "quiet", false, "print only the final summary")
	c.Flags().BoolVar(&f.noReport, "no-report", false, "skip report.html and charts (results.json is always written)")
	c.Flags().StringVar(&f.metrics, "metrics-addr", "", "serve live Prometheus metrics at http://ADDR/metrics while running (e.g. 127.0.0.1:9464)")
	c.Flags().StringVar(&f.junit, "junit", "", "write the thresholds as JUnit XML to FILE (one test case per threshold)")
	c.Flags().StringVar(&f.summary, "summary-md", "", "append a Markdown summary to FILE (e.g. $GITHUB_STEP_SUMMARY)")
}

// applyOverrides applies --duration and --rate, returning a new scenario.
// --rate sets a constant or Poisson rate and scales other shapes so their
// peak is the rate; it replaces a sweep's rate list. --duration scales steps
// and spikes in proportion.
func applyOverrides(sc *scenarios.Scenario, f runFlags) (*scenarios.Scenario, error) {
	if f.duration != "" {
		d, err := scenarios.ParseDuration(f.duration)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("--duration %q: want a positive Go duration such as 30s or 2m", f.duration)
		}
		if sc, err = sc.WithDuration(d); err != nil {
			return nil, fmt.Errorf("--duration %s: %w", f.duration, err)
		}
	}
	if f.rate != "" {
		r, err := scenarios.ParseRate(f.rate)
		if err != nil || r <= 0 {
			return nil, fmt.Errorf("--rate %q: want a positive rate such as 500/s, 30000/min or 1e6/h", f.rate)
		}
		if sc, err = sc.WithRate(r); err != nil {
			return nil, fmt.Errorf("--rate %s: %w", f.rate, err)
		}
	}
	return sc, nil
}

func runScenario(cmd *cobra.Command, arg string, f runFlags) error {
	sc, err := scenarios.Open(arg)
	if err != nil {
		return badInput(err)
	}
	if sc, err = applyOverrides(sc, f); err != nil {
		return badInput(err)
	}
	if _, err := sc.Expand(); err != nil {
		return badInput(err)
	}
	if err := checkCost(sc); err != nil {
		return badInput(fmt.Errorf("%s: %w", arg, err))
	}
	out := f.out
	if out == "" {
		out = filepath.Join("evbench-results", fmt.Sprintf("%s-%s", safeName(sc.Name), time.Now().Format("20060102-150405")))
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("create output folder: %w", err)
	}
	dlf, err := os.Create(filepath.Join(out, "dead-letters.jsonl"))
	if err != nil {
		return fmt.Errorf("create dead-letter file: %w", err)
	}
	defer dlf.Close()

	ctx, stop := interruptContext(cmd.ErrOrStderr())
	defer stop()

	prog := newProgress(cmd.ErrOrStderr(), f.quiet)
	if f.metrics != "" {
		url, stopMetrics, err := serveMetrics(f.metrics, prog.live.Load)
		if err != nil {
			return badInput(err)
		}
		defer stopMetrics()
		fmt.Fprintf(cmd.ErrOrStderr(), "evbench: live metrics at %s\n", url)
	}
	opts := engine.Options{
		Brokers:     f.brokers,
		DeadLetters: runners.NewLineWriter(dlf),
		Command:     commandLine(),
		OnPoint:     prog.point,
		OnStart:     prog.start,
		OnDone:      prog.done,
		Logf:        prog.logf,
	}
	prog.run()
	res, runErr := engine.Run(ctx, sc, opts)
	prog.stop()

	resPath := filepath.Join(out, "results.json")
	if err := results.WriteFile(resPath, res); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	if err := dlf.Sync(); err != nil {
		return fmt.Errorf("write dead letters: %w", err)
	}
	if err := writeRunCI(res, f.junit, f.summary); err != nil {
		return err
	}
	var reportPath string
	if !f.noReport {
		p, err := writeReport(out, res)
		if err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "evbench: report: %v\n", err)
		}
		reportPath = p
	}
	printSummary(cmd.OutOrStdout(), res)
	fmt.Fprintf(cmd.OutOrStdout(), "\nresults: %s\n", resPath)
	if reportPath != "" {
		fmt.Fprintf(cmd.OutOrStdout(), "report:  %s\n", reportPath)
	}
	if n := opts.DeadLetters.Lines(); n > 0 {
		fmt.Fprintf(cmd.OutOrStdout(), "dead letters: %d in %s\n", n, dlf.Name())
	}
	switch {
	case res.Status == results.StatusInterrupted:
		return interrupted(errors.New("interrupted: partial results written with status \"interrupted\""))
	case runErr != nil:
		return runErr
	}
	if failed := failedThresholds(res); len(failed) > 0 {
		return &exitError{code: exitThresholds, err: fmt.Errorf("thresholds failed: %s", strings.Join(failed, "; "))}
	}
	return nil
}

// interruptContext cancels on the first SIGINT/SIGTERM and exits with 130
// on the second, so a stuck drain can always be abandoned.
func interruptContext(stderr interface{ Write([]byte) (int, error) }) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		n := 0
		for range ch {
			n++
			if n == 1 {
				fmt.Fprintln(stderr, "\nevbench: interrupted: stopping the load, draining up to 5s, writing results (Ctrl-C again to abort)")
				cancel()
				continue
			}
			fmt.Fprintln(stderr, "evbench: aborted")
			os.Exit(exitInterrupted)
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}

func failedThresholds(res *results.Results) []string {
	var out []string
	for _, p := range res.Points {
		for _, t := range p.Thresholds {
			if !t.Pass {
				out = append(out, fmt.Sprintf("%s: %s (measured %s)", p.System, t.Expr, thresholdValue(t)))
			}
		}
	}
	return out
}

func commandLine() string {
	var b strings.Builder
	b.WriteString("evbench")
	for _, a := range os.Args[1:] {
		b.WriteByte(' ')
		if strings.ContainsAny(a, " \t'\"$") {
			b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
		} else {
			b.WriteString(a)
		}
	}
	return b.String()
}

func safeName(s string) string {
	if s == "" {
		return "scenario"
	}
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	return string(b)
}
