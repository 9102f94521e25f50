package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/engine"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
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
	linger   time.Duration
	junit    string // --junit FILE: thresholds as JUnit XML (cioutput.go)
	summary  string // --summary-md FILE: Markdown summary (cioutput.go)
	shardFlags
}

func newRunCmd() *cobra.Command {
	var f runFlags
	c := &cobra.Command{
		Use:   "run FILE",
		Short: "Run a scenario (one point per system, or every point of its sweep)",
		Long: `run executes a scenario file against every system it enables and writes
results.json (plus dead-letters.jsonl, report.html, PNG charts and .hlog files)
into --out. FILE may name a built-in example: ` + strings.Join(scenarios.Examples(), ", ") + `.

Ctrl-C, SIGTERM or SIGHUP stops the load, drains for at most 5 s, writes the
results with status "interrupted" and exits 130. A second signal exits at once.
results.json is also saved after every point, so a killed run keeps the
points it finished.`,
		Example: `  evbench run quickstart
  evbench run scenarios/examples/ecommerce.yaml --duration 60s --rate 500/s
  evbench run my.yaml --brokers 127.0.0.1:9092 --out ./out`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScenario(cmd, args[0], f)
		},
	}
	addRunFlags(c, &f)
	addShardFlags(c, &f.shardFlags) // shard.go
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
	c.Flags().DurationVar(&f.linger, "metrics-linger", defaultMetricsLinger, "with --metrics-addr: keep serving the final metrics this long after a run that ended (not after an interrupted one) so they can be scraped; 0 stops at once")
	c.Flags().StringVar(&f.junit, "junit", "", "write the thresholds as JUnit XML to FILE (one test case per threshold)")
	c.Flags().StringVar(&f.summary, "summary-md", "", "append a Markdown summary to FILE (e.g. $GITHUB_STEP_SUMMARY)")
}

// applyOverrides checks --brokers by the scenario's rules and applies
// --duration and --rate, returning a new scenario.
// --rate sets a constant or Poisson rate and scales other shapes so their
// peak is the rate; it replaces a sweep's rate list. --duration scales steps
// and spikes in proportion.
func applyOverrides(sc *scenarios.Scenario, f runFlags) (*scenarios.Scenario, error) {
	if f.brokers != "" {
		if err := scenarios.CheckBrokers(f.brokers); err != nil {
			return nil, fmt.Errorf("--brokers: %w", err)
		}
	}
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

func runScenario(cmd *cobra.Command, arg string, f runFlags) (err error) {
	if f.linger < 0 {
		return badInput(fmt.Errorf("--metrics-linger %v: want 0 or a positive duration", f.linger))
	}
	sc, err := scenarios.Open(arg)
	if err != nil {
		return badInput(err)
	}
	if sc, err = applyOverrides(sc, f); err != nil {
		return badInput(err)
	}
	points, err := sc.Expand()
	if err != nil {
		return badInput(err)
	}
	plan, err := shardPlan(f.shardFlags, sc, points, time.Now()) // shard.go
	if err != nil {
		return badInput(err)
	}
	load.SetPlan(plan)
	defer load.SetPlan(nil)
	if err := checkCost(sc); err != nil {
		return badInput(fmt.Errorf("%s: %w", arg, err))
	}
	// Every input and resource is checked before any output is created or
	// truncated: a run refused for a busy port or an unwritable folder must
	// not have emptied the previous run's dead-letters.jsonl.
	var metricsLn net.Listener
	if f.metrics != "" {
		if metricsLn, err = net.Listen("tcp", f.metrics); err != nil {
			return badInput(fmt.Errorf("--metrics-addr %s: %w", f.metrics, err))
		}
		defer metricsLn.Close()
	}
	out := f.out
	if out == "" {
		out = filepath.Join("evbench-results", fmt.Sprintf("%s-%s", safeName(sc.Name), time.Now().Format("20060102-150405")))
	}
	if err := prepareOutDir(out); err != nil {
		return badInput(err)
	}
	dlf, err := os.Create(filepath.Join(out, "dead-letters.jsonl"))
	if err != nil {
		return fmt.Errorf("create dead-letter file: %w", err)
	}
	defer dlf.Close()

	ctx, stop, ended := interruptContext(cmd.ErrOrStderr())
	defer stop()

	resPath := filepath.Join(out, "results.json")
	prog := newProgress(cmd.ErrOrStderr(), f.quiet)
	onStart, onDone := prog.start, prog.done
	var metrics *liveMetrics
	written := false // results.json holds the final document
	if metricsLn != nil {
		metrics = newLiveMetrics()
		url, stopMetrics := metrics.serve(metricsLn, cmd.ErrOrStderr())
		defer stopMetrics()
		fmt.Fprintf(cmd.ErrOrStderr(), "evbench: live metrics at %s\n", url)
		onStart = func(p *measure.Point) { prog.start(p); metrics.start(p) }
		onDone = func(p *results.Point) { prog.done(p); metrics.pointDone(p) }
		// Runs after the results are written and the summary printed (and
		// before the signal handler and the server are stopped): keep the
		// final values scrapable unless the run was interrupted.
		defer func() {
			if !written {
				return
			}
			metrics.runDone()
			ended()
			if f.linger <= 0 || ctx.Err() != nil {
				return
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "evbench: serving the final metrics at %s for %v (--metrics-linger; Ctrl-C to exit now)\n", url, f.linger)
			t := time.NewTimer(f.linger)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
			}
		}()
	}
	opts := engine.Options{
		Brokers:     f.brokers,
		DeadLetters: runners.NewLineWriter(dlf),
		Command:     commandLine(),
		OnPoint:     prog.point,
		OnStart:     onStart,
		OnDone:      onDone,
		Logf:        prog.logf,
		Checkpoint:  newCheckpointer(resPath, cmd.ErrOrStderr()).save,
	}
	prog.run()
	res, runErr := engine.Run(ctx, sc, opts)
	prog.stop()

	setPeakRSS(res)
	noteClockShift(res) // shard.go
	if err := results.WriteFile(resPath, res); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	// Dead letters are written in the background: wait for the last ones.
	if err := opts.DeadLetters.Close(); err != nil {
		return fmt.Errorf("write dead letters: %w", err)
	}
	written = true
	if err := dlf.Sync(); err != nil {
		return fmt.Errorf("write dead letters: %w", err)
	}
	if err := writeRunCI(res, f.junit, f.summary); err != nil {
		return err
	}
	var reportPath string
	var reportErr error
	if !f.noReport {
		reportPath, reportErr = writeReport(out, res)
		if reportErr != nil {
			reportPath = ""
			reportErr = fmt.Errorf("write report: %w (results.json is written: retry with 'evbench report %s')", reportErr, resPath)
		}
	}
	printSummary(cmd.OutOrStdout(), res)
	printShards(cmd.OutOrStdout(), res) // shard.go
	fmt.Fprintf(cmd.OutOrStdout(), "\nresults: %s\n", resPath)
	if reportPath != "" {
		fmt.Fprintf(cmd.OutOrStdout(), "report:  %s\n", reportPath)
	}
	if n := opts.DeadLetters.Lines(); n > 0 {
		fmt.Fprintf(cmd.OutOrStdout(), "dead letters: %d in %s\n", n, dlf.Name())
	}
	if n := opts.DeadLetters.Dropped(); n > 0 {
		fmt.Fprintf(cmd.OutOrStdout(), "** dead letters: %d NOT written to %s: the writer could not keep up (the counts in results are exact) **\n", n, dlf.Name())
	}
	switch {
	case res.Status == results.StatusInterrupted:
		if reportErr != nil {
			fmt.Fprintln(cmd.ErrOrStderr(), "evbench:", reportErr)
		}
		return interrupted(errors.New("interrupted: partial results written with status \"interrupted\""))
	case runErr != nil:
		if reportErr != nil {
			fmt.Fprintln(cmd.ErrOrStderr(), "evbench:", reportErr)
		}
		// A runner that finds the scenario does not fit the system it ran
		// against (kafka: replication factor above the broker count) says
		// so with a BadInput method: exit 2, as for any invalid input.
		var bi interface{ BadInput() bool }
		if errors.As(runErr, &bi) && bi.BadInput() {
			return badInput(runErr)
		}
		return runErr
	case reportErr != nil:
		return reportErr
	}
	if over := overloadedPoints(res); len(over) > 0 {
		return &exitError{code: exitOverloaded, err: fmt.Errorf("overloaded: the generator could not keep its schedule, the offered load was not applied: %s", strings.Join(over, "; "))}
	}
	if failed := failedThresholds(res); len(failed) > 0 {
		return &exitError{code: exitThresholds, err: fmt.Errorf("thresholds failed: %s", strings.Join(failed, "; "))}
	}
	return nil
}

// interruptContext cancels on the first SIGINT, SIGTERM or SIGHUP and exits
// with 130 on the second, so a stuck drain can always be abandoned. SIGHUP
// (the terminal or SSH session went away) is handled like the others: a run
// whose terminal closed still writes what it measured.
//
// ended tells it the run is over (only the final metrics are being served),
// so the first signal is reported as ending that, not as stopping a load.
func interruptContext(stderr interface{ Write([]byte) (int, error) }) (ctx context.Context, stop func(), ended func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var over atomic.Bool
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		n := 0
		for sig := range ch {
			n++
			if n == 1 && over.Load() {
				cancel()
				continue
			}
			if n == 1 {
				fmt.Fprintf(stderr, "\nevbench: interrupted (%v): stopping the load, draining up to 5s, writing results (Ctrl-C again to abort)\n", sig)
				cancel()
				continue
			}
			fmt.Fprintln(stderr, "evbench: aborted")
			os.Exit(exitInterrupted)
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel() }, func() { over.Store(true) }
}

// prepareOutDir creates the output folder if needed and proves it is
// writable by creating and removing a file in it, so a run never measures
// for minutes and then fails to save.
func prepareOutDir(dir string) error {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return fmt.Errorf("--out %s: exists and is not a folder", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--out %s: cannot create the output folder: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".evbench-write-check-*")
	if err != nil {
		return fmt.Errorf("--out %s: output folder is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("--out %s: %w", dir, err)
	}
	return nil
}

// overloadedPoints lists the points whose generator could not keep its
// schedule (results.Point.Overloaded).
func overloadedPoints(res *results.Results) []string {
	var out []string
	for _, p := range res.Points {
		if p.Overloaded {
			out = append(out, fmt.Sprintf("%s at %.0f/s offered", p.System, p.OfferedPerS))
		}
	}
	return out
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
