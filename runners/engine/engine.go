// Package engine runs a scenario: it expands the scenario into points
// (a plain run is one point, a sweep many), runs every enabled system on
// each point through the runner registry, evaluates thresholds, runs the
// saturation search when asked, and assembles the results document.
//
// The engine knows no system by name: runners register themselves (see
// package runners), and the CLI imports them.
package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/runners/noise"
	"github.com/evbench/evbench/scenarios"
)

// Version and Revision are set at build time with -ldflags -X; Revision
// falls back to the build info's vcs.revision (see revision).
var (
	Version  = "dev"
	Revision = ""
)

// Options configure a run.
type Options struct {
	// Brokers overrides every Kafka-based system's brokers ("" keeps the scenario's).
	Brokers string
	// DeadLetters receives dead-lettered events as JSON lines. May be nil.
	DeadLetters *runners.LineWriter
	// Command is the command line recorded in results.
	Command string
	// OnPoint is called before each point runs: index from 1, total,
	// system and params. Probe points of the saturation search report
	// total 0 (unknown).
	OnPoint func(i, n int, system string, params map[string]float64)
	// OnStart receives each point's live measurement for progress display.
	OnStart func(*measure.Point)
	// OnDone is called after each point with its results.
	OnDone func(p *results.Point)
	// Checkpoint, when set, is called after each point (and each
	// saturation-search result) with the document so far, so the caller
	// can save it and a killed run keeps the points it finished. The
	// document's status is not final; the callee must not modify it or
	// keep it past the call.
	Checkpoint func(partial *results.Results)
	// Logf prints diagnostics. May be nil.
	Logf func(format string, args ...any)
}

func (o Options) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

// Run executes sc and returns the results document. It returns a document
// even on error or interruption (status failed or interrupted) so that
// nothing measured is lost; the error explains the status.
func Run(ctx context.Context, sc *scenarios.Scenario, opts Options) (*results.Results, error) {
	res := &results.Results{
		Schema:      results.Schema,
		Status:      results.StatusComplete,
		Command:     opts.Command,
		Environment: Environment(),
		Points:      []results.Point{},
	}
	// A short machine-noise calibration, so compare can tell a tolerance
	// finer than the machine resolves (runners/noise).
	res.Environment.Noise = noise.Measure()
	if b, err := sc.Redacted().JSON(); err == nil {
		res.Scenario = b
	} else {
		return fail(res, fmt.Errorf("encode scenario: %w", err))
	}
	specs, err := sc.Expand()
	if err != nil {
		return fail(res, fmt.Errorf("expand scenario: %w", err))
	}
	systems := sc.Systems.Names()
	if len(systems) == 0 {
		return fail(res, errors.New("scenario enables no system"))
	}
	total := len(specs) * len(systems)
	i := 0
	var firstErr error
	for _, spec := range specs {
		for _, sys := range systems {
			i++
			if ctx.Err() != nil {
				break
			}
			if opts.OnPoint != nil {
				opts.OnPoint(i, total, sys, spec.Params)
			}
			p, err := runPoint(ctx, sys, spec.Scenario, spec.Params, spec.Repeat, opts)
			if err != nil && firstErr == nil && ctx.Err() == nil {
				firstErr = fmt.Errorf("%s point %d/%d: %w", sys, i, total, err)
			}
			liftBrokerKind(res, p)
			res.Points = append(res.Points, *p)
			if opts.OnDone != nil {
				opts.OnDone(p)
			}
			if opts.Checkpoint != nil {
				opts.Checkpoint(res)
			}
		}
	}
	if sc.Sweep != nil && sc.Sweep.FindMax != nil && ctx.Err() == nil {
		if err := runFindMax(ctx, sc, systems, res, opts); err != nil && firstErr == nil && ctx.Err() == nil {
			firstErr = err
		}
	}
	if err := runFlows(ctx, sc, res, opts); err != nil && firstErr == nil && ctx.Err() == nil {
		firstErr = err
	}
	res.Environment.FinishedAt = time.Now().UTC()
	switch {
	case ctx.Err() != nil:
		res.Status = results.StatusInterrupted
		return res, ctx.Err()
	case firstErr != nil:
		res.Status = results.StatusFailed
		res.Error = firstErr.Error()
		return res, firstErr
	}
	return res, nil
}

func fail(res *results.Results, err error) (*results.Results, error) {
	res.Status = results.StatusFailed
	res.Error = err.Error()
	res.Environment.FinishedAt = time.Now().UTC()
	return res, err
}

// runPoint runs one system on one point and always returns a point (a
// failed one when the runner returned none).
func runPoint(ctx context.Context, system string, sc *scenarios.Scenario, params map[string]float64, repeat int, opts Options) (*results.Point, error) {
	r, err := runners.New(system)
	if err != nil {
		return failedPoint(system, params, repeat, err), err
	}
	pt := &runners.Point{
		Scenario:    sc,
		Params:      params,
		Brokers:     opts.Brokers,
		DeadLetters: opts.DeadLetters,
		OnStart:     opts.OnStart,
		Logf:        opts.Logf,
	}
	p, err := r.Run(ctx, pt)
	if p == nil {
		if err == nil {
			err = errors.New("runner returned no results")
		}
		return failedPoint(system, params, repeat, err), err
	}
	p.Repeat = repeat
	if p.Params == nil {
		p.Params = params
	}
	if err != nil && p.Status == results.StatusComplete {
		p.Status = results.StatusFailed
		p.Error = err.Error()
	}
	p.Thresholds = Evaluate(sc.Thresholds, p)
	return p, err
}

func failedPoint(system string, params map[string]float64, repeat int, err error) *results.Point {
	return &results.Point{System: system, Params: params, Repeat: repeat, Status: results.StatusFailed,
		Error: err.Error(), Subscribers: []results.Subscriber{}, Timeseries: []results.Sample{}}
}

// liftBrokerKind copies the first point's typed broker fields into the
// environment (every point of a run uses the same brokers).
func liftBrokerKind(res *results.Results, p *results.Point) {
	if p.BrokerKind != "" && res.Environment.BrokerKind == "" {
		res.Environment.BrokerKind, res.Environment.Embedded = p.BrokerKind, p.BrokerEmbedded
	}
}

// Environment describes this process's machine and build.
func Environment() results.Environment {
	return results.Environment{
		Go:        runtime.Version(),
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
		CPUs:      runtime.NumCPU(),
		CPUModel:  cpuModel(),
		Revision:  revision(),
		Version:   Version,
		StartedAt: time.Now().UTC(),
	}
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// revision is the source revision this binary was built from: the -ldflags
// value, else the module build info's vcs.revision (with "-dirty" when the
// tree had uncommitted changes), else "unknown". It never asks git at run
// time: the current directory may be another repository, whose revision
// would then be recorded as evbench's.
func revision() string {
	if Revision != "" {
		return Revision
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return UnknownRevision
	}
	return buildRevision(bi.Settings)
}

// UnknownRevision is recorded when the binary carries no revision.
const UnknownRevision = "unknown"

func buildRevision(settings []debug.BuildSetting) string {
	rev, dirty := "", false
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return UnknownRevision
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}
