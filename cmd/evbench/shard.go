package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/scenarios"
)

// shardFlags are run's flags for one part of a run split over several
// load generators (docs/kubernetes.md).
type shardFlags struct {
	shard   string // --shard INDEX/COUNT
	startAt string // --start-at RFC 3339
	// external: --external-consumers (consume.go)
	external bool
	// clockShift: --clock-shift (hidden), a drill for the clock checks.
	clockShift time.Duration
}

// maxClockShift bounds --clock-shift: a drill needs milliseconds to
// seconds, and a larger shift would push the schedule off its start.
const maxClockShift = time.Minute

// maxStartAhead bounds how far ahead --start-at may be: further is almost
// certainly a mistyped date, and the process would sit idle.
const maxStartAhead = 24 * time.Hour

func addShardFlags(c *cobra.Command, f *shardFlags) {
	c.Flags().StringVar(&f.shard, "shard", "", "run shard INDEX/COUNT of the schedule (INDEX from 0, e.g. $JOB_COMPLETION_INDEX/3): the events whose index is INDEX mod COUNT, at the single-host intended times, with the single-host ids; needs --start-at when COUNT > 1")
	c.Flags().BoolVar(&f.external, "external-consumers", false, "Kafka: only produce, to the scenario's named topic; the consumer groups run in 'evbench consume' processes started with the same --start-at, whose results 'evbench merge' combines with this one's; needs --start-at")
	c.Flags().StringVar(&f.startAt, "start-at", "", "start the schedule at this wall-clock instant (RFC 3339, e.g. 2026-03-14T09:00:00Z), the same for every shard; a shard that is ready late records by how much")
	addClockShiftFlag(c, &f.clockShift)
}

// addClockShiftFlag adds the hidden --clock-shift: a drill that runs this
// process as if its host's clock were D ahead (negative: behind), to see
// the clock offset recorded and `evbench merge` warn (docs/kubernetes.md).
// Results say it was used.
func addClockShiftFlag(c *cobra.Command, d *time.Duration) {
	c.Flags().DurationVar(d, "clock-shift", 0, "drill: run as if this host's clock were this far ahead (negative: behind); results say so")
	_ = c.Flags().MarkHidden("clock-shift")
}

// clockShiftNote is the note on every point of a process run with
// --clock-shift.
func clockShiftNote(d time.Duration) string {
	return fmt.Sprintf("clock: drill: this process ran with --clock-shift %v, as if its host's clock were %v ahead; its intended or completion times are shifted by as much", d, d)
}

// noteClockShift adds clockShiftNote to every point when --clock-shift
// was set.
func noteClockShift(res *results.Results) {
	d := load.ClockShift()
	if d == 0 || res == nil {
		return
	}
	for i := range res.Points {
		res.Points[i].Notes = append(res.Points[i].Notes, clockShiftNote(d))
	}
}

// shardPlan checks the shard flags against the scenario (points are its
// expanded points) and returns the plan to set, or nil without the flags.
func shardPlan(f shardFlags, sc *scenarios.Scenario, points []scenarios.PointSpec, now time.Time) (*load.Plan, error) {
	if f.clockShift.Abs() > maxClockShift {
		return nil, fmt.Errorf("--clock-shift %v: at most %v either way", f.clockShift, maxClockShift)
	}
	// Set before anything reads the clock (nothing has yet).
	load.ShiftClock(f.clockShift)
	if f.shard == "" && f.startAt == "" && !f.external {
		return nil, nil
	}
	p := &load.Plan{Shard: load.Shard{Index: 0, Count: 1}, ExternalConsumers: f.external}
	if f.external {
		if err := checkExternal(f, sc); err != nil { // consume.go
			return nil, err
		}
	}
	if f.shard != "" {
		sh, err := load.ParseShard(f.shard)
		if err != nil {
			return nil, fmt.Errorf("--shard: %w", err)
		}
		p.Shard = sh
	}
	if f.startAt != "" {
		t, err := time.Parse(time.RFC3339Nano, f.startAt)
		if err != nil {
			return nil, fmt.Errorf("--start-at %q: want an RFC 3339 instant such as 2026-03-14T09:00:00Z: %w", f.startAt, err)
		}
		if t.Sub(now) > maxStartAhead {
			return nil, fmt.Errorf("--start-at %s is more than %v ahead", f.startAt, maxStartAhead)
		}
		// An instant so old that the whole schedule would be over: a
		// stale start.env, or a shard restarted long after the others.
		if ago, total := now.Sub(t), time.Duration(sc.Load.Warmup)+time.Duration(sc.Load.Duration); ago > total {
			return nil, fmt.Errorf("--start-at %s was %v ago: the whole schedule (%v) would be over before this shard began; set a new start instant", f.startAt, ago.Round(time.Second), total)
		}
		p.StartAt = t
	} else if p.Shard.Count > 1 {
		return nil, errors.New("--shard with more than one shard needs --start-at: the shards' intended times and event ids are derived from the one start instant")
	}
	if n := len(points) * len(sc.Systems.Names()); n != 1 {
		return nil, fmt.Errorf("--shard and --start-at run a scenario of exactly one point (one system, no sweep); this one has %d: shards could not keep later points aligned", n)
	}
	if k := kafka.ConfigOf(sc); p.Shard.Count > 1 && k != nil && k.Topic.Name != "" && !f.external {
		// Each shard's consumer groups would read every shard's records
		// and count them against this shard's sends.
		return nil, fmt.Errorf("--shard: systems.kafka.topic.name %q is shared by the shards, and each shard's consumers would count the others' events; leave the name empty (each shard gets its own topic and groups), or run the groups in evbench consume processes (--external-consumers)", k.Topic.Name)
	}
	return p, nil
}

// printShards says, after the summary, which shard each point was and how
// late it started, so a late shard is seen before the merge.
func printShards(w io.Writer, res *results.Results) {
	for _, p := range res.Points {
		if sh := p.Shard; sh != nil {
			late := time.Duration(sh.StartLateUS) * time.Microsecond
			fmt.Fprintf(w, "shard %d/%d (%s): started %v after the start instant %s\n", sh.Index, sh.Count, p.System, late.Round(time.Millisecond), sh.StartAt.Format(time.RFC3339Nano))
		}
	}
}
